terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

# No arguments needed: AWS credentials come from the SDK's default chain, Fly.io and
# Cloudflare tokens from FLY_API_TOKEN, CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.
provider "platform" {
  default_tags = {
    project = "phishsentry"
  }
}

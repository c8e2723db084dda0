resource "platform_environment" "production" {
  name   = "prod"
  tier   = "production"
  region = "eu-west-1"

  network {
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }
}

# Reaches RDS inside the VPC, so `host = "auto"` places it on ECS Fargate.
resource "platform_api_service" "scoring" {
  environment = platform_environment.production.context
  name        = "scoring"
  image       = "ghcr.io/example/scoring:1.4.2"
  port        = 8080
  cpu         = "0.5"
  memory      = "1GB"

  requirements {
    private_network_access = true
  }

  scaling {
    min = 2
    max = 6
  }

  health_check {
    path = "/healthz"
  }

  env = {
    LOG_LEVEL = "info"
  }
  secrets = {
    DATABASE_URL = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/scoring/db-AbCdEf"
  }
  # No execution_role_arn: the service gets its own execution role, allowed exactly this
  # image's pull, its log group and the secret above. `access` is what its code may do.
  access = [
    jsonencode({ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::scoring-models/*" }),
  ]
}

# A small edge script with short CPU time goes to Cloudflare Workers.
resource "platform_api_service" "redirects" {
  environment = platform_environment.production.context
  name        = "redirects"
  script      = "export default { fetch() { return Response.redirect(\"https://example.com\", 301) } }"

  requirements {
    cpu_ms_per_request = 5
    memory_mb          = 64
  }
}

output "placement" {
  value = {
    scoring   = "${platform_api_service.scoring.resolved_host}: ${platform_api_service.scoring.placement_reason}"
    redirects = "${platform_api_service.redirects.resolved_host}: ${platform_api_service.redirects.placement_reason}"
  }
}

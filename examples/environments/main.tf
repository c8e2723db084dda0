# The three environments of the PhishSentry hosting plan (seed 000): a development
# environment with reduced autoscale limits on Fargate Spot, a staging environment that
# mirrors production, and production with its policy (Multi-AZ, 30-day backups, deletion
# protection). Services and databases take `platform_environment.<name>.context`.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

provider "platform" {
  default_tags = {
    project = "phishsentry"
  }
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

resource "platform_environment" "development" {
  name   = "dev"
  tier   = "development"
  region = var.region

  # "Fly.io/Fargate dev environment with reduced autoscale limits."
  policy {
    max_instances = 2
  }
}

resource "platform_environment" "staging" {
  name   = "staging"
  tier   = "staging"
  region = var.region
  tags = {
    purpose = "synthetic-monitoring"
  }
}

resource "platform_environment" "production" {
  name   = "prod"
  tier   = "production"
  region = var.region

  # Cross-region read replicas and hourly snapshots come with platform_database.
  policy {
    log_retention_days = 90
  }
  tags = {
    on-call = "pagerduty-sev0"
  }
}

output "production_context" {
  description = "What every production service and database inherits."
  value       = platform_environment.production.context
}

output "monthly_cost_usd" {
  value = {
    development = platform_environment.development.estimated_monthly_cost_usd
    staging     = platform_environment.staging.estimated_monthly_cost_usd
    production  = platform_environment.production.estimated_monthly_cost_usd
  }
}

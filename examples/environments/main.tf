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

variable "decommission" {
  description = "Lifts the production databases' delete guards (`allow_replacement = true`, `deletion_protection = false`): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
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
  description = "Estimated monthly cost, from the provider's dated price tables: summed in whole cents, so it prints exact cents."
  value = {
    development = platform_environment.development.estimated_monthly_cost_cents / 100
    staging     = platform_environment.staging.estimated_monthly_cost_cents / 100
    production  = platform_environment.production.estimated_monthly_cost_cents / 100
    databases   = (platform_database.development.estimated_monthly_cost_cents + platform_database.production.estimated_monthly_cost_cents) / 100
  }
}

# The shared PostgreSQL of the plan: cheap in development; in production Multi-AZ with
# 30-day backups, deletion protection and a read replica (seed 001's EU production shape:
# db.t3.medium, 100 GB gp3). The scoring API's pgvector features need `vector`.
resource "platform_database" "development" {
  environment = platform_environment.development.context
  name        = "shared"
  extensions  = ["vector"]
}

resource "platform_database" "production" {
  environment   = platform_environment.production.context
  name          = "shared"
  extensions    = ["vector"]
  read_replicas = [{ region = "eu-west-1" }]
  tags = {
    data-classification = "confidential"
  }

  allow_replacement   = var.decommission
  deletion_protection = var.decommission ? false : null
}

output "database_endpoints" {
  value = {
    development = platform_database.development.endpoint
    production  = platform_database.production.endpoint
    replicas    = platform_database.production.replica_endpoints
  }
}

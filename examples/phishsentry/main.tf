# PhishSentry: a phishing-detection platform hosted hybrid, edge plus cloud.
#
#   Scoring API (Node)            -> Fly.io Machines, active-active in two regions
#   Model Engine (Python, CPU)    -> AWS ECS Fargate, next to the database
#   Telemetry ingress (edge)      -> Cloudflare Workers, in front of the Scoring API
#   Shared PostgreSQL             -> AWS RDS, cross-region read replica in production
#
# The latency-sensitive path stays on the edge and Fly.io; heavy compute and the data
# stay in AWS. Each environment gets the same components; the tier sets the policy.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

# Credentials from the standard sources: the AWS SDK chain, FLY_API_TOKEN,
# CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.
provider "platform" {
  default_tags = {
    project = "phishsentry"
  }
}

variable "region" {
  description = "AWS region of every environment."
  type        = string
  default     = "us-east-1"
}

variable "replica_region" {
  description = "Region of the production database's cross-region read replica (disaster recovery)."
  type        = string
  default     = "eu-west-1"
}

# Staging runs in its own VPC, isolated from production, so every environment has its own
# subnets and security groups.
variable "subnet_ids" {
  description = "Private subnets for Fargate tasks, by environment."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000a1", "subnet-0a0000000000000a2"]
    staging     = ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"]
    production  = ["subnet-0c0000000000000c1", "subnet-0c0000000000000c2", "subnet-0c0000000000000c3"]
  }
}

variable "security_group_ids" {
  description = "Security groups for Fargate tasks, by environment."
  type        = map(list(string))
  default = {
    development = ["sg-0a0000000000000a1"]
    staging     = ["sg-0b0000000000000b1"]
    production  = ["sg-0c0000000000000c1"]
  }
}

variable "aws_account_id" {
  description = "Account holding the Secrets Manager secrets."
  type        = string
  default     = "123456789012"
}

variable "decommission" {
  description = "Lifts the production databases' delete guards (`allow_replacement = true`, `deletion_protection = false`): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
}

# What differs between the environments. Everything else comes from the tier.
locals {
  environments = {
    development = {
      name = "dev"
      # One Fly.io region; the tier's 1-2 instances are the "reduced autoscale limits".
      scoring_regions = ["iad"]
      model_cpu       = "1 vCPU"
      model_memory    = "2GB"
      replicas        = []
    }
    staging = {
      name = "staging"
      # Mirrors production: the same two regions, one machine in each.
      scoring_regions = ["iad", "lhr"]
      model_cpu       = "2 vCPU"
      model_memory    = "4GB"
      replicas        = []
    }
    production = {
      name            = "prod"
      scoring_regions = ["iad", "lhr"]
      model_cpu       = "2 vCPU"
      model_memory    = "4GB"
      # Disaster recovery: a read replica in another region.
      replicas = [{ region = var.replica_region }]
    }
  }

  secret_arn_prefix = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:phishsentry"
}

resource "platform_environment" "this" {
  for_each = local.environments

  name   = each.value.name
  tier   = each.key
  region = var.region

  network {
    subnet_ids         = var.subnet_ids[each.key]
    security_group_ids = var.security_group_ids[each.key]
  }

  tags = {
    # Sev0/Sev1 alerts page on-call in production only.
    on-call = each.key == "production" ? "pagerduty" : "slack"
  }
}

# Ops Dashboard: the static Vite bundle of apps/ops-dashboard (`npm run build` writes
# ops-dashboard/dist). `auto` puts a static export on Cloudflare Pages; in staging and
# production Cloudflare Access (Zero Trust) lets only the on-call team in, on every
# hostname the dashboard answers on, previews included. Branch previews, as the plan
# asks: each `preview_branches` entry gets its own deployment of the same build.
resource "platform_static_site" "ops_dashboard" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "ops-dashboard"
  source_dir  = "${path.module}/ops-dashboard/dist"

  preview_branches = each.key == "development" ? ["feature-preview"] : []
  env = {
    VITE_SCORING_API_URL = platform_api_service.scoring[each.key].url
  }

  dynamic "access_policy" {
    for_each = each.key == "development" ? [] : [1]
    content {
      email_domains = ["phishsentry.example"]
      emails        = ["oncall@pager.example"]
    }
  }
}

# Scoring API: a long-running Node service. Production runs it active-active in two
# regions, which only Fly.io does, so `auto` places it there. It reads the shared
# database, which Fly.io reaches over WireGuard peering to the VPC; `terraform plan`
# warns that this provider does not set that peering up.
resource "platform_api_service" "scoring" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "scoring-api"
  # Development has one region, where `auto` would pick Fargate for the database access;
  # the hosting plan puts the Scoring API on Fly.io everywhere, so development says so.
  host    = length(each.value.scoring_regions) > 1 ? "auto" : "fly"
  image   = "registry.fly.io/phishsentry-scoring-api:1.0.0"
  port    = 8080
  cpu     = "1"
  memory  = "1GB"
  regions = each.value.scoring_regions

  requirements {
    long_lived_connections = true
    private_network_access = true
  }

  health_check {
    path = "/healthz"
  }

  env = {
    NODE_ENV  = each.key == "development" ? "development" : "production"
    LOG_LEVEL = each.key == "production" ? "info" : "debug"
  }
  # Set on the Fly app with `fly secrets set DATABASE_URL=...`, synced from Vault.
  secrets = {
    DATABASE_URL = "secret://DATABASE_URL"
  }
}

# Model Engine: Python inference, CPU-heavy and with background jobs, reaching the
# database privately: `auto` places it on ECS Fargate, autoscaling within the tier's
# limits (2-10 tasks in production).
# Not yet expressible: GPU inference and SageMaker endpoints (Fargate has no GPUs).
resource "platform_api_service" "model_engine" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "model-engine"
  image       = "${var.aws_account_id}.dkr.ecr.${var.region}.amazonaws.com/phishsentry-model-engine:1.0.0"
  port        = 8000
  cpu         = each.value.model_cpu
  memory      = each.value.model_memory

  requirements {
    cpu_ms_per_request     = 2000
    background_work        = true
    private_network_access = true
  }

  health_check {
    path = "/health"
  }

  secrets = {
    DATABASE_URL = "${local.secret_arn_prefix}/${each.value.name}/database-url-AbCdEf"
  }
}

# Browser extension telemetry ingress: a small edge script that authenticates payloads
# and forwards them to the Scoring API. `auto` places a script on Cloudflare Workers.
# Not yet expressible: D1 and Durable Objects bindings, Cloudflare WAF rules and bot
# mitigation, and the mutual TLS to the backends (Vault-issued certificates).
resource "platform_api_service" "telemetry_ingress" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "telemetry-ingress"
  script      = file("${path.module}/worker.js")

  requirements {
    cpu_ms_per_request = 10
    memory_mb          = 64
  }

  env = {
    SCORING_API_URL = platform_api_service.scoring[each.key].url
  }
  # Set with `wrangler secret put INGRESS_SIGNING_KEY`.
  secrets = {
    INGRESS_SIGNING_KEY = "secret://INGRESS_SIGNING_KEY"
  }
}

# The shared PostgreSQL, encrypted with automated backups in every environment. The
# production tier adds Multi-AZ, 30-day backups (point-in-time restore to any second,
# which covers the hosting plan's hourly snapshots) and deletion protection.
# Not yet expressible: ephemeral per-branch development databases on Neon or Supabase;
# this stack gives development one small shared RDS database instead.
resource "platform_database" "shared" {
  for_each = local.environments

  environment    = platform_environment.this[each.key].context
  name           = "shared"
  engine_version = "16"
  read_replicas  = each.value.replicas

  allow_replacement   = var.decommission
  deletion_protection = var.decommission ? false : null
}

output "urls" {
  description = "Where the Fly.io and Workers services and the Ops Dashboard answer, by environment."
  value = {
    for env in keys(local.environments) : env => {
      scoring_api       = platform_api_service.scoring[env].url
      telemetry_ingress = platform_api_service.telemetry_ingress[env].url
      ops_dashboard     = platform_static_site.ops_dashboard[env].url
    }
  }
}

output "placement" {
  description = "Where each service runs, and why."
  value = {
    for env in keys(local.environments) : env => {
      scoring_api       = "${platform_api_service.scoring[env].resolved_host}: ${platform_api_service.scoring[env].placement_reason}"
      model_engine      = "${platform_api_service.model_engine[env].resolved_host}: ${platform_api_service.model_engine[env].placement_reason}"
      telemetry_ingress = "${platform_api_service.telemetry_ingress[env].resolved_host}: ${platform_api_service.telemetry_ingress[env].placement_reason}"
      ops_dashboard     = "${platform_static_site.ops_dashboard[env].resolved_host}: ${platform_static_site.ops_dashboard[env].placement_reason}"
    }
  }
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of each environment, from the provider's dated price tables, summed in whole cents so it prints exact cents."
  value = {
    for env in keys(local.environments) : env => sum([
      platform_environment.this[env].estimated_monthly_cost_cents,
      platform_api_service.scoring[env].estimated_monthly_cost_cents,
      platform_api_service.model_engine[env].estimated_monthly_cost_cents,
      platform_api_service.telemetry_ingress[env].estimated_monthly_cost_cents,
      platform_database.shared[env].estimated_monthly_cost_cents,
      platform_static_site.ops_dashboard[env].estimated_monthly_cost_cents,
    ]) / 100
  }
}

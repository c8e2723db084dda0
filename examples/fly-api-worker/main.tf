# A Next.js product with its backend split in two: an HTTP API on Fly.io and a background
# worker, both on one PostgreSQL database secured with row-level security.
#
#   Next.js frontend              -> Vercel (server-rendered; previews in staging)
#   Backend API                   -> Fly.io Machines (or AWS ECS Fargate: var.api_host)
#   Worker services (jobs)        -> AWS ECS Fargate
#   PostgreSQL (RLS, pooling)     -> AWS RDS
#
# The hosting plan's deployment config lets the backend be `fly` or `aws`; `api_host` is
# that switch. Secrets come from AWS Secrets Manager in staging and production.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

provider "platform" {
  default_tags = {
    managed-in = "infra/terraform"
  }
}

variable "region" {
  description = "AWS region of every environment."
  type        = string
  default     = "us-east-1"
}

variable "api_host" {
  description = "Where the backend API runs: `fly` (the hosting plan's first choice) or `aws_fargate`."
  type        = string
  default     = "fly"

  validation {
    condition     = contains(["fly", "aws_fargate"], var.api_host)
    error_message = "The api_host must be \"fly\" or \"aws_fargate\", the two backends of the hosting plan."
  }
}

variable "subnet_ids" {
  description = "Private subnets for Fargate tasks, by environment."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000a1", "subnet-0a0000000000000a2"]
    staging     = ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"]
    production  = ["subnet-0c0000000000000c1", "subnet-0c0000000000000c2"]
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

variable "image_tag" {
  description = "Version of the API and worker images."
  type        = string
  default     = "1.0.0"
}

variable "decommission" {
  description = "Lifts the production databases' delete guards (`allow_replacement = true`, `deletion_protection = false`): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
}

locals {
  # The hosting plan's environment names.
  environments = {
    development = "dev"
    staging     = "staging"
    production  = "prod"
  }

  secret_names = ["DATABASE_URL", "JWT_SECRET"]

  # Fargate reads Secrets Manager itself; Fly.io reads secrets set on the app, which the
  # deploy job copies from Secrets Manager with `fly secrets set`.
  api_secrets = {
    for env, name in local.environments : env => {
      for secret in local.secret_names : secret => var.api_host == "fly" ? "secret://${secret}" : "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:${name}/${lower(secret)}-AbCdEf"
    }
  }
}

resource "platform_environment" "this" {
  for_each = local.environments

  name   = each.value
  tier   = each.key
  region = var.region

  network {
    subnet_ids         = var.subnet_ids[each.key]
    security_group_ids = var.security_group_ids[each.key]
  }
}

# The Next.js frontend, server-rendered: `auto` places it on Vercel, which builds the app
# in ./web and runs its server side. Staging also gets a preview deployment of the
# `develop` branch, the plan's "Vercel Preview".
resource "platform_static_site" "web" {
  for_each = local.environments

  environment      = platform_environment.this[each.key].context
  name             = "web"
  framework        = "nextjs"
  source_dir       = "${path.module}/web"
  preview_branches = each.key == "staging" ? ["develop"] : []
  env = {
    NEXT_PUBLIC_API_URL = coalesce(platform_api_service.api[each.key].url, "https://api.invalid")
  }
}

# The backend API. It reads the database, so `auto` would choose Fargate; the hosting
# plan names Fly.io, so `host` says so, and `terraform plan` warns that Fly.io reaches
# RDS only through WireGuard peering to the VPC, which this provider does not set up.
resource "platform_api_service" "api" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "api"
  host        = var.api_host
  image       = "ghcr.io/example/backend-api:${var.image_tag}"
  port        = 8080
  # A size both hosts offer: shared-cpu-1x on Fly.io, 1 vCPU / 2 GB on Fargate.
  cpu    = "1"
  memory = "2GB"

  requirements {
    private_network_access = true
  }

  health_check {
    path = "/health"
  }

  access = var.api_host == "aws_fargate" ? [platform_queue.jobs[each.key].grants.send] : []

  env = {
    APP_ENV = each.value
  }
  secrets = local.api_secrets[each.key]
}

# The worker services run background jobs: `auto` places them on ECS Fargate, in the
# database's VPC.
# The job queue between the API and the worker: SQS, with a dead-letter queue after the
# tier's 5 failed receives. The worker may consume it; an API on Fargate may send to it
# (`access` is for Fargate: on Fly.io the API sends with keys set as Fly.io secrets).
resource "platform_queue" "jobs" {
  for_each = local.environments

  environment                = platform_environment.this[each.key].context
  name                       = "jobs"
  visibility_timeout_seconds = 300
}

resource "platform_api_service" "worker" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "worker"
  image       = "ghcr.io/example/backend-worker:${var.image_tag}"
  cpu         = "0.5"
  memory      = "1GB"

  requirements {
    background_work        = true
    private_network_access = true
  }

  access = [platform_queue.jobs[each.key].grants.consume]

  env = {
    APP_ENV = each.value
    # Known once the queue exists: the plan shows the worker all the same, with the
    # environment's digest pending.
    JOBS_QUEUE_URL = platform_queue.jobs[each.key].url
  }
  secrets = {
    DATABASE_URL = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:${each.value}/database_url-AbCdEf"
  }
}

# PostgreSQL with the tier's backups, encryption and (production) Multi-AZ. Row-level
# security is part of the schema, not of the hosting.
# Not yet expressible: Supabase as the backend (its Postgres, auth and APIs), and
# connection pooling (PgBouncer, Supavisor or RDS Proxy).
resource "platform_database" "main" {
  for_each = local.environments

  environment    = platform_environment.this[each.key].context
  name           = "main"
  engine_version = "16"

  allow_replacement   = var.decommission
  deletion_protection = var.decommission ? false : null
}

output "web_urls" {
  description = "Where the Next.js frontend answers, known at plan time."
  value       = { for env, site in platform_static_site.web : env => site.url }
}

output "api_urls" {
  description = "Where the API answers (Fly.io); null on Fargate, which has no load balancer here."
  value       = { for env, svc in platform_api_service.api : env => svc.url }
}

output "placement" {
  description = "Where each service runs, and why."
  value = {
    for env in keys(local.environments) : env => {
      api    = "${platform_api_service.api[env].resolved_host}: ${platform_api_service.api[env].placement_reason}"
      worker = "${platform_api_service.worker[env].resolved_host}: ${platform_api_service.worker[env].placement_reason}"
      web    = "${platform_static_site.web[env].resolved_host}: ${platform_static_site.web[env].placement_reason}"
    }
  }
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of each environment, from the provider's dated price tables, summed in whole cents so it prints exact cents."
  value = {
    for env in keys(local.environments) : env => sum([
      platform_environment.this[env].estimated_monthly_cost_cents,
      platform_api_service.api[env].estimated_monthly_cost_cents,
      platform_api_service.worker[env].estimated_monthly_cost_cents,
      platform_queue.jobs[env].estimated_monthly_cost_cents,
      platform_database.main[env].estimated_monthly_cost_cents,
      platform_static_site.web[env].estimated_monthly_cost_cents,
    ]) / 100
  }
}

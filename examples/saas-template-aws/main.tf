# A SaaS application template's AWS deployment (the alternative to its Azure one): a
# containerised app service behind a load balancer, PostgreSQL with read replicas for
# reporting, and a disaster-recovery copy in a second region.
#
#   App service (container)       -> AWS ECS Fargate, 2-20 instances in production, behind
#                                    the environment's load balancer (HTTPS, its own
#                                    certificate, app.<domain>)
#   PostgreSQL                    -> AWS RDS, sized per environment like the Azure tiers;
#                                    Multi-AZ, 35-day point-in-time restore in production
#
# Azure's PostgreSQL tiers map to the RDS classes with the same cores and memory:
# B_Gen5_1 (1 core, 2 GB) -> db.t3.small, GP_Gen5_2 (2 cores, 8 GB) -> db.m6g.large,
# GP_Gen5_4 (4 cores, 16 GB) -> db.m6g.xlarge.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

provider "platform" {
  default_tags = {
    cost-center = "saas-template"
  }
}

variable "region" {
  description = "AWS region of every environment."
  type        = string
  default     = "us-east-1"
}

variable "dr_region" {
  description = "Second region for the production database's asynchronous replica (regional outage)."
  type        = string
  default     = "eu-west-1"
}

# The application subnets: private, outbound through NAT only.
variable "subnet_ids" {
  description = "Private application subnets for Fargate tasks, by environment."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000a1", "subnet-0a0000000000000a2"]
    staging     = ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"]
    production  = ["subnet-0c0000000000000c1", "subnet-0c0000000000000c2", "subnet-0c0000000000000c3"]
  }
}

# The load balancer's subnets: public, in two Availability Zones.
variable "public_subnet_ids" {
  description = "Public subnets for each environment's load balancer, by environment."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000b1", "subnet-0a0000000000000b2"]
    staging     = ["subnet-0b0000000000000c1", "subnet-0b0000000000000c2"]
    production  = ["subnet-0c0000000000000d1", "subnet-0c0000000000000d2"]
  }
}

variable "domain" {
  description = "The product's domain: production serves app.<domain>, the others app.<environment>.<domain>."
  type        = string
  default     = "saas-template.example"
}

variable "hosted_zone_id" {
  description = "The Route 53 hosted zone of `domain`: certificates are validated and app records made there."
  type        = string
  default     = "Z0EXAMPLE0000000000"
}

# In from the load balancer only; out to PostgreSQL (5432), Redis (6379) and HTTPS.
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

variable "image" {
  description = "The app service's container image."
  type        = string
  default     = "ghcr.io/example/saas-app:1.0.0"
}

variable "decommission" {
  description = "Lifts the production guards (the databases', buckets' and caches' `allow_replacement = true`, the databases' `deletion_protection = false`, the load balancer's deletion protection): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
}

locals {
  # Terraform workspaces `template-{env}` in the hosting plan.
  environments = {
    development = {
      name        = "template-dev"
      min         = 1
      max         = 2
      db_class    = "db.t3.small"
      backup_days = 7
      replicas    = []
    }
    staging = {
      name        = "template-staging"
      min         = 1
      max         = 4
      db_class    = "db.m6g.large"
      backup_days = 7
      # Read replica for reporting (staging and up), in the primary's region.
      replicas = [{ region = var.region }]
    }
    production = {
      name = "template-prod"
      # Two instances always running; at most 20, the cost limit.
      min         = 2
      max         = 20
      db_class    = "db.m6g.xlarge"
      backup_days = 35
      # Reporting replica, and an asynchronous copy in a second region to fail over to.
      replicas = [{ region = var.region }, { region = var.dr_region }]
    }
  }
}

resource "platform_environment" "this" {
  for_each = local.environments

  name   = each.value.name
  tier   = each.key
  region = var.region

  network {
    subnet_ids         = var.subnet_ids[each.key]
    security_group_ids = var.security_group_ids[each.key]
    public_subnet_ids  = var.public_subnet_ids[each.key]
  }

  # One load balancer per environment, TLS with an ACM certificate for *.<its domain>;
  # deletion protection in production (the tier), lifted only to decommission.
  ingress {
    domain              = each.key == "production" ? var.domain : "${each.key}.${var.domain}"
    hosted_zone_id      = var.hosted_zone_id
    deletion_protection = var.decommission ? false : null
  }

  # 30 days of logs, the hosting plan's rolling window, in every environment.
  policy {
    log_retention_days = 30
  }
}

# The app service reaches PostgreSQL, Redis and the queue inside the VPC, so `auto` places
# it on ECS Fargate, behind its environment's load balancer at app.<domain>, probed on
# /health. Autoscaling tracks 70 % CPU (the hosting plan adds an instance above 70 %);
# the container health check runs every 30 seconds.
# Not yet expressible: WAF rules, DDoS protection and rate limiting at the load balancer;
# SNS fan-out.
resource "platform_api_service" "app" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "app"
  image       = var.image
  port        = 8080
  cpu         = each.key == "production" ? "1 vCPU" : "0.5"
  memory      = each.key == "production" ? "2GB" : "1GB"

  requirements {
    private_network_access = true
  }

  scaling {
    min                = each.value.min
    max                = each.value.max
    target_cpu_percent = 70
  }

  health_check {
    path             = "/health"
    interval_seconds = 30
  }

  ingress {}

  # The app queues its async tasks (email and SMS sending) and works them off itself, and
  # keeps user files in S3: its task role allows exactly that.
  access = [
    platform_queue.tasks[each.key].grants.send,
    platform_queue.tasks[each.key].grants.consume,
    platform_bucket.files[each.key].grants.read_write,
  ]

  env = {
    APP_ENV      = each.key
    TASKS_QUEUE  = platform_queue.tasks[each.key].queue_name
    FILES_BUCKET = platform_bucket.files[each.key].bucket
    REDIS_HOST   = platform_cache.sessions[each.key].endpoint
  }
  secrets = {
    DATABASE_URL = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:${each.value.name}/database-url-AbCdEf"
    REDIS_AUTH   = platform_cache.sessions[each.key].auth_secret_arn
  }
}

# Async tasks (email and SMS sending) on SQS, retried up to the tier's 5 receives before
# the dead-letter queue; user files on S3 (versioned outside development; temporary files under
# `tmp/` deleted after a week).
# Sessions, tokens and rate limiters in Redis: the tier's node, replicas and snapshots.
resource "platform_cache" "sessions" {
  for_each = local.environments

  environment       = platform_environment.this[each.key].context
  name              = "sessions"
  allow_replacement = var.decommission
}

resource "platform_queue" "tasks" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "tasks"
}

resource "platform_bucket" "files" {
  for_each = local.environments

  environment       = platform_environment.this[each.key].context
  name              = "files"
  allow_replacement = var.decommission

  lifecycle_rule {
    prefix            = "tmp/"
    expire_after_days = 7
  }
}

# PostgreSQL: daily automated backups with point-in-time restore, encrypted at rest;
# Multi-AZ with automatic failover and deletion protection in production (from the tier).
# Not yet expressible: weekly full backups kept a year and monthly archives to cold
# storage (AWS Backup plans), and PgBouncer connection pooling.
resource "platform_database" "main" {
  for_each = local.environments

  environment           = platform_environment.this[each.key].context
  name                  = "main"
  engine_version        = "16"
  instance_class        = each.value.db_class
  backup_retention_days = each.value.backup_days
  read_replicas         = each.value.replicas
  allow_replacement     = var.decommission
  deletion_protection   = var.decommission ? false : null
}

output "urls" {
  description = "Where the app answers, known at plan time."
  value       = { for env, svc in platform_api_service.app : env => svc.url }
}

output "placement" {
  description = "Where the app service runs, and why."
  value       = { for env, svc in platform_api_service.app : env => "${svc.resolved_host}: ${svc.placement_reason}" }
}

output "database" {
  description = "Endpoints, known after apply."
  value = {
    for env, db in platform_database.main : env => {
      endpoint = db.endpoint
      replicas = db.replica_endpoints
    }
  }
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of each environment, from the provider's dated price tables, summed in whole cents so it prints exact cents (the load balancer's hours included; its traffic and SQS and S3 usage not)."
  value = {
    for env in keys(local.environments) : env => sum([
      platform_environment.this[env].estimated_monthly_cost_cents,
      platform_api_service.app[env].estimated_monthly_cost_cents,
      platform_queue.tasks[env].estimated_monthly_cost_cents,
      platform_bucket.files[env].estimated_monthly_cost_cents,
      platform_cache.sessions[env].estimated_monthly_cost_cents,
      platform_database.main[env].estimated_monthly_cost_cents,
    ]) / 100
  }
}

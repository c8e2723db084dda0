# Infrar: a Go platform API and its PostgreSQL on AWS, with production in the EU
# (eu-west-1, Ireland) for GDPR data residency.
#
#   infrar-platform API (Go)  -> AWS ECS Fargate, 2-10 tasks of 1 vCPU / 2 GB in production
#   OpenTofu executor         -> AWS ECS Fargate, 0-5 tasks of 2 vCPU / 4 GB from its job
#                                queue (production)
#   Pricing-data sync         -> AWS ECS Fargate task, daily at 02:00 UTC (production)
#   PostgreSQL                -> AWS RDS db.t3.medium Multi-AZ, 100 GB gp3, 30-day
#                                backups, read replica in us-east-1
#
# Staging lives in its own account in us-east-1, one small task and a db.t3.micro.
# Development is Docker Compose on laptops in the hosting plan; here it is the smallest
# cloud copy of the same stack, for integration work that needs real AWS.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

provider "platform" {
  default_tags = {
    project = "infrar"
  }
}

# Not yet expressible: one AWS account per environment. The provider takes its AWS
# credentials from the SDK chain and has no `assume_role` or `profile` per environment,
# so this single configuration plans all three with the same credentials; run it once
# per account (with the other environments removed) to keep the hosting plan's account
# split.

variable "region" {
  description = "AWS region of production and development (EU data residency)."
  type        = string
  default     = "eu-west-1"
}

variable "staging_region" {
  description = "AWS region of the staging account."
  type        = string
  default     = "us-east-1"
}

variable "replica_region" {
  description = "Region of the production database's read replica."
  type        = string
  default     = "us-east-1"
}

# Private subnets in three availability zones for production, two for staging.
variable "subnet_ids" {
  description = "Private subnets for Fargate tasks, by environment."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000a1", "subnet-0a0000000000000a2"]
    staging     = ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"]
    production  = ["subnet-0c0000000000000c1", "subnet-0c0000000000000c2", "subnet-0c0000000000000c3"]
  }
}

variable "public_subnet_ids" {
  description = "Public subnets, in two Availability Zones, for each environment's load balancer."
  type        = map(list(string))
  default = {
    development = ["subnet-0a0000000000000b1", "subnet-0a0000000000000b2"]
    staging     = ["subnet-0b0000000000000c1", "subnet-0b0000000000000c2"]
    production  = ["subnet-0c0000000000000d1", "subnet-0c0000000000000d2"]
  }
}

variable "domain" {
  description = "Infrar's domain: production's API answers at api.<domain>, the others' at api.<environment>.<domain>."
  type        = string
  default     = "infrar.io"
}

variable "hosted_zone_id" {
  description = "The Route 53 hosted zone of `domain`."
  type        = string
  default     = "Z0EXAMPLE0000000002"
}

# The "ECS" security group: 8080 in from the load balancer (the provider adds that rule
# for the load balancer's own group), 443 and 5432 out.
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
  description = "Account holding the images and the Secrets Manager secrets."
  type        = string
  default     = "123456789012"
}

variable "task_role_arn" {
  description = "infraPlatformTaskRole: what the platform's code may call (Secrets Manager, S3)."
  type        = string
  default     = "arn:aws:iam::123456789012:role/infraPlatformTaskRole"
}

variable "image_tag" {
  description = "Version of the infrar-platform and executor images to run."
  type        = string
  default     = "1.0.0"
}

variable "decommission" {
  description = "Lifts the production guards (the databases' `allow_replacement = true` and `deletion_protection = false`, the load balancer's deletion protection): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
}

locals {
  environments = {
    development = {
      name   = "dev"
      region = var.region
      # The smallest Fargate size, one task (Fargate Spot in development).
      api_cpu      = "0.25"
      api_memory   = "512"
      api_scaling  = { min = 1, max = 1 }
      db_class     = "db.t3.micro"
      db_storage   = "20GB"
      db_replicas  = []
      multi_az     = false
      backup_days  = 1
      db_protected = false
    }
    staging = {
      name         = "staging"
      region       = var.staging_region
      api_cpu      = "0.5"
      api_memory   = "1GB"
      api_scaling  = { min = 1, max = 1 }
      db_class     = "db.t3.micro"
      db_storage   = "20GB"
      db_replicas  = []
      multi_az     = false
      backup_days  = 7
      db_protected = false
    }
    production = {
      name         = "prod"
      region       = var.region
      api_cpu      = "1 vCPU"
      api_memory   = "2GB"
      api_scaling  = { min = 2, max = 10 }
      db_class     = "db.t3.medium"
      db_storage   = "100GB"
      db_replicas  = [{ region = var.replica_region }]
      multi_az     = true
      backup_days  = 30
      db_protected = true
    }
  }
}

resource "platform_environment" "this" {
  for_each = local.environments

  name   = each.value.name
  tier   = each.key
  region = each.value.region

  network {
    subnet_ids         = var.subnet_ids[each.key]
    security_group_ids = var.security_group_ids[each.key]
    public_subnet_ids  = var.public_subnet_ids[each.key]
  }

  # The Application Load Balancer with its ACM certificate (*.<its domain>, validated in
  # the hosted zone); deletion protection in production, lifted only to decommission.
  ingress {
    domain              = each.key == "production" ? var.domain : "${each.value.name}.${var.domain}"
    hosted_zone_id      = var.hosted_zone_id
    deletion_protection = var.decommission ? false : null
  }
}

# Not yet expressible: infrar-web, the Next.js static export on Cloudflare Pages
# (infrar.io, preview deployments per pull request; Vercel for staging). There is no
# static frontend hosting component yet.

# The infrar-platform API reaches RDS, Redis and Secrets Manager inside the VPC, so
# `auto` places it on ECS Fargate. Autoscaling tracks 70 % CPU with the tier's cooldowns
# (out 60 s, in 300 s), as the hosting plan's scaling policy says.
# It answers behind its environment's load balancer at api.infrar.io (production) and
# api.<environment>.infrar.io, probed on /health.
# Not yet expressible: WAF rate limiting; and the PgBouncer sidecar container.
resource "platform_api_service" "platform" {
  for_each = local.environments

  environment   = platform_environment.this[each.key].context
  name          = "platform-api"
  image         = "${var.aws_account_id}.dkr.ecr.${each.value.region}.amazonaws.com/infrar-platform:${var.image_tag}"
  port          = 8080
  cpu           = each.value.api_cpu
  memory        = each.value.api_memory
  task_role_arn = var.task_role_arn

  requirements {
    private_network_access = true
  }

  scaling {
    min                = each.value.api_scaling.min
    max                = each.value.api_scaling.max
    target_cpu_percent = 70
  }

  health_check {
    path             = "/health"
    interval_seconds = 30
  }

  ingress {
    hostname = "api.${each.key == "production" ? var.domain : "${each.value.name}.${var.domain}"}"
  }

  env = {
    ENVIRONMENT = each.key
    # Known only after apply: the plan shows the host, children and cost all the same,
    # with only the environment's digest pending.
    DATABASE_HOST = platform_database.main[each.key].endpoint
    # Not yet expressible: REDIS_URL, ElastiCache Redis (cache.t3.micro, one replica) for
    # sessions and rate limiting.
  }
  # The credentials live in Secrets Manager; services take references, never values.
  secrets = {
    DATABASE_URL      = "arn:aws:secretsmanager:${each.value.region}:${var.aws_account_id}:secret:/infrar/${each.value.name}/database/application-url-AbCdEf"
    JWT_SIGNING_KEY   = "arn:aws:secretsmanager:${each.value.region}:${var.aws_account_id}:secret:/infrar/${each.value.name}/jwt/signing-key-AbCdEf"
    STRIPE_SECRET_KEY = "arn:aws:secretsmanager:${each.value.region}:${var.aws_account_id}:secret:/infrar/${each.value.name}/api-keys/stripe-secret-key-AbCdEf"
  }
}

# The OpenTofu executor runs users' deployments in isolated tasks of 2 vCPU / 4 GB,
# production only as in the hosting plan: an ECS service at zero tasks that the depth of
# its job queue scales to one task per waiting deployment, at most five, and back to
# zero once the queue has been empty for five minutes.
# Not yet expressible: the queue itself (SQS; `platform_queue` is next), so its ARN is a
# variable; and the Container Builder, which needs a Docker daemon (privileged
# containers, not offered by Fargate).
resource "platform_job" "executor" {
  environment       = platform_environment.this["production"].context
  name              = "tofu-executor"
  image             = "${var.aws_account_id}.dkr.ecr.${var.region}.amazonaws.com/infrar-terraform-executor:${var.image_tag}"
  cpu               = "2 vCPU"
  memory            = "4GB"
  queue             = "arn:aws:sqs:${var.region}:${var.aws_account_id}:infrar-executor-jobs"
  messages_per_task = 1
  max               = 5

  secrets = {
    DATABASE_URL = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:/infrar/prod/database/application-url-AbCdEf"
  }
}

# The pricing-data sync, daily at 02:00 UTC: the platform image's sync command, started by
# EventBridge Scheduler. Its cost is 30.4 runs a month of about 15 minutes.
resource "platform_job" "pricing_sync" {
  environment              = platform_environment.this["production"].context
  name                     = "pricing-sync"
  image                    = "${var.aws_account_id}.dkr.ecr.${var.region}.amazonaws.com/infrar-platform:${var.image_tag}"
  command                  = ["/app/infrar-platform", "sync-pricing"]
  cpu                      = "0.5"
  memory                   = "1GB"
  schedule                 = "cron(0 2 * * ? *)"
  expected_runtime_minutes = 15

  env = {
    ENVIRONMENT   = "production"
    DATABASE_HOST = platform_database.main["production"].endpoint
  }
  secrets = {
    DATABASE_URL = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:/infrar/prod/database/application-url-AbCdEf"
  }
}

# PostgreSQL with every setting the hosting plan names stated here, although each
# equals the tier's default: its numbers then hold if a tier default ever changes. Encrypted
# at rest (AES-256) in every tier.
# Not yet expressible: storage autoscaling up to 500 GB, IAM database authentication,
# Performance Insights, enhanced monitoring, the Sunday 03:00 UTC maintenance window and
# 90-day password rotation.
resource "platform_database" "main" {
  for_each = local.environments

  environment           = platform_environment.this[each.key].context
  name                  = "main"
  engine_version        = "15"
  instance_class        = each.value.db_class
  storage_gb            = each.value.db_storage
  multi_az              = each.value.multi_az
  backup_retention_days = each.value.backup_days
  deletion_protection   = var.decommission ? false : each.value.db_protected
  read_replicas         = each.value.db_replicas
  allow_replacement     = var.decommission
}

# Not yet expressible: the S3 buckets (uploads with versioning and 90-day expiry,
# artifacts to Glacier after 30 days, logs expiring after 30 days), the Secrets Manager
# secrets themselves, CloudWatch alarms and dashboards, the VPC with its NAT gateways,
# and ECR repositories.

output "api_urls" {
  description = "Where the platform API answers, known at plan time."
  value       = { for env, svc in platform_api_service.platform : env => svc.url }
}

output "placement" {
  description = "Where each service runs, and why."
  value = merge(
    { for env, svc in platform_api_service.platform : "${env}/platform-api" => "${svc.resolved_host}: ${svc.placement_reason}" },
  )
}

output "jobs" {
  description = "What starts each job: the pricing sync's schedule, the executor's queue scaling, and the command that runs either once by hand."
  value = {
    "production/pricing-sync" = {
      schedule = platform_job.pricing_sync.schedule_meaning
      run_now  = platform_job.pricing_sync.run_task_command
    }
    "production/tofu-executor" = {
      trigger = platform_job.executor.trigger
      run_now = platform_job.executor.run_task_command
    }
  }
}

output "database" {
  description = "Endpoints and the master password's secret, known after apply."
  value = {
    for env, db in platform_database.main : env => {
      endpoint   = db.endpoint
      secret_arn = db.master_user_secret_arn
      replicas   = db.replica_endpoints
    }
  }
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of each environment, from the provider's dated price tables, summed in whole cents so it prints exact cents (the load balancer's hours and the pricing sync's runs included; the load balancer's traffic (LCUs), the executor's tasks (started by the queue), NAT, Redis and S3 not)."
  value = {
    for env in keys(local.environments) : env => sum([
      platform_environment.this[env].estimated_monthly_cost_cents,
      platform_api_service.platform[env].estimated_monthly_cost_cents,
      env == "production" ? platform_job.executor.estimated_monthly_cost_cents + platform_job.pricing_sync.estimated_monthly_cost_cents : 0,
      platform_database.main[env].estimated_monthly_cost_cents,
    ]) / 100
  }
}

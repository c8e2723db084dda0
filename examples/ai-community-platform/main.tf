# AI Community Platform, MVP architecture: one Node.js/Next.js monolith in a container
# on AWS, and PostgreSQL with pgvector for the AI features (embeddings, similarity search).
#
#   Web app (Next.js monolith)    -> AWS ECS Fargate, behind the environment's load balancer
#                                    (HTTPS with an ACM certificate, Route 53 alias)
#   PostgreSQL + pgvector         -> AWS RDS, Multi-AZ in production, 7-day backups
#
# Staging is a full copy of production with its own database. Development is Docker
# Compose on laptops in the hosting plan; here it is the smallest cloud copy of the same
# stack. The hosting plan's scale-up architecture (EKS, microservices) comes later.

terraform {
  required_providers {
    platform = {
      source = "hostmatrix/platform"
    }
  }
}

provider "platform" {
  default_tags = {
    project = "ai-community-platform"
  }
}

variable "region" {
  description = "AWS region of every environment."
  type        = string
  default     = "us-east-1"
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
  description = "The community's domain: production serves web.<domain>, the others web.<environment>.<domain>."
  type        = string
  default     = "ai-community.example"
}

variable "hosted_zone_id" {
  description = "The Route 53 hosted zone of `domain`."
  type        = string
  default     = "Z0EXAMPLE0000000001"
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
  description = "Account holding the image and the Secrets Manager secrets."
  type        = string
  default     = "123456789012"
}

variable "image" {
  description = "The monolith's container image."
  type        = string
  default     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ai-community-platform:1.0.0"
}

variable "decommission" {
  description = "Lifts the production guards (the databases', buckets' and caches' `allow_replacement = true`, the databases' `deletion_protection = false`, the load balancer's deletion protection): apply with it, then `terraform destroy -var decommission=true`."
  type        = bool
  default     = false
}

locals {
  environments = {
    development = {
      name   = "dev"
      cpu    = "0.5"
      memory = "1GB"
      db     = "small"
    }
    # "Full environment identical to production": the same sizes and a Multi-AZ database,
    # with staging's smaller instance counts.
    staging = {
      name   = "staging"
      cpu    = "1 vCPU"
      memory = "2GB"
      db     = "medium"
    }
    production = {
      name   = "prod"
      cpu    = "1 vCPU"
      memory = "2GB"
      db     = "medium"
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

  # The load balancer terminating TLS (an ACM certificate for *.<its domain>, validated in
  # the hosted zone); deletion protection in production, lifted only to decommission.
  ingress {
    domain              = each.key == "production" ? var.domain : "${each.key}.${var.domain}"
    hosted_zone_id      = var.hosted_zone_id
    deletion_protection = var.decommission ? false : null
  }

  # Staging mirrors production's database availability; the MVP keeps 7 days of backups
  # in both (production's tier default would be 30).
  dynamic "policy" {
    for_each = each.key == "development" ? [] : [each.key]
    content {
      multi_az              = true
      backup_retention_days = 7
    }
  }
}

# The monolith reaches PostgreSQL and Redis inside the VPC, so `auto` places it on ECS
# Fargate; it autoscales on CPU within the tier's limits (2-10 tasks in production).
# Its BullMQ background jobs run in the same process. It answers behind the load balancer
# at web.<domain>, which probes /api/health.
# Not yet expressible: SES for newsletters and transactional email.
resource "platform_api_service" "web" {
  for_each = local.environments

  environment = platform_environment.this[each.key].context
  name        = "web"
  image       = var.image
  port        = 3000
  cpu         = each.value.cpu
  memory      = each.value.memory

  requirements {
    private_network_access = true
  }

  health_check {
    path = "/api/health"
  }

  ingress {}

  # User uploads: read and write on exactly the uploads bucket.
  access = [platform_bucket.uploads[each.key].grants.read_write]

  env = {
    NODE_ENV       = "production"
    APP_ENV        = each.key
    UPLOADS_BUCKET = platform_bucket.uploads[each.key].bucket
    REDIS_HOST     = platform_cache.jobs[each.key].endpoint
  }
  secrets = {
    DATABASE_URL   = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:ai-community/${each.value.name}/database-url-AbCdEf"
    OPENAI_API_KEY = "arn:aws:secretsmanager:${var.region}:${var.aws_account_id}:secret:ai-community/${each.value.name}/openai-api-key-AbCdEf"
    REDIS_AUTH     = platform_cache.jobs[each.key].auth_secret_arn
  }
}

# Redis for the BullMQ job queue and the query cache. BullMQ needs `noeviction`: an
# evicted job key is a lost job. Node, replicas and snapshots come from the tier.
resource "platform_cache" "jobs" {
  for_each = local.environments

  environment       = platform_environment.this[each.key].context
  name              = "jobs"
  maxmemory_policy  = "noeviction"
  allow_replacement = var.decommission
}

# User uploads on S3, versioned in every tier as the hosting plan asks (the tier's default
# leaves development unversioned).
resource "platform_bucket" "uploads" {
  for_each = local.environments

  environment       = platform_environment.this[each.key].context
  name              = "uploads"
  versioning        = true
  allow_replacement = var.decommission
}

# PostgreSQL with pgvector (PostgreSQL 16; pgvector needs at least 15.2). Automated daily
# snapshots with point-in-time restore, encryption and, in production, deletion protection
# come from the tier.
# Not yet expressible: copying snapshots to another region for disaster recovery
# (cross-region automated backup replication).
resource "platform_database" "main" {
  for_each = local.environments

  environment    = platform_environment.this[each.key].context
  name           = "main"
  engine_version = "16"
  extensions     = ["vector"]
  size           = each.value.db

  allow_replacement   = var.decommission
  deletion_protection = var.decommission ? false : null
}

output "placement" {
  description = "Where the web app runs, and why."
  value       = { for env, svc in platform_api_service.web : env => "${svc.resolved_host}: ${svc.placement_reason}" }
}

output "urls" {
  description = "Where the web app answers, known at plan time."
  value       = { for env, svc in platform_api_service.web : env => svc.url }
}

output "database_endpoints" {
  description = "Known after apply."
  value       = { for env, db in platform_database.main : env => db.endpoint }
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of each environment, from the provider's dated price tables, summed in whole cents so it prints exact cents (the load balancer's hours included; its traffic (LCUs), S3 usage and SES not)."
  value = {
    for env in keys(local.environments) : env => sum([
      platform_environment.this[env].estimated_monthly_cost_cents,
      platform_api_service.web[env].estimated_monthly_cost_cents,
      platform_bucket.uploads[env].estimated_monthly_cost_cents,
      platform_cache.jobs[env].estimated_monthly_cost_cents,
      platform_database.main[env].estimated_monthly_cost_cents,
    ]) / 100
  }
}

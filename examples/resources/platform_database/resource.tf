resource "platform_environment" "production" {
  name   = "prod"
  tier   = "production"
  region = "eu-west-1"
}

# Multi-AZ, 30-day backups and deletion protection come from the production tier.
resource "platform_database" "shared" {
  environment    = platform_environment.production.context
  name           = "shared"
  engine_version = "16"
  extensions     = ["vector"]
  size           = "medium"
  storage_gb     = "100GB"
  read_replicas  = [{ region = "us-east-1" }]
}

output "database" {
  value = {
    endpoint     = platform_database.shared.endpoint
    secret_arn   = platform_database.shared.master_user_secret_arn
    replicas     = platform_database.shared.replica_endpoints
    monthly_cost = platform_database.shared.estimated_monthly_cost_usd
  }
}

resource "platform_environment" "production" {
  name   = "prod"
  tier   = "production"
  region = "eu-west-1"

  network {
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }

  # Overrides of the tier's defaults: context.policy carries these, and the children of the
  # services and databases show each value they inherit with source `environment`.
  policy {
    max_instances      = 12
    log_retention_days = 90
  }

  tags = {
    team = "scoring"
  }
}

# Services and databases inherit the environment's policy through its context.
output "production_context" {
  value = platform_environment.production.context
}

# The import ID is `<environment>/<service>`.
terraform import platform_api_service.scoring prod/scoring

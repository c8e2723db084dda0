# The import ID is the environment name; the cluster is looked up in the provider's region.
terraform import platform_environment.production prod

# The import ID is `<environment>/<database>`.
terraform import platform_database.shared prod/shared

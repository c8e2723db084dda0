# Where would a WebSocket gateway that runs in two regions go, and why?
data "platform_hosting_matrix" "gateway" {
  requirements {
    long_lived_connections = true
    multi_region           = true
  }
}

output "gateway_host" {
  value = "${data.platform_hosting_matrix.gateway.resolved_host}: ${data.platform_hosting_matrix.gateway.placement_reason}"
}

# The whole matrix: every component kind of the hosting plans, its host and the reason.
output "matrix" {
  value = data.platform_hosting_matrix.gateway.rows
}

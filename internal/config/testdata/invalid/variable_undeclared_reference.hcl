host "web1" {
  address = var.web1_address # ERROR: Unsupported attribute
}

variable "vrrp_password" { # ERROR: No value for required variable
  sensitive = true
}

host "web1" {
  address = "192.168.19.101"
}

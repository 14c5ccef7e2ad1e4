# Raw lines are shown as they are in plans: no sensitive value in them,
# by reference or by value, and no auth_pass.
variable "token" {
  type      = string
  sensitive = true
  default   = "Zq7tokenX"
}

keepalived {
  raw = var.token # ERROR: Sensitive value in raw lines
}

host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100/24"]
  auth_pass         = "pw4vrrp"
  raw               = <<-EOT
    garp_master_refresh 10
    notify_deleted "/usr/local/bin/deleted Zq7tokenX" # ERROR: Secret in raw lines
  EOT
  member "dir" {
    priority = 100
  }
}

vrrp_instance "VI_2" {
  interface         = "ens33"
  virtual_router_id = 52
  virtual_ips       = ["192.168.19.200/24"]
  raw               = <<-EOT
    notify_deleted "/usr/local/bin/deleted pw4vrrp" # ERROR: Secret in raw lines
  EOT
  member "dir" {
    priority = 100
  }
}

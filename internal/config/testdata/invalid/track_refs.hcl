# track_process and track_file name declared blocks, with valid values.
host "lb1" {
  interface "eth0" {
    addresses = ["192.168.50.11/24"]
  }
}

track_process "web" {
  process = "nginx; reboot" # ERROR: Invalid process name
  quorum  = 0               # ERROR: Value out of range
}

track_file "maint" {
  file = "/var/run/../maint" # ERROR: Invalid path
}

vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  virtual_ips       = ["192.168.50.100/24"]
  track_process     = [track_process.wbe] # ERROR: Reference to undeclared track_process
  track_file        = [track_file.maint]
  member "lb1" { priority = 100 }
}

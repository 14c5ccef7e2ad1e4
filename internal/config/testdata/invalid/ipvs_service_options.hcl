# Scheduler flags must belong to the scheduler; one_packet is for UDP;
# persistence_engine needs persistence and is sip only.
host "dir" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

virtual_server "web" {
  address            = "192.168.19.100:80"
  scheduler          = "wlc"
  scheduler_flags    = ["flag-1", "sh-port"] # ERROR: Invalid scheduler flag
  one_packet         = true                  # ERROR: one_packet needs UDP
  persistence_engine = "sip"                 # ERROR: persistence_engine without persistence
  directors          = [host.dir]

  real_server "192.168.19.102" {}
}

virtual_server "dns" {
  address            = "192.168.19.100:53"
  protocol           = "udp"
  scheduler          = "sh"
  scheduler_flags    = ["sh-fallback", "flag-1"] # ERROR: Duplicate scheduler flag
  persistence        = 60
  persistence_engine = "h323" # ERROR: Unknown persistence engine
  directors          = [host.dir]

  real_server "192.168.19.102" {}
}

# Lab A of the seed (sections 18.3-18.5): two nginx servers made highly
# available by keepalived. 192.168.19.101 is MASTER (priority 100),
# 192.168.19.102 is BACKUP (priority 90); they share the virtual IP
# 192.168.19.100 on ens33 (VRID 51, advert every second).

# The seed's keepalived.conf sets `auth_pass aminglinux>com`. keepalived
# keeps only the first 8 characters of auth_pass (VRRP's simple-text
# authentication field is 8 octets) and silently drops the rest, so what the
# two nodes actually compare is "aminglin". clusterctl rejects passwords
# longer than 8 characters instead of truncating them behind your back;
# the default below is the value the seed's nodes really used.
# Set your own with -var vrrp_password=... or CLUSTERCTL_VAR_vrrp_password.
variable "vrrp_password" {
  type        = string
  sensitive   = true
  default     = "aminglin"
  description = "VRRP PASS authentication (at most 8 characters)"
}

defaults {
  user = "root"
}

# The seed's global_defs.
keepalived {
  router_id               = "LVS_DEVEL"
  notification_email      = ["aming@aminglinux.com"]
  notification_email_from = "root@aminglinux.com"
  smtp_server             = "127.0.0.1"
  smtp_connect_timeout    = 30
}

host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
  packages = ["nginx"]
  services = ["nginx"]
  # The seed tells the two nginx apart (curl -I shows their versions);
  # here each serves a page naming itself, so curl http://192.168.19.100/
  # shows which node holds the VIP. Debian's nginx serves /var/www/html,
  # CentOS's /usr/share/nginx/html.
  file "/var/www/html/index.html" {
    content = "web1 192.168.19.101\n"
  }
  file "/usr/share/nginx/html/index.html" {
    content = "web1 192.168.19.101\n"
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  packages = ["nginx"]
  services = ["nginx"]
  # The seed tells the two nginx apart (curl -I shows their versions);
  # here each serves a page naming itself, so curl http://192.168.19.100/
  # shows which node holds the VIP. Debian's nginx serves /var/www/html,
  # CentOS's /usr/share/nginx/html.
  file "/var/www/html/index.html" {
    content = "web2 192.168.19.102\n"
  }
  file "/usr/share/nginx/html/index.html" {
    content = "web2 192.168.19.102\n"
  }
}

# check_ng.sh: count nginx processes; if there are none, start nginx; if it
# still is not running, log "nginx down,keepalived will stop" and stop
# keepalived so that the peer takes the VIP. The seed's master starts nginx
# with its init script and the backup with systemctl; clusterctl uses the
# service manager on both.
health_check "nginx" {
  process         = "nginx"
  restart         = true
  stop_keepalived = true
  interval        = 3
  script_path     = "/usr/local/sbin/check_ng.sh"
  log_file        = "/var/log/check_ng.log"
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  advert_int        = 1
  auth_pass         = var.vrrp_password
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.nginx]

  member "web1" {
    priority = 100 # highest priority: MASTER
  }
  member "web2" {
    priority = 90
  }
}

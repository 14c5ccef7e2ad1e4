host "web1" { # ERROR: Missing host address
  packages = ["nginx"]
}

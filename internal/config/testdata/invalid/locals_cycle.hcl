locals {
  a = local.b # ERROR: Unresolvable local value
  b = local.a # ERROR: Unresolvable local value
}

host "web1" {
  address = "192.168.19.101"
}

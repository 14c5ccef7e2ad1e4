defaults {
  bastion = "jump host" # ERROR: Invalid bastion
}

host "web1" {
  address = "192.168.19.101"
}

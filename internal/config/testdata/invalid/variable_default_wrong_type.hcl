variable "port" {
  type    = number
  default = "twenty-two" # ERROR: Invalid default value
}

host "web1" {
  address = "192.168.19.101"
}

// Package hostops is the typed layer of operations clusterctl performs on
// one host: gather facts, install packages, load modules, set sysctls,
// add addresses and routes, write a file atomically with an on-host
// validator, restore the NAT chain, edit IPVS, drive systemctl, write the
// manifest, take the apply lock. Host is the interface apply and the
// pipelines use; Shell implements it over a remote.Conn and is the only
// code that composes the shell commands those operations send (quoting
// every value with package shell). Tests of apply use a typed fake
// (package hostopstest) instead of parsing shell text.
package hostops

#!/bin/sh
# Managed by clusterctl. Do not edit.
# Health check nginx (keepalived vrrp_script chk_nginx).
# Exits 0 while a process named nginx runs, 1 otherwise.
# When none runs, starts nginx and counts again.
# When still none runs, stops keepalived so that the peer takes over the
# virtual addresses.
d=$(date +%Y%m%d_%H:%M:%S)
n=$(ps -C nginx --no-heading | wc -l)
if [ "$n" -eq 0 ]; then
    systemctl start nginx
    sleep 1
    n=$(ps -C nginx --no-heading | wc -l)
    if [ "$n" -eq 0 ]; then
        printf '%s %s\n' "$d" 'nginx down,keepalived will stop' >> /var/log/check_ng.log
        systemctl stop keepalived
        exit 1
    fi
fi
exit 0

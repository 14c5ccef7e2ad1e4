ip -o addr show;
printf '@clusterctl-verify keepalived %s\n' "$(systemctl is-active keepalived 2>/dev/null)";
n0=0;
n1=0;
n2=0;
for f in /proc/[0-9]*/comm;
do IFS= read -r c <"$f" 2>/dev/null || continue;
case "$c" in keepalived) n0=$((n0+1)) ;;
nginx) n1=$((n1+1)) ;;
php-fpm7.4) n2=$((n2+1)) ;;
esac;
done;
printf '@clusterctl-verify proc keepalived %s\n' "$n0";
printf '@clusterctl-verify proc nginx %s\n' "$n1";
printf '@clusterctl-verify proc php-fpm7.4 %s\n' "$n2"

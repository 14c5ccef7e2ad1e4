#! /bin/bash
# director 服务器上开启路由转发功能
echo 1 > /proc/sys/net/ipv4/ip_forward
# 关闭icmp的重定向
echo 0 > /proc/sys/net/ipv4/conf/all/send_redirects
echo 0 > /proc/sys/net/ipv4/conf/default/send_redirects
# 注意区分网卡名字,阿铭的两个网卡分别为ens33和ens37
echo 0 > /proc/sys/net/ipv4/conf/ens33/send_redirects
echo 0 > /proc/sys/net/ipv4/conf/ens37/send_redirects
# director 设置nat防火墙
iptables -t nat -F
iptables -t nat -X
iptables -t nat -A POSTROUTING -s 192.168.19.0/24  -j MASQUERADE
# director设置ipvsadm
IPVSADM='/usr/sbin/ipvsadm'
# 清空规则
$IPVSADM -C
# -A使用nat模式-s指定算法-p超时时间(相同ip在这个时间内会一直连接刚才的RS)单位秒
$IPVSADM -A -t 192.168.47.128:80 -s wlc -p 3
# -r指定rs地址-m指nat模式-w指定权重
$IPVSADM -a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1
$IPVSADM -a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1


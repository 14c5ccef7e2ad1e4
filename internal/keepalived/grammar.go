package keepalived

import "strings"

// The keywords keepalived 2.x accepts, by the block they appear in, with
// the 1.x spellings still found in the wild. A block context names what
// its children are: keywords of another context, or free-form lines
// (addresses, script names) that are not keywords at all.

// keyword says what a keyword of a context opens.
type keyword struct {
	// context of its block's children: "" for a plain statement, a
	// context name for a block of keywords, listContext for a block of
	// free-form lines.
	context string
	// alias is the 2.x spelling of an old or misspelt keyword keepalived
	// still accepts; "" when this is the spelling.
	alias string
}

// listContext marks a block whose lines are values, not keywords.
const listContext = "(list)"

// topContext is the context of a file's top level.
const topContext = "top"

// words makes plain-statement keywords.
func words(s string) map[string]keyword {
	m := map[string]keyword{}
	for _, w := range strings.Fields(s) {
		m[w] = keyword{}
	}
	return m
}

// with adds keywords that open blocks or are aliases.
func with(m map[string]keyword, extra map[string]keyword) map[string]keyword {
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// checkerCommon are the keywords every real server checker accepts.
const checkerCommon = "connect_ip connect_port bindto bind_port bind_if connect_timeout fwmark warmup retry delay_before_retry alpha delay_loop log_all_failures"

// grammar is keepalived 2.x's keywords by context.
var grammar = map[string]map[string]keyword{
	topContext: with(words("net_namespace net_namespace_ipvs namespace_with_ipsets instance use_pid_dir linkbeat_use_polling"), map[string]keyword{
		"global_defs":          {context: "global_defs"},
		"vrrp_script":          {context: "vrrp_script"},
		"vrrp_track_process":   {context: "vrrp_track_process"},
		"vrrp_track_file":      {context: "track_file"},
		"track_file":           {context: "track_file"},
		"vrrp_sync_group":      {context: "vrrp_sync_group"},
		"vrrp_instance":        {context: "vrrp_instance"},
		"virtual_server":       {context: "virtual_server"},
		"virtual_server_group": {context: listContext},
		"static_ipaddress":     {context: listContext},
		"static_routes":        {context: listContext},
		"static_rules":         {context: listContext},
		"linkbeat_interfaces":  {context: listContext},
		"garp_group":           {context: "garp_group"},
		"bfd_instance":         {context: "bfd_instance"},
		"include":              {},
	}),
	"global_defs": with(words(`notification_email_from smtp_server smtp_helo smtp_connect_timeout
		router_id vrrp_mcast_group4 vrrp_mcast_group6 vrrp_garp_master_delay vrrp_garp_master_repeat
		vrrp_garp_master_refresh vrrp_garp_master_refresh_repeat vrrp_garp_lower_prio_delay
		vrrp_garp_lower_prio_repeat vrrp_garp_interval vrrp_gna_interval vrrp_lower_prio_no_advert
		vrrp_higher_prio_send_advert vrrp_version vrrp_iptables vrrp_ipsets vrrp_nftables
		vrrp_nftables_priority vrrp_nftables_ifindex vrrp_nftables_counters
		vrrp_check_unicast_src vrrp_skip_check_adv_addr vrrp_strict vrrp_priority checker_priority
		bfd_priority vrrp_no_swap checker_no_swap bfd_no_swap vrrp_rt_priority checker_rt_priority
		bfd_rt_priority vrrp_rlimit_rttime checker_rlimit_rttime bfd_rlimit_rttime
		script_user enable_script_security notify_fifo notify_fifo_script vrrp_notify_fifo
		vrrp_notify_fifo_script lvs_notify_fifo lvs_notify_fifo_script lvs_sync_daemon lvs_flush
		lvs_flush_onstop lvs_timeouts dynamic_interfaces max_auto_priority min_auto_priority_delay
		enable_traps snmp_socket enable_snmp_vrrp enable_snmp_checker enable_snmp_rfc
		enable_snmp_rfcv2 enable_snmp_rfcv3 enable_snmp_keepalived enable_dbus
		enable_dbus_priority_changes dbus_service_name vrrp_startup_delay default_interface
		vrrp_min_garp vrrp_rx_bufs_policy vrrp_rx_bufs_multiplier vrrp_netlink_cmd_rcv_bufs
		vrrp_netlink_cmd_rcv_bufs_force vrrp_netlink_monitor_rcv_bufs
		vrrp_netlink_monitor_rcv_bufs_force process_monitor_rcv_bufs process_monitor_rcv_bufs_force
		lvs_netlink_cmd_rcv_bufs lvs_netlink_cmd_rcv_bufs_force lvs_netlink_monitor_rcv_bufs
		lvs_netlink_monitor_rcv_bufs_force checker_log_all_failures umask instance net_namespace
		no_email_faults smtp_alert smtp_alert_vrrp smtp_alert_checker checker_process_name
		vrrp_process_name bfd_process_name startup_script shutdown_script startup_script_timeout
		shutdown_script_timeout reload_check_config reload_time_file reload_repeat reload_file
		config_save_dir data_use_instance vrrp_garp_extra_if vrrp_track_process_priority
		vrrp_dont_track_primary notify_email_faults random_seed vrrp_cpu_affinity
		checker_cpu_affinity bfd_cpu_affinity child_wait_time fifo_write_vrrp_states_on_reload
		vrrp_owner_ignore_priority vrrp_socket_rcvbuf vrrp_socket_sndbuf vrrp_strict_state
		lvs_sync_daemon_interface lvs_sync_daemon_inteface use_symlink_paths`), map[string]keyword{
		"notification_email": {context: listContext},
	}),
	"vrrp_script":        words("script interval timeout weight rise fall user init_fail"),
	"vrrp_track_process": words("process param_match quorum quorum_max delay terminate_delay fork_delay full_command weight"),
	"track_file":         words("file weight init_file"),
	"garp_group": with(words("garp_interval gna_interval interface"), map[string]keyword{
		"interfaces": {context: listContext},
	}),
	"bfd_instance": words("neighbor_ip source_ip min_rx min_tx idle_tx multiplier passive ttl max_hops weight"),
	"vrrp_sync_group": with(words(`notify_master notify_backup notify_fault notify_stop notify
		smtp_alert global_tracking sync_group_tracking_weight notify_priority_changes`), map[string]keyword{
		"group":           {context: listContext},
		"track_script":    {context: listContext},
		"track_interface": {context: listContext},
		"track_process":   {context: listContext},
		"track_file":      {context: listContext},
		"track_bfd":       {context: listContext},
	}),
	"vrrp_instance": with(words(`state interface virtual_router_id priority advert_int
		unicast_src_ip nopreempt preempt preempt_delay notify_master notify_backup notify_fault
		notify_stop notify notify_deleted notify_master_rx_lower_pri notify_priority_changes
		smtp_alert garp_master_delay garp_master_repeat garp_master_refresh
		garp_master_refresh_repeat garp_lower_prio_delay garp_lower_prio_repeat
		lower_prio_no_advert higher_prio_send_advert dont_track_primary mcast_src_ip version
		native_ipv6 use_vmac vmac_xmit_base accept no_accept strict_mode skip_check_adv_addr
		debug kernel_rx_buf_size unicast_ttl check_unicast_src unicast_fault_no_peer
		old_unicast_checksum down_timer_adverts track_src_ip garp_extra_if vrrp_garp_extra_if
		linkbeat_use_polling ipvlan`), map[string]keyword{
		"authentication":             {context: "authentication"},
		"virtual_ipaddress":          {context: listContext},
		"virtual_ipaddress_excluded": {context: listContext},
		"virtual_routes":             {context: listContext},
		"virtual_rules":              {context: listContext},
		"unicast_peer":               {context: listContext},
		"track_script":               {context: listContext},
		"track_interface":            {context: listContext},
		"track_process":              {context: listContext},
		"track_file":                 {context: listContext},
		"track_bfd":                  {context: listContext},
		// keepalived 1.x set the IPVS sync daemon per instance; 2.x
		// has lvs_sync_daemon in global_defs. The misspelling is 1.x's own.
		"lvs_sync_daemon_interface": {alias: "lvs_sync_daemon"},
		"lvs_sync_daemon_inteface":  {alias: "lvs_sync_daemon"},
	}),
	"authentication": words("auth_type auth_pass"),
	"virtual_server": with(words(`delay_loop lvs_sched lvs_method persistence_timeout
		persistence_granularity persistence_engine protocol ha_suspend virtualhost alpha omega
		quorum hysteresis quorum_up quorum_down sorry_server sorry_server_inhibit
		sorry_server_lvs_method ip_family retry delay_before_retry warmup inhibit_on_failure ops
		one_packet_scheduling flag-1 flag-2 flag-3 sh-port sh-fallback mh-port mh-fallback
		smtp_alert connect_timeout nat_mask lvs_timeouts`), map[string]keyword{
		"real_server": {context: "real_server"},
		"lb_algo":     {alias: "lvs_sched"},
		"lb_kind":     {alias: "lvs_method"},
	}),
	"real_server": with(words(`weight inhibit_on_failure notify_up notify_down uthreshold
		lthreshold alpha retry delay_before_retry delay_loop warmup smtp_alert virtualhost
		connect_timeout lvs_method`), map[string]keyword{
		"TCP_CHECK":    {context: "TCP_CHECK"},
		"UDP_CHECK":    {context: "TCP_CHECK"},
		"PING_CHECK":   {context: "TCP_CHECK"},
		"HTTP_GET":     {context: "HTTP_GET"},
		"SSL_GET":      {context: "HTTP_GET"},
		"MISC_CHECK":   {context: "MISC_CHECK"},
		"SMTP_CHECK":   {context: "SMTP_CHECK"},
		"DNS_CHECK":    {context: "DNS_CHECK"},
		"FILE_CHECK":   {context: "FILE_CHECK"},
		"BFD_CHECK":    {context: "FILE_CHECK"},
		"nb_get_retry": {alias: "retry"},
	}),
	"TCP_CHECK": with(words(checkerCommon+" payload require_reply min_reply_length max_reply_length"), map[string]keyword{
		"nb_get_retry": {alias: "retry"},
	}),
	"HTTP_GET": with(words(checkerCommon+" virtualhost http_protocol enable_sni fast_recovery tls_compliant protocol"), map[string]keyword{
		"url":          {context: "url"},
		"nb_get_retry": {alias: "retry"},
	}),
	"url":        words("path digest status_code virtualhost regex regex_no_match regex_options regex_stack regex_min_offset regex_max_offset"),
	"MISC_CHECK": with(words(checkerCommon+" misc_path misc_timeout misc_dynamic user"), map[string]keyword{"nb_get_retry": {alias: "retry"}}),
	"SMTP_CHECK": with(words(checkerCommon+" helo_name"), map[string]keyword{
		"host":         {context: "TCP_CHECK"},
		"nb_get_retry": {alias: "retry"},
	}),
	"DNS_CHECK":  with(words(checkerCommon+" type name"), map[string]keyword{"nb_get_retry": {alias: "retry"}}),
	"FILE_CHECK": words("track_file weight name"),
}

// lookup returns the spec of keyword in context.
func lookup(context, kw string) (keyword, bool) {
	m, ok := grammar[context]
	if !ok {
		return keyword{}, false
	}
	k, ok := m[kw]
	return k, ok
}

// CanonicalKeyword returns keepalived 2.x's spelling of kw in the block
// named context ("virtual_server", "vrrp_instance", "top"...):
// lb_algo → lvs_sched, lb_kind → lvs_method, nb_get_retry → retry.
func CanonicalKeyword(context, kw string) string {
	if k, ok := lookup(context, kw); ok && k.alias != "" {
		return k.alias
	}
	return kw
}

// childContext returns the context of kw's block in context: a context
// name, listContext, or "" when unknown.
func childContext(context, kw string) string {
	k, _ := lookup(context, kw)
	return k.context
}

// Known reports whether keepalived 2.x knows kw in the block named
// context, under this spelling or an older one.
func Known(context, kw string) bool {
	_, ok := lookup(context, kw)
	return ok
}

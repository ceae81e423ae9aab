import { BPF_PROG_TYPE } from '../uapi/bpf.js';
import type { ProtoSymbol } from './protos.js';

/**
 * Each program type's `get_func_proto` on this machine's 6.18 kernel, for a loader holding
 * CAP_BPF and CAP_PERFMON: which `*_proto` (protos.ts) the verifier uses for a helper, by the
 * helper's kernel name without `bpf_`. A helper a type does not list is refused ("program of
 * this type cannot use helper"). Read from net/core/filter.c (xdp_func_proto,
 * tc_cls_act_func_proto, sk_filter_func_proto, bpf_sk_base_func_proto) and kernel/bpf/helpers.c
 * (bpf_base_func_proto); the kernel's own answers are checked in test/helpers/table-kernel.test.ts.
 */
type FuncProtos = Readonly<Record<string, ProtoSymbol>>;

/** bpf_base_func_proto: first what any loader gets, then CAP_BPF, then CAP_PERFMON. */
const BASE: FuncProtos = {
  map_lookup_elem: 'bpf_map_lookup_elem_proto',
  map_update_elem: 'bpf_map_update_elem_proto',
  map_delete_elem: 'bpf_map_delete_elem_proto',
  map_push_elem: 'bpf_map_push_elem_proto',
  map_pop_elem: 'bpf_map_pop_elem_proto',
  map_peek_elem: 'bpf_map_peek_elem_proto',
  map_lookup_percpu_elem: 'bpf_map_lookup_percpu_elem_proto',
  get_prandom_u32: 'bpf_get_prandom_u32_proto',
  get_smp_processor_id: 'bpf_get_raw_smp_processor_id_proto',
  get_numa_node_id: 'bpf_get_numa_node_id_proto',
  tail_call: 'bpf_tail_call_proto',
  ktime_get_ns: 'bpf_ktime_get_ns_proto',
  ktime_get_boot_ns: 'bpf_ktime_get_boot_ns_proto',
  ktime_get_tai_ns: 'bpf_ktime_get_tai_ns_proto',
  ringbuf_output: 'bpf_ringbuf_output_proto',
  ringbuf_reserve: 'bpf_ringbuf_reserve_proto',
  ringbuf_submit: 'bpf_ringbuf_submit_proto',
  ringbuf_discard: 'bpf_ringbuf_discard_proto',
  ringbuf_query: 'bpf_ringbuf_query_proto',
  strncmp: 'bpf_strncmp_proto',
  strtol: 'bpf_strtol_proto',
  strtoul: 'bpf_strtoul_proto',
  get_current_pid_tgid: 'bpf_get_current_pid_tgid_proto',
  get_ns_current_pid_tgid: 'bpf_get_ns_current_pid_tgid_proto',
  get_current_uid_gid: 'bpf_get_current_uid_gid_proto',
  // CAP_BPF
  spin_lock: 'bpf_spin_lock_proto',
  spin_unlock: 'bpf_spin_unlock_proto',
  jiffies64: 'bpf_jiffies64_proto',
  per_cpu_ptr: 'bpf_per_cpu_ptr_proto',
  this_cpu_ptr: 'bpf_this_cpu_ptr_proto',
  timer_init: 'bpf_timer_init_proto',
  timer_set_callback: 'bpf_timer_set_callback_proto',
  timer_start: 'bpf_timer_start_proto',
  timer_cancel: 'bpf_timer_cancel_proto',
  kptr_xchg: 'bpf_kptr_xchg_proto',
  for_each_map_elem: 'bpf_for_each_map_elem_proto',
  loop: 'bpf_loop_proto',
  user_ringbuf_drain: 'bpf_user_ringbuf_drain_proto',
  ringbuf_reserve_dynptr: 'bpf_ringbuf_reserve_dynptr_proto',
  ringbuf_submit_dynptr: 'bpf_ringbuf_submit_dynptr_proto',
  ringbuf_discard_dynptr: 'bpf_ringbuf_discard_dynptr_proto',
  dynptr_from_mem: 'bpf_dynptr_from_mem_proto',
  dynptr_read: 'bpf_dynptr_read_proto',
  dynptr_write: 'bpf_dynptr_write_proto',
  dynptr_data: 'bpf_dynptr_data_proto',
  cgrp_storage_get: 'bpf_cgrp_storage_get_proto',
  cgrp_storage_delete: 'bpf_cgrp_storage_delete_proto',
  get_current_cgroup_id: 'bpf_get_current_cgroup_id_proto',
  get_current_ancestor_cgroup_id: 'bpf_get_current_ancestor_cgroup_id_proto',
  current_task_under_cgroup: 'bpf_current_task_under_cgroup_proto',
  get_cgroup_classid: 'bpf_get_cgroup_classid_curr_proto',
  task_storage_get: 'bpf_task_storage_get_proto',
  task_storage_delete: 'bpf_task_storage_delete_proto',
  // CAP_PERFMON
  trace_printk: 'bpf_trace_printk_proto',
  get_current_task: 'bpf_get_current_task_proto',
  get_current_task_btf: 'bpf_get_current_task_btf_proto',
  get_current_comm: 'bpf_get_current_comm_proto',
  probe_read_user: 'bpf_probe_read_user_proto',
  probe_read_kernel: 'bpf_probe_read_kernel_proto',
  probe_read_user_str: 'bpf_probe_read_user_str_proto',
  probe_read_kernel_str: 'bpf_probe_read_kernel_str_proto',
  copy_from_user: 'bpf_copy_from_user_proto',
  copy_from_user_task: 'bpf_copy_from_user_task_proto',
  snprintf_btf: 'bpf_snprintf_btf_proto',
  snprintf: 'bpf_snprintf_proto',
  task_pt_regs: 'bpf_task_pt_regs_proto',
  trace_vprintk: 'bpf_trace_vprintk_proto',
  perf_event_read_value: 'bpf_perf_event_read_value_proto',
  perf_event_read: 'bpf_perf_event_read_proto',
  send_signal: 'bpf_send_signal_proto',
  send_signal_thread: 'bpf_send_signal_thread_proto',
  get_task_stack: 'bpf_get_task_stack_proto',
  get_branch_snapshot: 'bpf_get_branch_snapshot_proto',
  find_vma: 'bpf_find_vma_proto',
};

/** bpf_sk_base_func_proto (the skc_to_* casts need CAP_PERFMON), over BASE. */
const SK_BASE: FuncProtos = {
  ...BASE,
  skc_to_tcp6_sock: 'bpf_skc_to_tcp6_sock_proto',
  skc_to_tcp_sock: 'bpf_skc_to_tcp_sock_proto',
  skc_to_tcp_timewait_sock: 'bpf_skc_to_tcp_timewait_sock_proto',
  skc_to_tcp_request_sock: 'bpf_skc_to_tcp_request_sock_proto',
  skc_to_udp6_sock: 'bpf_skc_to_udp6_sock_proto',
  skc_to_unix_sock: 'bpf_skc_to_unix_sock_proto',
  skc_to_mptcp_sock: 'bpf_skc_to_mptcp_sock_proto',
  ktime_get_coarse_ns: 'bpf_ktime_get_coarse_ns_proto',
};

/** The syncookie helpers XDP and TC share (CONFIG_INET, CONFIG_SYN_COOKIES). */
const SYNCOOKIES: FuncProtos = {
  tcp_check_syncookie: 'bpf_tcp_check_syncookie_proto',
  tcp_gen_syncookie: 'bpf_tcp_gen_syncookie_proto',
  tcp_raw_gen_syncookie_ipv4: 'bpf_tcp_raw_gen_syncookie_ipv4_proto',
  tcp_raw_gen_syncookie_ipv6: 'bpf_tcp_raw_gen_syncookie_ipv6_proto',
  tcp_raw_check_syncookie_ipv4: 'bpf_tcp_raw_check_syncookie_ipv4_proto',
  tcp_raw_check_syncookie_ipv6: 'bpf_tcp_raw_check_syncookie_ipv6_proto',
};

/** xdp_func_proto. */
const XDP: FuncProtos = {
  ...SK_BASE,
  ...SYNCOOKIES,
  perf_event_output: 'bpf_xdp_event_output_proto',
  get_smp_processor_id: 'bpf_get_smp_processor_id_proto',
  csum_diff: 'bpf_csum_diff_proto',
  xdp_adjust_head: 'bpf_xdp_adjust_head_proto',
  xdp_adjust_meta: 'bpf_xdp_adjust_meta_proto',
  redirect: 'bpf_xdp_redirect_proto',
  redirect_map: 'bpf_xdp_redirect_map_proto',
  xdp_adjust_tail: 'bpf_xdp_adjust_tail_proto',
  xdp_get_buff_len: 'bpf_xdp_get_buff_len_proto',
  xdp_load_bytes: 'bpf_xdp_load_bytes_proto',
  xdp_store_bytes: 'bpf_xdp_store_bytes_proto',
  fib_lookup: 'bpf_xdp_fib_lookup_proto',
  check_mtu: 'bpf_xdp_check_mtu_proto',
  sk_lookup_udp: 'bpf_xdp_sk_lookup_udp_proto',
  sk_lookup_tcp: 'bpf_xdp_sk_lookup_tcp_proto',
  sk_release: 'bpf_sk_release_proto',
  skc_lookup_tcp: 'bpf_xdp_skc_lookup_tcp_proto',
};

/** tc_cls_act_func_proto (SCHED_CLS and SCHED_ACT). */
const TC: FuncProtos = {
  ...SK_BASE,
  ...SYNCOOKIES,
  skb_store_bytes: 'bpf_skb_store_bytes_proto',
  skb_load_bytes: 'bpf_skb_load_bytes_proto',
  skb_load_bytes_relative: 'bpf_skb_load_bytes_relative_proto',
  skb_pull_data: 'bpf_skb_pull_data_proto',
  csum_diff: 'bpf_csum_diff_proto',
  csum_update: 'bpf_csum_update_proto',
  csum_level: 'bpf_csum_level_proto',
  l3_csum_replace: 'bpf_l3_csum_replace_proto',
  l4_csum_replace: 'bpf_l4_csum_replace_proto',
  clone_redirect: 'bpf_clone_redirect_proto',
  get_cgroup_classid: 'bpf_get_cgroup_classid_proto',
  skb_vlan_push: 'bpf_skb_vlan_push_proto',
  skb_vlan_pop: 'bpf_skb_vlan_pop_proto',
  skb_change_proto: 'bpf_skb_change_proto_proto',
  skb_change_type: 'bpf_skb_change_type_proto',
  skb_adjust_room: 'bpf_skb_adjust_room_proto',
  skb_change_tail: 'bpf_skb_change_tail_proto',
  skb_change_head: 'bpf_skb_change_head_proto',
  skb_get_tunnel_key: 'bpf_skb_get_tunnel_key_proto',
  skb_set_tunnel_key: 'bpf_skb_set_tunnel_key_proto',
  skb_get_tunnel_opt: 'bpf_skb_get_tunnel_opt_proto',
  skb_set_tunnel_opt: 'bpf_skb_set_tunnel_opt_proto',
  redirect: 'bpf_redirect_proto',
  redirect_neigh: 'bpf_redirect_neigh_proto',
  redirect_peer: 'bpf_redirect_peer_proto',
  get_route_realm: 'bpf_get_route_realm_proto',
  get_hash_recalc: 'bpf_get_hash_recalc_proto',
  set_hash_invalid: 'bpf_set_hash_invalid_proto',
  set_hash: 'bpf_set_hash_proto',
  perf_event_output: 'bpf_skb_event_output_proto',
  get_smp_processor_id: 'bpf_get_smp_processor_id_proto',
  skb_under_cgroup: 'bpf_skb_under_cgroup_proto',
  get_socket_cookie: 'bpf_get_socket_cookie_proto',
  get_netns_cookie: 'bpf_get_netns_cookie_proto',
  get_socket_uid: 'bpf_get_socket_uid_proto',
  fib_lookup: 'bpf_skb_fib_lookup_proto',
  check_mtu: 'bpf_skb_check_mtu_proto',
  sk_fullsock: 'bpf_sk_fullsock_proto',
  sk_storage_get: 'bpf_sk_storage_get_proto',
  sk_storage_delete: 'bpf_sk_storage_delete_proto',
  skb_get_xfrm_state: 'bpf_skb_get_xfrm_state_proto',
  skb_cgroup_classid: 'bpf_skb_cgroup_classid_proto',
  skb_cgroup_id: 'bpf_skb_cgroup_id_proto',
  skb_ancestor_cgroup_id: 'bpf_skb_ancestor_cgroup_id_proto',
  sk_lookup_tcp: 'bpf_tc_sk_lookup_tcp_proto',
  sk_lookup_udp: 'bpf_tc_sk_lookup_udp_proto',
  sk_release: 'bpf_sk_release_proto',
  tcp_sock: 'bpf_tcp_sock_proto',
  get_listener_sock: 'bpf_get_listener_sock_proto',
  skc_lookup_tcp: 'bpf_tc_skc_lookup_tcp_proto',
  skb_ecn_set_ce: 'bpf_skb_ecn_set_ce_proto',
  sk_assign: 'bpf_sk_assign_proto',
  skb_set_tstamp: 'bpf_skb_set_tstamp_proto',
};

/** sk_filter_func_proto (SOCKET_FILTER). */
const SOCKET_FILTER: FuncProtos = {
  ...SK_BASE,
  skb_load_bytes: 'bpf_skb_load_bytes_proto',
  skb_load_bytes_relative: 'bpf_skb_load_bytes_relative_proto',
  get_socket_cookie: 'bpf_get_socket_cookie_proto',
  get_netns_cookie: 'bpf_get_netns_cookie_proto',
  get_socket_uid: 'bpf_get_socket_uid_proto',
  perf_event_output: 'bpf_skb_event_output_proto',
};

/** get_func_proto by program type (BPF_PROG_TYPE_*); types bpfsim does not run have none. */
export const FUNC_PROTOS: ReadonlyMap<number, FuncProtos> = new Map([
  [BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, XDP],
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, TC],
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT, TC],
  [BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, SOCKET_FILTER],
]);

/**
 * bpf_helper_changes_pkt_data (net/core/filter.c): helpers after whose call the verifier forgets
 * every packet pointer, because they may move or reallocate the packet. tail_call is one because
 * the called program may call any of the others.
 */
export const CHANGES_PKT_DATA: ReadonlySet<string> = new Set([
  'clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh',
  'lwt_seg6_store_bytes', 'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head',
  'skb_change_proto', 'skb_change_tail', 'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push',
  'store_hdr_opt', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail', 'tail_call',
]);

/**
 * Context structures as the program sees them: field offsets of `struct xdp_md` and
 * `struct __sk_buff` (include/uapi/linux/bpf.h), byte offsets from the context pointer.
 */

export interface CtxField {
  off: number;
  size: number;
}

/** struct xdp_md: every field is a u32 and read-only for the program. */
export const XDP_MD = {
  data: { off: 0, size: 4 },
  data_end: { off: 4, size: 4 },
  data_meta: { off: 8, size: 4 },
  ingress_ifindex: { off: 12, size: 4 },
  rx_queue_index: { off: 16, size: 4 },
  egress_ifindex: { off: 20, size: 4 },
} as const satisfies Record<string, CtxField>;
export const XDP_MD_SIZE = 24;

/** struct __sk_buff. */
export const SK_BUFF = {
  len: { off: 0, size: 4 },
  pkt_type: { off: 4, size: 4 },
  mark: { off: 8, size: 4 },
  queue_mapping: { off: 12, size: 4 },
  protocol: { off: 16, size: 4 },
  vlan_present: { off: 20, size: 4 },
  vlan_tci: { off: 24, size: 4 },
  vlan_proto: { off: 28, size: 4 },
  priority: { off: 32, size: 4 },
  ingress_ifindex: { off: 36, size: 4 },
  ifindex: { off: 40, size: 4 },
  tc_index: { off: 44, size: 4 },
  cb: { off: 48, size: 20 },
  hash: { off: 68, size: 4 },
  tc_classid: { off: 72, size: 4 },
  data: { off: 76, size: 4 },
  data_end: { off: 80, size: 4 },
  napi_id: { off: 84, size: 4 },
  family: { off: 88, size: 4 },
  remote_ip4: { off: 92, size: 4 },
  local_ip4: { off: 96, size: 4 },
  remote_ip6: { off: 100, size: 16 },
  local_ip6: { off: 116, size: 16 },
  remote_port: { off: 132, size: 4 },
  local_port: { off: 136, size: 4 },
  data_meta: { off: 140, size: 4 },
  flow_keys: { off: 144, size: 8 },
  tstamp: { off: 152, size: 8 },
  wire_len: { off: 160, size: 4 },
  gso_segs: { off: 164, size: 4 },
  sk: { off: 168, size: 8 },
  gso_size: { off: 176, size: 4 },
  tstamp_type: { off: 180, size: 1 },
  hwtstamp: { off: 184, size: 8 },
} as const satisfies Record<string, CtxField>;
export const SK_BUFF_SIZE = 192;

/** The `struct xdp_md` fields BPF_PROG_TEST_RUN accepts in ctx_in (net/bpf/test_run.c, xdp_convert_md_to_buff). */
export const XDP_CTX_IN_FIELDS = ['data', 'ingress_ifindex', 'rx_queue_index'] as const;

/** The `struct __sk_buff` fields BPF_PROG_TEST_RUN accepts in ctx_in (net/bpf/test_run.c, convert___skb_to_skb), in struct order. */
export const SKB_CTX_IN_FIELDS = ['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp'] as const;

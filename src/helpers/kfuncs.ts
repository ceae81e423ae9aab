import { BPF_PROG_TYPE } from '../uapi/bpf.js';

/**
 * The kfunc table: the kernel functions XDP, TC and socket filter programs can call on this
 * machine's 6.18 kernel (dynptrs, conntrack, XDP metadata, casts), with the prototypes its BTF
 * gives them (`bpftool btf dump file /sys/kernel/btf/vmlinux`) and the program types their
 * kfunc sets are registered for (net/core/filter.c bpf_kfunc_init, kernel/bpf/helpers.c
 * generic and common sets, net/netfilter/nf_conntrack_bpf.c, net/core/xdp.c). bpfsim runs none
 * of them yet: `implemented` says so, and a call is refused as unimplemented.
 */

/** A parameter as BTF spells it: C type and name (suffixes such as `__uninit`, `__sz`, `__k` carry the verifier's rules). */
export type KfuncParam = readonly [type: string, name: string];

/** One kfunc. */
export interface KfuncEntry {
  /** Kernel name (`bpf_dynptr_from_xdp`). */
  readonly name: string;
  /** Return type as C spells it. */
  readonly ret: string;
  readonly params: readonly KfuncParam[];
  /** BPF_PROG_TYPE_* values whose programs may call it (of those bpfsim runs). */
  readonly progTypes: readonly number[];
  /** True when bpfsim simulates it. */
  readonly implemented: boolean;
}

const T = BPF_PROG_TYPE;
const XDP = [T.BPF_PROG_TYPE_XDP];
const TC = [T.BPF_PROG_TYPE_SCHED_CLS, T.BPF_PROG_TYPE_SCHED_ACT];
const CLS = [T.BPF_PROG_TYPE_SCHED_CLS];
const XDP_CLS = [T.BPF_PROG_TYPE_XDP, T.BPF_PROG_TYPE_SCHED_CLS];
const TC_SOCKET = [...TC, T.BPF_PROG_TYPE_SOCKET_FILTER];
const ALL = [T.BPF_PROG_TYPE_XDP, ...TC, T.BPF_PROG_TYPE_SOCKET_FILTER];

function kfunc(name: string, ret: string, params: KfuncParam[], progTypes: readonly number[]): KfuncEntry {
  return { name, ret, params, progTypes, implemented: false };
}

/** Every kfunc the table describes, by name. */
export const KFUNCS: readonly KfuncEntry[] = [
  kfunc('bpf_dynptr_from_skb', 'int', [['struct __sk_buff *', 's'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], TC_SOCKET),
  kfunc('bpf_dynptr_from_skb_meta', 'int', [['struct __sk_buff *', 'skb_'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], TC),
  kfunc('bpf_dynptr_from_xdp', 'int', [['struct xdp_md *', 'x'], ['u64', 'flags'], ['struct bpf_dynptr *', 'ptr__uninit']], XDP),
  kfunc('bpf_dynptr_slice', 'void *', [['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']], ALL),
  kfunc('bpf_dynptr_slice_rdwr', 'void *', [['const struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['void *', 'buffer__opt'], ['u32', 'buffer__szk']], ALL),
  kfunc('bpf_dynptr_adjust', 'int', [['const struct bpf_dynptr *', 'p'], ['u32', 'start'], ['u32', 'end']], ALL),
  kfunc('bpf_dynptr_is_null', 'bool', [['const struct bpf_dynptr *', 'p']], ALL),
  kfunc('bpf_dynptr_is_rdonly', 'bool', [['const struct bpf_dynptr *', 'p']], ALL),
  kfunc('bpf_dynptr_size', '__u32', [['const struct bpf_dynptr *', 'p']], ALL),
  kfunc('bpf_dynptr_clone', 'int', [['const struct bpf_dynptr *', 'p'], ['struct bpf_dynptr *', 'clone__uninit']], ALL),
  kfunc('bpf_dynptr_copy', 'int', [['struct bpf_dynptr *', 'dst_ptr'], ['u32', 'dst_off'], ['struct bpf_dynptr *', 'src_ptr'], ['u32', 'src_off'], ['u32', 'size']], ALL),
  kfunc('bpf_dynptr_memset', 'int', [['struct bpf_dynptr *', 'p'], ['u32', 'offset'], ['u32', 'size'], ['u8', 'val']], ALL),
  kfunc('bpf_xdp_ct_alloc', 'struct nf_conn___init *', [['struct xdp_md *', 'xdp_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP),
  kfunc('bpf_xdp_ct_lookup', 'struct nf_conn *', [['struct xdp_md *', 'xdp_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], XDP),
  kfunc('bpf_skb_ct_alloc', 'struct nf_conn___init *', [['struct __sk_buff *', 'skb_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], CLS),
  kfunc('bpf_skb_ct_lookup', 'struct nf_conn *', [['struct __sk_buff *', 'skb_ctx'], ['struct bpf_sock_tuple *', 'bpf_tuple'], ['u32', 'tuple__sz'], ['struct bpf_ct_opts *', 'opts'], ['u32', 'opts__sz']], CLS),
  kfunc('bpf_ct_insert_entry', 'struct nf_conn *', [['struct nf_conn___init *', 'nfct_i']], XDP_CLS),
  kfunc('bpf_ct_release', 'void', [['struct nf_conn *', 'nfct']], XDP_CLS),
  kfunc('bpf_ct_set_timeout', 'void', [['struct nf_conn___init *', 'nfct'], ['u32', 'timeout']], XDP_CLS),
  kfunc('bpf_ct_change_timeout', 'int', [['struct nf_conn *', 'nfct'], ['u32', 'timeout']], XDP_CLS),
  kfunc('bpf_ct_set_status', 'int', [['const struct nf_conn___init *', 'nfct'], ['u32', 'status']], XDP_CLS),
  kfunc('bpf_ct_change_status', 'int', [['struct nf_conn *', 'nfct'], ['u32', 'status']], XDP_CLS),
  kfunc('bpf_ct_set_nat_info', 'int', [['struct nf_conn___init *', 'nfct'], ['union nf_inet_addr *', 'addr'], ['int', 'port'], ['enum nf_nat_manip_type', 'manip']], XDP_CLS),
  kfunc('bpf_xdp_metadata_rx_timestamp', 'int', [['const struct xdp_md *', 'ctx'], ['u64 *', 'timestamp']], XDP),
  kfunc('bpf_xdp_metadata_rx_hash', 'int', [['const struct xdp_md *', 'ctx'], ['u32 *', 'hash'], ['enum xdp_rss_hash_type *', 'rss_type']], XDP),
  kfunc('bpf_xdp_metadata_rx_vlan_tag', 'int', [['const struct xdp_md *', 'ctx'], ['__be16 *', 'vlan_proto'], ['u16 *', 'vlan_tci']], XDP),
  kfunc('bpf_cast_to_kern_ctx', 'void *', [['void *', 'obj']], ALL),
  kfunc('bpf_rdonly_cast', 'void *', [['const void *', 'obj__ign'], ['u32', 'btf_id__k']], ALL),
  kfunc('bpf_xdp_pull_data', 'int', [['struct xdp_md *', 'x'], ['u32', 'len']], XDP),
];

const BY_NAME = new Map(KFUNCS.map((k) => [k.name, k]));

/** The kfunc named `name`, or undefined when the table has none. */
export function kfuncByName(name: string): KfuncEntry | undefined {
  return BY_NAME.get(name);
}

/** The C declaration of `k`, as the README and error messages print it. */
export function kfuncSignature(k: KfuncEntry): string {
  const star = k.ret.endsWith('*') ? '' : ' ';
  return `${k.ret}${star}${k.name}(${k.params.map(([t, n]) => `${t}${t.endsWith('*') ? '' : ' '}${n}`).join(', ')})`;
}

/**
 * Kernel constants spelled exactly as in include/uapi/linux/bpf.h, so they can be grepped
 * against the header. Unknown values print as `MapType(99)`, never throw.
 */

export const BPF_PROG_TYPE = {
  BPF_PROG_TYPE_UNSPEC: 0,
  BPF_PROG_TYPE_SOCKET_FILTER: 1,
  BPF_PROG_TYPE_KPROBE: 2,
  BPF_PROG_TYPE_SCHED_CLS: 3,
  BPF_PROG_TYPE_SCHED_ACT: 4,
  BPF_PROG_TYPE_TRACEPOINT: 5,
  BPF_PROG_TYPE_XDP: 6,
  BPF_PROG_TYPE_PERF_EVENT: 7,
  BPF_PROG_TYPE_CGROUP_SKB: 8,
  BPF_PROG_TYPE_CGROUP_SOCK: 9,
  BPF_PROG_TYPE_LWT_IN: 10,
  BPF_PROG_TYPE_LWT_OUT: 11,
  BPF_PROG_TYPE_LWT_XMIT: 12,
  BPF_PROG_TYPE_SOCK_OPS: 13,
  BPF_PROG_TYPE_SK_SKB: 14,
  BPF_PROG_TYPE_CGROUP_DEVICE: 15,
  BPF_PROG_TYPE_SK_MSG: 16,
  BPF_PROG_TYPE_RAW_TRACEPOINT: 17,
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: 18,
  BPF_PROG_TYPE_LWT_SEG6LOCAL: 19,
  BPF_PROG_TYPE_LIRC_MODE2: 20,
  BPF_PROG_TYPE_SK_REUSEPORT: 21,
  BPF_PROG_TYPE_FLOW_DISSECTOR: 22,
  BPF_PROG_TYPE_CGROUP_SYSCTL: 23,
  BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: 24,
  BPF_PROG_TYPE_CGROUP_SOCKOPT: 25,
  BPF_PROG_TYPE_TRACING: 26,
  BPF_PROG_TYPE_STRUCT_OPS: 27,
  BPF_PROG_TYPE_EXT: 28,
  BPF_PROG_TYPE_LSM: 29,
  BPF_PROG_TYPE_SK_LOOKUP: 30,
  BPF_PROG_TYPE_SYSCALL: 31,
  BPF_PROG_TYPE_NETFILTER: 32,
} as const;
export type ProgType = number;

export const BPF_MAP_TYPE = {
  BPF_MAP_TYPE_UNSPEC: 0,
  BPF_MAP_TYPE_HASH: 1,
  BPF_MAP_TYPE_ARRAY: 2,
  BPF_MAP_TYPE_PROG_ARRAY: 3,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: 4,
  BPF_MAP_TYPE_PERCPU_HASH: 5,
  BPF_MAP_TYPE_PERCPU_ARRAY: 6,
  BPF_MAP_TYPE_STACK_TRACE: 7,
  BPF_MAP_TYPE_CGROUP_ARRAY: 8,
  BPF_MAP_TYPE_LRU_HASH: 9,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: 10,
  BPF_MAP_TYPE_LPM_TRIE: 11,
  BPF_MAP_TYPE_ARRAY_OF_MAPS: 12,
  BPF_MAP_TYPE_HASH_OF_MAPS: 13,
  BPF_MAP_TYPE_DEVMAP: 14,
  BPF_MAP_TYPE_SOCKMAP: 15,
  BPF_MAP_TYPE_CPUMAP: 16,
  BPF_MAP_TYPE_XSKMAP: 17,
  BPF_MAP_TYPE_SOCKHASH: 18,
  BPF_MAP_TYPE_CGROUP_STORAGE: 19,
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: 20,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: 21,
  BPF_MAP_TYPE_QUEUE: 22,
  BPF_MAP_TYPE_STACK: 23,
  BPF_MAP_TYPE_SK_STORAGE: 24,
  BPF_MAP_TYPE_DEVMAP_HASH: 25,
  BPF_MAP_TYPE_STRUCT_OPS: 26,
  BPF_MAP_TYPE_RINGBUF: 27,
  BPF_MAP_TYPE_INODE_STORAGE: 28,
  BPF_MAP_TYPE_TASK_STORAGE: 29,
  BPF_MAP_TYPE_BLOOM_FILTER: 30,
  BPF_MAP_TYPE_USER_RINGBUF: 31,
  BPF_MAP_TYPE_CGRP_STORAGE: 32,
} as const;
export type MapType = number;

function nameOf(table: Record<string, number>, prefix: string, fallback: string, value: number): string {
  for (const [name, v] of Object.entries(table)) if (v === value) return name.slice(prefix.length);
  return `${fallback}(${value})`;
}

/** `HASH` for BPF_MAP_TYPE_HASH; unknown types print as `MapType(99)`. */
export function mapTypeName(type: number): string {
  return nameOf(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', 'MapType', type);
}

/** `XDP` for BPF_PROG_TYPE_XDP; unknown types print as `ProgType(99)`. */
export function progTypeName(type: number): string {
  return nameOf(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', 'ProgType', type);
}

/** enum bpf_attach_type (include/uapi/linux/bpf.h, Linux 6.12), every value in order. */
export const BPF_ATTACH_TYPE = {
  BPF_CGROUP_INET_INGRESS: 0,
  BPF_CGROUP_INET_EGRESS: 1,
  BPF_CGROUP_INET_SOCK_CREATE: 2,
  BPF_CGROUP_SOCK_OPS: 3,
  BPF_SK_SKB_STREAM_PARSER: 4,
  BPF_SK_SKB_STREAM_VERDICT: 5,
  BPF_CGROUP_DEVICE: 6,
  BPF_SK_MSG_VERDICT: 7,
  BPF_CGROUP_INET4_BIND: 8,
  BPF_CGROUP_INET6_BIND: 9,
  BPF_CGROUP_INET4_CONNECT: 10,
  BPF_CGROUP_INET6_CONNECT: 11,
  BPF_CGROUP_INET4_POST_BIND: 12,
  BPF_CGROUP_INET6_POST_BIND: 13,
  BPF_CGROUP_UDP4_SENDMSG: 14,
  BPF_CGROUP_UDP6_SENDMSG: 15,
  BPF_LIRC_MODE2: 16,
  BPF_FLOW_DISSECTOR: 17,
  BPF_CGROUP_SYSCTL: 18,
  BPF_CGROUP_UDP4_RECVMSG: 19,
  BPF_CGROUP_UDP6_RECVMSG: 20,
  BPF_CGROUP_GETSOCKOPT: 21,
  BPF_CGROUP_SETSOCKOPT: 22,
  BPF_TRACE_RAW_TP: 23,
  BPF_TRACE_FENTRY: 24,
  BPF_TRACE_FEXIT: 25,
  BPF_MODIFY_RETURN: 26,
  BPF_LSM_MAC: 27,
  BPF_TRACE_ITER: 28,
  BPF_CGROUP_INET4_GETPEERNAME: 29,
  BPF_CGROUP_INET6_GETPEERNAME: 30,
  BPF_CGROUP_INET4_GETSOCKNAME: 31,
  BPF_CGROUP_INET6_GETSOCKNAME: 32,
  BPF_XDP_DEVMAP: 33,
  BPF_CGROUP_INET_SOCK_RELEASE: 34,
  BPF_XDP_CPUMAP: 35,
  BPF_SK_LOOKUP: 36,
  BPF_XDP: 37,
  BPF_SK_SKB_VERDICT: 38,
  BPF_SK_REUSEPORT_SELECT: 39,
  BPF_SK_REUSEPORT_SELECT_OR_MIGRATE: 40,
  BPF_PERF_EVENT: 41,
  BPF_TRACE_KPROBE_MULTI: 42,
  BPF_LSM_CGROUP: 43,
  BPF_STRUCT_OPS: 44,
  BPF_NETFILTER: 45,
  BPF_TCX_INGRESS: 46,
  BPF_TCX_EGRESS: 47,
  BPF_TRACE_UPROBE_MULTI: 48,
  BPF_CGROUP_UNIX_CONNECT: 49,
  BPF_CGROUP_UNIX_SENDMSG: 50,
  BPF_CGROUP_UNIX_RECVMSG: 51,
  BPF_CGROUP_UNIX_GETPEERNAME: 52,
  BPF_CGROUP_UNIX_GETSOCKNAME: 53,
  BPF_NETKIT_PRIMARY: 54,
  BPF_NETKIT_PEER: 55,
  BPF_TRACE_KPROBE_SESSION: 56,
  BPF_TRACE_UPROBE_SESSION: 57,
} as const;

/** BPF_PROG_LOAD flags (bpf.h): the program may sleep; an XDP program that handles multi-buffer frames. */
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** Map update flags (bpf_map_update_elem). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** Map creation flags. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_MMAPABLE = 1 << 10;

/** lddw source register values (pseudo sources). */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

/** call source register values. */
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** enum xdp_action. */
export const XDP_ACTION = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 } as const;

/** TC actions (linux/pkt_cls.h). */
export const TC_ACT = {
  TC_ACT_UNSPEC: -1,
  TC_ACT_OK: 0,
  TC_ACT_RECLASSIFY: 1,
  TC_ACT_SHOT: 2,
  TC_ACT_PIPE: 3,
  TC_ACT_STOLEN: 4,
  TC_ACT_QUEUED: 5,
  TC_ACT_REPEAT: 6,
  TC_ACT_REDIRECT: 7,
  TC_ACT_TRAP: 8,
} as const;

/** enum tcx_action_base (include/uapi/linux/bpf.h): what programs attached through tcx links return. */
export const TCX_ACTION = { TCX_NEXT: -1, TCX_PASS: 0, TCX_DROP: 2, TCX_REDIRECT: 7 } as const;
/** enum netkit_action (include/uapi/linux/if_link.h): what programs attached to a netkit device return. */
export const NETKIT_ACTION = { NETKIT_NEXT: -1, NETKIT_PASS: 0, NETKIT_DROP: 2, NETKIT_REDIRECT: 7 } as const;

const XDP_ACTION_NAMES = new Map<number, string>(Object.entries(XDP_ACTION).map(([name, v]) => [v, name]));
const TC_ACT_NAMES = new Map<number, string>(Object.entries(TC_ACT).map(([name, v]) => [v, name]));
const TCX_NAMES = new Map<number, string>(Object.entries(TCX_ACTION).map(([name, v]) => [v, name]));
const NETKIT_NAMES = new Map<number, string>(Object.entries(NETKIT_ACTION).map(([name, v]) => [v, name]));

/**
 * The action name of return value `retval` (u32) for a program type: `XDP_TX`, `TC_ACT_SHOT`, or
 * `unknown(N)`; for a program attached through tcx (`tcx/ingress`, `tc/egress`) or netkit (its
 * `attachType`), `TCX_DROP` or `NETKIT_PASS`, where any unnamed code reads as NEXT; a socket filter's is `drop` for 0 and `keep` otherwise, as sk_filter_trim_cap
 * (net/core/filter.c) drops the packet or trims it to `retval` bytes.
 */
export function actionName(progType: number, retval: number, attachType?: number): string {
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER) return retval === 0 ? 'drop' : 'keep';
  // tcx_action_code() (net/core/dev.c) and netkit_run() take any other code as NEXT.
  if (attachType === BPF_ATTACH_TYPE.BPF_TCX_INGRESS || attachType === BPF_ATTACH_TYPE.BPF_TCX_EGRESS) return TCX_NAMES.get(retval | 0) ?? 'TCX_NEXT';
  if (attachType === BPF_ATTACH_TYPE.BPF_NETKIT_PRIMARY || attachType === BPF_ATTACH_TYPE.BPF_NETKIT_PEER) return NETKIT_NAMES.get(retval | 0) ?? 'NETKIT_NEXT';
  const names = progType === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP ? XDP_ACTION_NAMES : TC_ACT_NAMES;
  return names.get(retval | 0) ?? `unknown(${retval >>> 0})`;
}

/** Redirect and helper flags. */
export const BPF_F_INGRESS = 1;
export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/** bpf_fib_lookup return codes (enum in bpf.h). */
export const BPF_FIB_LKUP_RET = {
  BPF_FIB_LKUP_RET_SUCCESS: 0,
  BPF_FIB_LKUP_RET_BLACKHOLE: 1,
  BPF_FIB_LKUP_RET_UNREACHABLE: 2,
  BPF_FIB_LKUP_RET_PROHIBIT: 3,
  BPF_FIB_LKUP_RET_NOT_FWDED: 4,
  BPF_FIB_LKUP_RET_FWD_DISABLED: 5,
  BPF_FIB_LKUP_RET_UNSUPP_LWT: 6,
  BPF_FIB_LKUP_RET_NO_NEIGH: 7,
  BPF_FIB_LKUP_RET_FRAG_NEEDED: 8,
  BPF_FIB_LKUP_RET_NO_SRC_ADDR: 9,
} as const;

export const BPF_FIB_LOOKUP_DIRECT = 1 << 0;
export const BPF_FIB_LOOKUP_OUTPUT = 1 << 1;
export const BPF_FIB_LOOKUP_SKIP_NEIGH = 1 << 2;
export const BPF_FIB_LOOKUP_TBID = 1 << 3;
export const BPF_FIB_LOOKUP_SRC = 1 << 4;

/** XDP_PACKET_HEADROOM: headroom in front of an XDP frame, bytes. */
export const XDP_PACKET_HEADROOM = 256;
/** MAX_BPF_STACK: one frame's stack, bytes. */
export const MAX_BPF_STACK = 512;
/** MAX_CALL_FRAMES: BPF-to-BPF call depth. */
export const MAX_CALL_FRAMES = 8;
/** MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALL_CNT = 33;

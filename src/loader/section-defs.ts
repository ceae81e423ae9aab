import { BPF_ATTACH_TYPE as A, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, BPF_PROG_TYPE as P } from '../uapi/bpf.js';

/** libbpf's SEC_* flags (tools/lib/bpf/libbpf.c `enum sec_def_flags`). */
export const SEC_NONE = 0;
/** The expected attach type may be dropped for old kernels. */
export const SEC_EXP_ATTACH_OPT = 1 << 0;
/** The program can be attached with BPF_PROG_ATTACH / BPF_LINK_CREATE. */
export const SEC_ATTACHABLE = 1 << 1;
/** `SEC_ATTACHABLE_OPT` (libbpf.c `enum sec_def_flags`). */
export const SEC_ATTACHABLE_OPT = SEC_ATTACHABLE | SEC_EXP_ATTACH_OPT;
/** Attach target is found in kernel BTF (`fentry/func`). */
export const SEC_ATTACH_BTF = 1 << 2;
/** `SEC_SLEEPABLE` (libbpf.c `enum sec_def_flags`). */
export const SEC_SLEEPABLE = 1 << 3;
/** `SEC_XDP_FRAGS` (libbpf.c `enum sec_def_flags`). */
export const SEC_XDP_FRAGS = 1 << 4;
/** `SEC_USDT` (libbpf.c `enum sec_def_flags`). */
export const SEC_USDT = 1 << 5;
/**
 * libbpf 0.x's non-strict mode: the name is also accepted as a bare prefix (`xdp_prog`,
 * `classifier/ingress`). libbpf 1.x dropped it; we keep it as a last resort for old programs.
 */
export const SEC_SLOPPY_PFX = 1 << 6;

/** One row of the section table. */
export interface SectionDef {
  /** `xdp`, `tc/ingress`; a trailing `+` accepts the name alone or `name/anything`, a trailing `/` requires a suffix. */
  sec: string;
  /** BPF_PROG_TYPE_*. */
  progType: number;
  /** BPF_* attach type, when the section implies one. */
  attachType?: number;
  /** SEC_* flags. */
  flags: number;
}

const d = (sec: string, progType: number, attachType: number | undefined, flags: number): SectionDef => ({ sec, progType, attachType, flags });

/**
 * Section name → program type, mirroring libbpf's `section_defs[]` (tools/lib/bpf/libbpf.c,
 * libbpf 1.5), in its order: the first row that matches wins. The networking rows are exact;
 * the others are kept so that objects with tracing programs load far enough to say what they are.
 */
export const SECTION_DEFS: readonly SectionDef[] = [
  d('socket', P.BPF_PROG_TYPE_SOCKET_FILTER, undefined, SEC_NONE | SEC_SLOPPY_PFX),
  d('sk_reuseport/migrate', P.BPF_PROG_TYPE_SK_REUSEPORT, A.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, SEC_ATTACHABLE),
  d('sk_reuseport', P.BPF_PROG_TYPE_SK_REUSEPORT, A.BPF_SK_REUSEPORT_SELECT, SEC_ATTACHABLE),
  d('kprobe+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('uprobe+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('uprobe.s+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_SLEEPABLE),
  d('kretprobe+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('uretprobe+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('uretprobe.s+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_SLEEPABLE),
  d('kprobe.multi+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_KPROBE_MULTI, SEC_NONE),
  d('kretprobe.multi+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_KPROBE_MULTI, SEC_NONE),
  d('kprobe.session+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_KPROBE_SESSION, SEC_NONE),
  d('uprobe.multi+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_UPROBE_MULTI, SEC_NONE),
  d('uretprobe.multi+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_UPROBE_MULTI, SEC_NONE),
  d('uprobe.multi.s+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_UPROBE_MULTI, SEC_SLEEPABLE),
  d('uretprobe.multi.s+', P.BPF_PROG_TYPE_KPROBE, A.BPF_TRACE_UPROBE_MULTI, SEC_SLEEPABLE),
  d('ksyscall+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('kretsyscall+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_NONE),
  d('usdt+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_USDT),
  d('usdt.s+', P.BPF_PROG_TYPE_KPROBE, undefined, SEC_USDT | SEC_SLEEPABLE),
  d('tc/ingress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_INGRESS, SEC_NONE),
  d('tc/egress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_EGRESS, SEC_NONE),
  d('tcx/ingress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_INGRESS, SEC_NONE),
  d('tcx/egress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_EGRESS, SEC_NONE),
  d('tc', P.BPF_PROG_TYPE_SCHED_CLS, undefined, SEC_NONE | SEC_SLOPPY_PFX),
  d('classifier', P.BPF_PROG_TYPE_SCHED_CLS, undefined, SEC_NONE | SEC_SLOPPY_PFX),
  d('action', P.BPF_PROG_TYPE_SCHED_ACT, undefined, SEC_NONE | SEC_SLOPPY_PFX),
  d('netkit/primary', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_NETKIT_PRIMARY, SEC_NONE),
  d('netkit/peer', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_NETKIT_PEER, SEC_NONE),
  d('tracepoint+', P.BPF_PROG_TYPE_TRACEPOINT, undefined, SEC_NONE),
  d('tp+', P.BPF_PROG_TYPE_TRACEPOINT, undefined, SEC_NONE),
  d('raw_tracepoint+', P.BPF_PROG_TYPE_RAW_TRACEPOINT, undefined, SEC_NONE),
  d('raw_tp+', P.BPF_PROG_TYPE_RAW_TRACEPOINT, undefined, SEC_NONE),
  d('raw_tracepoint.w+', P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, undefined, SEC_NONE),
  d('raw_tp.w+', P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, undefined, SEC_NONE),
  d('tp_btf+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_RAW_TP, SEC_ATTACH_BTF),
  d('fentry+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, SEC_ATTACH_BTF),
  d('fmod_ret+', P.BPF_PROG_TYPE_TRACING, A.BPF_MODIFY_RETURN, SEC_ATTACH_BTF),
  d('fexit+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FEXIT, SEC_ATTACH_BTF),
  d('fentry.s+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, SEC_ATTACH_BTF | SEC_SLEEPABLE),
  d('fmod_ret.s+', P.BPF_PROG_TYPE_TRACING, A.BPF_MODIFY_RETURN, SEC_ATTACH_BTF | SEC_SLEEPABLE),
  d('fexit.s+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FEXIT, SEC_ATTACH_BTF | SEC_SLEEPABLE),
  d('freplace+', P.BPF_PROG_TYPE_EXT, undefined, SEC_ATTACH_BTF),
  d('lsm+', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_MAC, SEC_ATTACH_BTF),
  d('lsm.s+', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_MAC, SEC_ATTACH_BTF | SEC_SLEEPABLE),
  d('lsm_cgroup+', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_CGROUP, SEC_ATTACH_BTF),
  d('iter+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_ITER, SEC_ATTACH_BTF),
  d('iter.s+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_ITER, SEC_ATTACH_BTF | SEC_SLEEPABLE),
  d('syscall', P.BPF_PROG_TYPE_SYSCALL, undefined, SEC_SLEEPABLE),
  d('xdp.frags/devmap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_DEVMAP, SEC_XDP_FRAGS),
  d('xdp/devmap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_DEVMAP, SEC_ATTACHABLE),
  d('xdp.frags/cpumap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_CPUMAP, SEC_XDP_FRAGS),
  d('xdp/cpumap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_CPUMAP, SEC_ATTACHABLE),
  d('xdp.frags', P.BPF_PROG_TYPE_XDP, A.BPF_XDP, SEC_XDP_FRAGS),
  d('xdp', P.BPF_PROG_TYPE_XDP, A.BPF_XDP, SEC_ATTACHABLE_OPT | SEC_SLOPPY_PFX),
  d('perf_event', P.BPF_PROG_TYPE_PERF_EVENT, undefined, SEC_NONE),
  d('lwt_in', P.BPF_PROG_TYPE_LWT_IN, undefined, SEC_NONE),
  d('lwt_out', P.BPF_PROG_TYPE_LWT_OUT, undefined, SEC_NONE),
  d('lwt_xmit', P.BPF_PROG_TYPE_LWT_XMIT, undefined, SEC_NONE),
  d('lwt_seg6local', P.BPF_PROG_TYPE_LWT_SEG6LOCAL, undefined, SEC_NONE),
  d('sockops', P.BPF_PROG_TYPE_SOCK_OPS, A.BPF_CGROUP_SOCK_OPS, SEC_ATTACHABLE_OPT),
  d('sk_skb/stream_parser', P.BPF_PROG_TYPE_SK_SKB, A.BPF_SK_SKB_STREAM_PARSER, SEC_ATTACHABLE_OPT),
  d('sk_skb/stream_verdict', P.BPF_PROG_TYPE_SK_SKB, A.BPF_SK_SKB_STREAM_VERDICT, SEC_ATTACHABLE_OPT),
  d('sk_skb/verdict', P.BPF_PROG_TYPE_SK_SKB, A.BPF_SK_SKB_VERDICT, SEC_ATTACHABLE_OPT),
  d('sk_skb', P.BPF_PROG_TYPE_SK_SKB, undefined, SEC_NONE),
  d('sk_msg', P.BPF_PROG_TYPE_SK_MSG, A.BPF_SK_MSG_VERDICT, SEC_ATTACHABLE_OPT),
  d('lirc_mode2', P.BPF_PROG_TYPE_LIRC_MODE2, A.BPF_LIRC_MODE2, SEC_ATTACHABLE_OPT),
  d('flow_dissector', P.BPF_PROG_TYPE_FLOW_DISSECTOR, A.BPF_FLOW_DISSECTOR, SEC_ATTACHABLE_OPT),
  d('cgroup_skb/ingress', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_INGRESS, SEC_ATTACHABLE_OPT),
  d('cgroup_skb/egress', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_EGRESS, SEC_ATTACHABLE_OPT),
  d('cgroup/skb', P.BPF_PROG_TYPE_CGROUP_SKB, undefined, SEC_NONE),
  d('cgroup/sock_create', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_CREATE, SEC_ATTACHABLE),
  d('cgroup/sock_release', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_RELEASE, SEC_ATTACHABLE),
  d('cgroup/sock', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_CREATE, SEC_ATTACHABLE_OPT),
  d('cgroup/post_bind4', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET4_POST_BIND, SEC_ATTACHABLE),
  d('cgroup/post_bind6', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET6_POST_BIND, SEC_ATTACHABLE),
  d('cgroup/bind4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_BIND, SEC_ATTACHABLE),
  d('cgroup/bind6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_BIND, SEC_ATTACHABLE),
  d('cgroup/connect4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_CONNECT, SEC_ATTACHABLE),
  d('cgroup/connect6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_CONNECT, SEC_ATTACHABLE),
  d('cgroup/connect_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_CONNECT, SEC_ATTACHABLE),
  d('cgroup/sendmsg4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP4_SENDMSG, SEC_ATTACHABLE),
  d('cgroup/sendmsg6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP6_SENDMSG, SEC_ATTACHABLE),
  d('cgroup/sendmsg_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_SENDMSG, SEC_ATTACHABLE),
  d('cgroup/recvmsg4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP4_RECVMSG, SEC_ATTACHABLE),
  d('cgroup/recvmsg6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP6_RECVMSG, SEC_ATTACHABLE),
  d('cgroup/recvmsg_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_RECVMSG, SEC_ATTACHABLE),
  d('cgroup/getpeername4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_GETPEERNAME, SEC_ATTACHABLE),
  d('cgroup/getpeername6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_GETPEERNAME, SEC_ATTACHABLE),
  d('cgroup/getpeername_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_GETPEERNAME, SEC_ATTACHABLE),
  d('cgroup/getsockname4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_GETSOCKNAME, SEC_ATTACHABLE),
  d('cgroup/getsockname6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_GETSOCKNAME, SEC_ATTACHABLE),
  d('cgroup/getsockname_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_GETSOCKNAME, SEC_ATTACHABLE),
  d('cgroup/sysctl', P.BPF_PROG_TYPE_CGROUP_SYSCTL, A.BPF_CGROUP_SYSCTL, SEC_ATTACHABLE),
  d('cgroup/getsockopt', P.BPF_PROG_TYPE_CGROUP_SOCKOPT, A.BPF_CGROUP_GETSOCKOPT, SEC_ATTACHABLE),
  d('cgroup/setsockopt', P.BPF_PROG_TYPE_CGROUP_SOCKOPT, A.BPF_CGROUP_SETSOCKOPT, SEC_ATTACHABLE),
  d('cgroup/dev', P.BPF_PROG_TYPE_CGROUP_DEVICE, A.BPF_CGROUP_DEVICE, SEC_ATTACHABLE_OPT),
  d('struct_ops+', P.BPF_PROG_TYPE_STRUCT_OPS, undefined, SEC_NONE),
  d('struct_ops.s+', P.BPF_PROG_TYPE_STRUCT_OPS, undefined, SEC_SLEEPABLE),
  d('sk_lookup', P.BPF_PROG_TYPE_SK_LOOKUP, A.BPF_SK_LOOKUP, SEC_ATTACHABLE),
  d('netfilter', P.BPF_PROG_TYPE_NETFILTER, A.BPF_NETFILTER, SEC_NONE),
];

/** libbpf's `sec_def_matches()` in strict (1.x) mode. */
function matches(def: SectionDef, name: string): boolean {
  const sec = def.sec;
  if (sec.endsWith('/')) return name.startsWith(sec);
  if (sec.endsWith('+')) {
    const base = sec.slice(0, -1);
    return name === base || name.startsWith(base + '/');
  }
  return name === sec;
}

/**
 * The section table row for ELF section `name`: strict libbpf 1.x matching over the whole table
 * first, then the old bare-prefix match for rows marked {@link SEC_SLOPPY_PFX}. Undefined when
 * nothing matches.
 */
export function findSectionDef(name: string): SectionDef | undefined {
  return SECTION_DEFS.find((def) => matches(def, name)) ?? SECTION_DEFS.find((def) => (def.flags & SEC_SLOPPY_PFX) !== 0 && name.startsWith(def.sec));
}

/** BPF_PROG_LOAD flags a section implies: BPF_F_XDP_HAS_FRAGS for `xdp.frags*`, BPF_F_SLEEPABLE for `*.s`. */
export function progFlagsOf(def: SectionDef): number {
  return ((def.flags & SEC_XDP_FRAGS) !== 0 ? BPF_F_XDP_HAS_FRAGS : 0) | ((def.flags & SEC_SLEEPABLE) !== 0 ? BPF_F_SLEEPABLE : 0);
}

/**
 * The contracts outside tools rely on (see the design's "Contracts"): the case file and the
 * result of a run. A field may be added; none may change meaning.
 */

/** One map entry in a case: key and value in hex, in the map's own byte layout. */
export interface CaseMapEntry {
  key: string;
  /** The value in hex; for a per-CPU map it is set on every CPU. */
  value?: string;
  /** For a prog-array slot: a program of the same object. */
  program?: string;
}

export interface FibInterface {
  ifindex: number;
  name: string;
  /** `02:00:00:00:01:01`. */
  mac: string;
  /** Addresses with prefix length: `10.1.0.1/24`, `fd01::1/64`. */
  addrs: string[];
  mtu?: number;
}

export interface FibRoute {
  /** Destination prefix: `10.9.0.0/16`, `default`, `::/0`. */
  dst: string;
  via?: string;
  dev: number;
  /** Route type (rtnetlink RTN_*); default `unicast`. The others need no `via` and ignore `dev`. */
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
}

export interface FibNeighbor {
  ip: string;
  mac: string;
  dev: number;
}

/** Kernel network state bpf_fib_lookup and redirects see. Interface 1 is always loopback. */
export interface FibSpec {
  interfaces?: FibInterface[];
  routes?: FibRoute[];
  neighbors?: FibNeighbor[];
  /** Whether IP forwarding is on; default true. */
  forwarding?: boolean;
}

/**
 * A socket of the namespace the program runs in, as bpf_sk_lookup_tcp/udp and bpf_skc_lookup_tcp
 * find it: `local` (and `remote`) as `address:port` (`10.0.0.1:80`, `[fd00::1]:80`, the wildcard
 * `0.0.0.0:80`). TCP: `state` `listen` (default) or `established` (with `remote`). UDP: bound, or
 * connected when it has a `remote` (its state is then `established`, else `close`). The kernel
 * backend makes each as a real socket in its namespace (see the README).
 */
export interface SocketSpec {
  proto: 'tcp' | 'udp';
  local: string;
  remote?: string;
  state?: 'listen' | 'established' | 'close';
}

/**
 * An entry of the namespace's conntrack table, as the conntrack kfuncs find it: the original
 * direction's tuple (`src`:`sport` to `dst`:`dport`, IPv4 or IPv6), the reply direction its
 * inverse. `status`: IPS_* bits a program may set (SEEN_REPLY 0x2, ASSURED 0x4, FIXED_TIMEOUT
 * 0x400, HELPER 0x2000), CONFIRMED is added on insertion; `mark` (default 0); `timeout` in ms
 * (default 10000, bpf_xdp_ct_alloc's); `zone` id (default 0, both directions). The kernel backend
 * inserts each through bpf_xdp_ct_alloc and bpf_ct_insert_entry in its namespace.
 */
export interface ConntrackSpec {
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  status?: number;
  mark?: number;
  timeout?: number;
  zone?: number;
}

/** A case's `type`: XDP, TC (`sched_cls`) or a socket filter, for a program whose section does not tell. */
export type ProgTypeName = 'xdp' | 'tc' | 'socket';

/** A case as read from JSON (paths not yet resolved). */
export interface CaseFile {
  object: string;
  program: string;
  packet?: string;
  type?: ProgTypeName;
  /** A vmlinux BTF file (relative to the case) CO-RE relocations resolve against; default the types bpfsim models. */
  kernel_btf?: string;
  /**
   * Values of `.kconfig` externs (`CONFIG_*`, `LINUX_KERNEL_VERSION`) by name: a number, `y`/`n`/`m`
   * or a boolean for bool and tristate options, a string for string ones; over the running kernel's
   * version. The kernel backend hands the `CONFIG_*` ones to libbpf (open opts `kconfig`).
   */
  kconfig?: Record<string, number | string | boolean>;
  ctx?: Record<string, number | number[]>;
  maps?: Record<string, CaseMapEntry[]>;
  /** `const volatile` globals by BTF variable name (numbers, address strings, arrays, objects for structs), set before load. */
  rodata?: Record<string, unknown>;
  fib?: FibSpec;
  /** Added to the contract: sockets of the namespace for the socket lookup helpers. */
  sockets?: SocketSpec[];
  /** Added to the contract: entries of the namespace's conntrack table for the conntrack kfuncs. */
  conntrack?: ConntrackSpec[];
  /**
   * TC only, added to the contract: tunnel metadata the skb arrives with (a collect_md tunnel
   * device's RX info) for bpf_skb_get_tunnel_key/_opt: `id`, `remote` and `local` (one address
   * family), optional `tos`, `ttl`, `label`, `flags` (IP_TUNNEL_* names, default `key`) and
   * `options` in hex. The kernel backend refuses such a case: BPF_PROG_TEST_RUN cannot attach it.
   */
  tunnel?: { id: number; remote: string; local: string; tos?: number; ttl?: number; label?: number; flags?: string[]; options?: string };
  /**
   * XDP, added to the contract: programs loaded bound to a device (BPF_F_XDP_DEV_BOUND_ONLY),
   * which may call the XDP metadata kfuncs: `true` the case's program, or program names. The
   * kernel backend refuses such a case with EINVAL, as BPF_PROG_TEST_RUN refuses a device-bound program.
   */
  deviceBound?: true | string[];
  /** XDP, added to the contract: the receive hints the XDP metadata kfuncs answer with; one left out is -ENODATA. */
  rxMetadata?: { timestamp?: number | string; hash?: number; hashType?: number; vlanProto?: number; vlanTci?: number };
  parity?: { ignore?: string[] };
  /** `load`: the verifier's message (the kernel's log's last line) the load must fail with; the case then expects no run. */
  expect?: { retval?: number; action?: string; packet?: string; load?: string };
}

export interface ResultMapEntry {
  key: string;
  /** Hex value; for per-CPU maps, the value of the CPU the run happened on. Absent for a prog-array slot. */
  value?: string;
  /** A prog-array slot: the name of the program in it (both backends report slots so, never an index or id). */
  program?: string;
  /** Per-CPU maps only: every CPU's value. */
  values?: string[];
}

export interface Warning {
  code: string;
  message: string;
  source?: string;
}

/** One record of {@link RunResult.events}. */
export interface ResultEvent {
  /** The ring buffer's or perf event array's name. */
  map: string;
  /** The CPU that produced it. */
  cpu: number;
  /** The record's bytes in hex. */
  data: string;
  /** The record decoded through BTF, when its type is known (see the `eventTypes` option). */
  value?: unknown;
}

/** Tunnel metadata of a run (struct ip_tunnel_info in TX mode, as bpf_skb_set_tunnel_key fills it). */
export interface ResultTunnel {
  /** The tunnel id (VNI, GRE key). */
  id: number;
  /** The outer destination (bpf_tunnel_key.remote_ipv4/6) and source (local_ipv4/6). */
  remote: string;
  local: string;
  tos: number;
  ttl: number;
  /** IPv6 flow label, 0 for IPv4. */
  label: number;
  /** The set IP_TUNNEL_* flags, lowercase: `csum`, `key`, `seq`, `dont_fragment`, `nocache`, `geneve_opt`, ... */
  flags: string[];
  /** The tunnel options in hex (bpf_skb_set_tunnel_opt), empty when none. */
  options: string;
}

/** The result of one run, as `bpfsim run --json` prints it. */
export interface RunResult {
  /** r0 as the kernel reports it: an unsigned 32-bit number. */
  retval: number;
  /** `XDP_TX`, `TC_ACT_SHOT`, `unknown(N)`. */
  action: string;
  /** The output packet in hex (from data, metadata excluded). */
  packet: string;
  /**
   * `kind` is added to the contract: `neigh` for bpf_redirect_neigh (with `nexthop` when the
   * program gave one), `peer` for bpf_redirect_peer, absent for bpf_redirect and bpf_redirect_map.
   * `cpu` (a CPUMAP redirect) and `xsk` (an XSKMAP redirect: map, slot, the socket's queue and
   * whether it took the frame) are added too; both leave ifindex 0.
   */
  redirect: {
    ifindex: number;
    flags: number;
    kind?: 'neigh' | 'peer';
    nexthop?: string;
    cpu?: number;
    xsk?: { map: string; key: number; queue: number; received: boolean };
  } | null;
  /**
   * The tunnel metadata bpf_skb_set_tunnel_key (and _opt) left on the skb, or null (TC). Added to
   * the contract; the VM fills it, the kernel backend cannot see it (BPF_PROG_TEST_RUN does not
   * copy it out) and leaves it out.
   */
  tunnel?: ResultTunnel | null;
  /**
   * Copies bpf_clone_redirect sent (and a devmap broadcast, one per interface), in order (packet in hex). Added to the contract; the VM
   * fills it, the kernel backend cannot see clones and leaves it out.
   */
  clones?: { ifindex: number; flags: number; packet: string }[];
  maps: Record<string, ResultMapEntry[]>;
  checksums: { ip: 'ok' | 'bad' | null; l4: 'ok' | 'bad' | null };
  warnings: Warning[];
  /** bpf_trace_printk (`bpf_printk`) output, one string per call; `--trace`'s instruction trace goes to stderr, never here. */
  trace: string[];
  /**
   * Records sent to user space through ring buffers and perf event arrays, in the order a reader
   * gets them (design.md's `events`). Optional: results built before it existed leave it out.
   */
  events?: ResultEvent[];
  /** The context's ctx_in fields after the run, only when the case gave `ctx`. */
  ctx?: Record<string, number | number[]>;
}

import { checkInt, checkObject, describe } from '../internal/args.js';
import { ArgumentError, LoadError } from '../internal/errors.js';
import type { ConntrackSpec, FibSpec, SocketSpec } from '../internal/contract.js';
import { LIBBPF_PIN_BY_NAME } from '../loader/btf-map-def.js';
import type { MapSpec, ObjectSpec } from '../loader/spec.js';
import { SimKernel } from '../helpers/index.js';
import type { ConntrackEntryView } from '../helpers/conntrack-table.js';
import { BPF_MAP_TYPE, mapTypeName } from '../uapi/index.js';
import type { VmMap } from '../vm/env.js';
import { VmMemory } from '../vm/memory.js';

/** The defaults of a machine (and of an object loaded without one): see LoadOptions. */
export const MACHINE_DEFAULTS = { cpus: 4, clockNs: 1_000_000_000n, seed: 1 } as const;

/** Options of {@link Machine}: the simulated kernel every object loaded into it shares. */
export interface MachineOptions {
  /** Possible CPUs, for per-CPU maps; default 4. */
  cpus?: number;
  /** Simulated clock in ns since boot; default 1,000,000,000. */
  clock?: bigint | number;
  /** Seed of bpf_get_prandom_u32; default 1. */
  seed?: number;
  /** Kernel network state; default only loopback. */
  fib?: FibSpec;
  /** Sockets of the namespace, for bpf_sk_lookup_tcp/udp (SocketSpec); default none. */
  sockets?: readonly SocketSpec[];
  /** Entries of the namespace's conntrack table, for the conntrack kfuncs (ConntrackSpec); default none. */
  conntrack?: readonly ConntrackSpec[];
}

/** A pinned map: the live map and the object whose spec (and BTF) created it. */
interface Pin {
  map: VmMap;
  owner: ObjectSpec;
}

/**
 * One simulated kernel that several objects load into, as several libbpf objects load into one
 * host: they share the VM memory, the clock, the FIB and a bpffs. A map an object declares with
 * `__uint(pinning, LIBBPF_PIN_BY_NAME)` is pinned under its name when the first object loads; a
 * later object declaring a pinned map of the same name reuses it when its definition is
 * compatible, and fails to load otherwise, as libbpf's bpf_object__reuse_map() and
 * map_is_reuse_compat() do (tools/lib/bpf/libbpf.c). Use with `load(path, { machine })`.
 */
export class Machine {
  readonly mem = new VmMemory();
  readonly kernel: SimKernel;
  readonly cpus: number;
  private readonly pins = new Map<string, Pin>();

  constructor(options: MachineOptions = {}) {
    checkObject(options, 'options');
    this.cpus = options.cpus === undefined ? MACHINE_DEFAULTS.cpus : checkInt(options.cpus, 'options.cpus', 1, 4096);
    if (typeof options.clock === 'number') checkInt(options.clock, 'options.clock', 0);
    else if (options.clock !== undefined && typeof options.clock !== 'bigint') throw new ArgumentError('arg/type', `options.clock: expected ns as a number or bigint, got ${describe(options.clock)}`, 'options.clock');
    const clockNs = options.clock === undefined ? MACHINE_DEFAULTS.clockNs : BigInt(options.clock);
    this.kernel = new SimKernel({ cpus: this.cpus, cpu: 0, clockNs, seed: options.seed ?? MACHINE_DEFAULTS.seed, fib: options.fib, sockets: options.sockets, conntrack: options.conntrack });
    // An inline bpf_redirect (the wasm engine) lands in this memory's control block, where the kernel reads it.
    this.kernel.bindMemory(this.mem);
    this.kernel.conntrack.bind(this.mem);
  }

  /** The conntrack table's entries now: those the options gave and those programs inserted, expired ones left out. */
  conntrackEntries(): ConntrackEntryView[] {
    return this.kernel.conntrack.list();
  }

  /** The names pinned so far (`/sys/fs/bpf/<name>`), in pin order. */
  get pinned(): string[] {
    return [...this.pins.keys()];
  }

  /**
   * The map for `spec` of object `owner`: the pinned one of that name when `spec` is pinned by
   * name and one exists (checked for compatibility), else a new one from `create`, pinned when
   * `spec` asks for it.
   */
  mapFor(spec: MapSpec, owner: ObjectSpec, create: () => VmMap): { map: VmMap; owner: ObjectSpec } {
    if (spec.pinning !== LIBBPF_PIN_BY_NAME) return { map: create(), owner };
    const pin = this.pins.get(spec.name);
    if (!pin) {
      const map = create();
      this.pins.set(spec.name, { map, owner });
      return { map, owner };
    }
    checkReusable(pin.map.spec, spec);
    return pin;
  }
}

/** libbpf's map_is_reuse_compat(): type, key and value sizes, max_entries, flags and map_extra must match. */
function checkReusable(pinned: MapSpec, wanted: MapSpec): void {
  const fields: [string, number, number][] = [
    ['type', pinned.type, wanted.type],
    ['key_size', pinned.keySize, wanted.keySize],
    ['value_size', pinned.valueSize, wanted.valueSize],
    ['max_entries', pinned.maxEntries, wanted.maxEntries],
    ['map_flags', pinned.flags, wanted.flags],
    ['map_extra', pinned.mapExtra ?? 0, wanted.mapExtra ?? 0],
  ];
  const bad = fields.find(([, a, b]) => a !== b && !(a === 0 && b === 0));
  if (bad) {
    const [field, a, b] = bad;
    const show = (v: number) => (field === 'type' ? mapTypeName(v) : String(v));
    throw new LoadError('load/pin-mismatch', `map '${wanted.name}': couldn't reuse pinned map: ${field} ${show(b)} differs from the pinned map's ${show(a)} (libbpf: -EINVAL)`);
  }
  // Their slots hold indices of the programs or maps of the object that created them.
  const T = BPF_MAP_TYPE;
  if (wanted.type === T.BPF_MAP_TYPE_PROG_ARRAY || wanted.type === T.BPF_MAP_TYPE_ARRAY_OF_MAPS || wanted.type === T.BPF_MAP_TYPE_HASH_OF_MAPS) {
    throw new LoadError('load/pin-unsupported', `map '${wanted.name}': bpfsim does not share a pinned ${mapTypeName(wanted.type)} between objects`);
  }
}

import { dirname, resolve } from 'node:path';
import type { FibInterface, FibNeighbor, FibRoute, FibSpec } from '../internal/contract.js';
import { CaseError, SimError } from '../internal/errors.js';
import { fromHex } from '../internal/hex.js';
import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { anyJson, arrayOf, check, int, object, record, str } from '../internal/json-check.js';
import { validateFib } from '../helpers/fib-check.js';
import { BPF_PROG_TYPE } from '../uapi/index.js';
import { fibShape } from './case.js';
import { Machine } from './machine.js';
import { BpfObject, load, resolveProgType } from './object.js';
import type { Program } from './program.js';

/** A program attached to a hook: an object of the topology by name and one of its programs. */
export interface TopologyAttach {
  object: string;
  program: string;
}

/** An interface of a topology: its kernel state (as a case's `fib.interfaces`) and the programs on its hooks. */
export interface TopologyInterface extends FibInterface {
  /** The other end of a veth pair (an interface name): where bpf_redirect_peer to this interface delivers. */
  peer?: string;
  xdp?: TopologyAttach;
  tc_ingress?: TopologyAttach;
  tc_egress?: TopologyAttach;
}

/** An object of a topology: its path (relative to the topology file), rodata and map entries in hex. */
export interface TopologyObject {
  object: string;
  rodata?: Record<string, unknown>;
  maps?: Record<string, { key: string; value: string }[]>;
}

/** A topology file as JSON (see the README's `bpfsim sim`). */
export interface TopologyFile {
  objects: Record<string, TopologyObject>;
  interfaces: TopologyInterface[];
  routes?: FibRoute[];
  neighbors?: FibNeighbor[];
  forwarding?: boolean;
  /** Hooks one injected packet may pass through, along any path, before it is dropped as a loop; default 16. */
  hop_limit?: number;
}

/** The default {@link TopologyFile.hop_limit}. */
export const DEFAULT_HOP_LIMIT = 16;

/** IFNAMSIZ - 1 characters a Linux interface name may have; also safe as a file name. */
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
const attachShape = object({ object: { shape: str(), required: true }, program: { shape: str(), required: true } });
const fibFields = fibShape as (v: unknown, path: string, code: string) => FibSpec;

const topologyShape = object({
  description: { shape: str() },
  objects: {
    shape: record(
      object({
        object: { shape: str(), required: true },
        rodata: { shape: record(anyJson) },
        maps: { shape: record(arrayOf(object({ key: { shape: str(), required: true }, value: { shape: str(), required: true } }))) },
      }),
    ),
    required: true,
  },
  interfaces: {
    shape: arrayOf(
      object({
        name: { shape: str((s) => IFNAME.test(s), 'an interface name of 1 to 15 letters, digits, _, . or -'), required: true },
        ifindex: { shape: int(2, 0x7fff_ffff), required: true },
        mac: { shape: str(), required: true },
        addrs: { shape: arrayOf(str()) },
        mtu: { shape: int(0, 0xffff_ffff) },
        peer: { shape: str() },
        xdp: { shape: attachShape },
        tc_ingress: { shape: attachShape },
        tc_egress: { shape: attachShape },
      }),
    ),
    required: true,
  },
  routes: { shape: anyJson },
  neighbors: { shape: anyJson },
  forwarding: { shape: anyJson },
  hop_limit: { shape: int(1, 1024) },
});

/** A topology file checked: every field at every depth, object paths made absolute. */
export interface TopologySpec {
  /** The file's path, or `<inline>`. */
  path: string;
  objects: Record<string, TopologyObject & { objectPath: string }>;
  interfaces: TopologyInterface[];
  fib: FibSpec;
  hopLimit: number;
}

/**
 * Checks a topology given as parsed JSON; `path` is the file it came from, against which object
 * paths resolve. Every error is a CaseError (`topology/invalid` for the shape, `case/bad-fib` for
 * the network state) whose one-line message starts with the JSON path.
 */
export function parseTopology(json: unknown, path = '<inline>'): TopologySpec {
  const t = check(topologyShape, json, 'topology/invalid');
  const fibInput = { interfaces: t.interfaces.map(({ name, ifindex, mac, addrs, mtu }) => ({ name, ifindex, mac, ...(addrs && { addrs }), ...(mtu !== undefined && { mtu }) })), routes: t.routes, neighbors: t.neighbors, forwarding: t.forwarding };
  for (const key of ['routes', 'neighbors', 'forwarding'] as const) if (fibInput[key] === undefined) delete fibInput[key];
  const fib = fibFields(fibInput, '', 'case/bad-fib');
  validateFib(fib);
  if (t.interfaces.length === 0) throw new CaseError('topology/invalid', 'interfaces: expected at least one interface, got none');
  const base = path === '<inline>' ? process.cwd() : dirname(path);
  const objects: TopologySpec['objects'] = Object.create(null);
  for (const [name, o] of Object.entries(t.objects)) objects[name] = { ...o, objectPath: resolve(base, o.object) };
  const names = new Set(t.interfaces.map((itf) => itf.name));
  t.interfaces.forEach((itf, i) => {
    if (itf.peer !== undefined && (!names.has(itf.peer) || itf.peer === itf.name)) throw new CaseError('topology/invalid', `interfaces[${i}].peer: expected the name of another interface, got '${itf.peer}'`);
    for (const hook of ['xdp', 'tc_ingress', 'tc_egress'] as const) {
      const a = itf[hook];
      if (a && !Object.hasOwn(objects, a.object)) throw new CaseError('topology/invalid', `interfaces[${i}].${hook}.object: no object named '${a.object}' in objects`);
    }
  });
  return { path, objects, interfaces: t.interfaces as TopologyInterface[], fib, hopLimit: t.hop_limit ?? DEFAULT_HOP_LIMIT };
}

/** Reads and checks a topology file (see {@link parseTopology}). */
export function readTopology(path: string): TopologySpec {
  const text = Buffer.from(readInputFile(path, 'topology file', INPUT_LIMITS.case, (code, message) => new CaseError(`topology/${code}`, message))).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CaseError('topology/bad-json', `${path}: ${(err as Error).message}`);
  }
  try {
    return parseTopology(json, path);
  } catch (err) {
    throw err instanceof CaseError ? err.withContext(path) : err;
  }
}

/** A program on one hook of one interface, ready to run. */
export interface AttachedProgram {
  /** `object/program`, as summaries name it. */
  name: string;
  program: Program;
}

/** An interface with its programs loaded. */
export interface LoadedInterface {
  name: string;
  ifindex: number;
  /** The MAC address as bytes. */
  mac: Uint8Array;
  /** The name of the other end of its veth pair, if any. */
  peer?: string;
  xdp?: AttachedProgram;
  tc_ingress?: AttachedProgram;
  tc_egress?: AttachedProgram;
}

/** Hook → the program type its programs must have. */
const HOOK_TYPES = {
  xdp: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  tc_ingress: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
  tc_egress: BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS,
} as const;

/**
 * Loads every object of `spec` into one {@link Machine} (maps pinned by name are shared, as
 * libbpf reuses pins), writes their map entries and finds each hook's program, which must be of
 * the hook's type (XDP on `xdp`, TC on `tc_ingress`/`tc_egress`).
 */
export async function loadTopology(spec: TopologySpec, options: { engine?: 'wasm' | 'interp' } = {}): Promise<{ machine: Machine; objects: Record<string, BpfObject>; interfaces: LoadedInterface[] }> {
  const machine = new Machine({ fib: spec.fib });
  const objects: Record<string, BpfObject> = Object.create(null);
  for (const [name, o] of Object.entries(spec.objects)) {
    const where = `objects.${name}`;
    let obj: BpfObject;
    try {
      obj = await load(o.objectPath, { machine, engine: options.engine, ...(o.rodata && { rodata: o.rodata }) });
      for (const [mapName, entries] of Object.entries(o.maps ?? {})) {
        const map = obj.map(mapName);
        entries.forEach((e, i) => map.set(fromHex(e.key, `${where}.maps.${mapName}[${i}].key`), fromHex(e.value, `${where}.maps.${mapName}[${i}].value`)));
      }
    } catch (err) {
      throw err instanceof SimError ? err.withContext(where) : err;
    }
    objects[name] = obj;
  }
  const interfaces = spec.interfaces.map((itf, i): LoadedInterface => {
    const loaded: LoadedInterface = { name: itf.name, ifindex: itf.ifindex, mac: macBytes(itf.mac), ...(itf.peer !== undefined && { peer: itf.peer }) };
    for (const hook of ['xdp', 'tc_ingress', 'tc_egress'] as const) {
      const a = itf[hook];
      if (!a) continue;
      const obj = objects[a.object]!;
      const program = obj.program(a.program);
      const type = resolveProgType(program.spec);
      if (type !== HOOK_TYPES[hook]) {
        throw new CaseError('topology/bad-hook', `interfaces[${i}].${hook}: program '${a.program}' of '${a.object}' is not ${hook === 'xdp' ? 'an XDP' : 'a TC'} program`);
      }
      loaded[hook] = { name: `${a.object}/${a.program}`, program };
    }
    return loaded;
  });
  return { machine, objects, interfaces };
}

/** `02:00:00:00:00:01` as 6 bytes (the address was checked by validateFib). */
function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

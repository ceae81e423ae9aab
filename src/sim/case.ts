import { dirname, resolve } from 'node:path';
import type { ConntrackSpec, FibSpec, ProgTypeName, SocketSpec } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import { fromHex } from '../internal/hex.js';
import { INPUT_LIMITS, readInputFile } from '../internal/input-file.js';
import { anyJson, arrayOf, bool, check, childPath, either, int, object, oneOf, record, str, withCode } from '../internal/json-check.js';
import { validateFib } from '../helpers/fib-check.js';
import { resolveSockets } from '../helpers/sim-sockets.js';
import { resolveConntrack } from '../helpers/conntrack-table.js';
import { rxTunnelInfo, type TunnelInput } from '../helpers/tunnel-input.js';
import { rxHints, type RxMetadata } from '../helpers/xdp-rx-metadata.js';
import { NETKIT_ACTION, TC_ACT, TCX_ACTION, XDP_ACTION } from '../uapi/index.js';

/** A map entry of a case with its bytes decoded. */
export interface CaseEntry {
  key: Uint8Array;
  value?: Uint8Array;
  program?: string;
}

/** A case file read, checked and resolved: paths absolute, hex decoded. */
export interface Case {
  /** The case file's path, or `<inline>`. */
  path: string;
  objectPath: string;
  program: string;
  type?: ProgTypeName;
  /** The vmlinux BTF CO-RE relocations resolve against (absolute path), when the case gives `kernel_btf` (or `--btf`). */
  kernelBtfPath?: string;
  /** Values of `.kconfig` externs by name (`CONFIG_HZ: 250`, `CONFIG_X: 'y'`, `LINUX_KERNEL_VERSION`), over the defaults. */
  kconfig?: Record<string, number | string | boolean>;
  packet: Uint8Array;
  ctx?: Record<string, number | number[]>;
  maps: Record<string, CaseEntry[]>;
  /** `const volatile` globals by BTF variable name, set before load (checked against BTF when the object loads). */
  rodata?: Record<string, unknown>;
  fib?: FibSpec;
  /** Sockets of the namespace (checked by resolveSockets). */
  sockets?: SocketSpec[];
  /** Entries of the namespace's conntrack table (checked by resolveConntrack). */
  conntrack?: ConntrackSpec[];
  /** Tunnel metadata the skb arrives with (TC), options decoded. */
  tunnel?: TunnelInput;
  /**
   * Programs loaded bound to a device (XDP, BPF_F_XDP_DEV_BOUND_ONLY), which may call the XDP
   * metadata kfuncs: `true` the case's program, or a list of program names of the object.
   */
  deviceBound?: true | string[];
  /** The receive hints the XDP metadata kfuncs answer with (XDP); a hint left out is -ENODATA. */
  rxMetadata?: RxMetadata;
  parityIgnore: string[];
  /**
   * `retval` unsigned 32-bit; `action` a name such as `XDP_TX` or `TC_ACT_SHOT`; `load` the
   * verifier's message the load must fail with (the kernel's, its log's last line), instead of a run.
   */
  expect?: { retval?: number; action?: string; packet?: Uint8Array; load?: string };
}

const U32_MAX = 0xffff_ffff;
const hexText = str();
const ctxNumber = int(0, Number.MAX_SAFE_INTEGER);
const ACTION_NAMES = new Set([...Object.keys(XDP_ACTION), ...Object.keys(TC_ACT), ...Object.keys(TCX_ACTION), ...Object.keys(NETKIT_ACTION)]);

/** The interface, route and neighbour fields of `fib` (their meaning is checked by validateFib). */
export const fibShape = withCode(
  'case/bad-fib',
  object({
    interfaces: {
      shape: arrayOf(
        object({
          ifindex: { shape: int(1, 0x7fff_ffff), required: true },
          name: { shape: str(), required: true },
          mac: { shape: str(), required: true },
          addrs: { shape: arrayOf(str()) },
          mtu: { shape: int(0, U32_MAX) },
        }),
      ),
    },
    routes: {
      shape: arrayOf(
        object({
          dst: { shape: str(), required: true },
          via: { shape: str() },
          dev: { shape: int(1, 0x7fff_ffff) },
          type: { shape: str() },
        }),
      ),
    },
    neighbors: {
      shape: arrayOf(
        object({
          ip: { shape: str(), required: true },
          mac: { shape: str(), required: true },
          dev: { shape: int(1, 0x7fff_ffff), required: true },
        }),
      ),
    },
    forwarding: { shape: bool },
  }),
);

/**
 * The case file's shape (design.md, "Case files"): every field at every depth, with its type and
 * range. What a field means (a ctx field of the program type, a map's key size) is checked where
 * the object is known.
 */
const caseShape = object({
  object: { shape: str(), required: true },
  program: { shape: str(), required: true },
  packet: { shape: hexText },
  type: { shape: oneOf('xdp', 'tc', 'socket') },
  kernel_btf: { shape: str() },
  kconfig: { shape: record(either<number | string | boolean>('a number, a string or a boolean', int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), str(), bool)) },
  description: { shape: str() },
  name: { shape: str() },
  ctx: { shape: record(either<number | number[]>('a non-negative integer or an array of them', ctxNumber, arrayOf(ctxNumber, 64))) },
  maps: { shape: record(arrayOf(object({ key: { shape: hexText, required: true }, value: { shape: hexText }, program: { shape: str() } }))) },
  rodata: { shape: record(anyJson) },
  fib: { shape: fibShape },
  sockets: {
    shape: withCode(
      'case/bad-socket',
      arrayOf(
        object({
          proto: { shape: oneOf('tcp', 'udp'), required: true },
          local: { shape: str(), required: true },
          remote: { shape: str() },
          state: { shape: oneOf('listen', 'established', 'close') },
        }),
      ),
    ),
  },
  conntrack: {
    shape: withCode(
      'case/bad-conntrack',
      arrayOf(
        object({
          proto: { shape: oneOf('tcp', 'udp'), required: true },
          src: { shape: str(), required: true },
          dst: { shape: str(), required: true },
          sport: { shape: int(0, 65535), required: true },
          dport: { shape: int(0, 65535), required: true },
          status: { shape: int(0, U32_MAX) },
          mark: { shape: int(0, U32_MAX) },
          timeout: { shape: int(1, 0x7fff_ffff) },
          zone: { shape: int(0, 65535) },
        }),
      ),
    ),
  },
  tunnel: {
    shape: object({
      id: { shape: int(0, U32_MAX), required: true },
      remote: { shape: str(), required: true },
      local: { shape: str(), required: true },
      tos: { shape: int(0, 255) },
      ttl: { shape: int(0, 255) },
      label: { shape: int(0, 0xfffff) },
      flags: { shape: arrayOf(str()) },
      options: { shape: hexText },
    }),
  },
  deviceBound: { shape: either<boolean | string[]>('true or an array of program names', bool, arrayOf(str())) },
  rxMetadata: {
    shape: withCode(
      'case/bad-rx-metadata',
      object({
        timestamp: { shape: either<number | string>('ns as an integer, or a decimal string past 2^53', int(0, Number.MAX_SAFE_INTEGER), str()) },
        hash: { shape: int(0, U32_MAX) },
        hashType: { shape: int(0, U32_MAX) },
        vlanProto: { shape: int(0, 0xffff) },
        vlanTci: { shape: int(0, 0xffff) },
      }),
    ),
  },
  parity: { shape: object({ ignore: { shape: arrayOf(str()) } }) },
  expect: {
    shape: object({
      retval: { shape: int(-0x8000_0000, U32_MAX) },
      action: { shape: str((a) => ACTION_NAMES.has(a), `an action name (${[...ACTION_NAMES].join(', ')})`) },
      packet: { shape: hexText },
      load: { shape: str((m) => m.trim() !== '', 'the verifier message the load fails with') },
    }),
  },
});

/** Case fields with their hex decoded; a map entry must hold exactly one of `value` and `program`. */
function decodeMaps(maps: Record<string, { key: string; value?: string; program?: string }[]>): Record<string, CaseEntry[]> {
  const out = Object.create(null) as Record<string, CaseEntry[]>;
  for (const [name, entries] of Object.entries(maps)) {
    out[name] = entries.map((entry, i) => {
      const where = `${childPath('maps', name)}[${i}]`;
      const decoded: CaseEntry = { key: fromHex(entry.key, `${where}.key`) };
      if (entry.value !== undefined) decoded.value = fromHex(entry.value, `${where}.value`);
      if (entry.program !== undefined) decoded.program = entry.program;
      if ((entry.value === undefined) === (entry.program === undefined)) {
        throw new CaseError('case/invalid', `${where}: expected exactly one of value (a map value in hex) or program (a prog-array slot)`);
      }
      return decoded;
    });
  }
  return out;
}

/**
 * Checks a parsed case object against the case-file contract (design.md, "Case files") and
 * resolves it: `object` relative to `baseDir`, hex decoded. `packetOptional` allows a case
 * without `packet` (replay). Throws CaseError `case/invalid` (a field's shape: unknown, missing,
 * of the wrong type or out of range, named by its JSON path), `case/bad-hex`, `case/bad-fib`, `case/bad-socket` or `case/bad-conntrack`.
 */
export function parseCase(json: unknown, baseDir: string, path = '<inline>', packetOptional = false): Case {
  const c = check(caseShape, json);
  let packet: Uint8Array = new Uint8Array(0);
  if (c.packet !== undefined) {
    packet = fromHex(c.packet, 'packet');
    if (packet.length < 14) throw new CaseError('case/invalid', `packet: expected at least an Ethernet header (14 bytes), got ${packet.length}`);
  } else if (!packetOptional) {
    throw new CaseError('case/invalid', 'packet: missing');
  }
  const parsed: Case = {
    path,
    objectPath: resolve(baseDir, c.object),
    program: c.program,
    type: c.type,
    packet,
    maps: c.maps === undefined ? {} : decodeMaps(c.maps),
    parityIgnore: c.parity?.ignore ?? [],
  };
  // An ordinary object (the checked record has no prototype, which V8 keeps as a dictionary): every run reads its fields.
  if (c.ctx !== undefined) parsed.ctx = { ...c.ctx };
  if (c.kernel_btf !== undefined) parsed.kernelBtfPath = resolve(baseDir, c.kernel_btf);
  if (c.kconfig !== undefined) parsed.kconfig = c.kconfig;
  if (c.fib !== undefined) {
    const fib: FibSpec = {
      interfaces: (c.fib.interfaces ?? []).map((itf) => ({ ...itf, addrs: itf.addrs ?? [] })),
      routes: (c.fib.routes ?? []) as FibSpec['routes'],
      neighbors: c.fib.neighbors ?? [],
      forwarding: c.fib.forwarding ?? true,
    };
    validateFib(fib);
    parsed.fib = fib;
  }
  if (c.rodata !== undefined) parsed.rodata = c.rodata;
  if (c.sockets !== undefined) {
    const sockets = c.sockets.map((s) => ({ ...s })) as SocketSpec[];
    resolveSockets(sockets);
    parsed.sockets = sockets;
  }
  if (c.conntrack !== undefined) {
    const conntrack = c.conntrack.map((e) => ({ ...e })) as ConntrackSpec[];
    resolveConntrack(conntrack);
    parsed.conntrack = conntrack;
  }
  if (c.tunnel !== undefined) {
    const { options, ...rest } = c.tunnel;
    const tunnel: TunnelInput = options === undefined ? rest : { ...rest, options: fromHex(options, 'tunnel.options') };
    rxTunnelInfo(tunnel, (message) => new CaseError('case/bad-tunnel', `tunnel.${message}`));
    parsed.tunnel = tunnel;
  }
  if (c.deviceBound === true) parsed.deviceBound = true;
  else if (Array.isArray(c.deviceBound)) parsed.deviceBound = [...c.deviceBound];
  if (c.rxMetadata !== undefined) {
    rxHints(c.rxMetadata, (message) => new CaseError('case/bad-rx-metadata', `rxMetadata.${message}`));
    parsed.rxMetadata = { ...c.rxMetadata };
  }
  if (c.expect !== undefined) {
    parsed.expect = {};
    if (c.expect.retval !== undefined) parsed.expect.retval = c.expect.retval >>> 0;
    if (c.expect.action !== undefined) parsed.expect.action = c.expect.action;
    if (c.expect.packet !== undefined) parsed.expect.packet = fromHex(c.expect.packet, 'expect.packet');
    if (c.expect.load !== undefined) {
      // A refused load has no run to compare.
      if (c.expect.retval !== undefined || c.expect.action !== undefined || c.expect.packet !== undefined) {
        throw new CaseError('case/invalid', 'expect.load: a case expecting the load to fail expects nothing of the run (retval, action, packet)');
      }
      parsed.expect.load = c.expect.load;
    }
  }
  return parsed;
}

/** Reads and checks a case file; errors name the file (`cases/x.json: maps.flows[0].key: ...`). */
export async function readCase(path: string, packetOptional = false): Promise<Case> {
  const text = Buffer.from(readInputFile(path, 'case file', INPUT_LIMITS.case, (code, message) => new CaseError(`case/${code}`, message))).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CaseError('case/bad-json', `${path}: invalid JSON: ${(err as Error).message}`);
  }
  try {
    return parseCase(json, dirname(resolve(path)), path, packetOptional);
  } catch (err) {
    if (err instanceof CaseError) throw err.withContext(path);
    throw err;
  }
}

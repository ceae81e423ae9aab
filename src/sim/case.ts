import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CaseFile, FibSpec } from '../internal/contract.js';
import { CaseError } from '../internal/errors.js';
import { fromHex } from '../internal/hex.js';

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
  type?: 'xdp' | 'tc';
  packet: Uint8Array;
  ctx?: Record<string, number | number[]>;
  maps: Record<string, CaseEntry[]>;
  /** `const volatile` globals by BTF variable name, set before load (checked against BTF when the object loads). */
  rodata?: Record<string, unknown>;
  fib?: FibSpec;
  parityIgnore: string[];
  expect?: { retval?: number; packet?: Uint8Array };
}

const CASE_FIELDS = new Set(['object', 'program', 'packet', 'type', 'ctx', 'maps', 'fib', 'parity', 'expect', 'description', 'name', 'rodata']);

function fail(where: string, message: string): never {
  throw new CaseError('case/invalid', `${where}: ${message}`);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function expectType(where: string, v: unknown, type: 'string' | 'object' | 'number' | 'array' | 'boolean'): void {
  const actual = typeName(v);
  if (actual !== type) fail(where, `expected ${type}, got ${actual}`);
}

function checkCtx(ctx: unknown): Record<string, number | number[]> {
  expectType('ctx', ctx, 'object');
  const out: Record<string, number | number[]> = {};
  for (const [name, value] of Object.entries(ctx as Record<string, unknown>)) {
    const ok = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    if (Array.isArray(value)) {
      if (!value.every(ok)) fail(`ctx.${name}`, 'expected non-negative integers');
      out[name] = value as number[];
    } else if (ok(value)) {
      out[name] = value as number;
    } else {
      fail(`ctx.${name}`, `expected a non-negative integer, got ${JSON.stringify(value)}`);
    }
  }
  return out;
}

function checkMaps(maps: unknown): Record<string, CaseEntry[]> {
  expectType('maps', maps, 'object');
  const out: Record<string, CaseEntry[]> = {};
  for (const [name, entries] of Object.entries(maps as Record<string, unknown>)) {
    expectType(`maps.${name}`, entries, 'array');
    out[name] = (entries as unknown[]).map((e, i) => {
      const where = `maps.${name}[${i}]`;
      expectType(where, e, 'object');
      const entry = e as Record<string, unknown>;
      expectType(`${where}.key`, entry.key, 'string');
      const decoded: CaseEntry = { key: fromHex(entry.key as string, `${where}.key`) };
      if (entry.value !== undefined) {
        expectType(`${where}.value`, entry.value, 'string');
        decoded.value = fromHex(entry.value as string, `${where}.value`);
      }
      if (entry.program !== undefined) {
        expectType(`${where}.program`, entry.program, 'string');
        decoded.program = entry.program as string;
      }
      if ((decoded.value === undefined) === (decoded.program === undefined)) fail(where, 'expected exactly one of value or program');
      return decoded;
    });
  }
  return out;
}

function checkFib(fib: unknown): FibSpec {
  expectType('fib', fib, 'object');
  const f = fib as Record<string, unknown>;
  for (const list of ['interfaces', 'routes', 'neighbors'] as const) {
    if (f[list] !== undefined) {
      expectType(`fib.${list}`, f[list], 'array');
      (f[list] as unknown[]).forEach((item, i) => expectType(`fib.${list}[${i}]`, item, 'object'));
    }
  }
  (f.interfaces as Record<string, unknown>[] | undefined)?.forEach((itf, i) => {
    expectType(`fib.interfaces[${i}].ifindex`, itf.ifindex, 'number');
    expectType(`fib.interfaces[${i}].name`, itf.name, 'string');
    expectType(`fib.interfaces[${i}].mac`, itf.mac, 'string');
    if (itf.addrs !== undefined) expectType(`fib.interfaces[${i}].addrs`, itf.addrs, 'array');
    if (itf.ifindex === 1) fail(`fib.interfaces[${i}].ifindex`, 'interface 1 is loopback and always present');
  });
  (f.routes as Record<string, unknown>[] | undefined)?.forEach((r, i) => {
    expectType(`fib.routes[${i}].dst`, r.dst, 'string');
    expectType(`fib.routes[${i}].dev`, r.dev, 'number');
  });
  (f.neighbors as Record<string, unknown>[] | undefined)?.forEach((n, i) => {
    expectType(`fib.neighbors[${i}].ip`, n.ip, 'string');
    expectType(`fib.neighbors[${i}].mac`, n.mac, 'string');
    expectType(`fib.neighbors[${i}].dev`, n.dev, 'number');
  });
  if (f.forwarding !== undefined) expectType('fib.forwarding', f.forwarding, 'boolean');
  return {
    interfaces: (f.interfaces as FibSpec['interfaces']) ?? [],
    routes: (f.routes as FibSpec['routes']) ?? [],
    neighbors: (f.neighbors as FibSpec['neighbors']) ?? [],
    forwarding: (f.forwarding as boolean | undefined) ?? true,
  };
}

/**
 * Checks a parsed case object against the case-file contract (design.md, "Case files") and
 * resolves it: `object` relative to `baseDir`, hex decoded. `packetOptional` allows a case
 * without `packet` (replay). Throws CaseError `case/invalid` or `case/bad-hex` naming the field.
 */
export function parseCase(json: unknown, baseDir: string, path = '<inline>', packetOptional = false): Case {
  expectType('case', json, 'object');
  const c = json as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!CASE_FIELDS.has(key)) fail(key, 'unknown field');
  expectType('object', c.object, 'string');
  expectType('program', c.program, 'string');
  if (c.type !== undefined && c.type !== 'xdp' && c.type !== 'tc') fail('type', `expected "xdp" or "tc", got ${JSON.stringify(c.type)}`);
  let packet: Uint8Array = new Uint8Array(0);
  if (c.packet !== undefined) {
    expectType('packet', c.packet, 'string');
    packet = fromHex(c.packet as string, 'packet');
    if (packet.length < 14) fail('packet', `expected at least an Ethernet header (14 bytes), got ${packet.length}`);
  } else if (!packetOptional) {
    fail('packet', 'missing');
  }
  const parsed: Case = {
    path,
    objectPath: resolve(baseDir, c.object as string),
    program: c.program as string,
    type: c.type as Case['type'],
    packet,
    maps: c.maps === undefined ? {} : checkMaps(c.maps),
    parityIgnore: [],
  };
  if (c.ctx !== undefined) parsed.ctx = checkCtx(c.ctx);
  if (c.fib !== undefined) parsed.fib = checkFib(c.fib);
  if (c.rodata !== undefined) {
    expectType('rodata', c.rodata, 'object');
    parsed.rodata = { ...(c.rodata as Record<string, unknown>) };
  }
  if (c.parity !== undefined) {
    expectType('parity', c.parity, 'object');
    const ignore = (c.parity as Record<string, unknown>).ignore;
    if (ignore !== undefined) {
      expectType('parity.ignore', ignore, 'array');
      (ignore as unknown[]).forEach((p, i) => expectType(`parity.ignore[${i}]`, p, 'string'));
      parsed.parityIgnore = ignore as string[];
    }
  }
  if (c.expect !== undefined) {
    expectType('expect', c.expect, 'object');
    const e = c.expect as Record<string, unknown>;
    parsed.expect = {};
    if (e.retval !== undefined) {
      if (typeof e.retval !== 'number' || !Number.isInteger(e.retval)) fail('expect.retval', `expected an integer, got ${JSON.stringify(e.retval)}`);
      parsed.expect.retval = e.retval >>> 0;
    }
    if (e.packet !== undefined) {
      expectType('expect.packet', e.packet, 'string');
      parsed.expect.packet = fromHex(e.packet as string, 'expect.packet');
    }
  }
  return parsed;
}

/** Reads and checks a case file; errors name the file (`cases/x.json: maps.flows[0].key: ...`). */
export async function readCase(path: string, packetOptional = false): Promise<Case> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaseError('case/unreadable', `${path}: cannot read case file${code ? ` (${code})` : ''}`);
  }
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

import { assemble } from '../../src/isa/asm.js';
import type { Insn } from '../../src/isa/insn.js';
import type { MapSpec, ProgramSpec } from '../../src/loader/spec.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import type { Engine, HelperDef, HelperFn, RunEnv, VmMap, Executable } from '../../src/vm/env.js';
import { LAYOUT } from '../../src/vm/layout.js';
import { VmMemory } from '../../src/vm/memory.js';

/** A ProgramSpec around `insns` (or assembler source), for tests. */
export function program(code: string | Insn[], name = 'prog', extra: Partial<ProgramSpec> = {}): ProgramSpec {
  const insns = typeof code === 'string' ? assemble(code) : code;
  return { name, sectionName: 'xdp', type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, insns, functions: [{ name, pc: 0 }], lines: [], flags: 0, ...extra };
}

/** A map spec with defaults for tests. */
export function mapSpec(over: Partial<MapSpec>): MapSpec {
  return { name: 'm', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, pinning: 0, source: 'btf', ...over };
}

/**
 * A minimal array map in VM memory: key is a u32 index. Enough for engine tests; the real maps
 * live in src/maps.
 */
export class TestArrayMap implements VmMap {
  readonly base: number;
  constructor(
    readonly spec: MapSpec,
    private readonly mem: VmMemory,
    writable = true,
  ) {
    this.base = mem.allocSlab(spec.valueSize, spec.maxEntries, `map '${spec.name}' value`, writable).base;
  }
  private index(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }
  lookup(key: Uint8Array): number {
    const i = this.index(key);
    return i < this.spec.maxEntries ? this.base + i * Math.max(8, (this.spec.valueSize + 7) & ~7) : 0;
  }
  update(key: Uint8Array, value: Uint8Array): number {
    const a = this.lookup(key);
    if (!a) return -7;
    this.mem.u8.set(value.subarray(0, this.spec.valueSize), a);
    return 0;
  }
  delete(): number {
    return -22;
  }
  nextKey(): Uint8Array | null {
    return null;
  }
  read(key: Uint8Array): Uint8Array[] | null {
    const a = this.lookup(key);
    return a ? [this.mem.u8.slice(a, a + this.spec.valueSize)] : null;
  }
  write(key: Uint8Array, values: Uint8Array[]): number {
    return this.update(key, values[0]!);
  }
}

/** A prog array for tail-call tests: slot → index into RunEnv.programs. */
export class TestProgArray implements VmMap {
  readonly slots = new Map<number, number>();
  constructor(readonly spec: MapSpec) {}
  programAt(index: number): number | undefined {
    return this.slots.get(index);
  }
  lookup(): number {
    return 0;
  }
  update(): number {
    return 0;
  }
  delete(): number {
    return 0;
  }
  nextKey(): Uint8Array | null {
    return null;
  }
  read(): Uint8Array[] | null {
    return null;
  }
  write(): number {
    return 0;
  }
}

/** A machine for engine tests: memory, maps and helpers by id. */
export class TestMachine {
  readonly mem = new VmMemory();
  readonly maps: VmMap[] = [];
  readonly helperDefs = new Map<number, HelperDef>();
  readonly helpers = { get: (id: number) => this.helperDefs.get(id) };
  readonly programs: (Executable | undefined)[] = [];

  /** Registers helper `id` as `fn`. */
  helper(id: number, fn: HelperFn, name = `helper_${id}`): this {
    this.helperDefs.set(id, { id, name, fn });
    return this;
  }

  /** A fresh RunEnv with `budget` instructions. */
  env(budget = 1_000_000): RunEnv {
    return { mem: this.mem, maps: this.maps, helpers: this.helpers, progType: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, cpu: 0, pc: 0, budget, programs: this.programs, tailCalls: 0 };
  }

  /** Copies `bytes` into the packet area, sets the packet bounds and returns the data address. */
  packet(bytes: Uint8Array): number {
    const data = LAYOUT.PACKET + 256;
    this.mem.u8.set(bytes, data);
    this.mem.setPacketBounds(data, data, data + bytes.length);
    return data;
  }

  /** Prepares and runs `code` on `engine` with r1 = `r1`, returning r0. */
  run(engine: Engine, code: string | Insn[] | ProgramSpec, r1 = 0, r2 = 0, budget?: number): bigint {
    const spec = typeof code === 'object' && !Array.isArray(code) ? code : program(code);
    return engine.prepare(spec, this).run(this.env(budget), r1, r2);
  }
}

/** The two slots of `lddw rDst, value`. */
export function lddw(dst: number, value: bigint): Insn[] {
  const v = BigInt.asUintN(64, value);
  return [
    { opcode: 0x18, dst, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v)) },
    { opcode: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) },
  ];
}

/** One instruction slot. */
export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode, dst, src, off, imm };
}

/** `r1 = a; r2 = b; <insns>; r0 = r1; exit` — runs one operation on r1 with operand r2 (or its imm). */
export function withOperands(a: bigint, b: bigint, body: Insn[]): Insn[] {
  return [...lddw(1, a), ...lddw(2, b), ...body, insn(0xbf, 0, 1), insn(0x95)];
}

import { CORE_POISON_HELPER_ID, CoreResolver, coreKindName, type CoreResult } from '../btf/core.js';
import type { CoreRelo } from '../btf/btf-ext.js';
import { LoadError, SimError } from '../internal/errors.js';
import type { Insn } from '../isa/insn.js';
import type { LoadContext } from './context.js';

const CLASS_LD = 0x00;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const CLASS_ALU = 0x04;
const CLASS_ALU64 = 0x07;
const OP_LDDW = 0x18;
const BPF_K = 0x00;
/** BPF_SIZE bits by access size in bytes: W, H, B, DW. */
const SIZE_BITS = new Map([
  [4, 0x00],
  [2, 0x08],
  [1, 0x10],
  [8, 0x18],
]);
const SIZE_BYTES = new Map([...SIZE_BITS].map(([bytes, bits]) => [bits, bytes]));

/** A relocation that poisoned its instruction: why, and its access path as libbpf prints it (CoreResolver.formatSpec). */
export interface CoreFailure {
  message: string;
  spec: string;
}

/**
 * The `CO-RE` phase for one executable section: every relocation .BTF.ext records for it is
 * resolved against the target kernel's BTF and patched into `insns` as libbpf's
 * bpf_core_patch_insn does (an ALU immediate, a load/store offset and size, a 64-bit immediate).
 * A relocation that does not resolve poisons its instruction with a call of helper 0xbad2310,
 * as libbpf does: the run faults there only if it reaches it. Returns why, by instruction index.
 */
export function applyCoreRelocations(ctx: LoadContext, sectionName: string, insns: Insn[], where: (pc: number) => string): Map<number, CoreFailure> {
  const poisoned = new Map<number, CoreFailure>();
  const relos = ctx.btfExt?.coreRelos.get(sectionName);
  if (!relos || relos.length === 0 || !ctx.btf) return poisoned;
  const target = ctx.kernelBtf?.();
  if (!target) return poisoned;
  ctx.coreResolver ??= new CoreResolver(ctx.btf, target);
  relos.forEach((relo, index) => {
    const pc = relo.insnOff / 8;
    const at = `${where(pc)}: CO-RE relocation #${index} (${coreKindName(relo.kind)})`;
    if (!Number.isInteger(pc) || pc >= insns.length) throw new LoadError('load/core-relo', `${at}: offset ${relo.insnOff} is not an instruction`);
    let res: CoreResult;
    try {
      res = ctx.coreResolver!.resolve(relo);
    } catch (err) {
      if (err instanceof SimError) throw new LoadError('load/core-relo', `${at}: ${err.message}`);
      throw err;
    }
    const why = patch(insns, pc, res, relo);
    if (why !== undefined) poisoned.set(pc, { message: `${at}: ${why}`, spec: ctx.coreResolver!.formatSpec(relo) });
  });
  return poisoned;
}

function poison(insns: Insn[], pc: number): void {
  const insn = insns[pc]!;
  if (insn.opcode === OP_LDDW && insns[pc + 1]) insns[pc + 1] = { opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER_ID };
  insns[pc] = { opcode: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER_ID };
}

/** bpf_core_patch_insn: patches `insns[pc]`, or poisons it and returns why. */
function patch(insns: Insn[], pc: number, res: CoreResult, relo: CoreRelo): string | undefined {
  if (res.poison) {
    poison(insns, pc);
    return res.why ?? 'the relocation does not resolve on the target kernel';
  }
  const insn = insns[pc]!;
  const cls = insn.opcode & 0x07;
  const unexpected = (got: bigint | number) => new LoadError('load/core-relo', `insn ${pc}: CO-RE relocation ${coreKindName(relo.kind)} '${relo.accessStr}': unexpected instruction value ${got}, expected ${res.origVal}`);
  if (cls === CLASS_ALU || cls === CLASS_ALU64) {
    if ((insn.opcode & 0x08) !== BPF_K) throw new LoadError('load/core-relo', `insn ${pc}: CO-RE relocation on an ALU instruction with a register source`);
    if (res.validate && BigInt(insn.imm >>> 0) !== BigInt.asUintN(32, res.origVal)) throw unexpected(insn.imm);
    insns[pc] = { ...insn, imm: Number(BigInt.asIntN(32, res.newVal)) };
    return undefined;
  }
  if (cls === CLASS_LDX || cls === CLASS_ST || cls === CLASS_STX) {
    if (res.validate && BigInt(insn.off) !== res.origVal) throw unexpected(insn.off);
    if (res.newVal > 0x7fffn) throw new LoadError('load/core-relo', `insn ${pc}: CO-RE relocation value ${res.newVal} does not fit an instruction offset`);
    if (res.failSizeAdjust) {
      poison(insns, pc);
      return `the field is ${res.newSize} bytes on the target kernel, not ${res.origSize}, and is not an unsigned integer or a pointer`;
    }
    let opcode = insn.opcode;
    if (res.newSize !== res.origSize) {
      const bytes = SIZE_BYTES.get(opcode & 0x18);
      const bits = SIZE_BITS.get(res.newSize);
      if (bytes !== res.origSize || bits === undefined) throw new LoadError('load/core-relo', `insn ${pc}: CO-RE relocation cannot change a ${bytes}-byte access into ${res.newSize} bytes`);
      opcode = (opcode & ~0x18) | bits;
    }
    insns[pc] = { ...insn, opcode, off: Number(res.newVal) };
    return undefined;
  }
  const next = insns[pc + 1];
  if (cls === CLASS_LD && insn.opcode === OP_LDDW && insn.src === 0 && next && next.opcode === 0 && next.dst === 0 && next.src === 0 && next.off === 0) {
    const imm = BigInt(insn.imm >>> 0) | (BigInt(next.imm >>> 0) << 32n);
    if (res.validate && imm !== res.origVal) throw unexpected(imm);
    insns[pc] = { ...insn, imm: Number(BigInt.asIntN(32, res.newVal)) };
    insns[pc + 1] = { ...next, imm: Number(BigInt.asIntN(32, res.newVal >> 32n)) };
    return undefined;
  }
  throw new LoadError('load/core-relo', `insn ${pc}: CO-RE relocation on opcode 0x${insn.opcode.toString(16)}, which has no value to patch`);
}

import type { Insn } from '../isa/insn.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE } from '../uapi/bpf.js';
import { MAX_HELPER_ID, helperName } from '../uapi/helper-names.js';

/** One instruction as the kernel's verifier log prints it (kernel/bpf/disasm.c, print_bpf_insn). */

const ALU = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', 'may_goto'];
const SIZE = ['u32', 'u16', 'u8', 'u64'];
const SBITS = [32, 16, 8, 64];

const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export function kernelInsnText(insns: Insn[], pc: number): string {
  const i = insns[pc]!;
  const code = `(${i.opcode.toString(16).padStart(2, '0')})`;
  const cls = i.opcode & 7;
  const op = i.opcode >> 4;
  const x = (i.opcode & 8) !== 0;
  const size = SIZE[(i.opcode >> 3) & 3]!;
  const mode = i.opcode & 0xe0;
  if (cls === 4 || cls === 7) {
    const p = cls === 7 ? 'r' : 'w';
    if (op === 0xd) {
      if (cls === 7) return `${code} r${i.dst} = bswap${i.imm} r${i.dst}`;
      return `${code} ${p}${i.dst} = ${x ? 'be' : 'le'}${i.imm} ${p}${i.dst}`;
    }
    if (op === 0x8) return `${code} ${p}${i.dst} = -${p}${i.dst}`;
    if (op === 0xb && x && i.off) return `${code} ${p}${i.dst} = (s${i.off})${p}${i.src}`;
    const opStr = (op === 3 || op === 9) && i.off === 1 ? `s${ALU[op]}` : ALU[op];
    return x ? `${code} ${p}${i.dst} ${opStr} ${p}${i.src}` : `${code} ${p}${i.dst} ${opStr} ${i.imm}`;
  }
  if (cls === 3) {
    if (mode === 0xc0) {
      const ops: Record<number, string> = { 0: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };
      if (ops[i.imm] !== undefined) return `${code} lock *(${size} *)(r${i.dst} ${signed(i.off)}) ${ops[i.imm]} r${i.src}`;
      const names: Record<number, string> = { 1: 'add', 0x41: 'or', 0x51: 'and', 0xa1: 'xor' };
      const w = size === 'u64' ? '64' : '';
      if (names[i.imm]) return `${code} r${i.src} = atomic${w}_fetch_${names[i.imm]}((${size} *)(r${i.dst} ${signed(i.off)}), r${i.src})`;
      if (i.imm === 0xe1) return `${code} r${i.src} = atomic${w}_xchg((${size} *)(r${i.dst} ${signed(i.off)}), r${i.src})`;
      if (i.imm === 0xf1) return `${code} r0 = atomic${w}_cmpxchg((${size} *)(r${i.dst} ${signed(i.off)}), r0, r${i.src})`;
      return `${code} BUG_${i.opcode.toString(16)}`;
    }
    return `${code} *(${size} *)(r${i.dst} ${signed(i.off)}) = r${i.src}`;
  }
  if (cls === 2) return `${code} *(${size} *)(r${i.dst} ${signed(i.off)}) = ${i.imm}`;
  if (cls === 1) {
    if (mode === 0x80) return `${code} r${i.dst} = *(s${SBITS[(i.opcode >> 3) & 3]} *)(r${i.src} ${signed(i.off)})`;
    return `${code} r${i.dst} = *(${size} *)(r${i.src} ${signed(i.off)})`;
  }
  if (cls === 0) {
    if (mode === 0x20) return `${code} r0 = *(${size} *)skb[${i.imm}]`;
    if (mode === 0x40) return `${code} r0 = *(${size} *)skb[r${i.src} + ${i.imm}]`;
    const next = insns[pc + 1];
    let imm: string;
    if (i.src === BPF_PSEUDO_MAP_IDX) imm = `map[id:${i.imm}]`;
    else if (i.src === BPF_PSEUDO_MAP_IDX_VALUE) imm = `map[id:${i.imm}][0]+${next?.imm ?? 0}`;
    else if (i.src === BPF_PSEUDO_FUNC) imm = `subprog[${signed(i.imm)}]`;
    else imm = `0x${((BigInt(next?.imm ?? 0) << 32n) | BigInt(i.imm >>> 0)).toString(16).replace(/^-/, '')}`;
    return `${code} r${i.dst} = ${imm}`;
  }
  // JMP / JMP32
  const p = cls === 6 ? 'w' : 'r';
  if (op === 0x8) {
    if (i.src === BPF_PSEUDO_CALL) return `${code} call pc${signed(i.imm)}`;
    if (i.src === BPF_PSEUDO_KFUNC_CALL) return `${code} call kernel-function`;
    // __func_get_name: ids past __BPF_FUNC_MAX_ID print as unknown.
    return `${code} call ${i.imm === 0 ? 'bpf_unspec' : i.imm > 0 && i.imm <= MAX_HELPER_ID ? helperName(i.imm) : 'unknown'}#${i.imm}`;
  }
  if (op === 0x9) return `${code} exit`;
  if (op === 0x0) return cls === 6 ? `${code} gotol pc${signed(i.imm)}` : `${code} goto pc${signed(i.off)}`;
  if (x) return `${code} if ${p}${i.dst} ${JMP[op]} ${p}${i.src} goto pc${signed(i.off)}`;
  return `${code} if ${p}${i.dst} ${JMP[op]} ${hex(i.imm)} goto pc${signed(i.off)}`;
}

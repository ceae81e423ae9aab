import { VmFault } from '../../internal/errors.js';
import { MAX_CALL_FRAMES } from '../../uapi/bpf.js';
import { helperName } from '../../uapi/helper-names.js';
import { sdiv64, smod64 } from '../alu.js';
import type { CallbackFn } from '../env.js';
import { FRAME_SIZE, STACK_END, frameTop, funcPcOf } from '../layout.js';
import { atomic, checkSlow, effAddr } from './access.js';
import { CALL, type Decoded, NUM_REGS, TRAP } from './decode.js';
import { type RunState, callDepthFault, copyRegs, tailCallTarget, toBig } from './state.js';

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** High 32 bits of the 64-bit product of two unsigned 32-bit numbers, exactly (16-bit limbs stay below 2^53). */
function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return a1 * b1 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536);
}


/**
 * Runs from `startPc` of `st.cur` at call depth `st.depth` until an `exit` at depth `baseDepth`,
 * and returns the program then executing (its r0 is the result; tail calls may have changed it).
 * The semantics are RFC 9669's; see alu.ts for the plain statement of each ALU operation.
 */
export function execute(st: RunState, baseDepth: number, startPc: number): Decoded {
  const env = st.env;
  const mem = st.mem;
  const trace = st.trace;
  let P = st.cur;
  let code = P.code;
  let sub = P.sub;
  let dstA = P.dst;
  let opnd = P.operand;
  let aux = P.aux;
  let R = P.lo;
  let H = P.hi;
  let buf = mem.memory.buffer;
  let u8 = mem.u8;
  let dv = mem.view;
  let depth = st.depth;
  let stackLow = mem.stackLow;
  let budget = env.budget;
  let pc = startPc;
  let tpc = -1;
  let tprog = P;
  try {
    for (;;) {
      if (trace !== undefined) {
        if (tpc >= 0) st.emit(tprog, tpc, P);
        tpc = pc;
        tprog = P;
      }
      if (--budget < 0) {
        throw new VmFault('vm/budget-exceeded', `insn ${pc}: instruction budget of ${st.budgetTotal} exhausted`, pc);
      }
      const d = dstA[pc]!;
      const b = opnd[pc]!;
      switch (code[pc]!) {
        // ---- ALU64 (RFC 9669 §4.1); K and X forms share a case through the operand slot.
        case 0x07:
        case 0x0f: {
          const s = R[d]! + R[b]!;
          H[d] = H[d]! + H[b]! + (s > 0xffffffff ? 1 : 0);
          R[d] = s;
          break;
        }
        case 0x17:
        case 0x1f: {
          const s = R[d]! - R[b]!;
          H[d] = H[d]! - H[b]! - (s < 0 ? 1 : 0);
          R[d] = s;
          break;
        }
        case 0x27:
        case 0x2f: {
          const al = R[d]!;
          const bl = R[b]!;
          H[d] = mulHiU32(al, bl) + Math.imul(al, H[b]!) + Math.imul(H[d]!, bl);
          R[d] = Math.imul(al, bl);
          break;
        }
        case 0x37:
        case 0x3f: {
          const bl = R[b]!;
          const bh = H[b]!;
          if (H[d] === 0 && bh === 0) {
            // Both non-negative below 2^32: signed and unsigned agree.
            R[d] = bl === 0 ? 0 : Math.floor(R[d]! / bl);
          } else {
            const x = toBig(R[d]!, H[d]!);
            const y = toBig(bl, bh);
            const q = sub[pc] ? sdiv64(x, y) : y === 0n ? 0n : x / y;
            R[d] = Number(q & 0xffffffffn);
            H[d] = Number(q >> 32n);
          }
          break;
        }
        case 0x97:
        case 0x9f: {
          const bl = R[b]!;
          const bh = H[b]!;
          if (H[d] === 0 && bh === 0) {
            if (bl !== 0) R[d] = R[d]! % bl;
          } else {
            const x = toBig(R[d]!, H[d]!);
            const y = toBig(bl, bh);
            const m = sub[pc] ? smod64(x, y) : y === 0n ? x : x % y;
            R[d] = Number(m & 0xffffffffn);
            H[d] = Number(m >> 32n);
          }
          break;
        }
        case 0x47:
        case 0x4f:
          R[d] = R[d]! | R[b]!;
          H[d] = H[d]! | H[b]!;
          break;
        case 0x57:
        case 0x5f:
          R[d] = R[d]! & R[b]!;
          H[d] = H[d]! & H[b]!;
          break;
        case 0xa7:
        case 0xaf:
          R[d] = R[d]! ^ R[b]!;
          H[d] = H[d]! ^ H[b]!;
          break;
        case 0x67:
        case 0x6f: {
          const n = R[b]! & 63;
          if (n >= 32) {
            H[d] = R[d]! << (n - 32);
            R[d] = 0;
          } else if (n !== 0) {
            H[d] = (H[d]! << n) | (R[d]! >>> (32 - n));
            R[d] = R[d]! << n;
          }
          break;
        }
        case 0x77:
        case 0x7f: {
          const n = R[b]! & 63;
          if (n >= 32) {
            R[d] = H[d]! >>> (n - 32);
            H[d] = 0;
          } else if (n !== 0) {
            R[d] = (R[d]! >>> n) | (H[d]! << (32 - n));
            H[d] = H[d]! >>> n;
          }
          break;
        }
        case 0xc7:
        case 0xcf: {
          const n = R[b]! & 63;
          if (n >= 32) {
            R[d] = H[d]! >> (n - 32);
            H[d] = H[d]! >> 31;
          } else if (n !== 0) {
            R[d] = (R[d]! >>> n) | (H[d]! << (32 - n));
            H[d] = H[d]! >> n;
          }
          break;
        }
        case 0x87: {
          const l = R[d]!;
          R[d] = -l;
          H[d] = -H[d]! - (l !== 0 ? 1 : 0);
          break;
        }
        case 0xb7:
          R[d] = R[b]!;
          H[d] = H[b]!;
          break;
        case 0x18:
          R[d] = R[b]!;
          H[d] = H[b]!;
          pc++;
          break;
        case 0xbf: {
          const w = sub[pc]!;
          if (w === 0) {
            R[d] = R[b]!;
            H[d] = H[b]!;
          } else {
            // movsx: shift the source's top bit to bit 31, then arithmetic-shift it back.
            const v = w === 32 ? R[b]! | 0 : (R[b]! << (32 - w)) >> (32 - w);
            R[d] = v;
            H[d] = v >> 31;
          }
          break;
        }
        // bswap16/32/64 (ALU64 | END | TO_LE) and be16/32/64 (ALU | END | TO_BE) on this
        // little-endian machine; le16/32/64 only truncate.
        case 0xd7:
        case 0xdc: {
          const w = sub[pc]!;
          const l = R[d]!;
          if (w === 16) R[d] = ((l & 0xff) << 8) | ((l >>> 8) & 0xff);
          else if (w === 32) R[d] = bswap32(l);
          else R[d] = bswap32(H[d]!);
          H[d] = w === 64 ? bswap32(l) : 0;
          break;
        }
        case 0xd4: {
          const w = sub[pc]!;
          if (w === 16) R[d] = R[d]! & 0xffff;
          if (w !== 64) H[d] = 0;
          break;
        }

        // ---- ALU (32-bit); every result zero-extends into the high half.
        case 0x04:
        case 0x0c:
          R[d] = R[d]! + R[b]!;
          H[d] = 0;
          break;
        case 0x14:
        case 0x1c:
          R[d] = R[d]! - R[b]!;
          H[d] = 0;
          break;
        case 0x24:
        case 0x2c:
          R[d] = Math.imul(R[d]!, R[b]!);
          H[d] = 0;
          break;
        case 0x34:
        case 0x3c: {
          if (sub[pc]) {
            const y = R[b]! | 0;
            // (INT_MIN / -1) | 0 wraps back to INT_MIN, as BPF requires.
            R[d] = y === 0 ? 0 : ((R[d]! | 0) / y) | 0;
          } else {
            const y = R[b]!;
            R[d] = y === 0 ? 0 : Math.floor(R[d]! / y);
          }
          H[d] = 0;
          break;
        }

        case 0x94:
        case 0x9c: {
          if (sub[pc]) {
            const y = R[b]! | 0;
            if (y !== 0) R[d] = (R[d]! | 0) % y;
          } else {
            const y = R[b]!;
            if (y !== 0) R[d] = R[d]! % y;
          }
          H[d] = 0;
          break;
        }
        case 0x44:
        case 0x4c:
          R[d] = R[d]! | R[b]!;
          H[d] = 0;
          break;
        case 0x54:
        case 0x5c:
          R[d] = R[d]! & R[b]!;
          H[d] = 0;
          break;
        case 0xa4:
        case 0xac:
          R[d] = R[d]! ^ R[b]!;
          H[d] = 0;
          break;
        // JavaScript masks 32-bit shift counts to 5 bits, as BPF does.
        case 0x64:
        case 0x6c:
          R[d] = R[d]! << R[b]!;
          H[d] = 0;
          break;
        case 0x74:
        case 0x7c:
          R[d] = R[d]! >>> R[b]!;
          H[d] = 0;
          break;
        case 0xc4:
        case 0xcc:
          R[d] = R[d]! >> R[b]!;
          H[d] = 0;
          break;
        case 0x84:
          R[d] = -R[d]!;
          H[d] = 0;
          break;
        case 0xb4:
          R[d] = R[b]!;
          H[d] = 0;
          break;
        case 0xbc: {
          const w = sub[pc]!;
          R[d] = w === 0 ? R[b]! : (R[b]! << (32 - w)) >> (32 - w);
          H[d] = 0;
          break;
        }

        // ---- Jumps (RFC 9669 §4.3): aux holds the target pc.
        case 0x05:
        case 0x06:
          pc = aux[pc]!;
          continue;
        case 0x15:
        case 0x1d:
          pc = R[d] === R[b] && H[d] === H[b] ? aux[pc]! : pc + 1;
          continue;
        case 0x55:
        case 0x5d:
          pc = R[d] !== R[b] || H[d] !== H[b] ? aux[pc]! : pc + 1;
          continue;
        case 0x25:
        case 0x2d:
          pc = H[d]! > H[b]! || (H[d] === H[b] && R[d]! > R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0x35:
        case 0x3d:
          pc = H[d]! > H[b]! || (H[d] === H[b] && R[d]! >= R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0xa5:
        case 0xad:
          pc = H[d]! < H[b]! || (H[d] === H[b] && R[d]! < R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0xb5:
        case 0xbd:
          pc = H[d]! < H[b]! || (H[d] === H[b] && R[d]! <= R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0x65:
        case 0x6d:
          pc = (H[d]! | 0) > (H[b]! | 0) || (H[d] === H[b] && R[d]! > R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0x75:
        case 0x7d:
          pc = (H[d]! | 0) > (H[b]! | 0) || (H[d] === H[b] && R[d]! >= R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0xc5:
        case 0xcd:
          pc = (H[d]! | 0) < (H[b]! | 0) || (H[d] === H[b] && R[d]! < R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0xd5:
        case 0xdd:
          pc = (H[d]! | 0) < (H[b]! | 0) || (H[d] === H[b] && R[d]! <= R[b]!) ? aux[pc]! : pc + 1;
          continue;
        case 0x45:
        case 0x4d:
          pc = (R[d]! & R[b]!) !== 0 || (H[d]! & H[b]!) !== 0 ? aux[pc]! : pc + 1;
          continue;
        case 0x16:
        case 0x1e:
          pc = R[d] === R[b] ? aux[pc]! : pc + 1;
          continue;
        case 0x56:
        case 0x5e:
          pc = R[d] !== R[b] ? aux[pc]! : pc + 1;
          continue;
        case 0x26:
        case 0x2e:
          pc = R[d]! > R[b]! ? aux[pc]! : pc + 1;
          continue;
        case 0x36:
        case 0x3e:
          pc = R[d]! >= R[b]! ? aux[pc]! : pc + 1;
          continue;
        case 0xa6:
        case 0xae:
          pc = R[d]! < R[b]! ? aux[pc]! : pc + 1;
          continue;
        case 0xb6:
        case 0xbe:
          pc = R[d]! <= R[b]! ? aux[pc]! : pc + 1;
          continue;
        case 0x66:
        case 0x6e:
          pc = (R[d]! | 0) > (R[b]! | 0) ? aux[pc]! : pc + 1;
          continue;
        case 0x76:
        case 0x7e:
          pc = (R[d]! | 0) >= (R[b]! | 0) ? aux[pc]! : pc + 1;
          continue;
        case 0xc6:
        case 0xce:
          pc = (R[d]! | 0) < (R[b]! | 0) ? aux[pc]! : pc + 1;
          continue;
        case 0xd6:
        case 0xde:
          pc = (R[d]! | 0) <= (R[b]! | 0) ? aux[pc]! : pc + 1;
          continue;
        case 0x46:
        case 0x4e:
          pc = (R[d]! & R[b]!) !== 0 ? aux[pc]! : pc + 1;
          continue;
        case 0xe5:
          // may_goto: taken once BPF_MAX_LOOPS iterations are used up. The kernel keeps one
          // counter per function frame (and on x86 also checks time); one per run is close enough.
          if (st.loopsLeft > 0) {
            st.loopsLeft--;
            break;
          }
          pc = aux[pc]!;
          continue;

        // ---- Loads (RFC 9669 §5.1, §5.2): the address register is the operand (src).
        case 0x71: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 1 > STACK_END) checkSlow(mem, a, 1, false, pc, R[b]!, H[b]!, aux[pc]!);
          R[d] = u8[a]!;
          H[d] = 0;
          break;
        }
        case 0x69: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 2 > STACK_END) checkSlow(mem, a, 2, false, pc, R[b]!, H[b]!, aux[pc]!);
          R[d] = dv.getUint16(a, true);
          H[d] = 0;
          break;
        }
        case 0x61: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 4 > STACK_END) checkSlow(mem, a, 4, false, pc, R[b]!, H[b]!, aux[pc]!);
          R[d] = dv.getUint32(a, true);
          H[d] = 0;
          break;
        }
        case 0x79: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 8 > STACK_END) checkSlow(mem, a, 8, false, pc, R[b]!, H[b]!, aux[pc]!);
          R[d] = dv.getUint32(a, true);
          H[d] = dv.getUint32(a + 4, true);
          break;
        }
        case 0x91: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 1 > STACK_END) checkSlow(mem, a, 1, false, pc, R[b]!, H[b]!, aux[pc]!);
          const v = dv.getInt8(a);
          R[d] = v;
          H[d] = v >> 31;
          break;
        }
        case 0x89: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 2 > STACK_END) checkSlow(mem, a, 2, false, pc, R[b]!, H[b]!, aux[pc]!);
          const v = dv.getInt16(a, true);
          R[d] = v;
          H[d] = v >> 31;
          break;
        }
        case 0x81: {
          const a = effAddr(R[b]!, H[b]!, aux[pc]!);
          if (a < stackLow || a + 4 > STACK_END) checkSlow(mem, a, 4, false, pc, R[b]!, H[b]!, aux[pc]!);
          const v = dv.getInt32(a, true);
          R[d] = v;
          H[d] = v >> 31;
          break;
        }

        // ---- Stores: address from dst, value from the operand (src for STX, imm for ST).
        case 0x72:
        case 0x73: {
          const a = effAddr(R[d]!, H[d]!, aux[pc]!);
          if (a < stackLow || a + 1 > STACK_END) checkSlow(mem, a, 1, true, pc, R[d]!, H[d]!, aux[pc]!);
          u8[a] = R[b]!;
          break;
        }
        case 0x6a:
        case 0x6b: {
          const a = effAddr(R[d]!, H[d]!, aux[pc]!);
          if (a < stackLow || a + 2 > STACK_END) checkSlow(mem, a, 2, true, pc, R[d]!, H[d]!, aux[pc]!);
          dv.setUint16(a, R[b]!, true);
          break;
        }
        case 0x62:
        case 0x63: {
          const a = effAddr(R[d]!, H[d]!, aux[pc]!);
          if (a < stackLow || a + 4 > STACK_END) checkSlow(mem, a, 4, true, pc, R[d]!, H[d]!, aux[pc]!);
          dv.setUint32(a, R[b]!, true);
          break;
        }
        case 0x7a:
        case 0x7b: {
          const a = effAddr(R[d]!, H[d]!, aux[pc]!);
          if (a < stackLow || a + 8 > STACK_END) checkSlow(mem, a, 8, true, pc, R[d]!, H[d]!, aux[pc]!);
          dv.setUint32(a, R[b]!, true);
          dv.setUint32(a + 4, H[b]!, true);
          break;
        }

        // ---- Calls and exit.
        case 0x85:
        case 0x8d: {
          if (code[pc] === 0x85 && sub[pc] !== CALL.HELPER) {
            if (sub[pc] === CALL.LOCAL) {
              if (depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault(pc);
              const s = depth * 4;
              for (let i = 0; i < 4; i++) {
                st.saveLo[s + i] = R[6 + i]!;
                st.saveHi[s + i] = H[6 + i]!;
              }
              st.retPc[depth] = pc + 1;
              st.retProg[depth] = P;
              depth++;
              R[10] = frameTop(depth);
              H[10] = 0;
              stackLow = R[10]! - FRAME_SIZE;
              mem.stackLow = stackLow;
              pc = aux[pc]!;
              continue;
            }
            if (sub[pc] === CALL.TAIL) {
              env.pc = pc;
              const target = tailCallTarget(st, P, pc);
              if (target === undefined) break;
              if (target !== P) {
                copyRegs(P, target);
                P = target;
                code = P.code;
                sub = P.sub;
                dstA = P.dst;
                opnd = P.operand;
                aux = P.aux;
                R = P.lo;
                H = P.hi;
              }
              st.cur = P;
              pc = 0;
              continue;
            }
            throw new VmFault('vm/kfunc-unsupported', `insn ${pc}: kfunc calls are not supported (btf id ${P.insns[pc]!.imm})`, pc);
          }
          // callx takes the helper id from a register (dst, as LLVM encodes it).
          const id = code[pc] === 0x85 ? aux[pc]! : R[d]!;
          const def = env.helpers.get(id);
          if (def === undefined) {
            throw new VmFault('vm/unknown-helper', `insn ${pc}: unknown helper ${helperName(id)} (id ${id})`, pc);
          }
          env.pc = pc;
          env.budget = budget;
          st.cur = P;
          st.depth = depth;
          const r = def.fn(env, toBig(R[1]!, H[1]!), toBig(R[2]!, H[2]!), toBig(R[3]!, H[3]!), toBig(R[4]!, H[4]!), toBig(R[5]!, H[5]!));
          budget = env.budget;
          // r1–r5 are left as they were: the verifier forbids reading them after a call, and
          // both engines must agree on what a program that did would see.
          R[0] = Number(BigInt.asUintN(32, r));
          H[0] = Number(BigInt.asUintN(32, r >> 32n));
          if (mem.memory.buffer !== buf) {
            buf = mem.memory.buffer;
            u8 = mem.u8;
            dv = mem.view;
          }
          break;
        }
        case 0x95: {
          if (depth === baseDepth) {
            if (trace !== undefined) st.emit(P, pc, P);
            st.cur = P;
            return P;
          }
          depth--;
          const Q = st.retProg[depth]!;
          if (Q !== P) {
            copyRegs(P, Q);
            P = Q;
            code = P.code;
            dstA = P.dst;
            opnd = P.operand;
            sub = P.sub;
            aux = P.aux;
            R = P.lo;
            H = P.hi;
          }
          const s = depth * 4;
          for (let i = 0; i < 4; i++) {
            R[6 + i] = st.saveLo[s + i]!;
            H[6 + i] = st.saveHi[s + i]!;
          }
          R[10] = frameTop(depth);
          H[10] = 0;
          stackLow = R[10]! - FRAME_SIZE;
          mem.stackLow = stackLow;
          pc = st.retPc[depth]!;
          continue;
        }
        case 0xc3:
        case 0xdb:
          atomic(mem, code[pc] === 0xdb, sub[pc]!, R, H, d, b, aux[pc]!, pc, stackLow);
          break;
        case 0x00:
          if (sub[pc] === TRAP.LDDW_TAIL) throw new VmFault('vm/bad-jump', `insn ${pc}: execution reached the second slot of lddw`, pc);
          throw new VmFault('vm/fell-off', `insn ${pc}: execution ran past the last instruction`, pc);
        default:
          throw new VmFault('vm/bad-insn', `insn ${pc}: cannot execute opcode 0x${code[pc]!.toString(16)}`, pc);
      }
      pc++;
    }
  } finally {
    env.budget = budget < 0 ? 0 : budget;
    st.depth = depth;
    st.cur = P;
  }
}

/**
 * RunEnv.callback for runs on `st`: calls the function at handle `func` of the program executing
 * now in a new frame (r1–r5 as given, r10 its frame top), runs it to its exit and returns its r0,
 * leaving every register of the caller as it was.
 */
export function makeCallback(st: RunState): CallbackFn {
  return (func, r1, r2, r3, r4, r5) => {
    const env = st.env;
    const P = st.cur;
    const pc = funcPcOf(func);
    if (pc < 0 || pc >= P.insns.length) {
      throw new VmFault('vm/bad-callback', `insn ${env.pc}: 0x${func.toString(16)} is not a function of program '${P.spec.name}'`, env.pc);
    }
    const depth = st.depth;
    if (depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault(env.pc);
    const savedLo = P.lo.slice(0, NUM_REGS);
    const savedHi = P.hi.slice(0, NUM_REGS);
    const args = [r1, r2, r3, r4, r5];
    for (let i = 0; i < 5; i++) {
      const v = BigInt.asUintN(64, args[i]!);
      P.lo[i + 1] = Number(v & 0xffffffffn);
      P.hi[i + 1] = Number(v >> 32n);
    }
    P.lo[10] = frameTop(depth + 1);
    P.hi[10] = 0;
    st.depth = depth + 1;
    st.mem.stackLow = frameTop(depth + 1) - FRAME_SIZE;
    try {
      const Q = execute(st, depth + 1, pc);
      return toBig(Q.lo[0]!, Q.hi[0]!);
    } finally {
      st.cur = P;
      st.depth = depth;
      st.mem.stackLow = frameTop(depth) - FRAME_SIZE;
      P.lo.set(savedLo);
      P.hi.set(savedHi);
    }
  };
}

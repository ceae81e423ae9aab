import { FuncBody, I32, I64, Op } from '../../vm/wasm/encoder.js';
import type { InlineForm, InlineFunction, InlineSite } from '../../vm/wasm/inline-api.js';

/**
 * `csumPartial(addr, len, seed)`: csum.ts csumPartialAt, the little-endian 32-bit words (the tail
 * zero-padded) added to `seed`, folded as 0 for a zero total, else 1 + (total - 1) mod (2^32 - 1).
 */
const csumPartial: InlineFunction = {
  name: 'csum_partial',
  params: [I32, I32, I32],
  results: [I32],
  body() {
    const f = new FuncBody(3);
    const [ADDR, LEN, SEED] = [0, 1, 2];
    const total = f.local(I64);
    const full = f.local(I32);
    const i = f.local(I32);
    const tail = f.local(I64);
    f.get(SEED).op(Op.i64_extend_i32_u).set(total);
    f.get(ADDR).get(LEN).i32(-4).op(Op.i32_and).op(Op.i32_add).set(full);
    f.get(ADDR).set(i);
    f.block();
    f.loop();
    f.get(i).get(full).op(Op.i32_ge_u).brIf(1);
    f.get(total).get(i).mem(Op.i64_load32_u).op(Op.i64_add).set(total);
    f.get(i).i32(4).op(Op.i32_add).set(i);
    f.br(0);
    f.end();
    f.end();
    // The tail, from its last byte down: tail * 256 + byte.
    f.get(ADDR).get(LEN).op(Op.i32_add).set(i);
    f.block();
    f.loop();
    f.get(i).get(full).op(Op.i32_le_u).brIf(1);
    f.get(i).i32(1).op(Op.i32_sub).set(i);
    f.get(tail).i64(8).op(Op.i64_shl).get(i).mem(Op.i64_load8_u).op(Op.i64_or).set(tail);
    f.br(0);
    f.end();
    f.end();
    f.get(total).get(tail).op(Op.i64_add).tee(total).op(Op.i64_eqz).if(I32);
    f.i32(0);
    f.op(Op.else);
    f.get(total).i64(1).op(Op.i64_sub).i64(0xffff_ffffn).op(Op.i64_rem_u).i64(1).op(Op.i64_add).op(Op.i32_wrap_i64);
    f.end();
    return f;
  },
};

/**
 * `csumDiff(from, fromLen, to, toLen, seed)`: bpf_csum_diff as src/helpers/csum.ts bpfCsumDiffAt
 * computes it (Linux 6.18), on bytes the caller has checked: csum_partial of each side,
 * csum_sub, folded with csum_from32to16.
 */
const csumDiff: InlineFunction = {
  name: 'csum_diff',
  params: [I32, I32, I32, I32, I32],
  results: [I32],
  body(func) {
    const partial = func(csumPartial);
    const f = new FuncBody(5);
    const [FROM, FROM_LEN, TO, TO_LEN, SEED] = [0, 1, 2, 3, 4];
    const ret = f.local(I32);
    const a = f.local(I64);
    f.get(SEED).set(ret);
    f.get(FROM_LEN).i32(0).op(Op.i32_ne).get(TO_LEN).i32(0).op(Op.i32_ne).op(Op.i32_and).if();
    // csum_sub(partial(to, ret), partial(from, 0)) = csum_add(x, ~y): 32-bit add with end-around carry.
    f.get(TO).get(TO_LEN).get(ret).call(partial).op(Op.i64_extend_i32_u);
    f.get(FROM).get(FROM_LEN).i32(0).call(partial).i32(-1).op(Op.i32_xor).op(Op.i64_extend_i32_u);
    f.op(Op.i64_add).tee(a).get(a).i64(32).op(Op.i64_shr_u).op(Op.i64_add).op(Op.i32_wrap_i64).set(ret);
    f.op(Op.else);
    f.get(TO_LEN).if();
    f.get(TO).get(TO_LEN).get(ret).call(partial).set(ret);
    f.op(Op.else);
    f.get(FROM_LEN).if();
    f.get(FROM).get(FROM_LEN).get(ret).i32(-1).op(Op.i32_xor).call(partial).i32(-1).op(Op.i32_xor).set(ret);
    f.end();
    f.end();
    f.end();
    // csum_from32to16: (s + rotl(s, 16)) >> 16.
    f.get(ret).get(ret).i32(16).op(Op.i32_rotl).op(Op.i32_add).i32(16).op(Op.i32_shr_u);
    return f;
  },
};

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed) computed in generated code while every
 * argument is below 2^32, the sizes below 2^16 and both ranges plainly readable; the helper
 * answers every other case (and faults) itself.
 */
export const csumDiffInline: InlineForm = {
  name: 'bpf_csum_diff',
  variants: 1,
  variantFor: () => 0,
  emit(site: InlineSite): number {
    const { f } = site;
    f.get(site.reg(1));
    for (let r = 2; r <= 5; r++) f.get(site.reg(r)).op(Op.i64_or);
    f.i64(32).op(Op.i64_shr_u).op(Op.i64_eqz);
    f.get(site.reg(2)).get(site.reg(4)).op(Op.i64_or).i64(16).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_and);
    site.allowed();
    f.op(Op.i32_and);
    f.if(I32);
    site.readable(site.reg(1), site.reg(2));
    site.readable(site.reg(3), site.reg(4));
    f.op(Op.i32_and);
    f.op(Op.else);
    f.i32(0);
    f.end();
    f.if(I64);
    for (let r = 1; r <= 5; r++) f.get(site.reg(r)).op(Op.i32_wrap_i64);
    f.call(site.func(csumDiff)).op(Op.i64_extend_i32_u);
    f.op(Op.else);
    return 1;
  },
};

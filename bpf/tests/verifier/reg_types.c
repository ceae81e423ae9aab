// SPDX-License-Identifier: GPL-2.0
// Rule: register types. Only pointers of the right type may be dereferenced; registers must be
// written before they are read; r10 is read-only; r1-r5 are clobbered by a call.
#include "corpus.h"

SEC("xdp")
int ok_ctx_field(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex == 1 ? XDP_DROP : XDP_PASS;
}

ASM("xdp", bad_deref_scalar,
    "r1 = 4096;"
    "r0 = *(u8 *)(r1 + 0);"
    "exit;")

ASM("tc", bad_read_uninit_reg,
    "r0 = r2;"
    "exit;")

ASM("xdp", bad_write_fp,
    "r10 = 0;"
    "r0 = 0;"
    "exit;")

ASM("xdp", bad_deref_pkt_end,
    "r2 = *(u32 *)(r1 + 4);"
    "r0 = *(u8 *)(r2 + 0);"
    "exit;")

ASM("socket", ok_ctx_copy,
    "r6 = r1;"
    "r0 = *(u32 *)(r6 + 0);"
    "exit;")

ASM("tc", bad_arg_reg_after_call,
    "call %[get_prandom_u32];"
    "r0 = r1;"
    "exit;"
    :: H(get_prandom_u32))

ASM("tc", ok_callee_saved_after_call,
    "r6 = r1;"
    "call %[get_prandom_u32];"
    "r0 = *(u32 *)(r6 + 0);"
    "exit;"
    :: H(get_prandom_u32))

ASM("socket", bad_deref_scalar_from_ctx,
    "r2 = *(u32 *)(r1 + 0);"
    "r0 = *(u32 *)(r2 + 0);"
    "exit;")

ASM("xdp", ok_pkt_pointer_compare,
    "r2 = *(u32 *)(r1 + 0);"
    "r3 = *(u32 *)(r1 + 4);"
    "r0 = 2;"
    "if r2 >= r3 goto l0_%=;"
    "r0 = 1;"
    "l0_%=: exit;"
    ::: "memory")

ASM("tc", bad_store_through_scalar,
    "r1 = 0;"
    "*(u64 *)(r1 + 8) = r1;"
    "r0 = 0;"
    "exit;")

char LICENSE[] SEC("license") = "GPL";

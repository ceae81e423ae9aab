// SPDX-License-Identifier: GPL-2.0
// Rule: helpers that may change packet data (bpf_helper_changes_pkt_data, and subprograms that
// call them) invalidate every packet pointer, in registers and on the stack.
#include "corpus.h"

// r2 = data checked for 14 bytes, r6 = ctx.
#define CHECKED_XDP "r6 = r1; r2 = *(u32 *)(r6 + 0); r3 = *(u32 *)(r6 + 4); r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
#define CHECKED_TC "r6 = r1; r2 = *(u32 *)(r6 + 76); r3 = *(u32 *)(r6 + 80); r4 = r2; r4 += 14; if r4 > r3 goto out_%=;"
#define OUT "out_%=: r0 = 2; exit;"

ASM("xdp", bad_old_pointer_after_adjust_head,
    CHECKED_XDP "r7 = r2; r1 = r6; r2 = 0; call %[xdp_adjust_head]; r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(xdp_adjust_head))
ASM("xdp", ok_reload_after_adjust_head,
    CHECKED_XDP "r1 = r6; r2 = 0; call %[xdp_adjust_head]; r1 = r6;" CHECKED_XDP "r0 = *(u8 *)(r2 + 0); exit;" OUT :: H(xdp_adjust_head))
ASM("xdp", bad_old_pointer_after_adjust_tail,
    CHECKED_XDP "r7 = r2; r1 = r6; r2 = -1; call %[xdp_adjust_tail]; r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(xdp_adjust_tail))
ASM("xdp", bad_spilled_pointer_after_adjust_meta,
    CHECKED_XDP "*(u64 *)(r10 - 8) = r2; r1 = r6; r2 = -4; call %[xdp_adjust_meta]; r7 = *(u64 *)(r10 - 8); r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(xdp_adjust_meta))
ASM("tc", bad_old_pointer_after_pull_data,
    CHECKED_TC "r7 = r2; r1 = r6; r2 = 0; call %[skb_pull_data]; r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(skb_pull_data))
ASM("tc", ok_reload_after_pull_data,
    CHECKED_TC "r1 = r6; r2 = 0; call %[skb_pull_data]; r1 = r6;" CHECKED_TC "r0 = *(u8 *)(r2 + 0); exit;" OUT :: H(skb_pull_data))
ASM("tc", bad_old_pointer_after_store_bytes,
    CHECKED_TC "r7 = r2; r1 = r6; r2 = 0; r3 = r10; r3 += -8; *(u64 *)(r10 - 8) = r2; r4 = 2; r5 = 0; call %[skb_store_bytes]; r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(skb_store_bytes))
ASM("tc", ok_pointer_kept_across_map_lookup,
    CHECKED_TC "r7 = r2;" LOOKUP0(hash8) "r0 = *(u8 *)(r7 + 0); exit;" OUT :: H(map_lookup_elem), M(hash8))

__attribute__((noinline)) int grow_head(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, -4);
}

SEC("xdp")
int bad_old_pointer_after_global_subprog_changes_data(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 14 > data_end)
		return XDP_DROP;
	grow_head(ctx);
	return *(volatile __u8 *)data;
}

SEC("xdp")
int ok_reload_after_global_subprog(struct xdp_md *ctx)
{
	grow_head(ctx);
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 14 > data_end)
		return XDP_DROP;
	return *(volatile __u8 *)data;
}

char LICENSE[] SEC("license") = "GPL";

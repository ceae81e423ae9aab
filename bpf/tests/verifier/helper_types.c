// SPDX-License-Identifier: GPL-2.0
// Rule: helpers allowed per program type (net/core/filter.c: xdp_func_proto, tc_cls_act_func_proto,
// sk_filter_func_proto); any other helper is an unknown func for that type.
#include "corpus.h"

ASM("xdp", bad_skb_load_bytes_in_xdp, "r2 = 0; r3 = r10; r3 += -8; r4 = 4; call %[skb_load_bytes]; r0 = 2; exit;" :: H(skb_load_bytes))
ASM("xdp", ok_adjust_head_in_xdp, "r2 = 0; call %[xdp_adjust_head]; r0 = 2; exit;" :: H(xdp_adjust_head))
ASM("tc", bad_adjust_head_in_tc, "r2 = 0; call %[xdp_adjust_head]; r0 = 0; exit;" :: H(xdp_adjust_head))
ASM("tc", ok_redirect_in_tc, "r1 = 1; r2 = 0; call %[redirect]; exit;" :: H(redirect))
ASM("socket", bad_redirect_in_socket, "r1 = 1; r2 = 0; call %[redirect]; exit;" :: H(redirect))
ASM("socket", ok_socket_cookie_in_socket, "call %[get_socket_cookie]; r0 = 0; exit;" :: H(get_socket_cookie))
ASM("xdp", bad_socket_cookie_in_xdp, "call %[get_socket_cookie]; r0 = 0; exit;" :: H(get_socket_cookie))
ASM("socket", bad_store_bytes_in_socket,
    "r2 = 0; r3 = r10; r3 += -8; r4 = 0; *(u64 *)(r10 - 8) = r4; r4 = 4; r5 = 0; call %[skb_store_bytes]; r0 = 0; exit;" :: H(skb_store_bytes))
ASM("tc", ok_store_bytes_in_tc,
    "r2 = 0; r3 = r10; r3 += -8; r4 = 0; *(u64 *)(r10 - 8) = r4; r4 = 4; r5 = 0; call %[skb_store_bytes]; r0 = 0; exit;" :: H(skb_store_bytes))
ASM("socket", bad_fib_lookup_in_socket,
    "r2 = r10; r2 += -64; r3 = 64; r4 = 0; call %[fib_lookup]; r0 = 0; exit;" :: H(fib_lookup))
ASM("xdp", ok_fib_lookup_in_xdp,
    "r2 = r10; r2 += -64; r3 = 64; r4 = 0; call %[fib_lookup]; r0 = 2; exit;" :: H(fib_lookup))
ASM("tc", bad_unknown_helper_id, "call 999; r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
// Rule: return values: R0 must be written on every path to exit; XDP, TC and socket filters have
// no return range check in the verifier (check_return_code), so any scalar is accepted.
#include "corpus.h"

ASM("xdp", bad_xdp_no_r0, "exit;" ::: "memory")
ASM("xdp", ok_xdp_out_of_range_constant, "r0 = 99; exit;" ::: "memory")
ASM("tc", bad_tc_r0_on_one_path_only, "if r1 == 0 goto l_%=; r0 = 0; l_%=: exit;" ::: "memory")
ASM("tc", ok_tc_r0_on_both_paths, "r0 = 0; if r1 == 0 goto l_%=; r0 = 2; l_%=: exit;" ::: "memory")
ASM("tc", ok_tc_unknown_scalar, "r0 = *(u32 *)(r1 + 0); exit;" ::: "memory")
ASM("socket", bad_socket_no_r0, "r1 = 0; exit;" ::: "memory")
ASM("socket", ok_socket_negative, "r0 = -1; exit;" ::: "memory")
ASM("xdp", ok_xdp_32bit_result, "w0 = -1; exit;" ::: "memory")
ASM("socket", bad_r0_killed_by_call, "r0 = 0; r6 = r1; call sub_no_r0; exit;" ::: "memory")
ASM_SUB(sub_no_r0, "r1 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";

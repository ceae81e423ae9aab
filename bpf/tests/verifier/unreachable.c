// SPDX-License-Identifier: GPL-2.0
// Rule: control flow graph: every instruction is reachable, jumps stay inside the program and
// never land inside an ldimm64, and the last instruction is an exit or a jump.
#include "corpus.h"

ASM("xdp", bad_insn_after_exit, "r0 = 2; exit; r0 = 1; exit;" ::: "memory")
ASM("xdp", ok_both_branches_reachable, "r0 = 2; if r1 == 0 goto l_%=; r0 = 1; l_%=: exit;" ::: "memory")
ASM("tc", ok_jump_over_code, "r0 = 0; goto l_%=; l2_%=: exit; l_%=: r0 = 1; goto l2_%=;" ::: "memory")
ASM("tc", bad_unreachable_block, "r0 = 0; goto l_%=; r0 = 1; r0 = 2; l_%=: exit;" ::: "memory")
ASM("xdp", bad_jump_out_of_range, "r0 = 2; if r1 == 0 goto +10; exit;" ::: "memory")
ASM("xdp", bad_jump_into_ldimm64, "r0 = 2; if r1 == 0 goto +1; r2 = 0x100000000 ll; exit;" ::: "memory")
ASM("socket", bad_last_insn_not_exit, "r0 = 0; exit; l_%=: r0 = 1; goto l_%=; r0 = 2;" ::: "memory")
ASM("socket", ok_constant_branch_dead_path, "r0 = 0; r1 = 1; if r1 == 1 goto l_%=; r0 = *(u64 *)(r0 + 0); l_%=: exit;" ::: "memory")
ASM("tc", bad_backward_jump_before_start, "r0 = 0; if r1 == 0 goto -5; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";

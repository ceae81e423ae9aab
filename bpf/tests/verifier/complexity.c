// SPDX-License-Identifier: GPL-2.0
// Rule: the complexity limit: verification stops after 1,000,000 processed instructions.
#include "corpus.h"

// A loop whose bound the verifier cannot know: each iteration is a new state until the limit.
ASM("xdp", bad_unknown_bound_loop,
    "r6 = *(u32 *)(r1 + 0); r7 = *(u32 *)(r1 + 4); r7 -= r6; r0 = 0;"
    "l_%=: if r0 >= r7 goto out_%=; r0 += 1; goto l_%=; out_%=: r0 = 2; exit;" ::: "memory")

ASM("xdp", ok_long_bounded_loop,
    "r0 = 0; l_%=: if r0 >= 2000 goto out_%=; r0 += 1; goto l_%=; out_%=: r0 = 2; exit;" ::: "memory")

ASM("tc", bad_too_long_bounded_loop,
    "r0 = 0; r1 = 0; l_%=: if r0 >= 500000 goto out_%=; r0 += 1; r1 += r0; goto l_%=; out_%=: r0 = 0; exit;" ::: "memory")

ASM("tc", ok_masked_bound_loop,
    "r6 = *(u32 *)(r1 + 0); r6 &= 255; r0 = 0;"
    "l_%=: if r0 >= r6 goto out_%=; r0 += 1; goto l_%=; out_%=: r0 = 0; exit;" ::: "memory")

char LICENSE[] SEC("license") = "GPL";

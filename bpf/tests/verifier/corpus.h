// SPDX-License-Identifier: GPL-2.0
// The verifier corpus's shared maps and macros. Each corpus file tests one rule of the kernel
// verifier (the file's name); each program is loaded alone. A program named ok_* is meant to be
// accepted by the kernel and bad_* to be rejected: scripts/verifier-expectations.ts records the
// kernel's own verdict and message and refuses a program whose verdict contradicts its name.
#ifndef CORPUS_H
#define CORPUS_H
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

// A program written in BPF assembly: `ASM("xdp", name, "r0 = 0; exit;" :: H(map_lookup_elem), M(array16))`.
// Labels are `name_%=` (unique per asm statement), which needs at least one `:` operand list.
#define ASM(sec, name, ...) \
	SEC(sec) __attribute__((naked)) int name(void) { asm volatile(__VA_ARGS__); }
// A subprogram in .text written in BPF assembly, called from assembly as `call name`.
#define ASM_SUB(name, ...) \
	static __attribute__((naked, noinline, used)) int name(void) { asm volatile(__VA_ARGS__); }
// A helper id operand, used as `call %[map_lookup_elem]`.
#define H(f) [f] "i"(BPF_FUNC_##f)
// A map address operand, used as `r1 = %[array16] ll`.
#define M(m) [m] "i"(&m)

// r0 = bpf_map_lookup_elem(&MAP, &(u32){0}); key at fp-4. Needs H(map_lookup_elem) and M(MAP).
#define LOOKUP0(map) \
	"r1 = 0; *(u32 *)(r10 - 4) = r1; r2 = r10; r2 += -4; r1 = %[" #map "] ll; call %[map_lookup_elem];"

struct val16 {
	__u64 a;
	__u64 b;
};

struct locked {
	struct bpf_spin_lock lock;
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct val16);
} array16 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[64]);
} array64 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hash8 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct val16);
	__type(value, __u64);
} hash_key16 SEC(".maps");

#endif

// SPDX-License-Identifier: GPL-2.0
// Bad-input test program: a program in a section no program type matches (libbpf refuses to
// guess its type; so does the loader, unless the case gives "type").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("no_such_hook/here")
int bad_section(void *ctx)
{
	return 2;
}

char LICENSE[] SEC("license") = "GPL";

/* A socket filter's view of BPF_PROG_TEST_RUN's skb: returns 0 when every check passes, else the
 * line of the first that fails. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

/* A 40-byte IPv4 frame: the skb starts at its IPv4 header. */
SEC("socket")
int socket_checks(struct __sk_buff *skb)
{
	__u8 eth[ETH_HLEN], ip[4];
	CHECK(skb->len == 26);
	CHECK(skb->protocol == bpf_htons(ETH_P_IP));
	CHECK(skb->ifindex == 1);
	CHECK(skb->cb[1] == 7);
	CHECK(bpf_skb_load_bytes(skb, 0, ip, 1) == 0 && ip[0] == 0x45);
	/* skb->data is the network header; the MAC header is still in front of it during the run. */
	CHECK(bpf_skb_load_bytes_relative(skb, 0, eth, sizeof(eth), BPF_HDR_START_MAC) == 0);
	CHECK(eth[12] == 0x08 && eth[13] == 0x00 && eth[0] == 0x02);
	CHECK(bpf_skb_load_bytes_relative(skb, 0, ip, 4, BPF_HDR_START_NET) == 0 && ip[0] == 0x45);
	CHECK(bpf_skb_load_bytes_relative(skb, 24, ip, 4, BPF_HDR_START_NET) == -14);
	CHECK(bpf_skb_load_bytes_relative(skb, 0, ip, 4, 2) == -14);
	CHECK(bpf_skb_load_bytes(skb, 23, ip, 4) == -14);
	CHECK(bpf_get_socket_uid(skb) == 0);
	skb->cb[4] = 0x600d;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

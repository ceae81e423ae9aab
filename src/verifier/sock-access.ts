import type { RegType } from './reg.js';

/**
 * Reads through socket pointers (check_sock_access in kernel/bpf/verifier.c): which offsets and
 * sizes of `struct bpf_sock`, `struct bpf_tcp_sock` and `struct bpf_xdp_sock`
 * (include/uapi/linux/bpf.h) each pointer type may load, as net/core/filter.c's
 * bpf_sock_is_valid_access, bpf_sock_common_is_valid_access, bpf_tcp_sock_is_valid_access and
 * bpf_xdp_sock_is_valid_access answer.
 */

const SIZE_DEFAULT = 4;

/** `struct bpf_sock` field offsets. */
const SOCK = {
  family: 4,
  type: 8,
  protocol: 12,
  priority: 20,
  src_ip4: 24,
  src_ip6: 28,
  src_port: 44,
  dst_port: 48,
  dst_ip4: 52,
  dst_ip6: 56,
  state: 72,
  rx_queue_mapping: 76,
  /** sizeof(struct bpf_sock). */
  size: 80,
} as const;

/** `struct bpf_tcp_sock`: the two u64 counters and the end of the last field, icsk_retransmits. */
const TCP_SOCK = { bytes_received: 80, bytes_acked: 88, end: 112 } as const;

/** bpf_ctx_narrow_access_ok. */
function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize && (size & (size - 1)) === 0;
}

const inRange = (off: number, start: number, end: number): boolean => off >= start && off < end;

/** bpf_sock_is_valid_access: u32 fields; those a program commonly reads also in narrow pieces; dst_port a __be16 followed by padding. */
function sockValid(off: number, size: number): boolean {
  if (off < 0 || off >= SOCK.size) return false;
  if (off % size !== 0) return false;
  switch (off) {
    case SOCK.state:
    case SOCK.family:
    case SOCK.type:
    case SOCK.protocol:
    case SOCK.src_port:
    case SOCK.rx_queue_mapping:
      return narrowOk(size, SIZE_DEFAULT);
  }
  if (inRange(off, SOCK.src_ip4, SOCK.src_ip6 + 16) || inRange(off, SOCK.dst_ip4, SOCK.dst_ip6 + 16)) return narrowOk(size, SIZE_DEFAULT);
  if (inRange(off, SOCK.dst_port, SOCK.dst_port + 2)) return narrowOk(size, size === SIZE_DEFAULT ? SIZE_DEFAULT : 2);
  if (inRange(off, SOCK.dst_port + 2, SOCK.dst_ip4)) return false;
  return size === SIZE_DEFAULT;
}

/** bpf_sock_common_is_valid_access: as struct bpf_sock without type, protocol, mark and priority. */
function sockCommonValid(off: number, size: number): boolean {
  if (inRange(off, SOCK.type, SOCK.priority + 4)) return false;
  return sockValid(off, size);
}

/** bpf_tcp_sock_is_valid_access: u32 fields and two u64 counters, whole only. */
function tcpSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= TCP_SOCK.end) return false;
  if (off % size !== 0) return false;
  if (off === TCP_SOCK.bytes_received || off === TCP_SOCK.bytes_acked) return size === 8;
  return size === 4;
}

/** bpf_xdp_sock_is_valid_access: queue_id, a u32. */
function xdpSockValid(off: number, size: number): boolean {
  return off === 0 && size === 4;
}

/** Whether a pointer of `type` (sock, sock_common, tcp_sock, xdp_sock) may load `size` bytes at `off`. */
export function sockAccessValid(type: RegType, off: number, size: number): boolean {
  switch (type) {
    case 'sock':
      return sockValid(off, size);
    case 'sock_common':
      return sockCommonValid(off, size);
    case 'tcp_sock':
      return tcpSockValid(off, size);
    case 'xdp_sock':
      return xdpSockValid(off, size);
    default:
      return false;
  }
}

/**
 * Whether bpf_tcp_sock_convert_ctx_access has a rewrite for a valid load at `off`: it has one per
 * field, so the upper half of a u64 counter, which bpf_tcp_sock_is_valid_access lets through as a
 * u32, has none and convert_ctx_accesses refuses the program after the walk. The other socket
 * structs convert every load they allow.
 */
export function sockAccessConverts(type: RegType, off: number): boolean {
  return type !== 'tcp_sock' || (off !== TCP_SOCK.bytes_received + 4 && off !== TCP_SOCK.bytes_acked + 4);
}

/**
 * A helper's prototype as the kernel's `struct bpf_func_proto` spells it (include/linux/bpf.h):
 * the return type, each argument's type, and the flags the verifier reads. The helper table
 * (src/helpers) gives one per helper; the verifier checks calls against it.
 */

/** `enum bpf_arg_type` base types (include/linux/bpf.h), spelled as in the kernel. */
export type ArgBase =
  | 'ARG_DONTCARE'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_PTR_TO_ARENA'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_ANYTHING'
  | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_SOCKET'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_PERCPU_BTF_ID'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK'
  | 'ARG_PTR_TO_CONST_STR'
  | 'ARG_PTR_TO_TIMER'
  | 'ARG_KPTR_XCHG_DEST'
  | 'ARG_PTR_TO_DYNPTR';

/** `enum bpf_return_type` base types, spelled as in the kernel. */
export type RetBase =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE'
  | 'RET_PTR_TO_SOCKET'
  | 'RET_PTR_TO_TCP_SOCK'
  | 'RET_PTR_TO_SOCK_COMMON'
  | 'RET_PTR_TO_MEM'
  | 'RET_PTR_TO_MEM_OR_BTF_ID'
  | 'RET_PTR_TO_BTF_ID';

/** `enum bpf_type_flag` flags that prototypes use, spelled as in the kernel. */
export type TypeFlag =
  | 'PTR_MAYBE_NULL'
  | 'MEM_RDONLY'
  | 'MEM_RINGBUF'
  | 'MEM_USER'
  | 'MEM_PERCPU'
  | 'OBJ_RELEASE'
  | 'PTR_UNTRUSTED'
  | 'MEM_UNINIT'
  | 'DYNPTR_TYPE_LOCAL'
  | 'DYNPTR_TYPE_RINGBUF'
  | 'MEM_FIXED_SIZE'
  | 'MEM_ALLOC'
  | 'PTR_TRUSTED'
  | 'MEM_RCU'
  | 'DYNPTR_TYPE_SKB'
  | 'DYNPTR_TYPE_XDP'
  | 'MEM_ALIGNED'
  | 'MEM_WRITE';

/** One argument: its base type and flags, as `ARG_PTR_TO_MEM | MEM_RDONLY` spells them. */
export interface ArgType {
  base: ArgBase;
  flags: readonly TypeFlag[];
  /** `arg_btf_id` for BTF-id arguments: the kernel struct's name (`sock_common`, `tcp_sock`). */
  btfStruct?: string;
  /** `arg_size` for `MEM_FIXED_SIZE` arguments, in bytes. */
  size?: number;
}

/** The return type: base and flags (`RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL`). */
export interface RetType {
  base: RetBase;
  flags: readonly TypeFlag[];
  /** `ret_btf_id`'s struct name, for RET_PTR_TO_BTF_ID. */
  btfStruct?: string;
}

/** `struct bpf_func_proto` as the verifier reads it. */
export interface HelperProto {
  ret: RetType;
  /** Up to five arguments; absent ones are ARG_DONTCARE and not listed. */
  args: readonly ArgType[];
  /** `gpl_only`: refused (`cannot call GPL-restricted function from non-GPL compatible program`) without a GPL-compatible license. */
  gplOnly: boolean;
  /**
   * `pkt_access`: a packet pointer (pkt, pkt_meta) may be passed as an argument; without it the
   * verifier refuses one with `helper access to the packet is not allowed` (check_func_arg).
   */
  pktAccess: boolean;
  /** `might_sleep`: only for sleepable programs. */
  mightSleep?: boolean;
}

const ARG_ALIASES: Record<string, string> = {
  ARG_PTR_TO_MAP_VALUE_OR_NULL: 'ARG_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL',
  ARG_PTR_TO_MEM_OR_NULL: 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL',
  ARG_PTR_TO_CTX_OR_NULL: 'ARG_PTR_TO_CTX | PTR_MAYBE_NULL',
  ARG_PTR_TO_SOCKET_OR_NULL: 'ARG_PTR_TO_SOCKET | PTR_MAYBE_NULL',
  ARG_PTR_TO_STACK_OR_NULL: 'ARG_PTR_TO_STACK | PTR_MAYBE_NULL',
  ARG_PTR_TO_BTF_ID_OR_NULL: 'ARG_PTR_TO_BTF_ID | PTR_MAYBE_NULL',
  ARG_PTR_TO_UNINIT_MEM: 'ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE',
  ARG_PTR_TO_FIXED_SIZE_MEM: 'ARG_PTR_TO_MEM | MEM_FIXED_SIZE',
};

const RET_ALIASES: Record<string, string> = {
  RET_PTR_TO_MAP_VALUE_OR_NULL: 'RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL',
  RET_PTR_TO_SOCKET_OR_NULL: 'RET_PTR_TO_SOCKET | PTR_MAYBE_NULL',
  RET_PTR_TO_TCP_SOCK_OR_NULL: 'RET_PTR_TO_TCP_SOCK | PTR_MAYBE_NULL',
  RET_PTR_TO_SOCK_COMMON_OR_NULL: 'RET_PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL',
  RET_PTR_TO_RINGBUF_MEM_OR_NULL: 'RET_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RINGBUF',
  RET_PTR_TO_DYNPTR_MEM_OR_NULL: 'RET_PTR_TO_MEM | PTR_MAYBE_NULL',
  RET_PTR_TO_BTF_ID_OR_NULL: 'RET_PTR_TO_BTF_ID | PTR_MAYBE_NULL',
  RET_PTR_TO_BTF_ID_TRUSTED: 'RET_PTR_TO_BTF_ID | PTR_TRUSTED',
};

function splitFlags(text: string, aliases: Record<string, string>): [string, TypeFlag[]] {
  const parts = text.split('|').map((p) => p.trim()).flatMap((p) => (aliases[p] ?? p).split('|').map((q) => q.trim()));
  const [base, ...flags] = parts;
  return [base!, flags as TypeFlag[]];
}

/** Parses an argument type as the kernel spells it: `ARG_PTR_TO_MEM | MEM_RDONLY`, `ARG_PTR_TO_MAP_VALUE_OR_NULL`. */
export function arg(text: string, extra: { btfStruct?: string; size?: number } = {}): ArgType {
  const [base, flags] = splitFlags(text, ARG_ALIASES);
  return { base: base as ArgBase, flags, ...extra };
}

/** Parses a return type as the kernel spells it: `RET_PTR_TO_MAP_VALUE_OR_NULL`, `RET_INTEGER`. */
export function ret(text: string, extra: { btfStruct?: string } = {}): RetType {
  const [base, flags] = splitFlags(text, RET_ALIASES);
  return { base: base as RetBase, flags, ...extra };
}

/** True when `t` carries `flag`. */
export function hasFlag(t: { flags: readonly TypeFlag[] }, flag: TypeFlag): boolean {
  return t.flags.includes(flag);
}

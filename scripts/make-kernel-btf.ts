/**
 * Writes src/btf/kernel-btf-data.ts: the BTF of the kernel types bpfsim models, cut from this
 * machine's /sys/kernel/btf/vmlinux, for CO-RE relocations when no vmlinux BTF is given. The
 * closure of the root types below through members, arrays, typedefs and modifiers; a pointer to
 * a struct or union outside the roots points at a forward declaration instead, which keeps the
 * file small (a field read through such a pointer needs the user's vmlinux BTF).
 * Run: npx tsx scripts/make-kernel-btf.ts [VMLINUX_BTF]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '../src/btf/btf.js';
import { encodeBtf } from '../src/btf/encode-btf.js';
import type { BtfType } from '../src/btf/types.js';

const ROOTS = [
  'struct __sk_buff', 'struct xdp_md', 'struct sk_buff', 'struct xdp_buff', 'struct xdp_rxq_info', 'struct skb_shared_info',
  'struct ethhdr', 'struct vlan_ethhdr', 'struct iphdr', 'struct ipv6hdr', 'struct tcphdr', 'struct udphdr', 'struct icmphdr', 'struct icmp6hdr',
  'union tcp_word_hdr', 'struct gre_base_hdr', 'struct vxlanhdr', 'struct genevehdr', 'struct arphdr',
  'struct bpf_sock', 'struct bpf_sock_tuple', 'struct nf_conn', 'struct bpf_ct_opts', 'struct bpf_fib_lookup', 'struct bpf_tunnel_key', 'struct bpf_xfrm_state', 'struct bpf_flow_keys',
  'struct bpf_spin_lock', 'struct bpf_timer', 'struct bpf_dynptr', 'struct bpf_list_head', 'struct bpf_list_node',
  'enum xdp_action', 'enum bpf_func_id', 'enum bpf_map_type', 'enum bpf_prog_type', 'enum bpf_attach_type', 'enum sk_action',
  'enum bpf_adj_room_mode', 'enum bpf_hdr_start_off', 'enum bpf_ret_code',
];

const source = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const vmlinux = Btf.decode(readFileSync(source));
const byName = new Map<string, BtfType>();
for (const t of vmlinux.types) if (t.name && !byName.has(`${t.kind} ${t.name}`)) byName.set(`${t.kind} ${t.name}`, t);

const rootIds = new Set<number>();
for (const root of ROOTS) {
  const [kind, name] = root.split(' ');
  const t = byName.get(`${kind} ${name}`) ?? (kind === 'enum' ? byName.get(`enum64 ${name}`) : undefined);
  if (t) rootIds.add(t.id);
  else console.warn(`not in ${source}: ${root}`);
}

// New ids in visiting order; composites reached only through a pointer become forward declarations.
const newId = new Map<number, number>();
const fwdOf = new Map<number, number>();
const out: BtfType[] = [vmlinux.types[0]!];
const queue: { oldId: number; slot: number }[] = [];
const visit = (oldId: number, viaPointer: boolean): number => {
  if (oldId === 0) return 0;
  const t = vmlinux.typeById(oldId);
  if (viaPointer && (t.kind === 'struct' || t.kind === 'union') && !rootIds.has(oldId)) {
    let id = fwdOf.get(oldId);
    if (id === undefined) {
      id = out.length;
      fwdOf.set(oldId, id);
      out.push({ id, kind: 'fwd', name: t.name, union: t.kind === 'union' });
    }
    return id;
  }
  let id = newId.get(oldId);
  if (id !== undefined) return id;
  id = out.length;
  newId.set(oldId, id);
  out.push(t);
  queue.push({ oldId, slot: id });
  return id;
};
for (const id of rootIds) visit(id, false);
while (queue.length > 0) {
  const { oldId, slot } = queue.shift()!;
  const t = vmlinux.typeById(oldId);
  switch (t.kind) {
    case 'ptr':
      out[slot] = { ...t, id: slot, type: visit(t.type, true) };
      break;
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
      out[slot] = { ...t, id: slot, type: visit(t.type, false) };
      break;
    case 'array':
      out[slot] = { ...t, id: slot, type: visit(t.type, false), indexType: visit(t.indexType, false) };
      break;
    case 'struct':
    case 'union':
      out[slot] = { ...t, id: slot, members: t.members.map((m) => ({ ...m, type: visit(m.type, false) })) };
      break;
    case 'func_proto':
      out[slot] = { ...t, id: slot, type: visit(t.type, true), params: t.params.map((p) => ({ ...p, type: visit(p.type, true) })) };
      break;
    default:
      out[slot] = { ...t, id: slot };
  }
}

const bytes = encodeBtf(out);
const check = Btf.decode(bytes);
const b64 = Buffer.from(bytes).toString('base64');
const lines = b64.match(/.{1,120}/g) ?? [];
const text = `/**
 * The BTF of the kernel types bpfsim models (${out.length - 1} types, ${bytes.length} bytes), cut from
 * ${source} of Linux 6.18 by scripts/make-kernel-btf.ts: CO-RE relocations resolve against it when
 * no vmlinux BTF is given. Generated: do not edit.
 */
export const KERNEL_BTF_BASE64 =
${lines.map((l) => `  '${l}'`).join(' +\n')};
`;
writeFileSync(join(import.meta.dirname, '..', 'src', 'btf', 'kernel-btf-data.ts'), text);
console.log(`${check.types.length - 1} types, ${bytes.length} bytes`);

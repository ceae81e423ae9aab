import { defaultKernelBtf } from '../btf/kernel-btf.js';
import type { Btf } from '../btf/btf.js';

/**
 * The struct a read of `size` bytes at `off` in kernel `struct structName` yields a pointer to,
 * when that read is exactly a member of type pointer-to-struct (btf_struct_walk's WALK_PTR in
 * kernel/bpf/btf.c): its name, also for a struct the simulated kernel's BTF only declares. Any
 * other read yields a scalar here. Members of nested structs and unions are walked into.
 */
export function btfPointeeStruct(structName: string, off: number, size: number): string | undefined {
  if (size !== 8 || !structName) return undefined;
  const btf = defaultKernelBtf();
  const root = btf.typeByName(structName, 'struct');
  return root ? walk(btf, root.id, off, 0) : undefined;
}

const MAX_DEPTH = 16;

function walk(btf: Btf, typeId: number, off: number, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const t = btf.resolved(typeId);
  if (t.kind === 'ptr') {
    if (off !== 0) return undefined;
    const pointee = btf.resolved(t.type);
    return (pointee.kind === 'struct' || pointee.kind === 'fwd') && pointee.name ? pointee.name : undefined;
  }
  if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
  for (const m of t.members) {
    if (m.bitfieldSize || m.bitOffset % 8) continue;
    const start = m.bitOffset / 8;
    if (off < start || off >= start + btf.sizeof(m.type)) continue;
    const found = walk(btf, m.type, off - start, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The name of the struct with id `btfId` in the simulated kernel's BTF (what a CO-RE
 * `bpf_core_type_id_kernel` resolves to), or '' when it is no struct there.
 */
export function kernelStructName(btfId: number): string {
  const btf = defaultKernelBtf();
  if (!Number.isInteger(btfId) || btfId <= 0 || btfId >= btf.types.length) return '';
  const t = btf.resolved(btfId);
  return t.kind === 'struct' ? t.name : '';
}

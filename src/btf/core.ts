import { BtfError } from '../internal/errors.js';
import type { Btf } from './btf.js';
import type { CoreRelo } from './btf-ext.js';
import type { BtfComposite, BtfType } from './types.js';

/** enum bpf_core_relo_kind (include/uapi/linux/bpf.h). */
export const BPF_CORE = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

const KIND_NAMES = ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches'];

/** libbpf's BPF_CORE_SPEC_MAX_LEN: the deepest access string it follows. */
const SPEC_MAX_LEN = 64;

/** The helper id libbpf writes into an instruction whose relocation cannot be resolved (bpf_core_poison_insn: 0xbad2310, "bad relo"). */
export const CORE_POISON_HELPER_ID = 0xbad2310;

/** One step of a spec: the type it is in, the member or element index, and the member's name when it has one. */
interface Accessor {
  typeId: number;
  idx: number;
  name?: string;
}

/** libbpf's struct bpf_core_spec: a relocation's access path resolved against one BTF. */
interface Spec {
  btf: Btf;
  rootTypeId: number;
  /** Named accessors and array indices (anonymous members are skipped). */
  accessors: Accessor[];
  /** The raw access string's indices. */
  raw: number[];
  /** Bit offset of the field from the root. */
  bitOffset: number;
}

/** What a relocation resolves to, as bpf_core_calc_relo computes it. */
export interface CoreResult {
  /** The value the compiler put in the instruction, computed from the program's own BTF. */
  origVal: bigint;
  /** The value for the target kernel. */
  newVal: bigint;
  /** The instruction must be poisoned: the field the program reads does not exist on the target. */
  poison: boolean;
  /** Whether the instruction must hold `origVal` (not for bitfields and target type ids). */
  validate: boolean;
  /** Memory access sizes in bytes for a field offset (0 when not a plain field). */
  origSize: number;
  newSize: number;
  /** A load or store of this field may not change its size (a signed or non-integer field changed size). */
  failSizeAdjust: boolean;
  /** Why the relocation poisons its instruction, for the run-time fault. */
  why?: string;
}

/** `sk_buff___old` → `sk_buff` (libbpf bpf_core_essential_name_len: up to the last `x___y`). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

const isComposite = (t: BtfType): t is BtfComposite => t.kind === 'struct' || t.kind === 'union';
const isAnyEnum = (t: BtfType) => t.kind === 'enum' || t.kind === 'enum64';
const kindsCompatible = (a: BtfType, b: BtfType) => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
const isFieldKind = (k: number) => k <= BPF_CORE.FIELD_RSHIFT_U64;
const isTypeKind = (k: number) => (k >= BPF_CORE.TYPE_ID_LOCAL && k <= BPF_CORE.TYPE_SIZE) || k === BPF_CORE.TYPE_MATCHES;
const isEnumKind = (k: number) => k === BPF_CORE.ENUMVAL_EXISTS || k === BPF_CORE.ENUMVAL_VALUE;

/** The name of relocation kind `kind` as libbpf prints it (`byte_off`, `field_exists`). */
export function coreKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind(${kind})`;
}

/**
 * CO-RE relocations of one object against one target BTF (the simulated kernel's), as libbpf's
 * relo_core.c resolves them: the program's access path is parsed against its own BTF, matched
 * by name against every target type of the same essential name, and the instruction's value
 * recomputed for the target. Candidates are found once per local type.
 */
export class CoreResolver {
  private readonly candidates = new Map<number, number[]>();
  private targetByName?: Map<string, number[]>;

  constructor(
    readonly local: Btf,
    readonly target: Btf,
  ) {}

  /** Resolves `relo`; throws BtfError `btf/core-relo` for a relocation libbpf would refuse. */
  resolve(relo: CoreRelo): CoreResult {
    const local = this.parseSpec(relo);
    const kind = relo.kind;
    if (kind === BPF_CORE.TYPE_ID_LOCAL) {
      const id = BigInt(local.rootTypeId);
      return { origVal: id, newVal: id, poison: false, validate: true, origSize: 0, newSize: 0, failSizeAdjust: false };
    }
    let chosen: { spec: Spec; res: CoreResult } | undefined;
    for (const candId of this.candidatesOf(local.rootTypeId)) {
      const spec = this.match(local, candId, kind);
      if (!spec) continue;
      const res = this.calc(relo, local, spec);
      if (!chosen) {
        chosen = { spec, res };
      } else if (spec.bitOffset !== chosen.spec.bitOffset || res.poison !== chosen.res.poison || (!res.poison && res.newVal !== chosen.res.newVal)) {
        throw this.error(relo, `candidates [${chosen.spec.rootTypeId}] and [${candId}] resolve differently (${chosen.res.newVal} and ${res.newVal})`);
      }
    }
    return chosen?.res ?? this.calc(relo, local, undefined);
  }

  private error(relo: CoreRelo, why: string): BtfError {
    const name = this.local.types[relo.typeId]?.name || `[${relo.typeId}]`;
    return new BtfError('btf/core-relo', `CO-RE relocation ${coreKindName(relo.kind)} of '${name}' access '${relo.accessStr}': ${why}`, relo.typeId);
  }

  /**
   * The relocation's access path in the program's own BTF, as libbpf's bpf_core_format_spec
   * prints it in "failed to resolve CO-RE relocation <spec>":
   * `<byte_off> [8] struct xdp_md___new.ifindex (0:1 @ offset 4)`.
   */
  formatSpec(relo: CoreRelo): string {
    const spec = this.parseSpec(relo);
    const root = this.local.typeById(spec.rootTypeId);
    let text = `<${coreKindName(relo.kind)}> [${spec.rootTypeId}] ${root.kind} ${root.name || '<anon>'}`;
    if (isTypeKind(relo.kind)) return text;
    if (isEnumKind(relo.kind)) {
      const t = this.local.typeById(this.local.resolve(spec.rootTypeId));
      if (t.kind === 'enum') {
        const e = t.values[spec.raw[0]!]!;
        return `${text}::${e.name} = ${t.signed ? e.value | 0 : e.value >>> 0}`;
      }
      if (t.kind === 'enum64') {
        const e = t.values[spec.raw[0]!]!;
        return `${text}::${e.name} = ${t.signed ? BigInt.asIntN(64, e.value) : BigInt.asUintN(64, e.value)}`;
      }
      return text;
    }
    spec.accessors.forEach((a, i) => {
      if (a.name) text += `.${a.name}`;
      else if (i > 0 || a.idx > 0) text += `[${a.idx}]`;
    });
    const at = spec.bitOffset % 8 ? `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}` : `${spec.bitOffset / 8}`;
    return `${text} (${spec.raw.join(':')} @ offset ${at})`;
  }

  /** bpf_core_parse_spec. */
  private parseSpec(relo: CoreRelo): Spec {
    const btf = this.local;
    const raw = relo.accessStr.split(':').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
    if (raw.length === 0 || raw.some((n) => Number.isNaN(n))) throw this.error(relo, 'malformed access string');
    if (raw.length > SPEC_MAX_LEN) throw this.error(relo, `access string longer than ${SPEC_MAX_LEN}`);
    const root = btf.typeById(relo.typeId);
    if (!root.name) throw this.error(relo, 'the relocated type is anonymous');
    const spec: Spec = { btf, rootTypeId: relo.typeId, accessors: [], raw, bitOffset: 0 };
    if (isTypeKind(relo.kind)) {
      if (raw.length !== 1 || raw[0] !== 0) throw this.error(relo, 'a type relocation takes access string 0');
      return spec;
    }
    let id = btf.resolve(relo.typeId);
    let t = btf.typeById(id);
    if (isEnumKind(relo.kind)) {
      if ((t.kind !== 'enum' && t.kind !== 'enum64') || raw.length > 1 || raw[0]! >= t.values.length) throw this.error(relo, 'not an enumerator of an enum');
      spec.accessors.push({ typeId: id, idx: raw[0]!, name: t.values[raw[0]!]!.name });
      return spec;
    }
    if (!isFieldKind(relo.kind)) throw this.error(relo, 'unknown relocation kind');
    spec.accessors.push({ typeId: id, idx: raw[0]! });
    spec.bitOffset = raw[0]! * sizeOrThrow(btf, id, () => this.error(relo, 'root type has no size')) * 8;
    for (let i = 1; i < raw.length; i++) {
      id = btf.resolve(id);
      t = btf.typeById(id);
      const idx = raw[i]!;
      if (isComposite(t)) {
        const m = t.members[idx];
        if (!m) throw this.error(relo, `member ${idx} of ${btf.formatType(id)} does not exist`);
        spec.bitOffset += m.bitOffset;
        if (m.name) spec.accessors.push({ typeId: id, idx, name: m.name });
        id = m.type;
      } else if (t.kind === 'array') {
        const flex = t.nelems === 0 && this.isLastMember(spec.accessors[spec.accessors.length - 1]);
        if (!flex && idx >= t.nelems) throw this.error(relo, `index ${idx} past the ${t.nelems} elements of ${btf.formatType(id)}`);
        id = btf.resolve(t.type);
        spec.accessors.push({ typeId: id, idx });
        spec.bitOffset += idx * sizeOrThrow(btf, id, () => this.error(relo, 'array element has no size')) * 8;
      } else {
        throw this.error(relo, `access ${idx} into ${btf.formatType(id)}, which is neither a struct, a union nor an array`);
      }
    }
    return spec;
  }

  /** libbpf is_flex_arr: an array of 0 elements that is the last member of its struct. */
  private isLastMember(acc: Accessor | undefined, btf: Btf = this.local): boolean {
    if (!acc?.name) return false;
    const t = btf.typeById(acc.typeId);
    return isComposite(t) && acc.idx === t.members.length - 1;
  }

  /** Target types whose essential name and kind match the local root type (bpf_core_find_cands). */
  private candidatesOf(localId: number): number[] {
    const cached = this.candidates.get(localId);
    if (cached) return cached;
    const lt = this.local.typeById(localId);
    const name = essentialName(lt.name);
    if (!this.targetByName) {
      this.targetByName = new Map();
      for (const t of this.target.types) {
        if (!t.name) continue;
        const key = essentialName(t.name);
        const list = this.targetByName.get(key);
        if (list) list.push(t.id);
        else this.targetByName.set(key, [t.id]);
      }
    }
    const out = (this.targetByName.get(name) ?? []).filter((id) => kindsCompatible(lt, this.target.typeById(id)));
    this.candidates.set(localId, out);
    return out;
  }

  /** bpf_core_spec_match: the local spec followed through candidate `targId`, or undefined when it does not fit. */
  private match(local: Spec, targId: number, kind: number): Spec | undefined {
    const tb = this.target;
    const spec: Spec = { btf: tb, rootTypeId: targId, accessors: [], raw: [], bitOffset: 0 };
    if (isTypeKind(kind)) {
      const ok = kind === BPF_CORE.TYPE_MATCHES ? typesMatch(this.local, local.rootTypeId, tb, targId, 0) : typesCompatible(this.local, local.rootTypeId, tb, targId, 0);
      return ok ? spec : undefined;
    }
    if (isEnumKind(kind)) {
      const id = tb.resolve(targId);
      const t = tb.typeById(id);
      if (t.kind !== 'enum' && t.kind !== 'enum64') return undefined;
      const want = essentialName(local.accessors[0]!.name!);
      const idx = t.values.findIndex((v) => essentialName(v.name) === want);
      if (idx < 0) return undefined;
      spec.accessors.push({ typeId: id, idx, name: t.values[idx]!.name });
      spec.raw.push(idx);
      return spec;
    }
    let targetId = targId;
    for (let i = 0; i < local.accessors.length; i++) {
      const acc = local.accessors[i]!;
      if (acc.name !== undefined) {
        const next = this.matchMember(acc, targetId, spec);
        if (next === undefined) return undefined;
        targetId = next;
        continue;
      }
      if (i > 0) {
        const id = tb.resolve(targetId);
        const t = tb.typeById(id);
        if (t.kind !== 'array') return undefined;
        const flex = t.nelems === 0 && this.isLastMember(spec.accessors[spec.accessors.length - 1], tb);
        if (!flex && acc.idx >= t.nelems) return undefined;
        targetId = tb.resolve(t.type);
      }
      if (spec.raw.length === SPEC_MAX_LEN) return undefined;
      spec.accessors.push({ typeId: targetId, idx: acc.idx });
      spec.raw.push(acc.idx);
      const size = sizeOf(tb, targetId);
      if (size === undefined) return undefined;
      spec.bitOffset += acc.idx * size * 8;
    }
    return spec;
  }

  /** bpf_core_match_member: finds the local member's name in `targId`, through anonymous members; returns the member's type. */
  private matchMember(acc: Accessor, targId: number, spec: Spec): number | undefined {
    const tb = this.target;
    const localMember = (this.local.typeById(acc.typeId) as BtfComposite).members[acc.idx]!;
    const id = tb.resolve(targId);
    const t = tb.typeById(id);
    if (!isComposite(t)) return undefined;
    for (let i = 0; i < t.members.length; i++) {
      const m = t.members[i]!;
      if (spec.raw.length === SPEC_MAX_LEN) return undefined;
      spec.bitOffset += m.bitOffset;
      spec.raw.push(i);
      if (!m.name) {
        const found = this.matchMember(acc, m.type, spec);
        if (found !== undefined) return found;
      } else if (m.name === acc.name) {
        if (!fieldsCompatible(this.local, localMember.type, tb, m.type)) return undefined;
        spec.accessors.push({ typeId: id, idx: i, name: m.name });
        return m.type;
      }
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
    }
    return undefined;
  }

  /** bpf_core_calc_relo: the original and new values, or a poison request, for one candidate (none: `target` undefined). */
  private calc(relo: CoreRelo, local: Spec, target: Spec | undefined): CoreResult {
    const res: CoreResult = { origVal: 0n, newVal: 0n, poison: false, validate: true, origSize: 0, newSize: 0, failSizeAdjust: false };
    const kind = relo.kind;
    if (isFieldKind(kind)) {
      const orig = fieldValue(local, kind, relo, this);
      res.origVal = orig.val;
      res.origSize = orig.size;
      res.validate = orig.validate;
      if (!target && kind !== BPF_CORE.FIELD_EXISTS) {
        res.poison = true;
        const path = local.accessors.slice(1).map((a) => a.name ?? `[${a.idx}]`).join('.');
        res.why = `field '${path}' (access ${relo.accessStr}) of ${this.local.formatType(relo.typeId)} does not exist in the target kernel's BTF`;
        return res;
      }
      const now = fieldValue(target, kind, relo, this);
      res.newVal = now.val;
      res.newSize = now.size;
      if (orig.size !== now.size && orig.typeId !== undefined && now.typeId !== undefined) {
        const ot = this.local.typeById(orig.typeId);
        const nt = this.target.typeById(now.typeId);
        const unsignedInts = ot.kind === 'int' && nt.kind === 'int' && !ot.signed && !nt.signed;
        res.failSizeAdjust = !(ot.kind === 'ptr' && nt.kind === 'ptr') && !unsignedInts;
      }
      return res;
    }
    const value = (spec: Spec | undefined): bigint => {
      if (!spec) return 0n;
      if (isEnumKind(kind)) {
        if (kind === BPF_CORE.ENUMVAL_EXISTS) return 1n;
        const acc = spec.accessors[0]!;
        const t = spec.btf.typeById(acc.typeId);
        const v = (t as { values: { value: number | bigint }[] }).values[acc.idx]!.value;
        return BigInt.asUintN(64, BigInt(v));
      }
      if (kind === BPF_CORE.TYPE_ID_TARGET) return BigInt(spec.rootTypeId);
      if (kind === BPF_CORE.TYPE_SIZE) return BigInt(sizeOf(spec.btf, spec.rootTypeId) ?? 0);
      return 1n;
    };
    res.origVal = value(local);
    res.newVal = value(target);
    if (kind === BPF_CORE.TYPE_ID_TARGET) res.validate = false;
    return res;
  }

  /** @internal the error for `relo` (used by fieldValue). */
  fail(relo: CoreRelo, why: string): BtfError {
    return this.error(relo, why);
  }
}

/** bpf_core_calc_field_relo for one spec: the value, the access size and the field's type. */
function fieldValue(spec: Spec | undefined, kind: number, relo: CoreRelo, r: CoreResolver): { val: bigint; size: number; typeId?: number; validate: boolean } {
  if (kind === BPF_CORE.FIELD_EXISTS) return { val: spec ? 1n : 0n, size: 0, validate: true };
  if (!spec) throw r.fail(relo, 'no spec');
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) {
    const size = sizeOf(btf, acc.typeId) ?? 0;
    if (kind === BPF_CORE.FIELD_BYTE_OFFSET) return { val: BigInt(spec.bitOffset / 8), size, typeId: acc.typeId, validate: true };
    if (kind === BPF_CORE.FIELD_BYTE_SIZE) return { val: BigInt(size), size: 0, validate: true };
    throw r.fail(relo, `${coreKindName(kind)} of an array element or a whole type`);
  }
  const parent = btf.typeById(acc.typeId) as BtfComposite;
  const m = parent.members[acc.idx]!;
  const fieldId = btf.resolve(m.type);
  const mt = btf.typeById(fieldId);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    byteSize = (mt as { size: number }).size;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw r.fail(relo, 'bitfield cannot be read with a 64-bit load');
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = sizeOf(btf, fieldId) ?? 0;
    byteOff = bitOff / 8;
    bitSize = byteSize * 8;
  }
  switch (kind) {
    case BPF_CORE.FIELD_BYTE_OFFSET:
      return bitfield ? { val: BigInt(byteOff), size: 0, validate: false } : { val: BigInt(byteOff), size: byteSize, typeId: fieldId, validate: true };
    case BPF_CORE.FIELD_BYTE_SIZE:
      return { val: BigInt(byteSize), size: 0, validate: !bitfield };
    case BPF_CORE.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && (mt as { signed: boolean }).signed) || (mt.kind === 'int' && mt.signed);
      return { val: signed ? 1n : 0n, size: 0, validate: !bitfield };
    }
    case BPF_CORE.FIELD_LSHIFT_U64:
      return { val: BigInt(64 - (bitOff + bitSize - byteOff * 8)), size: 0, validate: !bitfield };
    default:
      return { val: BigInt(64 - bitSize), size: 0, validate: true };
  }
}

function sizeOf(btf: Btf, id: number): number | undefined {
  try {
    return btf.sizeof(id);
  } catch (err) {
    if (err instanceof BtfError) return undefined;
    throw err;
  }
}

function sizeOrThrow(btf: Btf, id: number, fail: () => BtfError): number {
  const size = sizeOf(btf, id);
  if (size === undefined) throw fail();
  return size;
}

/** bpf_core_fields_are_compat: may a field of local type `a` be read as target type `b`. */
function fieldsCompatible(la: Btf, a: number, tb: Btf, b: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    const lt = la.resolved(a);
    const tt = tb.resolved(b);
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindsCompatible(lt, tt)) return false;
    switch (lt.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64':
        return essentialName(lt.name) === essentialName(tt.name);
      case 'int':
        return lt.bitOffset === 0 && (tt as { bitOffset: number }).bitOffset === 0;
      case 'array':
        a = lt.type;
        b = (tt as { type: number }).type;
        continue;
      default:
        return false;
    }
  }
  return false;
}

/** bpf_core_types_are_compat: TYPE_EXISTS, TYPE_SIZE and TYPE_ID_TARGET candidates. */
function typesCompatible(la: Btf, a: number, tb: Btf, b: number, depth: number): boolean {
  if (depth > 32) return false;
  const lt = la.resolved(a);
  const tt = tb.resolved(b);
  if (!kindsCompatible(lt, tt)) return false;
  switch (lt.kind) {
    case 'void':
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
    case 'fwd':
      return true;
    case 'int':
      return lt.bitOffset === 0 && (tt as { bitOffset: number }).bitOffset === 0;
    case 'ptr':
    case 'array':
      return typesCompatible(la, lt.type, tb, (tt as { type: number }).type, depth + 1);
    case 'func_proto': {
      const tp = tt as typeof lt;
      if (lt.params.length !== tp.params.length) return false;
      if (!lt.params.every((p, i) => typesCompatible(la, p.type, tb, tp.params[i]!.type, depth + 1))) return false;
      return typesCompatible(la, lt.type, tb, tp.type, depth + 1);
    }
    default:
      return false;
  }
}

/** bpf_core_types_match (TYPE_MATCHES): same shape, members and enumerators by name, integers of the same size and sign. */
function typesMatch(la: Btf, a: number, tb: Btf, b: number, depth: number): boolean {
  if (depth > 32) return false;
  const lt = la.resolved(a);
  const tt = tb.resolved(b);
  if (lt.name && tt.name && essentialName(lt.name) !== essentialName(tt.name)) return false;
  if (!kindsCompatible(lt, tt)) return lt.kind === 'fwd' || tt.kind === 'fwd' ? lt.name === tt.name : false;
  switch (lt.kind) {
    case 'void':
    case 'fwd':
    case 'float':
      return true;
    case 'int':
      return tt.kind === 'int' && lt.size === tt.size && lt.signed === tt.signed;
    case 'enum':
    case 'enum64': {
      const names = new Set((tt as { values: { name: string }[] }).values.map((v) => essentialName(v.name)));
      return lt.values.every((v) => names.has(essentialName(v.name)));
    }
    case 'struct':
    case 'union': {
      const tc = tt as BtfComposite;
      return lt.members.every((m) => {
        const tm = tc.members.find((x) => x.name === m.name);
        return tm !== undefined && typesMatch(la, m.type, tb, tm.type, depth + 1);
      });
    }
    case 'ptr':
      return typesMatch(la, lt.type, tb, (tt as { type: number }).type, depth + 1);
    case 'array':
      return lt.nelems === (tt as { nelems: number }).nelems && typesMatch(la, lt.type, tb, (tt as { type: number }).type, depth + 1);
    default:
      return false;
  }
}

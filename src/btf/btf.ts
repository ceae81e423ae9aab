import { BtfError } from '../internal/errors.js';
import { decodeBtf } from './decode-btf.js';
import { formatValue } from './format-value.js';
import { leafFields, type LeafField } from './leaf-fields.js';
import type { BtfKindName, BtfType } from './types.js';

/** libbpf's MAX_RESOLVE_DEPTH (btf.c): a longer chain of modifiers is treated as a loop. */
const MAX_RESOLVE_DEPTH = 32;

const utf8 = new TextDecoder();

const SKIPPED: ReadonlySet<BtfKindName> = new Set(['typedef', 'volatile', 'const', 'restrict', 'type_tag']);

/**
 * The types of a `.BTF` section (Documentation/bpf/btf.rst), with lookups by id and name, sizes,
 * leaf fields and value formatting. Ids are the kernel's: 1-based, id 0 is `void`.
 */
export class Btf {
  private byName?: Map<string, BtfType[]>;

  constructor(
    /** Every type, indexed by id (`types[0]` is void). */
    readonly types: BtfType[],
    /** The raw string section. */
    readonly strings: Uint8Array = new Uint8Array(1),
  ) {}

  /** Decodes a `.BTF` section; throws BtfError (`btf/...`) on anything malformed. */
  static decode(bytes: Uint8Array): Btf {
    const { types, strings } = decodeBtf(bytes);
    return new Btf(types, strings);
  }

  /** The string at byte offset `off` of the string section (BTF.ext records refer to it). */
  stringAt(off: number): string {
    if (!Number.isInteger(off) || off < 0 || off >= this.strings.length) throw new BtfError('btf/bad-string', `btf: invalid string offset ${off}`);
    const end = this.strings.indexOf(0, off);
    return utf8.decode(this.strings.subarray(off, end < 0 ? this.strings.length : end));
  }

  /** The type with id `id`; throws `btf/bad-type-id` when there is none. */
  typeById(id: number): BtfType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (!t) throw new BtfError('btf/bad-type-id', `btf: no type with id ${id}`, id);
    return t;
  }

  /** The name of type `id` ('' for anonymous types and void). */
  nameOf(id: number): string {
    return this.typeById(id).name;
  }

  /** The id of the type under any typedef/const/volatile/restrict/type_tag chain starting at `id`. */
  resolve(id: number): number {
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      const t = this.typeById(cur);
      if (!SKIPPED.has(t.kind)) return cur;
      cur = (t as { type: number }).type;
    }
    throw new BtfError('btf/loop', `btf: type [${id}]: modifier chain longer than ${MAX_RESOLVE_DEPTH}`, id);
  }

  /** The resolved type object of `id` (see {@link resolve}). */
  resolved(id: number): BtfType {
    return this.typeById(this.resolve(id));
  }

  /** Size in bytes of type `id`; throws `btf/no-size` for void, functions and forward declarations. */
  sizeof(id: number, depth = 0): number {
    if (depth > MAX_RESOLVE_DEPTH) throw new BtfError('btf/loop', `btf: type [${id}]: nesting deeper than ${MAX_RESOLVE_DEPTH}`, id);
    const t = this.resolved(id);
    switch (t.kind) {
      case 'int':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'float':
      case 'datasec':
        return t.size;
      case 'ptr':
        return 8;
      case 'array':
        return t.nelems * this.sizeof(t.type, depth + 1);
      case 'var':
        return this.sizeof(t.type, depth + 1);
      default:
        throw new BtfError('btf/no-size', `btf: type [${id}]: ${t.kind} has no size`, id);
    }
  }

  /** The first type called `name` (of kind `kind` when given), or undefined. */
  typeByName(name: string, kind?: BtfKindName): BtfType | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const t of this.types) {
        if (!t.name) continue;
        const list = this.byName.get(t.name);
        if (list) list.push(t);
        else this.byName.set(t.name, [t]);
      }
    }
    return this.byName.get(name)?.find((t) => kind === undefined || t.kind === kind);
  }

  /** A C-like spelling of type `id`: `__u32`, `struct backend`, `__u8[6]`, `void *`. */
  formatType(id: number): string {
    return this.spell(id, 0, { left: 1000 });
  }

  private spell(id: number, depth: number, budget: { left: number }): string {
    const t = this.typeById(id);
    if (depth > MAX_RESOLVE_DEPTH || --budget.left < 0) return '...';
    switch (t.kind) {
      case 'void':
        return 'void';
      case 'struct':
      case 'union':
      case 'enum':
        return `${t.kind} ${t.name || '(anon)'}`;
      case 'enum64':
        return `enum ${t.name || '(anon)'}`;
      case 'fwd':
        return `${t.union ? 'union' : 'struct'} ${t.name}`;
      case 'ptr':
        return `${this.spell(t.type, depth + 1, budget)} *`;
      case 'array':
        return `${this.spell(t.type, depth + 1, budget)}[${t.nelems}]`;
      case 'const':
      case 'volatile':
      case 'restrict':
        return `${t.kind} ${this.spell(t.type, depth + 1, budget)}`;
      case 'type_tag':
        return `${this.spell(t.type, depth + 1, budget)} __attribute__((btf_type_tag("${t.name}")))`;
      case 'func_proto':
        return `${this.spell(t.type, depth + 1, budget)} (${t.params.map((p) => (p.type === 0 ? '...' : this.spell(p.type, depth + 1, budget))).join(', ')})`;
      default:
        return t.name || `(${t.kind})`;
    }
  }

  /**
   * Every leaf field of type `typeId` (scalars, pointers, char arrays), nested structs, unions
   * and arrays flattened into paths like `addr.in6_u.u6_addr32[2]`. Padding is in no field.
   */
  leafFields(typeId: number): LeafField[] {
    return leafFields(this, typeId);
  }

  /** A readable JSON-like rendering of `bytes` as a value of type `typeId`. */
  formatValue(typeId: number, bytes: Uint8Array): string {
    return formatValue(this, typeId, bytes);
  }
}

export type { LeafField } from './leaf-fields.js';

/**
 * BTF type records as the kernel defines them in include/uapi/linux/btf.h and
 * Documentation/bpf/btf.rst, decoded into plain objects. Every record has its type `id`
 * (1-based; id 0 is `void`) and its `name` ('' for anonymous types).
 */

/** BTF_KIND_* values (include/uapi/linux/btf.h). */
export const BTF_KIND = {
  BTF_KIND_UNKN: 0,
  BTF_KIND_INT: 1,
  BTF_KIND_PTR: 2,
  BTF_KIND_ARRAY: 3,
  BTF_KIND_STRUCT: 4,
  BTF_KIND_UNION: 5,
  BTF_KIND_ENUM: 6,
  BTF_KIND_FWD: 7,
  BTF_KIND_TYPEDEF: 8,
  BTF_KIND_VOLATILE: 9,
  BTF_KIND_CONST: 10,
  BTF_KIND_RESTRICT: 11,
  BTF_KIND_FUNC: 12,
  BTF_KIND_FUNC_PROTO: 13,
  BTF_KIND_VAR: 14,
  BTF_KIND_DATASEC: 15,
  BTF_KIND_FLOAT: 16,
  BTF_KIND_DECL_TAG: 17,
  BTF_KIND_TYPE_TAG: 18,
  BTF_KIND_ENUM64: 19,
} as const;

/** BTF_INT_* encoding bits of an INT's extra word (btf.h). */
export const BTF_INT_SIGNED = 1 << 0;
/** `BTF_INT_CHAR` (include/uapi/linux/btf.h). */
export const BTF_INT_CHAR = 1 << 1;
/** `BTF_INT_BOOL` (include/uapi/linux/btf.h). */
export const BTF_INT_BOOL = 1 << 2;

/** Lowercase kind names, as `bpftool btf dump` prints them (lowercased). */
export type BtfKindName =
  | 'void'
  | 'int'
  | 'ptr'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'fwd'
  | 'typedef'
  | 'volatile'
  | 'const'
  | 'restrict'
  | 'func'
  | 'func_proto'
  | 'var'
  | 'datasec'
  | 'float'
  | 'decl_tag'
  | 'type_tag'
  | 'enum64';

/** Kind name by BTF_KIND_* number (index). */
export const KIND_NAMES: readonly BtfKindName[] = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
];

interface Base {
  id: number;
  name: string;
}

export interface BtfVoid extends Base { kind: 'void' }
/** BTF_KIND_INT: `size` in bytes; `bits` and `bitOffset` from the extra word. */
export interface BtfInt extends Base {
  kind: 'int';
  size: number;
  signed: boolean;
  char: boolean;
  bool: boolean;
  bitOffset: number;
  bits: number;
}
/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG: a name (typedef, type_tag) and the type referred to. */
export interface BtfRef extends Base {
  kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  type: number;
}
export interface BtfArray extends Base {
  kind: 'array';
  type: number;
  indexType: number;
  nelems: number;
}
/** One member of a struct or union: `bitOffset` from the start; `bitfieldSize` 0 unless a bitfield (kind_flag). */
export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  bitfieldSize: number;
}
export interface BtfComposite extends Base {
  kind: 'struct' | 'union';
  size: number;
  /** kind_flag: members' offsets carry a bitfield size in their top 8 bits. */
  bitfields: boolean;
  members: BtfMember[];
}
export interface BtfEnum extends Base {
  kind: 'enum';
  size: number;
  /** kind_flag: the values are signed. */
  signed: boolean;
  values: { name: string; value: number }[];
}
export interface BtfEnum64 extends Base {
  kind: 'enum64';
  size: number;
  signed: boolean;
  values: { name: string; value: bigint }[];
}
export interface BtfFwd extends Base {
  kind: 'fwd';
  /** kind_flag: a forward `union` rather than `struct`. */
  union: boolean;
}
export interface BtfFunc extends Base {
  kind: 'func';
  /** The FUNC_PROTO. */
  type: number;
  /** BTF_FUNC_STATIC (0), GLOBAL (1), EXTERN (2), from vlen. */
  linkage: number;
}
export interface BtfFuncProto extends Base {
  kind: 'func_proto';
  /** Return type (0 for void). */
  type: number;
  /** Parameters; a last one with name '' and type 0 means `...`. */
  params: { name: string; type: number }[];
}
export interface BtfVar extends Base {
  kind: 'var';
  type: number;
  /** BTF_VAR_STATIC (0), GLOBAL_ALLOCATED (1), GLOBAL_EXTERN (2). */
  linkage: number;
}
export interface BtfDatasec extends Base {
  kind: 'datasec';
  size: number;
  /** Variables: their VAR type id, byte offset and size in the section. */
  vars: { type: number; off: number; size: number }[];
}
export interface BtfFloat extends Base {
  kind: 'float';
  size: number;
}
export interface BtfDeclTag extends Base {
  kind: 'decl_tag';
  type: number;
  /** -1 for the type itself, else the member or parameter index. */
  componentIdx: number;
}

/** One decoded BTF type record. */
export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfRef
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

import type { Command } from 'commander';
import type { Btf } from '../btf/btf.js';
import { loadObjectFile } from '../loader/load-object.js';
import type { MapSpec, ObjectSpec } from '../loader/spec.js';
import { BPF_ATTACH_TYPE, BPF_F_RDONLY_PROG, mapTypeName, progTypeName } from '../uapi/bpf.js';
import { isRunnableType } from '../sim/object.js';
import { action, EXIT, printJson } from './common.js';

/** A map as `bpfsim inspect --json` prints it. */
export interface InspectedMap {
  name: string;
  /** `HASH`, `ARRAY`, `MapType(99)`. */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  pinning: number;
  /** C spelling of the BTF key and value types, when BTF has them. */
  key?: string;
  value?: string;
  innerMap?: InspectedMap;
  initialPrograms?: { slot: number; program: string }[];
  initialMaps?: { slot: number; map: string }[];
  declTags?: string[];
}

/** What `bpfsim inspect --json` prints: one object describing the ObjectSpec. */
export interface Inspection {
  license: string;
  /** `runs`: whether bpfsim runs the program (XDP, TC, socket filter); the others load and are refused when run. */
  programs: { name: string; section: string; type: string; attachType?: string; runs: boolean; insns: number; functions: string[]; flags: number; sourceLines: number; declTags?: string[] }[];
  maps: InspectedMap[];
  /** What loads but may not behave as the object meant (a pinning value libbpf does not know). */
  warnings: string[];
  /** Global data sections (also in `maps`): their size, whether programs may write them, and their variables. */
  data: { name: string; size: number; readOnly: boolean; variables: { name: string; off: number; size: number; type: string }[] }[];
}

function attachTypeName(v: number): string {
  for (const [name, value] of Object.entries(BPF_ATTACH_TYPE)) if (value === v) return name.slice('BPF_'.length);
  return `AttachType(${v})`;
}

function inspectMap(m: MapSpec, btf: Btf | undefined): InspectedMap {
  const out: InspectedMap = { name: m.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, pinning: m.pinning };
  if (btf && m.keyTypeId !== undefined) out.key = btf.formatType(m.keyTypeId);
  if (btf && m.valueTypeId !== undefined) out.value = btf.formatType(m.valueTypeId);
  if (m.innerMap) out.innerMap = inspectMap(m.innerMap, btf);
  if (m.initialPrograms) out.initialPrograms = m.initialPrograms;
  if (m.initialMaps) out.initialMaps = m.initialMaps;
  if (m.declTags) out.declTags = m.declTags;
  return out;
}

/** Describes a loaded object for `bpfsim inspect`: programs, maps with their BTF types, global data. */
export function inspectObject(spec: ObjectSpec): Inspection {
  const btf = spec.btf;
  return {
    license: spec.license,
    programs: spec.programs.map((p) => ({
      name: p.name,
      section: p.sectionName,
      type: progTypeName(p.type),
      ...(p.expectedAttachType !== undefined ? { attachType: attachTypeName(p.expectedAttachType) } : {}),
      runs: isRunnableType(p.type),
      insns: p.insns.length,
      functions: p.functions.map((f) => f.name),
      flags: p.flags,
      sourceLines: p.lines.length,
      ...(p.declTags ? { declTags: p.declTags } : {}),
    })),
    warnings: spec.warnings ?? [],
    maps: spec.maps.map((m) => inspectMap(m, btf)),
    data: spec.maps
      .filter((m) => m.source === 'data')
      .map((m) => {
        const ds = btf && m.valueTypeId !== undefined ? btf.typeById(m.valueTypeId) : undefined;
        const variables =
          ds?.kind === 'datasec'
            ? ds.vars.map((v) => {
                const vt = btf!.typeById(v.type);
                return { name: vt.name, off: v.off, size: v.size, type: vt.kind === 'var' ? btf!.formatType(vt.type) : vt.kind };
              })
            : [];
        return { name: m.name, size: m.valueSize, readOnly: (m.flags & BPF_F_RDONLY_PROG) !== 0, variables };
      }),
  };
}

/** The human-readable form of an {@link Inspection}. */
export function formatInspection(path: string, info: Inspection): string {
  const lines = [`${path}: license ${info.license ? JSON.stringify(info.license) : '(none)'}`, '', 'programs:'];
  if (info.programs.length === 0) lines.push('  (none)');
  for (const p of info.programs) {
    const attach = p.attachType ? ` attach ${p.attachType}` : '';
    const subs = p.functions.length > 1 ? `, calls ${p.functions.slice(1).join(', ')}` : '';
    const tags = p.declTags ? `, tags ${p.declTags.join(' ')}` : '';
    lines.push(`  ${p.name}: section ${p.section}, type ${p.type}${attach}, ${p.insns} insns${subs}${tags}${p.runs ? '' : ' (not run by bpfsim)'}`);
  }
  lines.push('', 'maps:');
  const fmtMap = (m: InspectedMap, indent: string) => {
    const key = m.key ? ` (${m.key})` : '';
    const value = m.value ? ` (${m.value})` : '';
    lines.push(`${indent}${m.name}: ${m.type}, key ${m.keySize}${key}, value ${m.valueSize}${value}, max_entries ${m.maxEntries}, flags 0x${m.flags.toString(16)}${m.pinning ? ', pinned by name' : ''}`);
    if (m.innerMap) fmtMap(m.innerMap, indent + '  inner ');
    for (const e of m.initialPrograms ?? []) lines.push(`${indent}  [${e.slot}] = program ${e.program}`);
    for (const e of m.initialMaps ?? []) lines.push(`${indent}  [${e.slot}] = map ${e.map}`);
  };
  const nonData = info.maps.filter((m) => !info.data.some((d) => d.name === m.name));
  if (nonData.length === 0) lines.push('  (none)');
  for (const m of nonData) fmtMap(m, '  ');
  lines.push('', 'global data:');
  if (info.data.length === 0) lines.push('  (none)');
  for (const d of info.data) {
    lines.push(`  ${d.name}: ${d.size} bytes${d.readOnly ? ', read-only' : ''}`);
    for (const v of d.variables) lines.push(`    ${v.name} at ${v.off}, ${v.size} bytes (${v.type})`);
  }
  if (info.warnings.length > 0) lines.push('', 'warnings:', ...info.warnings.map((w) => `  ${w}`));
  return lines.join('\n') + '\n';
}

/** Registers `bpfsim inspect OBJECT [--json]`. */
export function register(program: Command): void {
  program
    .command('inspect')
    .description('list the programs, maps and global data of a BPF object')
    .argument('<object>', 'BPF ELF object (clang -target bpf)')
    .option('--json', 'print one JSON object')
    .action(
      action((objectPath: string, flags: { json?: boolean }) => {
        const info = inspectObject(loadObjectFile(objectPath));
        if (flags.json) printJson(info);
        else process.stdout.write(formatInspection(objectPath, info));
        return EXIT.OK;
      }),
    );
}

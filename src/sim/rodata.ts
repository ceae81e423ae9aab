/**
 * `const volatile` globals set before load by BTF variable name, as libbpf skeletons set
 * `skel->rodata->target_port` between open and load: the load option and the case field `rodata`.
 */
import { LoadError, MapError } from '../internal/errors.js';
import type { ObjectSpec } from '../loader/spec.js';
import { BPF_ANY } from '../uapi/index.js';
import { encodeInto } from './btf-values.js';
import type { BpfObject } from './object.js';

/** Values by variable name: numbers, address strings, arrays, objects for structs (src/sim/btf-values.ts). */
export type RodataValues = Record<string, unknown>;

const isRodata = (name: string) => name === '.rodata' || name.startsWith('.rodata.');

/**
 * The initial bytes of each read-only data section with `values` written over its variables:
 * section name to bytes, for the sections a value lands in. `initial` gives a section's bytes to
 * start from (a case's own `.rodata` entry); default the object's. Throws LoadError
 * `load/unknown-variable` for a name no read-only section declares, MapError `map/bad-value` for
 * a value its type cannot hold.
 */
export function rodataImage(spec: ObjectSpec, values: RodataValues, initial: (section: string) => Uint8Array | undefined = () => undefined): Map<string, Uint8Array> {
  const btf = spec.btf;
  const images = new Map<string, Uint8Array>();
  for (const [name, value] of Object.entries(values)) {
    let placed = false;
    for (const map of spec.maps) {
      if (map.source !== 'data' || !isRodata(map.name) || !btf) continue;
      const sec = btf.typeByName(map.name, 'datasec');
      if (!sec || sec.kind !== 'datasec') continue;
      for (const v of sec.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind !== 'var' || vt.name !== name) continue;
        let image = images.get(map.name);
        if (!image) {
          image = new Uint8Array(map.valueSize);
          image.set((initial(map.name) ?? map.data ?? new Uint8Array(0)).subarray(0, map.valueSize));
          images.set(map.name, image);
        }
        encodeInto(btf, vt.type, value, image, v.off, `rodata.${name}`);
        placed = true;
      }
    }
    if (!placed) {
      const known = listVariables(spec);
      throw new LoadError('load/unknown-variable', `rodata.${name}: no const volatile variable '${name}' in the object (${known.length ? `variables: ${known.join(', ')}` : btf ? 'it has none' : 'it has no BTF'})`);
    }
  }
  return images;
}

/** The variables of every read-only data section, by name. */
function listVariables(spec: ObjectSpec): string[] {
  const btf = spec.btf;
  if (!btf) return [];
  const names: string[] = [];
  for (const map of spec.maps) {
    if (map.source !== 'data' || !isRodata(map.name)) continue;
    const sec = btf.typeByName(map.name, 'datasec');
    if (sec?.kind !== 'datasec') continue;
    for (const v of sec.vars) {
      const vt = btf.typeById(v.type);
      if (vt.kind === 'var') names.push(vt.name);
    }
  }
  return names;
}

/** Writes `values` into the object's read-only data before it freezes. */
export function applyRodata(obj: BpfObject, values: RodataValues): void {
  const key = new Uint8Array(4);
  for (const [section, image] of rodataImage(obj.spec, values)) {
    const index = obj.spec.maps.findIndex((m) => m.name === section);
    const rc = obj.maps[index]!.write(key, [image], BPF_ANY);
    if (rc < 0) throw new MapError('map/update', `rodata: writing '${section}' failed (${rc})`);
  }
}

import type { Btf } from '../btf/btf.js';
import type { BtfKindName } from '../btf/types.js';
import { CaseError } from '../internal/errors.js';
import type { CaseEvent } from './result.js';

/**
 * Record types of ring buffers and perf event arrays, by map name: a BTF type name of the
 * object (`struct flow_event`, `flow_event`, a typedef). A ring buffer has no value type the
 * kernel would accept (key and value size must be 0), so the program's C code alone does not
 * tie a record to a type: the user names it, as cilium/ebpf's bpf2go `-type` does.
 */
export type EventTypes = Readonly<Record<string, string>>;

/** A record as a run produced it: map name, CPU and bytes. */
export interface RawEvent {
  map: string;
  cpu: number;
  data: Uint8Array;
}

/** The BTF type id `spelling` names (`struct x`, `union x`, `enum x` or a bare name); CaseError `case/unknown-event-type` when none. */
export function eventTypeId(btf: Btf | undefined, map: string, spelling: string): number {
  const m = /^(struct|union|enum)\s+(\S+)$/.exec(spelling.trim());
  const kind = m?.[1] as BtfKindName | undefined;
  const name = m ? m[2]! : spelling.trim();
  const type = btf?.typeByName(name, kind);
  if (type === undefined) throw new CaseError('case/unknown-event-type', `events of map '${map}': no type '${spelling}' in the object's BTF`);
  return type.id;
}

/**
 * The result's `events`: each record's bytes, and its value decoded through BTF (as `bpftool map
 * dump` prints values) when `types` names the record type of its map. A record shorter than its type
 * decodes with the missing bytes as absent (formatValue), a longer one by its first bytes.
 */
export function resultEvents(events: readonly RawEvent[], btf: Btf | undefined, types: EventTypes = {}): CaseEvent[] {
  const ids = new Map<string, number>();
  for (const [map, spelling] of Object.entries(types)) ids.set(map, eventTypeId(btf, map, spelling));
  return events.map(({ map, cpu, data }) => {
    const event: CaseEvent = { map, cpu, data };
    const id = ids.get(map);
    if (btf !== undefined && id !== undefined) event.value = decodeRecord(btf, id, data);
    return event;
  });
}

/** A record's value through BTF type `id`, as the result's `events` give it. */
export function decodeRecord(btf: Btf, id: number, data: Uint8Array): unknown {
  return decoded(btf.formatValue(id, data));
}

/** Integers of formatValue's text that a JSON number cannot hold exactly. */
const UNSAFE_INTEGER = /(?<=[:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g;

/** formatValue's text as JSON data, integers past 2^53 as decimal strings (exact); the text itself when it is not JSON. */
function decoded(text: string): unknown {
  try {
    return JSON.parse(text.replace(UNSAFE_INTEGER, (n) => (Number.isSafeInteger(Number(n)) ? n : `"${n}"`)));
  } catch {
    return text;
  }
}

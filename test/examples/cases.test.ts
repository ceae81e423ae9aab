import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/internal/contract.js';
import { readCase } from '../../src/sim/case.js';
import { resultJson } from '../../src/sim/result.js';
import { unmetExpectations } from '../../src/sim/run-case.js';
import { availableBackends } from '../support/backends.js';

const CASES = join(import.meta.dirname, '..', '..', 'fixtures', 'cases');
const caseNames = readdirSync(CASES).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
const backends = await availableBackends();

/** The entry of `map` with `key`, or undefined. */
function entry(result: RunResult, map: string, key: string) {
  return result.maps[map]?.find((e) => e.key === key);
}

/** Map-state checks per case, beyond the verdict the case file expects, on the result as `--json` prints it. */
const MAP_STATE: Record<string, (r: RunResult) => void> = {
  xdp_blacklist_v4_denied(r) {
    expect(entry(r, 'deny_v4', '0a000042')?.value).toBe('01000000');
    expect(entry(r, 'verdicts', '01000000')?.value).toBe('0100000000000000');
    expect(entry(r, 'verdicts', '00000000')).toBeUndefined();
  },
  xdp_blacklist_v6_denied(r) {
    expect(entry(r, 'deny_v6', 'fd000000000000000000000000000066')?.value).toBe('06000000');
  },
  xdp_blacklist_v4_allowed(r) {
    expect(entry(r, 'verdicts', '00000000')?.value).toBe('0100000000000000');
    expect(entry(r, 'deny_v4', '0a000042')?.value).toBe('00000000');
  },
  tc_port_filter_telnet_shot(r) {
    expect(entry(r, 'blocked_ports', '06000017')?.value).toBe('0100000000000000');
  },
  tc_port_filter_https_marked(r) {
    expect(r.ctx?.mark).toBe(0x5eed);
    expect(r.ctx?.priority).toBe(3);
  },
  tc_stateful_open_port(r) {
    const keys = r.maps.flows!.map((e) => e.key).sort();
    expect(keys).toEqual(['0a0100050a02000980e8001606000000', '0a0200090a010005001680e806000000']);
    const forward = entry(r, 'flows', '0a0100050a02000980e8001606000000')!;
    expect(forward.value!.slice(16, 34)).toBe('010000000000000001');
  },
  tc_stateful_closed_port(r) {
    expect(r.maps.flows).toEqual([]);
  },
  tc_stateful_known_reply(r) {
    expect(entry(r, 'flows', '0a0200090a010005001680e806000000')?.value?.slice(16, 32)).toBe('0100000000000000');
  },
  xdp_lb_redirect(r) {
    expect(r.checksums).toEqual({ ip: 'ok', l4: 'ok' });
    expect(r.packet.slice(60, 68)).toBe('0a09000a');
    expect(entry(r, '.bss', '00000000')?.value?.slice(16, 32)).toBe('0100000000000000');
  },
  xdp_lb_tx(r) {
    expect(r.checksums).toEqual({ ip: 'ok', l4: 'ok' });
    expect(entry(r, '.bss', '00000000')?.value?.slice(32, 48)).toBe('0100000000000000');
  },
  socket_filter_ssh_v4_kept(r) {
    expect(entry(r, 'by_proto', '06000000')?.value).toBe('01000000000000000000000000000000');
    expect(r.ctx?.cb).toEqual([22, 0, 0, 0, 0]);
    expect(r.ctx?.wire_len).toBe(r.packet.length / 2 - 14); // skb->len from the network header
    expect(r.packet.slice(0, 28)).toBe('00'.repeat(14)); // data_out: the Ethernet header pushed back as zeros
  },
  socket_filter_http_dropped(r) {
    expect(entry(r, 'by_proto', '06000000')?.value).toBe('00000000000000000100000000000000');
    expect(r.ctx?.cb).toEqual([80, 0, 0, 0, 0]);
  },
  socket_filter_udp_short_kept(r) {
    expect(entry(r, 'by_proto', '11000000')?.value).toBe('01000000000000000000000000000000');
  },
  xdp_lb_no_backend(r) {
    expect(entry(r, '.bss', '00000000')?.value?.slice(48, 64)).toBe('0100000000000000');
  },
};

describe.each(backends)('example cases on $name', ({ run }) => {
  it.each(caseNames)('%s meets its expectations', async (name) => {
    const c = await readCase(join(CASES, `${name}.json`));
    const result = await run(c);
    expect(unmetExpectations(c, result)).toEqual([]);
    MAP_STATE[name]?.(resultJson(result));
  });
});

import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError, SimError } from '../../src/internal/errors.js';
import { toHex } from '../../src/internal/hex.js';
import { loadObject } from '../../src/loader/load-object.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { BpfObject } from '../../src/sim/object.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import type { KconfigValue } from '../../src/loader/externs.js';
import { availableBackends } from '../support/backends.js';
import { thrown } from '../support/errors.js';

const BUILD = join(import.meta.dirname, '..', '..', 'build', 'bpf', 'tests');
const EXTERNS = readFileSync(join(BUILD, 'kconfig_externs.o'));
const frame = buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { sport: 1, dport: 2 } });
const backends = await availableBackends();

const m = /^(\d+)\.(\d+)\.(\d+)/.exec(release())!;
const kernelVersion = (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3]));
const le32 = (n: number) => toHex(new Uint8Array(new Uint32Array([n]).buffer));

describe.each(backends)('Kconfig externs and weak ksyms on $name', ({ name, run }) => {
  it('read LINUX_KERNEL_VERSION of the running kernel, 0 for unset weak options and a missing weak ksym', async () => {
    const r = await run(parseCase({ object: 'kconfig_externs.o', program: 'kconfig_externs', packet: toHex(frame) }, BUILD));
    // struct seen: kernel_version, num, tri, flag, letter, ksym_exists, pad
    expect(toHex(r.maps['.bss']![0]!.value!)).toBe(le32(kernelVersion) + '00'.repeat(12));
    // libbpf's layout of the .kconfig map: by alignment, then size, then name.
    expect(toHex(r.maps['.kconfig']![0]!.value!)).toBe('00'.repeat(8) + le32(kernelVersion) + '0000');
  });

  it('refuse a strong Kconfig extern nobody sets', async () => {
    let err: unknown;
    try {
      await run(parseCase({ object: 'kconfig_missing.o', program: 'kconfig_missing', packet: toHex(frame) }, BUILD));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimError);
    if (name !== 'kernel') expect((err as SimError).code).toBe('load/kconfig-missing');
  });
});

describe.each([...ENGINE_NAMES])('Kconfig values set by the user on %s', (engine) => {
  it('are what the program reads, encoded as each extern type holds them', async () => {
    const kconfig = { CONFIG_BPFSIM_TEST_NUM: -5, CONFIG_BPFSIM_TEST_TRI: 'm', CONFIG_BPFSIM_TEST_BOOL: 'y', CONFIG_BPFSIM_TEST_CHAR: 'm', LINUX_KERNEL_VERSION: 0x050a00 };
    const obj = BpfObject.create(loadObject(EXTERNS, { kconfig }), { engine });
    obj.program('kconfig_externs').run(frame);
    const raw = obj.maps[obj.mapNames.indexOf('.bss')]!.read(new Uint8Array(4))![0]!;
    expect(toHex(raw.slice(0, 16))).toBe(le32(0x050a00) + le32(-5 >>> 0) + le32(2) + '01' + '6d' + '00' + '00');
  });
});

describe('Kconfig externs', () => {
  it.each<{ name: string; have: Record<string, KconfigValue> }>([
    { name: 'a word for an int', have: { CONFIG_BPFSIM_TEST_NUM: 'y' } },
    { name: 'a number past an int', have: { CONFIG_BPFSIM_TEST_NUM: 2 ** 31 } },
    { name: 'a number for a tristate', have: { CONFIG_BPFSIM_TEST_TRI: 3 } },
    { name: "'m' for a bool", have: { CONFIG_BPFSIM_TEST_BOOL: 'm' } },
  ])('refuse a value the extern type cannot hold: $name', ({ have }) => {
    const err = thrown(() => loadObject(EXTERNS, { kconfig: have }));
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).code).toBe('load/kconfig-value');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Btf } from '../../src/btf/btf.js';
import { BtfExt } from '../../src/btf/btf-ext.js';
import { BPF_CORE, CORE_POISON_HELPER_ID, CoreResolver, essentialName } from '../../src/btf/core.js';
import { defaultKernelBtf, readKernelBtf } from '../../src/btf/kernel-btf.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { BtfError, LoadError, LoadRejected, SimError, VerifierError, VmFault } from '../../src/internal/errors.js';
import { fromHex, toHex } from '../../src/internal/hex.js';
import { loadObject } from '../../src/loader/load-object.js';
import { buildPacket } from '../../src/packet/index.js';
import { parseCase } from '../../src/sim/case.js';
import { loadRefusal } from '../../src/sim/verify-load.js';
import { load } from '../../src/sim/object.js';
import { ENGINE_NAMES } from '../../src/vm/engines.js';
import { availableBackends } from '../support/backends.js';
import { thrown } from '../support/errors.js';

const BUILD = join(import.meta.dirname, '..', '..', 'build', 'bpf', 'tests');
const CORE = join(BUILD, 'core_vmlinux.o');
const VMLINUX = '/sys/kernel/btf/vmlinux';
const hasVmlinux = (() => {
  try {
    readFileSync(VMLINUX, { flag: 'r' }).subarray(0, 4);
    return true;
  } catch {
    return false;
  }
})();
const backends = await availableBackends();
const frame = toHex(buildPacket({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 1, dport: 2 } }));

describe('CO-RE', () => {
  it.each([
    { have: 'sk_buff___old', want: 'sk_buff' },
    { have: 'sk_buff___x___y', want: 'sk_buff___x' },
    { have: 'task_struct', want: 'task_struct' },
    { have: '___x', want: '___x' },
    { have: 'a____b', want: 'a____b' },
  ])('takes the essential name of $have as libbpf does', ({ have, want }) => {
    expect(essentialName(have)).toBe(want);
  });

  it('resolves every relocation of a vmlinux.h program against the shipped BTF', () => {
    const bytes = readFileSync(CORE);
    const elf = ElfFile.decode(bytes);
    const local = Btf.decode(elf.section('.BTF')!.data);
    const relos = BtfExt.decode(elf.section('.BTF.ext')!.data, local).coreRelos.get('tc')!;
    const resolver = new CoreResolver(local, defaultKernelBtf());
    const kinds = new Set(relos.map((r) => r.kind));
    for (const k of [BPF_CORE.FIELD_BYTE_OFFSET, BPF_CORE.FIELD_BYTE_SIZE, BPF_CORE.FIELD_EXISTS, BPF_CORE.FIELD_LSHIFT_U64, BPF_CORE.FIELD_RSHIFT_U64, BPF_CORE.TYPE_EXISTS, BPF_CORE.TYPE_SIZE, BPF_CORE.ENUMVAL_EXISTS, BPF_CORE.ENUMVAL_VALUE]) {
      expect(kinds).toContain(k);
    }
    const results = relos.map((r) => ({ relo: r, res: resolver.resolve(r) }));
    // Only the read guarded by bpf_core_field_exists is poisoned.
    expect(results.filter((x) => x.res.poison).map((x) => x.relo.accessStr)).toEqual(['0:1']);
    const daddr = results.find((x) => x.relo.kind === BPF_CORE.FIELD_BYTE_OFFSET && local.nameOf(x.relo.typeId) === 'iphdr' && x.res.newVal === 16n);
    expect(daddr).toBeDefined();
  });

  it('patches the instruction a poisoned relocation hits with a call of helper 0xbad2310, as libbpf does', () => {
    const spec = loadObject(readFileSync(join(BUILD, 'core_poisoned.o')));
    const prog = spec.programs[0]!;
    expect(prog.coreFailures?.map((f) => f.pc)).toEqual([0]);
    expect(prog.insns[0]).toMatchObject({ opcode: 0x85, src: 0, imm: CORE_POISON_HELPER_ID });
  });

  it('refuses a relocated instruction that does not hold the value the program BTF gives (load/core-relo)', () => {
    const bytes = new Uint8Array(readFileSync(CORE));
    const elf = ElfFile.decode(bytes);
    const local = Btf.decode(elf.section('.BTF')!.data);
    const relo = BtfExt.decode(elf.section('.BTF.ext')!.data, local).coreRelos.get('tc')!.find((r) => r.kind === BPF_CORE.TYPE_SIZE)!;
    const at = elf.section('tc')!.off + relo.insnOff + 4;
    new DataView(bytes.buffer).setInt32(at, 99, true);
    const err = thrown(() => loadObject(bytes));
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).code).toBe('load/core-relo');
  });

  it('refuses an unreadable kernel BTF file with btf/unreadable', () => {
    const err = thrown(() => loadObject(readFileSync(CORE), { kernelBtf: '/nonexistent/vmlinux' }));
    expect(err).toBeInstanceOf(BtfError);
    expect((err as SimError).code).toBe('btf/unreadable');
  });

  it('takes the vmlinux BTF from a case\'s kernel_btf, relative to the case', () => {
    const c = parseCase({ object: 'core_vmlinux.o', program: 'core_checks', packet: frame, kernel_btf: '../../vmlinux/kernel.btf' }, BUILD);
    expect(c.kernelBtfPath).toBe(join(BUILD, '..', '..', 'vmlinux', 'kernel.btf'));
  });

  it.runIf(hasVmlinux)(
    'resolves against a vmlinux BTF file the user gives as against the shipped one',
    () => {
      const shipped = loadObject(readFileSync(CORE));
      const full = loadObject(readFileSync(CORE), { kernelBtf: readKernelBtf(VMLINUX) });
      expect(full.programs.map((p) => p.insns)).toEqual(shipped.programs.map((p) => p.insns));
    },
    60_000,
  );
});

describe.each(backends)('CO-RE programs on $name', ({ name, run }) => {
  it('read kernel types through vmlinux.h and pass every bpf_core_* check', async () => {
    const r = await run(parseCase({ object: 'core_vmlinux.o', program: 'core_checks', packet: frame }, BUILD));
    expect(r.retval).toBe(0);
  });

  it('resolve the conntrack kfunc types and union tcp_word_hdr against the shipped BTF', async () => {
    const r = await run(parseCase({ object: 'core_conntrack.o', program: 'conntrack_or_flags', packet: frame }, BUILD));
    // doff 5, no flags, window 65535 (buildPacket's defaults): the fourth word of the TCP header.
    expect(r.retval).toBe(0x5000ffff);
  });

  it('stop at a reached relocation that does not resolve, naming its C line', async () => {
    let err: unknown;
    try {
      await run(parseCase({ object: 'core_poisoned.o', program: 'core_poisoned', packet: frame }, BUILD));
    } catch (e) {
      err = e;
    }
    // The kernel's verifier refuses the poisoned call libbpf puts there, and libbpf names the
    // relocation in its log's last line; ours does the same, at load.
    expect(loadRefusal(err)?.error).toBe('failed to resolve CO-RE relocation <byte_off> [8] struct xdp_md___imagined.teleport_ifindex (0:1 @ offset 4)');
    if (name === 'kernel') {
      expect(err).toBeInstanceOf(VerifierError);
      return;
    }
    expect(err).toBeInstanceOf(LoadRejected);
    expect([(err as LoadRejected).code, (err as LoadRejected).source]).toEqual(['verifier/rejected', 'core_poisoned.c:15']);
    expect((err as LoadRejected).message).toContain('teleport_ifindex');
  });
});

describe.each(ENGINE_NAMES)('CO-RE programs with verify: false on %s', (engine) => {
  it('fault at a reached relocation that does not resolve, naming its C line', async () => {
    const obj = await load(join(BUILD, 'core_poisoned.o'), { engine, verify: false });
    let err: unknown;
    try {
      obj.program('core_poisoned').run(fromHex(frame));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VmFault);
    expect([(err as VmFault).code, (err as VmFault).source]).toEqual(['vm/core-relo-failed', 'core_poisoned.c:15']);
  });
});

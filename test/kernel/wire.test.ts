import { describe, expect, it } from 'vitest';
import { CaseError, KernelError, LoadError, PacketError, VerifierError } from '../../src/internal/errors.js';
import { errnoLabel as errnoName } from '../../src/uapi/errno.js';
import { mapSectionName } from '../../src/kernel/maps.js';
import { decodeWireError, encodeWireError } from '../../src/kernel/wire.js';

describe('kernel', () => {
  it.each([
    { name: 'verifier error', have: new VerifierError("program 'x': R0 !read_ok", 'full\nlog'), cls: VerifierError, code: 'kernel/verifier' },
    { name: 'case error', have: new CaseError('case/unknown-map', "map 'x': no such map"), cls: CaseError, code: 'case/unknown-map' },
    { name: 'load error', have: new LoadError('load/unknown-section', "section 'x' has no known program type"), cls: LoadError, code: 'load/unknown-section' },
    { name: 'kernel error', have: new KernelError('kernel/map-update', 'failed (E2BIG)'), cls: KernelError, code: 'kernel/map-update' },
    { name: 'other SimError', have: new PacketError('packet/short', 'short'), cls: KernelError, code: 'packet/short' },
    { name: 'plain Error', have: new Error('boom\n    at somewhere'), cls: KernelError, code: 'kernel/internal' },
  ])('carries a $name from child to parent as the same typed error', ({ have, cls, code }) => {
    const wire = JSON.parse(JSON.stringify(encodeWireError(have)));
    const err = decodeWireError(wire);
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(err.message).not.toContain('\n');
    if (have instanceof VerifierError) expect((err as VerifierError).log).toBe(have.log);
  });

  it.each([
    { have: -22, want: 'EINVAL' },
    { have: 1, want: 'EPERM' },
    { have: -4003, want: 'errno 4003' },
  ])('names errno $have as $want', ({ have, want }) => {
    expect(errnoName(have)).toBe(want);
  });

  it.each([
    { have: 'kernel_x.rodata', internal: true, want: '.rodata' },
    { have: 'k.rodata.str1.1', internal: true, want: '.rodata.str1.1' },
    { have: 'kernel_.data.foo', internal: true, want: '.data.foo' },
    { have: 'counts', internal: false, want: 'counts' },
    { have: 'a.b', internal: false, want: 'a.b' },
  ])('maps libbpf name $have back to $want', ({ have, internal, want }) => {
    expect(mapSectionName(have, internal)).toBe(want);
  });
});

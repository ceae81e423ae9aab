import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { disasmObject } from '../../src/cli/disasm.js';
import { SimError } from '../../src/internal/errors.js';

const root = join(import.meta.dirname, '../..');

function projectObjects(): string[] {
  return ['build/bpf', 'build/bpf/tests'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.o')).map((f) => `${d}/${f}`));
}

/** Runs the bpfsim command from source. */
function bpfsim(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
}

describe('cli', () => {
  beforeAll(() => {
    execFileSync('bash', ['scripts/build-bpf.sh'], { cwd: root });
  });

  describe('disasm', () => {
    it('prints exactly what llvm-objdump-19 -d prints for every object of the project', () => {
      const objects = projectObjects();
      expect(objects.length).toBeGreaterThan(4);
      let insns = 0;
      for (const obj of objects) {
        const want = execFileSync('llvm-objdump-19', ['-d', obj], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
        const have = disasmObject(readFileSync(join(root, obj)), { fileName: obj, source: false });
        expect(have.split('\n'), obj).toEqual(want.split('\n'));
        insns += want.split('\n').filter((l) => /^ *\d+:\t/.test(l)).length;
      }
      expect(insns).toBeGreaterThan(500);
      // One llvm-objdump per object of the project (some 350): about 30 s on a loaded 2-core machine.
    }, 120_000);

    it('adds BTF source lines as comments, and only them', () => {
      const obj = 'build/bpf/tests/loader_globals.o';
      const withSource = disasmObject(readFileSync(join(root, obj)), { fileName: obj }).split('\n');
      const comments = withSource.filter((l) => l.startsWith('; '));
      expect(comments).toContain('; \treturn x * 3 + data_counter;');
      expect(comments).toContain('; \tbpf_map_update_elem(&lru, &k, &v, BPF_ANY);');
      const plain = disasmObject(readFileSync(join(root, obj)), { fileName: obj, source: false }).split('\n');
      expect(withSource.filter((l) => !l.startsWith('; '))).toEqual(plain);
    });

    it('lists one program as linked, with its subprograms', () => {
      const text = disasmObject(readFileSync(join(root, 'build/bpf/tests/loader_globals.o')), { program: 'tail_a', source: false });
      const headers = text.split('\n').filter((l) => / <\w+>:$/.test(l));
      expect(headers).toEqual(['0000000000000000 <tail_a>:', expect.stringMatching(/^0{13}[0-9a-f]{3} <static_helper>:$/)]);
      expect(text).toContain('Disassembly of section xdp:');
    });

    it('refuses an unknown program name', () => {
      expect(() => disasmObject(readFileSync(join(root, 'build/bpf/tests/loader_globals.o')), { program: 'nope' })).toThrow(SimError);
    });

    it.each([
      { name: 'an x86 binary', have: ['disasm', '/bin/ls'], want: /^bpfsim: \/bin\/ls: load elf: .*EM_BPF/ },
      { name: 'a missing file', have: ['disasm', 'build/bpf/missing.o'], want: /^bpfsim: build\/bpf\/missing\.o: cannot read object/ },
      { name: 'an object with a kconfig extern, linked', have: ['disasm', 'build/bpf/tests/loader_kconfig.o', '--program', 'xdp_kconfig'], want: /extern 'bpfsim_no_such_ksym'/ },
      { name: 'inspecting a text file', have: ['inspect', 'package.json'], want: /^bpfsim: package\.json: load elf: .*bad magic/ },
    ])('exits 2 with one line on stderr for $name', ({ have, want }) => {
      const r = bpfsim(...have);
      expect(r.status).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(want);
    });

    it('prints the listing of a good object and exits 0', () => {
      const r = bpfsim('disasm', 'build/bpf/tests/loader_core.o');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('0000000000000000 <core_prog>:');
      expect(r.stdout).toContain('; \treturn v->mark;');
    });
  });
});

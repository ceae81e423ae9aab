import type { Command } from 'commander';
import { CaseError } from '../internal/errors.js';
import { loadObjectFile } from '../loader/load-object.js';
import type { ObjectSpec } from '../loader/spec.js';
import { PROG_TYPE_BY_NAME, verifyObject, type ProgramResult } from '../verifier/index.js';
import { verifyOnKernel } from '../kernel/index.js';
import type { ProgramVerdict } from '../verifier/types.js';
import { action, btfFlagPath, BTF_OPTION, EXIT, printJson } from './common.js';

/** `bpfsim verify`: the verifier's verdict per program, with the C line and path of a rejection. */

interface VerifyFlags {
  program?: string;
  type?: string;
  backend: string;
  json?: boolean;
  log?: boolean | string;
  btf?: string;
}

/** The source text of the line that `source` (`file.c:42`) names, from the program's BTF lines. */
function sourceText(spec: ObjectSpec, d: ProgramResult, insn: number): string {
  const prog = spec.programs.find((p) => p.name === d.program);
  let best: string | undefined;
  for (const l of prog?.lines ?? []) if (l.pc <= insn) best = l.text.trim();
  return best ?? '';
}

/** The text report of one program: its verdict, and for a rejection where, why and how it got there. */
export function formatVerdict(spec: ObjectSpec, d: ProgramResult): string {
  const out: string[] = [];
  if (d.accepted) {
    out.push(`${d.program} (${d.type}): accepted, ${d.insns_processed} instructions processed`);
    return out.join('\n');
  }
  out.push(`${d.program} (${d.type}): rejected: ${d.error}`);
  if (d.insn !== null) {
    const text = sourceText(spec, d, d.insn);
    out.push(`  at insn ${d.insn}${d.source ? `, ${d.source}` : ''}${text ? `: ${text}` : ''}`);
  }
  if (d.state) out.push(`  registers: ${d.state}`);
  if (d.path.length > 0) {
    out.push('  path:');
    for (const s of d.path) {
      const text = s.source ? sourceText(spec, d, s.insn) : '';
      out.push(`    insn ${String(s.insn).padStart(4)}  ${(s.source ?? '').padEnd(24)} ${text}`.trimEnd());
    }
  }
  return out.join('\n');
}

/** The text report of one of the kernel's verdicts (`--backend kernel`): no path or registers, the kernel gives none. */
function formatKernelVerdict(d: ProgramVerdict): string {
  if (d.accepted) return `${d.program} (${d.type}): accepted by the kernel, ${d.insns_processed} instructions processed`;
  const at = d.insn !== null ? `\n  at insn ${d.insn}${d.source ? `, ${d.source}` : ''}` : '';
  return `${d.program} (${d.type}): rejected by the kernel: ${d.error}${at}`;
}

/** Registers `bpfsim verify OBJECT [--program NAME] [--type xdp|tc|socket] [--backend vm|kernel] [--json] [--log [1|2]]`. */
export function register(program: Command): void {
  program
    .command('verify')
    .description("check each program as the kernel's verifier would (accepted, or rejected with the kernel's message, C line and path)")
    .argument('<object>', 'BPF ELF object (clang -target bpf)')
    .option('--program <name>', 'only this program (function or section name)')
    .option('--type <type>', 'verify as this program type: xdp, tc or socket')
    .option('--backend <backend>', 'vm (bpfsim, no root) or kernel', 'vm')
    .option('--json', 'print the verdicts as JSON')
    .option(...BTF_OPTION)
    .option('--log [level]', "print the verifier log in the kernel's format (level 1, or 2 for every state)")
    .action(
      action(async (objectPath: string, flags: VerifyFlags) => {
        if (flags.type !== undefined && !(flags.type in PROG_TYPE_BY_NAME)) throw new CaseError('case/bad-type', `--type: expected xdp, tc or socket, got '${flags.type}'`);
        if (flags.backend !== 'vm' && flags.backend !== 'kernel') throw new CaseError('case/bad-backend', `--backend: expected vm or kernel, got '${flags.backend}'`);
        const type = flags.type as 'xdp' | 'tc' | 'socket' | undefined;
        if (flags.backend === 'kernel') {
          if (flags.log !== undefined && flags.log !== false) throw new CaseError('case/vm-only', '--log works on the vm backend only');
          const report = await verifyOnKernel(objectPath, { program: flags.program, type });
          if (flags.json) printJson({ programs: report.programs });
          else for (const d of report.programs) process.stdout.write(formatKernelVerdict(d) + '\n');
          return report.programs.every((p) => p.accepted) ? EXIT.OK : EXIT.FAILED;
        }
        const programType = type ? PROG_TYPE_BY_NAME[type] : undefined;
        if (typeof flags.log === 'string' && flags.log !== '1' && flags.log !== '2') throw new CaseError('case/bad-log-level', `--log: expected 1 or 2, got '${flags.log}'`);
        // loadObjectFile's errors already start with the object's path.
        const spec = loadObjectFile(objectPath, { ...(programType === undefined ? {} : { programType }), ...(flags.btf === undefined ? {} : { kernelBtf: btfFlagPath(flags.btf) }) });
        const logLevel = flags.log === undefined || flags.log === false ? 0 : flags.log === '2' ? 2 : 1;
        const report = verifyObject(spec, { program: flags.program, type, logLevel: flags.json ? 0 : logLevel });
        if (flags.json) printJson({ programs: report.programs });
        else {
          report.details.forEach((d, i) => {
            if (logLevel > 0) process.stdout.write(report.logs[i] + '\n');
            process.stdout.write(formatVerdict(spec, d) + '\n');
          });
        }
        return report.programs.every((p) => p.accepted) ? EXIT.OK : EXIT.FAILED;
      }),
    );
}

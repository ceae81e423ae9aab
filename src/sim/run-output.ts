import type { Warning } from '../internal/contract.js';
import { checkChecksums, type ChecksumResult } from '../packet/checksum.js';
import type { ProgramRun } from './program.js';

/** The fields of a {@link ProgramRun} a run fills in; the rest are derived from them. */
export type RunFields = Omit<ProgramRun, 'checksums'>;

/**
 * A {@link ProgramRun} as {@link Program.run} returns it: the run's own fields are set as the run
 * ends; `checksums`, which parses the output packet and costs more than a short run, is computed
 * the first time it is read. It is a getter of the class, so it is left out of a spread
 * (`{ ...run }`); JSON.stringify includes it.
 */
export class RunOutput implements ProgramRun {
  retval: number;
  r0: bigint;
  action: string;
  packet: Uint8Array;
  ctx: ProgramRun['ctx'];
  redirect: ProgramRun['redirect'];
  tunnel: ProgramRun['tunnel'];
  clones: ProgramRun['clones'];
  events: ProgramRun['events'];
  trace: string[];
  execTrace?: ProgramRun['execTrace'];
  warnings: Warning[];
  #checksums: ChecksumResult | undefined = undefined;

  constructor(fields: RunFields) {
    this.retval = fields.retval;
    this.r0 = fields.r0;
    this.action = fields.action;
    this.packet = fields.packet;
    this.ctx = fields.ctx;
    this.redirect = fields.redirect;
    this.tunnel = fields.tunnel;
    this.clones = fields.clones;
    this.events = fields.events;
    this.trace = fields.trace;
    if (fields.execTrace !== undefined) this.execTrace = fields.execTrace;
    this.warnings = fields.warnings;
  }

  /** The output packet's IPv4 header and TCP/UDP/ICMP checksums, checked on first read. */
  get checksums(): ChecksumResult {
    return (this.#checksums ??= checkChecksums(this.packet));
  }

  /** The run as plain data, `checksums` included. */
  toJSON(): ProgramRun {
    return { ...this, checksums: this.checksums };
  }
}

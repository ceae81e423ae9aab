import { describe, expect, it } from 'vitest';
import * as bpfsim from '../../src/index.js';
import { SimError } from '../../src/internal/errors.js';
import { testObject } from '../kernel/require-kernel.js';

const OBJECT = testObject('api_typed');
const PACKET = bpfsim.buildPacket({ ipv4: {}, tcp: {} });
const obj = await bpfsim.load(OBJECT, { cpus: 2 });
const prog = obj.program('api_good');
const flows = obj.map('flows');
const hits = obj.map('hits');
const aCase = bpfsim.parseCase({ object: OBJECT, program: 'api_good', packet: bpfsim.toHex(PACKET) }, '/');

/**
 * Wrong inputs every public entry point must refuse with a SimError subclass and a code, never a
 * TypeError from deep inside, a silent truncation or a run on nothing (issue 8, items 16 and 17).
 */
const WRONG: { name: string; call: () => unknown; want: string }[] = [
  { name: 'load(123)', call: () => bpfsim.load(123 as never), want: 'arg/type' },
  { name: 'load(null)', call: () => bpfsim.load(null as never), want: 'arg/type' },
  { name: 'load(ArrayBuffer)', call: () => bpfsim.load(new ArrayBuffer(8) as never), want: 'arg/type' },
  { name: 'load with cpus 0', call: () => bpfsim.load(OBJECT, { cpus: 0 }), want: 'arg/range' },
  { name: 'load with cpus -1', call: () => bpfsim.load(OBJECT, { cpus: -1 }), want: 'arg/range' },
  { name: 'load with cpus 2.5', call: () => bpfsim.load(OBJECT, { cpus: 2.5 }), want: 'arg/range' },
  { name: 'load with budget -1', call: () => bpfsim.load(OBJECT, { budget: -1 }), want: 'arg/range' },
  { name: 'load with budget NaN', call: () => bpfsim.load(OBJECT, { budget: NaN }), want: 'arg/range' },
  { name: 'load with an unknown engine', call: () => bpfsim.load(OBJECT, { engine: 'jit' as never }), want: 'arg/range' },
  { name: 'load with an unknown program type', call: () => bpfsim.load(OBJECT, { type: 'kprobe' as never }), want: 'arg/range' },
  { name: 'load with fib {interfaces: 5}', call: () => bpfsim.load(OBJECT, { fib: { interfaces: 5 as never } }), want: 'arg/type' },
  { name: 'load with a negative clock', call: () => bpfsim.load(OBJECT, { clock: -1 }), want: 'arg/range' },
  { name: 'load with rodata null', call: () => bpfsim.load(OBJECT, { rodata: null as never }), want: 'arg/type' },
  { name: 'run on null', call: () => prog.run(null as never), want: 'arg/type' },
  { name: 'run on a DataView', call: () => prog.run(new DataView(PACKET.buffer) as never), want: 'arg/type' },
  { name: 'run on an ArrayBuffer', call: () => prog.run(PACKET.buffer as never), want: 'arg/type' },
  { name: 'run on a Uint16Array', call: () => prog.run(new Uint16Array(PACKET.length) as never), want: 'arg/type' },
  { name: 'run on an array of numbers', call: () => prog.run([...PACKET] as never), want: 'arg/type' },
  { name: 'run with ctx null', call: () => prog.run(PACKET, { ctx: null as never }), want: 'arg/type' },
  { name: 'run on CPU 2 of 2', call: () => prog.run(PACKET, { cpu: 2 }), want: 'arg/range' },
  { name: 'run on CPU -1', call: () => prog.run(PACKET, { cpu: -1 }), want: 'arg/range' },
  { name: 'run with stackFill 256', call: () => prog.run(PACKET, { stackFill: 256 }), want: 'arg/range' },
  { name: 'repeat with 0 runs', call: () => prog.repeat(PACKET, { runs: 0 }), want: 'arg/range' },
  { name: 'repeat without options', call: () => prog.repeat(PACKET, undefined as never), want: 'arg/type' },
  { name: 'a map key of null', call: () => flows.get(null as never), want: 'map/bad-value' },
  { name: 'a string key for a u32 map', call: () => hits.get('0'), want: 'map/bad-value' },
  { name: 'a key of the wrong size', call: () => hits.get(new Uint8Array(3)), want: 'map/bad-size' },
  { name: 'a Uint16Array key', call: () => hits.get(new Uint16Array(2) as never), want: 'map/bad-value' },
  { name: 'a program name that is a number', call: () => obj.program(5 as never), want: 'arg/type' },
  { name: 'fromHex(5)', call: () => bpfsim.fromHex(5 as never), want: 'arg/type' },
  { name: 'toHex("ab")', call: () => bpfsim.toHex('ab' as never), want: 'arg/type' },
  { name: 'buildPacket(null)', call: () => bpfsim.buildPacket(null as never), want: 'packet/bad-spec' },
  { name: "runCase with backend 'bogus'", call: () => bpfsim.runCase(aCase, { backend: 'bogus' as never }), want: 'arg/range' },
  { name: 'runCase on a case file path', call: () => bpfsim.runCase('x.json' as never), want: 'arg/type' },
  { name: 'parity on a number', call: () => bpfsim.parity(5 as never), want: 'arg/type' },
];

describe('public entry points', () => {
  it.each(WRONG)('refuse $name with a coded SimError', async ({ call, want }) => {
    let err: unknown;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimError);
    expect((err as SimError).code).toBe(want);
  });
});

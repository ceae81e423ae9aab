import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { load, Machine, type BpfObject } from '../../src/index.js';
import { buildPacket } from '../../src/packet/index.js';
import { setupSkb, setupXdp, XDP_FRAME } from '../../src/helpers/index.js';
import { VmMemory } from '../../src/vm/memory.js';
import type { ProgramRun, RunOptions } from '../../src/sim/program.js';
import { ROOT, testObject } from '../kernel/require-kernel.js';
import { engines } from '../vm/engines.js';

/** Every field of a result as plain data, copied, so later changes to the result's own arrays cannot reach it. */
function snapshot(r: ProgramRun): unknown {
  return {
    retval: r.retval,
    r0: r.r0,
    action: r.action,
    packet: Array.from(r.packet),
    ctx: structuredClone(r.ctx),
    redirect: structuredClone(r.redirect),
    tunnel: structuredClone(r.tunnel),
    clones: r.clones.map((c) => ({ ...c, packet: Array.from(c.packet) })),
    events: r.events.map((e) => ({ ...e, data: Array.from(e.data) })),
    trace: [...r.trace],
    warnings: structuredClone(r.warnings),
    checksums: structuredClone(r.checksums),
  };
}

/** Frames of many lengths and contents: the packet stash's blocks fill and its cached source views change. */
function frames(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    buildPacket({ ipv4: { src: `10.0.${i & 0xff}.${(i >> 8) + 1}`, dst: '10.0.0.2' }, tcp: { sport: 1000 + i, dport: 80 }, payload: new Uint8Array((i * 37) % 1400).fill(i & 0xff) }),
  );
}

interface Scenario {
  name: string;
  object: string;
  program: string;
  load?: Parameters<typeof load>[1];
  setup?: (obj: BpfObject) => void;
  options?: (i: number) => RunOptions;
  frames: Uint8Array[];
}

const FIB = { interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:01:01', addrs: ['10.0.0.254/24'] }] };

const scenarios: Scenario[] = [
  {
    name: 'XDP packets, ctx and map hits',
    object: join(ROOT, 'build/bpf/xdp_blacklist.o'),
    program: 'xdp_blacklist',
    setup: (obj) => obj.map('deny_v4').set('10.0.3.1', 0),
    options: (i): RunOptions => ({ ctx: [{ ingress_ifindex: 1 }, { data: 4 }, {}][i % 3]! }),
    frames: frames(2000),
  },
  { name: 'TC packets and clones', object: testObject('sim_clone'), program: 'mirror', load: { fib: FIB }, options: (i) => ({ ctx: { mark: i } }), frames: frames(300).map((f) => f.subarray(0, Math.min(f.length, 3000))) },
  { name: 'trace output', object: testObject('loader_globals'), program: 'xdp_globals', frames: frames(50) },
  { name: 'ring buffer records', object: testObject('maps_events'), program: 'xdp_events', frames: frames(50) },
  { name: 'XDP fragments past the linear buffer', object: testObject('xdp_frags'), program: 'xdp_frags_rw', frames: [5000, 64, 20000, 3000, 9000].map((n) => buildPacket({ ipv4: {}, udp: {}, payload: new Uint8Array(n).fill(n & 0xff) })) },
];

describe.each(engines)('run results on $name', ({ name }) => {
  const engine = name as 'wasm' | 'interp';

  it.each(scenarios)('stay as their run left them after later runs: $name', async (s) => {
    const loadOptions = { engine, cpus: 1, ...s.load };
    const readAtOnce = await load(s.object, loadOptions);
    const readLater = await load(s.object, loadOptions);
    s.setup?.(readAtOnce);
    s.setup?.(readLater);
    const options = s.options ?? (() => ({}));
    const want = s.frames.map((f, i) => snapshot(readAtOnce.program(s.program).run(f, options(i))));
    const kept = s.frames.map((f, i) => readLater.program(s.program).run(f, options(i)));
    // Read in reverse: the last result first, then those whose memory later runs reused.
    const got = kept.map((_, i) => kept.length - 1 - i).map((i) => snapshot(kept[i]!)).reverse();
    // The indices of results that changed, rather than a diff of thousands of packets.
    expect(got.flatMap((g, i) => (isDeepStrictEqual(g, want[i]) ? [] : [i]))).toEqual([]);
  });

  it('keeps a result that was read before later runs and one read only after them apart', async () => {
    const obj = await load(join(ROOT, 'build/bpf/xdp_blacklist.o'), { engine });
    const prog = obj.program('xdp_blacklist');
    const [a, b] = frames(2);
    const first = prog.run(a!);
    const firstPacket = first.packet;
    const second = prog.run(b!, { ctx: { ingress_ifindex: 1 } });
    firstPacket.fill(0);
    expect(first.packet).toBe(firstPacket);
    expect(second.packet).toEqual(b);
    expect(second.ctx).toEqual({ data: 0, ingress_ifindex: 1, rx_queue_index: 0 });
    expect(first.ctx).toEqual({ data: 0, ingress_ifindex: 0, rx_queue_index: 0 });
    expect(second.r0).toBe(2n);
    expect(second.trace).toBe(second.trace);
    expect(second.clones).toEqual([]);
  });

  it('starts every XDP run with a zeroed headroom after runs that wrote into it, with metadata or without, and TC runs on the same memory', async () => {
    const machine = new Machine();
    const xdp = (await load(testObject('replay_headroom'), { engine, machine })).program('replay_headroom');
    const tc = (await load(testObject('sim_clone'), { engine, machine })).program('mirror');
    const frame = frames(1)[0]!;
    // Long enough for its bytes to reach the end of the XDP headroom (the TC frame starts 64 bytes into the page).
    const tcFrame = buildPacket({ ipv4: {}, udp: {}, payload: new Uint8Array(400).fill(0x55) });
    const actions: string[] = [];
    for (const meta of [0, 8, 0, 4, 0, 12, 0]) {
      // The metadata is zeros: adjust_head moves it down with data, so the 4 bytes it uncovers are its own.
      const withMeta = new Uint8Array(meta + frame.length);
      withMeta.set(frame, meta);
      actions.push(xdp.run(withMeta, { ctx: { data: meta } }).action);
      actions.push(xdp.run(withMeta, { ctx: { data: meta } }).action);
      tc.run(tcFrame);
    }
    expect(actions).toEqual(actions.map(() => 'XDP_TX'));
  });

  it('zeroes the whole XDP headroom after a TC frame was laid out in the same page', () => {
    const mem = new VmMemory();
    const frame = frames(1)[0]!;
    setupXdp(mem, frame);
    setupSkb(mem, buildPacket({ ipv4: {}, udp: {}, payload: new Uint8Array(400).fill(0x55) }));
    setupXdp(mem, frame, { data: 0 });
    expect(mem.u8.subarray(XDP_FRAME.HARD_START, XDP_FRAME.HARD_START + XDP_FRAME.HEADROOM).every((b) => b === 0)).toBe(true);
    expect(mem.u8.subarray(XDP_FRAME.HARD_START + XDP_FRAME.HEADROOM, XDP_FRAME.HARD_START + XDP_FRAME.HEADROOM + frame.length)).toEqual(frame);
  });

  it('gives every field in JSON and takes assignments to them', async () => {
    const obj = await load(join(ROOT, 'build/bpf/xdp_blacklist.o'), { engine });
    const frame = frames(1)[0]!;
    const run = obj.program('xdp_blacklist').run(frame);
    const json = JSON.parse(JSON.stringify(run, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Array.from(v) : v)));
    expect(json).toEqual({
      retval: 2,
      r0: '2n',
      action: 'XDP_PASS',
      packet: Array.from(frame),
      ctx: { data: 0, ingress_ifindex: 0, rx_queue_index: 0 },
      redirect: null,
      tunnel: null,
      clones: [],
      events: [],
      trace: [],
      warnings: [],
      checksums: { ip: 'ok', l4: 'ok' },
    });
    run.packet = new Uint8Array([1, 2, 3]);
    run.warnings = [{ code: 'uninit-map-key', message: 'x' }];
    expect(run.packet).toEqual(new Uint8Array([1, 2, 3]));
    expect(run.warnings).toHaveLength(1);
  });
});

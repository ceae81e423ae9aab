import { describe, expect, it } from 'vitest';
import { KFUNCS, kfuncByName, kfuncSignature } from '../../src/helpers/kfuncs.js';
import { PROTOS } from '../../src/helpers/protos.js';
import { FUNC_PROTOS } from '../../src/helpers/func-protos.js';
import {
  HELPERS,
  changesPacketData,
  gplOnly,
  helperAllowed,
  helperArgCount,
  helperById,
  helperByName,
  mayMovePacket,
  protoFor,
  protoSymbolFor,
} from '../../src/helpers/table.js';
import { BPF_PROG_TYPE } from '../../src/uapi/bpf.js';
import { MAX_HELPER_ID, helperId } from '../../src/uapi/helper-names.js';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const TC = BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS;
const SOCKET = BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;
const id = (name: string) => helperId(name)!;

describe('helper table', () => {
  it('has one entry per helper id of __BPF_FUNC_MAPPER, in id order', () => {
    expect(HELPERS.map((h) => h.id)).toEqual(Array.from({ length: MAX_HELPER_ID }, (_, i) => i + 1));
    expect(helperByName('bpf_fib_lookup')?.id).toBe(id('fib_lookup'));
    expect(helperById(0)).toBeUndefined();
    expect(helperById(MAX_HELPER_ID + 1)).toBeUndefined();
  });

  it('names a described prototype for every helper each program type may call', () => {
    for (const protos of FUNC_PROTOS.values()) for (const symbol of Object.values(protos)) expect(PROTOS).toHaveProperty(symbol);
    for (const name of new Set([...FUNC_PROTOS.values()].flatMap((p) => Object.keys(p)))) expect(helperId(name), name).toBeDefined();
  });

  it.each([
    { name: 'perf_event_output', type: XDP, want: 'bpf_xdp_event_output_proto' },
    { name: 'perf_event_output', type: TC, want: 'bpf_skb_event_output_proto' },
    { name: 'fib_lookup', type: XDP, want: 'bpf_xdp_fib_lookup_proto' },
    { name: 'fib_lookup', type: TC, want: 'bpf_skb_fib_lookup_proto' },
    { name: 'fib_lookup', type: SOCKET, want: undefined },
    { name: 'redirect', type: XDP, want: 'bpf_xdp_redirect_proto' },
    { name: 'get_cgroup_classid', type: XDP, want: 'bpf_get_cgroup_classid_curr_proto' },
    { name: 'get_cgroup_classid', type: TC, want: 'bpf_get_cgroup_classid_proto' },
    { name: 'get_socket_cookie', type: SOCKET, want: 'bpf_get_socket_cookie_proto' },
    { name: 'skb_load_bytes', type: SOCKET, want: 'bpf_skb_load_bytes_proto' },
    { name: 'skb_store_bytes', type: SOCKET, want: undefined },
    { name: 'get_smp_processor_id', type: SOCKET, want: 'bpf_get_raw_smp_processor_id_proto' },
  ])('gives $name in program type $type the kernel prototype $want', ({ name, type, want }) => {
    expect(protoSymbolFor(id(name), type)).toBe(want);
    expect(helperAllowed(id(name), type)).toBe(want !== undefined);
  });

  it('spells prototypes as the kernel does', () => {
    expect(protoFor(id('map_lookup_elem'), XDP)).toEqual({
      gplOnly: false,
      pktAccess: true,
      ret: { base: 'RET_PTR_TO_MAP_VALUE', flags: ['PTR_MAYBE_NULL'] },
      args: [{ base: 'ARG_CONST_MAP_PTR', flags: [] }, { base: 'ARG_PTR_TO_MAP_KEY', flags: [] }],
    });
    expect(protoFor(id('skb_load_bytes'), TC)!.args[2]).toEqual({ base: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] });
    expect(protoFor(id('check_mtu'), XDP)!.args[2]).toEqual({ base: 'ARG_PTR_TO_MEM', flags: ['MEM_FIXED_SIZE', 'MEM_WRITE', 'MEM_ALIGNED'], size: 4 });
    expect(gplOnly(id('trace_printk'), XDP)).toBe(true);
    expect(gplOnly(id('fib_lookup'), TC)).toBe(true);
    expect(gplOnly(id('redirect'), TC)).toBe(false);
    expect(protoFor(id('fib_lookup'), XDP)!.pktAccess).toBe(false);
  });

  it('marks the helpers of bpf_helper_changes_pkt_data, and those that may call back into the program', () => {
    expect(HELPERS.filter((h) => h.changesPacketData).map((h) => h.name).sort()).toEqual(
      ['clone_redirect', 'l3_csum_replace', 'l4_csum_replace', 'lwt_push_encap', 'lwt_seg6_action', 'lwt_seg6_adjust_srh', 'lwt_seg6_store_bytes',
        'msg_pop_data', 'msg_pull_data', 'msg_push_data', 'skb_adjust_room', 'skb_change_head', 'skb_change_proto', 'skb_change_tail',
        'skb_pull_data', 'skb_store_bytes', 'skb_vlan_pop', 'skb_vlan_push', 'store_hdr_opt', 'tail_call', 'xdp_adjust_head',
        'xdp_adjust_meta', 'xdp_adjust_tail'].sort(),
    );
    expect(changesPacketData(id('map_lookup_elem'))).toBe(false);
    expect(mayMovePacket(id('xdp_adjust_head'))).toBe(true);
    expect(mayMovePacket(id('loop'))).toBe(true);
    expect(mayMovePacket(id('csum_diff'))).toBe(false);
  });

  it('counts the argument registers a helper reads from its prototype', () => {
    expect(helperArgCount(id('map_lookup_elem'))).toBe(2);
    expect(helperArgCount(id('ktime_get_ns'))).toBe(0);
    expect(helperArgCount(id('csum_diff'))).toBe(5);
    expect(helperArgCount(id('fib_lookup'))).toBe(4);
  });
});

describe('kfunc table', () => {
  it('describes the dynptr, conntrack, XDP metadata and cast kfuncs with their BTF prototypes and those bpfsim simulates', () => {
    expect(kfuncSignature(kfuncByName('bpf_dynptr_from_xdp')!)).toBe('int bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit)');
    // nf_conntrack_bpf.c registers one set for XDP and SCHED_CLS: the kernel takes bpf_xdp_ct_lookup in TC too (then refuses its skb ctx argument).
    expect(kfuncByName('bpf_xdp_ct_lookup')!.progTypes).toEqual([XDP, TC]);
    expect(kfuncByName('bpf_skb_ct_lookup')!.progTypes).toEqual([XDP, TC]);
    for (const name of ['bpf_cast_to_kern_ctx', 'bpf_rdonly_cast', 'bpf_xdp_metadata_rx_hash', 'bpf_ct_release']) expect(kfuncByName(name)).toBeDefined();
    expect(KFUNCS.filter((k) => k.implemented).map((k) => k.name)).toEqual([
      'bpf_dynptr_from_skb',
      'bpf_dynptr_from_skb_meta',
      'bpf_dynptr_from_xdp',
      'bpf_dynptr_slice',
      'bpf_dynptr_slice_rdwr',
      'bpf_dynptr_adjust',
      'bpf_dynptr_is_null',
      'bpf_dynptr_is_rdonly',
      'bpf_dynptr_size',
      'bpf_dynptr_clone',
      'bpf_dynptr_copy',
      'bpf_dynptr_memset',
      'bpf_xdp_ct_alloc',
      'bpf_xdp_ct_lookup',
      'bpf_skb_ct_alloc',
      'bpf_skb_ct_lookup',
      'bpf_ct_insert_entry',
      'bpf_ct_release',
      'bpf_ct_set_timeout',
      'bpf_ct_change_timeout',
      'bpf_ct_set_status',
      'bpf_ct_change_status',
      'bpf_ct_set_nat_info',
      'bpf_xdp_metadata_rx_timestamp',
      'bpf_xdp_metadata_rx_hash',
      'bpf_xdp_metadata_rx_vlan_tag',
      'bpf_cast_to_kern_ctx',
      'bpf_rdonly_cast',
    ]);
    for (const k of KFUNCS) expect(k.btfId, k.name).toBeGreaterThan(0);
  });
});

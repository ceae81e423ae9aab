import type { VmMemory } from '../vm/memory.js';

/** Node and list types, as enum bpf_lru_list_type (kernel/bpf/bpf_lru_list.h). */
export const LRU_ACTIVE = 0;
export const LRU_INACTIVE = 1;
export const LRU_FREE = 2;
export const LRU_LOCAL_FREE = 3;
export const LRU_LOCAL_PENDING = 4;

/** LOCAL_FREE_TARGET and PERCPU_FREE_TARGET (kernel/bpf/bpf_lru_list.c); the scan limits equal them. */
const LOCAL_FREE_TARGET = 128;
const PERCPU_FREE_TARGET = 4;

/**
 * The kernel's LRU for LRU hash maps, node for node (kernel/bpf/bpf_lru_list.c, 6.16+): nodes
 * move between active, inactive and free lists; a lookup sets a node's ref bit; freeing room
 * rotates the lists and shrinks the inactive tail, skipping (and promoting) referenced nodes.
 *
 * - Common LRU (the default): one global active/inactive/free list plus, per CPU, a local free
 *   list and a pending list. A CPU takes free nodes from its local list; when it runs dry it
 *   flushes its pending nodes into the global lists, rotates, and pulls up to `target_free` nodes
 *   (clamp(nodes / ncpus / 2, 1, 128)), evicting from the inactive tail to make up the
 *   number. So eviction happens in batches and may begin before the map holds max_entries keys
 *   when other CPUs hold free nodes in their local lists; when the global lists have nothing, it
 *   steals from the CPUs' local free and pending lists round robin.
 * - BPF_F_NO_COMMON_LRU: one active/inactive/free list per CPU, each with nodes/ncpus nodes;
 *   a CPU only reuses its own nodes, evicting up to 4 at a time.
 *
 * Where it differs from the kernel: the kernel runs CPUs concurrently and its result depends on
 * timing; here each operation runs to completion on the CPU it is given (the run's CPU for
 * programs, CPU 0 for user space), so the result is what the kernel gives when the same
 * operations happen one after another on those CPUs. Node numbers (hence value addresses) are
 * handed out in a different order from the kernel's; which keys survive does not depend on them.
 */
export class LruList {
  readonly nodes: number;
  readonly cpus: number;
  readonly percpu: boolean;
  /** Nodes a CPU pulls from the global free list at a time (lru->target_free). */
  readonly targetFree: number;
  private readonly nrScans: number;
  /** Links of nodes [0, nodes) and of list heads (sentinels) after them. */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  readonly type: Uint8Array;
  /** The ref bit a lookup sets (in VM memory when the list was given one: see {@link refAddr}). */
  ref: Uint8Array;
  /** Address of the ref bits in VM memory, or 0 when they live in the JS heap. */
  readonly refAddr: number = 0;
  private readonly nodeCpu: Uint16Array;
  /** Per LRU list (1 common, or one per CPU): counts of active and inactive nodes. */
  private readonly counts: Int32Array;
  private readonly nextInactiveRotation: Int32Array;
  private readonly nextSteal: Int32Array;

  /** `delFromHtab(node)` removes the node's key from the hash table, true when it held one. */
  /** With `mem`, the ref bits live in it (allocRaw), where the WebAssembly engine's inline lookups set them. */
  constructor(nodes: number, cpus: number, percpu: boolean, private readonly delFromHtab: (node: number) => boolean, mem?: VmMemory) {
    this.nodes = nodes;
    this.cpus = cpus;
    this.percpu = percpu;
    this.nrScans = percpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nodes / cpus) / 2), 1), LOCAL_FREE_TARGET);
    const lists = percpu ? cpus : 1;
    const heads = lists * 3 + (percpu ? 0 : cpus * 2);
    this.next = new Int32Array(nodes + heads);
    this.prev = new Int32Array(nodes + heads);
    for (let h = nodes; h < nodes + heads; h++) {
      this.next[h] = h;
      this.prev[h] = h;
    }
    this.type = new Uint8Array(nodes);
    if (mem) {
      const at = mem.allocRaw(nodes, 'lru ref bits');
      this.refAddr = at;
      this.ref = new Uint8Array(mem.u8.buffer, at, nodes);
      mem.onGrow(() => (this.ref = new Uint8Array(mem.u8.buffer, at, nodes)));
    } else {
      this.ref = new Uint8Array(nodes);
    }
    this.nodeCpu = new Uint16Array(nodes);
    this.counts = new Int32Array(lists * 2);
    this.nextInactiveRotation = new Int32Array(lists);
    for (let l = 0; l < lists; l++) this.nextInactiveRotation[l] = this.head(l, LRU_INACTIVE);
    this.nextSteal = new Int32Array(cpus);
    for (let c = 0; c < cpus; c++) this.nextSteal[c] = c;
    // Populate so that the first pops hand out low node numbers (the kernel's order is the reverse; see above).
    const per = percpu ? Math.floor(nodes / cpus) : nodes;
    for (let n = nodes - 1; n >= 0; n--) {
      const l = percpu ? Math.min(Math.floor(n / per), cpus - 1) : 0;
      this.nodeCpu[n] = l;
      this.type[n] = LRU_FREE;
      this.listAdd(n, this.head(l, LRU_FREE));
    }
  }

  /** Takes a free node for a new element on `cpu`, evicting as the kernel does; -1 when none can be had. */
  popFree(cpu: number): number {
    return this.percpu ? this.percpuPopFree(cpu) : this.commonPopFree(cpu);
  }

  /** Gives a node back (its element was deleted, replaced, or never inserted). */
  pushFree(node: number): void {
    if (this.percpu) {
      this.move(this.nodeCpu[node]!, node, LRU_FREE);
      return;
    }
    if (this.type[node] === LRU_LOCAL_PENDING) {
      this.type[node] = LRU_LOCAL_FREE;
      this.ref[node] = 0;
      this.listMove(node, this.localHead(this.nodeCpu[node]!, LRU_LOCAL_FREE));
      return;
    }
    this.move(0, node, LRU_FREE);
  }

  /** Nodes of a list type, head first (for tests and debugging): `list` is the LRU list, or the CPU for local types. */
  listed(list: number, type: number): number[] {
    const h = type >= LRU_LOCAL_FREE ? this.localHead(list, type) : this.head(list, type);
    const out: number[] = [];
    for (let n = this.next[h]!; n !== h; n = this.next[n]!) out.push(n);
    return out;
  }

  private head(list: number, type: number): number {
    return this.nodes + list * 3 + type;
  }

  private localHead(cpu: number, type: number): number {
    return this.nodes + 3 + cpu * 2 + (type - LRU_LOCAL_FREE);
  }

  private listDel(n: number): void {
    const p = this.prev[n]!;
    const x = this.next[n]!;
    this.next[p] = x;
    this.prev[x] = p;
  }

  private listAdd(n: number, h: number): void {
    const first = this.next[h]!;
    this.next[n] = first;
    this.prev[n] = h;
    this.prev[first] = n;
    this.next[h] = n;
  }

  private listMove(n: number, h: number): void {
    this.listDel(n);
    this.listAdd(n, h);
  }

  private countInc(list: number, type: number): void {
    if (type < LRU_FREE) this.counts[list * 2 + type]!++;
  }

  private countDec(list: number, type: number): void {
    if (type < LRU_FREE) this.counts[list * 2 + type]!--;
  }

  /** __bpf_lru_node_move_to_free. */
  private moveToFree(list: number, node: number, freeHead: number, freeType: number): void {
    if (node === this.nextInactiveRotation[list]) this.nextInactiveRotation[list] = this.prev[node]!;
    this.countDec(list, this.type[node]!);
    this.type[node] = freeType;
    this.listMove(node, freeHead);
  }

  /** __bpf_lru_node_move_in: from a local list into the global lists. */
  private moveIn(list: number, node: number, type: number): void {
    this.countInc(list, type);
    this.type[node] = type;
    this.ref[node] = 0;
    this.listMove(node, this.head(list, type));
  }

  /** __bpf_lru_node_move: between or within active, inactive and free; clears the ref bit. */
  private move(list: number, node: number, type: number): void {
    if (this.type[node] !== type) {
      this.countDec(list, this.type[node]!);
      this.countInc(list, type);
      this.type[node] = type;
    }
    this.ref[node] = 0;
    if (node === this.nextInactiveRotation[list]) this.nextInactiveRotation[list] = this.prev[node]!;
    this.listMove(node, this.head(list, type));
  }

  private rotateActive(list: number): void {
    const active = this.head(list, LRU_ACTIVE);
    const first = this.next[active]!;
    let i = 0;
    for (let node = this.prev[active]!; node !== active; ) {
      const before = this.prev[node]!;
      this.move(list, node, this.ref[node] ? LRU_ACTIVE : LRU_INACTIVE);
      if (++i === this.nrScans || node === first) break;
      node = before;
    }
  }

  private rotateInactive(list: number): void {
    const inactive = this.head(list, LRU_INACTIVE);
    if (this.next[inactive] === inactive) return;
    let last = this.next[this.nextInactiveRotation[list]!]!;
    if (last === inactive) last = this.next[last]!;
    let cur = this.nextInactiveRotation[list]!;
    let next = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = this.prev[cur]!;
        continue;
      }
      next = this.prev[cur]!;
      if (this.ref[cur]) this.move(list, cur, LRU_ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    this.nextInactiveRotation[list] = next;
  }

  private rotate(list: number): void {
    if (this.counts[list * 2 + LRU_INACTIVE]! < this.counts[list * 2 + LRU_ACTIVE]!) this.rotateActive(list);
    this.rotateInactive(list);
  }

  private shrinkInactive(list: number, target: number, freeHead: number, freeType: number): number {
    const inactive = this.head(list, LRU_INACTIVE);
    let shrunk = 0;
    let i = 0;
    for (let node = this.prev[inactive]!; node !== inactive; ) {
      const before = this.prev[node]!;
      if (this.ref[node]) {
        this.move(list, node, LRU_ACTIVE);
      } else if (this.delFromHtab(node)) {
        this.moveToFree(list, node, freeHead, freeType);
        if (++shrunk === target) break;
      }
      if (++i === this.nrScans) break;
      node = before;
    }
    return shrunk;
  }

  private shrink(list: number, target: number, freeHead: number, freeType: number): number {
    const shrunk = this.shrinkInactive(list, target, freeHead, freeType);
    if (shrunk) return shrunk;
    // Force: take the oldest node ignoring ref bits, inactive first.
    const inactive = this.head(list, LRU_INACTIVE);
    const h = this.next[inactive] !== inactive ? inactive : this.head(list, LRU_ACTIVE);
    for (let node = this.prev[h]!; node !== h; ) {
      const before = this.prev[node]!;
      if (this.delFromHtab(node)) {
        this.moveToFree(list, node, freeHead, freeType);
        return 1;
      }
      node = before;
    }
    return 0;
  }

  private localFlush(cpu: number): void {
    const pending = this.localHead(cpu, LRU_LOCAL_PENDING);
    for (let node = this.prev[pending]!; node !== pending; ) {
      const before = this.prev[node]!;
      this.moveIn(0, node, this.ref[node] ? LRU_ACTIVE : LRU_INACTIVE);
      node = before;
    }
  }

  private popFreeToLocal(cpu: number): void {
    this.localFlush(cpu);
    this.rotate(0);
    const free = this.head(0, LRU_FREE);
    const localFree = this.localHead(cpu, LRU_LOCAL_FREE);
    let taken = 0;
    for (let node = this.next[free]!; node !== free; ) {
      const after = this.next[node]!;
      this.moveToFree(0, node, localFree, LRU_LOCAL_FREE);
      if (++taken === this.targetFree) break;
      node = after;
    }
    if (taken < this.targetFree) this.shrink(0, this.targetFree - taken, localFree, LRU_LOCAL_FREE);
  }

  private addPending(cpu: number, node: number): void {
    this.nodeCpu[node] = cpu;
    this.type[node] = LRU_LOCAL_PENDING;
    this.ref[node] = 0;
    this.listAdd(node, this.localHead(cpu, LRU_LOCAL_PENDING));
  }

  private localPopFree(cpu: number): number {
    const h = this.localHead(cpu, LRU_LOCAL_FREE);
    const node = this.next[h]!;
    if (node === h) return -1;
    this.listDel(node);
    return node;
  }

  private localPopPending(cpu: number): number {
    const h = this.localHead(cpu, LRU_LOCAL_PENDING);
    for (const force of [false, true]) {
      for (let node = this.prev[h]!; node !== h; node = this.prev[node]!) {
        if ((!this.ref[node] || force) && this.delFromHtab(node)) {
          this.listDel(node);
          return node;
        }
      }
    }
    return -1;
  }

  private commonPopFree(cpu: number): number {
    let node = this.localPopFree(cpu);
    if (node < 0) {
      this.popFreeToLocal(cpu);
      node = this.localPopFree(cpu);
    }
    if (node >= 0) {
      this.addPending(cpu, node);
      return node;
    }
    const first = this.nextSteal[cpu]!;
    let steal = first;
    do {
      node = this.localPopFree(steal);
      if (node < 0) node = this.localPopPending(steal);
      steal = (steal + 1) % this.cpus;
    } while (node < 0 && steal !== first);
    this.nextSteal[cpu] = steal;
    if (node >= 0) this.addPending(cpu, node);
    return node;
  }

  private percpuPopFree(cpu: number): number {
    this.rotate(cpu);
    const free = this.head(cpu, LRU_FREE);
    if (this.next[free] === free) this.shrink(cpu, PERCPU_FREE_TARGET, free, LRU_FREE);
    const node = this.next[free]!;
    if (node === free) return -1;
    this.ref[node] = 0;
    this.move(cpu, node, LRU_INACTIVE);
    return node;
  }
}

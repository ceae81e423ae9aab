import type { RunEvent } from './object.js';

/** A record as {@link EventStream} yields it: the run's record, and its BTF-decoded value when a type was named for its map. */
export interface StreamedEvent extends RunEvent {
  value?: unknown;
}

interface Subscriber {
  accepts: (map: string) => boolean;
  decode: (event: RunEvent) => StreamedEvent;
  queue: StreamedEvent[];
  waiting: ((r: IteratorResult<StreamedEvent>) => void) | undefined;
  done: boolean;
}

/**
 * Ring buffer and perf event array records of an object's runs, for readers that consume them as
 * they come (libbpf's ring_buffer__poll, cilium/ebpf's ringbuf.Reader): each reader gets every
 * record of every run that finishes after it subscribed, in the order a kernel reader would read
 * them, and waits while there is none.
 */
export class EventStream {
  private readonly subscribers = new Set<Subscriber>();

  /** Hands a finished run's records to every reader. */
  publish(events: readonly RunEvent[]): void {
    if (this.subscribers.size === 0 || events.length === 0) return;
    for (const sub of this.subscribers) {
      for (const e of events) {
        if (!sub.accepts(e.map)) continue;
        const item = sub.decode(e);
        const wake = sub.waiting;
        if (wake) {
          sub.waiting = undefined;
          wake({ value: item, done: false });
        } else {
          sub.queue.push(item);
        }
      }
    }
  }

  /**
   * A reader of the records of maps `accepts` admits. It ends when the consumer leaves its loop
   * (`return`), or when `signal` aborts: records already queued are still yielded first.
   */
  subscribe(accepts: (map: string) => boolean, decode: (event: RunEvent) => StreamedEvent, signal?: AbortSignal): AsyncIterableIterator<StreamedEvent> {
    const sub: Subscriber = { accepts, decode, queue: [], waiting: undefined, done: false };
    const end = (): void => {
      sub.done = true;
      this.subscribers.delete(sub);
      const wake = sub.waiting;
      sub.waiting = undefined;
      wake?.({ value: undefined, done: true });
    };
    if (signal?.aborted) sub.done = true;
    else this.subscribers.add(sub);
    signal?.addEventListener('abort', end, { once: true });
    const iterator: AsyncIterableIterator<StreamedEvent> = {
      next: () => {
        const item = sub.queue.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (sub.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (sub.waiting = resolve));
      },
      return: () => {
        sub.queue.length = 0;
        end();
        signal?.removeEventListener('abort', end);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

import { CTRL, INLINE_STATE_SIZE, LAYOUT } from '../../vm/layout.js';

/**
 * How the helpers' inline forms share the control block's CTRL.INLINE_STATE area (src/vm/layout.ts)
 * with the kernel state (SimKernel): addresses in VM memory, all fields little-endian u32.
 */
export const INLINE_STATE = {
  /**
   * A bpf_redirect the WebAssembly engine carried out itself (inline/redirect.ts): u32 1 while
   * pending, then u32 ifindex, u32 flags. SimKernel.takeRedirect collects it.
   */
  REDIRECT: LAYOUT.CTRL + CTRL.INLINE_STATE,
  /**
   * u32: the address of the FIB tables (inline/fib-tables.ts FIB_LAYOUT) the inline
   * bpf_fib_lookup reads, 0 while there are none (the helper is then called).
   */
  FIB_TABLES: LAYOUT.CTRL + CTRL.INLINE_STATE + 16,
} as const;

/** Bytes of the area used: checked against what the VM reserves. */
const USED = 20;
if (USED > INLINE_STATE_SIZE) throw new RangeError(`helpers: the inline forms need ${USED} bytes of control block, the VM reserves ${INLINE_STATE_SIZE}`);

/**
 * Program contexts, helper functions and the simulated kernel state they read: re-exports only.
 */
export { SimKernel, JIFFY_NS, type SimKernelOptions, type RedirectTarget, type CloneRecord } from './kernel-state.js';
export { SimNetwork, type SimInterface, type SimRoute, type SimNeighbor, type RouteType } from './sim-network.js';
export { setupXdp, readXdpResult, setXdpBounds, xdpCtxRule, XDP_FRAME, XDP_HARD_END, type XdpCtxIn, type XdpResult } from './context-xdp.js';
export { setupSkb, readSkbResult, setSkbBounds, skbCtxRule, SKB_FRAME, SKB_CTX_IN_FIELDS, ethProtocol, ethPktType, type SkbResult } from './context-skb.js';
export { createHelperRegistry, checkHelpers } from './registry.js';
export { HELPERS, helperById, helperByName, protoFor, protoSymbolFor, helperAllowed, helperImplemented, changesPacketData, gplOnly, type HelperEntry } from './table.js';
export { KFUNCS, kfuncByName, type KfuncEntry } from './kfuncs.js';
export { bpfCsumDiff, csumPartial, csumFold, csumReplace2, csumReplace4, csumReplaceByDiff } from './csum.js';
export { fibLookup, FIB_LOOKUP } from './fib-lookup.js';
export { formatPrintk, parsePrintkFormat } from './trace-printk.js';

/**
 * The real-kernel backend: run a case through libbpf and BPF_PROG_TEST_RUN in a private
 * namespace, and check whether that is possible here.
 */
export { runOnKernel, type KernelCase, type KernelResult, type RunOnKernelOptions } from './run-on-kernel.js';
export { kernelAvailable, possibleCpus, NO_PRIVILEGES_MESSAGE } from './available.js';
export { summarizeVerifierLog, verdictFromLog, type LogVerdict } from './verifier-log.js';
export { verifyObjectsOnKernel, verifyOnKernel, type VerifyOnKernelOptions } from './verify-on-kernel.js';

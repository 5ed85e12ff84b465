/** The throwaway OpenSSH server lives with the benchmarks, which use it too. */
export { SSHD, sshdAvailable, TestSshd } from '../../bench/lib/sshd.js';

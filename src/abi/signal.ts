/**
 * Signals a memory access can raise, with their si_code names and values (x86-64 Linux).
 * Linux: include/uapi/asm-generic/signal.h, include/uapi/asm-generic/siginfo.h.
 */
export const SIGBUS = 7;
export const SIGKILL = 9;
export const SIGSEGV = 11;

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRERR = 2;
export const SI_KERNEL = 0x80;

export type SignalName = 'SIGSEGV' | 'SIGBUS' | 'SIGKILL';
export type SiCodeName = 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRERR' | 'SI_KERNEL';

/**
 * The syscalls in Node's style: a call that fails throws an `ErrnoError` carrying `code`
 * ('ENOMEM'), `errno` (negative, as Node's SystemError has it: -12) and `syscall` ('mmap'), with
 * a message like Node's ("ENOMEM: Cannot allocate memory, mmap"); a call that succeeds returns
 * what the raw call returned. `t.sys` keeps the raw form (a value >= 0, or -errno), which is what
 * emulators and the scenario runner use.
 */
import { errnoName, strerror } from '../abi/errno.js';
import type { RawSyscalls } from './api.js';

export class ErrnoError extends Error {
  override name = 'ErrnoError';
  /** The errno name, e.g. 'ENOMEM'. */
  readonly code: string;
  /** The negative errno number, as Node's SystemError has it (-12 for ENOMEM). */
  readonly errno: number;
  /** The syscall that failed. */
  readonly syscall: string;

  constructor(errno: number, syscall: string) {
    super(`${errnoName(errno)}: ${strerror(errno)}, ${syscall}`);
    this.code = errnoName(errno);
    this.errno = -errno;
    this.syscall = syscall;
  }
}

/** The raw syscalls with a failure thrown instead of returned. */
export type CheckedSyscalls = {
  [K in keyof RawSyscalls]: RawSyscalls[K] extends (...args: infer A) => infer R
    ? (...args: A) => Exclude<R, number> extends never ? number : Exclude<R, number>
    : never;
};

/** A view of `raw` whose calls throw ErrnoError for -errno results (-4095..-1). */
export function checkedSyscalls(raw: RawSyscalls): CheckedSyscalls {
  return new Proxy(raw, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (typeof r === 'number' && r < 0 && r >= -4095) throw new ErrnoError(-r, prop);
        return r;
      };
    },
  }) as unknown as CheckedSyscalls;
}

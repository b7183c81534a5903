/**
 * Host errors as Linux errno numbers: a node:fs error carries the host's symbolic code
 * ("ENOENT"), which names the same errno on every host; the number (err.errno, negated by libuv)
 * is Linux's only on Linux, so it is the fallback there. Anything else is EIO.
 */
import { Errno, type ErrnoName } from '../../src/index.js';

/** The positive Linux errno for a thrown node:fs error. */
export function hostErrno(err: unknown): number {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const code = e?.code;
  if (typeof code === 'string' && Object.prototype.hasOwnProperty.call(Errno, code)) return Errno[code as ErrnoName];
  const n = e?.errno;
  if (typeof n === 'number' && n !== 0 && process.platform === 'linux') return Math.abs(n);
  return Errno.EIO;
}

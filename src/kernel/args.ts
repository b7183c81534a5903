/**
 * Checking raw syscall arguments: every one is a u64 as a C caller passes it (bigint); misuse no
 * C caller could commit is a TypeError / RangeError before any state changes.
 */
import { u64ToNumber } from '../base/u64.js';

export const MASK64 = 0xffffffffffffffffn;

export function u64(v: unknown, what: string): bigint {
  if (typeof v !== 'bigint') throw new TypeError(`${what} must be a bigint (u64), got ${typeof v}`);
  if (v < 0n || v > MASK64) throw new RangeError(`${what} out of the u64 range: ${v}`);
  return v;
}

/** The low 32 bits as a C `int`. (A flags word is usually a small int already: no BigInt.asIntN then.) */
export function int32(v: bigint): number {
  return v >= 0n && v <= 0x7fffffffn ? u64ToNumber(v) : Number(BigInt.asIntN(32, v));
}

/** A path argument: a JS string (what the caller read from the C string). */
export function pathArg(v: unknown): string {
  if (typeof v !== 'string') throw new TypeError(`path must be a string, got ${typeof v}`);
  return v;
}

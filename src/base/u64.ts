/**
 * A u64 bigint as a number (exact below 2^53, rounded to nearest above, as Number() rounds).
 * Number() of a bigint is a builtin call in V8 11 (about 8 ns); a store into a BigUint64Array is
 * compiled inline, and the two halves read back cost half that. The syscall facade converts
 * four to six operands per read or write.
 */
const CELL = new BigUint64Array(1);
const HALVES = new Uint32Array(CELL.buffer);
/** The index of the high half: the platform's byte order decides. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

export function u64ToNumber(v: bigint): number {
  CELL[0] = v;
  return HALVES[HI] * 4294967296 + HALVES[LO];
}

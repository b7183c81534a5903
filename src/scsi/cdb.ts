/**
 * Big-endian CDB fields as numbers. Linux: get_unaligned_be16/24/32/64() on scp->cmnd.
 *
 * A 64-bit field (the LBA of a 16-byte CDB) becomes hi × 2^32 + lo: exact below 2^53, and a
 * value at or above 2^53 may round but stays at or above 2^53. Capacities are at most 2^40
 * blocks, so every comparison `lba + blocks > capacity` gives the same answer as with u64
 * arithmetic, and an LBA that passes it is exact.
 */

export function be16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function be24(b: Uint8Array, at: number): number {
  return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
}

export function be32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function be64(b: Uint8Array, at: number): number {
  return be32(b, at) * 0x100000000 + be32(b, at + 4);
}

/** Stores `v` (0 ≤ v < 2^53) big-endian in `n` bytes at `at`, the high bytes truncated. */
export function putBe(b: Uint8Array, at: number, n: number, v: number): void {
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    b[at + i] = x % 256;
    x = Math.floor(x / 256);
  }
}

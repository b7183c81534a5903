/**
 * Page arithmetic on `number` addresses. Never `&`/`~`/`>>` on addresses: JS bitwise operators
 * truncate to 32 bits, and user addresses reach 2^47.
 */
export const PAGE = 4096;

export function pageDown(a: number): number {
  return a - (a % PAGE);
}

export function pageUp(a: number): number {
  const r = a % PAGE;
  return r === 0 ? a : a - r + PAGE;
}

/** Non-negative modulo. */
export function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}

/** Round up to a multiple of `m` (a power of two such as the 2 MiB PMD size). */
export function roundUp(a: number, m: number): number {
  const r = a % m;
  return r === 0 ? a : a - r + m;
}

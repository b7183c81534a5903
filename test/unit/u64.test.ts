/** u64ToNumber: Number() of a u64 bigint, through a typed array (src/base/u64.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u64ToNumber } from '../../src/base/u64.js';

describe('u64ToNumber', () => {
  it('is Number() at the edges: exact to 2^53, rounded to nearest (ties to even) above', () => {
    const edges = [0n, 1n, 0xffffffffn, 1n << 32n, (1n << 32n) + 1n, 0x7ffffffff000n, (1n << 53n) - 1n, 1n << 53n,
      (1n << 53n) + 1n, (1n << 53n) + 3n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2048n, (1n << 64n) - 1025n];
    for (const v of edges) expect(u64ToNumber(v)).toBe(Number(v));
  });

  it('is Number() for any u64', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => u64ToNumber(v) === Number(v)), { numRuns: 20000 });
  });
});

/**
 * FastSyscalls (number arguments) must answer exactly as the bigint facade for every value both
 * accept: a differential property over random VMA calls on two identical systems.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../src/index.js';

const PG = 4096;
const BASE = 0x200000000;
const addrArb = fc.oneof(
  fc.integer({ min: 0, max: 512 }).map((p) => BASE + p * PG),
  fc.integer({ min: 0, max: 512 }).map((p) => BASE + p * PG + 7),
  fc.constantFrom(0, 0x10000, 0x7ffffffff000, 2 ** 53 - 1),
);
const lenArb = fc.oneof(
  fc.integer({ min: 0, max: 64 }).map((p) => p * PG),
  fc.constantFrom(1, 0x200000, 0x400000, 2 ** 47, 2 ** 53 - 1),
);
const protArb = fc.constantFrom(0, 1, 3, 5, 7, 8, 0x1000000, 0x3000000, 0x10);
const flagsArb = fc.constantFrom(0x22, 0x32, 0x21, 0x2022, 0x4022, 0x8022, 0x100022, 0x122, 0x20022, 0x62, 0x23, 0x2, 0x22 + 2 ** 32);
const mremapFlagsArb = fc.constantFrom(0, 1, 3, 5, 2, 8);

type Call =
  | ['mmap', number, number, number, number]
  | ['munmap', number, number]
  | ['mprotect', number, number, number]
  | ['mremap', number, number, number, number, number]
  | ['brk', number];

const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.constant('mmap' as const), addrArb, lenArb, protArb, flagsArb),
  fc.tuple(fc.constant('munmap' as const), addrArb, lenArb),
  fc.tuple(fc.constant('mprotect' as const), addrArb, lenArb, protArb),
  fc.tuple(fc.constant('mremap' as const), addrArb, lenArb, lenArb, mremapFlagsArb, addrArb),
  fc.tuple(fc.constant('brk' as const), fc.oneof(fc.constant(0), fc.integer({ min: 0x515000, max: 0x600000 }))),
);

describe('FastSyscalls ≡ the bigint facade', () => {
  it('returns the same results and leaves the same maps for random VMA calls', () => {
    fc.assert(
      fc.property(fc.array(callArb, { maxLength: 60 }), (calls) => {
        const a = createSystem().task(0)!;
        const b = createSystem().task(0)!;
        for (const c of calls) {
          let ra: number;
          let rb: number;
          switch (c[0]) {
            case 'mmap':
              ra = a.sys.mmap(BigInt(c[1]), BigInt(c[2]), BigInt(c[3]), BigInt(c[4]), 0xffffffffffffffffn, 0n);
              rb = b.fast.mmap(c[1], c[2], c[3], c[4], -1, 0);
              break;
            case 'munmap':
              ra = a.sys.munmap(BigInt(c[1]), BigInt(c[2]));
              rb = b.fast.munmap(c[1], c[2]);
              break;
            case 'mprotect':
              ra = a.sys.mprotect(BigInt(c[1]), BigInt(c[2]), BigInt(c[3]));
              rb = b.fast.mprotect(c[1], c[2], c[3]);
              break;
            case 'mremap':
              ra = a.sys.mremap(BigInt(c[1]), BigInt(c[2]), BigInt(c[3]), BigInt(c[4]), BigInt(c[5]));
              rb = b.fast.mremap(c[1], c[2], c[3], c[4], c[5]);
              break;
            case 'brk':
              ra = a.sys.brk(BigInt(c[1]));
              rb = b.fast.brk(c[1]);
              break;
          }
          expect(rb, JSON.stringify(c)).toBe(ra);
        }
        expect(b.proc.maps()).toEqual(a.proc.maps());
        b.checkInvariants();
      }),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('throws typed errors for values outside its domain, before any state changes', () => {
    const t = createSystem().task(0)!;
    const before = t.proc.maps();
    expect(() => t.fast.mmap(Number.NaN, 4096, 3, 0x22, -1, 0)).toThrow(RangeError);
    expect(() => t.fast.mmap(0, -4096, 3, 0x22, -1, 0)).toThrow(RangeError);
    expect(() => t.fast.munmap(2 ** 60, 4096)).toThrow(RangeError);
    expect(() => t.fast.mprotect('0' as unknown as number, 4096, 1)).toThrow(TypeError);
    expect(t.proc.maps()).toEqual(before);
  });
});

/**
 * Every RawSyscalls method fed malformed values: unaligned, zero, overflowing (2^64 − 1, 2^63,
 * lengths that wrap to 0 when page-aligned), addresses in the kernel half, and values no C caller
 * could pass (non-bigint, negative, ≥ 2^64).
 *
 * Contract (src/kernel/api.ts, STYLE §1.3.1): u64 arguments that are not bigints are a TypeError,
 * bigints outside [0, 2^64) a RangeError, both thrown before any state changes; everything else
 * returns Linux's result (≥ 0 or −errno) and never throws. After every call checkInvariants()
 * must hold, and after every failure that Linux documents as changing nothing the maps must be
 * identical. Test names cite the rule of docs linux-mm.md and the experiment id that verified it
 * (e01:A1 = check A1 in spec/experiments/results/e01.out); "src:" cites the Linux source where
 * the spec states no experiment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import type { RawSyscalls } from '../../src/kernel/api.js';
import { createSystem, type Task } from '../../src/kernel/system.js';

const U64 = 2n ** 64n;
const MAX = U64 - 1n; // 2^64 − 1, also (u64)-1
const PG = 0x1000n;
const TASK_SIZE = 0x7ffffffff000n;
const A = 0x10000000n; // 8 pages rw-p are mapped here in every world
const NOFD = MAX;
const RW = BigInt(M.PROT_READ | M.PROT_WRITE);
const R = BigInt(M.PROT_READ);
const PA = BigInt(M.MAP_PRIVATE | M.MAP_ANONYMOUS);
const SA = BigInt(M.MAP_SHARED | M.MAP_ANONYMOUS);
const FIXED = BigInt(M.MAP_FIXED);
const NOREPLACE = BigInt(M.MAP_FIXED_NOREPLACE);
const { EINVAL, ENOMEM, EBADF, EPERM, EEXIST, EFAULT, EOVERFLOW, EOPNOTSUPP, EACCES, EAGAIN, EBUSY, ENOENT, EISDIR } = Errno;

interface World {
  t: Task;
  s: RawSyscalls;
  /** An O_RDWR ext4 file of 64 pages. */
  fd: bigint;
  /** The same file opened O_RDONLY. */
  rofd: bigint;
}

function world(): World {
  const t = createSystem().task(0)!;
  const s = t.sys;
  expect(s.mmap(A, 8n * PG, RW, PA | FIXED, NOFD, 0n)).toBe(Number(A));
  const fd = BigInt(s.openat('f', BigInt(M.O_RDWR | M.O_CREAT), 0o644n));
  expect(s.ftruncate(fd, 64n * PG)).toBe(0);
  const rofd = BigInt(s.openat('f', BigInt(M.O_RDONLY), 0n));
  expect(rofd).toBeGreaterThan(0n);
  t.checkInvariants();
  return { t, s, fd, rofd };
}

/** Run a call, catching anything it throws so the assertion says what happened. */
function attempt(w: World, call: (s: RawSyscalls) => number): { r?: number; e?: unknown } {
  try {
    return { r: call(w.s) };
  } catch (e) {
    return { e };
  } finally {
    w.t.checkInvariants();
  }
}

/** The call fails with `errno` and leaves the maps (and the status counters) unchanged. */
function fails(w: World, errno: number, call: (s: RawSyscalls) => number): void {
  const maps = w.t.proc.maps();
  const status = w.t.proc.status();
  const { r, e } = attempt(w, call);
  expect(e).toBeUndefined();
  expect(r).toBe(-errno);
  expect(w.t.proc.maps()).toEqual(maps);
  expect(w.t.proc.status()).toEqual(status);
}

/** The call succeeds (optionally with the given value). */
function succeeds(w: World, call: (s: RawSyscalls) => number, value?: number): number {
  const { r, e } = attempt(w, call);
  expect(e).toBeUndefined();
  expect(r).toBeGreaterThanOrEqual(0);
  if (value !== undefined) expect(r).toBe(value);
  return r!;
}

/** The call throws `ctor` and changes nothing. */
function throwsBefore(w: World, ctor: typeof TypeError | typeof RangeError, call: (s: RawSyscalls) => number): void {
  const maps = w.t.proc.maps();
  const status = w.t.proc.status();
  const { r, e } = attempt(w, call);
  expect(r).toBeUndefined();
  expect(e).toBeInstanceOf(ctor);
  expect(w.t.proc.maps()).toEqual(maps);
  expect(w.t.proc.status()).toEqual(status);
}

// ---------------------------------------------------------------------------------------------
// Misuse: wrong JS types and out-of-range bigints, for every u64 parameter of every method.
// ---------------------------------------------------------------------------------------------

type Arg = 'u64' | 'path' | 'vec' | 'name';
/** Each method with its parameter kinds and arguments that are valid (so only the bad one matters). */
const SIGNATURES: Record<Exclude<keyof RawSyscalls, 'munlockall'>, { kinds: Arg[]; good: (w: World) => unknown[] }> = {
  mmap: { kinds: ['u64', 'u64', 'u64', 'u64', 'u64', 'u64'], good: () => [0n, PG, RW, PA, NOFD, 0n] },
  mmap2: { kinds: ['u64', 'u64', 'u64', 'u64', 'u64', 'u64'], good: () => [0n, PG, RW, PA, NOFD, 0n] },
  munmap: { kinds: ['u64', 'u64'], good: () => [A, PG] },
  mprotect: { kinds: ['u64', 'u64', 'u64'], good: () => [A, PG, R] },
  mremap: { kinds: ['u64', 'u64', 'u64', 'u64', 'u64'], good: () => [A, 8n * PG, 4n * PG, 0n, 0n] },
  brk: { kinds: ['u64'], good: () => [0x600000n] },
  madvise: { kinds: ['u64', 'u64', 'u64'], good: () => [A, PG, BigInt(M.MADV_DONTFORK)] },
  msync: { kinds: ['u64', 'u64', 'u64'], good: () => [A, PG, BigInt(M.MS_SYNC)] },
  mlock: { kinds: ['u64', 'u64'], good: () => [A, PG] },
  mlock2: { kinds: ['u64', 'u64', 'u64'], good: () => [A, PG, 0n] },
  munlock: { kinds: ['u64', 'u64'], good: () => [A, PG] },
  mlockall: { kinds: ['u64'], good: () => [BigInt(M.MCL_CURRENT)] },
  mincore: { kinds: ['u64', 'u64', 'vec'], good: () => [A, PG, new Uint8Array(1)] },
  mseal: { kinds: ['u64', 'u64', 'u64'], good: () => [A, PG, 0n] },
  openat: { kinds: ['path', 'u64', 'u64'], good: () => ['g', BigInt(M.O_RDWR | M.O_CREAT), 0o644n] },
  dup3: { kinds: ['u64', 'u64', 'u64'], good: (w) => [w.fd, 20n, 0n] },
  close: { kinds: ['u64'], good: (w) => [w.rofd] },
  ftruncate: { kinds: ['u64', 'u64'], good: (w) => [w.fd, 2n * PG] },
  prlimit64: { kinds: ['u64', 'u64', 'u64'], good: () => [BigInt(M.RLIMIT_DATA), 1n << 40n, MAX] },
  setVmaAnonName: { kinds: ['u64', 'u64', 'name'], good: () => [A, PG, 'x'] },
};

const NOT_BIGINT: [string, unknown][] = [
  ['number 0', 0], ['number 4096', 4096], ['NaN', NaN], ['Infinity', Infinity], ['1.5', 1.5],
  ['string "0"', '0'], ['string "0x1000"', '0x1000'], ['undefined', undefined], ['null', null],
  ['object {}', {}], ['array [1n]', [1n]], ['boolean', true], ['Object(1n)', Object(1n)],
];
const OUT_OF_RANGE: [string, bigint][] = [
  ['-1n', -1n], ['-(2^63)', -(2n ** 63n)], ['-(2^64)', -U64], ['2^64', U64], ['2^64 + 4096', U64 + PG],
  ['2^65', 2n ** 65n], ['2^128', 2n ** 128n],
];

describe('misuse is a TypeError / RangeError thrown before any state change (STYLE §1.3.1)', () => {
  for (const [name, sig] of Object.entries(SIGNATURES) as [keyof typeof SIGNATURES, (typeof SIGNATURES)[keyof typeof SIGNATURES]][]) {
    describe(name, () => {
      sig.kinds.forEach((kind, i) => {
        if (kind === 'u64') {
          it(`arg ${i}: non-bigint values → TypeError`, () => {
            for (const [, bad] of NOT_BIGINT) {
              const w = world();
              const args = sig.good(w);
              args[i] = bad;
              throwsBefore(w, TypeError, (s) => (s[name] as (...a: unknown[]) => number)(...args));
            }
          });
          it(`arg ${i}: bigints outside [0, 2^64) → RangeError`, () => {
            for (const [, bad] of OUT_OF_RANGE) {
              const w = world();
              const args = sig.good(w);
              args[i] = bad;
              throwsBefore(w, RangeError, (s) => (s[name] as (...a: unknown[]) => number)(...args));
            }
          });
        } else {
          const bads: unknown[] = kind === 'vec'
            ? [undefined, null, [0], 'x', new Int8Array(1), new Uint16Array(1), new ArrayBuffer(1)]
            : kind === 'path'
              ? [undefined, null, 0, 1n, {}, ['f']]
              : [undefined, 0, 1n, {}, ['x']]; // name: string | null only
          it(`arg ${i} (${kind}): wrong types → TypeError`, () => {
            for (const bad of bads) {
              const w = world();
              const args = sig.good(w);
              args[i] = bad;
              throwsBefore(w, TypeError, (s) => (s[name] as (...a: unknown[]) => number)(...args));
            }
          });
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed but representable values: Linux's errno, in Linux's order.
// ---------------------------------------------------------------------------------------------

describe('mmap (§1.2 order of checks, §1.3)', () => {
  it('§1.2.5 e01:A1 len 0 → EINVAL (anon and file)', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mmap(0n, 0n, RW, PA, NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, 0n, R, BigInt(M.MAP_SHARED), w.fd, 0n));
  });

  it('§1.2.1 e01:A2,A3,O2 offset not page aligned → EINVAL first (file, anon, bad fd, len 0)', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.fd, 0x123n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, PA, NOFD, 1n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), 999n, 0x800n));
    fails(w, EINVAL, (s) => s.mmap(0n, 0n, R, BigInt(M.MAP_SHARED), 999n, MAX));
    fails(w, EINVAL, (s) => s.mmap(A, PG, RW, PA | FIXED, NOFD, U64 - 1n));
  });

  it('§1.2.2 e01:A15,O1 bad fd without MAP_ANONYMOUS → EBADF (before len 0)', () => {
    const w = world();
    fails(w, EBADF, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), MAX, 0n));
    fails(w, EBADF, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), 999n, 0n));
    fails(w, EBADF, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_PRIVATE), 7n, 0n));
    fails(w, EBADF, (s) => s.mmap(0n, 0n, R, BigInt(M.MAP_SHARED), 999n, 0n));
    fails(w, EBADF, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), 1n << 31n, 0n));
  });

  it('§1.2.2 e01:A16 the fd is ignored with MAP_ANONYMOUS (2^64 − 1, 2^63, 999)', () => {
    const w = world();
    for (const fd of [MAX, 1n << 63n, 999n, 0n]) succeeds(w, (s) => s.mmap(0n, PG, RW, PA, fd, 0n));
  });

  it('src: mm/mmap.c ksys_mmap_pgoff → fget(unsigned int): fd bits above 32 are dropped', () => {
    const w = world();
    const r = succeeds(w, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), (1n << 32n) | w.fd, 0n));
    expect(w.t.proc.maps().find((l) => l.startsWith(r.toString(16)))).toContain('/scratch/f');
  });

  it('§1.2.9 e01:A25,O3 len within 4095 of 2^64 (PAGE_ALIGN wraps to 0) → ENOMEM, before the map type', () => {
    const w = world();
    for (const len of [MAX, U64 - 4095n, U64 - 1000n]) {
      fails(w, ENOMEM, (s) => s.mmap(0n, len, RW, PA, NOFD, 0n));
      fails(w, ENOMEM, (s) => s.mmap(0n, len, RW, BigInt(M.MAP_ANONYMOUS), NOFD, 0n)); // type 0
      fails(w, ENOMEM, (s) => s.mmap(A, len, RW, PA | FIXED, NOFD, 0n));
    }
  });

  it('§1.2.12 §2.2 e01:A26 L > TASK_SIZE → ENOMEM (2^47, 2^63, 2^64 − 4096, TASK_SIZE + 1)', () => {
    const w = world();
    for (const len of [1n << 47n, 1n << 63n, U64 - PG, TASK_SIZE + 1n]) {
      fails(w, ENOMEM, (s) => s.mmap(0n, len, R, PA | BigInt(M.MAP_NORESERVE), NOFD, 0n));
    }
  });

  it('§1.2.12 e01:A27,B2,A36 MAP_FIXED / NOREPLACE with an unaligned addr → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mmap(A + 1n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0x800n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(A + 0x10n, PG, RW, PA | NOREPLACE, NOFD, 0n));
  });

  it('§1.2.12 §2.2 step 3 the range check comes before the alignment check: unaligned MAP_FIXED past TASK_SIZE → ENOMEM', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mmap(U64 - PG - 1n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(TASK_SIZE + 1n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(TASK_SIZE - 1n, PG, RW, PA | FIXED, NOFD, 0n));
  });

  // Engine bug (see the report): the facade answers ENOMEM. Linux's MAP_FIXED placement returns
  // the address unchecked, and __get_unmapped_area() treats a value within 4095 of 2^64 as an
  // error code (IS_ERR_VALUE) and returns it as such: 2^64 − 1 → −1 (EPERM), 2^64 − 12 → ENOMEM.
  it('src: mm/mmap.c __get_unmapped_area IS_ERR_VALUE: MAP_FIXED at 2^64 − k (k < 4096) returns −k', () => {
    const w = world();
    fails(w, EPERM, (s) => s.mmap(MAX, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, EPERM, (s) => s.mmap(MAX, PG, RW, PA | NOREPLACE, NOFD, 0n));
    fails(w, EBADF, (s) => s.mmap(U64 - 9n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(U64 - 22n, PG, RW, PA | FIXED, NOFD, 0n));
  });

  it('§1.2.12 e01:A28,A29 MAP_FIXED past TASK_SIZE or in the kernel half → ENOMEM', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mmap(TASK_SIZE, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(TASK_SIZE - PG, 2n * PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(U64 - PG, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(1n << 63n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(0xffffffffff600000n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(U64 - PG, PG, RW, PA | NOREPLACE, NOFD, 0n));
  });

  it('§1.2.12 e01:B1 MAP_FIXED at 0 (below vm.mmap_min_addr, no CAP_SYS_RAWIO) → EPERM', () => {
    const w = world();
    fails(w, EPERM, (s) => s.mmap(0n, PG, RW, PA | FIXED, NOFD, 0n));
    fails(w, EPERM, (s) => s.mmap(0n, PG, RW, PA | NOREPLACE, NOFD, 0n));
  });

  it('§1.2.8 §2.9 e02:H4,H5 hints at or beyond 2^47 (even 2^64 − 1) are ignored, not errors', () => {
    const w = world();
    for (const hint of [1n << 47n, 1n << 52n, 1n << 63n, MAX, U64 - PG]) {
      const r = succeeds(w, (s) => s.mmap(hint, PG, RW, PA, NOFD, 0n));
      expect(r).toBeLessThan(Number(TASK_SIZE));
    }
  });

  it('§1.2.10 offset 2^64 − 4096 with MAP_ANONYMOUS: aligned, pgoff ≤ 2^52 cannot wrap → ok', () => {
    const w = world();
    succeeds(w, (s) => s.mmap(0n, PG, RW, PA, NOFD, U64 - PG));
    succeeds(w, (s) => s.mmap(0n, PG, RW, SA, NOFD, 1n << 63n));
  });

  it('§1.2.13 e01:A33,A34 MAP_FIXED_NOREPLACE onto / partly onto a mapping → EEXIST', () => {
    const w = world();
    fails(w, EEXIST, (s) => s.mmap(A, PG, RW, PA | NOREPLACE, NOFD, 0n));
    fails(w, EEXIST, (s) => s.mmap(A - PG, 2n * PG, RW, PA | NOREPLACE, NOFD, 0n));
    fails(w, EEXIST, (s) => s.mmap(A + 7n * PG, 0x10000n, RW, SA | NOREPLACE, NOFD, 0n));
  });

  it('§1.2.17 e01:A4,A6,A8,A9 anonymous map types other than SHARED/PRIVATE/DROPPABLE → EINVAL', () => {
    const w = world();
    for (const type of [0n, 3n, 4n, 5n, 0xfn]) {
      fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, BigInt(M.MAP_ANONYMOUS) | type, NOFD, 0n));
    }
  });

  it('§1.2.16.4 e01:A5,O8 file map type 0 / 4..15 → EINVAL (before the access check)', () => {
    const w = world();
    for (const type of [0n, 4n, 0xfn]) fails(w, EINVAL, (s) => s.mmap(0n, PG, R, type, w.fd, 0n));
  });

  it('§1.2.17 §1.2.16.3 e01:A23,A24 MAP_GROWSDOWN with a file or shared anon → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, SA | BigInt(M.MAP_GROWSDOWN), NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_PRIVATE | M.MAP_GROWSDOWN), w.fd, 0n));
  });

  it('§1.2.16.1 e01:A30,A31 file offset too large → EOVERFLOW (also 2^64 − 4096), A32 just below ok', () => {
    const w = world();
    fails(w, EOVERFLOW, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.fd, 1n << 63n));
    fails(w, EOVERFLOW, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.fd, 0x7ffffffffffff000n));
    fails(w, EOVERFLOW, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.fd, U64 - PG));
    fails(w, EOVERFLOW, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.rofd, U64 - PG)); // e01:O7 before EACCES
    succeeds(w, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED), w.fd, 0x7fffffffffffe000n));
  });

  it('§1.2.16.2 e01:A10,A37 SHARED_VALIDATE with unknown bits (incl. above bit 31, NOREPLACE) → EOPNOTSUPP', () => {
    const w = world();
    const SV = BigInt(M.MAP_SHARED_VALIDATE);
    fails(w, EOPNOTSUPP, (s) => s.mmap(0n, PG, R, SV | 0x800000n, w.fd, 0n));
    fails(w, EOPNOTSUPP, (s) => s.mmap(0n, PG, R, SV | (1n << 40n), w.fd, 0n));
    fails(w, EOPNOTSUPP, (s) => s.mmap(0n, PG, R, SV | (1n << 63n), w.fd, 0n));
    fails(w, EOPNOTSUPP, (s) => s.mmap(0x30000000n, PG, R, SV | NOREPLACE, w.fd, 0n));
    fails(w, EEXIST, (s) => s.mmap(A, PG, R, SV | NOREPLACE, w.fd, 0n)); // e01:O5 EEXIST comes first
  });

  it('§1.2.20 e01:A12b,A13,A14 unknown flag bits (also above bit 31) with SHARED/PRIVATE and unknown prot bits are ignored', () => {
    const w = world();
    succeeds(w, (s) => s.mmap(0n, PG, RW, PA | 0x800000n | (1n << 40n), NOFD, 0n));
    succeeds(w, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED) | 0x800000n | (1n << 62n), w.fd, 0n));
    const r = succeeds(w, (s) => s.mmap(0n, PG, R | 0x30n | (1n << 40n), PA, NOFD, 0n));
    expect(w.t.proc.maps().find((l) => l.startsWith(r.toString(16)))).toMatch(/ r--p /);
  });

  it('§1.2.16.2 e01:A18,A19 MAP_SHARED + PROT_WRITE on an fd without write → EACCES', () => {
    const w = world();
    fails(w, EACCES, (s) => s.mmap(0n, PG, RW, BigInt(M.MAP_SHARED), w.rofd, 0n));
  });

  it('§1.2.3 e01:H1,H2,H3 MAP_HUGETLB: regular file → EINVAL; empty pool → ENOMEM; bad size code → EINVAL', () => {
    const w = world();
    const HUGE = BigInt(M.MAP_HUGETLB);
    fails(w, EINVAL, (s) => s.mmap(0n, PG, R, BigInt(M.MAP_SHARED) | HUGE, w.fd, 0n));
    fails(w, ENOMEM, (s) => s.mmap(0n, PG, RW, PA | HUGE, NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, PA | HUGE | (13n << 26n), NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, PA | HUGE | (30n << 26n), NOFD, 0n)); // 1 GiB: no hstate here
  });

  it('§1.2.17 e01:D2,D3,D4 MAP_DROPPABLE with LOCKED / GROWSDOWN, or on a file → EINVAL', () => {
    const w = world();
    const D = BigInt(M.MAP_DROPPABLE | M.MAP_ANONYMOUS);
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, D | BigInt(M.MAP_LOCKED), NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, D | BigInt(M.MAP_GROWSDOWN), NOFD, 0n));
    fails(w, EINVAL, (s) => s.mmap(0n, PG, RW, BigInt(M.MAP_DROPPABLE), w.fd, 0n));
  });

  it('§1.2.14/15 e01:B3,B4,B6 MAP_LOCKED with RLIMIT_MEMLOCK 0 → EPERM; over the limit → EAGAIN', () => {
    const w = world();
    expect(w.s.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 8n * PG, 8n * PG)).toBe(0);
    fails(w, EAGAIN, (s) => s.mmap(0n, 16n * PG, RW, PA | BigInt(M.MAP_LOCKED), NOFD, 0n));
    succeeds(w, (s) => s.mmap(0n, 8n * PG, RW, PA | BigInt(M.MAP_LOCKED), NOFD, 0n)); // B5 at the limit
    fails(w, EAGAIN, (s) => s.mmap(0n, PG, RW, PA | BigInt(M.MAP_LOCKED), NOFD, 0n)); // B6
    expect(w.s.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0n, 0n)).toBe(0);
    fails(w, EPERM, (s) => s.mmap(0n, PG, RW, PA | BigInt(M.MAP_LOCKED), NOFD, 0n));
  });

  it('§1.2.19 e01:L1,L2,L3 RLIMIT_AS: one page over → ENOMEM; MAP_FIXED replacing pages is net zero', () => {
    const w = world();
    const vm = BigInt(w.t.proc.status().VmSize) * 1024n;
    expect(w.s.prlimit64(BigInt(M.RLIMIT_AS), vm + 4n * PG, MAX)).toBe(0);
    fails(w, ENOMEM, (s) => s.mmap(0n, 5n * PG, 0n, PA, NOFD, 0n));
    succeeds(w, (s) => s.mmap(A, 8n * PG, R, PA | FIXED, NOFD, 0n));
    succeeds(w, (s) => s.mmap(0n, 4n * PG, 0n, PA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(0n, PG, 0n, PA, NOFD, 0n));
  });

  it('§1.5 e01:OC1,OC2,OC5,OC6 overcommit 0: 64 GiB private RW or shared → ENOMEM; NORESERVE ok', () => {
    const w = world();
    const G64 = 64n << 30n;
    fails(w, ENOMEM, (s) => s.mmap(0n, G64, RW, PA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(0n, G64, RW, SA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(A, G64, RW, PA | FIXED, NOFD, 0n)); // the old pages stay
    succeeds(w, (s) => s.mmap(0n, G64, RW, PA | BigInt(M.MAP_NORESERVE), NOFD, 0n));
    succeeds(w, (s) => s.mmap(0n, G64, RW, SA | BigInt(M.MAP_NORESERVE), NOFD, 0n));
  });

  it('§1.2.11 e03:MC3 map_count > max_map_count → ENOMEM for any request', () => {
    const w = world();
    w.t.mm.sys.sysctl.maxMapCount = w.t.proc.maps().length - 2; // map_count = max + 1
    fails(w, ENOMEM, (s) => s.mmap(0n, PG, RW, PA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap(A, PG, RW, PA | FIXED, NOFD, 0n));
  });
});

describe('mmap2 (§1.1 compat: 32-bit registers, offset in pages, 32-bit task size)', () => {
  it('§1.2.5 len 0 → EINVAL; §2.2 len 0xffffffff (> compat TASK_SIZE after PAGE_ALIGN) → ENOMEM', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mmap2(0n, 0n, RW, PA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap2(0n, 0xffffffffn, RW, PA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mmap2(0xfffff000n, PG, RW, PA | FIXED, NOFD, 0n));
  });

  it('§1.1 the pgoff has no alignment rule: any value maps (anonymous ignores it)', () => {
    const w = world();
    const r = succeeds(w, (s) => s.mmap2(0n, PG, RW, PA, NOFD, 0xfffffn));
    expect(r).toBeLessThan(2 ** 32);
  });

  it('§1.1 registers are 32 bits: address, length and flag bits above bit 31 do not reach the kernel', () => {
    const w = world();
    const r = succeeds(w, (s) => s.mmap2((1n << 32n) | 0x20000000n, (1n << 40n) | PG, RW, (1n << 36n) | PA | FIXED, NOFD, 0n));
    expect(r).toBe(0x20000000);
    expect(w.t.proc.maps()).toContain('20000000-20001000 rw-p 00000000 00:00 0 ');
  });

  it('§1.2.2 bad fd (also −1 as a 32-bit value) → EBADF', () => {
    const w = world();
    fails(w, EBADF, (s) => s.mmap2(0n, PG, R, BigInt(M.MAP_SHARED), 0xffffffffn, 0n));
    fails(w, EBADF, (s) => s.mmap2(0n, PG, R, BigInt(M.MAP_SHARED), 999n, 0n));
  });
});

describe('munmap (§4.1)', () => {
  it('e04:U1 unaligned addr → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.munmap(A + 1n, PG));
    fails(w, EINVAL, (s) => s.munmap(MAX, PG));
  });

  it('e04:U2 len 0 → EINVAL', () => {
    fails(world(), EINVAL, (s) => s.munmap(A, 0n));
  });

  it('e04:U3,U5 addr above TASK_SIZE / in the kernel half ([vsyscall]) → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.munmap(TASK_SIZE + PG, PG));
    fails(w, EINVAL, (s) => s.munmap(0xffffffffff600000n, PG));
    fails(w, EINVAL, (s) => s.munmap(U64 - PG, PG));
    fails(w, EINVAL, (s) => s.munmap(1n << 63n, PG));
  });

  it('e04:U4,U9 len reaching past TASK_SIZE, 2^64 − 1, wrapping → EINVAL; nothing unmapped', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.munmap(TASK_SIZE - PG, 2n * PG));
    fails(w, EINVAL, (s) => s.munmap(TASK_SIZE, PG));
    fails(w, EINVAL, (s) => s.munmap(A, MAX));
    fails(w, EINVAL, (s) => s.munmap(A, U64 - PG));
    fails(w, EINVAL, (s) => s.munmap(0n, U64 - 4095n));
    fails(w, EINVAL, (s) => s.munmap(A, 1n << 63n));
  });

  it('e04:U6,U10 unmapping nothing is success (addr 0 len 1 included)', () => {
    const w = world();
    succeeds(w, (s) => s.munmap(0x50000000n, 16n * PG), 0);
    succeeds(w, (s) => s.munmap(0n, 1n), 0);
    succeeds(w, (s) => s.munmap(TASK_SIZE - PG, PG), 0);
  });

  it('e04:U11 a partial [vdso] → EINVAL, nothing unmapped', () => {
    fails(world(), EINVAL, (s) => s.munmap(0x7ffff7ffd000n, PG));
  });
});

describe('mprotect (§4.2)', () => {
  it('e04:P5 GROWSDOWN|GROWSUP → EINVAL first (also prot 2^64 − 1)', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mprotect(A, PG, BigInt(M.PROT_GROWSDOWN | M.PROT_GROWSUP)));
    fails(w, EINVAL, (s) => s.mprotect(A + 1n, 0n, MAX));
  });

  it('e04:P1,P2b unaligned start → EINVAL (even with len 0)', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mprotect(A + 0x800n, PG, R));
    fails(w, EINVAL, (s) => s.mprotect(A + 1n, 0n, R));
    fails(w, EINVAL, (s) => s.mprotect(MAX, PG, R));
  });

  it('e04:P2 len 0 → 0 without looking at the mappings (unmapped, kernel half, bad prot bits)', () => {
    const w = world();
    succeeds(w, (s) => s.mprotect(0x50000000n, 0n, R), 0);
    succeeds(w, (s) => s.mprotect(U64 - PG, 0n, R), 0);
    succeeds(w, (s) => s.mprotect(A, 0n, 0x10n), 0);
  });

  it('e04:P8 start + PAGE_ALIGN(len) wraps (or PAGE_ALIGN(len) = 0) → ENOMEM, before the prot check', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mprotect(A, U64 - PG, R));
    fails(w, ENOMEM, (s) => s.mprotect(A, MAX, R));
    fails(w, ENOMEM, (s) => s.mprotect(U64 - PG, PG, R));
    fails(w, ENOMEM, (s) => s.mprotect(A, U64 - A, 0x10n));
  });

  it('e04:P3,P4 unknown prot bits (also above bit 31) → EINVAL; PROT_SEM accepted', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mprotect(A, PG, 0x10n));
    fails(w, EINVAL, (s) => s.mprotect(A, PG, R | (1n << 32n)));
    fails(w, EINVAL, (s) => s.mprotect(A, PG, R | (1n << 63n)));
    succeeds(w, (s) => s.mprotect(A, PG, RW | BigInt(M.PROT_SEM)), 0);
  });

  it('e04:P9,P10/P10b unmapped, or starting in a hole before a mapping → ENOMEM, nothing changed', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mprotect(0x50000000n, PG, R));
    fails(w, ENOMEM, (s) => s.mprotect(A - PG, 2n * PG, R));
    fails(w, ENOMEM, (s) => s.mprotect(0x7ffffffde000n - PG, PG, R)); // just below [stack]
    fails(w, ENOMEM, (s) => s.mprotect(TASK_SIZE, 1n << 60n, R));
    fails(w, ENOMEM, (s) => s.mprotect(1n << 62n, PG, R));
  });

  it('e04:P6,P7,P17 PROT_GROWSUP → EINVAL; GROWSDOWN on a normal VMA → EINVAL; below a growsdown VMA → ENOMEM', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mprotect(A, PG, R | BigInt(M.PROT_GROWSUP)));
    fails(w, EINVAL, (s) => s.mprotect(A, PG, R | BigInt(M.PROT_GROWSDOWN)));
    expect(w.s.mmap(0x20000000n, 8n * PG, RW, PA | FIXED | BigInt(M.MAP_GROWSDOWN), NOFD, 0n)).toBe(0x20000000);
    fails(w, ENOMEM, (s) => s.mprotect(0x20000000n - 4n * PG, 4n * PG, R | BigInt(M.PROT_GROWSDOWN)));
  });

  it('e04:P11/P11b a trailing hole → ENOMEM after the mapped part WAS changed (documented partial effect)', () => {
    const w = world();
    const { r } = attempt(w, (s) => s.mprotect(A + 6n * PG, 4n * PG, R));
    expect(r).toBe(-ENOMEM);
    expect(w.t.proc.maps()).toContain('10006000-10008000 r--p 00000000 00:00 0 ');
  });
});

describe('mremap (§4.3 checks table)', () => {
  it('#1 e05:V1 flags outside MAYMOVE|FIXED|DONTUNMAP (also bits above 31) → EINVAL', () => {
    const w = world();
    for (const f of [8n, 0x10n, 1n << 32n, 1n << 63n, MAX]) fails(w, EINVAL, (s) => s.mremap(A, PG, 2n * PG, f, 0n));
  });

  it('#2 e05:V2 unaligned addr → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mremap(A + 1n, PG, PG, 0n, 0n));
    fails(w, EINVAL, (s) => s.mremap(MAX, PG, PG, 0n, 0n));
  });

  it('#3 e05:V3 PAGE_ALIGN(new_len) == 0 (0, 2^64 − 1, 2^64 − 4095) → EINVAL', () => {
    const w = world();
    for (const n of [0n, MAX, U64 - 4095n]) fails(w, EINVAL, (s) => s.mremap(A, PG, n, BigInt(M.MREMAP_MAYMOVE), 0n));
  });

  it('#4 e05:V4 new_len > TASK_SIZE (2^47, 2^63, 2^64 − 4096) → EINVAL', () => {
    const w = world();
    for (const n of [1n << 47n, 1n << 63n, U64 - PG]) fails(w, EINVAL, (s) => s.mremap(A, PG, n, BigInt(M.MREMAP_MAYMOVE), 0n));
  });

  it('#5 e05:V5–V10 FIXED/DONTUNMAP: bad new_addr, no MAYMOVE, DONTUNMAP resize, overlap → EINVAL', () => {
    const w = world();
    const MF = BigInt(M.MREMAP_MAYMOVE | M.MREMAP_FIXED);
    const MD = BigInt(M.MREMAP_MAYMOVE | M.MREMAP_DONTUNMAP);
    fails(w, EINVAL, (s) => s.mremap(A, PG, PG, BigInt(M.MREMAP_FIXED), 0x30000000n)); // V5
    fails(w, EINVAL, (s) => s.mremap(A, PG, PG, MF, 0x30000001n)); // V6
    fails(w, EINVAL, (s) => s.mremap(A, PG, PG, MF, U64 - PG)); // new_addr > TASK_SIZE − new_len
    fails(w, EINVAL, (s) => s.mremap(A, PG, PG, MF, TASK_SIZE)); // new_addr + new_len > TASK_SIZE
    fails(w, EINVAL, (s) => s.mremap(A, PG, PG, BigInt(M.MREMAP_DONTUNMAP), 0n)); // V7
    fails(w, EINVAL, (s) => s.mremap(A, PG, 2n * PG, MD, 0n)); // V8
    fails(w, EINVAL, (s) => s.mremap(A, 4n * PG, 4n * PG, MF, A + 2n * PG)); // V9
    fails(w, EINVAL, (s) => s.mremap(A, 4n * PG, 4n * PG, MF, A)); // V10
    fails(w, EINVAL, (s) => s.mremap(A + 2n * PG, 4n * PG, 4n * PG, MF, A)); // overlap from above
  });

  it('#6 e05:V11,V15,S3 addr not inside a VMA → EFAULT (also for the same-size no-op and a shrink)', () => {
    const w = world();
    fails(w, EFAULT, (s) => s.mremap(0x50000000n, PG, 2n * PG, BigInt(M.MREMAP_MAYMOVE), 0n));
    fails(w, EFAULT, (s) => s.mremap(0x50000000n, PG, PG, 0n, 0n));
    fails(w, EFAULT, (s) => s.mremap(0x50000000n, 2n * PG, PG, 0n, 0n));
    fails(w, EFAULT, (s) => s.mremap(U64 - PG, PG, PG, 0n, 0n));
    fails(w, EFAULT, (s) => s.mremap(A + 8n * PG, PG, PG, 0n, 0n));
  });

  it('#8 e05:V13,V14,V15b same size without FIXED: returns addr, bogus new_addr ignored, range not checked', () => {
    const w = world();
    const maps = w.t.proc.maps();
    succeeds(w, (s) => s.mremap(A, 8n * PG, 8n * PG, 0n, MAX), Number(A));
    succeeds(w, (s) => s.mremap(A, 64n * PG, 64n * PG, BigInt(M.MREMAP_MAYMOVE), 123n), Number(A));
    expect(w.t.proc.maps()).toEqual(maps);
  });

  it('#9 e05:V16 growing or moving with old_len 0 (also 2^64 − 1, which page-aligns to 0) on a private VMA → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mremap(A, 0n, PG, BigInt(M.MREMAP_MAYMOVE), 0n));
    fails(w, EINVAL, (s) => s.mremap(A, MAX, PG, BigInt(M.MREMAP_MAYMOVE), 0n));
  });

  it('#11 e05:V12 [addr, addr + old_len) runs past the VMA (grow, huge old_len) → EFAULT', () => {
    const w = world();
    fails(w, EFAULT, (s) => s.mremap(A, 9n * PG, 10n * PG, BigInt(M.MREMAP_MAYMOVE), 0n));
    fails(w, EFAULT, (s) => s.mremap(A, 1n << 45n, 1n << 46n, BigInt(M.MREMAP_MAYMOVE), 0n));
  });

  it('#12 e05:SP1 growing [vdso] (VM_DONTEXPAND) → EFAULT', () => {
    fails(world(), EFAULT, (s) => s.mremap(0x7ffff7ffd000n, 2n * PG, 4n * PG, BigInt(M.MREMAP_MAYMOVE), 0n));
  });

  it('§4.3 + §4.1 src: mm/mremap.c shrink_vma → do_vmi_munmap: a shrink whose tail passes TASK_SIZE → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mremap(A, 1n << 63n, PG, 0n, 0n));
    fails(w, EINVAL, (s) => s.mremap(A, U64 - PG, PG, 0n, 0n));
  });

  it('e05:G2,Z2 growth blocked without MAYMOVE → ENOMEM (also old_len 0 on shared)', () => {
    const w = world();
    expect(w.s.mmap(A + 8n * PG, PG, R, PA | FIXED, NOFD, 0n)).toBe(Number(A + 8n * PG));
    fails(w, ENOMEM, (s) => s.mremap(A, 8n * PG, 16n * PG, 0n, 0n));
    const sh = BigInt(w.s.mmap(0n, 2n * PG, RW, SA, NOFD, 0n));
    fails(w, ENOMEM, (s) => s.mremap(sh, 0n, 2n * PG, 0n, 0n));
  });
});

describe('brk (§4.4: on failure the old break is returned)', () => {
  it('e06:K1,K2 brk(0) and brk below start_brk return the current break; nothing changes', () => {
    const w = world();
    const cur = w.s.brk(0n);
    expect(cur).toBe(0x515000);
    const maps = w.t.proc.maps();
    for (const v of [0n, 1n, 0x400000n, 0x514fffn]) expect(w.s.brk(v)).toBe(cur);
    expect(w.t.proc.maps()).toEqual(maps);
  });

  it('§4.4 values beyond the user range (2^64 − 1, 2^63, TASK_SIZE, 2^47) fail → old break, nothing changes', () => {
    const w = world();
    const cur = w.s.brk(0n);
    const maps = w.t.proc.maps();
    for (const v of [MAX, U64 - PG, 1n << 63n, 1n << 53n, TASK_SIZE, 1n << 47n]) {
      expect(w.s.brk(v)).toBe(cur);
      w.t.checkInvariants();
    }
    expect(w.t.proc.maps()).toEqual(maps);
  });

  it('e06:K7,K8 growth up to one page below the next VMA works, touching it fails', () => {
    const w = world();
    const cur = w.s.brk(0n);
    expect(w.s.mmap(0x600000n, PG, R, PA | FIXED, NOFD, 0n)).toBe(0x600000);
    expect(w.s.brk(0x600000n)).toBe(cur); // K8: newbrk + 4096 > next start
    expect(w.s.brk(0x5ff000n)).toBe(0x5ff000); // K7
    w.t.checkInvariants();
  });

  it('e06:K3,K4 an unaligned break is returned exactly', () => {
    const w = world();
    expect(w.s.brk(0x51607bn)).toBe(0x51607b);
    expect(w.s.brk(0x516463n)).toBe(0x516463);
    w.t.checkInvariants();
  });
});

describe('madvise (§4.6 argument rules)', () => {
  it('e07:V2,V3,V10 unknown advice → EINVAL (7, 999, 100 with CONFIG_MEMORY_FAILURE=n, int −1), before the address check', () => {
    const w = world();
    for (const a of [7n, 999n, 100n, 101n, 26n, MAX, 0xffffffffn]) fails(w, EINVAL, (s) => s.madvise(A, PG, a));
    fails(w, EINVAL, (s) => s.madvise(A + 1n, PG, 999n));
  });

  it('src: SYSCALL_DEFINE3(madvise, …, int behavior): advice bits above 31 are dropped (2^32 | DONTNEED = DONTNEED)', () => {
    const w = world();
    succeeds(w, (s) => s.madvise(A, PG, (1n << 32n) | BigInt(M.MADV_DONTNEED)), 0);
    succeeds(w, (s) => s.madvise(A, PG, (1n << 40n) | BigInt(M.MADV_DONTFORK)), 0);
    expect(w.t.proc.smaps().find((e) => e.line.startsWith('10000000-'))!.fields.VmFlags).toContain('dc');
  });

  it('e07:V1 unaligned addr → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.madvise(A + 0x10n, PG, BigInt(M.MADV_DONTFORK)));
    fails(w, EINVAL, (s) => s.madvise(MAX, 0n, BigInt(M.MADV_NORMAL)));
  });

  it('e07:V5,V6 len that page-aligns to 0, or a range that wraps → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.madvise(A, MAX, BigInt(M.MADV_DONTFORK)));
    fails(w, EINVAL, (s) => s.madvise(A, U64 - 4095n, BigInt(M.MADV_DONTFORK)));
    fails(w, EINVAL, (s) => s.madvise(A, U64 - PG, BigInt(M.MADV_DONTFORK)));
    fails(w, EINVAL, (s) => s.madvise(U64 - PG, 2n * PG, BigInt(M.MADV_NORMAL)));
  });

  it('e07:V4 len 0 → 0 even unmapped / in the kernel half', () => {
    const w = world();
    succeeds(w, (s) => s.madvise(0x50000000n, 0n, BigInt(M.MADV_DONTFORK)), 0);
    succeeds(w, (s) => s.madvise(U64 - PG, 0n, BigInt(M.MADV_DONTNEED)), 0);
  });

  it('e07:V7,V11 fully unmapped (incl. above TASK_SIZE) → ENOMEM, nothing changed', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.madvise(0x50000000n, PG, BigInt(M.MADV_DONTFORK)));
    fails(w, ENOMEM, (s) => s.madvise(TASK_SIZE, PG, BigInt(M.MADV_DONTNEED)));
    fails(w, ENOMEM, (s) => s.madvise(1n << 62n, 1n << 40n, BigInt(M.MADV_DONTFORK)));
    fails(w, ENOMEM, (s) => s.madvise(0x50000000n, PG, BigInt(M.MADV_POPULATE_WRITE)));
  });

  it('e07:V8 across a hole → the mapped parts are advised, ENOMEM at the end (documented partial effect)', () => {
    const w = world();
    const { r } = attempt(w, (s) => s.madvise(A + 4n * PG, 8n * PG, BigInt(M.MADV_DONTFORK)));
    expect(r).toBe(-ENOMEM);
    expect(w.t.proc.smaps().find((e) => e.line.startsWith('10004000-'))!.fields.VmFlags).toContain('dc');
  });
});

describe('msync (§4.5 order table)', () => {
  it('e07:Y1 flags outside ASYNC|INVALIDATE|SYNC → EINVAL; src: int flags, so bits above 31 are dropped', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.msync(A, PG, 8n));
    fails(w, EINVAL, (s) => s.msync(A, PG, MAX));
    succeeds(w, (s) => s.msync(A, PG, (1n << 32n) | BigInt(M.MS_SYNC)), 0);
  });

  it('e07:Y2,Y11 unaligned → EINVAL; e07:Y3 ASYNC|SYNC → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.msync(A + 1n, PG, BigInt(M.MS_SYNC)));
    fails(w, EINVAL, (s) => s.msync(A + 1n, PG, 8n));
    fails(w, EINVAL, (s) => s.msync(A, PG, BigInt(M.MS_ASYNC | M.MS_SYNC)));
  });

  it('e07:Y10 addr + PAGE_ALIGN(len) wraps → ENOMEM; len 2^64 − 1 page-aligns to 0 → 0 (Y5)', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.msync(A, U64 - PG, BigInt(M.MS_SYNC)));
    fails(w, ENOMEM, (s) => s.msync(U64 - PG, 2n * PG, BigInt(M.MS_ASYNC)));
    succeeds(w, (s) => s.msync(A, MAX, BigInt(M.MS_SYNC)), 0);
    succeeds(w, (s) => s.msync(0x50000000n, 0n, 0n), 0);
  });

  it('e07:Y6,Y15 unmapped → ENOMEM; e07:Y12 MS_INVALIDATE on a locked VMA → EBUSY', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.msync(0x50000000n, PG, BigInt(M.MS_SYNC)));
    fails(w, ENOMEM, (s) => s.msync(TASK_SIZE, PG, 0n));
    fails(w, ENOMEM, (s) => s.msync(A - PG, 2n * PG, BigInt(M.MS_SYNC)));
    expect(w.s.mlock(A, PG)).toBe(0);
    fails(w, EBUSY, (s) => s.msync(A, PG, BigInt(M.MS_INVALIDATE)));
  });
});

describe('mlock / mlock2 / munlock / mlockall / munlockall (§4.7)', () => {
  it('e08:L2 len 0 → 0; len 2^64 − 1 page-aligns to 0 → 0 (do_mlock: PAGE_ALIGN(len + offset))', () => {
    const w = world();
    succeeds(w, (s) => s.mlock(0x50000000n, 0n), 0);
    succeeds(w, (s) => s.mlock(A, MAX), 0);
    succeeds(w, (s) => s.mlock(A + 1n, MAX), 0); // (2^64 − 1) + 1 wraps to 0
    succeeds(w, (s) => s.munlock(A, MAX), 0);
    expect(w.t.proc.status().VmLck).toBe(0);
  });

  it('e08:L3,L11 an unmapped start → ENOMEM (mlock, mlock2, munlock), nothing changed', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mlock(0x50000000n, PG));
    fails(w, ENOMEM, (s) => s.mlock2(0x50000000n, PG, BigInt(M.MLOCK_ONFAULT)));
    fails(w, ENOMEM, (s) => s.munlock(0x50000000n, PG));
    fails(w, ENOMEM, (s) => s.mlock(A - PG, 2n * PG));
  });

  it('e08:L6 a wrapping range with CAP_IPC_LOCK → EINVAL (mlock, mlock2, munlock)', () => {
    const w = world();
    w.t.mm.creds.capIpcLock = true;
    fails(w, EINVAL, (s) => s.mlock(A, U64 - PG));
    fails(w, EINVAL, (s) => s.mlock(U64 - PG, 2n * PG));
    fails(w, EINVAL, (s) => s.mlock2(A, U64 - A, 0n));
    fails(w, EINVAL, (s) => s.munlock(A, U64 - PG));
  });

  it('src: mm/mlock.c do_mlock: without CAP_IPC_LOCK the RLIMIT_MEMLOCK check runs first → ENOMEM (e08:L13); a small wrapping range passes it and is EINVAL (recorded), munlock EINVAL', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mlock(A, U64 - PG));
    fails(w, ENOMEM, (s) => s.mlock(A, 1n << 63n));
    fails(w, EINVAL, (s) => s.mlock2(U64 - PG, 2n * PG, 0n));
    fails(w, EINVAL, (s) => s.munlock(U64 - PG, 2n * PG));
  });

  it('e08:L12 RLIMIT_MEMLOCK 0 (unprivileged) → EPERM for mlock, mlock2 and mlockall', () => {
    const w = world();
    expect(w.s.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0n, 0n)).toBe(0);
    fails(w, EPERM, (s) => s.mlock(A, PG));
    fails(w, EPERM, (s) => s.mlock2(A, PG, 0n));
    fails(w, EPERM, (s) => s.mlockall(BigInt(M.MCL_CURRENT)));
    succeeds(w, (s) => s.munlock(A, PG), 0);
  });

  it('e08:L8 mlock2 flags other than MLOCK_ONFAULT → EINVAL; src: int flags, so 2^32 means 0', () => {
    const w = world();
    for (const f of [2n, 3n, 0x80000000n, MAX]) fails(w, EINVAL, (s) => s.mlock2(A, PG, f));
    succeeds(w, (s) => s.mlock2(A, PG, 1n << 32n), 0);
    expect(w.t.proc.status().VmLck).toBe(4);
  });

  it('e08:A1,A2,A3 mlockall: 0, MCL_ONFAULT alone, unknown bits → EINVAL (int: 2^32 is 0)', () => {
    const w = world();
    for (const f of [0n, BigInt(M.MCL_ONFAULT), 8n, 0x10n, MAX, 1n << 32n, (1n << 32n) | BigInt(M.MCL_ONFAULT)]) {
      fails(w, EINVAL, (s) => s.mlockall(f));
    }
  });

  it('src: mm/mlock.c mlockall: MCL_CURRENT with total_vm over RLIMIT_MEMLOCK → ENOMEM', () => {
    const w = world();
    expect(w.s.prlimit64(BigInt(M.RLIMIT_MEMLOCK), PG, PG)).toBe(0);
    fails(w, ENOMEM, (s) => s.mlockall(BigInt(M.MCL_CURRENT)));
  });

  it('e08:L10 munlock of unlocked memory and munlockall always succeed', () => {
    const w = world();
    succeeds(w, (s) => s.munlock(A, 8n * PG), 0);
    succeeds(w, (s) => s.munlockall(), 0);
  });
});

describe('mincore (§4.8)', () => {
  it('e08:C1 unaligned → EINVAL; C2 len 0 → 0', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mincore(A + 1n, PG, new Uint8Array(1)));
    fails(w, EINVAL, (s) => s.mincore(MAX, PG, new Uint8Array(1)));
    succeeds(w, (s) => s.mincore(0x50000000n, 0n, new Uint8Array(0)), 0);
  });

  it('e08:C6 addr + len outside user space (also 2^64 − 1 lengths) → ENOMEM before the vec check', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mincore(TASK_SIZE - PG, 2n * PG, new Uint8Array(2)));
    fails(w, ENOMEM, (s) => s.mincore(A, MAX, new Uint8Array(0)));
    fails(w, ENOMEM, (s) => s.mincore(U64 - PG, PG, new Uint8Array(1)));
    fails(w, ENOMEM, (s) => s.mincore(A, 1n << 63n, new Uint8Array(0)));
  });

  it('e08:C5 a vec too short for the pages → EFAULT', () => {
    const w = world();
    fails(w, EFAULT, (s) => s.mincore(A, 2n * PG, new Uint8Array(1)));
    fails(w, EFAULT, (s) => s.mincore(A, PG + 1n, new Uint8Array(1)));
  });

  it('e08:C3,C4 an unmapped page in the range → ENOMEM', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mincore(0x50000000n, PG, new Uint8Array(1)));
    fails(w, ENOMEM, (s) => s.mincore(A, 9n * PG, new Uint8Array(9)));
  });
});

describe('mseal (§4.9)', () => {
  it('e04:SE10 flags ≠ 0 (also bits above 31) → EINVAL', () => {
    const w = world();
    for (const f of [1n, 1n << 32n, MAX]) fails(w, EINVAL, (s) => s.mseal(A, PG, f));
  });

  it('e04:SE9 unaligned → EINVAL; a len that page-aligns to 0 or wraps → EINVAL', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.mseal(A + 1n, PG, 0n));
    fails(w, EINVAL, (s) => s.mseal(A, MAX, 0n));
    fails(w, EINVAL, (s) => s.mseal(A, U64 - PG, 0n));
    fails(w, EINVAL, (s) => s.mseal(U64 - PG, 2n * PG, 0n));
  });

  it('§4.9 len 0 → 0; e04:SE11 any hole or unmapped → ENOMEM, nothing sealed', () => {
    const w = world();
    succeeds(w, (s) => s.mseal(0x50000000n, 0n, 0n), 0);
    fails(w, ENOMEM, (s) => s.mseal(A, 9n * PG, 0n));
    fails(w, ENOMEM, (s) => s.mseal(A - PG, 2n * PG, 0n));
    fails(w, ENOMEM, (s) => s.mseal(TASK_SIZE, PG, 0n));
    fails(w, ENOMEM, (s) => s.mseal((1n << 53n) - PG, PG, 0n));
  });

  // Was an engine bug (start and end above 2^53 collapsed to one stand-in number, so doMseal saw
  // an empty range and returned 0); fixed by 054af29 "huge start addresses in range syscalls".
  it('e04:SE11 a range that starts above 2^53 is unmapped → ENOMEM', () => {
    const w = world();
    fails(w, ENOMEM, (s) => s.mseal(1n << 62n, PG, 0n));
    fails(w, ENOMEM, (s) => s.mseal(1n << 60n, 1n << 40n, 0n));
  });
});

describe('files and limits used by the mm tests', () => {
  it('openat: empty or unknown path → ENOENT; the scratch directory for writing → EISDIR', () => {
    const w = world();
    fails(w, ENOENT, (s) => s.openat('', BigInt(M.O_RDONLY), 0n));
    fails(w, ENOENT, (s) => s.openat('nope', BigInt(M.O_RDONLY), 0n));
    fails(w, ENOENT, (s) => s.openat('a/b', BigInt(M.O_RDWR | M.O_CREAT), 0n));
    fails(w, EISDIR, (s) => s.openat('.', BigInt(M.O_RDWR), 0n));
  });

  it('close / ftruncate / dup3: bad fds → EBADF; bad flags, negative length, same fd → EINVAL', () => {
    const w = world();
    fails(w, EBADF, (s) => s.close(999n));
    fails(w, EBADF, (s) => s.close(MAX));
    fails(w, EBADF, (s) => s.ftruncate(999n, PG));
    fails(w, EINVAL, (s) => s.ftruncate(w.fd, 1n << 63n)); // off_t: negative
    fails(w, EINVAL, (s) => s.ftruncate(w.fd, MAX));
    fails(w, EINVAL, (s) => s.ftruncate(w.rofd, PG)); // not open for writing
    fails(w, EBADF, (s) => s.dup3(999n, 10n, 0n));
    fails(w, EINVAL, (s) => s.dup3(w.fd, w.fd, 0n));
    fails(w, EINVAL, (s) => s.dup3(w.fd, 10n, 1n));
  });

  // Engine bug (see the report): close/ftruncate/dup3 look the full u64 up and answer EBADF.
  it('src: SYSCALL_DEFINE1(close, unsigned int fd) etc.: fd bits above 31 are dropped by the syscall ABI', () => {
    const w = world();
    const hi = 1n << 32n;
    succeeds(w, (s) => s.ftruncate(hi | w.fd, 4n * PG), 0);
    succeeds(w, (s) => s.dup3(hi | w.fd, hi | 10n, 0n), 10);
    succeeds(w, (s) => s.close(hi | 10n), 0);
    fails(w, EBADF, (s) => s.close(10n));
  });

  it('prlimit64: resource ≥ RLIM_NLIMITS → EINVAL; cur > max → EINVAL; raising the hard limit → EPERM', () => {
    const w = world();
    fails(w, EINVAL, (s) => s.prlimit64(16n, 0n, 0n));
    fails(w, EINVAL, (s) => s.prlimit64(MAX, 0n, 0n));
    fails(w, EINVAL, (s) => s.prlimit64(BigInt(M.RLIMIT_AS), 2n, 1n));
    fails(w, EPERM, (s) => s.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0x800000n, MAX));
    succeeds(w, (s) => s.prlimit64((1n << 32n) | BigInt(M.RLIMIT_DATA), 1n << 40n, MAX), 0); // unsigned int resource
  });

  it('e03 INFO S13 PR_SET_VMA_ANON_NAME without CONFIG_ANON_VMA_NAME → EINVAL for any input', () => {
    const w = world();
    for (const [a, l, n] of [[A, PG, 'x'], [A + 1n, PG, 'x'], [A, MAX, null], [0n, 0n, '']] as [bigint, bigint, string | null][]) {
      fails(w, EINVAL, (s) => s.setVmaAnonName(a, l, n));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: any u64 argument vector, for every method: no exception, invariants hold, Linux-shaped
// result. Values are biased to the edges that break page arithmetic.
// ---------------------------------------------------------------------------------------------

const EDGES = [0n, 1n, 0xfffn, PG, PG + 1n, 0x10000n, A, A + 4n * PG, 0x7ffff7ffd000n, TASK_SIZE - PG, TASK_SIZE,
  TASK_SIZE + 1n, 1n << 47n, 1n << 52n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, (1n << 63n) - PG, U64 - 4096n * 2n,
  U64 - PG, U64 - 4095n, U64 - 2n, MAX, 0xffffffffn, 1n << 32n, 2n ** 32n + 3n];
const u64Arb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }).map((n) => BigInt(n) * PG) },
);
const smallArb = fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, 4n, 8n, 0x10n, 0x22n, 0x21n, 0x32n, MAX, 1n << 32n), fc.bigInt({ min: 0n, max: 0x200000n }));
const ERRNOS = new Set<number>(Object.values(Errno));

describe('fuzz: arbitrary u64 arguments never throw and keep the invariants', () => {
  const methods: [string, number, (s: RawSyscalls, a: bigint[]) => number][] = [
    ['mmap', 6, (s, a) => s.mmap(a[0], a[1], a[2] & 0xfn, a[3], a[4], a[5])],
    ['mmap flags', 6, (s, a) => s.mmap(a[0], a[1], a[2], a[3], NOFD, a[5])],
    ['mmap2', 6, (s, a) => s.mmap2(a[0], a[1], a[2], a[3], a[4], a[5])],
    ['munmap', 2, (s, a) => s.munmap(a[0], a[1])],
    ['mprotect', 3, (s, a) => s.mprotect(a[0], a[1], a[2])],
    ['mremap', 5, (s, a) => s.mremap(a[0], a[1], a[2], a[3] & 7n, a[4])],
    ['brk', 1, (s, a) => s.brk(a[0])],
    ['madvise', 3, (s, a) => s.madvise(a[0], a[1], a[2])],
    ['msync', 3, (s, a) => s.msync(a[0], a[1], a[2])],
    ['mlock', 2, (s, a) => s.mlock(a[0], a[1])],
    ['mlock2', 3, (s, a) => s.mlock2(a[0], a[1], a[2])],
    ['munlock', 2, (s, a) => s.munlock(a[0], a[1])],
    ['mlockall', 1, (s, a) => s.mlockall(a[0])],
    ['mincore', 2, (s, a) => s.mincore(a[0], a[1], new Uint8Array(64))],
    ['mseal', 3, (s, a) => s.mseal(a[0], a[1], a[2])],
  ];
  for (const [name, n, call] of methods) {
    it(`${name}`, () => {
      const w = world();
      fc.assert(
        fc.property(fc.array(fc.oneof(u64Arb, smallArb), { minLength: n, maxLength: n }), (args) => {
          let r: number;
          try {
            r = call(w.s, args);
          } catch (e) {
            throw new Error(`${name}(${args.map((x) => '0x' + x.toString(16)).join(', ')}) threw ${String(e)}`);
          }
          w.t.checkInvariants();
          expect(Number.isSafeInteger(r)).toBe(true);
          if (name === 'brk') expect(r).toBe(w.t.mm.brk); // §4.4: the (new or old) break, never an errno
          else if (r < 0) expect(ERRNOS.has(-r)).toBe(true);
          else expect(r).toBeLessThanOrEqual(Number(TASK_SIZE));
        }),
        { seed: 0x5eed + n, numRuns: 300 },
      );
    });
  }
});

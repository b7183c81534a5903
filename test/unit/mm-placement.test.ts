/**
 * Address placement (get_unmapped_area) through mmap, mmap2 and mremap: top-down search, hints,
 * the stack guard gap, THP alignment, MAP_32BIT, the bottom-up fallback and the legacy layout.
 * Every expected address is derived from docs linux-mm.md §2; where an experiment of
 * spec/experiments verified the same request, its id is cited (e02:T1 = check T1 of
 * results/e02.td.out, e02L = results/e02.legacy.out).
 *
 * The experiments ran in a small C program under `setarch -R`: ld.so, the vdso and libc sat
 * below mmap_base. `libcState()` rebuilds that start state from the experiments' own output
 * (the final maps dump and the addresses they print) with MAP_FIXED stand-ins, so the recorded
 * addresses can be asserted verbatim:
 *
 *   0x7ffff7dd2000-0x7ffff7dd5000 rw-p   ld.so's TLS block (merges with the T10 mapping in the dump)
 *   0x7ffff7dd5000-0x7ffff7faa000 r--p   libc (its file segments, as one stand-in VMA)
 *   0x7ffff7faa000-0x7ffff7fb7000 rw-p   libc .bss; 9 free pages above (P1, P2, H4, H5, H8, G1, G2)
 *   0x7ffff7fc0000-0x7ffff7ff7000 r--p   TLS page, [vvar], [vdso], ld.so (stand-in; ends at the
 *                                         emulator's own [vvar], mmap_base 0x7ffff7fff000)
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';

const PG = 0x1000;
const KiB = 1024;
const MiB = 0x100000;
const GiB = 0x40000000;
const GUARD = MiB;
const NOFD = 0xffffffffffffffffn;
const RW = M.PROT_READ | M.PROT_WRITE;
const R = M.PROT_READ;
const PA = M.MAP_PRIVATE | M.MAP_ANONYMOUS;
const SA = M.MAP_SHARED | M.MAP_ANONYMOUS;
const MMAP_BASE = 0x7ffff7fff000;
const LEGACY_BASE = 0x2aaaaaaab000;
const ENOMEM = -Errno.ENOMEM;

interface Env { sys: System; t: Task }

function fresh(): Env {
  const sys = createSystem();
  const t = sys.task(0)!;
  return { sys, t };
}

function mmap(t: Task, addr: number, len: number, prot: number, flags: number, fd = NOFD, off = 0): number {
  const r = t.sys.mmap(BigInt(addr), BigInt(len), BigInt(prot), BigInt(flags), fd, BigInt(off));
  t.checkInvariants();
  return r;
}

function fixed(t: Task, addr: number, len: number, prot = R, flags = PA): void {
  expect(mmap(t, addr, len, prot, flags | M.MAP_FIXED)).toBe(addr);
}

function munmap(t: Task, addr: number, len: number): void {
  expect(t.sys.munmap(BigInt(addr), BigInt(len))).toBe(0);
  t.checkInvariants();
}

/** The experiments' start state (see the file comment). */
function libcState(): Env {
  const e = fresh();
  fixed(e.t, 0x7ffff7dd2000, 3 * PG, RW);
  fixed(e.t, 0x7ffff7dd5000, 0x7ffff7faa000 - 0x7ffff7dd5000, R);
  fixed(e.t, 0x7ffff7faa000, 0x7ffff7fb7000 - 0x7ffff7faa000, RW);
  fixed(e.t, 0x7ffff7fc0000, 0x7ffff7ff7000 - 0x7ffff7fc0000, R);
  return e;
}

/** The legacy experiment's start state (e02.legacy.out maps dump), with the layout switched. */
function legacyLibcState(): Env {
  const e = fresh();
  e.t.mm.topdown = false;
  fixed(e.t, LEGACY_BASE, 0x2aaaaaaea000 - LEGACY_BASE, R); // ld.so, [vvar], [vdso], 2 anon pages
  fixed(e.t, 0x2aaaaaaf3000, 0x2aaaaacc8000 - 0x2aaaaaaf3000, R); // libc; 9 free pages below it
  fixed(e.t, 0x2aaaaacc8000, 0x2aaaaacd8000 - 0x2aaaaacc8000, RW); // libc .bss, TLS
  return e;
}

/** An ext4 file (the scratch directory's file system) of `size` bytes, O_RDWR. */
function ext4File(e: Env, name: string, size: number): bigint {
  const fd = e.t.sys.openat(name, BigInt(M.O_RDWR | M.O_CREAT), 0o644n);
  expect(e.t.sys.ftruncate(BigInt(fd), BigInt(size))).toBe(0);
  return BigInt(fd);
}

/** A tmpfs file (like /dev/shm): shmem placement. */
function tmpfsFile(e: Env, name: string, size: number): bigint {
  const prev = e.sys.fs.scratchFs;
  e.sys.fs.scratchFs = 'tmpfs';
  const fd = e.t.sys.openat(name, BigInt(M.O_RDWR | M.O_CREAT), 0o644n);
  e.sys.fs.scratchFs = prev;
  expect(e.t.sys.ftruncate(BigInt(fd), BigInt(size))).toBe(0);
  return BigInt(fd);
}

/**
 * Map PROT_NONE|MAP_NORESERVE over every gap of [lo, hi) (not accounted, so any size works),
 * leaving the listed holes [start, end) free.
 */
function fill(t: Task, lo: number, hi: number, holes: [number, number][] = []): void {
  const vmas = t.mm.vmas().filter((v) => v.end > lo && v.start < hi);
  let cur = lo;
  const gaps: [number, number][] = [];
  for (const v of vmas) {
    if (v.start > cur) gaps.push([cur, v.start]);
    cur = Math.max(cur, v.end);
  }
  if (cur < hi) gaps.push([cur, hi]);
  for (const [s, e] of gaps) fixed(t, s, e - s, M.PROT_NONE, PA | M.MAP_NORESERVE);
  for (const [s, e] of holes) munmap(t, s, e - s);
}

describe('§2.3/§2.4/§2.6 top-down: the e02 request sequence in the experiment\'s start state', () => {
  it('e02:P1–T11, F1–F7, H1–H8, G1–G4 give the recorded addresses in order', () => {
    const e = libcState();
    const t = e.t;
    // P1/P2: the top of the highest gap below mmap_base (§2.4 step 3).
    expect(mmap(t, 0, PG, RW, PA)).toBe(0x7ffff7fbf000); // e02:P1
    expect(mmap(t, 0, 3 * PG, RW, PA)).toBe(0x7ffff7fbc000); // e02:P2
    // THP anon (§2.6): search L+2MiB, then r+2MiB if r is aligned, else round r up.
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff7a00000); // e02:T1 r=0x7ffff79d5000 → round up
    expect(mmap(t, 0, 4 * MiB, RW, PA)).toBe(0x7ffff7600000); // e02:T2 r=0x7ffff7400000 aligned → +2MiB
    expect(mmap(t, 0, 3 * MiB, RW, PA)).toBe(0x7ffff7300000); // e02:T3 not a multiple: plain
    expect(mmap(t, 0, 2 * MiB + PG, RW, PA)).toBe(0x7ffff70ff000); // e02:T4 plain
    expect(mmap(t, 0, 2 * MiB, M.PROT_NONE, PA)).toBe(0x7ffff6e00000); // e02:T5 PROT_NONE still aligned
    expect(mmap(t, 0, 2 * MiB, RW, PA | M.MAP_NORESERVE)).toBe(0x7ffff6c00000); // e02:T6
    expect(mmap(t, 0, 2 * MiB, RW, PA | M.MAP_STACK)).toBe(0x7ffff6a00000); // e02:T7
    expect(mmap(t, 0, 6 * MiB, RW, PA)).toBe(0x7ffff6400000); // e02:T8
    expect(mmap(t, 0, 2 * MiB, RW, SA)).toBe(0x7ffff6200000); // e02:T9 shared anon: shmem, plain
    const a = mmap(t, 0, 64 * PG, RW, PA);
    expect(a).toBe(0x7ffff7d92000); // below the TLS block (merges with it, as in the dump)
    expect(mmap(t, a - 1024 * PG, 2 * MiB, RW, PA)).toBe(0x7ffff6000000); // e02:T10 hinted: no THP
    expect(mmap(t, a, 2 * MiB, RW, PA)).toBe(0x7ffff5e00000); // e02:T11 occupied hint: plain search
    // Files on ext4 (§2.6 second part) and tmpfs (§2.7).
    const fd = ext4File(e, 'e02.dat', 64 * MiB);
    const sfd = tmpfsFile(e, 'shm.dat', 64 * MiB);
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, fd, 0)).toBe(0x7ffff5a00000); // e02:F1
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, fd, PG)).toBe(0x7ffff5401000); // e02:F2 ≡ 4 KiB mod 2 MiB
    expect(mmap(t, 0, 2 * MiB, R, M.MAP_SHARED, fd, PG)).toBe(0x7ffff5201000); // e02:F3 no whole PMD: plain
    expect(mmap(t, 0, 3 * MiB, R, M.MAP_PRIVATE, fd, MiB)).toBe(0x7ffff4f00000); // e02:F4 ≡ 1 MiB
    expect(mmap(t, 0, MiB, R, M.MAP_SHARED, fd, 0)).toBe(0x7ffff7c92000); // e02:F5 too short: plain
    expect(mmap(t, 0, 2 * MiB, RW, M.MAP_PRIVATE, fd, 0)).toBe(0x7ffff4c00000); // e02:F6
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, sfd, 0)).toBe(0x7ffff4800000); // e02:F7 tmpfs: plain
    // Hints (§2.3 step 3).
    const h = mmap(t, 0, 16 * PG, RW, PA);
    expect(h).toBe(0x7ffff7c82000);
    munmap(t, h + 4 * PG, 8 * PG);
    expect(mmap(t, h + 4 * PG, 8 * PG, RW, PA)).toBe(0x7ffff7c86000); // e02:H1 exact fit
    munmap(t, h + 4 * PG, 8 * PG);
    expect(mmap(t, h + 4 * PG, 9 * PG, RW, PA)).toBe(0x7ffff7c79000); // e02:H2 overlaps: search
    expect(mmap(t, h + 4 * PG + 123, 2 * PG, RW, PA)).toBe(0x7ffff7c86000); // e02:H3 rounded down
    expect(mmap(t, 2 ** 47, PG, RW, PA)).toBe(0x7ffff7fbb000); // e02:H4 ≥ 2^47: ignored
    expect(mmap(t, 2 ** 52, PG, RW, PA)).toBe(0x7ffff7fba000); // e02:H5
    expect(mmap(t, 0x20000, PG, RW, PA)).toBe(0x20000); // e02:H6 low free hint honoured
    expect(mmap(t, MMAP_BASE + 16 * MiB, PG, RW, PA)).toBe(0x7ffff8fff000); // e02:H7 above mmap_base
    expect(mmap(t, 0x7fffffffe000, PG, RW, PA)).toBe(0x7ffff7fb9000); // e02:H8 in [stack]: ignored
    // A MAP_GROWSDOWN neighbour (§2.3 start_gap).
    const g = mmap(t, 0, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    expect(g).toBe(0x7ffff7c69000); // e02 INFO "growsdown vma at 0x7ffff7c69000"
    expect(mmap(t, 0, PG, RW, PA)).toBe(0x7ffff7fb8000); // e02:G1
    expect(mmap(t, g - 2 * PG, PG, RW, PA)).toBe(0x7ffff7fb7000); // e02:G2 inside the guard: rejected
    // e02:G3 (g - 1 MiB - 1 page lies inside T1's mapping in this state: rejected, then search)
    expect(mmap(t, g - GUARD - PG, PG, RW, PA)).toBe(0x7ffff7c8d000);
    expect(mmap(t, g - PG, PG, RW, PA | M.MAP_FIXED_NOREPLACE)).toBe(0x7ffff7c68000); // e02:G4 no gap check
  });

  it('e16:TN1 the first 2 MiB anon is padded and aligned (→ 0x7ffff7a00000)', () => {
    expect(mmap(libcState().t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff7a00000);
  });

  it('e12:TX1/TX1b 1 GiB anon: padded by 2 MiB only → 2 MiB-aligned, not 1 GiB-aligned', () => {
    const r = mmap(libcState().t, 0, GiB, RW, PA | M.MAP_NORESERVE);
    expect(r).toBe(0x7fffb7c00000);
    expect(r % (2 * MiB)).toBe(0);
    expect(r % GiB).not.toBe(0);
  });

  it('e13:FH1/FH2 ext4 file hints: room for L only → ignored and aligned; room for L+2 MiB → exact', () => {
    const e = libcState();
    const t = e.t;
    const fd = ext4File(e, 'e13.dat', 16 * MiB);
    const a = mmap(t, 0, 16 * MiB, M.PROT_NONE, PA);
    const hole = a + 4 * MiB;
    munmap(t, hole, 4 * MiB + PG);
    const r = mmap(t, hole, 4 * MiB, R, M.MAP_SHARED, fd, 0);
    expect(r).toBe(0x7ffff6800000); // e13:FH1
    expect(r).not.toBe(hole); // e13:FH1b
    munmap(t, r, 4 * MiB);
    const b = mmap(t, 0, 32 * MiB, M.PROT_NONE, PA);
    const hole2 = b + 4 * MiB + PG;
    munmap(t, b + 4 * MiB, 16 * MiB);
    expect(mmap(t, hole2, 4 * MiB, R, M.MAP_SHARED, fd, 0)).toBe(0x7ffff5001000); // e13:FH2 = hint
  });
});

describe('§2.3/§2.4 top-down search on the emulator\'s own start state', () => {
  // Highest gap below mmap_base: [0x515000, 0x7ffff7ff7000) — [vvar] starts at 0x7ffff7ff7000.
  const TOP = 0x7ffff7ff7000;

  it('§2.4 consecutive requests are stacked downwards from the top of the highest gap (e02:P1/P2)', () => {
    const { t } = fresh();
    expect(mmap(t, 0, PG, RW, PA)).toBe(TOP - PG);
    expect(mmap(t, 0, 3 * PG, R, PA)).toBe(TOP - 4 * PG);
    expect(mmap(t, 0, 5 * PG, RW, SA)).toBe(TOP - 9 * PG);
  });

  it('§2.4 a freed hole is reused when it is the highest fit, skipped when too small', () => {
    const { t } = fresh();
    const a = mmap(t, 0, 16 * PG, RW, PA);
    munmap(t, a + 4 * PG, 4 * PG); // hole of 4 pages under 4 mapped pages
    expect(mmap(t, 0, 5 * PG, RW, PA)).toBe(a - 5 * PG); // too big for the hole
    expect(mmap(t, 0, 4 * PG, RW, PA)).toBe(a + 4 * PG); // fits: highest gap wins
  });

  it('§1.2 step 8 / e01:M3 hint 0x1000 is raised to MMAP_MIN 0x10000 and honoured', () => {
    expect(mmap(fresh().t, 0x1000, PG, RW, PA)).toBe(0x10000);
  });

  it('§1.2 step 8 / e01:M2 hint 0x800 rounds down to 0: no hint at all', () => {
    expect(mmap(fresh().t, 0x800, PG, RW, PA)).toBe(TOP - PG);
  });

  it('§2.3 the VMA below a hint is not checked: a hint right after a mapping is honoured', () => {
    const { t } = fresh();
    fixed(t, 0x10000000, 4 * PG, RW);
    expect(mmap(t, 0x10000000 + 4 * PG, PG, R, PA)).toBe(0x10000000 + 4 * PG);
  });

  it('§2.3 a hint ending exactly at the next VMA is honoured; one page more falls to the search', () => {
    const { t } = fresh();
    fixed(t, 0x10000000, 4 * PG, RW);
    expect(mmap(t, 0x10000000 - 2 * PG, 2 * PG, R, PA)).toBe(0x10000000 - 2 * PG);
    // [B − 3 pages, B − 1 page) overlaps the page just mapped at B − 2 pages: search.
    expect(mmap(t, 0x10000000 - 3 * PG, 2 * PG, R, PA)).toBe(TOP - 2 * PG);
  });

  it('§2.3/§2.9 hint validity: addr ≤ TASK_SIZE − L; hints at or above 2^47 are ignored (e02:H4/H5)', () => {
    const { t } = fresh();
    expect(mmap(t, 2 ** 47, PG, RW, PA)).toBe(TOP - PG);
    expect(mmap(t, 2 ** 47 - PG, PG, RW, PA)).toBe(TOP - 2 * PG); // inside [stack]'s guard/[stack]
    expect(mmap(t, MMAP_BASE + 16 * MiB, PG, RW, PA)).toBe(MMAP_BASE + 16 * MiB); // e02:H7
  });

  it('§2.3 G2/G3 against the real [stack] (growsdown at 0x7ffffffde000): the hint must end ≤ start − 1 MiB', () => {
    const { t } = fresh();
    const gap = 0x7ffffffde000 - GUARD;
    expect(mmap(t, gap - PG, PG, RW, PA)).toBe(gap - PG); // ends exactly at start_gap: accepted
    expect(mmap(t, gap, PG, RW, PA)).toBe(TOP - PG); // one page into the guard: rejected
  });

  it('§2.4 step 2 / e02:G5b the only room is under a growsdown VMA → start − 1 MiB − L', () => {
    const { t } = fresh();
    const G = 0x300000000;
    fill(t, 0x10000, MMAP_BASE, [[G - 64 * MiB, G]]);
    fixed(t, G, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    expect(mmap(t, 0, PG, RW, PA)).toBe(G - GUARD - PG);
    expect(mmap(t, 0, 4 * PG, RW, PA)).toBe(G - GUARD - 5 * PG);
  });

  it('§2.4 step 2 / e02:G6 a gap under a growsdown VMA shorter than guard + L is skipped for a lower one', () => {
    const { t } = fresh();
    const G = 0x300000000;
    const LOW = 0x200000000;
    fill(t, 0x10000, MMAP_BASE, [[G - GUARD - 32 * PG, G + 16 * PG], [LOW, LOW + 64 * PG]]);
    fixed(t, G, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    // 32 pages fit exactly below the guard; 33 do not, so the lower 64-page hole is used.
    expect(mmap(t, 0, 33 * PG, RW, PA)).toBe(LOW + 31 * PG);
    expect(mmap(t, 0, 32 * PG, RW, PA)).toBe(G - GUARD - 32 * PG);
  });

  it('§2.3 step 1 / e02:G4 MAP_FIXED and MAP_FIXED_NOREPLACE skip the guard-gap check', () => {
    const { t } = fresh();
    const G = 0x300000000;
    fixed(t, G, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    expect(mmap(t, G - PG, PG, RW, PA | M.MAP_FIXED_NOREPLACE)).toBe(G - PG);
    expect(mmap(t, G - 2 * PG, PG, RW, PA | M.MAP_FIXED)).toBe(G - 2 * PG);
  });

  it('§1.2 step 12 / e01:B1,B2b MAP_FIXED below vm.mmap_min_addr (4096) → EPERM; at 0x1000 → ok', () => {
    const { t } = fresh();
    expect(mmap(t, 0, PG, RW, PA | M.MAP_FIXED)).toBe(-Errno.EPERM);
    expect(mmap(t, 0x1000, PG, RW, PA | M.MAP_FIXED)).toBe(0x1000);
  });

  it('§2.3 step 4 / e02:B6 MAP_ABOVE4G: the search floor is 4 GiB', () => {
    const { t } = fresh();
    // Everything above 4 GiB below mmap_base is taken except nothing: plain top-down still applies.
    expect(mmap(t, 0, PG, RW, PA | M.MAP_ABOVE4G)).toBe(TOP - PG);
    fill(t, 0x100000000, MMAP_BASE);
    expect(mmap(t, 0, PG, RW, PA)).toBe(0x100000000 - PG); // below 4 GiB without the flag
    // With it: no room in [4 GiB, mmap_base) → the bottom-up fallback above mmap_base (§2.3 step 5).
    expect(mmap(t, 0, PG, RW, PA | M.MAP_ABOVE4G)).toBe(MMAP_BASE);
  });
});

describe('§2.6 THP alignment of private anonymous mappings (emulator start state)', () => {
  const TOP = 0x7ffff7ff7000;

  it('e02:T1 rule: 2 MiB → padded 4 MiB search, r not aligned → rounded up', () => {
    const { t } = fresh();
    // r = TOP − 4 MiB = 0x7ffff7bf7000 → round up to 0x7ffff7c00000
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff7c00000);
  });

  it('e02:T2 rule: r already aligned → r + 2 MiB (the highest aligned start in the padded area)', () => {
    const { t } = fresh();
    mmap(t, 0, 2 * MiB, RW, PA); // [0x7ffff7c00000, 0x7ffff7e00000)
    // the gap above it (0x1f7000) is too small; r = 0x7ffff7c00000 − 4 MiB = 0x7ffff7800000
    expect(mmap(t, 0, 2 * MiB, R, PA)).toBe(0x7ffff7a00000);
  });

  it('e02:T3/T4 rule: lengths that are not multiples of 2 MiB are not aligned', () => {
    const { t } = fresh();
    expect(mmap(t, 0, 3 * MiB, RW, PA)).toBe(TOP - 3 * MiB);
    expect(mmap(t, 0, 2 * MiB + PG, RW, PA)).toBe(TOP - 5 * MiB - PG);
  });

  it('e02:T5–T7 rule: PROT_NONE, MAP_NORESERVE and MAP_STACK are still aligned', () => {
    for (const [prot, flags] of [[M.PROT_NONE, PA], [RW, PA | M.MAP_NORESERVE], [RW, PA | M.MAP_STACK]]) {
      expect(mmap(fresh().t, 0, 2 * MiB, prot, flags)).toBe(0x7ffff7c00000);
    }
  });

  it('e02:T9 rule: shared anonymous 2 MiB is shmem placement: plain, not aligned', () => {
    expect(mmap(fresh().t, 0, 2 * MiB, RW, SA)).toBe(TOP - 2 * MiB);
  });

  it('e02:T10/T11 rule: with a hint there is no THP path (free hint exact, busy hint → plain search)', () => {
    const { t } = fresh();
    expect(mmap(t, 0x10001000, 2 * MiB, RW, PA)).toBe(0x10001000);
    expect(mmap(t, 0x10001000, 2 * MiB, RW, PA)).toBe(TOP - 2 * MiB);
  });

  it('§2.6 the padded request may pick a different gap than an unpadded one', () => {
    const { t } = fresh();
    // Topmost gap: exactly 2 MiB + 1 page (too small for 4 MiB padding).
    fixed(t, TOP - 16 * MiB, 16 * MiB - 2 * MiB - PG, M.PROT_NONE, PA | M.MAP_NORESERVE);
    expect(mmap(t, 0, 2 * MiB + PG, RW, PA)).toBe(TOP - 2 * MiB - PG); // unpadded: the top gap
    munmap(t, TOP - 2 * MiB - PG, 2 * MiB + PG);
    // 2 MiB: padded search skips the top gap; r = TOP − 16 MiB − 4 MiB = 0x7ffff6bf7000 → round up
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff6c00000);
  });

  it('§2.6 the padded request also takes the bottom-up fallback (§2.3 step 5) before giving up', () => {
    const { t } = fresh();
    // One unaligned 2 MiB hole below mmap_base: too small for 4 MiB, so the padded top-down
    // search fails and falls back bottom-up, which finds room above mmap_base: r = 0x7ffff7fff000.
    const H = 0x500001000;
    fill(t, 0x10000, TOP, [[H, H + 2 * MiB]]);
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff8000000);
  });

  it('§2.6 step 2 when the padded search fails everywhere the unpadded one is used (no alignment)', () => {
    const { t } = fresh();
    const H = 0x500001000;
    fill(t, 0x10000, 0x7ffffffde000 - GUARD, [[H, H + 2 * MiB]]);
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(H);
  });

  it('e12:TX2/TX3 compat mmap2 never aligns; placements stack down from 0xf7ffe000', () => {
    const { t } = fresh();
    const a = t.sys.mmap2(0n, BigInt(2 * MiB), BigInt(RW), BigInt(PA), NOFD, 0n);
    const b = t.sys.mmap2(0n, BigInt(2 * MiB), BigInt(RW), BigInt(PA), NOFD, 0n);
    t.checkInvariants();
    expect(a).toBe(0xf7dfe000); // e12 INFO: 0xf7dfe000
    expect(b).toBe(0xf7bfe000); // e12 INFO: 0xf7bfe000
  });

  it('e01:C1/C2 mmap2 pgoff is in pages: file offset 0x3000, result below 4 GiB', () => {
    const e = fresh();
    const fd = ext4File(e, 'c.dat', 16 * PG);
    const a = e.t.sys.mmap2(0n, BigInt(PG), BigInt(R), BigInt(M.MAP_SHARED), fd, 3n);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(2 ** 32);
    const line = e.t.proc.maps().find((l) => l.startsWith(a.toString(16).padStart(8, '0')))!;
    expect(line.split(' ')[2]).toBe('00003000');
  });
});

describe('§2.5 MAP_32BIT: bottom-up in [1 GiB, 2 GiB)', () => {
  it('e02:B1–B5 first page at 1 GiB, next above it, 2 MiB THP-aligned, low hint honoured, too big → ENOMEM', () => {
    const { t } = libcState();
    expect(mmap(t, 0, PG, RW, PA | M.MAP_32BIT)).toBe(0x40000000); // B1
    expect(mmap(t, 0, 3 * PG, RW, PA | M.MAP_32BIT)).toBe(0x40001000); // B2
    expect(mmap(t, 0, 2 * MiB, RW, PA | M.MAP_32BIT)).toBe(0x40200000); // B3 r=0x40004000 → round up
    expect(mmap(t, 0x30000000, PG, RW, PA | M.MAP_32BIT)).toBe(0x30000000); // B4 no lower bound on hints
    expect(mmap(t, 0, GiB + PG, M.PROT_NONE, PA | M.MAP_32BIT | M.MAP_NORESERVE)).toBe(ENOMEM); // B5
  });

  it('§2.6 step 3 top-down mm: an aligned padded r gives r + 2 MiB even for MAP_32BIT', () => {
    // Empty window: r = 0x40000000 (aligned) → 0x40200000 on a top-down mm …
    expect(mmap(fresh().t, 0, 2 * MiB, RW, PA | M.MAP_32BIT)).toBe(0x40200000);
    // … but r rounded up (= r) on a bottom-up mm.
    const l = fresh();
    l.t.mm.topdown = false;
    expect(mmap(l.t, 0, 2 * MiB, RW, PA | M.MAP_32BIT)).toBe(0x40000000);
  });

  it('§2.5 MAP_32BIT does not fall back outside the window; a window filled up → ENOMEM', () => {
    const { t } = fresh();
    fixed(t, 0x40000000, GiB - PG, M.PROT_NONE, PA | M.MAP_NORESERVE);
    expect(mmap(t, 0, PG, RW, PA | M.MAP_32BIT)).toBe(0x7ffff000);
    expect(mmap(t, 0, PG, RW, PA | M.MAP_32BIT)).toBe(ENOMEM);
  });

  it('§2.5 bottom-up search skips a gap whose candidate would reach into a growsdown guard', () => {
    const { t } = fresh();
    // [1 GiB, 1 GiB + 1 MiB + 4 pages) free, then a growsdown VMA.
    fixed(t, 0x40000000 + GUARD + 4 * PG, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    expect(mmap(t, 0, 4 * PG, RW, PA | M.MAP_32BIT)).toBe(0x40000000); // ends at start_gap: fits
    expect(mmap(t, 0, PG, RW, PA | M.MAP_32BIT)).toBe(0x40000000 + GUARD + 20 * PG); // retry above it
  });
});

describe('§2.3 step 5 fallback to bottom-up when the space below mmap_base is full', () => {
  function fullBelowBase(): Task {
    const { t } = fresh();
    fill(t, 0x10000, MMAP_BASE);
    return t;
  }
  const STACK_GAP = 0x7ffffffde000 - GUARD; // start_gap([stack])

  it('e02:X1/X2 → bottom-up from the legacy base finds the gap above mmap_base', () => {
    const t = fullBelowBase();
    expect(mmap(t, 0, PG, RW, PA)).toBe(MMAP_BASE); // X1
    expect(mmap(t, 0, PG, R, PA)).toBe(MMAP_BASE + PG); // X2
  });

  it('e02:X4 2 MiB in the fallback: padded bottom-up, rounded up', () => {
    const t = fullBelowBase();
    mmap(t, 0, PG, RW, PA);
    mmap(t, 0, PG, R, PA);
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x7ffff8200000);
  });

  it('e02:X3 too big for the space under the stack guard → ENOMEM; exactly that size fits', () => {
    const t = fullBelowBase();
    const room = STACK_GAP - MMAP_BASE;
    expect(mmap(t, 0, room + PG, M.PROT_NONE, PA | M.MAP_NORESERVE)).toBe(ENOMEM);
    expect(mmap(t, 0, room, M.PROT_NONE, PA | M.MAP_NORESERVE)).toBe(MMAP_BASE);
  });

  it('§2.3 step 5 the fallback keeps a valid hint: bottom-up accepts it (above mmap_base)', () => {
    const t = fullBelowBase();
    expect(mmap(t, MMAP_BASE + 64 * PG, PG, RW, PA)).toBe(MMAP_BASE + 64 * PG);
  });

  it('§2.10 mremap MAYMOVE uses the same placement: the move lands above mmap_base', () => {
    const { t } = fresh();
    fixed(t, 0x10000000, 2 * PG, RW);
    fixed(t, 0x10000000 + 2 * PG, PG, R);
    fill(t, 0x10000, MMAP_BASE);
    const r = t.sys.mremap(0x10000000n, BigInt(2 * PG), BigInt(4 * PG), BigInt(M.MREMAP_MAYMOVE), 0n);
    t.checkInvariants();
    expect(r).toBe(MMAP_BASE);
  });
});

describe('§2.5 legacy (bottom-up) layout: t.mm.topdown = false', () => {
  it('e02L:P1–T11, F1–F7, H1–H8, G1–G4 give the recorded addresses in the legacy start state', () => {
    const e = legacyLibcState();
    const t = e.t;
    expect(mmap(t, 0, PG, RW, PA)).toBe(0x2aaaaaaea000); // e02L:P1
    expect(mmap(t, 0, 3 * PG, RW, PA)).toBe(0x2aaaaaaeb000); // e02L:P2
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x2aaaaae00000); // e02L:T1 r rounded up
    expect(mmap(t, 0, 4 * MiB, RW, PA)).toBe(0x2aaaab000000); // e02L:T2
    expect(mmap(t, 0, 3 * MiB, RW, PA)).toBe(0x2aaaab400000); // e02L:T3
    expect(mmap(t, 0, 2 * MiB + PG, RW, PA)).toBe(0x2aaaab700000); // e02L:T4
    expect(mmap(t, 0, 2 * MiB, M.PROT_NONE, PA)).toBe(0x2aaaaba00000); // e02L:T5
    expect(mmap(t, 0, 2 * MiB, RW, PA | M.MAP_NORESERVE)).toBe(0x2aaaabc00000); // e02L:T6
    expect(mmap(t, 0, 2 * MiB, RW, PA | M.MAP_STACK)).toBe(0x2aaaabe00000); // e02L:T7
    expect(mmap(t, 0, 6 * MiB, RW, PA)).toBe(0x2aaaac000000); // e02L:T8
    expect(mmap(t, 0, 2 * MiB, RW, SA)).toBe(0x2aaaac600000); // e02L:T9
    const a = mmap(t, 0, 64 * PG, RW, PA);
    expect(a).toBe(0x2aaaaacd8000);
    expect(mmap(t, a - 1024 * PG, 2 * MiB, RW, PA)).toBe(0x2aaaac800000); // e02L:T10
    expect(mmap(t, a, 2 * MiB, RW, PA)).toBe(0x2aaaaca00000); // e02L:T11
    const fd = ext4File(e, 'e02.dat', 64 * MiB);
    const sfd = tmpfsFile(e, 'shm.dat', 64 * MiB);
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, fd, 0)).toBe(0x2aaaacc00000); // e02L:F1
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, fd, PG)).toBe(0x2aaaad001000); // e02L:F2
    expect(mmap(t, 0, 2 * MiB, R, M.MAP_SHARED, fd, PG)).toBe(0x2aaaad401000); // e02L:F3
    expect(mmap(t, 0, 3 * MiB, R, M.MAP_PRIVATE, fd, MiB)).toBe(0x2aaaad700000); // e02L:F4
    expect(mmap(t, 0, MiB, R, M.MAP_SHARED, fd, 0)).toBe(0x2aaaada00000); // e02L:F5
    expect(mmap(t, 0, 2 * MiB, RW, M.MAP_PRIVATE, fd, 0)).toBe(0x2aaaadc00000); // e02L:F6
    expect(mmap(t, 0, 4 * MiB, R, M.MAP_SHARED, sfd, 0)).toBe(0x2aaaade00000); // e02L:F7
    const h = mmap(t, 0, 16 * PG, RW, PA);
    expect(h).toBe(0x2aaaaad18000);
    munmap(t, h + 4 * PG, 8 * PG);
    expect(mmap(t, h + 4 * PG, 8 * PG, RW, PA)).toBe(0x2aaaaad1c000); // e02L:H1
    munmap(t, h + 4 * PG, 8 * PG);
    expect(mmap(t, h + 4 * PG, 9 * PG, RW, PA)).toBe(0x2aaaaad28000); // e02L:H2
    expect(mmap(t, h + 4 * PG + 123, 2 * PG, RW, PA)).toBe(0x2aaaaad1c000); // e02L:H3
    expect(mmap(t, 2 ** 47, PG, RW, PA)).toBe(0x2aaaaaaee000); // e02L:H4
    expect(mmap(t, 2 ** 52, PG, RW, PA)).toBe(0x2aaaaaaef000); // e02L:H5
    expect(mmap(t, 0x20000, PG, RW, PA)).toBe(0x20000); // e02L:H6
    expect(mmap(t, MMAP_BASE + 16 * MiB, PG, RW, PA)).toBe(0x7ffff8fff000); // e02L:H7
    expect(mmap(t, 0x7fffffffe000, PG, RW, PA)).toBe(0x2aaaaaaf0000); // e02L:H8
    const g = mmap(t, 0, 16 * PG, RW, PA | M.MAP_GROWSDOWN);
    expect(g).toBe(0x2aaaaad31000); // e02L INFO
    expect(mmap(t, 0, PG, RW, PA)).toBe(0x2aaaaaaf1000); // e02L:G1
    expect(mmap(t, g - 2 * PG, PG, RW, PA)).toBe(0x2aaaaaaf2000); // e02L:G2
    expect(mmap(t, g - GUARD - PG, PG, RW, PA)).toBe(0x2aaaaad1e000); // e02L:G3
    expect(mmap(t, g - PG, PG, RW, PA | M.MAP_FIXED_NOREPLACE)).toBe(-Errno.EEXIST); // e02L:G4
  });

  it('§2.5 on an empty legacy window: first page at the legacy base, 2 MiB rounded up', () => {
    const { t } = fresh();
    t.mm.topdown = false;
    expect(mmap(t, 0, PG, RW, PA)).toBe(LEGACY_BASE);
    expect(mmap(t, 0, 2 * MiB, RW, PA)).toBe(0x2aaaaac00000); // r = 0x2aaaaaaac000 → round up
    expect(mmap(t, 0, 3 * PG, RW, PA)).toBe(LEGACY_BASE + PG);
  });

  it('§2.5 legacy bottom-up with a low hint: honoured when free (no lower bound)', () => {
    const { t } = fresh();
    t.mm.topdown = false;
    expect(mmap(t, 0x10000000, PG, RW, PA)).toBe(0x10000000);
  });
});

describe('§2.3 step 1 / §1.2 step 12 length limits', () => {
  it('e01:A26 L > TASK_SIZE → ENOMEM; e01:A28 MAP_FIXED past TASK_SIZE → ENOMEM', () => {
    const { t } = fresh();
    expect(mmap(t, 0, 2 ** 47, R, PA | M.MAP_NORESERVE)).toBe(ENOMEM);
    expect(mmap(t, 0x7ffffff00000, 2 * MiB, R, PA | M.MAP_FIXED)).toBe(ENOMEM);
  });

  it('§2.4 a request larger than every gap → ENOMEM even after the fallback', () => {
    const { t } = fresh();
    // Gaps: [0x515000, 0x7ffff7ff7000) (≈ 0x7ffff7ae2000) and the one above mmap_base.
    expect(mmap(t, 0, 0x7ffff7b00000, R, PA | M.MAP_NORESERVE)).toBe(ENOMEM);
    expect(mmap(t, 0, 0x7ffff7ae2000, R, PA | M.MAP_NORESERVE)).toBe(0x515000);
  });

  it('§2.2 unhinted private anon of 512 KiB takes the plain top-down path (no THP padding)', () => {
    const { t } = fresh();
    expect(mmap(t, 0, 512 * KiB, RW, PA)).toBe(0x7ffff7ff7000 - 512 * KiB);
  });
});

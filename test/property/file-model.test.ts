/**
 * Model-based test of the file layer: random sequences of pwrite, ftruncate, stores through
 * MAP_SHARED mappings, private-mapping stores, unlink and re-create, close and re-open, and fork,
 * over three scratch files, against a byte-level model of each file's contents (fixed seed,
 * STYLE §1.3.5).
 *
 * What is checked after every step: every file's bytes through pread equal the model; through
 * each live MAP_SHARED mapping, each page inside EOF reads the model's bytes and each page wholly
 * past EOF raises SIGBUS; a MAP_PRIVATE page never stored to follows the file, a stored one keeps
 * its own bytes; checkInvariants() on every live task (page cache ↔ PTE agreement included) and
 * system.checkFrames(). At the end everything is closed, unmapped and unlinked, and the frame
 * pool must be back where it started.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as M from '../../src/abi/mman.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';

const PG = 4096;
const MAP_PAGES = 4;
const NAMES = ['a', 'b', 'c'];

type Step =
  | { k: 'pwrite'; f: number; off: number; len: number; byte: number }
  | { k: 'truncate'; f: number; len: number }
  | { k: 'storeShared'; f: number; off: number; byte: number }
  | { k: 'storePrivate'; f: number; page: number; byte: number }
  | { k: 'recreate'; f: number }
  | { k: 'reopen'; f: number }
  | { k: 'fork' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('pwrite' as const), f: fc.nat(2), off: fc.nat(MAP_PAGES * PG + 100), len: fc.integer({ min: 1, max: 5000 }), byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('truncate' as const), f: fc.nat(2), len: fc.oneof(fc.nat(MAP_PAGES * PG + 2000), fc.constantFrom(0, PG, 2 * PG)) }),
  fc.record({ k: fc.constant('storeShared' as const), f: fc.nat(2), off: fc.nat(MAP_PAGES * PG - 1), byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('storePrivate' as const), f: fc.nat(2), page: fc.nat(MAP_PAGES - 1), byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('recreate' as const), f: fc.nat(2) }),
  fc.record({ k: fc.constant('reopen' as const), f: fc.nat(2) }),
  fc.record({ k: fc.constant('fork' as const) }),
);

/** One file as the test sees it: the model's bytes and the mappings of its current inode. */
interface FileState {
  fd: number;
  bytes: Uint8Array;
  size: number;
  shared: number;
  priv: number;
  /** Private pages stored to, with their bytes. */
  privPages: Map<number, Uint8Array>;
}

function sysCheck(s: System): void {
  for (const t of s.tasks()) t.checkInvariants();
  s.checkFrames();
}

function openFile(t: Task, name: string, flags: number): number {
  const fd = t.sys.openat(name, BigInt(flags), 0o644n);
  expect(fd).toBeGreaterThan(2);
  return fd;
}

function mapFile(t: Task, fd: number, flags: number): number {
  const a = t.fast.mmap(0, MAP_PAGES * PG, M.PROT_READ | M.PROT_WRITE, flags, fd, 0);
  expect(a).toBeGreaterThan(0);
  return a;
}

function fresh(t: Task, name: string): FileState {
  const fd = openFile(t, name, M.O_RDWR | M.O_CREAT | M.O_TRUNC);
  return {
    fd, bytes: new Uint8Array(MAP_PAGES * PG * 4), size: 0,
    shared: mapFile(t, fd, M.MAP_SHARED), priv: mapFile(t, fd, M.MAP_PRIVATE), privPages: new Map(),
  };
}

function verify(t: Task, f: FileState, where: string): void {
  const got = new Uint8Array(f.size);
  expect(t.sys.preadBuffer(BigInt(f.fd), got, 0n), `${where}: pread size`).toBe(f.size);
  expect(Buffer.from(got).equals(Buffer.from(f.bytes.subarray(0, f.size))), `${where}: pread bytes`).toBe(true);
  for (let p = 0; p < MAP_PAGES; p++) {
    const inside = p * PG < f.size;
    const n = Math.min(PG, f.size - p * PG);
    if (!inside) {
      expect(() => t.mem.load8(f.shared + p * PG), `${where}: shared page ${p} past EOF`).toThrow(GuestFault);
      continue;
    }
    const view = t.mem.read(f.shared + p * PG, n);
    expect(Buffer.from(view).equals(Buffer.from(f.bytes.subarray(p * PG, p * PG + n))), `${where}: shared page ${p}`).toBe(true);
    const mine = f.privPages.get(p);
    const pv = t.mem.read(f.priv + p * PG, n);
    const want = mine ?? f.bytes.subarray(p * PG, p * PG + n);
    expect(Buffer.from(pv).equals(Buffer.from(want.subarray(0, n))), `${where}: private page ${p}`).toBe(true);
  }
}

function run(steps: Step[]): void {
  const s = createSystem();
  const t = s.task(0)!;
  const base = s.mmSystem.frames.inUse;
  const files = NAMES.map((n) => fresh(t, n));
  steps.forEach((st, i) => {
    const where = `step ${i} ${JSON.stringify(st)}`;
    const f = 'f' in st ? files[st.f] : undefined;
    switch (st.k) {
      case 'pwrite': {
        const src = new Uint8Array(st.len).fill(st.byte);
        expect(t.sys.pwriteBuffer(BigInt(f!.fd), src, BigInt(st.off)), where).toBe(st.len);
        // ext4 zeroes the old last page's bytes from the old EOF up to the write (stray bytes).
        if (st.off > f!.size) f!.bytes.fill(0, f!.size, st.off);
        f!.bytes.set(src, st.off);
        f!.size = Math.max(f!.size, st.off + st.len);
        break;
      }
      case 'truncate':
        expect(t.sys.ftruncate(BigInt(f!.fd), BigInt(st.len)), where).toBe(0);
        f!.bytes.fill(0, st.len);
        f!.size = st.len;
        // Private copies of pages now wholly past EOF are gone (truncation unmaps them).
        for (const p of [...f!.privPages.keys()]) if (p * PG >= st.len) f!.privPages.delete(p);
        break;
      case 'storeShared':
        if (st.off >= f!.size) return; // past EOF: SIGBUS or stray bytes, checked elsewhere
        t.mem.store8(f!.shared + st.off, st.byte);
        f!.bytes[st.off] = st.byte;
        break;
      case 'storePrivate': {
        if (st.page * PG >= f!.size) return;
        t.mem.store8(f!.priv + st.page * PG, st.byte);
        const mine = f!.privPages.get(st.page) ?? f!.bytes.slice(st.page * PG, st.page * PG + PG);
        mine[0] = st.byte;
        // The rest of the copy froze at the moment of the first store (as the file was then).
        f!.privPages.set(st.page, mine);
        break;
      }
      case 'recreate': {
        // unlink, then a new file of the same name: the old mappings and fd keep the old inode.
        expect(t.sys.unlinkat(NAMES[st.f], 0n)).toBe(0);
        expect(t.fast.munmap(f!.shared, MAP_PAGES * PG)).toBe(0);
        expect(t.fast.munmap(f!.priv, MAP_PAGES * PG)).toBe(0);
        expect(t.sys.close(BigInt(f!.fd))).toBe(0);
        files[st.f] = fresh(t, NAMES[st.f]);
        break;
      }
      case 'reopen': {
        expect(t.sys.close(BigInt(f!.fd))).toBe(0);
        f!.fd = openFile(t, NAMES[st.f], M.O_RDWR);
        break;
      }
      case 'fork': {
        const child = t.fork();
        if (typeof child === 'number') throw new Error(`${where}: fork failed ${child}`);
        for (let k = 0; k < files.length; k++) verify(child, files[k], `${where} (child, file ${k})`);
        child.exit();
        break;
      }
    }
    // A private page stored to keeps its bytes; an untouched one follows the file (checked below).
    files.forEach((x, k) => verify(t, x, `${where} file ${k}`));
    sysCheck(s);
  });
  for (let k = 0; k < files.length; k++) {
    t.fast.munmap(files[k].shared, MAP_PAGES * PG);
    t.fast.munmap(files[k].priv, MAP_PAGES * PG);
    t.sys.close(BigInt(files[k].fd));
    t.sys.unlinkat(NAMES[k], 0n);
  }
  sysCheck(s);
  expect(s.mmSystem.frames.inUse, 'frames after everything is gone').toBe(base);
}

describe('file layer against a model of file contents', () => {
  it('pwrite / ftruncate / shared and private stores / recreate / reopen / fork', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), run), { seed: 4242, numRuns: 150 });
  });
});

/**
 * The emulator data path (src/kernel/memory.ts): every load/store width, little-endian, at page
 * starts, page ends and across page boundaries; faults (signal, si_code, si_addr, access) with
 * nothing written on a faulting crossing store; bulk copies stopping at the first faulting page;
 * page views; argument checks; the software TLB forgetting translations when the mm changes them;
 * slab growth; out-of-memory. After each scenario the address space and the frame counts are
 * checked against their recounts (checkInvariants, checkFrames).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { ACCESS_READ, ACCESS_WRITE, GuestFault, type Memory } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';

const PG = 4096;
const RW = M.PROT_READ | M.PROT_WRITE;
const PRIV = M.MAP_PRIVATE | M.MAP_ANONYMOUS;
const SHARED = M.MAP_SHARED | M.MAP_ANONYMOUS;

interface Env { system: System; t: Task; m: Memory }

/** Which of a task's two Memory objects the tests use (set per top-level block, below). */
let MEM32 = false;
function memOf(t: Task | number): Memory {
  if (typeof t === 'number') throw new Error(`fork failed: ${t}`);
  return MEM32 ? t.mem32 : t.mem;
}

function env(memory?: { limitFrames?: number; shared?: boolean; reserveSlab?: boolean }): Env {
  const system = createSystem(memory === undefined ? {} : { memory });
  const t = system.task(0)!;
  return { system, t, m: memOf(t) };
}

/**
 * Where the Memory32 run places its mappings: hints counting up from 3 GiB, so that its accesses
 * take the integer-tag path (addresses below 2^32, most of them above 2^31). A page of gap keeps
 * consecutive mappings from merging.
 */
let hint32 = 0xc0000000;

function mmap(t: Task, pages: number, prot = RW, flags = PRIV): number {
  let hint = 0;
  if (MEM32) {
    if (hint32 + (pages + 1) * PG > 2 ** 32) hint32 = 0xc0000000;
    hint = hint32;
    hint32 += (pages + 1) * PG;
  }
  const a = t.fast.mmap(hint, pages * PG, prot, flags, -1, 0);
  if (MEM32) expect(a, 'the hint was taken').toBe(hint);
  expect(a, `mmap(${pages} pages, prot ${prot}, flags 0x${flags.toString(16)})`).toBeGreaterThan(0);
  expect(a % PG).toBe(0);
  return a;
}

function checkAll(system: System): void {
  for (const t of system.tasks()) t.checkInvariants();
  system.checkFrames();
}

/** Run fn, which must throw a GuestFault with exactly these fields. */
function expectFault(fn: () => unknown, signal: string, code: string, addr: number, access?: 'read' | 'write' | 'exec'): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${signal}/${code} at 0x${addr.toString(16)}`).toBeInstanceOf(GuestFault);
  const g = err as GuestFault;
  const got = { signal: g.signal, code: g.code, addr: '0x' + g.addr.toString(16), ...(access ? { access: g.access } : {}) };
  expect(got).toEqual({ signal, code, addr: '0x' + addr.toString(16), ...(access ? { access } : {}) });
}

/** Little-endian bytes of a value of `size` bytes given as a bigint. */
function leBytes(v: bigint, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** Compare bytes quickly; on a mismatch name the first differing offset. */
function expectBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return;
  let i = 0;
  while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
  expect.fail(`${what}: lengths ${actual.length}/${expected.length}, first difference at +0x${i.toString(16)}: ` +
    `got 0x${(actual[i] ?? -1).toString(16)}, expected 0x${(expected[i] ?? -1).toString(16)}`);
}

function bytesAt(m: Memory, addr: number, n: number): number[] {
  return [...m.read(addr, n)];
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 255;
  }
  return b;
}

/** The offsets in a page where an access of `size` bytes starts at a page start, a page end, or crosses. */
function offsetsFor(size: number): number[] {
  const offs = [0, 1, PG / 2 + 3, PG - size];
  for (let k = 1; k < size; k++) offs.push(PG - size + k); // crossing
  return offs;
}

type Width = { size: number; store: (m: Memory, a: number, v: bigint) => void; load: (m: Memory, a: number) => bigint };
const WIDTHS: Width[] = [
  { size: 1, store: (m, a, v) => m.store8(a, Number(v)), load: (m, a) => BigInt(m.load8(a)) },
  { size: 2, store: (m, a, v) => m.store16(a, Number(v)), load: (m, a) => BigInt(m.load16(a)) },
  { size: 4, store: (m, a, v) => m.store32(a, Number(v)), load: (m, a) => BigInt(m.load32(a)) },
  {
    size: 8,
    store: (m, a, v) => m.store64(a, Number(v & 0xffffffffn), Number(v >> 32n)),
    load: (m, a) => { const lo = m.load64(a); return (BigInt(m.hi) << 32n) | BigInt(lo); },
  },
];
const VALUES: Record<number, bigint[]> = {
  1: [0xa5n, 0x01n, 0xffn],
  2: [0xbeefn, 0x0102n, 0xffffn],
  4: [0xdeadbeefn, 0x01020304n, 0x80000001n],
  8: [0x0123456789abcdefn, 0xfedcba9876543210n, 0x8000000000000001n],
};

// Every test runs twice: through Task.mem (Memory, float TLB tags) and through Task.mem32
// (Memory32, integer tags for addresses below 2^32): the two must agree on every byte and fault.
for (const [name, use32] of [['Memory', false], ['Memory32', true]] as const) {
describe(name, () => {
  beforeAll(() => {
    MEM32 = use32;
  });

  describe('Memory: little-endian loads and stores', () => {
    for (const w of WIDTHS) {
      it(`u${w.size * 8}: page start, page end and crossing, both TLB paths`, () => {
        const { system, t, m } = env();
        const a = mmap(t, 3);
        for (const off of offsetsFor(w.size)) {
          for (const v of VALUES[w.size]) {
            const addr = a + PG + off;
            // Surrounding bytes stay as they were.
            m.write(addr - 4, new Uint8Array(w.size + 8).fill(0x5c));
            w.store(m, addr, v);
            expect(bytesAt(m, addr - 4, w.size + 8), `store u${w.size * 8} at +0x${(PG + off).toString(16)}`)
              .toEqual([0x5c, 0x5c, 0x5c, 0x5c, ...leBytes(v, w.size), 0x5c, 0x5c, 0x5c, 0x5c]);
            expect(w.load(m, addr)).toBe(v);
            expect(w.load(m, addr)).toBe(v); // second time from the TLB
            // A value written as bytes loads back little-endian.
            const rev = BigInt.asUintN(w.size * 8, ~v);
            m.write(addr, Uint8Array.from(leBytes(rev, w.size)));
            expect(w.load(m, addr)).toBe(rev);
          }
        }
        checkAll(system);
      });
    }

    it('u64 as a bigint: load64n/store64n agree with the pair and with the bytes', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      for (const off of [0, 8, PG - 8, PG - 7, PG - 4, PG - 1, PG]) {
        const v = 0x8877665544332211n + BigInt(off);
        m.store64n(a + off, v);
        expect(m.load64n(a + off)).toBe(v);
        expect(m.load64(a + off)).toBe(Number(v & 0xffffffffn));
        expect(m.hi).toBe(Number(v >> 32n));
        expect(bytesAt(m, a + off, 8)).toEqual(leBytes(v, 8));
      }
      // store64n takes the value modulo 2^64.
      m.store64n(a + 16, -1n);
      expect(m.load64n(a + 16)).toBe(0xffffffffffffffffn);
      m.store64n(a + 16, (1n << 64n) + 5n);
      expect(m.load64n(a + 16)).toBe(5n);
      m.store64n(a + PG - 3, -2n);
      expect(m.load64n(a + PG - 3)).toBe(0xfffffffffffffffen);
      checkAll(system);
    });

    it('store values are truncated to the width the same way on the fast, slow and crossing paths', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      for (const off of [100, 100, PG - 1, PG - 3]) { // 100 twice: slow path then TLB hit
        m.store8(a + off, 0x1ff);
        expect(m.load8(a + off)).toBe(0xff);
        m.store16(a + off, 0x12345);
        expect(m.load16(a + off)).toBe(0x2345);
        m.store16(a + off, -1);
        expect(m.load16(a + off)).toBe(0xffff);
        m.store32(a + off, -1);
        expect(m.load32(a + off)).toBe(0xffffffff);
        m.store32(a + off, 2 ** 32 + 7);
        expect(m.load32(a + off)).toBe(7);
      }
      checkAll(system);
    });

    it('f32 and f64 round trips, aligned and crossing, including NaN bit patterns', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      const f64s = [0, 1.5, -3.25e10, Math.PI, Number.MAX_VALUE, 5e-324, Infinity, -Infinity, -2.5e-300];
      const f32s = [0, 1.5, Math.fround(-3.25e10), Math.fround(Math.PI), 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity];
      for (const off of [0, 8, PG - 8, PG - 7, PG - 4, PG - 2, PG - 1]) {
        for (const v of f64s) {
          m.storeF64(a + off, v);
          expect(m.loadF64(a + off)).toBe(v);
          const dv = new DataView(new ArrayBuffer(8));
          dv.setFloat64(0, v, true);
          expect(bytesAt(m, a + off, 8)).toEqual([...new Uint8Array(dv.buffer)]);
        }
        m.storeF64(a + off, -0);
        expect(Object.is(m.loadF64(a + off), -0)).toBe(true);
        expect(m.load64n(a + off)).toBe(0x8000000000000000n);
        for (const v of f32s) {
          m.storeF32(a + off, v);
          expect(m.loadF32(a + off)).toBe(v);
        }
        m.storeF32(a + off, 1.1); // not representable: rounded to f32
        expect(m.loadF32(a + off)).toBe(Math.fround(1.1));
        expect(m.load32(a + off)).toBe(0x3f8ccccd);
        m.storeF32(a + off, -0);
        expect(m.load32(a + off)).toBe(0x80000000);

        // NaNs: a quiet NaN's sign and payload survive load → store, on either path.
        for (const bits of [0x7ff8000000000001n, 0xfff8000000abcdefn, 0x7fffffffffffffffn]) {
          m.store64n(a + off, bits);
          const x = m.loadF64(a + off);
          expect(Number.isNaN(x)).toBe(true);
          m.storeF64(a + off, 0);
          m.storeF64(a + off, x);
          expect(m.load64n(a + off)).toBe(bits);
        }
        for (const bits of [0x7fc00001, 0xffc12345, 0x7fffffff]) {
          m.store32(a + off, bits);
          const x = m.loadF32(a + off);
          expect(Number.isNaN(x)).toBe(true);
          m.store32(a + off, 0);
          m.storeF32(a + off, x);
          expect(m.load32(a + off)).toBe(bits);
        }
        // A signalling f32 NaN still loads as a NaN; storing NaN writes a NaN bit pattern.
        m.store32(a + off, 0x7f800001);
        expect(Number.isNaN(m.loadF32(a + off))).toBe(true);
        m.storeF32(a + off, NaN);
        const nb = m.load32(a + off);
        expect(nb & 0x7f800000).toBe(0x7f800000);
        expect(nb & 0x007fffff).not.toBe(0);
      }
      checkAll(system);
    });
  });

  describe('Memory: faults on crossing accesses', () => {
    type Hole = 'readonly' | 'unmapped' | 'none';
    function twoPages(kind: Hole): Env & { a: number } {
      const e = env();
      const a = mmap(e.t, 2);
      e.m.write(a + PG - 16, new Uint8Array(16).fill(0x11));
      e.m.write(a + PG, new Uint8Array(16).fill(0x22));
      if (kind === 'readonly') expect(e.t.fast.mprotect(a + PG, PG, M.PROT_READ)).toBe(0);
      if (kind === 'none') expect(e.t.fast.mprotect(a + PG, PG, M.PROT_NONE)).toBe(0);
      if (kind === 'unmapped') expect(e.t.fast.munmap(a + PG, PG)).toBe(0);
      return { ...e, a };
    }

    const stores: [string, number, (m: Memory, a: number) => void][] = [
      ['store16', 2, (m, a) => m.store16(a, 0xabcd)],
      ['store32', 4, (m, a) => m.store32(a, 0xabcdef01)],
      ['store64', 8, (m, a) => m.store64(a, 0xabcdef01, 0x23456789)],
      ['store64n', 8, (m, a) => m.store64n(a, 0x0123456789abcdefn)],
      ['storeF32', 4, (m, a) => m.storeF32(a, 1.5)],
      ['storeF64', 8, (m, a) => m.storeF64(a, -1.5e300)],
    ];

    for (const kind of ['readonly', 'unmapped'] as const) {
      it(`a store crossing into a ${kind} page writes nothing and faults at the page's first byte`, () => {
        const { system, t, m, a } = twoPages(kind);
        const code = kind === 'readonly' ? 'SEGV_ACCERR' : 'SEGV_MAPERR';
        for (const [name, size, fn] of stores) {
          for (let k = 1; k < size; k++) {
            const addr = a + PG - k;
            // Twice: once with the first page's translation cold, once with it in the write TLB.
            for (let round = 0; round < 2; round++) {
              expectFault(() => fn(m, addr), 'SIGSEGV', code, a + PG, 'write');
              expect(bytesAt(m, a + PG - 16, 16), `${name} at page end - ${k}`).toEqual(new Array(16).fill(0x11));
              if (kind === 'readonly') expect(bytesAt(m, a + PG, 16)).toEqual(new Array(16).fill(0x22));
              m.store8(a + PG - 16, 0x11); // warm the write TLB for the first page
            }
          }
        }
        // Non-crossing stores just before the boundary still work.
        m.store64(a + PG - 8, 1, 2);
        expect(m.load64n(a + PG - 8)).toBe(0x0000000200000001n);
        checkAll(system);
      });
    }

    it('crossing loads: into PROT_NONE → ACCERR, into a hole → MAPERR, si_addr the page start; read-only is readable', () => {
      for (const kind of ['none', 'unmapped', 'readonly'] as const) {
        const { system, t, m, a } = twoPages(kind);
        const loads: [number, (a: number) => unknown][] = [
          [2, (x) => m.load16(x)], [4, (x) => m.load32(x)], [8, (x) => m.load64(x)], [8, (x) => m.load64n(x)],
          [4, (x) => m.loadF32(x)], [8, (x) => m.loadF64(x)],
        ];
        for (const [size, fn] of loads) {
          for (let k = 1; k < size; k++) {
            if (kind === 'readonly') {
              expect(fn(a + PG - k)).not.toBeUndefined();
              continue;
            }
            expectFault(() => fn(a + PG - k), 'SIGSEGV', kind === 'none' ? 'SEGV_ACCERR' : 'SEGV_MAPERR', a + PG, 'read');
          }
        }
        if (kind === 'readonly') {
          expect(m.load32(a + PG - 2)).toBe(0x22221111);
          expect(m.load64n(a + PG - 3)).toBe(0x2222222222111111n);
        }
        checkAll(system);
      }
    });

    it('a crossing access whose first page faults reports the access address', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      expect(t.fast.mprotect(a, PG, M.PROT_NONE)).toBe(0);
      expectFault(() => m.load32(a + PG - 2), 'SIGSEGV', 'SEGV_ACCERR', a + PG - 2, 'read');
      expectFault(() => m.store64(a + PG - 5, 1, 1), 'SIGSEGV', 'SEGV_ACCERR', a + PG - 5, 'write');
      expect(m.load32(a + PG)).toBe(0);
      checkAll(system);
    });
  });

  describe('Memory: instruction fetch', () => {
    it('fetch from a mapping without PROT_EXEC → SEGV_ACCERR, even with the page in the read TLB', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      m.store32(a + 8, 0x90909090);
      expect(m.load32(a + 8)).toBe(0x90909090);
      expectFault(() => m.fetch8(a + 8), 'SIGSEGV', 'SEGV_ACCERR', a + 8, 'exec');
      expectFault(() => m.fetch16(a + 9), 'SIGSEGV', 'SEGV_ACCERR', a + 9, 'exec');
      expectFault(() => m.fetch32(a + 10), 'SIGSEGV', 'SEGV_ACCERR', a + 10, 'exec');
      checkAll(system);
    });

    it('PROT_EXEC alone: fetches and loads (x86: exec implies read) work, stores fault', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      m.write(a + PG - 4, Uint8Array.of(0xc3, 0x90, 0x48, 0x89, 0x0f, 0x1f, 0x44, 0x00));
      expect(t.fast.mprotect(a, 2 * PG, M.PROT_EXEC)).toBe(0);
      for (let round = 0; round < 2; round++) {
        expect(m.fetch8(a + PG - 4)).toBe(0xc3);
        expect(m.fetch16(a + PG - 4)).toBe(0x90c3);
        expect(m.fetch32(a + PG - 4)).toBe(0x894890c3);
        expect(m.fetch32(a + PG - 2)).toBe(0x1f0f8948); // crossing
        expect(m.fetch16(a + PG - 1)).toBe(0x0f89); // crossing
        expect(m.load32(a + PG)).toBe(0x00441f0f);
        expect(m.load8(a + PG - 4)).toBe(0xc3);
      }
      expectFault(() => m.store8(a, 1), 'SIGSEGV', 'SEGV_ACCERR', a, 'write');
      checkAll(system);
    });

    it('a fetch crossing from an exec page into a non-exec page faults at the second page', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2, M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC);
      m.store32(a + PG - 4, 0x11223344);
      expect(t.fast.mprotect(a + PG, PG, RW)).toBe(0);
      expect(m.fetch32(a + PG - 4)).toBe(0x11223344);
      expectFault(() => m.fetch32(a + PG - 2), 'SIGSEGV', 'SEGV_ACCERR', a + PG, 'exec');
      expectFault(() => m.fetch16(a + PG - 1), 'SIGSEGV', 'SEGV_ACCERR', a + PG, 'exec');
      checkAll(system);
    });

    it('fetch from an unmapped address → SEGV_MAPERR at the target', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1, M.PROT_READ | M.PROT_EXEC);
      expect(t.fast.munmap(a, PG)).toBe(0);
      expectFault(() => m.fetch8(a + 5), 'SIGSEGV', 'SEGV_MAPERR', a + 5, 'exec');
      checkAll(system);
    });
  });

  describe('Memory: bulk copies', () => {
    it('write() then read()/readInto() across many pages at unaligned ends', () => {
      const { system, t, m } = env();
      const a = mmap(t, 20);
      const data = pattern(20 * PG - 100, 7);
      m.write(a + 50, data);
      expectBytes(m.read(a + 50, data.length), data, 'read()');
      const dst = new Uint8Array(data.length + 20);
      m.readInto(a + 40, dst);
      expect([...dst.subarray(0, 10)]).toEqual(new Array(10).fill(0));
      expectBytes(dst.subarray(10, 10 + data.length), data, 'readInto()');
      expect([...dst.subarray(10 + data.length)]).toEqual(new Array(10).fill(0));
      // Single loads agree with the bulk copy.
      for (let i = 0; i < data.length; i += 997) expect(m.load8(a + 50 + i)).toBe(data[i]);
      expect(m.read(a, 0)).toEqual(new Uint8Array(0));
      m.write(a, new Uint8Array(0));
      checkAll(system);
    });

    it('write() stops at the first faulting page, with every byte before it stored', () => {
      for (const kind of ['unmapped', 'readonly'] as const) {
        const { system, t, m } = env();
        const a = mmap(t, 4);
        m.write(a + 2 * PG, new Uint8Array(PG).fill(0x33));
        if (kind === 'unmapped') expect(t.fast.munmap(a + 2 * PG, PG)).toBe(0);
        else expect(t.fast.mprotect(a + 2 * PG, PG, M.PROT_READ)).toBe(0);
        const data = pattern(4 * PG - 200, 9);
        expectFault(() => m.write(a + 100, data), 'SIGSEGV', kind === 'unmapped' ? 'SEGV_MAPERR' : 'SEGV_ACCERR', a + 2 * PG, 'write');
        expectBytes(m.read(a + 100, 2 * PG - 100), data.subarray(0, 2 * PG - 100), 'bytes before the fault');
        expect([...m.read(a, 100)]).toEqual(new Array(100).fill(0));
        expect([...m.read(a + 3 * PG, PG)]).toEqual(new Array(PG).fill(0)); // after the fault: untouched
        if (kind === 'readonly') expect([...m.read(a + 2 * PG, PG)]).toEqual(new Array(PG).fill(0x33));
        checkAll(system);
      }
    });

    it('read()/readInto() stop at the first faulting page with the bytes before it copied', () => {
      for (const kind of ['unmapped', 'none'] as const) {
        const { system, t, m } = env();
        const a = mmap(t, 4);
        const data = pattern(4 * PG, 11);
        m.write(a, data);
        if (kind === 'unmapped') expect(t.fast.munmap(a + 2 * PG, PG)).toBe(0);
        else expect(t.fast.mprotect(a + 2 * PG, PG, M.PROT_NONE)).toBe(0);
        const code = kind === 'unmapped' ? 'SEGV_MAPERR' : 'SEGV_ACCERR';
        const dst = new Uint8Array(3 * PG).fill(0x77);
        expectFault(() => m.readInto(a + 5, dst), 'SIGSEGV', code, a + 2 * PG, 'read');
        expectBytes(dst.subarray(0, 2 * PG - 5), data.subarray(5, 2 * PG), 'bytes before the fault');
        expect([...dst.subarray(2 * PG - 5)]).toEqual(new Array(PG + 5).fill(0x77));
        expectFault(() => m.read(a + 5, 3 * PG), 'SIGSEGV', code, a + 2 * PG, 'read');
        expectFault(() => m.read(a + 2 * PG + 7, 1), 'SIGSEGV', code, a + 2 * PG + 7, 'read');
        checkAll(system);
      }
    });

    it('read() rejects bad lengths with RangeError', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      for (const len of [-1, 1.5, NaN, 2 ** 31 + 1, Infinity]) expect(() => m.read(a, len)).toThrow(RangeError);
      checkAll(system);
    });
  });

  describe('Memory: pageView', () => {
    it('shows the bytes from the address to the end of its page; a writable view writes guest memory', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      const data = pattern(2 * PG, 3);
      m.write(a, data);
      const v = m.pageView(a + 100);
      expect(v.length).toBe(PG - 100);
      expect(v).toEqual(data.subarray(100, PG));
      expect(m.pageView(a + PG).length).toBe(PG);
      expect(m.pageView(a + PG)).toEqual(data.subarray(PG));
      expect(m.pageView(a + PG - 1)).toEqual(data.subarray(PG - 1, PG));
      const w = m.pageView(a + PG + 10, true);
      w[0] = 0xde; w[1] = 0xad; w[w.length - 1] = 0x42;
      expect(m.load16(a + PG + 10)).toBe(0xadde);
      expect(m.load8(a + 2 * PG - 1)).toBe(0x42);
      expect(m.read(a + PG + 12, 10)).toEqual(data.subarray(PG + 12, PG + 22));
      checkAll(system);
    });

    it('runView: one view over consecutive frames, ending where the next page is not the next frame or faults', () => {
      const { system, t, m } = env();
      const a = mmap(t, 6);
      const data = pattern(6 * PG, 5);
      m.write(a, data); // fresh frames, handed out in order: one run
      const v = m.runView(a + 100, 4 * PG);
      expect(v.length).toBe(4 * PG);
      expect(v).toEqual(data.subarray(100, 100 + 4 * PG));
      const w = m.runView(a + 2 * PG - 2, 4, true); // across a page boundary
      w.set([1, 2, 3, 4]);
      expect(m.load32(a + 2 * PG - 2)).toBe(0x04030201);
      // A hole: the view stops before it; a fault at the first page throws.
      expect(t.fast.munmap(a + 3 * PG, PG)).toBe(0);
      expect(m.runView(a + PG, 6 * PG).length).toBe(2 * PG);
      expectFault(() => m.runView(a + 3 * PG, PG), 'SIGSEGV', 'SEGV_MAPERR', a + 3 * PG, 'read');
      // Read-only: a read view is fine, a writable one faults.
      expect(t.fast.mprotect(a + 4 * PG, 2 * PG, M.PROT_READ)).toBe(0);
      expect(m.runView(a + 4 * PG, 2 * PG).length).toBe(2 * PG);
      expectFault(() => m.runView(a + 4 * PG, 8, true), 'SIGSEGV', 'SEGV_ACCERR', a + 4 * PG, 'write');
      // A copy-on-write page after fork is not the parent's frame any more once written.
      const child = t.fork();
      const cv = memOf(child).runView(a, 2 * PG, true);
      cv[0] = 0xee;
      expect(m.load8(a)).toBe(data[0]);
      expect(memOf(child).load8(a)).toBe(0xee);
      child.exit();
      for (const len of [0, -1, 1.5, NaN, 2 ** 31 + 1]) expect(() => m.runView(a, len)).toThrow(RangeError);
      expect(() => m.runView(-1, 8)).toThrow(RangeError);
      checkAll(system);
    });

    it('a writable view of a read-only page faults; a view of an untouched page reads zeros', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      expect(t.fast.mprotect(a, PG, M.PROT_READ)).toBe(0);
      expect([...m.pageView(a + 8)]).toEqual(new Array(PG - 8).fill(0));
      expectFault(() => m.pageView(a + 8, true), 'SIGSEGV', 'SEGV_ACCERR', a + 8, 'write');
      expect(t.fast.munmap(a + PG, PG)).toBe(0);
      expectFault(() => m.pageView(a + PG), 'SIGSEGV', 'SEGV_MAPERR', a + PG, 'read');
      checkAll(system);
    });
  });

  describe('Memory: bad and non-user addresses', () => {
    const bad: [string, unknown][] = [
      ['NaN', NaN], ['-1', -1], ['1.5', 1.5], ['2**64', 2 ** 64], ["'0x10'", '0x10'], ['undefined', undefined],
      ['Infinity', Infinity], ['-4096', -4096], ['null', null],
    ];
    const calls: [string, (m: Memory, x: number) => unknown][] = [
      ['load8', (m, x) => m.load8(x)], ['load16', (m, x) => m.load16(x)], ['load32', (m, x) => m.load32(x)],
      ['load64', (m, x) => m.load64(x)], ['load64n', (m, x) => m.load64n(x)], ['loadF32', (m, x) => m.loadF32(x)],
      ['loadF64', (m, x) => m.loadF64(x)], ['fetch8', (m, x) => m.fetch8(x)], ['fetch16', (m, x) => m.fetch16(x)],
      ['fetch32', (m, x) => m.fetch32(x)], ['store8', (m, x) => m.store8(x, 1)], ['store16', (m, x) => m.store16(x, 1)],
      ['store32', (m, x) => m.store32(x, 1)], ['store64', (m, x) => m.store64(x, 1, 1)],
      ['store64n', (m, x) => m.store64n(x, 1n)], ['storeF32', (m, x) => m.storeF32(x, 1)],
      ['storeF64', (m, x) => m.storeF64(x, 1)], ['read', (m, x) => m.read(x, 4)],
      ['readInto', (m, x) => m.readInto(x, new Uint8Array(4))], ['write', (m, x) => m.write(x, new Uint8Array(4))],
      ['pageView', (m, x) => m.pageView(x)], ['pageView(write)', (m, x) => m.pageView(x, true)],
      ['runView', (m, x) => m.runView(x, 4)], ['translate', (m, x) => m.translate(x, ACCESS_READ)],
    ];

    function state(system: System, t: Task, a: number): unknown {
      return { maps: t.proc.maps(), inUse: system.mmSystem.frames.inUse, rss: t.proc.status(), bytes: [...memOf(t).read(a, 64)] };
    }

    it('every entry point throws RangeError and changes nothing', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      m.write(a, pattern(64, 5));
      m.load8(a); m.store8(a, m.load8(a)); // translations cached
      const before = state(system, t, a);
      for (const [name, fn] of calls) {
        for (const [label, x] of bad) {
          expect(() => fn(m, x as number), `${name}(${label})`).toThrow(RangeError);
        }
        // Non-integers near a cached page must not hit the TLB either.
        expect(() => fn(m, a + 0.5), `${name}(a + 0.5)`).toThrow(RangeError);
        expect(() => fn(m, a - 0.25), `${name}(a - 0.25)`).toThrow(RangeError);
      }
      expect(state(system, t, a)).toEqual(before);
      checkAll(system);
    });

    // The TLB hit test `tag[s] === addr - off` would coerce a numeric string (or a one-element
    // array) naming a cached page; the hot paths also check `typeof addr === 'number'`.
    it('a numeric string or array address is a RangeError even when its page is in the TLB', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      m.store8(a + 5, 0x42);
      expect(m.load8(a + 5)).toBe(0x42);
      const before = state(system, t, a);
      for (const [name, fn] of calls) {
        expect(() => fn(m, String(a + 5) as unknown as number), `${name}(String)`).toThrow(RangeError);
        expect(() => fn(m, [a + 5] as unknown as number), `${name}([a])`).toThrow(RangeError);
      }
      expect(state(system, t, a)).toEqual(before);
    });

    it('a bigint address throws before any state changes', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      m.store8(a, 1);
      const before = state(system, t, a);
      for (const [name, fn] of calls) expect(() => fn(m, BigInt(a) as unknown as number), name).toThrow();
      expect(state(system, t, a)).toEqual(before);
      checkAll(system);
    });

    it('translate() refuses an access code other than read, write, exec', () => {
      const { system, t, m } = env();
      const a = mmap(t, 1);
      m.store8(a, 1);
      const before = state(system, t, a);
      for (const bad of [3, 7, -1, 0.5, NaN, '0']) {
        expect(() => m.translate(a, bad as unknown as typeof ACCESS_READ), String(bad)).toThrow(RangeError);
      }
      expect(state(system, t, a)).toEqual(before);
      expect(m.translate(a, ACCESS_WRITE)).toBeGreaterThanOrEqual(0);
      expect(m.translate(0x10, ACCESS_READ)).toBeLessThan(0); // a fault is a value here, not a throw
      checkAll(system);
    });

    it('write()/readInto() take any typed array or DataView as its bytes, and refuse anything else', () => {
      const { system, t, m } = env();
      const a = mmap(t, 2);
      // A Uint32Array is its 4 bytes each (as Node's fs.write takes it), not one byte per element.
      m.write(a + PG - 2, Uint32Array.of(0x44332211, 0x88776655));
      expect([...m.read(a + PG - 2, 8)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
      m.write(a + 16, new DataView(Uint8Array.of(9, 9, 1, 2, 3, 9).buffer, 2, 3));
      expect([...m.read(a + 16, 4)]).toEqual([1, 2, 3, 0]);
      const u16 = new Uint16Array(4);
      m.readInto(a + PG - 2, u16);
      expect([...u16]).toEqual([0x2211, 0x4433, 0x6655, 0x8877]);
      const dv = new DataView(new ArrayBuffer(8), 4, 2);
      m.readInto(a + 16, dv);
      expect([dv.getUint8(0), dv.getUint8(1), new Uint8Array(dv.buffer)[3], new Uint8Array(dv.buffer)[6]]).toEqual([1, 2, 0, 0]);
      const before = state(system, t, a);
      for (const bad of ['hello', [1, 2, 3], null, undefined, 42, { length: 4 }, new ArrayBuffer(4)]) {
        expect(() => m.write(a, bad as unknown as Uint8Array), `write(${String(bad)})`).toThrow(TypeError);
        expect(() => m.readInto(a, bad as unknown as Uint8Array), `readInto(${String(bad)})`).toThrow(TypeError);
      }
      expect(state(system, t, a)).toEqual(before);
      checkAll(system);
    });

    it('non-canonical addresses → SIGSEGV SI_KERNEL with si_addr 0; the kernel half → SEGV_MAPERR', () => {
      const { system, t, m } = env();
      for (const x of [0x800000000000, 0x800000000000 + 123, 0x1000000000000, 0xffff7ffffffff000, 2 ** 63]) {
        expectFault(() => m.load8(x), 'SIGSEGV', 'SI_KERNEL', 0, 'read');
        expectFault(() => m.load32(x), 'SIGSEGV', 'SI_KERNEL', 0, 'read');
        expectFault(() => m.store64(x, 1, 2), 'SIGSEGV', 'SI_KERNEL', 0, 'write');
        expectFault(() => m.fetch8(x), 'SIGSEGV', 'SI_KERNEL', 0, 'exec');
        expectFault(() => m.read(x, 8), 'SIGSEGV', 'SI_KERNEL', 0, 'read');
        expectFault(() => m.write(x, new Uint8Array(8)), 'SIGSEGV', 'SI_KERNEL', 0, 'write');
        expectFault(() => m.pageView(x), 'SIGSEGV', 'SI_KERNEL', 0, 'read');
      }
      for (const x of [0xffff800000000000, 0xffffffff80000000, 2 ** 64 - PG]) {
        expectFault(() => m.load8(x), 'SIGSEGV', 'SEGV_MAPERR', x, 'read');
        expectFault(() => m.store32(x, 1), 'SIGSEGV', 'SEGV_MAPERR', x, 'write');
        expectFault(() => m.fetch32(x), 'SIGSEGV', 'SEGV_MAPERR', x, 'exec');
        expectFault(() => m.read(x, 1), 'SIGSEGV', 'SEGV_MAPERR', x, 'read');
      }
      // The highest exact addresses below 2^64 fault, nothing wraps.
      expectFault(() => m.load64(2 ** 64 - 2048), 'SIGSEGV', 'SEGV_MAPERR', 2 ** 64 - 2048, 'read');
      expectFault(() => m.read(2 ** 64 - 2048, 4096), 'SIGSEGV', 'SEGV_MAPERR', 2 ** 64 - 2048, 'read');
      // Unmapped user addresses: MAPERR at the exact byte.
      expectFault(() => m.load8(0), 'SIGSEGV', 'SEGV_MAPERR', 0, 'read');
      expectFault(() => m.store8(0x1234, 0), 'SIGSEGV', 'SEGV_MAPERR', 0x1234, 'write');
      checkAll(system);
    });

    it('after exit, task.mem throws and a Memory kept from before cannot reach the freed frames', () => {
      const { system, t } = env();
      const a = mmap(t, 1);
      memOf(t).store32(a, 0xcafebabe);
      const child = t.fork() as Task;
      expect(typeof child).toBe('object');
      const cm = memOf(child);
      expect(cm.load32(a)).toBe(0xcafebabe);
      cm.store32(a, 0x12345678); // the child's own copy, cached in its TLBs
      expect(cm.load32(a)).toBe(0x12345678);
      child.exit();
      expect(child.exited).toBe(true);
      expect(() => memOf(child)).toThrow();
      let leaked: number | undefined;
      try { leaked = cm.load32(a); } catch { /* expected */ }
      expect(leaked).toBeUndefined();
      expect(() => cm.store32(a, 1)).toThrow();
      expect(memOf(t).load32(a)).toBe(0xcafebabe);
      checkAll(system);
    });
  });

  describe('Memory: the software TLB follows the mm', () => {
    it('a page-table leaf dropped without a TLB flush (guard markers removed) is never read for its old region again', () => {
      // Refill caches page-table leaves by 2 MiB region. Removing the only guard marker of a
      // region frees its leaf (no present page, so no TLB flush); the next fault elsewhere takes
      // that very leaf from the pool. A load in the first region must see its own (empty) table.
      const { system, t, m } = env();
      const MB2 = 0x200000;
      const raw = mmap(t, 3 * 512);
      const a = Math.ceil(raw / MB2) * MB2; // two whole regions inside the mapping
      expect(t.sys.madvise(BigInt(a), BigInt(PG), BigInt(M.MADV_GUARD_INSTALL))).toBe(0);
      expectFault(() => m.load32(a), 'SIGSEGV', 'SEGV_MAPERR', a, 'read'); // refill looked at a's leaf
      expect(t.sys.madvise(BigInt(a), BigInt(PG), BigInt(M.MADV_GUARD_REMOVE))).toBe(0);
      m.store32(a + MB2 + 8, 0x12345678); // the next region's first page, in a recycled leaf
      expect(m.load32(a + 8)).toBe(0); // a fresh zero-filled page, not the other region's
      expect(m.load32(a + MB2 + 8)).toBe(0x12345678);
      checkAll(system);
    });

    it.each([1, 33, 34, 300])('a %i-page mprotect, MADV_DONTNEED or munmap drops exactly those pages from both TLB levels (per page up to 33, whole above)', (n) => {
      const { system, t, m } = env();
      const a = mmap(t, 320);
      // every page cached, in both levels (each slot of the first level held two pages in turn)
      const cacheAll = (): void => {
        for (let r = 0; r < 2; r++) for (let p = 0; p < 320; p++) m.store32(a + p * PG + 4, p + 1);
        for (let p = 0; p < 320; p++) expect(m.load32(a + p * PG + 4)).toBe(p + 1);
      };
      const first = 10;
      const inRange = (p: number): boolean => p >= first && p < first + n;
      cacheAll();
      expect(t.fast.mprotect(a + first * PG, n * PG, M.PROT_NONE)).toBe(0);
      for (let p = 0; p < 320; p++) {
        if (inRange(p)) expectFault(() => m.load32(a + p * PG + 4), 'SIGSEGV', 'SEGV_ACCERR', a + p * PG + 4, 'read');
        else expect(m.load32(a + p * PG + 4)).toBe(p + 1);
      }
      expect(t.fast.mprotect(a + first * PG, n * PG, RW)).toBe(0);
      cacheAll();
      expect(t.sys.madvise(BigInt(a + first * PG), BigInt(n * PG), BigInt(M.MADV_DONTNEED))).toBe(0);
      for (let p = 0; p < 320; p++) expect(m.load32(a + p * PG + 4)).toBe(inRange(p) ? 0 : p + 1);
      cacheAll();
      expect(t.fast.munmap(a + first * PG, n * PG)).toBe(0);
      for (let p = 0; p < 320; p++) {
        if (inRange(p)) expectFault(() => m.store32(a + p * PG + 4, 0), 'SIGSEGV', 'SEGV_MAPERR', a + p * PG + 4, 'write');
        else expect(m.load32(a + p * PG + 4)).toBe(p + 1);
      }
      checkAll(system);
    });

    it('the second-level TLB forgets what the first forgets: mprotect, munmap and MADV_DONTNEED of pages cached only there', () => {
      // Pages 0 and 256 share a first-level slot, not a second-level one: after touching 0, 256,
      // 0 and 256 again, page 0's translation is in the second level only.
      const { system, t, m } = env();
      const a = mmap(t, 260);
      const cacheInL2Only = (): void => {
        for (let i = 0; i < 2; i++) {
          m.store32(a, 0x11223344);
          m.store32(a + 256 * PG, 5);
          expect(m.load32(a)).toBe(0x11223344);
          expect(m.load32(a + 256 * PG)).toBe(5);
        }
      };
      cacheInL2Only();
      expect(t.fast.mprotect(a, PG, M.PROT_READ)).toBe(0);
      expectFault(() => m.store32(a, 1), 'SIGSEGV', 'SEGV_ACCERR', a, 'write');
      expect(m.load32(a)).toBe(0x11223344);
      expect(t.fast.mprotect(a, PG, M.PROT_NONE)).toBe(0);
      expectFault(() => m.load32(a), 'SIGSEGV', 'SEGV_ACCERR', a, 'read');
      expect(t.fast.mprotect(a, PG, RW)).toBe(0);
      cacheInL2Only();
      expect(t.sys.madvise(BigInt(a), BigInt(PG), BigInt(M.MADV_DONTNEED))).toBe(0);
      expect(m.load32(a)).toBe(0);
      cacheInL2Only();
      // After fork the parent's page 0 is write-protected and shared: cache that read-only entry
      // in the second level, then store (the COW fault replaces the PTE: a one-page flush). A load
      // refilled from the second level must see the new private copy, the child the old value.
      const child = t.fork();
      const evict = (): number => m.load32(a + 256 * PG);
      evict();
      expect(m.load32(a)).toBe(0x11223344);
      evict();
      m.store32(a, 0x55667788);
      evict();
      expect(m.load32(a)).toBe(0x55667788);
      expect(memOf(child).load32(a)).toBe(0x11223344);
      child.exit();
      cacheInL2Only();
      expect(t.fast.munmap(a, PG)).toBe(0);
      expectFault(() => m.load32(a), 'SIGSEGV', 'SEGV_MAPERR', a, 'read');
      checkAll(system);
    });

    it('munmap (fast and bigint facades) → loads and stores of cached pages fault SEGV_MAPERR', () => {
      for (const via of ['fast', 'sys'] as const) {
        const { system, t, m } = env();
        const a = mmap(t, 3);
        for (let i = 0; i < 3; i++) { m.store32(a + i * PG, i + 1); expect(m.load32(a + i * PG)).toBe(i + 1); }
        const r = via === 'fast' ? t.fast.munmap(a + PG, PG) : t.sys.munmap(BigInt(a + PG), BigInt(PG));
        expect(r).toBe(0);
        expectFault(() => m.load32(a + PG), 'SIGSEGV', 'SEGV_MAPERR', a + PG, 'read');
        expectFault(() => m.store32(a + PG + 4, 7), 'SIGSEGV', 'SEGV_MAPERR', a + PG + 4, 'write');
        expectFault(() => m.load8(a + PG + 4095), 'SIGSEGV', 'SEGV_MAPERR', a + PG + 4095, 'read');
        expect(m.load32(a)).toBe(1);
        expect(m.load32(a + 2 * PG)).toBe(3);
        checkAll(system);
      }
    });

    it('mprotect PROT_READ → cached stores fault ACCERR, data stays; PROT_NONE → cached loads fault ACCERR', () => {
      for (const via of ['fast', 'sys'] as const) {
        const { system, t, m } = env();
        const a = mmap(t, 2);
        m.store32(a + 16, 0xfeedface);
        m.store32(a + 16, 0xfeedface); // hit
        const prot = (p: number) => (via === 'fast' ? t.fast.mprotect(a, PG, p) : t.sys.mprotect(BigInt(a), BigInt(PG), BigInt(p)));
        expect(prot(M.PROT_READ)).toBe(0);
        expectFault(() => m.store32(a + 16, 1), 'SIGSEGV', 'SEGV_ACCERR', a + 16, 'write');
        expectFault(() => m.store8(a + 17, 1), 'SIGSEGV', 'SEGV_ACCERR', a + 17, 'write');
        expect(m.load32(a + 16)).toBe(0xfeedface);
        expect(prot(M.PROT_NONE)).toBe(0);
        expectFault(() => m.load32(a + 16), 'SIGSEGV', 'SEGV_ACCERR', a + 16, 'read');
        expectFault(() => m.load8(a), 'SIGSEGV', 'SEGV_ACCERR', a, 'read');
        expect(prot(RW)).toBe(0);
        expect(m.load32(a + 16)).toBe(0xfeedface);
        m.store32(a + 16, 5);
        expect(m.load32(a + 16)).toBe(5);
        checkAll(system);
      }
    });

    it('mremap MREMAP_MAYMOVE moves the data; the old cached addresses fault', () => {
      const { system, t, m } = env();
      const a = mmap(t, 3);
      // A read-only third page is a separate VMA: the first two cannot grow in place.
      expect(t.fast.mprotect(a + 2 * PG, PG, M.PROT_READ)).toBe(0);
      const data = pattern(2 * PG, 13);
      m.write(a, data);
      expect(m.load32(a)).toBe(new DataView(data.buffer).getUint32(0, true));
      m.store8(a + PG + 1, data[PG + 1]);
      const n = t.fast.mremap(a, 2 * PG, 4 * PG, M.MREMAP_MAYMOVE, 0);
      expect(n).toBeGreaterThan(0);
      expect(n).not.toBe(a);
      expectFault(() => m.load32(a), 'SIGSEGV', 'SEGV_MAPERR', a, 'read');
      expectFault(() => m.store8(a + PG + 1, 0), 'SIGSEGV', 'SEGV_MAPERR', a + PG + 1, 'write');
      expectBytes(m.read(n, 2 * PG), data, 'moved data');
      expect([...m.read(n + 2 * PG, 2 * PG)]).toEqual(new Array(2 * PG).fill(0));
      m.store32(n + 3 * PG, 77);
      expect(m.load32(n + 3 * PG)).toBe(77);
      checkAll(system);
    });

    it('MADV_DONTNEED on private anonymous memory → cached pages read zero afterwards', () => {
      for (const via of ['one page', 'len rounded up to two pages'] as const) {
        const { system, t, m } = env();
        const a = mmap(t, 3);
        m.write(a, new Uint8Array(3 * PG).fill(0xab));
        expect(m.load32(a + PG)).toBe(0xabababab);
        m.store32(a + PG, 0xabababab);
        const before = system.mmSystem.frames.inUse;
        expect(t.sys.madvise(BigInt(a + PG), BigInt(via === 'one page' ? PG : PG + 1), BigInt(M.MADV_DONTNEED))).toBe(0);
        expect(m.load32(a + PG)).toBe(0);
        expect([...m.read(a + PG, via === 'one page' ? PG : 2 * PG)]).toEqual(new Array(via === 'one page' ? PG : 2 * PG).fill(0));
        expect(m.load8(a + PG - 1)).toBe(0xab);
        if (via === 'one page') expect(m.load8(a + 2 * PG)).toBe(0xab);
        expect(system.mmSystem.frames.inUse).toBeLessThanOrEqual(before);
        checkAll(system);
      }
    });

    it('a pool with reserveSlab holds its whole slab: the DataView never changes while the counts grow', () => {
      const { system, t, m } = env({ limitFrames: 8192, reserveSlab: true });
      const frames = system.mmSystem.frames;
      expect(frames.capacity).toBe(8192);
      const dv = frames.dv;
      let grew = 0;
      frames.onGrow.add(() => grew++);
      const n = 3000; // past the first 1,024 frames of counts, twice
      const a = mmap(t, n);
      for (let i = 0; i < n; i++) m.store32(a + i * PG + 8, i * 7 + 1);
      expect(frames.dv).toBe(dv);
      expect(grew).toBe(0);
      expect(frames.ref.length).toBeGreaterThanOrEqual(n);
      for (let i = 0; i < n; i++) expect(m.load32(a + i * PG + 8), `page ${i}`).toBe(i * 7 + 1);
      // Fresh frames beyond the first counts read zero; freed ones are zeroed again when reused.
      expect(m.load32(a + (n - 1) * PG)).toBe(0);
      expect(t.fast.munmap(a, n * PG)).toBe(0);
      const b = mmap(t, n);
      for (let i = 0; i < n; i += 97) expect(m.load32(b + i * PG + 8)).toBe(0);
      checkAll(system);
    });

    it('slab growth during bulk writes keeps earlier data readable through cached translations', () => {
      for (const shared of [false, true]) {
        const { system, t, m } = env({ limitFrames: 4096, shared });
        const frames = system.mmSystem.frames;
        const cap0 = frames.capacity;
        const n = 1500;
        const a = mmap(t, n);
        for (let i = 0; i < n; i++) {
          m.write(a + i * PG, Uint8Array.of(i & 255, i >> 8, 0x5a));
          // Earlier pages, through translations cached before the slab moved.
          if (i % 97 === 0) {
            for (let j = 0; j <= i; j += 131) {
              expect(m.load16(a + j * PG)).toBe(j);
              expect(m.load8(a + j * PG + 2)).toBe(0x5a);
              // Whole-page copies go through cached frame views: never one cut from the old slab.
              const page = new Uint8Array(PG);
              m.readInto(a + j * PG, page);
              expect([page[0], page[1], page[2], page[3]]).toEqual([j & 255, j >> 8, 0x5a, 0]);
            }
          }
        }
        expect(frames.capacity).toBeGreaterThan(cap0);
        for (let i = 0; i < n; i++) expect(m.load16(a + i * PG), `page ${i}`).toBe(i);
        // Pages whose frame views were cached before the slab moved, changed after it moved.
        for (let j = 0; j < n; j += 131) {
          m.store8(a + j * PG + 3, 0xee);
          const page = new Uint8Array(PG);
          m.readInto(a + j * PG, page);
          expect(page[3], `page ${j}`).toBe(0xee);
        }
        checkAll(system);
      }
    });

    // Regression: a fault that grows the slab must not leave the access on the old DataView (the
    // committed memory.ts read `this.dv` before running the fault in the same expression and threw
    // "Offset is outside the bounds of the DataView" here; fixed in the working tree).
    it('slab growth during a single store/load fault completes the access', () => {
      const { system, t, m } = env({ limitFrames: 4096 });
      const n = 1200;
      const a = mmap(t, n);
      for (let i = 0; i < n; i++) m.store32(a + i * PG, i + 1);
      for (let i = 0; i < n; i++) expect(m.load32(a + i * PG)).toBe(i + 1);
      checkAll(system);
    });

    const growers: [string, (m: Memory, a: number) => void][] = [
      ['load8', (m, a) => expect(m.load8(a + 3)).toBe(0)],
      ['load16', (m, a) => expect(m.load16(a + 4)).toBe(0)],
      ['load32', (m, a) => expect(m.load32(a + 8)).toBe(0)],
      ['load64', (m, a) => expect(m.load64n(a + 8)).toBe(0n)],
      ['loadF32', (m, a) => expect(m.loadF32(a + 8)).toBe(0)],
      ['loadF64', (m, a) => expect(m.loadF64(a + 8)).toBe(0)],
      ['fetch8', (m, a) => expect(m.fetch8(a + 3)).toBe(0)],
      ['fetch16', (m, a) => expect(m.fetch16(a + 4)).toBe(0)],
      ['fetch32', (m, a) => expect(m.fetch32(a + 8)).toBe(0)],
      ['store8', (m, a) => { m.store8(a + 3, 0x7e); expect(m.load8(a + 3)).toBe(0x7e); }],
      ['store16', (m, a) => { m.store16(a + 4, 0x7e7f); expect(m.load16(a + 4)).toBe(0x7e7f); }],
      ['store32', (m, a) => { m.store32(a + 8, 0x7e7f8081); expect(m.load32(a + 8)).toBe(0x7e7f8081); }],
      ['store64', (m, a) => { m.store64(a + 8, 5, 6); expect(m.load64n(a + 8)).toBe(0x600000005n); }],
      ['storeF32', (m, a) => { m.storeF32(a + 8, 2.5); expect(m.loadF32(a + 8)).toBe(2.5); }],
      ['storeF64', (m, a) => { m.storeF64(a + 8, 2.5); expect(m.loadF64(a + 8)).toBe(2.5); }],
      ['crossing store32', (m, a) => { m.store32(a - 2, 0x01020304); expect(m.load32(a - 2)).toBe(0x01020304); }],
      ['read', (m, a) => expect([...m.read(a, 4)]).toEqual([0, 0, 0, 0])],
      ['pageView', (m, a) => expect(m.pageView(a, true).length).toBe(PG)],
    ];
    for (const [name, fn] of growers) {
      it(`the access whose fault grows the slab completes: ${name}`, () => {
        const { system, t, m } = env({ limitFrames: 4096 });
        const frames = system.mmSystem.frames;
        const cap0 = frames.capacity;
        const n = cap0 + 16;
        const a = mmap(t, n, M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC);
        let i = 0;
        // Fill the slab exactly: the next allocation must grow it.
        for (; frames.highWater < frames.capacity; i++) m.write(a + i * PG, Uint8Array.of(i & 255, 1 + (i >> 8)));
        expect(frames.capacity).toBe(cap0);
        const target = a + i * PG; // untouched; the page before it is the slab's last frame
        fn(m, target);
        expect(frames.capacity).toBeGreaterThan(cap0);
        for (let j = 0; j < i; j++) expect(m.load16(a + j * PG), `page ${j}`).toBe((j & 255) | ((1 + (j >> 8)) << 8));
        checkAll(system);
      });
    }
  });

  describe('Memory: out of memory', () => {
    const free = 8;
    function small(): Env {
      const inUse0 = createSystem().mmSystem.frames.inUse;
      const e = env({ limitFrames: inUse0 + 1 + free });
      expect(e.system.mmSystem.frames.available).toBe(free);
      return e;
    }

    it('stores beyond the frame limit raise SIGKILL; nothing is corrupted; munmap makes memory usable again', () => {
      const { system, t, m } = small();
      const a = mmap(t, 16);
      for (let i = 0; i < free; i++) m.store32(a + i * PG, 0x1000 + i);
      expectFault(() => m.store32(a + free * PG, 1), 'SIGKILL', 'SI_KERNEL', a + free * PG, 'write');
      expectFault(() => m.store8(a + (free + 3) * PG + 9, 1), 'SIGKILL', 'SI_KERNEL', a + (free + 3) * PG + 9, 'write');
      expectFault(() => m.write(a + free * PG - 4, new Uint8Array(8).fill(0xee)), 'SIGKILL', 'SI_KERNEL', a + free * PG, 'write');
      expect(m.load32(a + free * PG - 4)).toBe(0xeeeeeeee); // bytes before the failing page were stored
      checkAll(system);
      for (let i = 0; i < free - 1; i++) expect(m.load32(a + i * PG)).toBe(0x1000 + i);
      expect(system.mmSystem.frames.available).toBe(0);
      // A load of an untouched page either maps the zero page or fails the same way.
      try {
        expect(m.load8(a + 12 * PG)).toBe(0);
      } catch (e) {
        expect(e).toBeInstanceOf(GuestFault);
        expect((e as GuestFault).signal).toBe('SIGKILL');
      }
      checkAll(system);
      expect(t.fast.munmap(a, 16 * PG)).toBe(0);
      expect(system.mmSystem.frames.available).toBe(free);
      const b = mmap(t, free);
      for (let i = 0; i < free; i++) {
        expect(m.load32(b + i * PG)).toBe(0);
        m.store32(b + i * PG, i);
      }
      checkAll(system);
    });

    it('MAP_POPULATE skips what it cannot fault; MADV_POPULATE_WRITE returns -ENOMEM', () => {
      const { system, t, m } = small();
      const a = t.fast.mmap(0, 16 * PG, RW, PRIV | M.MAP_POPULATE, -1, 0);
      expect(a).toBeGreaterThan(0);
      expect(system.mmSystem.frames.available).toBe(0);
      checkAll(system);
      for (let i = 0; i < free; i++) expect(m.load32(a + i * PG)).toBe(0);
      const b = mmap(t, 4);
      expect(t.sys.madvise(BigInt(b), BigInt(4 * PG), BigInt(M.MADV_POPULATE_WRITE))).toBe(-Errno.ENOMEM);
      checkAll(system);
      expect(t.fast.munmap(a, 16 * PG)).toBe(0);
      expect(t.sys.madvise(BigInt(b), BigInt(4 * PG), BigInt(M.MADV_POPULATE_WRITE))).toBe(0);
      for (let i = 0; i < 4; i++) m.store32(b + i * PG, 9);
      checkAll(system);
    });

    it('a copy-on-write break without memory raises SIGKILL and both copies keep their data', () => {
      const { system, t, m } = small();
      const a = mmap(t, free);
      for (let i = 0; i < free; i++) m.store32(a + i * PG, 0x700 + i);
      const child = t.fork();
      expect(typeof child).toBe('object');
      const c = child as Task;
      expectFault(() => memOf(c).store32(a, 1), 'SIGKILL', 'SI_KERNEL', a, 'write');
      expectFault(() => m.store32(a + PG, 1), 'SIGKILL', 'SI_KERNEL', a + PG, 'write');
      for (let i = 0; i < free; i++) {
        expect(memOf(c).load32(a + i * PG)).toBe(0x700 + i);
        expect(m.load32(a + i * PG)).toBe(0x700 + i);
      }
      checkAll(system);
      c.exit();
      m.store32(a + PG, 1); // the page is the parent's alone again: written in place
      expect(m.load32(a + PG)).toBe(1);
      checkAll(system);
    });
  });
});
}

describe('Memory32: integer tags for addresses below 2^32', () => {
  const FIXED = M.MAP_FIXED_NOREPLACE;

  it('an address above 2^32 whose low 32 bits name a cached page is a different page', () => {
    const { system, t } = env();
    const m = t.mem32;
    const low = 0xc0000000;
    const high = 2 ** 32 + low;
    expect(t.fast.mmap(low, PG, RW, PRIV | FIXED, -1, 0)).toBe(low);
    m.store32(low + 8, 0x11111111);
    expect(m.load32(low + 8)).toBe(0x11111111); // now cached in the read and write TLBs
    expectFault(() => m.load32(high + 8), 'SIGSEGV', 'SEGV_MAPERR', high + 8, 'read');
    expectFault(() => m.store32(high + 8, 1), 'SIGSEGV', 'SEGV_MAPERR', high + 8, 'write');
    expect(t.fast.mmap(high, PG, RW, PRIV | FIXED, -1, 0)).toBe(high);
    m.store32(high + 8, 0x22222222);
    expect([m.load32(low + 8), m.load32(high + 8)]).toEqual([0x11111111, 0x22222222]);
    // Non-integers and negatives near a cached page never hit it.
    expect(() => m.load32(low + 8.5)).toThrow(RangeError);
    expect(() => m.load32(-(2 ** 32) + low + 8)).toThrow(RangeError);
    checkAll(system);
  });

  it('mem and mem32 see the same bytes, and both forget a page the mm changes', () => {
    const { system, t } = env();
    const a = 0xd0000000;
    expect(t.fast.mmap(a, 2 * PG, RW, PRIV | FIXED, -1, 0)).toBe(a);
    t.mem32.store64(a, 0x01020304, 0x05060708);
    expect([t.mem.load64(a), t.mem.hi]).toEqual([0x01020304, 0x05060708]);
    t.mem.store32(a + PG, 0xabcdef01);
    expect(t.mem32.load32(a + PG)).toBe(0xabcdef01);
    expect(t.fast.mprotect(a, PG, M.PROT_READ)).toBe(0);
    expectFault(() => t.mem32.store32(a, 1), 'SIGSEGV', 'SEGV_ACCERR', a, 'write');
    expect(t.mem32.load32(a)).toBe(0x01020304);
    expect(t.fast.munmap(a + PG, PG)).toBe(0);
    expectFault(() => t.mem32.load32(a + PG), 'SIGSEGV', 'SEGV_MAPERR', a + PG, 'read');
    expectFault(() => t.mem.load32(a + PG), 'SIGSEGV', 'SEGV_MAPERR', a + PG, 'read');
    checkAll(system);
  });

  it('after fork, a store through a cached write slot breaks copy-on-write: parent and child keep their own bytes', () => {
    const { system, t } = env();
    const a = 0xe0000000;
    expect(t.fast.mmap(a, PG, RW, PRIV | FIXED, -1, 0)).toBe(a);
    t.mem32.store32(a, 0xaaaa0001); // the write TLB now holds the page
    const child = t.fork() as Task;
    t.mem32.store32(a, 0xaaaa0002);
    child.mem32.store32(a + 4, 0xbbbb0001);
    expect([t.mem32.load32(a), t.mem32.load32(a + 4)]).toEqual([0xaaaa0002, 0]);
    expect([child.mem32.load32(a), child.mem32.load32(a + 4)]).toEqual([0xaaaa0001, 0xbbbb0001]);
    checkAll(system);
    child.exit();
    expect(() => child.mem32).toThrow();
    checkAll(system);
  });
});

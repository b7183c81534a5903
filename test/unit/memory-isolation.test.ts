/**
 * What one process's memory can never show another (or itself, later): copy-on-write across
 * three generations, shared anonymous memory staying shared, recycled frames never leaking old
 * bytes, PROT_NONE never readable, every frame a dead child held alone returning to the pool,
 * MADV_DONTFORK / MADV_WIPEONFORK. After each step: checkInvariants on every live task and
 * checkFrames on the system.
 */
import { describe, expect, it } from 'vitest';
import * as M from '../../src/abi/mman.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';

const PG = 4096;
const RW = M.PROT_READ | M.PROT_WRITE;
const PRIV = M.MAP_PRIVATE | M.MAP_ANONYMOUS;
const SHARED = M.MAP_SHARED | M.MAP_ANONYMOUS;

function mmap(t: Task, pages: number, prot = RW, flags = PRIV): number {
  const a = t.fast.mmap(0, pages * PG, prot, flags, -1, 0);
  expect(a, `mmap(${pages} pages, prot ${prot}, flags 0x${flags.toString(16)})`).toBeGreaterThan(0);
  return a;
}

function fork(t: Task): Task {
  const c = t.fork();
  expect(typeof c, `fork of ${t.label}`).toBe('object');
  return c as Task;
}

function checkAll(system: System): void {
  for (const t of system.tasks()) t.checkInvariants();
  system.checkFrames();
}

/** Compare bytes quickly; on a mismatch name the first differing offset. */
function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return;
  let i = 0;
  while (i < Math.min(actual.length, expected.length) && actual[i] === expected[i]) i++;
  expect.fail(`${what}: lengths ${actual.length}/${expected.length}, first difference at +0x${i.toString(16)}: ` +
    `got 0x${(actual[i] ?? -1).toString(16)}, expected 0x${(expected[i] ?? -1).toString(16)}`);
}

function expectFill(t: Task, addr: number, len: number, byte: number, what: string): void {
  expectBytes(t.mem.read(addr, len), new Uint8Array(len).fill(byte), what);
}

function expectFault(fn: () => unknown, code: string, addr: number): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, `expected ${code} at 0x${addr.toString(16)}`).toBeInstanceOf(GuestFault);
  const g = err as GuestFault;
  expect({ signal: g.signal, code: g.code, addr: '0x' + g.addr.toString(16) })
    .toEqual({ signal: code === 'BUS_ADRERR' ? 'SIGBUS' : 'SIGSEGV', code, addr: '0x' + addr.toString(16) });
}

describe('copy-on-write over three generations', () => {
  it('parent, child and grandchild each see only their own writes; unwritten pages stay common', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const N = 6;
    const a = mmap(p, N);
    // Before any fork: page i holds 0x10 + i.
    for (let i = 0; i < N; i++) p.mem.write(a + i * PG, new Uint8Array(PG).fill(0x10 + i));
    // The parent's write TLB holds page 5; its read TLB pages 0..5.
    for (let i = 0; i < N; i++) p.mem.load8(a + i * PG);
    p.mem.store8(a + 5 * PG, 0x15);
    const c = fork(p);
    checkAll(system);
    // The parent's cached write translation must not survive fork.
    p.mem.store8(a + 5 * PG, 0xa5);
    expect(c.mem.load8(a + 5 * PG)).toBe(0x15);
    expect(p.mem.load8(a + 5 * PG)).toBe(0xa5);
    p.mem.store8(a + 5 * PG, 0x15);
    const g = fork(c);
    checkAll(system);
    const procs: [string, Task][] = [['parent', p], ['child', c], ['grandchild', g]];
    const expected = new Map<Task, number[]>(procs.map(([, t]) => [t, Array.from({ length: N }, (_, i) => 0x10 + i)]));
    const verify = (step: string): void => {
      for (const [name, t] of procs) {
        const exp = expected.get(t)!;
        for (let i = 0; i < N; i++) expectFill(t, a + i * PG, PG, exp[i], `${step}: ${name} page ${i}`);
      }
      checkAll(system);
    };
    verify('after forks');
    // Page 1: all three write, in generation order, through different paths.
    p.mem.store32(a + PG, 0x31313131); p.mem.write(a + PG + 4, new Uint8Array(PG - 4).fill(0x31));
    expected.get(p)![1] = 0x31; verify('parent wrote page 1');
    c.mem.write(a + PG, new Uint8Array(PG).fill(0x32));
    expected.get(c)![1] = 0x32; verify('child wrote page 1');
    g.mem.pageView(a + PG, true).fill(0x33);
    expected.get(g)![1] = 0x33; verify('grandchild wrote page 1');
    // Page 2: written in reverse generation order.
    g.mem.write(a + 2 * PG, new Uint8Array(PG).fill(0x43));
    expected.get(g)![2] = 0x43; verify('grandchild wrote page 2');
    c.mem.write(a + 2 * PG, new Uint8Array(PG).fill(0x42));
    expected.get(c)![2] = 0x42; verify('child wrote page 2');
    p.mem.write(a + 2 * PG, new Uint8Array(PG).fill(0x41));
    expected.get(p)![2] = 0x41; verify('parent wrote page 2');
    // Page 3: only the grandchild writes; page 4: only the parent.
    for (let o = 0; o < PG; o += 8) g.mem.store64(a + 3 * PG + o, 0x53535353, 0x53535353);
    expected.get(g)![3] = 0x53; verify('grandchild wrote page 3');
    for (let o = 0; o < PG; o += 2) p.mem.store16(a + 4 * PG + o, 0x5454);
    expected.get(p)![4] = 0x54; verify('parent wrote page 4');
    // A store crossing pages 4|5 in the child only.
    c.mem.store64n(a + 5 * PG - 4, 0x6666666666666666n);
    c.mem.write(a + 4 * PG, new Uint8Array(PG - 4).fill(0x66));
    c.mem.write(a + 5 * PG + 4, new Uint8Array(PG - 4).fill(0x66));
    expected.get(c)![4] = 0x66; expected.get(c)![5] = 0x66; verify('child wrote pages 4 and 5');
    // Page 0 was never written after fork: common to all (one frame).
    // The middle generation leaves; the others keep their data.
    c.exit();
    procs.splice(1, 1);
    verify('child exited');
    g.mem.write(a, new Uint8Array(PG).fill(0x70));
    expected.get(g)![0] = 0x70; verify('grandchild wrote page 0 after the child exited');
    p.mem.write(a, new Uint8Array(PG).fill(0x71));
    expected.get(p)![0] = 0x71; verify('parent wrote page 0');
  });

  it('a frame written by neither side after fork is one frame, shared (no copy until written)', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 4);
    p.mem.write(a, new Uint8Array(4 * PG).fill(0x99));
    const frames = system.mmSystem.frames;
    const before = frames.inUse;
    const c = fork(p);
    const g = fork(c);
    for (const t of [p, c, g]) expectFill(t, a, 4 * PG, 0x99, `task ${t.label}`);
    expect(frames.inUse).toBe(before);
    g.mem.store8(a, 1);
    expect(frames.inUse).toBe(before + 1);
    expect(p.mem.load8(a)).toBe(0x99);
    expect(c.mem.load8(a)).toBe(0x99);
    checkAll(system);
  });

  it('mprotect after fork does not make a shared copy-on-write page writable in place', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 2);
    p.mem.write(a, new Uint8Array(2 * PG).fill(0x11));
    const c = fork(p);
    expect(p.fast.mprotect(a, 2 * PG, M.PROT_READ)).toBe(0);
    expect(p.fast.mprotect(a, 2 * PG, RW)).toBe(0);
    expect(c.fast.mprotect(a + PG, PG, M.PROT_NONE)).toBe(0);
    expect(c.fast.mprotect(a + PG, PG, RW)).toBe(0);
    p.mem.write(a, new Uint8Array(2 * PG).fill(0x22));
    expectFill(c, a, 2 * PG, 0x11, 'child after the parent wrote');
    c.mem.write(a + PG, new Uint8Array(PG).fill(0x33));
    expectFill(p, a, 2 * PG, 0x22, 'parent after the child wrote');
    checkAll(system);
  });

  it('mremap of copy-on-write pages (moved, grown, shrunk) keeps both sides private', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 3);
    p.mem.write(a, new Uint8Array(3 * PG).fill(0x44));
    expect(p.fast.mprotect(a + 2 * PG, PG, M.PROT_READ)).toBe(0); // pins the first two pages' VMA end
    const c = fork(p);
    const n = c.fast.mremap(a, 2 * PG, 5 * PG, M.MREMAP_MAYMOVE, 0);
    expect(n).toBeGreaterThan(0);
    expect(n).not.toBe(a);
    checkAll(system);
    c.mem.write(n, new Uint8Array(PG).fill(0x55));
    expectFill(p, a, 2 * PG, 0x44, 'parent after the child wrote its moved copy');
    p.mem.write(a + PG, new Uint8Array(PG).fill(0x66));
    expectFill(c, n + PG, PG, 0x44, 'child\'s moved page after the parent wrote');
    expectFill(c, n + 2 * PG, 3 * PG, 0, 'child\'s grown tail');
    expect(p.fast.mremap(a, 2 * PG, PG, 0, 0)).toBe(a);
    expectFill(c, n, PG, 0x55, 'child after the parent shrank');
    checkAll(system);
    c.exit();
    checkAll(system);
    expectFill(p, a, PG, 0x44, 'parent page 0');
  });

  it('every cached translation (read, write, exec) follows a copy-on-write break', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 1, M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC);
    p.mem.store32(a, 0x11111111);
    const c = fork(p);
    for (const [t, v] of [[p, 0x22222222], [c, 0x33333333]] as const) {
      // Fill all three TLBs of this process with the shared frame, then break COW with a store.
      expect(t.mem.load32(a)).toBe(0x11111111);
      expect(t.mem.fetch32(a)).toBe(0x11111111);
      t.mem.store32(a, v);
      expect(t.mem.fetch32(a)).toBe(v);
      expect(t.mem.load32(a)).toBe(v);
      expect(t.mem.pageView(a)[0]).toBe(v & 255);
      checkAll(system);
    }
    expect(p.mem.fetch32(a)).toBe(0x22222222);
    expect(c.mem.fetch32(a)).toBe(0x33333333);
  });
});

describe('shared anonymous memory across fork', () => {
  it('stays shared in both directions, over generations, before and after first touch', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 4, RW, SHARED);
    p.mem.write(a, new Uint8Array(PG).fill(0x21)); // page 0 touched before fork; pages 1..3 not
    expect(p.mem.load8(a)).toBe(0x21); // cached in the parent's TLB
    const c = fork(p);
    checkAll(system);
    expectFill(c, a, PG, 0x21, 'child sees the parent\'s pre-fork data');
    c.mem.store32(a + 8, 0xc0c0c0c0);
    expect(p.mem.load32(a + 8)).toBe(0xc0c0c0c0);
    p.mem.store32(a + 12, 0xd0d0d0d0);
    expect(c.mem.load32(a + 12)).toBe(0xd0d0d0d0);
    // A page neither touched before fork: child first, then parent.
    c.mem.write(a + PG, new Uint8Array(PG).fill(0x31));
    expectFill(p, a + PG, PG, 0x31, 'parent sees the child\'s write to an untouched page');
    p.mem.write(a + 2 * PG + PG - 2, Uint8Array.of(1, 2, 3, 4)); // crossing into page 3
    expect(c.mem.load32(a + 3 * PG - 2)).toBe(0x04030201);
    const g = fork(c);
    g.mem.store8(a + 3 * PG + 100, 0x77);
    expect(p.mem.load8(a + 3 * PG + 100)).toBe(0x77);
    expect(c.mem.load8(a + 3 * PG + 100)).toBe(0x77);
    checkAll(system);
    // MADV_DONTNEED on shared memory loses nothing.
    expect(c.sys.madvise(BigInt(a), BigInt(4 * PG), BigInt(M.MADV_DONTNEED))).toBe(0);
    expect(c.mem.load32(a + 8)).toBe(0xc0c0c0c0);
    expectFill(c, a + PG, PG, 0x31, 'after DONTNEED');
    // The creator exits; the others keep sharing.
    p.exit();
    checkAll(system);
    g.mem.store32(a + PG, 0x12345678);
    expect(c.mem.load32(a + PG)).toBe(0x12345678);
    checkAll(system);
  });

  it('a private mapping next to a shared one stays private (mixed VMAs, one fork)', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const s = mmap(p, 2, RW, SHARED);
    const q = mmap(p, 2);
    p.mem.write(s, new Uint8Array(2 * PG).fill(1));
    p.mem.write(q, new Uint8Array(2 * PG).fill(2));
    const c = fork(p);
    c.mem.write(s, new Uint8Array(2 * PG).fill(3));
    c.mem.write(q, new Uint8Array(2 * PG).fill(4));
    expectFill(p, s, 2 * PG, 3, 'shared');
    expectFill(p, q, 2 * PG, 2, 'private');
    checkAll(system);
  });
});

describe('recycled frames never show old bytes', () => {
  function dirty(t: Task, pages: number, byte = 0xaa): number {
    const a = mmap(t, pages);
    t.mem.write(a, new Uint8Array(pages * PG).fill(byte));
    expect(t.fast.munmap(a, pages * PG)).toBe(0);
    return a;
  }

  it('every kind of new page reads zero after 0xAA pages were freed', () => {
    const system = createSystem();
    const t = system.task(0)!;
    const frames = system.mmSystem.frames;
    const P = 48;
    const zero = (addr: number, pages: number, what: string): void => {
      expectFill(t, addr, pages * PG, 0, what);
      for (let i = 0; i < pages; i++) expect(t.mem.load32(a0(addr, i) + 0x800)).toBe(0);
      checkAll(system);
    };
    const a0 = (addr: number, i: number): number => addr + i * PG;
    // Warm up: every later allocation comes from the free list (frames that held 0xAA), so the
    // high water stays put.
    dirty(t, 3 * P);
    const high = frames.highWater;

    // Private anonymous, faulted by a load, by a store, and by pageView.
    dirty(t, P);
    let b = mmap(t, P);
    t.mem.store8(b + 5, 0); t.mem.pageView(b + PG, true);
    zero(b, P, 'private anon');
    expect(t.fast.munmap(b, P * PG)).toBe(0);

    // Shared anonymous.
    dirty(t, P);
    b = mmap(t, P, RW, SHARED);
    t.mem.store8(b + 5, 0);
    zero(b, P, 'shared anon');
    expect(t.fast.munmap(b, P * PG)).toBe(0);

    // MAP_POPULATE (faulted for writing by mmap itself).
    dirty(t, P);
    b = t.fast.mmap(0, P * PG, RW, PRIV | M.MAP_POPULATE, -1, 0);
    expect(b).toBeGreaterThan(0);
    zero(b, P, 'MAP_POPULATE');
    expect(t.fast.munmap(b, P * PG)).toBe(0);

    // Shared MAP_POPULATE.
    dirty(t, P);
    b = t.fast.mmap(0, P * PG, RW, SHARED | M.MAP_POPULATE, -1, 0);
    expect(b).toBeGreaterThan(0);
    zero(b, P, 'shared MAP_POPULATE');
    expect(t.fast.munmap(b, P * PG)).toBe(0);

    // MADV_POPULATE_WRITE / READ.
    for (const adv of [M.MADV_POPULATE_WRITE, M.MADV_POPULATE_READ]) {
      dirty(t, P);
      b = mmap(t, P);
      expect(t.sys.madvise(BigInt(b), BigInt(P * PG), BigInt(adv))).toBe(0);
      zero(b, P, `madvise ${adv}`);
      expect(t.fast.munmap(b, P * PG)).toBe(0);
    }

    // The tail of an mremap-grown mapping (in place and moved).
    for (const blocked of [false, true]) {
      dirty(t, P);
      b = mmap(t, 2 + (blocked ? 1 : 0));
      t.mem.write(b, new Uint8Array(2 * PG).fill(0x5b));
      if (blocked) expect(t.fast.mprotect(b + 2 * PG, PG, M.PROT_READ)).toBe(0);
      const n = t.fast.mremap(b, 2 * PG, P * PG, M.MREMAP_MAYMOVE, 0);
      expect(n).toBeGreaterThan(0);
      if (blocked) expect(n).not.toBe(b);
      expectFill(t, n, 2 * PG, 0x5b, 'mremap keeps the data');
      zero(n + 2 * PG, P - 2, `mremap-grown tail (${blocked ? 'moved' : 'maybe in place'})`);
      expect(t.fast.munmap(n, P * PG)).toBe(0);
      if (blocked) expect(t.fast.munmap(b + 2 * PG, PG)).toBe(0);
    }

    // A MADV_DONTNEED'd range, and new memory after it.
    dirty(t, P);
    b = mmap(t, P);
    t.mem.write(b, new Uint8Array(P * PG).fill(0xbb));
    expect(t.sys.madvise(BigInt(b), BigInt(P * PG), BigInt(M.MADV_DONTNEED))).toBe(0);
    zero(b, P, 'MADV_DONTNEED');
    const c2 = mmap(t, P);
    zero(c2, P, 'after MADV_DONTNEED');
    expect(t.fast.munmap(b, P * PG)).toBe(0);
    expect(t.fast.munmap(c2, P * PG)).toBe(0);

    // The frames a shared object held after its last unmap, and the copies a dead child held.
    b = mmap(t, P, RW, SHARED);
    t.mem.write(b, new Uint8Array(P * PG).fill(0xcc));
    expect(t.fast.munmap(b, P * PG)).toBe(0);
    b = mmap(t, P);
    zero(b, P, 'after a shared object was freed');
    t.mem.write(b, new Uint8Array(P * PG).fill(0xdd));
    const child = fork(t);
    child.mem.write(b, new Uint8Array(P * PG).fill(0xee));
    child.exit();
    expect(t.fast.munmap(b, P * PG)).toBe(0);
    b = mmap(t, 2 * P, RW, SHARED);
    zero(b, 2 * P, 'after a child\'s copies were freed');
    expect(t.fast.munmap(b, 2 * P * PG)).toBe(0);

    // brk: a heap shrunk and grown again.
    const brk0 = t.fast.brk(0);
    expect(t.fast.brk(brk0 + P * PG)).toBe(brk0 + P * PG);
    t.mem.write(brk0, new Uint8Array(P * PG).fill(0xab));
    expect(t.fast.brk(brk0)).toBe(brk0);
    expectFault(() => t.mem.load8(brk0), 'SEGV_MAPERR', brk0);
    expect(t.fast.brk(brk0 + P * PG)).toBe(brk0 + P * PG);
    zero(brk0, P, 'brk regrown');
    expect(t.fast.brk(brk0)).toBe(brk0);

    // MAP_FIXED over dirty memory (the old pages cached in the TLB).
    b = mmap(t, P);
    t.mem.write(b, new Uint8Array(P * PG).fill(0xac));
    expect(t.mem.load8(b)).toBe(0xac);
    expect(t.fast.mmap(b, P * PG, RW, PRIV | M.MAP_FIXED, -1, 0)).toBe(b);
    zero(b, P, 'MAP_FIXED over dirty pages');
    expect(t.fast.mmap(b, P * PG, RW, SHARED | M.MAP_FIXED, -1, 0)).toBe(b);
    zero(b, P, 'shared MAP_FIXED over dirty pages');
    expect(t.fast.munmap(b, P * PG)).toBe(0);

    // Everything above ran on recycled frames (so the zero checks mean something).
    expect(frames.highWater).toBe(high);
  });
});

describe('PROT_NONE is never readable', () => {
  function probes(t: Task, addr: number): void {
    const m = t.mem;
    expectFault(() => m.load8(addr), 'SEGV_ACCERR', addr);
    expectFault(() => m.load16(addr + 2), 'SEGV_ACCERR', addr + 2);
    expectFault(() => m.load32(addr + 4), 'SEGV_ACCERR', addr + 4);
    expectFault(() => m.load64(addr + 8), 'SEGV_ACCERR', addr + 8);
    expectFault(() => m.load64n(addr + 8), 'SEGV_ACCERR', addr + 8);
    expectFault(() => m.loadF32(addr + 4), 'SEGV_ACCERR', addr + 4);
    expectFault(() => m.loadF64(addr + 8), 'SEGV_ACCERR', addr + 8);
    expectFault(() => m.fetch8(addr), 'SEGV_ACCERR', addr);
    expectFault(() => m.fetch32(addr), 'SEGV_ACCERR', addr);
    expectFault(() => m.read(addr, 1), 'SEGV_ACCERR', addr);
    expectFault(() => m.readInto(addr + 16, new Uint8Array(8)), 'SEGV_ACCERR', addr + 16);
    expectFault(() => m.pageView(addr), 'SEGV_ACCERR', addr);
    expectFault(() => m.pageView(addr, true), 'SEGV_ACCERR', addr);
    expectFault(() => m.store8(addr, 0), 'SEGV_ACCERR', addr);
    // A read crossing into it from a readable page.
    expectFault(() => m.load32(addr - 2), 'SEGV_ACCERR', addr);
    const dst = new Uint8Array(16).fill(0x5e);
    expectFault(() => m.readInto(addr - 8, dst), 'SEGV_ACCERR', addr);
    expect([...dst.subarray(8)]).toEqual(new Array(8).fill(0x5e));
  }

  it('after mprotect of written pages (with cached translations), in a fork child, and when mapped so', () => {
    const system = createSystem();
    const t = system.task(0)!;
    const a = mmap(t, 3);
    t.mem.write(a, new Uint8Array(3 * PG).fill(0x4d));
    t.mem.load8(a + PG); t.mem.store8(a + PG, 0x4d); t.mem.pageView(a + PG); // translations cached
    expect(t.fast.mprotect(a + PG, PG, M.PROT_NONE)).toBe(0);
    probes(t, a + PG);
    checkAll(system);
    const c = fork(t);
    probes(c, a + PG);
    probes(t, a + PG);
    checkAll(system);
    // Pages never touched: mapped PROT_NONE, and made PROT_NONE before any access.
    const n = mmap(t, 1, M.PROT_NONE);
    expectFault(() => t.mem.load8(n + 7), 'SEGV_ACCERR', n + 7);
    expectFault(() => t.mem.read(n, PG), 'SEGV_ACCERR', n);
    expectFault(() => t.mem.pageView(n), 'SEGV_ACCERR', n);
    const b = mmap(t, 2);
    expect(t.fast.mprotect(b + PG, PG, M.PROT_NONE)).toBe(0);
    probes(t, b + PG);
    checkAll(system);
    // The data is still there, once readable again.
    expect(t.fast.mprotect(a + PG, PG, M.PROT_READ)).toBe(0);
    expectFill(t, a + PG, PG, 0x4d, 'after PROT_READ again');
    expectFill(c, a, PG, 0x4d, 'child page 0');
    checkAll(system);
  });
});

describe('frames return to the pool when a child exits', () => {
  it('a child that only read and wrote its own copies gives back exactly what it took', () => {
    const system = createSystem();
    const frames = system.mmSystem.frames;
    const p = system.task(0)!;
    const a = mmap(p, 16);
    p.mem.write(a, new Uint8Array(8 * PG).fill(0x61)); // pages 0..7 resident, 8..15 not
    const s = mmap(p, 4, RW, SHARED);
    p.mem.write(s, new Uint8Array(2 * PG).fill(0x62));
    checkAll(system);
    const before = frames.inUse;
    const c = fork(p);
    expect(frames.inUse).toBe(before);
    checkAll(system);
    c.mem.write(a, new Uint8Array(4 * PG).fill(0x63)); // COW copies
    c.mem.write(a + 10 * PG, new Uint8Array(3 * PG).fill(0x64)); // demand-zero pages
    c.mem.write(s + 2 * PG, new Uint8Array(PG).fill(0x65)); // a new page of the shared object (stays)
    const own = mmap(c, 5);
    c.mem.write(own, new Uint8Array(5 * PG).fill(0x66));
    const ownShared = mmap(c, 3, RW, SHARED);
    c.mem.write(ownShared, new Uint8Array(3 * PG).fill(0x67));
    expect(frames.inUse).toBe(before + 4 + 3 + 1 + 5 + 3);
    checkAll(system);
    c.exit();
    checkAll(system);
    expect(frames.inUse).toBe(before + 1); // the shared object's new page belongs to it
    expectFill(p, a, 8 * PG, 0x61, 'parent copy');
    expectFill(p, s + 2 * PG, PG, 0x65, 'shared page the child added');
  });

  it('when the parent wrote its copies after fork, the child\'s exit frees the originals', () => {
    const system = createSystem();
    const frames = system.mmSystem.frames;
    const p = system.task(0)!;
    const a = mmap(p, 8);
    p.mem.write(a, new Uint8Array(8 * PG).fill(0x71));
    const before = frames.inUse;
    const c = fork(p);
    p.mem.write(a, new Uint8Array(5 * PG).fill(0x72)); // 5 copies
    expect(frames.inUse).toBe(before + 5);
    checkAll(system);
    c.mem.write(a + 6 * PG, new Uint8Array(PG).fill(0x73)); // 1 copy
    expect(frames.inUse).toBe(before + 6);
    const g = fork(c);
    const beforeG = frames.inUse;
    g.mem.write(a + 6 * PG, new Uint8Array(PG).fill(0x74));
    expect(frames.inUse).toBe(beforeG + 1);
    g.exit();
    expect(frames.inUse).toBe(beforeG);
    checkAll(system);
    expectFill(c, a, 6 * PG, 0x71, 'child keeps the originals');
    expectFill(c, a + 6 * PG, PG, 0x73, 'child page 6');
    c.exit();
    checkAll(system);
    expect(frames.inUse).toBe(before);
    expectFill(p, a, 5 * PG, 0x72, 'parent copies');
    expectFill(p, a + 5 * PG, 3 * PG, 0x71, 'parent originals');
    // And the parent's remaining pages are its own again: written in place, no new frame.
    p.mem.write(a + 5 * PG, new Uint8Array(3 * PG).fill(0x75));
    expect(frames.inUse).toBe(before);
    checkAll(system);
    expect(p.fast.munmap(a, 8 * PG)).toBe(0);
    expect(frames.inUse).toBe(before - 8);
    checkAll(system);
  });
});

describe('MADV_DONTFORK and MADV_WIPEONFORK', () => {
  it('a DONTFORK range is absent in the child; a WIPEONFORK range reads zero there', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 6);
    p.mem.write(a, new Uint8Array(6 * PG).fill(0x81));
    expect(p.sys.madvise(BigInt(a + PG), BigInt(2 * PG), BigInt(M.MADV_DONTFORK))).toBe(0);
    expect(p.sys.madvise(BigInt(a + 4 * PG), BigInt(PG), BigInt(M.MADV_WIPEONFORK))).toBe(0);
    checkAll(system);
    const c = fork(p);
    checkAll(system);
    expectFault(() => c.mem.load8(a + PG), 'SEGV_MAPERR', a + PG);
    expectFault(() => c.mem.load32(a + 3 * PG - 4), 'SEGV_MAPERR', a + 3 * PG - 4);
    expectFault(() => c.mem.store8(a + 2 * PG + 9, 1), 'SEGV_MAPERR', a + 2 * PG + 9);
    expectFault(() => c.mem.load32(a + PG - 2), 'SEGV_MAPERR', a + PG); // crossing into it
    expectFill(c, a, PG, 0x81, 'child page 0');
    expectFill(c, a + 3 * PG, PG, 0x81, 'child page 3');
    expectFill(c, a + 4 * PG, PG, 0, 'child WIPEONFORK page');
    expectFill(c, a + 5 * PG, PG, 0x81, 'child page 5');
    expectFill(p, a, 6 * PG, 0x81, 'parent keeps everything');
    // The wiped page is private to each side.
    c.mem.write(a + 4 * PG, new Uint8Array(PG).fill(0x82));
    expectFill(p, a + 4 * PG, PG, 0x81, 'parent after the child wrote its wiped page');
    p.mem.store8(a + 4 * PG, 0x83);
    expect(c.mem.load8(a + 4 * PG)).toBe(0x82);
    checkAll(system);
    // WIPEONFORK is inherited: the grandchild's copy is wiped again.
    const g = fork(c);
    expectFill(g, a + 4 * PG, PG, 0, 'grandchild WIPEONFORK page');
    expectFault(() => g.mem.load8(a + PG), 'SEGV_MAPERR', a + PG);
    checkAll(system);
    c.exit(); g.exit();
    checkAll(system);
    expect(p.mem.load8(a + 4 * PG)).toBe(0x83);
  });

  it('MADV_DOFORK / MADV_KEEPONFORK undo them', () => {
    const system = createSystem();
    const p = system.task(0)!;
    const a = mmap(p, 2);
    p.mem.write(a, new Uint8Array(2 * PG).fill(0x91));
    expect(p.sys.madvise(BigInt(a), BigInt(PG), BigInt(M.MADV_DONTFORK))).toBe(0);
    expect(p.sys.madvise(BigInt(a + PG), BigInt(PG), BigInt(M.MADV_WIPEONFORK))).toBe(0);
    expect(p.sys.madvise(BigInt(a), BigInt(PG), BigInt(M.MADV_DOFORK))).toBe(0);
    expect(p.sys.madvise(BigInt(a + PG), BigInt(PG), BigInt(M.MADV_KEEPONFORK))).toBe(0);
    const c = fork(p);
    expectFill(c, a, 2 * PG, 0x91, 'child');
    checkAll(system);
  });
});

describe('exit recycles VMA objects (the vm_area_cachep stand-in)', () => {
  it('children forked after others exited see exactly the parent\'s layout and contents, and the dead ones leave nothing behind', () => {
    const system = createSystem();
    const p = system.task(0);
    const a = mmap(p, 8);
    for (let i = 0; i < 8; i++) p.mem.store32(a + i * PG, 0x1000 + i);
    for (let i = 1; i < 8; i += 2) expect(p.fast.mprotect(a + i * PG, PG, M.PROT_READ)).toBe(0);
    const shared = mmap(p, 2, RW, SHARED);
    p.mem.store32(shared, 7);
    const maps = p.proc.maps();
    for (let round = 0; round < 4; round++) {
      const c = fork(p);
      expect(c.proc.maps()).toEqual(maps);
      for (let i = 0; i < 8; i++) expect(c.mem.load32(a + i * PG)).toBe(0x1000 + i);
      c.mem.store32(a, 0xdead); // COW: the parent keeps its value
      c.mem.store32(shared, round); // shared: the parent sees it
      checkAll(system);
      c.exit();
      expect(p.mem.load32(a)).toBe(0x1000);
      expect(p.mem.load32(shared)).toBe(round);
      // A new mapping in the parent after the exit gets a fresh, correct VMA too.
      const b = mmap(p, 1, M.PROT_READ);
      expect(p.proc.maps().length).toBe(maps.length + 1);
      expect(p.fast.munmap(b, PG)).toBe(0);
      expect(p.proc.maps()).toEqual(maps);
      checkAll(system);
    }
  });
});

/**
 * Model-based test of the memory layer: random sequences over up to three processes of mmap
 * (private / shared anonymous), munmap, mprotect, mremap (MREMAP_MAYMOVE), madvise(MADV_DONTNEED),
 * stores and loads of every width (possibly crossing pages and into holes), bulk write/read,
 * fork and exit, each access through Task.mem or Task.mem32 (two TLBs over the same pages), against a byte-level reference model (fixed seed, STYLE §1.3.5).
 *
 * The model, per process, maps page addresses to pages: a private page owns its 4 KiB of bytes
 * (fork copies them), a shared page names a shared object and its page index (fork shares the
 * object; an index at or beyond the object's size — after mremap grew the mapping — raises
 * SIGBUS, as shmem does past i_size). Every access is predicted exactly: the value, or the fault
 * (signal, si_code, si_addr), and for bulk copies the bytes moved before the fault.
 *
 * After every operation: the VMAs the test created must be exactly the model's pages (prot,
 * private/shared, and for shared pages the same object and offset), checkInvariants() on every
 * live task, and system.checkFrames(). At the end every page is compared, every process but the
 * first exits, everything is unmapped and the frame pool must be back to where it started.
 *
 * A failure throws an error naming the step, the expectation, and the trace of the operations
 * executed (with the addresses they resolved to); fast-check shrinks the sequence first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';
import { VM_SHARED } from '../../src/mm/vma.js';

const PG = 4096;
const ARENA = 0x10000000;
const ARENA_PAGES = 24;
const MAX_PROCS = 3;
const PROTS = [
  M.PROT_NONE, M.PROT_READ, M.PROT_READ | M.PROT_WRITE, M.PROT_WRITE, M.PROT_EXEC, M.PROT_READ | M.PROT_EXEC,
  M.PROT_READ | M.PROT_WRITE | M.PROT_EXEC,
];

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

type StoreHow = 'store8' | 'store16' | 'store32' | 'store64' | 'write';
type LoadHow = 'load8' | 'load16' | 'load32' | 'load64' | 'read' | 'fetch8';
type Op =
  | { k: 'mmap'; proc: number; fixed: boolean; page: number; pages: number; shared: boolean; prot: number }
  | { k: 'munmap'; proc: number; pick: number; pages: number }
  | { k: 'mprotect'; proc: number; pick: number; pages: number; prot: number }
  | { k: 'mremap'; proc: number; pick: number; oldPages: number; newPages: number }
  | { k: 'dontneed'; proc: number; pick: number; pages: number }
  | { k: 'store'; proc: number; pick: number; off: number; how: StoreHow; len: number; seed: number; via32: boolean }
  | { k: 'load'; proc: number; pick: number; off: number; how: LoadHow; len: number; via32: boolean }
  | { k: 'fork'; proc: number }
  | { k: 'exit'; proc: number }
  | { k: 'check'; proc: number };

function opString(o: Op): string {
  const { k, ...rest } = o;
  return `${k}(${Object.entries(rest).map(([n, v]) => `${n}=${typeof v === 'number' && n === 'prot' ? protName(v) : String(v)}`).join(' ')})`;
}

function protName(p: number): string {
  if (p === 0) return 'NONE';
  return [p & 1 ? 'R' : '', p & 2 ? 'W' : '', p & 4 ? 'X' : ''].join('');
}

/** Give ops a readable toString for fast-check's counterexample report. */
function named<T extends Op>(arb: fc.Arbitrary<T>): fc.Arbitrary<Op> {
  return arb.map((o) => Object.defineProperty({ ...o }, fc.toStringMethod, { value: () => opString(o), enumerable: false }) as Op);
}

const procArb = fc.nat({ max: MAX_PROCS - 1 });
const pickArb = fc.nat({ max: 0xffff });
const protArb = fc.constantFrom(...PROTS);
const offArb = fc.oneof(
  fc.nat({ max: PG - 1 }),
  fc.constantFrom(0, 1, PG - 1, PG - 2, PG - 3, PG - 4, PG - 6, PG - 7, PG - 8),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: named(fc.record({
    k: fc.constant('mmap' as const), proc: procArb, fixed: fc.boolean(), page: fc.nat({ max: ARENA_PAGES - 1 }),
    pages: fc.integer({ min: 1, max: 4 }), shared: fc.boolean(), prot: fc.constantFrom(...PROTS, 3, 3),
  })) },
  { weight: 1, arbitrary: named(fc.record({ k: fc.constant('munmap' as const), proc: procArb, pick: pickArb, pages: fc.integer({ min: 1, max: 3 }) })) },
  { weight: 2, arbitrary: named(fc.record({ k: fc.constant('mprotect' as const), proc: procArb, pick: pickArb, pages: fc.integer({ min: 1, max: 3 }), prot: protArb })) },
  { weight: 2, arbitrary: named(fc.record({
    k: fc.constant('mremap' as const), proc: procArb, pick: pickArb, oldPages: fc.integer({ min: 1, max: 3 }), newPages: fc.integer({ min: 1, max: 6 }),
  })) },
  { weight: 1, arbitrary: named(fc.record({ k: fc.constant('dontneed' as const), proc: procArb, pick: pickArb, pages: fc.integer({ min: 1, max: 4 }) })) },
  { weight: 6, arbitrary: named(fc.record({
    k: fc.constant('store' as const), proc: procArb, pick: pickArb, off: offArb,
    how: fc.constantFrom<StoreHow>('store8', 'store16', 'store32', 'store64', 'write'),
    len: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 3 * PG })), seed: fc.nat(), via32: fc.boolean(),
  })) },
  { weight: 5, arbitrary: named(fc.record({
    k: fc.constant('load' as const), proc: procArb, pick: pickArb, off: offArb,
    how: fc.constantFrom<LoadHow>('load8', 'load16', 'load32', 'load64', 'read', 'fetch8'),
    len: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 3 * PG })), via32: fc.boolean(),
  })) },
  { weight: 2, arbitrary: named(fc.record({ k: fc.constant('fork' as const), proc: procArb })) },
  { weight: 2, arbitrary: named(fc.record({ k: fc.constant('exit' as const), proc: procArb })) },
  { weight: 1, arbitrary: named(fc.record({ k: fc.constant('check' as const), proc: procArb })) },
);

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

interface SharedObj { id: number; size: number; pages: Uint8Array[] }
type Page =
  | { prot: number; kind: 'priv'; data: Uint8Array }
  | { prot: number; kind: 'shared'; obj: SharedObj; index: number };
interface Proc { task: Task; pages: Map<number, Page> }

type Access = 'read' | 'write' | 'exec';
interface Fault { signal: string; code: string; addr: number }
type Outcome = { ok: true; value: string } | { ok: false; fault: Fault };

class Failure extends Error {}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function bytesFrom(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed >>> 0) | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 255;
  }
  return b;
}

function faultString(f: Fault): string {
  return `${f.signal}/${f.code}@${hex(f.addr)}`;
}

function outcomeString(o: Outcome): string {
  return o.ok ? o.value : faultString(o.fault);
}

function capture(fn: () => string): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof GuestFault) return { ok: false, fault: { signal: e.signal, code: e.code, addr: e.addr } };
    throw e;
  }
}

let startFramesCache: number | undefined;
/** Frames a new system's start state holds. */
function startFrames(): number {
  return (startFramesCache ??= createSystem().mmSystem.frames.inUse);
}

class World {
  readonly system: System;
  readonly procs: Proc[] = [];
  readonly foreign: [number, number][];
  readonly inUse0: number;
  readonly trace: string[] = [];
  private nextObj = 1;
  /** Model shared object → the implementation's inode, learned at first sight. */
  private readonly objInode = new Map<SharedObj, unknown>();

  /** Out-of-memory mode: a frame limit, SIGKILL allowed wherever a page may need a frame. */
  readonly oom: boolean;
  /** SIGKILLs seen (OOM mode). */
  ooms = 0;

  constructor(freeFrames?: number) {
    this.oom = freeFrames !== undefined;
    this.system = freeFrames === undefined ? createSystem()
      : createSystem({ memory: { limitFrames: startFrames() + 1 + freeFrames } });
    const t = this.system.task(0)!;
    this.procs.push({ task: t, pages: new Map() });
    this.foreign = t.mm.vmas().map((v) => [v.start, v.end]);
    this.inUse0 = this.system.mmSystem.frames.inUse;
  }

  fail(msg: string): never {
    throw new Failure(msg);
  }

  isForeign(page: number): boolean {
    return this.foreign.some(([s, e]) => page >= s && page < e) || page < 0x10000 || page >= 0x7ffffffff000;
  }

  rangeForeign(start: number, pages: number): boolean {
    for (let i = 0; i < pages; i++) if (this.isForeign(start + i * PG)) return true;
    return false;
  }

  proc(i: number): Proc {
    return this.procs[i % this.procs.length];
  }

  /** A page address for an operation: one of the process's pages (or a neighbour), or the arena. */
  resolve(p: Proc, pick: number): number {
    const keys = [...p.pages.keys()].sort((a, b) => a - b);
    if (keys.length === 0 || pick % 6 === 5) return ARENA + (pick % ARENA_PAGES) * PG;
    const delta = [0, 0, 0, 0, -1, 1][(pick >>> 8) % 6];
    return keys[pick % keys.length] + delta * PG;
  }

  /** One of the process's pages (the arena's first page when it has none). */
  resolveMapped(p: Proc, pick: number): number {
    const keys = [...p.pages.keys()].sort((a, b) => a - b);
    return keys.length === 0 ? ARENA : keys[pick % keys.length];
  }

  /** The bytes of a page for an access, or the fault it raises (at `addr`). */
  access(p: Proc, page: number, access: Access, addr: number): Uint8Array | Fault {
    const pg = p.pages.get(page);
    if (pg === undefined) return { signal: 'SIGSEGV', code: 'SEGV_MAPERR', addr };
    const ok = access === 'write' ? (pg.prot & M.PROT_WRITE) !== 0
      : access === 'exec' ? (pg.prot & M.PROT_EXEC) !== 0 : pg.prot !== 0;
    if (!ok) return { signal: 'SIGSEGV', code: 'SEGV_ACCERR', addr };
    if (pg.kind === 'priv') return pg.data;
    if (pg.index >= pg.obj.size) return { signal: 'SIGBUS', code: 'BUS_ADRERR', addr };
    return pg.obj.pages[pg.index];
  }

  /** The pages an access of `len` bytes at `addr` touches, each with its bytes or fault. */
  chunks(p: Proc, addr: number, len: number, access: Access): { addr: number; n: number; r: Uint8Array | Fault }[] {
    const out = [];
    let a = addr;
    while (a < addr + len) {
      const page = a - (a % PG);
      const n = Math.min(addr + len - a, page + PG - a);
      out.push({ addr: a, n, r: this.access(p, page, access, a) });
      a += n;
    }
    return out;
  }

  newPrivate(prot: number): Page {
    return { prot, kind: 'priv', data: new Uint8Array(PG) };
  }

  newObj(pages: number): SharedObj {
    return { id: this.nextObj++, size: pages, pages: Array.from({ length: pages }, () => new Uint8Array(PG)) };
  }

  // ---- checks ----

  checkStructure(where: string): void {
    for (const p of this.procs) {
      const t = p.task;
      let counted = 0;
      for (const v of t.mm.vmas()) {
        if (this.foreign.some(([s, e]) => v.start < e && s < v.end)) {
          if (!this.foreign.some(([s, e]) => v.start === s && v.end === e)) {
            this.fail(`${where}: task ${t.label}: a start-state VMA changed: ${hex(v.start)}-${hex(v.end)}`);
          }
          continue;
        }
        for (let a = v.start; a < v.end; a += PG) {
          const pg = p.pages.get(a);
          if (pg === undefined) this.fail(`${where}: task ${t.label}: VMA ${hex(v.start)}-${hex(v.end)} maps ${hex(a)}, the model does not`);
          const prot = v.flags & 7;
          const shared = (v.flags & VM_SHARED) !== 0;
          if (prot !== pg.prot || shared !== (pg.kind === 'shared')) {
            this.fail(`${where}: task ${t.label}: page ${hex(a)} is ${protName(prot)} ${shared ? 'shared' : 'private'} ` +
              `in VMA ${hex(v.start)}-${hex(v.end)}, model ${protName(pg.prot)} ${pg.kind}`);
          }
          if (pg.kind === 'shared') {
            const inode = v.file?.inode;
            const index = v.pgoff + (a - v.start) / PG;
            if (inode === undefined || index !== pg.index) {
              this.fail(`${where}: task ${t.label}: shared page ${hex(a)} at object offset ${index}, model ${pg.index}`);
            }
            const known = this.objInode.get(pg.obj);
            if (known === undefined) {
              for (const [o, i] of this.objInode) if (i === inode && o !== pg.obj) this.fail(`${where}: shared objects ${o.id} and ${pg.obj.id} are one inode`);
              this.objInode.set(pg.obj, inode);
            } else if (known !== inode) {
              this.fail(`${where}: task ${t.label}: page ${hex(a)} maps another object than model object ${pg.obj.id}`);
            }
          }
          counted++;
        }
      }
      if (counted !== p.pages.size) this.fail(`${where}: task ${t.label}: ${counted} pages in VMAs, model ${p.pages.size}`);
      try {
        t.checkInvariants();
      } catch (e) {
        this.fail(`${where}: task ${t.label}: ${(e as Error).message}`);
      }
    }
    try {
      this.system.checkFrames();
    } catch (e) {
      this.fail(`${where}: checkFrames: ${(e as Error).message}`);
    }
  }

  /** Every page of one process against the model. */
  checkContents(p: Proc, where: string): void {
    for (const [page, pg] of [...p.pages].sort((a, b) => a[0] - b[0])) {
      const r = this.access(p, page, 'read', page);
      const got = capture(() => {
        const b = p.task.mem.read(page, PG);
        if (!(r instanceof Uint8Array)) return 'readable';
        for (let i = 0; i < PG; i++) {
          if (b[i] !== r[i]) return `byte +${hex(i)} = ${hex(b[i])}, model ${hex(r[i])}`;
        }
        return 'same';
      });
      const exp: Outcome = r instanceof Uint8Array ? { ok: true, value: 'same' } : { ok: false, fault: r };
      if (this.oomChunk(got, [{ addr: page, r }], `${where}: task ${p.task.label} read(${hex(page)})`) >= 0) continue;
      if (outcomeString(got) !== outcomeString(exp)) {
        this.fail(`${where}: task ${p.task.label} page ${hex(page)} (${protName(pg.prot)} ${pg.kind}): ` +
          `got ${outcomeString(got)}, expected ${outcomeString(exp)}`);
      }
    }
  }

  // ---- operations ----

  run(op: Op): string {
    switch (op.k) {
      case 'mmap': return this.mmap(op);
      case 'munmap': return this.munmap(op);
      case 'mprotect': return this.mprotect(op);
      case 'mremap': return this.mremap(op);
      case 'dontneed': return this.dontneed(op);
      case 'store': return this.store(op);
      case 'load': return this.load(op);
      case 'fork': return this.fork(op);
      case 'exit': return this.exit(op);
      case 'check': this.checkContents(this.proc(op.proc), 'check'); return `task ${this.proc(op.proc).task.label} checked`;
    }
  }

  mmap(op: Extract<Op, { k: 'mmap' }>): string {
    const p = this.proc(op.proc);
    const addr = op.fixed ? ARENA + op.page * PG : 0;
    const flags = (op.shared ? M.MAP_SHARED : M.MAP_PRIVATE) | M.MAP_ANONYMOUS | (op.fixed ? M.MAP_FIXED : 0);
    const r = p.task.fast.mmap(addr, op.pages * PG, op.prot, flags, -1, 0);
    const what = `task ${p.task.label} mmap(${hex(addr)}, ${op.pages}p, ${protName(op.prot)}, ${op.shared ? 'shared' : 'private'}${op.fixed ? ' fixed' : ''}) = ${r < 0 ? r : hex(r)}`;
    if (r < 0 || r % PG !== 0 || (op.fixed && r !== addr)) this.fail(`${what}: unexpected result`);
    if (this.rangeForeign(r, op.pages)) this.fail(`${what}: placed over a start-state mapping`);
    if (!op.fixed) for (let i = 0; i < op.pages; i++) if (p.pages.has(r + i * PG)) this.fail(`${what}: placed over a mapping`);
    const obj = op.shared ? this.newObj(op.pages) : null;
    for (let i = 0; i < op.pages; i++) {
      p.pages.set(r + i * PG, obj ? { prot: op.prot, kind: 'shared', obj, index: i } : this.newPrivate(op.prot));
    }
    return what;
  }

  munmap(op: Extract<Op, { k: 'munmap' }>): string {
    const p = this.proc(op.proc);
    const a = op.pick % 4 === 3 ? this.resolve(p, op.pick >>> 2) : this.resolveMapped(p, op.pick >>> 2);
    if (this.rangeForeign(a, op.pages)) return 'skipped (start-state memory)';
    const r = p.task.fast.munmap(a, op.pages * PG);
    const what = `task ${p.task.label} munmap(${hex(a)}, ${op.pages}p) = ${r}`;
    if (r !== 0) this.fail(`${what}: expected 0`);
    for (let i = 0; i < op.pages; i++) p.pages.delete(a + i * PG);
    return what;
  }

  mprotect(op: Extract<Op, { k: 'mprotect' }>): string {
    const p = this.proc(op.proc);
    const a = op.pick % 4 === 3 ? this.resolve(p, op.pick >>> 2) : this.resolveMapped(p, op.pick >>> 2);
    if (this.rangeForeign(a, op.pages)) return 'skipped (start-state memory)';
    // Linux applies the change VMA by VMA up to the first hole, then fails with ENOMEM.
    let exp = 0;
    const changed: number[] = [];
    for (let i = 0; i < op.pages; i++) {
      if (!p.pages.has(a + i * PG)) { exp = -Errno.ENOMEM; break; }
      changed.push(a + i * PG);
    }
    const r = p.task.fast.mprotect(a, op.pages * PG, op.prot);
    const what = `task ${p.task.label} mprotect(${hex(a)}, ${op.pages}p, ${protName(op.prot)}) = ${r}`;
    if (r !== exp) this.fail(`${what}: expected ${exp}`);
    for (const pa of changed) p.pages.get(pa)!.prot = op.prot;
    return what;
  }

  mremap(op: Extract<Op, { k: 'mremap' }>): string {
    const p = this.proc(op.proc);
    const a = this.resolveMapped(p, op.pick);
    // Only ranges inside one VMA (the VMA bounds come from the implementation; the checks after
    // every step hold them to the model's pages).
    const v = p.pages.has(a) ? p.task.mm.tree.find(a) : undefined; // `a` from resolveMapped: a page or nothing
    if (v === undefined) return 'skipped (not mapped)';
    const oldPages = Math.min(op.oldPages, (v.end - a) / PG);
    const { newPages } = op;
    const r = p.task.fast.mremap(a, oldPages * PG, newPages * PG, M.MREMAP_MAYMOVE, 0);
    const what = `task ${p.task.label} mremap(${hex(a)}, ${oldPages}p → ${newPages}p, MAYMOVE) = ${r < 0 ? r : hex(r)}`;
    if (r < 0 || r % PG !== 0) this.fail(`${what}: unexpected result`);
    if (newPages <= oldPages) {
      if (r !== a) this.fail(`${what}: a shrink must stay in place`);
      for (let i = newPages; i < oldPages; i++) p.pages.delete(a + i * PG);
      return what;
    }
    const old: Page[] = [];
    for (let i = 0; i < oldPages; i++) old.push(p.pages.get(a + i * PG)!);
    if (r !== a) {
      for (let i = 0; i < newPages; i++) if (p.pages.has(r + i * PG)) this.fail(`${what}: moved onto a mapping`);
      for (let i = 0; i < oldPages; i++) p.pages.delete(a + i * PG);
      old.forEach((pg, i) => p.pages.set(r + i * PG, pg));
    } else {
      for (let i = oldPages; i < newPages; i++) if (p.pages.has(r + i * PG)) this.fail(`${what}: grew in place over a mapping`);
    }
    if (this.rangeForeign(r, newPages)) this.fail(`${what}: over start-state memory`);
    const last = old[oldPages - 1];
    for (let i = oldPages; i < newPages; i++) {
      p.pages.set(r + i * PG, last.kind === 'priv' ? this.newPrivate(last.prot)
        : { prot: last.prot, kind: 'shared', obj: last.obj, index: last.index + 1 + (i - oldPages) });
    }
    return what;
  }

  dontneed(op: Extract<Op, { k: 'dontneed' }>): string {
    const p = this.proc(op.proc);
    const a = op.pick % 4 === 3 ? this.resolve(p, op.pick >>> 2) : this.resolveMapped(p, op.pick >>> 2);
    if (this.rangeForeign(a, op.pages)) return 'skipped (start-state memory)';
    let exp = 0;
    for (let i = 0; i < op.pages; i++) {
      const pg = p.pages.get(a + i * PG);
      if (pg === undefined) { exp = -Errno.ENOMEM; continue; }
      if (pg.kind === 'priv') pg.data = new Uint8Array(PG);
    }
    const r = p.task.sys.madvise(BigInt(a), BigInt(op.pages * PG), BigInt(M.MADV_DONTNEED));
    const what = `task ${p.task.label} madvise(${hex(a)}, ${op.pages}p, DONTNEED) = ${r}`;
    if (r !== exp) this.fail(`${what}: expected ${exp}`);
    return what;
  }

  /**
   * With a frame limit, an access may instead raise SIGKILL (the pool is exhausted) at the first
   * byte of one of its pages, provided every page up to that one is accessible in the model. Returns
   * the index of that page's chunk, or -1 when `got` is not such a fault.
   */
  oomChunk(got: Outcome, chunks: { addr: number; r: Uint8Array | Fault }[], what: string): number {
    if (!this.oom || got.ok || got.fault.signal !== 'SIGKILL') return -1;
    const frames = this.system.mmSystem.frames;
    if (frames.available !== 0) this.fail(`${what}: SIGKILL with ${frames.available} frames free`);
    const i = chunks.findIndex((c) => c.addr === got.fault.addr);
    if (i < 0 || got.fault.code !== 'SI_KERNEL') this.fail(`${what}: SIGKILL not at the start of a page of the access`);
    for (let j = 0; j <= i; j++) {
      if (!(chunks[j].r instanceof Uint8Array)) this.fail(`${what}: SIGKILL after a page that should fault ${faultString(chunks[j].r as Fault)}`);
    }
    this.ooms++;
    return i;
  }

  store(op: Extract<Op, { k: 'store' }>): string {
    const p = this.proc(op.proc);
    const addr = this.resolve(p, op.pick) + op.off;
    const size = { store8: 1, store16: 2, store32: 4, store64: 8, write: op.len }[op.how];
    if (this.rangeForeign(addr - (addr % PG), Math.ceil(((addr % PG) + size) / PG))) return 'skipped (start-state memory)';
    const bytes = bytesFrom(op.seed, size);
    const m = op.via32 ? p.task.mem32 : p.task.mem;
    const chunks = this.chunks(p, addr, size, 'write');
    const firstFault = chunks.findIndex((c) => !(c.r instanceof Uint8Array));
    // write() stores page by page up to the faulting page; a single store is all or nothing.
    let applied = firstFault < 0 ? chunks.length : op.how === 'write' ? firstFault : 0;
    const exp: Outcome = firstFault < 0 ? { ok: true, value: 'stored' } : { ok: false, fault: chunks[firstFault].r as Fault };
    const dv = new DataView(bytes.buffer);
    const got = capture(() => {
      switch (op.how) {
        case 'store8': m.store8(addr, bytes[0]); break;
        case 'store16': m.store16(addr, dv.getUint16(0, true)); break;
        case 'store32': m.store32(addr, dv.getUint32(0, true)); break;
        case 'store64': m.store64(addr, dv.getUint32(0, true), dv.getUint32(4, true)); break;
        case 'write': m.write(addr, bytes); break;
      }
      return 'stored';
    });
    const what = `task ${p.task.label} ${op.how}(${hex(addr)}${op.how === 'write' ? `, ${size} bytes` : ''}) → ${outcomeString(got)}`;
    const oom = this.oomChunk(got, chunks, what);
    if (oom >= 0) applied = op.how === 'write' ? oom : 0;
    else if (outcomeString(got) !== outcomeString(exp)) this.fail(`${what}: expected ${outcomeString(exp)}`);
    let done = 0;
    for (let i = 0; i < applied; i++) {
      const c = chunks[i];
      (c.r as Uint8Array).set(bytes.subarray(done, done + c.n), c.addr % PG);
      done += c.n;
    }
    return what;
  }

  load(op: Extract<Op, { k: 'load' }>): string {
    const p = this.proc(op.proc);
    const addr = this.resolve(p, op.pick) + op.off;
    const size = { load8: 1, load16: 2, load32: 4, load64: 8, read: op.len, fetch8: 1 }[op.how];
    if (this.rangeForeign(addr - (addr % PG), Math.ceil(((addr % PG) + size) / PG))) return 'skipped (start-state memory)';
    const chunks = this.chunks(p, addr, size, op.how === 'fetch8' ? 'exec' : 'read');
    const m = op.via32 ? p.task.mem32 : p.task.mem;
    const firstFault = chunks.findIndex((c) => !(c.r instanceof Uint8Array));
    /** The model's bytes of the first `upto` chunks, the rest 0xEE. */
    const modelBytes = (upto: number): Uint8Array => {
      const b = new Uint8Array(size).fill(0xee);
      let done = 0;
      for (let i = 0; i < upto; i++) {
        const c = chunks[i];
        b.set((c.r as Uint8Array).subarray(c.addr % PG, c.addr % PG + c.n), done);
        done += c.n;
      }
      return b;
    };
    const show = (b: Uint8Array, n: number): string => {
      if (n <= 16) return [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
      let h = 0x811c9dc5; // FNV-1a of the bytes
      for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0;
      return `${n} bytes, fnv ${hex(h)}`;
    };
    const le = (b: Uint8Array, n: number): string => {
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
      return hex(Number(v >> 32n)) + ':' + hex(Number(v & 0xffffffffn));
    };
    if (op.how === 'read') {
      // readInto copies the bytes before the faulting page; the rest of dst keeps 0xEE.
      const buf = new Uint8Array(size).fill(0xee);
      const got = capture(() => { m.readInto(addr, buf); return show(buf, size); });
      const what = `task ${p.task.label} readInto(${hex(addr)}, ${size}) → ${outcomeString(got)}`;
      let upto = firstFault < 0 ? chunks.length : firstFault;
      const exp: Outcome = firstFault < 0 ? { ok: true, value: show(modelBytes(upto), size) } : { ok: false, fault: chunks[firstFault].r as Fault };
      const oom = this.oomChunk(got, chunks, what);
      if (oom >= 0) upto = oom;
      else if (outcomeString(got) !== outcomeString(exp)) this.fail(`${what}: expected ${outcomeString(exp)}`);
      const want = modelBytes(upto);
      if (show(buf, size) !== show(want, size)) this.fail(`${what}: bytes copied ${show(buf, size)}, expected ${show(want, size)}`);
      return what;
    }
    const exp: Outcome = firstFault < 0 ? { ok: true, value: le(modelBytes(chunks.length), size) } : { ok: false, fault: chunks[firstFault].r as Fault };
    const got = capture(() => {
      switch (op.how) {
        case 'load8': return le(Uint8Array.of(m.load8(addr)), 1);
        case 'fetch8': return le(Uint8Array.of(m.fetch8(addr)), 1);
        case 'load16': { const v = m.load16(addr); return le(Uint8Array.of(v & 255, v >> 8), 2); }
        case 'load32': { const v = m.load32(addr); return le(new Uint8Array(Uint32Array.of(v).buffer), 4); }
        case 'load64': { const lo = m.load64(addr); return le(new Uint8Array(Uint32Array.of(lo, m.hi).buffer), 8); }
        default: throw new Error(`unknown load ${op.how}`);
      }
    });
    const what = `task ${p.task.label} ${op.how}(${hex(addr)}) → ${outcomeString(got)}`;
    if (this.oomChunk(got, chunks, what) < 0 && outcomeString(got) !== outcomeString(exp)) this.fail(`${what}: expected ${outcomeString(exp)}`);
    return what;
  }

  fork(op: Extract<Op, { k: 'fork' }>): string {
    if (this.procs.length >= MAX_PROCS) return 'skipped (three processes)';
    const p = this.proc(op.proc);
    const c = p.task.fork();
    if (typeof c === 'number') this.fail(`task ${p.task.label} fork() = ${c}`);
    const pages = new Map<number, Page>();
    for (const [a, pg] of p.pages) pages.set(a, pg.kind === 'priv' ? { prot: pg.prot, kind: 'priv', data: pg.data.slice() } : { ...pg });
    this.procs.push({ task: c, pages });
    return `task ${p.task.label} fork() = task ${c.label}`;
  }

  exit(op: Extract<Op, { k: 'exit' }>): string {
    if (this.procs.length === 1) return 'skipped (only the first process)';
    const i = 1 + (op.proc % (this.procs.length - 1));
    const p = this.procs[i];
    p.task.exit();
    this.procs.splice(i, 1);
    return `task ${p.task.label} exit()`;
  }

  /** End of a run: compare everything, tear down, and the frame pool must be as it started. */
  finish(): void {
    for (const p of this.procs) this.checkContents(p, 'final');
    while (this.procs.length > 1) {
      const p = this.procs.pop()!;
      p.task.exit();
      this.checkStructure(`after task ${p.task.label} exited`);
    }
    const p = this.procs[0];
    for (const a of [...p.pages.keys()]) {
      const r = p.task.fast.munmap(a, PG);
      if (r !== 0) this.fail(`final munmap(${hex(a)}) = ${r}`);
      p.pages.delete(a);
    }
    this.checkStructure('after unmapping everything');
    const inUse = this.system.mmSystem.frames.inUse;
    if (inUse !== this.inUse0) this.fail(`frames in use ${inUse} after tearing everything down, ${this.inUse0} at the start`);
  }
}

function runOps(ops: Op[], freeFrames?: number): World {
  const w = new World(freeFrames);
  let step = -1;
  try {
    w.checkStructure('start');
    for (step = 0; step < ops.length; step++) {
      const line = w.run(ops[step]);
      w.trace.push(`${step}: ${opString(ops[step])}  ⇒  ${line}`);
      w.checkStructure(`after step ${step}`);
    }
    step = ops.length;
    w.finish();
  } catch (e) {
    const where = step < ops.length ? `step ${step}: ${opString(ops[step])}` : 'teardown';
    const msg = e instanceof Failure ? e.message : `${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack ?? ''}`;
    throw new Error(`${where}\n  ${msg}\ntrace:\n  ${w.trace.join('\n  ') || '(no step completed)'}`);
  }
  return w;
}

describe('memory model: random operations over up to three processes', () => {
  it('every load, store and fault matches a byte-level reference model', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => { runOps(ops); }), {
      seed: 0x6d656d, numRuns: 300,
    });
  });

  it('store/load heavy: long runs with many crossing accesses', () => {
    const mmaps = fc.array(named(fc.record({
      k: fc.constant('mmap' as const), proc: fc.constant(0), fixed: fc.boolean(), page: fc.nat({ max: ARENA_PAGES - 1 }),
      pages: fc.integer({ min: 1, max: 4 }), shared: fc.boolean(), prot: fc.constantFrom(3, 3, 7, 7, 1, 2, 0),
    })), { minLength: 2, maxLength: 6 });
    const body = fc.array(fc.oneof(
      { weight: 1, arbitrary: opArb },
      { weight: 1, arbitrary: named(fc.record({ k: fc.constantFrom('fork' as const, 'exit' as const), proc: procArb })) },
      { weight: 2, arbitrary: named(fc.record({
        k: fc.constant('store' as const), proc: procArb, pick: pickArb, off: fc.constantFrom(PG - 1, PG - 3, PG - 5, PG - 7, 0),
        how: fc.constantFrom<StoreHow>('store16', 'store32', 'store64', 'write'), len: fc.integer({ min: 1, max: 12 }), seed: fc.nat(),
        via32: fc.boolean(),
      })) },
      { weight: 2, arbitrary: named(fc.record({
        k: fc.constant('load' as const), proc: procArb, pick: pickArb, off: fc.constantFrom(PG - 1, PG - 3, PG - 5, PG - 7, 0),
        how: fc.constantFrom<LoadHow>('load16', 'load32', 'load64', 'read', 'fetch8'), len: fc.integer({ min: 1, max: 12 }),
        via32: fc.boolean(),
      })) },
    ), { minLength: 20, maxLength: 80 });
    const heavy = fc.tuple(mmaps, body).map(([a, b]) => [...a, ...b]);
    fc.assert(fc.property(heavy, (ops) => { runOps(ops); }), { seed: 0x6c6f6164, numRuns: 80 });
  });

  it('out of memory: SIGKILL only when the pool is empty, at a legal page; nothing leaks', () => {
    let ooms = 0;
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 12 }), (ops, free) => {
      ooms += runOps(ops, free).ooms;
    }), { seed: 0x6f6f6d, numRuns: 200 });
    expect(ooms).toBeGreaterThan(20); // the property did reach the limit, often
  });

  it('reports a failing sequence readably (the harness itself)', () => {
    // A model that disagrees on purpose: the error must name the step, the expectation and the trace.
    let msg = '';
    try {
      const w = new World();
      w.run({ k: 'mmap', proc: 0, fixed: true, page: 0, pages: 1, shared: false, prot: 3 });
      w.proc(0).pages.get(ARENA)!.kind === 'priv' && ((w.proc(0).pages.get(ARENA) as { data: Uint8Array }).data[5] = 1);
      w.run({ k: 'load', proc: 0, pick: 0, off: 5, how: 'load8', len: 1, via32: false });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('load8(0x10000005)');
    expect(msg).toContain('expected 0x0:0x1');
  });
});

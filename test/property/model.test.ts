/**
 * Model-based tests: random sequences of mmap / munmap / mprotect / mremap / madvise /
 * mlock / mlock2 / munlock / brk against a trivially correct page-granular model
 * (Map<pageIndex, PageAttr>), with fixed seeds (STYLE §1.3.5).
 *
 * After every operation:
 *   - the result class must match the model's prediction wherever the model can predict it
 *     (EINVAL for unaligned / zero, EEXIST, EAGAIN / ENOMEM for the mlock limit, ENOMEM for holes
 *     in mprotect / mlock / munlock / madvise, EFAULT for mremap of an unmapped address, EINVAL
 *     for overlapping MREMAP_FIXED, the exact address for MAP_FIXED, a free hint and in-place
 *     mremap); where Linux chooses (unhinted placement, moves) the address must be page aligned,
 *     inside the user range, free before the call, and 2 MiB aligned for unhinted private
 *     anonymous multiples of 2 MiB (docs linux-mm.md §2.6);
 *   - the page-level view of every VMA the test created (mapped?, prot, shared, locked,
 *     lock-on-fault, noreserve, madvise bits, shmem object and offset) must equal the model,
 *     the start-state VMAs must be untouched, and t.checkInvariants() must pass.
 *
 * A second property restricts itself to operations that never fault a page in (no populate, no
 * plain mlock), so no VMA has an anon_vma and private pgoffs stay linear (§3.3): there the VMA
 * list must be the canonical one — no two touching VMAs may be mergeable (equal flags, same
 * backing, contiguous offsets, §3.1) — and VM_ACCOUNT must follow §1.5/§3.4 exactly.
 *
 * Run time is bounded by numRuns: the three properties take about 5 s together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { createSystem, type Task } from '../../src/kernel/system.js';
import {
  VM_ACCOUNT, VM_DONTCOPY, VM_DONTDUMP, VM_HUGEPAGE, VM_LOCKED, VM_LOCKONFAULT, VM_MAYEXEC,
  VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_MERGEABLE, VM_NOHUGEPAGE, VM_NORESERVE, VM_RAND_READ,
  VM_SEQ_READ, VM_SHARED, VM_WIPEONFORK, VM_WRITE, VMH_SEALED, type Vma,
} from '../../src/mm/vma.js';

const PG = 0x1000;
const PMD = 0x200000;
const TASK_SIZE = 0x7ffffffff000;
const ARENA = 0x10000000; // fixed and hinted operations stay in [ARENA, ARENA + 0x10000000)
const ARENA_PAGES = 0x10000;
const WINDOW = 48; // most operations hit the first WINDOW pages so they collide
const NOFD = 0xffffffffffffffffn;
const MEMLOCK_PAGES = 0x800000 / PG; // the start state's RLIMIT_MEMLOCK (8 MiB), unprivileged

// madvise attribute bits of the model (one per VM_* flag they set)
const ADV: Record<string, number> = {
  dc: VM_DONTCOPY, dd: VM_DONTDUMP, wf: VM_WIPEONFORK, sr: VM_SEQ_READ, rr: VM_RAND_READ,
  hg: VM_HUGEPAGE, nh: VM_NOHUGEPAGE, mg: VM_MERGEABLE,
};
const ADV_MASK = Object.values(ADV).reduce((a, b) => a | b, 0);

interface PageAttr {
  prot: number; // PROT_READ|WRITE|EXEC bits
  shared: boolean;
  locked: boolean;
  onfault: boolean;
  noreserve: boolean;
  /** VM_* bits set by madvise (ADV_MASK). */
  adv: number;
  /**
   * The backing object and the page's offset in it: 0 for private anonymous memory (offset
   * unused), a shmem object per shared anonymous mmap, FILE for the test's ext4 file.
   */
  obj: number;
  off: number;
  /** mseal()ed (VM_SEALED). */
  sealed: boolean;
  /** VM_ACCOUNT as §1.5/§3.4 predict it when nothing was ever faulted in (checked without faults). */
  acct: boolean;
}

/** The model object id of the test's file (64 pages, opened O_RDWR once). */
const FILE = -1;
const FILE_PAGES = 64;

function sameAttr(a: PageAttr, b: PageAttr): boolean {
  return a.prot === b.prot && a.shared === b.shared && a.locked === b.locked && a.onfault === b.onfault &&
    a.noreserve === b.noreserve && a.adv === b.adv && a.obj === b.obj && a.sealed === b.sealed;
}

/** Linux §1.5/§3.4 for memory that was never faulted: private, writable, not NORESERVE. */
function accountAtMmap(shared: boolean, noreserve: boolean, prot: number): boolean {
  return !shared && !noreserve && (prot & M.PROT_WRITE) !== 0;
}

/**
 * §3.4: mprotect adding write to a private VMA without VM_ACCOUNT|VM_WRITE|VM_SHARED|VM_NORESERVE
 * charges it; removing write clears VM_ACCOUNT only for anonymous memory without anon_vma (in
 * the no-fault property that is all private anonymous memory); file VMAs keep it.
 */
function accountAfterMprotect(a: PageAttr, prot: number): boolean {
  if ((prot & M.PROT_WRITE) !== 0) {
    return a.acct || (!a.shared && !a.noreserve && (a.prot & M.PROT_WRITE) === 0);
  }
  return a.acct && a.obj !== 0;
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

type MmapMode = 'fixed' | 'noreplace' | 'hint' | 'any';
/**
 * Where a range operation starts: null = arena page `page`; a number = inside the VMA with that
 * index (modulo the count) among the VMAs the test created, at page `page` modulo its size — so
 * operations also hit mappings placed outside the arena and land on mapped memory often.
 */
type Pick = number | null;
type Op =
  | { k: 'mmap'; mode: MmapMode; page: number; sub: number; pages: number; cut: number; zero: boolean;
      prot: number; shared: boolean; populate: boolean; locked: boolean; noreserve: boolean; big: number;
      /** Map the test file (at page `fpage`) instead of anonymous memory. */
      file: boolean; fpage: number }
  | { k: 'munmap'; pick: Pick; page: number; sub: number; pages: number; cut: number; zero: boolean }
  | { k: 'mprotect'; pick: Pick; page: number; sub: number; pages: number; cut: number; zero: boolean; prot: number }
  | { k: 'madvise'; pick: Pick; page: number; pages: number; advice: number }
  | { k: 'mlock'; how: 'mlock' | 'onfault' | 'munlock'; pick: Pick; page: number; sub: number; pages: number }
  | { k: 'mremap'; pick: number; at: number; len: number; newPages: number; how: 'plain' | 'maymove' | 'fixed'; target: number }
  | { k: 'mremapHole'; page: number; newPages: number }
  | { k: 'brk'; delta: number; sub: number }
  | { k: 'mseal'; pick: Pick; page: number; pages: number };

const pageArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: WINDOW - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: WINDOW, max: ARENA_PAGES - 64 }) },
);
const pagesArb = fc.integer({ min: 1, max: 12 });
const cutArb = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: PG - 1 }) });
const subArb = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: PG - 1 }) });
const zeroArb = fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const protArb = fc.integer({ min: 0, max: 7 });
const pickArb: fc.Arbitrary<Pick> = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() });
const rare = (w: number): fc.Arbitrary<boolean> => fc.oneof({ weight: w, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

const ATTR_ADVICE = [
  M.MADV_NORMAL, M.MADV_RANDOM, M.MADV_SEQUENTIAL, M.MADV_DONTFORK, M.MADV_DOFORK, M.MADV_DONTDUMP,
  M.MADV_DODUMP, M.MADV_WIPEONFORK, M.MADV_KEEPONFORK, M.MADV_HUGEPAGE, M.MADV_NOHUGEPAGE,
  M.MADV_MERGEABLE, M.MADV_UNMERGEABLE,
];
const OTHER_ADVICE = [M.MADV_DONTNEED, M.MADV_WILLNEED, M.MADV_COLD, M.MADV_PAGEOUT, M.MADV_FREE, M.MADV_DONTNEED_LOCKED];
/** Prefaulting advice: assigns anon_vmas, so only in the property with faults. */
const POPULATE_ADVICE = [M.MADV_POPULATE_READ, M.MADV_POPULATE_WRITE];

function opArb(opts: { faults: boolean }): fc.Arbitrary<Op> {
  const mmap = fc.record({
    k: fc.constant('mmap' as const),
    mode: fc.constantFrom<MmapMode>('fixed', 'fixed', 'noreplace', 'hint', 'any'),
    page: pageArb, sub: subArb, pages: pagesArb, cut: cutArb, zero: zeroArb, prot: protArb,
    shared: rare(3), populate: opts.faults ? rare(4) : fc.constant(false),
    locked: opts.faults ? rare(6) : fc.constant(false), noreserve: rare(5),
    big: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) }),
    file: rare(4), fpage: fc.integer({ min: 0, max: FILE_PAGES - 1 }),
  });
  const munmap = fc.record({ k: fc.constant('munmap' as const), pick: pickArb, page: pageArb, sub: subArb, pages: pagesArb, cut: cutArb, zero: zeroArb });
  const mprotect = fc.record({ k: fc.constant('mprotect' as const), pick: pickArb, page: pageArb, sub: subArb, pages: pagesArb, cut: cutArb, zero: zeroArb, prot: protArb });
  const madvise = fc.record({
    k: fc.constant('madvise' as const), pick: pickArb, page: pageArb, pages: pagesArb,
    advice: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ATTR_ADVICE) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER_ADVICE, ...(opts.faults ? POPULATE_ADVICE : [])) }),
  });
  const mlock = fc.record({
    k: fc.constant('mlock' as const),
    how: opts.faults ? fc.constantFrom<'mlock' | 'onfault' | 'munlock'>('mlock', 'onfault', 'munlock') : fc.constantFrom<'onfault' | 'munlock'>('onfault', 'munlock'),
    pick: pickArb, page: pageArb, sub: subArb, pages: pagesArb,
  });
  const mremap = fc.record({
    k: fc.constant('mremap' as const), pick: fc.nat(), at: fc.nat(), len: fc.nat(),
    newPages: fc.integer({ min: 1, max: 14 }),
    how: fc.constantFrom<'plain' | 'maymove' | 'fixed'>('plain', 'maymove', 'maymove', 'fixed'),
    target: fc.integer({ min: 0, max: WINDOW + 16 }),
  });
  const hole = fc.record({ k: fc.constant('mremapHole' as const), page: fc.integer({ min: 0, max: WINDOW - 1 }), newPages: fc.integer({ min: 1, max: 4 }) });
  const brk = fc.record({ k: fc.constant('brk' as const), delta: fc.integer({ min: -6, max: 12 }), sub: subArb });
  const mseal = fc.record({ k: fc.constant('mseal' as const), pick: pickArb, page: pageArb, pages: pagesArb });
  return fc.oneof(
    { weight: 8, arbitrary: mmap }, { weight: 3, arbitrary: munmap }, { weight: 4, arbitrary: mprotect },
    { weight: 4, arbitrary: madvise }, { weight: 3, arbitrary: mlock }, { weight: 4, arbitrary: mremap },
    { weight: 1, arbitrary: hole }, { weight: 2, arbitrary: brk }, { weight: 1, arbitrary: mseal },
  ) as fc.Arbitrary<Op>;
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

class Model {
  readonly pages = new Map<number, PageAttr>();
  /** Pages of shmem objects (their size: pages at or past it lie beyond EOF). */
  readonly objSize = new Map<number, number>();
  private nextObj = 1;
  /** [start, end) page ranges of the start state's VMAs: occupied, never touched. */
  readonly initRanges: [number, number][];
  readonly startBrk: number;
  brk: number;

  constructor(t: Task) {
    this.objSize.set(FILE, FILE_PAGES);
    this.initRanges = t.mm.vmas().map((v) => [v.start / PG, v.end / PG]);
    this.startBrk = t.mm.startBrk;
    this.brk = t.mm.brk;
  }

  isInit(p: number): boolean {
    return this.initRanges.some(([s, e]) => p >= s && p < e);
  }

  mapped(p: number): boolean {
    return this.pages.has(p) || this.isInit(p);
  }

  /** All of [p, p+n) free (neither model pages nor start-state VMAs). */
  free(p: number, n: number): boolean {
    for (let i = 0; i < n; i++) if (this.mapped(p + i)) return false;
    return true;
  }

  anyMapped(p: number, n: number): boolean {
    return !this.free(p, n);
  }

  anySealed(p: number, n: number): boolean {
    for (let i = 0; i < n; i++) if (this.pages.get(p + i)?.sealed) return true;
    return false;
  }

  lockedCount(): number {
    let n = 0;
    for (const a of this.pages.values()) if (a.locked) n++;
    return n;
  }

  lockedIn(p: number, n: number): number {
    let c = 0;
    for (let i = 0; i < n; i++) if (this.pages.get(p + i)?.locked) c++;
    return c;
  }

  newObj(size: number): number {
    const o = this.nextObj++;
    this.objSize.set(o, size);
    return o;
  }

  unmap(p: number, n: number): void {
    for (let i = 0; i < n; i++) this.pages.delete(p + i);
  }

  /**
   * Sorted runs of equal attributes (backed: same object, contiguous offsets); with `acct` the
   * predicted VM_ACCOUNT must be equal too.
   */
  runs(acct: boolean): Run[] {
    const keys = [...this.pages.keys()].sort((a, b) => a - b);
    const out: Run[] = [];
    for (const p of keys) {
      const a = this.pages.get(p)!;
      const last = out[out.length - 1];
      if (last && last.end === p && sameAttr(last.attr, a) && (a.obj === 0 || last.off + (p - last.start) === a.off) &&
          (!acct || last.account === a.acct)) {
        last.end = p + 1;
      } else {
        out.push({ start: p, end: p + 1, attr: a, off: a.off, account: a.acct });
      }
    }
    return out;
  }
}

interface Run {
  start: number; // pages
  end: number;
  attr: PageAttr;
  off: number; // shared: offset of `start`
  account: boolean; // engine: VM_ACCOUNT; model: the prediction (compared without faults only)
}

// ---------------------------------------------------------------------------------------------
// Engine view
// ---------------------------------------------------------------------------------------------

const KNOWN = 7 | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_MAYSHARE | VM_LOCKED | VM_LOCKONFAULT |
  VM_NORESERVE | VM_ACCOUNT | ADV_MASK;

function engineAttr(v: Vma, objOf: (v: Vma) => number): PageAttr {
  const f = v.flags;
  const shared = (f & VM_MAYSHARE) !== 0;
  // Anonymous memory and a file opened O_RDWR: every VM_MAY* bit; shared ones VM_SHARED too.
  const expectFixed = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | (shared ? VM_MAYSHARE | VM_SHARED : 0);
  const fixedBits = f & (VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_MAYSHARE);
  if (fixedBits !== expectFixed) throw new Error(`${hex(v.start)}: unexpected VM_SHARED/VM_MAY* bits 0x${fixedBits.toString(16)}`);
  if ((f & ~KNOWN) !== 0) throw new Error(`${hex(v.start)}: unexpected flags 0x${(f & ~KNOWN).toString(16)}`);
  if ((v.flagsHi & ~VMH_SEALED) !== 0) throw new Error(`${hex(v.start)}: unexpected high flags 0x${v.flagsHi.toString(16)}`);
  const fs = v.file?.inode.fs;
  if (!(fs === undefined ? !shared : fs === 'ext4' || (fs === 'shmem' && shared))) throw new Error(`${hex(v.start)}: wrong backing ${fs}`);
  if (v.special !== null) throw new Error(`${hex(v.start)}: special VMA`);
  return {
    prot: f & 7, shared, locked: (f & VM_LOCKED) !== 0, onfault: (f & VM_LOCKONFAULT) !== 0,
    noreserve: (f & VM_NORESERVE) !== 0, adv: f & ADV_MASK, obj: v.file !== null ? objOf(v) : 0,
    off: v.file !== null ? v.pgoff : 0, acct: (f & VM_ACCOUNT) !== 0, sealed: (v.flagsHi & VMH_SEALED) !== 0,
  };
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function showRun(r: Run): string {
  const a = r.attr;
  const perms = (a.prot & 1 ? 'r' : '-') + (a.prot & 2 ? 'w' : '-') + (a.prot & 4 ? 'x' : '-') + (a.shared ? 's' : 'p');
  const adv = Object.entries(ADV).filter(([, b]) => (a.adv & b) !== 0).map(([n]) => n).join(',');
  return `${hex(r.start * PG)}-${hex(r.end * PG)} ${perms}${a.locked ? ' lo' : ''}${a.onfault ? ' lf' : ''}${a.sealed ? ' sl' : ''}` +
    `${a.noreserve ? ' nr' : ''}${adv ? ' ' + adv : ''}${a.obj !== 0 ? ` obj${a.obj}@${r.off}` : ''}`;
}

/** Engine file id ↔ model object id, kept for the whole run (a bijection). */
class ObjMap {
  private readonly e2m = new Map<number, number>();
  private readonly m2e = new Map<number, number>();
  /** Check or record that engine file `e` is model object `m`. */
  bind(e: number, m: number, where: string): void {
    const m0 = this.e2m.get(e);
    const e0 = this.m2e.get(m);
    if (m0 === undefined && e0 === undefined) {
      this.e2m.set(e, m);
      this.m2e.set(m, e);
      return;
    }
    if (m0 !== m || e0 !== e) throw new Error(`${where}: backing object mismatch (engine file ${e} ~ model obj ${m0}, model obj ${m} ~ engine file ${e0})`);
  }
}

interface Ctx {
  t: Task;
  /** The test file, O_RDWR, FILE_PAGES long. */
  fd: bigint;
  m: Model;
  objs: ObjMap;
  initVmas: string[];
  /** Check VM_ACCOUNT and the canonical VMA list (the no-fault property). */
  canonical: boolean;
  /**
   * Addresses where a failed unmap may legitimately have left a split: Linux's
   * vms_gather_munmap_vmas() splits the first VMA before it meets a sealed one and returns EPERM
   * without undoing the split (the engine does the same). The canonical check skips them.
   */
  keptSplits: Set<number>;
  log: string[];
}

function isInitVma(ctx: Ctx, v: Vma): boolean {
  return ctx.m.initRanges.some(([s, e]) => v.start / PG >= s && v.end / PG <= e);
}

function describeVma(v: Vma): string {
  return `${hex(v.start)}-${hex(v.end)} flags=0x${(v.flags >>> 0).toString(16)} pgoff=${v.pgoff}`;
}

/** Compare the engine with the model; throws with both views on a mismatch. */
function compare(ctx: Ctx): void {
  const { t, m } = ctx;
  t.checkInvariants();
  const vmas = t.mm.vmas();
  const init = vmas.filter((v) => isInitVma(ctx, v)).map(describeVma);
  if (JSON.stringify(init) !== JSON.stringify(ctx.initVmas)) {
    throw new Error(`start-state VMAs changed:\n${init.join('\n')}\nwas\n${ctx.initVmas.join('\n')}`);
  }
  const mine = vmas.filter((v) => !isInitVma(ctx, v));
  // Engine runs: per VMA, merged when the attributes continue (so VMA boundaries do not matter).
  const eng: Run[] = [];
  for (const v of mine) {
    const attr = engineAttr(v, (x) => x.file!.id);
    const last = eng[eng.length - 1];
    const s = v.start / PG;
    const acc = (v.flags & VM_ACCOUNT) !== 0;
    if (last && last.end === s && sameAttr(last.attr, attr) && (attr.obj === 0 || last.off + (s - last.start) === attr.off) &&
        (!ctx.canonical || last.account === acc)) {
      last.end = v.end / PG;
    } else {
      eng.push({ start: s, end: v.end / PG, attr, off: attr.off, account: acc });
    }
  }
  // Model pages are checked against the engine runs page by page (no sort on the hot path);
  // the sorted model runs are only built for the error message.
  const err = (why: string): Error => {
    const mod = m.runs(ctx.canonical);
    return new Error(`${why}\nengine:\n  ${eng.map(showRun).join('\n  ')}\nmodel:\n  ${mod.map(showRun).join('\n  ')}\nops:\n  ${ctx.log.join('\n  ')}`);
  };
  let total = 0;
  for (const e of eng) {
    const first = m.pages.get(e.start);
    if (first === undefined) throw err(`page-level view differs: ${hex(e.start * PG)} is mapped in the engine only`);
    if (e.attr.obj !== 0 && first.obj !== 0) {
      try {
        ctx.objs.bind(e.attr.obj, first.obj, showRun(e));
      } catch (x) {
        throw err((x as Error).message);
      }
      e.attr = { ...e.attr, obj: first.obj };
    }
    for (let p = e.start; p < e.end; p++) {
      const a = m.pages.get(p);
      if (a === undefined || !sameAttr(e.attr, a) || (a.obj !== 0 && a.off !== e.off + (p - e.start)) ||
          (ctx.canonical && a.acct !== e.account)) {
        throw err(`page-level view differs at ${hex(p * PG)}: engine ${showRun(e)} vs model ${a ? showRun({ start: p, end: p + 1, attr: a, off: a.off, account: a.acct }) : 'unmapped'}`);
      }
    }
    total += e.end - e.start;
  }
  if (total !== m.pages.size) throw err('page-level view differs: the model maps pages the engine does not');
  if (ctx.canonical) checkCanonical(ctx, mine, err);
}

/**
 * Without any fault: no anon_vma anywhere, private pgoff == start >> 12, VM_ACCOUNT as §1.5/§3.4,
 * and no two touching VMAs mergeable (§3.1: equal flags, same backing, contiguous pgoff).
 */
function checkCanonical(ctx: Ctx, mine: Vma[], err: (why: string) => Error): void {
  const heap = (v: Vma): boolean => v.start < ctx.t.mm.brk + PG && v.end > ctx.m.startBrk;
  for (const v of mine) {
    if (heap(v)) continue;
    if (v.anonVma !== null) throw err(`${describeVma(v)}: has an anon_vma although nothing was faulted in`);
    if (v.file === null && v.pgoff !== v.start / PG) throw err(`${describeVma(v)}: private pgoff not linear (§3.3)`);
    for (let p = v.start / PG; p < v.end / PG; p++) {
      if (((v.flags & VM_ACCOUNT) !== 0) !== ctx.m.pages.get(p)!.acct) throw err(`${describeVma(v)}: VM_ACCOUNT wrong at ${hex(p * PG)} (§1.5/§3.4)`);
    }
  }
  for (let i = 1; i < mine.length; i++) {
    const a = mine[i - 1];
    const b = mine[i];
    if (a.end !== b.start || heap(a) || heap(b) || ctx.keptSplits.has(a.end)) continue;
    const sameBacking = a.file === b.file && a.pgoff + a.pages === b.pgoff;
    if (a.flags === b.flags && a.flagsHi === b.flagsHi && sameBacking) {
      throw err(`mergeable but unmerged: ${describeVma(a)} | ${describeVma(b)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Running one operation on both sides
// ---------------------------------------------------------------------------------------------

const B = (n: number): bigint => BigInt(n);

/** The VMAs the test created, except the heap (brk's own territory). */
function testVmas(ctx: Ctx): Vma[] {
  const heapEnd = Math.ceil(ctx.m.brk / PG) * PG;
  return ctx.t.mm.vmas().filter((v) => !isInitVma(ctx, v) && !(v.start < heapEnd && v.end > ctx.m.startBrk));
}

/**
 * The page address a range operation starts at, and its length in pages (see Pick): inside a
 * picked VMA the range is cut at the VMA's end three times out of four, so that most operations
 * act on mapped memory while holes and neighbours are still hit.
 */
function rangeOf(ctx: Ctx, pick: Pick, page: number, pages: number): [number, number] {
  if (pick !== null) {
    const c = testVmas(ctx);
    if (c.length > 0) {
      const v = c[pick % c.length];
      const off = page % v.pages;
      return [v.start + off * PG, pick % 4 === 0 ? pages : Math.min(pages, v.pages - off)];
    }
  }
  return [ARENA + page * PG, pages];
}

/**
 * Pages of [addr, addr + pages) before the first start-state page (the [vvar] above the first
 * unhinted mapping, for instance): operations never reach into the start state.
 */
function clamp(ctx: Ctx, addr: number, pages: number): number {
  const p = Math.floor(addr / PG);
  for (let i = 0; i <= pages; i++) if (ctx.m.isInit(p + i)) return i - 1;
  return pages;
}

function checkPlaced(ctx: Ctx, r: number, pages: number, what: string, also: [number, number] | null = null): void {
  const p = r / PG;
  if (r <= 0 || r % PG !== 0 || r + pages * PG > TASK_SIZE) throw new Error(`${what}: bad address ${hex(r)}`);
  if (!ctx.m.free(p, pages)) throw new Error(`${what}: placed at ${hex(r)} over mapped pages`);
  if (also && p < also[1] && also[0] < p + pages) throw new Error(`${what}: placed at ${hex(r)} over the source range`);
}

function expectResult(ctx: Ctx, what: string, got: number, want: number | 'ok'): void {
  if (want === 'ok' ? got < 0 : got !== want) {
    const name = (n: number): string => (n < 0 ? Object.entries(Errno).find(([, v]) => v === -n)?.[0] ?? String(n) : hex(n));
    throw new Error(`${what}: got ${name(got)}, model predicts ${want === 'ok' ? 'success' : name(want)}\nops:\n  ${ctx.log.join('\n  ')}`);
  }
}

function run(ctx: Ctx, op: Op): void {
  const { t, m } = ctx;
  const s = t.sys;
  switch (op.k) {
    case 'mmap': {
      const pages = op.big > 0 && op.mode === 'any' ? (op.big * PMD) / PG : op.pages;
      const len = op.zero ? 0 : pages * PG - (op.big > 0 && op.mode === 'any' ? 0 : op.cut);
      const addr = op.mode === 'any' ? 0 : ARENA + op.page * PG + op.sub;
      const flags = (op.shared ? M.MAP_SHARED : M.MAP_PRIVATE) | (op.file ? 0 : M.MAP_ANONYMOUS) |
        (op.mode === 'fixed' ? M.MAP_FIXED : 0) | (op.mode === 'noreplace' ? M.MAP_FIXED_NOREPLACE : 0) |
        (op.populate ? M.MAP_POPULATE : 0) | (op.locked ? M.MAP_LOCKED : 0) | (op.noreserve ? M.MAP_NORESERVE : 0);
      const what = `mmap(${hex(addr)}, ${hex(len)}, ${op.prot}, 0x${flags.toString(16)}${op.file ? `, file@${hex(op.fpage * PG)}` : ''})`;
      ctx.log.push(what);
      const r = s.mmap(B(addr), B(len), B(op.prot), B(flags), op.file ? ctx.fd : NOFD, op.file ? B(op.fpage * PG) : 0n);
      const fixed = op.mode === 'fixed' || op.mode === 'noreplace';
      const p0 = (ARENA + op.page * PG) / PG;
      if (len === 0) return expectResult(ctx, what, r, -Errno.EINVAL); // §1.2.5
      if (fixed && op.sub !== 0) return expectResult(ctx, what, r, -Errno.EINVAL); // §1.2.12
      if (op.mode === 'noreplace' && m.anyMapped(p0, pages)) return expectResult(ctx, what, r, -Errno.EEXIST); // §1.2.13
      if (op.locked && m.lockedCount() + pages > MEMLOCK_PAGES) return expectResult(ctx, what, r, -Errno.EAGAIN); // §1.2.15
      if (op.mode === 'fixed' && m.anySealed(p0, pages)) {
        ctx.keptSplits.add(p0 * PG);
        return expectResult(ctx, what, r, -Errno.EPERM); // §1.2.19, e04:SE6
      }
      if (fixed) expectResult(ctx, what, r, p0 * PG);
      else if (op.mode === 'hint' && m.free(p0, pages)) expectResult(ctx, what, r, p0 * PG); // §2.3 step 3
      else {
        expectResult(ctx, what, r, 'ok');
        checkPlaced(ctx, r, pages, what);
        if (op.mode === 'any' && !op.shared && !op.file && (pages * PG) % PMD === 0 && r % PMD !== 0) {
          throw new Error(`${what}: ${hex(r)} not 2 MiB aligned (§2.6)`);
        }
      }
      const at = r / PG;
      const obj = op.file ? FILE : op.shared ? m.newObj(pages) : 0;
      const off0 = op.file ? op.fpage : 0;
      const acct = accountAtMmap(op.shared, op.noreserve, op.prot);
      for (let i = 0; i < pages; i++) {
        m.pages.set(at + i, {
          prot: op.prot, shared: op.shared, locked: op.locked, onfault: false, noreserve: op.noreserve, adv: 0,
          obj, off: obj !== 0 ? off0 + i : 0, acct, sealed: false,
        });
      }
      return;
    }
    case 'munmap': {
      const [start, span] = rangeOf(ctx, op.pick, op.page, op.pages);
      const addr = start + op.sub;
      op = { ...op, pages: clamp(ctx, addr, span) };
      if (op.pages <= 0) return;
      const len = op.zero ? 0 : op.pages * PG - op.cut;
      const what = `munmap(${hex(addr)}, ${hex(len)})`;
      ctx.log.push(what);
      const r = s.munmap(B(addr), B(len));
      if (op.sub !== 0 || len === 0) return expectResult(ctx, what, r, -Errno.EINVAL); // §4.1
      if (m.anySealed(addr / PG, op.pages)) {
        ctx.keptSplits.add(addr);
        return expectResult(ctx, what, r, -Errno.EPERM); // e04:SE2,SE3
      }
      expectResult(ctx, what, r, 0);
      m.unmap(addr / PG, op.pages);
      return;
    }
    case 'mprotect': {
      const [start, span] = rangeOf(ctx, op.pick, op.page, op.pages);
      const addr = start + op.sub;
      op = { ...op, pages: clamp(ctx, addr, span) };
      if (op.pages <= 0) return;
      const len = op.zero ? 0 : op.pages * PG - op.cut;
      const what = `mprotect(${hex(addr)}, ${hex(len)}, ${op.prot})`;
      ctx.log.push(what);
      const r = s.mprotect(B(addr), B(len), B(op.prot));
      if (op.sub !== 0) return expectResult(ctx, what, r, -Errno.EINVAL); // §4.2 step 2
      if (len === 0) return expectResult(ctx, what, r, 0); // step 3
      // steps 6–10: start must be mapped; pages change up to the first hole, which is ENOMEM
      const p0 = addr / PG;
      let want = 0;
      for (let i = 0; i < op.pages; i++) {
        const a = m.pages.get(p0 + i);
        if (a === undefined) { want = -Errno.ENOMEM; break; }
        if (a.sealed) { want = -Errno.EPERM; break; } // e04:SE4, per VMA in the walk (§4.2 step 9)
        m.pages.set(p0 + i, { ...a, prot: op.prot, acct: accountAfterMprotect(a, op.prot) });
      }
      return expectResult(ctx, what, r, want);
    }
    case 'madvise': {
      const [addr, span] = rangeOf(ctx, op.pick, op.page, op.pages);
      op = { ...op, pages: clamp(ctx, addr, span) };
      if (op.pages <= 0) return;
      const what = `madvise(${hex(addr)}, ${hex(op.pages * PG)}, ${op.advice})`;
      ctx.log.push(what);
      const r = s.madvise(B(addr), B(op.pages * PG), B(op.advice));
      if (op.advice === M.MADV_POPULATE_READ || op.advice === M.MADV_POPULATE_WRITE) {
        // §4.6 POPULATE_*: the first problem in address order wins: a hole → ENOMEM, missing
        // permission → EINVAL (e07:PO2,PO4), a page past the end of its object → EFAULT (PO5).
        const write = op.advice === M.MADV_POPULATE_WRITE;
        for (let i = 0; i < op.pages; i++) {
          const a = m.pages.get(addr / PG + i);
          if (a === undefined) return expectResult(ctx, what, r, -Errno.ENOMEM);
          if ((a.prot & (write ? M.PROT_WRITE : M.PROT_READ)) === 0) return expectResult(ctx, what, r, -Errno.EINVAL);
          if (a.obj !== 0 && a.off >= m.objSize.get(a.obj)!) return expectResult(ctx, what, r, -Errno.EFAULT);
        }
        return expectResult(ctx, what, r, 0);
      }
      // §4.6: every mapped page is advised in order; a VMA that refuses stops the walk with its
      // errno (the pages before it keep the advice); holes give ENOMEM at the end.
      let want = 0;
      let any = false;
      for (let i = 0; i < op.pages; i++) {
        const p = addr / PG + i;
        const a = m.pages.get(p);
        if (a === undefined) { want = -Errno.ENOMEM; continue; }
        any = true;
        // §4.6 sealed VMAs refuse discarding advice on read-only private anonymous memory
        if (a.sealed && DISCARD.has(op.advice) && a.obj === 0 && (a.prot & M.PROT_WRITE) === 0) {
          return expectResult(ctx, what, r, -Errno.EPERM);
        }
        const na = advise(a, op.advice);
        if (na === null) return expectResult(ctx, what, r, -Errno.EINVAL);
        m.pages.set(p, na);
      }
      if (!any) want = -Errno.ENOMEM;
      return expectResult(ctx, what, r, want);
    }
    case 'mlock': {
      const [start, span] = rangeOf(ctx, op.pick, op.page, op.pages);
      const addr = start + op.sub;
      // the rounded range covers one more page when the start is not aligned
      op = { ...op, pages: clamp(ctx, addr, span + (op.sub ? 1 : 0)) - (op.sub ? 1 : 0) };
      if (op.pages <= 0) return;
      const len = op.pages * PG;
      const call = op.how === 'mlock' ? 'mlock' : op.how === 'onfault' ? 'mlock2' : 'munlock';
      const what = `${call}(${hex(addr)}, ${hex(len)}${op.how === 'onfault' ? ', MLOCK_ONFAULT' : ''})`;
      ctx.log.push(what);
      const r = op.how === 'mlock' ? s.mlock(B(addr), B(len))
        : op.how === 'onfault' ? s.mlock2(B(addr), B(len), B(M.MLOCK_ONFAULT)) : s.munlock(B(addr), B(len));
      // §4.7: start rounded down, length rounded up over the start's page offset
      const p0 = Math.floor(addr / PG);
      const n = Math.ceil((len + op.sub) / PG);
      if (op.how !== 'munlock' && m.lockedCount() + n - m.lockedIn(p0, n) > MEMLOCK_PAGES) {
        return expectResult(ctx, what, r, -Errno.ENOMEM); // e08:L13/L15
      }
      let want = 0;
      let inaccessible = false;
      for (let i = 0; i < n; i++) {
        const a = m.pages.get(p0 + i);
        if (a === undefined) { want = -Errno.ENOMEM; break; } // e08:L3/L4/L5: the part before stays changed
        const locked = op.how !== 'munlock';
        m.pages.set(p0 + i, { ...a, locked, onfault: op.how === 'onfault' });
        // mlock then populates: an inaccessible page, or a shmem page past the object's end,
        // fails the population → ENOMEM with the VMA still locked (e08:L7).
        if (op.how === 'mlock' && (a.prot === 0 || (a.obj !== 0 && a.off >= m.objSize.get(a.obj)!))) inaccessible = true;
      }
      if (want === 0 && inaccessible) want = -Errno.ENOMEM;
      return expectResult(ctx, what, r, want);
    }
    case 'mremap':
      return runMremap(ctx, op);
    case 'mremapHole': {
      const addr = ARENA + op.page * PG;
      if (m.mapped(addr / PG)) return; // only meaningful on a hole
      const what = `mremap(${hex(addr)}, 0x1000, ${hex(op.newPages * PG)}, MAYMOVE) on a hole`;
      ctx.log.push(what);
      const r = s.mremap(B(addr), B(PG), B(op.newPages * PG), B(M.MREMAP_MAYMOVE), 0n);
      return expectResult(ctx, what, r, -Errno.EFAULT); // §4.3 row 6
    }
    case 'mseal': {
      const [addr, span] = rangeOf(ctx, op.pick, op.page, op.pages);
      const n = clamp(ctx, addr, span);
      if (n <= 0) return;
      const what = `mseal(${hex(addr)}, ${hex(n * PG)})`;
      ctx.log.push(what);
      const r = s.mseal(B(addr), B(n * PG), 0n);
      // §4.9: any hole → ENOMEM and nothing sealed; otherwise every page is sealed
      for (let i = 0; i < n; i++) if (!m.pages.has(addr / PG + i)) return expectResult(ctx, what, r, -Errno.ENOMEM);
      for (let i = 0; i < n; i++) m.pages.set(addr / PG + i, { ...m.pages.get(addr / PG + i)!, sealed: true });
      return expectResult(ctx, what, r, 0);
    }
    case 'brk': {
      const want = m.brk + op.delta * PG + op.sub;
      const what = `brk(${hex(want)})`;
      ctx.log.push(what);
      const r = s.brk(B(want));
      // §4.4
      const up = (x: number): number => Math.ceil(x / PG) * PG;
      let result = m.brk;
      if (want >= m.startBrk) {
        const nb = up(want);
        const ob = up(m.brk);
        if (nb === ob) result = want;
        else if (want <= m.brk) {
          let any = false;
          for (let p = nb / PG; p < ob / PG; p++) if (m.pages.has(p)) any = true;
          if (any) {
            m.unmap(nb / PG, (ob - nb) / PG);
            result = want;
          }
        } else {
          let next = Infinity;
          for (let p = ob / PG; p < nb / PG + 1; p++) if (m.mapped(p)) { next = p * PG; break; }
          if (nb + PG <= next) {
            for (let p = ob / PG; p < nb / PG; p++) {
              m.pages.set(p, { prot: 3, shared: false, locked: false, onfault: false, noreserve: false, adv: 0, obj: 0, off: 0, acct: true, sealed: false });
            }
            result = want;
          }
        }
      }
      m.brk = result;
      return expectResult(ctx, what, r, result);
    }
  }
}

/** Linux mm/madvise.c is_discard(): the advice a sealed VMA may refuse (e04:SE7–SE7d). */
const DISCARD = new Set([M.MADV_FREE, M.MADV_DONTNEED, M.MADV_DONTNEED_LOCKED, M.MADV_REMOVE, M.MADV_DONTFORK,
  M.MADV_WIPEONFORK, M.MADV_GUARD_INSTALL]);

/** One page's new attributes under an advice, or null when the VMA refuses it (EINVAL). */
function advise(a: PageAttr, advice: number): PageAttr | null {
  const set = (adv: number): PageAttr => ({ ...a, adv });
  switch (advice) {
    case M.MADV_NORMAL: return set(a.adv & ~(ADV.sr | ADV.rr));
    case M.MADV_RANDOM: return set((a.adv & ~ADV.sr) | ADV.rr);
    case M.MADV_SEQUENTIAL: return set((a.adv & ~ADV.rr) | ADV.sr);
    case M.MADV_DONTFORK: return set(a.adv | ADV.dc);
    case M.MADV_DOFORK: return set(a.adv & ~ADV.dc);
    case M.MADV_DONTDUMP: return set(a.adv | ADV.dd);
    case M.MADV_DODUMP: return set(a.adv & ~ADV.dd);
    case M.MADV_WIPEONFORK: return a.obj !== 0 ? null : set(a.adv | ADV.wf); // e07:W1,M2: private anon only
    case M.MADV_KEEPONFORK: return set(a.adv & ~ADV.wf);
    case M.MADV_HUGEPAGE: return set((a.adv & ~ADV.nh) | ADV.hg);
    case M.MADV_NOHUGEPAGE: return set((a.adv & ~ADV.hg) | ADV.nh);
    case M.MADV_MERGEABLE: return a.shared ? a : set(a.adv | ADV.mg); // KSM ignores shared VMAs
    case M.MADV_UNMERGEABLE: return set(a.adv & ~ADV.mg);
    case M.MADV_DONTNEED: case M.MADV_COLD: case M.MADV_PAGEOUT: return a.locked ? null : a; // e07:D5,M7,M8
    case M.MADV_FREE: return a.locked || a.obj !== 0 ? null : a; // e07:F2–F4,M9: private anon only
    default: return a; // WILLNEED, DONTNEED_LOCKED
  }
}

function runMremap(ctx: Ctx, op: Extract<Op, { k: 'mremap' }>): void {
  const { t, m } = ctx;
  const cands = testVmas(ctx);
  if (cands.length === 0) return;
  const v = cands[op.pick % cands.length];
  const vEnd = v.end; // the engine mutates its VMAs: read everything before the call
  const a = op.at % v.pages;
  const oldPages = 1 + (op.len % (v.pages - a));
  const addr = v.start + a * PG;
  const p0 = addr / PG;
  const newPages = op.newPages;
  const flags = op.how === 'plain' ? 0 : op.how === 'maymove' ? M.MREMAP_MAYMOVE : M.MREMAP_MAYMOVE | M.MREMAP_FIXED;
  const target = ARENA + op.target * PG;
  const what = `mremap(${hex(addr)}, ${hex(oldPages * PG)}, ${hex(newPages * PG)}, ${flags}${op.how === 'fixed' ? ', ' + hex(target) : ''})`;
  ctx.log.push(what);
  const src: PageAttr[] = [];
  for (let i = 0; i < oldPages; i++) src.push(m.pages.get(p0 + i)!);
  const r = t.sys.mremap(B(addr), B(oldPages * PG), B(newPages * PG), B(flags), B(target));
  const tp = target / PG;
  // §4.3 row 5: FIXED source and target must not overlap
  if (op.how === 'fixed' && p0 < tp + newPages && tp < p0 + oldPages) return expectResult(ctx, what, r, -Errno.EINVAL);
  if (src[0].sealed) return expectResult(ctx, what, r, -Errno.EPERM); // §4.3 row 7, e04:SE5
  const grow = newPages > oldPages;
  const delta = newPages - oldPages;
  // row 13: a locked VMA may not grow past RLIMIT_MEMLOCK
  if (grow && src[0].locked && m.lockedCount() + delta > MEMLOCK_PAGES) return expectResult(ctx, what, r, -Errno.EAGAIN);
  /** The attributes of page i of the result: source pages, then the VMA's attributes continued. */
  const attrAt = (i: number): PageAttr => {
    if (i < oldPages) return src[i];
    const last = src[oldPages - 1];
    return { ...last, off: last.obj !== 0 ? last.off + (i - oldPages + 1) : 0 };
  };
  const moveTo = (dest: number, n: number): void => {
    const moved: PageAttr[] = [];
    for (let i = 0; i < n; i++) moved.push(attrAt(i));
    m.unmap(p0, oldPages);
    for (let i = 0; i < n; i++) m.pages.set(dest + i, moved[i]);
  };
  if (op.how === 'fixed') {
    if (m.anySealed(tp, newPages)) {
      ctx.keptSplits.add(target);
      return expectResult(ctx, what, r, -Errno.EPERM); // the target munmap
    }
    expectResult(ctx, what, r, target);
    m.unmap(tp, newPages);
    moveTo(tp, newPages);
    return;
  }
  if (!grow) {
    expectResult(ctx, what, r, addr); // shrink in place / same-size no-op
    if (newPages < oldPages) m.unmap(p0 + newPages, oldPages - newPages);
    return;
  }
  // Grow in place when [addr, addr+old) ends the VMA and the pages after it are free (§4.3).
  if (addr + oldPages * PG === vEnd && m.free(vEnd / PG, delta) && vEnd + delta * PG <= TASK_SIZE) {
    expectResult(ctx, what, r, addr);
    for (let i = oldPages; i < newPages; i++) m.pages.set(p0 + i, attrAt(i));
    return;
  }
  if (op.how === 'plain') return expectResult(ctx, what, r, -Errno.ENOMEM); // e05:G2,G4
  expectResult(ctx, what, r, 'ok');
  checkPlaced(ctx, r, newPages, what, [p0, p0 + oldPages]);
  moveTo(r / PG, newPages);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

function runSequence(ops: Op[], canonical: boolean): void {
  const t = createSystem().task(0)!;
  const m = new Model(t);
  const fd = BigInt(t.sys.openat('f', BigInt(M.O_RDWR | M.O_CREAT), 0o644n));
  expect(t.sys.ftruncate(fd, BigInt(FILE_PAGES * PG))).toBe(0);
  const ctx: Ctx = {
    t, m, fd, objs: new ObjMap(), canonical, log: [], keptSplits: new Set(),
    initVmas: t.mm.vmas().map(describeVma),
  };
  compare(ctx);
  for (const op of ops) {
    run(ctx, op);
    compare(ctx);
  }
}

describe('model-based: random syscall sequences against a page-granular model', () => {
  it('all operations (incl. populate, MAP_LOCKED, mlock): results and page-level view match the model', () => {
    fc.assert(fc.property(fc.array(opArb({ faults: true }), { minLength: 1, maxLength: 80, size: 'max' }), (ops) => runSequence(ops, false)),
      { seed: 42, numRuns: 400 });
  });

  it('same, second seed with longer sequences', () => {
    fc.assert(fc.property(fc.array(opArb({ faults: true }), { minLength: 100, maxLength: 250, size: 'max' }), (ops) => runSequence(ops, false)),
      { seed: 20251124, numRuns: 50 });
  });

  it('no faults (no anon_vma): VM_ACCOUNT per §1.5/§3.4 and the VMA list is canonical (nothing mergeable is left unmerged)', () => {
    fc.assert(fc.property(fc.array(opArb({ faults: false }), { minLength: 1, maxLength: 100, size: 'max' }), (ops) => runSequence(ops, true)),
      { seed: 7, numRuns: 400 });
  });
});

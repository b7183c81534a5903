/**
 * A seeded random scenario generator (spec/scenario.md) for the live fuzzer (scripts/fuzz.mjs).
 *
 *   generateScenario(seed, nOps, { files?, memory? }) -> op objects, exactly nOps of them
 *
 * The sequences are meant to look like what programs do and to stress what is hard to get right:
 * top-down placement with holes and guard gaps, 2 MiB (THP) alignment, hints, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, merges and splits from partial munmap/mprotect/madvise/mlock/mseal,
 * mremap (grow, shrink, MAYMOVE, FIXED, DONTUNMAP, old_len 0), brk, limits, bad arguments
 * (unaligned, zero, huge, unknown bits), with `maps` dumps every few ops. `files` adds scratch
 * files and file mappings; `memory` adds loads, stores, touches and fork/exit (later milestones).
 *
 * Every op stays clear of what the kernel oracle must keep (spec/scenario.md §7.3) and of the
 * special mappings: the executor image 0x400000-0x515000, [stack] 0x7ffffffde000-0x7ffffffff000
 * and [vvar]/[vvar_vclock]/[vdso] 0x7ffff7ff7000-0x7ffff7fff000 are never unmapped, remapped,
 * protected, advised or written. Addresses are either absolute inside a private arena, or relative
 * to the result of an earlier mmap/mremap (`"$N+0x..."`): the range such a call returned was free,
 * so it can never overlap those areas. Ranges may run below such a result (into our own mappings or
 * free space) but never above it, since the first top-down mapping lies right under [vvar]. Huge
 * lengths are only used where the kernel rejects them before touching anything.
 *
 * Isomorphic and dependency-free: no Node imports.
 */

export interface GenerateOptions {
  /** Also open scratch files and map them (open/close/ftruncate + file mmaps). */
  files?: boolean | undefined;
  /**
   * Also access memory: loads, stores and touches (at page and VMA edges, below [stack]), madvise,
   * mprotect and mremap of touched memory, fork chains and exits, smaps with the RSS fields, mincore.
   */
  memory?: boolean | undefined;
  /**
   * With `memory`: smaps dumps also ask for `Referenced` and `LazyFree`, whose kernel values vary
   * between runs of the same scenario (about 1 seed in 100): MADV_FREE/MADV_COLD move pages through
   * per-CPU LRU batches that are drained at times the scenario does not control, and pages of a
   * child whose PTEs fork made old are occasionally found referenced. Compare them with the
   * fuzzer's --twice. The ops generated are the same either way.
   */
  noisyRss?: boolean | undefined;
}

/** One scenario op: `{ op: "mmap", len: "0x1000", ... }` (values as hex strings or `$N` references). */
export interface GeneratedOp {
  op: string;
  [field: string]: string | number | boolean | null | string[] | undefined;
}

// ---- constants ---------------------------------------------------------------------------------

const PAGE = 0x1000;
const MIB = 0x100000;
/** The MAP_FIXED playground: 1 GiB far from everything the harness owns. */
const ARENA_LO = 0x200000000;
const ARENA_HI = 0x240000000;
/** Most fixed placements use the first 16 MiB of it, so they collide and merge. */
const ARENA_HOT = 16 * MIB;
/** Ranges relative to a result may start at most this far below it. */
const MAX_SPILL_DOWN = 64 * PAGE;
/** Heap growth stays below this (relative to start_brk). */
const MAX_HEAP = 16 * MIB;
const MAX_FORKS = 24;
/** Memory mode: at most this many processes alive at once, and fork chains this deep. */
const MAX_LIVE = 5;
const MAX_DEPTH = 3;
/**
 * The initial [stack] VMA's start (the oracle's harness range is [STACK_LO, 0x7ffffffff000)):
 * stack growth accesses and ops on the grown part stay strictly below it.
 */
const STACK_LO = 0x7ffffffde000;
/** Growth is limited by RLIMIT_STACK (8 MiB by default): accesses go down to 8.5 MiB below. */
const STACK_REACH_PAGES = 2176;

const R = 'PROT_READ';
const RW = 'PROT_READ|PROT_WRITE';
const PA = 'MAP_PRIVATE|MAP_ANONYMOUS';

/** Lengths the kernel rejects before looking at any mapping (wrap or > TASK_SIZE). */
const HUGE_WRAPPING = ['0xfffffffffffff000', '0xffffffffffffffff'];

// ---- PRNG --------------------------------------------------------------------------------------

/** mulberry32: small, fast, good enough, identical everywhere. */
class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = (seed ^ 0x9e3779b9) >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  /** Index chosen with the given weights. */
  weighted(ws: readonly number[]): number {
    let total = 0;
    for (const w of ws) total += w;
    let x = this.next() * total;
    for (let i = 0; i < ws.length; i++) {
      x -= ws[i] as number;
      if (x < 0) return i;
    }
    return ws.length - 1;
  }
}

// ---- values ------------------------------------------------------------------------------------

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** `base` (a `$N` reference or an absolute address) plus a byte offset. */
function at(base: string | number, off: number): string {
  if (typeof base === 'number') return hex(base + off);
  if (off === 0) return base;
  return off > 0 ? `${base}+${hex(off)}` : `${base}-${hex(-off)}`;
}

// ---- the model ---------------------------------------------------------------------------------

/**
 * A range this scenario created. `abs` is its address when known statically (fixed mappings in
 * the arena); otherwise only `ref` (the op whose `ret` is its start) is known.
 */
interface Region {
  ref: string;
  len: number;
  abs?: number | undefined;
  /** The heap: ranges never go below start_brk (the executor image ends there). */
  heap?: boolean | undefined;
  file?: boolean | undefined;
  shared?: boolean | undefined;
  /** Memory mode: the process labels it was (last known to be) mapped in. */
  pids?: Set<number> | undefined;
}

/** A live process of a memory scenario: its label and how many forks from pid 0 made it. */
interface Proc {
  label: number;
  depth: number;
}

interface OpenFile {
  fd: string; // reference to the open op, or a number as text
  size: number;
  writable: boolean;
  readable: boolean;
}

const PROTS = [R, RW, RW, RW, 'PROT_NONE', 'PROT_READ|PROT_EXEC', 'PROT_WRITE', 'PROT_READ|PROT_WRITE|PROT_EXEC'];
const ATTR_ADVICE = [
  'MADV_NORMAL', 'MADV_RANDOM', 'MADV_SEQUENTIAL', 'MADV_DONTFORK', 'MADV_DOFORK', 'MADV_HUGEPAGE', 'MADV_NOHUGEPAGE',
  'MADV_DONTDUMP', 'MADV_DODUMP', 'MADV_WIPEONFORK', 'MADV_KEEPONFORK', 'MADV_MERGEABLE', 'MADV_UNMERGEABLE',
];
const OTHER_ADVICE = [
  'MADV_WILLNEED', 'MADV_DONTNEED', 'MADV_FREE', 'MADV_COLD', 'MADV_PAGEOUT', 'MADV_POPULATE_READ', 'MADV_POPULATE_WRITE',
  'MADV_DONTNEED_LOCKED', 'MADV_REMOVE', 'MADV_GUARD_INSTALL', 'MADV_GUARD_REMOVE', 'MADV_COLLAPSE',
];
/** Advice over memory that was just touched (memory mode). */
const DATA_ADVICE = [
  'MADV_DONTNEED', 'MADV_DONTNEED', 'MADV_FREE', 'MADV_FREE', 'MADV_PAGEOUT', 'MADV_COLD', 'MADV_WILLNEED',
  'MADV_POPULATE_READ', 'MADV_POPULATE_WRITE', 'MADV_DONTFORK', 'MADV_DOFORK', 'MADV_WIPEONFORK', 'MADV_KEEPONFORK',
  'MADV_GUARD_INSTALL', 'MADV_GUARD_INSTALL', 'MADV_GUARD_REMOVE', 'MADV_REMOVE', 'MADV_DONTNEED_LOCKED',
];
/** smaps fields with the RSS-like values (memory mode); the noisy ones only with `noisyRss`. */
const SMAPS_RSS_FIELDS = [
  'Size', 'Rss', 'Pss', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty', 'Anonymous', 'LazyFree',
  'Referenced', 'AnonHugePages', 'ShmemPmdMapped', 'FilePmdMapped', 'Locked', 'VmFlags',
];
const SMAPS_NOISY_FIELDS = new Set(['LazyFree', 'Referenced']);
const EXTRA_MAP_FLAGS = [
  '', '', '', '', '|MAP_NORESERVE', '|MAP_POPULATE', '|MAP_GROWSDOWN', '|MAP_STACK', '|MAP_LOCKED', '|MAP_32BIT',
  '|MAP_DENYWRITE', '|MAP_SYNC', '|0x4000000', '|MAP_POPULATE|MAP_NONBLOCK',
];

class Generator {
  readonly ops: GeneratedOp[] = [];
  private regions: Region[] = [];
  private files: OpenFile[] = [];
  private fileNames = 0;
  private brkRef = '';
  private heapLen = 0;
  private forks = 0;
  private nextLabel = 1;
  private sinceMaps = 0;
  private mapsEvery: number;
  private rlimitLowered = false;
  private lockedFuture = false;
  /** Memory mode: the live processes (pid 0 first) and the one the next ops run in. */
  private procs: Proc[] = [{ label: 0, depth: 0 }];
  private pid = 0;
  /** Memory mode: how far below STACK_LO the stack may have grown (pages), per process. */
  private stackPages = new Map<number, number>();

  constructor(
    private readonly rng: Rng,
    private readonly n: number,
    private readonly opts: GenerateOptions,
  ) {
    this.mapsEvery = rng.range(4, 9);
  }

  private get left(): number {
    return this.n - this.ops.length;
  }

  private emit(op: GeneratedOp): string {
    const clean: GeneratedOp = { op: op.op };
    if (op.pid === undefined && this.pid !== 0) clean.pid = this.pid;
    for (const [k, v] of Object.entries(op)) if (k !== 'op' && v !== undefined) clean[k] = v;
    this.ops.push(clean);
    return `$${this.ops.length - 1}`;
  }

  private addRegion(r: Region): void {
    if (this.opts.memory) r.pids ??= new Set([this.pid]);
    this.regions.push(r);
    if (this.regions.length > 24) this.regions.splice(this.rng.int(8), 1);
  }

  // ---- ranges -----------------------------------------------------------------------------------

  /** A length in bytes for a new mapping: mostly small, sometimes 2 MiB multiples or near them. */
  private mapLen(): number {
    const k = this.rng.weighted([50, 15, 8, 6, 4, 3]);
    switch (k) {
      case 0:
        return this.rng.range(1, 16) * PAGE;
      case 1:
        return this.rng.range(17, 256) * PAGE;
      case 2:
        return this.rng.range(1, 3) * 2 * MIB;
      case 3:
        return 2 * MIB + this.rng.pick([-PAGE, PAGE, 0x100000]);
      case 4:
        return this.rng.range(1, 8) * MIB;
      default:
        return this.rng.range(8, 64) * MIB;
    }
  }

  /** A page-aligned address inside the arena (mostly its hot part). */
  private arenaAddr(len: number): number {
    const span = this.rng.chance(0.85) ? ARENA_HOT : ARENA_HI - ARENA_LO - len;
    const pages = Math.max(1, Math.floor((span - Math.min(len, span - PAGE)) / PAGE));
    return ARENA_LO + this.rng.int(pages) * PAGE;
  }

  /**
   * A range [start, start+len) related to a region, as (address expression, length). Stays inside
   * the region, or runs below it by up to MAX_SPILL_DOWN (never for the heap), or - for arena
   * regions, whose address is known - anywhere inside the arena around it.
   */
  private rangeIn(r: Region, maxPages = 16): { addr: string; len: number } {
    const pages = Math.max(1, Math.floor(r.len / PAGE));
    if (r.abs !== undefined && this.rng.chance(0.3)) {
      // Arena region: may stick out on both sides, but stays in the arena.
      const lo = Math.max(ARENA_LO, r.abs - 8 * PAGE);
      const hi = Math.min(ARENA_HI, r.abs + r.len + 8 * PAGE);
      const start = lo + this.rng.int(Math.max(1, (hi - lo) / PAGE)) * PAGE;
      const len = Math.min(this.rng.range(1, maxPages) * PAGE, hi - start);
      return { addr: hex(start), len: Math.max(PAGE, len) };
    }
    let startPage = this.rng.int(pages);
    if (!r.heap && this.rng.chance(0.12)) startPage = -this.rng.range(1, MAX_SPILL_DOWN / PAGE);
    if (r.heap) startPage = Math.min(startPage, Math.max(0, pages - 1));
    const room = pages - startPage; // pages up to the region end
    const lenPages = Math.max(1, Math.min(room, this.rng.chance(0.3) ? room : this.rng.range(1, maxPages)));
    return { addr: at(r.ref, startPage * PAGE), len: lenPages * PAGE };
  }

  private region(): Region | undefined {
    if (!this.regions.length) return undefined;
    if (this.opts.memory && this.rng.chance(0.9)) {
      // Mostly a region mapped in the process the op runs in.
      const mine = this.regions.filter((x) => x.pids === undefined || x.pids.has(this.pid));
      if (mine.length) {
        const n = mine.length;
        return mine[this.rng.chance(0.6) ? n - 1 - this.rng.int(Math.min(n, 4)) : this.rng.int(n)];
      }
    }
    // Prefer recent regions: they are more likely to still exist.
    const n = this.regions.length;
    const i = this.rng.chance(0.6) ? n - 1 - this.rng.int(Math.min(n, 4)) : this.rng.int(n);
    return this.regions[i];
  }

  /** Occasionally replaces a well-formed length with a bad one (zero, unaligned, huge). */
  private badLen(len: number, hugeOk: boolean): string {
    const x = this.rng.next();
    if (x < 0.03) return '0x0';
    if (x < 0.06) return hex(len + this.rng.pick([1, 0x10, 0x7ff]));
    if (hugeOk && x < 0.08) return this.rng.pick(HUGE_WRAPPING);
    return hex(len);
  }

  /** Occasionally an unaligned address (the kernel rejects or rounds it). */
  private badAddr(addr: string): string {
    return this.rng.chance(0.04) ? `${addr}+${hex(this.rng.pick([1, 0x10, 0x800, 0xfff]))}` : addr;
  }

  // ---- ops ----------------------------------------------------------------------------------------

  private mmapAnon(): void {
    const len = this.mapLen();
    let prot = this.rng.pick(PROTS);
    if (this.rng.chance(0.03)) prot = this.rng.pick(['PROT_READ|0x10', '0x100', 'PROT_READ|PROT_SEM']);
    let flags = (this.rng.chance(this.opts.memory ? 0.3 : 0.12) ? 'MAP_SHARED|MAP_ANONYMOUS' : PA) + this.rng.pick(EXTRA_MAP_FLAGS);
    if (this.rng.chance(0.03)) flags = this.rng.pick(['MAP_ANONYMOUS', 'MAP_SHARED_VALIDATE|MAP_ANONYMOUS', 'MAP_DROPPABLE|MAP_ANONYMOUS', 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB']);
    if (this.lockedFuture || (flags.includes('MAP_LOCKED') && len > 4 * MIB)) flags = flags.replace('|MAP_LOCKED', '');
    if (flags.includes('MAP_POPULATE') && len > 8 * MIB) flags = flags.replace('|MAP_POPULATE', '');
    const shared = flags.startsWith('MAP_SHARED');
    const kind = this.rng.weighted([55, 20, 12, 8, 5]);
    if (kind === 0) {
      // Unhinted: top-down placement.
      const lenText = this.badLen(len, true);
      const ref = this.emit({ op: 'mmap', len: lenText, prot, flags });
      if (lenText === hex(len)) this.addRegion({ ref, len, shared });
    } else if (kind === 1) {
      // MAP_FIXED in the arena (replaces whatever is there: only our own mappings).
      const addr = this.arenaAddr(len);
      const addrText = this.badAddr(hex(addr));
      const ref = this.emit({ op: 'mmap', addr: addrText, len: hex(len), prot, flags: flags + '|MAP_FIXED' });
      if (addrText === hex(addr)) this.addRegion({ ref, len, abs: addr, shared });
    } else if (kind === 2) {
      // MAP_FIXED_NOREPLACE: in the arena, next to or over one of ours, or over the harness (EEXIST).
      const r = this.region();
      let addr: string;
      let abs: number | undefined;
      let near: Region | undefined;
      const y = this.rng.int(10);
      if (y < 5 || !r) {
        abs = this.arenaAddr(len);
        addr = hex(abs);
      } else if (y < 9) {
        addr = at(r.ref, this.rng.pick([r.len, -len, 0, PAGE]));
        near = r;
      } else {
        addr = this.rng.pick(['0x404000', '0x7ffff7ff7000', '0x7ffffffde000', '0x400000']);
      }
      const ref = this.emit({ op: 'mmap', addr, len: hex(len), prot, flags: flags + '|MAP_FIXED_NOREPLACE' });
      if (abs !== undefined) this.addRegion({ ref, len, abs, shared });
      else if (near) this.addRegion({ ref, len, shared, heap: near.heap });
    } else if (kind === 3) {
      // A hint: right after/before one of ours (merges), in the arena, or odd (ignored).
      const r = this.region();
      const y = this.rng.int(10);
      let addr: string;
      const near = r && y < 4 ? r : undefined;
      if (near) addr = at(near.ref, this.rng.pick([near.len, -len]));
      else if (y < 8) addr = hex(this.arenaAddr(len) + (this.rng.chance(0.2) ? 0x800 : 0));
      else addr = this.rng.pick(['0x1000', '0x10000', '0x800000000000', '0xffffffffffffffff', '0x7ffff7ff8000', '0x7ffffff00000', '0x40000000']);
      const ref = this.emit({ op: 'mmap', addr, len: hex(len), prot, flags });
      // Next to the heap, it might land right above start_brk: never range below it.
      this.addRegion({ ref, len, shared, heap: near?.heap });
    } else {
      // MAP_FIXED over part of an existing region of ours (replace the middle, merge back...).
      const r = this.region();
      if (!r) return this.mmapAnon();
      const { addr, len: l } = this.rangeIn(r, 8);
      const ref = this.emit({ op: 'mmap', addr, len: hex(l), prot, flags: flags + '|MAP_FIXED' });
      this.addRegion({ ref, len: l, shared, heap: r.heap });
    }
  }

  private munmap(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    if (this.rng.chance(0.3) && !r.heap) {
      const ok = this.emit({ op: 'munmap', addr: r.ref, len: hex(r.len) });
      void ok;
      if (this.rng.chance(0.7)) this.regions.splice(this.regions.indexOf(r), 1);
      return;
    }
    const { addr, len } = this.rangeIn(r, 8);
    const y = this.rng.next();
    // munmap rejects ranges past TASK_SIZE itself: any huge length is harmless here.
    const l = y < 0.03 ? this.rng.pick([...HUGE_WRAPPING, '0x800000000000']) : this.badLen(len, false);
    this.emit({ op: 'munmap', addr: this.badAddr(addr), len: l });
  }

  private mprotect(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r);
    let prot = this.rng.pick(PROTS);
    const y = this.rng.next();
    if (y < 0.04) prot = this.rng.pick(['0x10', 'PROT_READ|0x20', 'PROT_GROWSDOWN|PROT_GROWSUP', 'PROT_READ|PROT_GROWSUP']);
    else if (y < 0.1) prot += '|PROT_GROWSDOWN';
    this.emit({ op: 'mprotect', addr: this.badAddr(addr), len: this.badLen(len, true), prot });
  }

  private madvise(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r);
    let advice = this.rng.chance(0.65) ? this.rng.pick(ATTR_ADVICE) : this.rng.pick(OTHER_ADVICE);
    if (this.rng.chance(0.03)) advice = this.rng.pick(['0x33', '0x7', '0xffff']);
    this.emit({ op: 'madvise', addr: this.badAddr(addr), len: this.badLen(len, true), advice });
  }

  private mremap(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const k = this.rng.weighted([20, 20, 15, 15, 10, 8, 6, 6]);
    const len = r.len;
    const grow = this.rng.chance(0.2) ? 2 * MIB * this.rng.range(1, 2) : this.rng.range(1, 16) * PAGE;
    let ref: string;
    let newLen = len;
    let abs: number | undefined;
    let onto: Region | undefined;
    switch (k) {
      case 0: // grow in place or fail
        newLen = len + grow;
        ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen) });
        break;
      case 1: // grow, may move
        newLen = len + grow;
        ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen), flags: 'MREMAP_MAYMOVE' });
        break;
      case 2: { // shrink (the tail is unmapped)
        newLen = Math.max(PAGE, len - this.rng.range(1, Math.max(1, len / PAGE - 1)) * PAGE);
        ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen) });
        break;
      }
      case 3: { // move to a fixed place: the arena or over another region of ours
        const other = this.region();
        let target: string;
        if (other && other !== r && this.rng.chance(0.4)) {
          target = other.ref;
          onto = other;
          newLen = Math.min(len, other.len);
        } else {
          abs = this.arenaAddr(len);
          target = hex(abs);
        }
        ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(newLen), new_len: hex(newLen), flags: 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: target });
        break;
      }
      case 4: { // part of the region, moved and resized
        const { addr, len: l } = this.rangeIn({ ...r, heap: true }, 4);
        newLen = l + (this.rng.chance(0.5) ? PAGE : 0);
        ref = this.emit({ op: 'mremap', old_addr: addr, old_len: hex(l), new_len: hex(newLen), flags: 'MREMAP_MAYMOVE' });
        break;
      }
      case 5: { // DONTUNMAP
        newLen = Math.min(len, 8 * PAGE);
        const fixed = this.rng.chance(0.4);
        abs = fixed ? this.arenaAddr(newLen) : undefined;
        ref = this.emit({
          op: 'mremap', old_addr: r.ref, old_len: hex(newLen), new_len: hex(newLen),
          flags: fixed ? 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP|MREMAP_FIXED' : 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP',
          new_addr: abs === undefined ? undefined : hex(abs),
        });
        break;
      }
      case 6: // old_len 0: a second mapping of a shared region (EINVAL for private ones)
        newLen = Math.min(len, 4 * PAGE);
        ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: '0x0', new_len: hex(newLen), flags: 'MREMAP_MAYMOVE' });
        break;
      default: { // bad arguments: rejected before anything happens
        const bad = this.rng.int(5);
        if (bad === 0) ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len + PAGE), flags: '0x8' });
        else if (bad === 1) ref = this.emit({ op: 'mremap', old_addr: at(r.ref, 0x10), old_len: hex(len), new_len: hex(len), flags: 'MREMAP_MAYMOVE' });
        else if (bad === 2) ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: this.rng.pick(['0x0', '0xfffffffffffff000', '0x800000000000']), flags: 'MREMAP_MAYMOVE' });
        else if (bad === 3) ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len), flags: 'MREMAP_FIXED', new_addr: hex(this.arenaAddr(len)) });
        else ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len), flags: 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: at(r.ref, PAGE) });
        return;
      }
    }
    // The result is where the source was (in place), a fresh top-down/arena place, or `onto`:
    // it may not range below start_brk if either of those might be next to the heap.
    this.addRegion({ ref, len: newLen, abs, shared: r.shared, file: r.file, heap: abs === undefined ? r.heap || onto?.heap : undefined });
  }

  private brk(): void {
    if (!this.brkRef) {
      this.brkRef = this.emit({ op: 'brk', addr: '0x0' });
      this.addRegion({ ref: this.brkRef, len: PAGE, heap: true });
      return;
    }
    const y = this.rng.next();
    let target: number;
    if (y < 0.55) target = Math.min(MAX_HEAP, this.heapLen + this.rng.range(1, 32) * PAGE);
    else if (y < 0.85) target = Math.max(0, this.heapLen - this.rng.range(1, 8) * PAGE);
    else target = this.heapLen;
    const odd = this.rng.chance(0.2) ? this.rng.pick([1, 0x10, 0x800, 0xfff]) : 0;
    if (this.rng.chance(0.03)) {
      this.emit({ op: 'brk', addr: this.rng.pick(['0x0', '0x1000', '0xffffffffffffffff', '0x800000000000']) });
      return;
    }
    this.emit({ op: 'brk', addr: at(this.brkRef, target + odd) });
    this.heapLen = target;
    const heap = this.regions.find((x) => x.heap && x.ref === this.brkRef);
    if (heap) heap.len = Math.max(PAGE, Math.ceil((target + odd) / PAGE) * PAGE);
  }

  private lock(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 8);
    const y = this.rng.int(10);
    if (y < 4) this.emit({ op: 'mlock', addr: this.badAddr(addr), len: this.badLen(len, true) });
    else if (y < 6) this.emit({ op: 'mlock', addr, len: hex(len), flags: this.rng.chance(0.9) ? 'MLOCK_ONFAULT' : '0x2' });
    else this.emit({ op: 'munlock', addr: this.badAddr(addr), len: this.badLen(len, true) });
  }

  private lockAll(): void {
    if (this.lockedFuture || this.rng.chance(0.5)) {
      this.emit({ op: 'munlockall' });
      this.lockedFuture = false;
      return;
    }
    const flags = this.rng.pick(['MCL_CURRENT', 'MCL_FUTURE', 'MCL_FUTURE|MCL_ONFAULT', 'MCL_CURRENT|MCL_ONFAULT', 'MCL_ONFAULT', '0x8']);
    this.emit({ op: 'mlockall', flags });
    if (flags.startsWith('MCL_FUTURE')) this.lockedFuture = true;
  }

  private seal(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 4);
    this.emit({ op: 'mseal', addr: this.badAddr(addr), len: this.badLen(len, true), flags: this.rng.chance(0.05) ? '0x1' : undefined });
  }

  private query(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 16);
    if (this.rng.chance(0.5)) {
      this.emit({ op: 'mincore', addr: this.badAddr(addr), len: this.badLen(len, false) });
    } else {
      const flags = this.rng.pick(['MS_SYNC', 'MS_ASYNC', 'MS_INVALIDATE', 'MS_SYNC|MS_INVALIDATE', '0x0', 'MS_ASYNC|MS_SYNC', '0x8']);
      this.emit({ op: 'msync', addr: this.badAddr(addr), len: this.badLen(len, true), flags });
    }
  }

  private limits(): void {
    if (this.rlimitLowered) {
      this.emit({ op: 'setrlimit', resource: this.rng.pick(['RLIMIT_AS', 'RLIMIT_DATA']), cur: '0xffffffffffffffff', max: '0xffffffffffffffff' });
      this.rlimitLowered = false;
      return;
    }
    const y = this.rng.int(10);
    if (y < 7) {
      // Lower cur only: max stays infinite, so it can be raised back.
      this.emit({ op: 'setrlimit', resource: this.rng.pick(['RLIMIT_AS', 'RLIMIT_DATA']), cur: hex(this.rng.range(4, 512) * MIB), max: '0xffffffffffffffff' });
      this.rlimitLowered = true;
    } else if (y < 9) {
      this.emit({ op: 'setrlimit', resource: 'RLIMIT_MEMLOCK', cur: hex(this.rng.range(0, 2048) * PAGE), max: '0x800000' });
    } else {
      this.emit({ op: 'setrlimit', resource: 'RLIMIT_STACK', cur: hex(this.rng.range(1, 64) * MIB), max: '0xffffffffffffffff' });
    }
  }

  private dump(): void {
    const y = this.rng.int(10);
    if (y < 7) this.emit({ op: 'maps' });
    else if (y < 8 || (y < 9 && !this.opts.memory)) this.emit({ op: 'smaps', fields: this.opts.memory ? this.smapsFields() : ['Size', 'KernelPageSize', 'MMUPageSize', 'THPeligible', 'VmFlags'] });
    // The rollup sums the raw per-VMA figures before rounding (show_smaps_rollup()), and adds
    // Pss_Anon/Pss_File/Pss_Shmem/Pss_Dirty: worth checking on its own.
    else if (y < 9) this.emit({ op: 'smaps_rollup' });
    else this.emit({ op: 'status' });
    this.sinceMaps = 0;
  }

  // ---- files ----------------------------------------------------------------------------------------

  private fileOp(): void {
    const y = this.rng.int(10);
    if (this.files.length === 0 || y < 3) {
      const name = this.rng.chance(0.6) || this.fileNames === 0 ? `f${this.fileNames++ % 4}` : `f${this.rng.int(this.fileNames)}`;
      const mode = this.rng.weighted([70, 15, 10, 5]);
      const flags = ['O_RDWR|O_CREAT', 'O_RDONLY|O_CREAT', 'O_WRONLY|O_CREAT', 'O_RDWR|O_CREAT|O_TRUNC'][mode] as string;
      const fd = this.emit({ op: 'open', path: name, flags });
      const size = this.rng.pick([0, PAGE, 0x1800, 4 * PAGE, 16 * PAGE, 2 * MIB, 4 * MIB + PAGE]);
      this.files.push({ fd, size, readable: mode !== 2, writable: mode !== 1 });
      if (this.files.length > 12) this.files.shift();
      if (size && mode !== 1 && this.left > 1) this.emit({ op: 'ftruncate', fd, len: hex(size) });
      return;
    }
    const f = this.rng.pick(this.files);
    if (y < 5) {
      f.size = this.rng.pick([0, PAGE, 3 * PAGE, 32 * PAGE, 2 * MIB]);
      this.emit({ op: 'ftruncate', fd: f.fd, len: hex(f.size) });
    } else if (y < 6) {
      this.emit({ op: 'close', fd: f.fd });
      this.files.splice(this.files.indexOf(f), 1);
    } else {
      this.mmapFile(f);
    }
  }

  /**
   * File I/O: pwrite of bytes (small, a page, across pages; at, before and past EOF), pread into
   * the runner (small reads, read-ahead-sized streams), pread/pwrite with a buffer in one of the
   * process's regions (memory mode), unlink of a scratch name.
   */
  private fileIo(): void {
    if (this.files.length === 0) return this.fileOp();
    const f = this.rng.pick(this.files);
    const y = this.rng.int(20);
    const size = f.size;
    const offset = (): number => {
      const z = this.rng.int(10);
      if (z < 3) return 0;
      if (z < 5) return this.rng.int(Math.max(size, 1));
      if (z < 7) return Math.max(0, size - this.rng.int(PAGE)); // around EOF
      if (z < 8) return size + this.rng.int(3 * PAGE); // past EOF
      return this.rng.int(64) * PAGE;
    };
    if (y < 7) {
      const n = this.rng.pick([1, 3, 16, 64, 200]);
      const at0 = offset();
      this.emit({ op: 'pwrite', fd: f.fd, offset: hex(at0), data: this.randomData(n) });
      if (f.writable) f.size = Math.max(f.size, at0 + n);
    } else if (y < 13) {
      const at0 = y < 10 ? offset() : this.rng.int(Math.max(1, Math.ceil(size / PAGE))) * PAGE;
      const len = this.rng.pick([1, 16, 100, PAGE, 3 * PAGE, 32 * PAGE]);
      this.emit({ op: 'pread', fd: f.fd, offset: hex(at0), len: hex(len) });
    } else if (y < 17 && this.opts.memory) {
      const r = this.region();
      if (!r) return this.mmapAnon();
      const { addr, len } = this.rangeIn(r, 4);
      const n = Math.min(len, this.rng.pick([1, 64, PAGE, 2 * PAGE]));
      if (this.rng.chance(0.5)) {
        this.emit({ op: 'pread', fd: f.fd, offset: hex(offset()), len: hex(n), buf: addr });
      } else {
        const at0 = offset();
        this.emit({ op: 'pwrite', fd: f.fd, offset: hex(at0), len: hex(n), buf: addr });
        if (f.writable) f.size = Math.max(f.size, at0 + n);
      }
    } else if (y < 18) {
      // A whole page of data, maybe across a page boundary.
      const at0 = offset();
      const n = this.rng.pick([PAGE, PAGE + 17]);
      this.emit({ op: 'pwrite', fd: f.fd, offset: hex(at0), data: this.randomData(n) });
      if (f.writable) f.size = Math.max(f.size, at0 + n);
    } else {
      this.emit({ op: 'unlink', path: `f${this.rng.int(Math.max(1, this.fileNames))}` });
    }
  }

  private mmapFile(f?: OpenFile): void {
    f ??= this.files.length ? this.rng.pick(this.files) : undefined;
    if (!f) return this.fileOp();
    const len = this.rng.chance(0.2) ? this.rng.pick([2 * MIB, 4 * MIB, 3 * MIB]) : this.rng.range(1, 16) * PAGE;
    let offset = this.rng.chance(0.6) ? 0 : this.rng.range(0, 64) * PAGE;
    if (this.rng.chance(0.1)) offset = this.rng.pick([0x200000, 0x1ff000, 0x201000]);
    const offText = this.rng.chance(0.03) ? hex(offset + 0x800) : this.rng.chance(0.02) ? '0x7ffffffffffff000' : hex(offset);
    const shared = this.rng.chance(0.5);
    let flags = (shared ? this.rng.pick(['MAP_SHARED', 'MAP_SHARED', 'MAP_SHARED_VALIDATE']) : 'MAP_PRIVATE') + this.rng.pick(['', '', '', '|MAP_POPULATE', '|MAP_NORESERVE', '|MAP_SYNC', '|MAP_GROWSDOWN']);
    const prot = this.rng.pick([R, R, RW, 'PROT_READ|PROT_EXEC', 'PROT_NONE']);
    const kind = this.rng.int(10);
    let addr: string | undefined;
    let abs: number | undefined;
    let nearHeap: boolean | undefined;
    if (kind < 3) {
      abs = this.arenaAddr(len);
      addr = hex(abs);
      flags += this.rng.chance(0.7) ? '|MAP_FIXED' : '|MAP_FIXED_NOREPLACE';
    } else if (kind < 4) {
      const r = this.region();
      if (r) {
        addr = at(r.ref, this.rng.pick([r.len, -len]));
        nearHeap = r.heap;
      }
    }
    const ref = this.emit({ op: 'mmap', addr, len: hex(len), prot, flags, fd: f.fd, offset: offText });
    this.addRegion({ ref, len, abs, file: true, shared, heap: nearHeap });
  }

  // ---- memory accesses and processes (memory mode) ---------------------------------------------------
  //
  // Every op below runs in `this.pid` (emit() adds the label). Stores and write touches stay out of
  // the oracle's harness ranges (spec/scenario.md §7.3) by the rules of the ranges above: inside
  // a region's own pages, below a region that is not next to the heap, in the arena, or below
  // STACK_LO (stack growth); they cross a region's end only for arena regions.

  private randomData(n: number): string {
    let data = '';
    for (let i = 0; i < n; i++) data += this.rng.int(256).toString(16).padStart(2, '0');
    return data;
  }

  private access(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 4);
    const y = this.rng.int(10);
    if (y < 4) {
      const n = Math.min(len, this.rng.pick([1, 2, 8, 64]));
      // A store may cross the region end by a few bytes only when inside the region's pages.
      this.emit({ op: 'store', addr: at(addr, this.rng.chance(0.5) ? 0 : this.rng.int(PAGE - n)), data: this.randomData(n) });
    } else if (y < 7) {
      this.emit({ op: 'load', addr: at(addr, this.rng.int(PAGE)), len: hex(this.rng.pick([1, 4, 16, 4096])) });
    } else if (y < 9) {
      this.emit({ op: 'touch', addr, len: hex(len), write: this.rng.chance(0.5) });
    } else {
      this.emit({ op: 'load', addr: this.rng.pick(['0x800000000000', '0x0', '0xffff800000000000', '0x10000']), len: '0x1' });
    }
  }

  /** One access of `n` bytes at `addr` (a store, a load, or a touch covering them). */
  private accessAt(addr: string, n: number, writeOk = true): void {
    const y = this.rng.int(writeOk ? 10 : 6);
    if (y < 3) this.emit({ op: 'load', addr, len: hex(n) });
    else if (y < 6) this.emit({ op: 'touch', addr, len: hex(n), write: false });
    else if (y < 8) this.emit({ op: 'touch', addr, len: hex(n), write: true });
    else this.emit({ op: 'store', addr, data: this.randomData(Math.min(n, 64)) });
  }

  /**
   * Accesses at page edges: the first/last bytes of a page, runs crossing a page boundary inside
   * a region (which may be a VMA boundary after splits), the region start from below (never for
   * heap regions: below start_brk is the executor image), an arena region's end from inside.
   */
  private edgeAccess(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const pages = Math.max(1, Math.floor(r.len / PAGE));
    const n = this.rng.pick([2, 3, 8, 16, 64]);
    const m = this.rng.range(1, n - 1); // bytes before the boundary
    const y = this.rng.int(10);
    if (y < 4 && pages >= 2) {
      const k = this.rng.range(1, pages - 1);
      this.accessAt(at(r.ref, k * PAGE - m), n);
    } else if (y < 6 && !r.heap) {
      this.accessAt(at(r.ref, -m), n);
    } else if (y < 8 && r.abs !== undefined && r.abs + r.len + n < ARENA_HI) {
      this.accessAt(hex(r.abs + r.len - m), n);
    } else if (y < 9) {
      // The last bytes of the region, or of one of its pages.
      const k = this.rng.range(1, pages);
      this.accessAt(at(r.ref, k * PAGE - n), n);
    } else {
      // A touch spanning several pages from the middle of one.
      const k = this.rng.int(pages);
      const span = Math.min(pages - k, this.rng.range(1, 4)) * PAGE - this.rng.int(PAGE);
      this.emit({ op: 'touch', addr: at(r.ref, k * PAGE + this.rng.int(PAGE)), len: hex(Math.max(1, span)), write: this.rng.chance(0.5) });
    }
  }

  /** Pre-touches [addr, addr+len): write/read touches or a few stores. */
  private dirty(addr: string, len: number): void {
    const y = this.rng.int(4);
    if (y < 2) this.emit({ op: 'touch', addr, len: hex(len), write: y === 0 });
    else {
      const pages = Math.max(1, Math.floor(len / PAGE));
      const k = this.rng.range(1, Math.min(3, pages));
      for (let i = 0; i < k && this.left > 1; i++) {
        this.emit({ op: 'store', addr: at(addr, this.rng.int(pages) * PAGE + this.rng.int(PAGE - 8)), data: this.randomData(this.rng.pick([1, 2, 8])) });
      }
    }
  }

  /** What shows the effect of an op on [addr, addr+len): loads, touches, mincore, smaps. */
  private observe(addr: string, len: number, n = this.rng.range(1, 3)): void {
    const pages = Math.max(1, Math.floor(len / PAGE));
    for (let i = 0; i < n && this.left > 0; i++) {
      const y = this.rng.int(10);
      const off = this.rng.int(pages) * PAGE;
      if (y < 3) this.emit({ op: 'load', addr: at(addr, off + this.rng.pick([0, 0, 0xff8, this.rng.int(PAGE - 8)])), len: hex(this.rng.pick([1, 8])) });
      else if (y < 5) this.emit({ op: 'mincore', addr, len: hex(pages * PAGE) });
      else if (y < 6) this.emit({ op: 'smaps', fields: this.smapsFields() });
      else if (y < 8) this.accessAt(at(addr, off), this.rng.pick([1, PAGE]));
      else if (y < 9 && this.procs.length > 1) this.inEveryProcess(at(addr, off));
      else this.emit({ op: 'load', addr: at(addr, off), len: '0x4' });
    }
  }

  /** The same load in every live process (COW sharing, shared memory, what fork copied). */
  private inEveryProcess(addr: string): void {
    const keep = this.pid;
    for (const p of this.procs) {
      if (this.left <= 0) break;
      this.pid = p.label;
      this.emit({ op: 'load', addr, len: hex(this.rng.pick([1, 4])) });
    }
    this.pid = keep;
  }

  private smapsFields(): string[] {
    if (this.rng.chance(0.25)) return ['Size', 'KernelPageSize', 'MMUPageSize', 'Locked', 'THPeligible', 'VmFlags'];
    return this.opts.noisyRss ? SMAPS_RSS_FIELDS : SMAPS_RSS_FIELDS.filter((f) => !SMAPS_NOISY_FIELDS.has(f));
  }

  /** madvise over memory just touched, then a look at the result. */
  private dataAdvice(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 8);
    this.dirty(addr, len);
    const advice = this.rng.pick(DATA_ADVICE);
    // Mostly the touched range; sometimes a part of it or a bit more (splits, holes).
    let a = addr;
    let l = len;
    const y = this.rng.int(10);
    if (y < 2 && len > PAGE) {
      const skip = this.rng.range(1, len / PAGE - 1) * PAGE;
      a = at(addr, skip);
      l = len - skip;
    } else if (y < 3 && len > PAGE) {
      l = len - this.rng.range(1, len / PAGE - 1) * PAGE;
    } else if (y < 4 && !r.heap) {
      a = at(addr, -PAGE);
      l = len + PAGE;
    }
    this.emit({ op: 'madvise', addr: a, len: hex(l), advice });
    if (advice.endsWith('FORK') && this.rng.chance(0.6)) {
      this.fork();
      this.observe(addr, len);
      return;
    }
    this.observe(addr, len);
  }

  /** mprotect of (touched) memory, then accesses in and around it. */
  private protAccess(): void {
    const r = this.region();
    if (!r) return this.mmapAnon();
    const { addr, len } = this.rangeIn(r, 4);
    if (this.rng.chance(0.5)) this.dirty(addr, len);
    this.emit({ op: 'mprotect', addr, len: hex(len), prot: this.rng.pick(PROTS) });
    const pages = Math.max(1, Math.floor(len / PAGE));
    const n = this.rng.range(1, 3);
    for (let i = 0; i < n && this.left > 0; i++) {
      const k = this.rng.int(pages + 1);
      if (k === pages) this.accessAt(at(addr, len - this.rng.range(1, 7)), 8);
      else this.accessAt(at(addr, k * PAGE + this.rng.pick([0, 0xfff, this.rng.int(PAGE)])), this.rng.pick([1, 2, PAGE]));
    }
  }

  /** mremap of memory holding data, then loads at the new (and old) place. */
  private remapData(): void {
    const r = this.region();
    if (!r || r.heap) return this.access();
    if (r.len >= 2 * MIB && this.rng.chance(0.25)) return this.remapTables(r);
    const len = Math.min(r.len, this.rng.range(1, 8) * PAGE);
    const off = this.rng.int(len / PAGE) * PAGE + this.rng.int(PAGE - 8);
    const data = this.randomData(this.rng.pick([1, 4, 8]));
    this.emit({ op: 'store', addr: at(r.ref, off), data });
    const y = this.rng.int(6);
    let ref: string;
    let newLen = len;
    let abs: number | undefined;
    if (y === 0) {
      newLen = len + this.rng.range(1, 8) * PAGE;
      ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen), flags: 'MREMAP_MAYMOVE' });
    } else if (y === 1) {
      abs = this.arenaAddr(len);
      ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len), flags: 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: hex(abs) });
    } else if (y === 2) {
      const fixed = this.rng.chance(0.4);
      abs = fixed ? this.arenaAddr(len) : undefined;
      ref = this.emit({
        op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len),
        flags: fixed ? 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP|MREMAP_FIXED' : 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP',
        new_addr: abs === undefined ? undefined : hex(abs),
      });
    } else if (y === 3) {
      newLen = Math.max(PAGE, len - this.rng.range(0, len / PAGE - 1) * PAGE);
      ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen) });
    } else if (y === 4) {
      newLen = len + this.rng.range(1, 4) * PAGE;
      ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(newLen) });
    } else {
      // old_len 0: a second mapping of a shared region (EINVAL for private ones).
      ref = this.emit({ op: 'mremap', old_addr: r.ref, old_len: '0x0', new_len: hex(len), flags: 'MREMAP_MAYMOVE' });
    }
    this.addRegion({ ref, len: newLen, abs, shared: r.shared, file: r.file });
    if (off < newLen) this.emit({ op: 'load', addr: at(ref, off), len: hex(data.length / 2) });
    if (this.rng.chance(0.4)) this.emit({ op: 'load', addr: at(r.ref, off), len: hex(data.length / 2) });
    if (this.rng.chance(0.3)) this.accessAt(at(ref, newLen - PAGE), PAGE);
    if (this.rng.chance(0.3)) this.emit({ op: 'mincore', addr: ref, len: hex(newLen) });
  }

  /**
   * Transparent huge pages: a 2 MiB-aligned anonymous region, mostly MADV_HUGEPAGE, touched in
   * whole blocks (a THP fault maps a PMD), then one of the operations that split, zap, copy, move
   * or collapse a PMD mapping (vma_adjust_trans_huge, zap_huge_pmd, copy_huge_pmd, move_huge_pmd,
   * madvise_collapse), then the THP counters (AnonHugePages, ShmemPmdMapped) and VmPTE. A
   * quarter of the regions are shared anonymous (shmem), whose huge pages only MADV_COLLAPSE
   * makes here (shmem_enabled=never), so it mostly runs first (collapse_file()).
   */
  private thp(): void {
    const blocks = this.rng.range(2, 4);
    const len = blocks * 2 * MIB;
    const abs = Math.ceil(this.arenaAddr(len + 2 * MIB) / (2 * MIB)) * 2 * MIB;
    const shmem = this.rng.chance(0.25);
    const ref = this.emit({
      op: 'mmap', addr: hex(abs), len: hex(len), prot: 'PROT_READ|PROT_WRITE', flags: `${shmem ? 'MAP_SHARED' : 'MAP_PRIVATE'}|MAP_ANONYMOUS|MAP_FIXED`,
    });
    this.addRegion({ ref, len, abs });
    if (this.rng.chance(0.85)) this.emit({ op: 'madvise', addr: ref, len: hex(len), advice: 'MADV_HUGEPAGE' });
    for (let b = 0; b < blocks; b++) {
      if (this.rng.chance(0.7)) this.accessAt(at(ref, b * 2 * MIB + this.rng.int(512) * PAGE), 8);
    }
    if (shmem && this.rng.chance(0.6)) this.emit({ op: 'madvise', addr: ref, len: hex(len), advice: 'MADV_COLLAPSE' });
    const blk = this.rng.int(blocks) * 2 * MIB;
    const part = this.rng.pick([PAGE, 16 * PAGE, MIB]);
    const inBlock = blk + this.rng.int((2 * MIB - part) / PAGE + 1) * PAGE;
    const y = this.rng.int(10);
    if (y === 0) this.emit({ op: 'munmap', addr: at(ref, inBlock), len: hex(this.rng.chance(0.3) ? 2 * MIB : part) });
    else if (y === 1) this.emit({ op: 'mprotect', addr: at(ref, inBlock), len: hex(part), prot: this.rng.pick(['PROT_READ', 'PROT_NONE']) });
    else if (y === 2) this.emit({ op: 'madvise', addr: at(ref, this.rng.chance(0.4) ? blk : inBlock), len: hex(this.rng.chance(0.4) ? 2 * MIB : part), advice: 'MADV_DONTNEED' });
    else if (y === 3) this.emit({ op: 'madvise', addr: at(ref, inBlock), len: hex(part), advice: this.rng.pick(['MADV_COLD', 'MADV_PAGEOUT', 'MADV_FREE']) });
    else if (y === 4) this.emit({ op: 'madvise', addr: ref, len: hex(len), advice: 'MADV_COLLAPSE' });
    else if (y === 5) {
      this.fork();
      this.accessAt(at(ref, inBlock), 8);
    } else if (y === 6) {
      const to = Math.ceil(this.arenaAddr(len + 2 * MIB) / (2 * MIB)) * 2 * MIB + this.rng.pick([0, 0, PAGE]);
      const moved = this.emit({ op: 'mremap', old_addr: ref, old_len: hex(len), new_len: hex(len), flags: 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: hex(to) });
      this.addRegion({ ref: moved, len, abs: to });
    } else if (y === 7) this.emit({ op: 'store', addr: at(ref, inBlock), data: this.randomData(8) });
    else if (y === 8) {
      this.emit({ op: 'madvise', addr: ref, len: hex(len), advice: 'MADV_NOHUGEPAGE' });
      this.accessAt(at(ref, inBlock), 8);
    } else this.emit({ op: 'touch', addr: at(ref, blk), len: hex(2 * MIB), write: this.rng.chance(0.5) });
    this.emit({ op: 'smaps', fields: this.smapsFields() });
    if (this.rng.chance(0.5)) this.emit({ op: 'status' });
  }

  /**
   * mremap of a whole region of 2 MiB or more with pages touched across it, to a destination at
   * the same offset within its 2 MiB block when the source address is known (so whole page
   * tables move: move_page_tables() → move_normal_pmd(), realigned by can_align_down()), with or
   * without MREMAP_DONTUNMAP; then accesses at both places and the page-table and THP counters.
   */
  private remapTables(r: Region): void {
    const len = r.len;
    for (let i = this.rng.range(1, 4); i > 0; i--) {
      this.emit({ op: 'store', addr: at(r.ref, this.rng.int(len / PAGE) * PAGE), data: this.randomData(8) });
    }
    const blockOff = r.abs !== undefined && this.rng.chance(0.7) ? r.abs % (2 * MIB) : this.rng.pick([0, PAGE]);
    const abs = Math.ceil(this.arenaAddr(len + 2 * MIB) / (2 * MIB)) * 2 * MIB + blockOff;
    const dontunmap = !r.file && !r.shared && this.rng.chance(0.5);
    const ref = this.emit({
      op: 'mremap', old_addr: r.ref, old_len: hex(len), new_len: hex(len),
      flags: dontunmap ? 'MREMAP_MAYMOVE|MREMAP_DONTUNMAP|MREMAP_FIXED' : 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: hex(abs),
    });
    this.addRegion({ ref, len, abs, shared: r.shared, file: r.file });
    this.accessAt(at(ref, this.rng.int(len / PAGE) * PAGE), 8);
    if (dontunmap) this.accessAt(at(r.ref, this.rng.int(len / PAGE) * PAGE), 8);
    this.emit({ op: 'status' });
  }

  /**
   * Stack growth: accesses below STACK_LO (down to a bit past RLIMIT_STACK) and munmap, mprotect,
   * madvise, mlock, mremap of the grown part; ranges always end at or below STACK_LO.
   */
  private stack(): void {
    const grown = this.stackPages.get(this.pid) ?? 0;
    const y = this.rng.int(10);
    if (y < 5 || grown === 0) {
      const w = this.rng.weighted([30, 30, 20, 12, 8]);
      const pages = [this.rng.range(1, 4), this.rng.range(5, 64), this.rng.range(65, 300), this.rng.range(301, 2030), this.rng.range(2031, STACK_REACH_PAGES)][w] as number;
      const within = this.rng.pick([0, 1, 8, PAGE - 64, this.rng.int(PAGE - 64)]);
      const addr = STACK_LO - pages * PAGE + within;
      const n = Math.min(STACK_LO - addr, this.rng.pick([1, 8, 64]));
      const z = this.rng.int(10);
      if (z < 4) this.emit({ op: 'store', addr: hex(addr), data: this.randomData(n) });
      else if (z < 7) this.emit({ op: 'load', addr: hex(addr), len: hex(this.rng.pick([1, 8, 64])) });
      else this.emit({ op: 'touch', addr: hex(addr), len: hex(Math.min(STACK_LO - addr, this.rng.pick([1, PAGE, 4 * PAGE]))), write: z < 9 });
      if (pages <= 2030) this.stackPages.set(this.pid, Math.max(grown, pages));
      return;
    }
    // A range in the grown part: [STACK_LO - hi pages, STACK_LO - lo pages).
    const hi = this.rng.range(1, grown);
    const lo = this.rng.chance(0.4) ? 0 : this.rng.range(0, hi - 1);
    const addr = hex(STACK_LO - hi * PAGE);
    const len = hex((hi - lo) * PAGE);
    const z = this.rng.int(10);
    if (z < 2) this.emit({ op: 'munmap', addr, len });
    else if (z < 4) this.emit({ op: 'mprotect', addr, len, prot: this.rng.pick([...PROTS, 'PROT_READ|PROT_GROWSDOWN', 'PROT_NONE|PROT_GROWSDOWN']) });
    else if (z < 7) this.emit({ op: 'madvise', addr, len, advice: this.rng.pick([...DATA_ADVICE, 'MADV_NOHUGEPAGE', 'MADV_NORMAL']) });
    else if (z < 8) this.emit({ op: 'mlock', addr, len, flags: this.rng.chance(0.5) ? 'MLOCK_ONFAULT' : undefined });
    else if (z < 9) this.emit({ op: 'mincore', addr, len });
    else {
      const abs = this.arenaAddr((hi - lo) * PAGE);
      const ref = this.emit({ op: 'mremap', old_addr: addr, old_len: len, new_len: len, flags: 'MREMAP_MAYMOVE|MREMAP_FIXED', new_addr: hex(abs) });
      this.addRegion({ ref, len: (hi - lo) * PAGE, abs });
    }
    if (this.rng.chance(0.5)) {
      const pages = this.rng.range(1, hi + 2);
      this.accessAt(hex(STACK_LO - pages * PAGE + this.rng.int(PAGE - 64)), this.rng.pick([1, 8]));
    }
  }

  /** fork from a live process (chains up to MAX_DEPTH deep), or an exit of a child. */
  private procOp(): void {
    const children = this.procs.filter((p) => p.label !== 0);
    if (children.length && (this.rng.chance(0.35) || this.procs.length >= MAX_LIVE || this.forks >= MAX_FORKS)) {
      const p = this.rng.pick(children);
      const keep = this.pid;
      this.pid = p.label;
      this.emit({ op: 'exit' });
      this.pid = keep === p.label ? 0 : keep;
      this.procs.splice(this.procs.indexOf(p), 1);
      for (const r of this.regions) r.pids?.delete(p.label);
      return;
    }
    if (this.forks >= MAX_FORKS) return this.access();
    const parents = this.procs.filter((p) => p.depth < MAX_DEPTH);
    this.pid = this.rng.pick(parents).label;
    this.fork();
  }

  /** fork in this.pid; later ops mostly run in the child for a while. */
  private fork(): void {
    if (this.forks >= MAX_FORKS || this.procs.length >= MAX_LIVE) return;
    const parent = this.procs.find((p) => p.label === this.pid);
    if (!parent || parent.depth >= MAX_DEPTH) return;
    this.forks++;
    const label = this.nextLabel++;
    this.emit({ op: 'fork' });
    this.procs.push({ label, depth: parent.depth + 1 });
    for (const r of this.regions) if (r.pids?.has(parent.label)) r.pids.add(label);
    const g = this.stackPages.get(parent.label);
    if (g !== undefined) this.stackPages.set(label, g);
    if (this.rng.chance(0.6)) this.pid = label;
  }

  // ---- the main loop ---------------------------------------------------------------------------------

  run(): GeneratedOp[] {
    const w = {
      mmap: 20, munmap: 10, mprotect: 12, madvise: 8, mremap: 10, brk: 5, lock: 5, seal: 2, query: 5,
      lockAll: 0.7, limits: 0.7, anonName: 0.3, dump: 2,
      file: this.opts.files ? 6 : 0, fileMap: this.opts.files ? 6 : 0, fileIo: this.opts.files ? 5 : 0,
      access: this.opts.memory ? 8 : 0, fork: this.opts.memory ? 2.5 : 0,
      edge: this.opts.memory ? 6 : 0, dataAdvice: this.opts.memory ? 7 : 0, protAccess: this.opts.memory ? 3 : 0,
      remapData: this.opts.memory ? 3 : 0, stack: this.opts.memory ? 3 : 0, thp: this.opts.memory ? 1.5 : 0,
    };
    /** Ops that change per-process state this generator tracks for pid 0 only. */
    const rootOnly = new Set<keyof typeof w>(['brk', 'lockAll', 'limits', 'file']);
    const names = Object.keys(w) as (keyof typeof w)[];
    const weights = names.map((k) => w[k]);
    while (this.left > 0) {
      if (this.sinceMaps >= this.mapsEvery || this.left === 1) {
        this.dump();
        this.mapsEvery = this.rng.range(4, 9);
        continue;
      }
      const before = this.ops.length;
      const k = names[this.rng.weighted(weights)] as keyof typeof w;
      if (this.opts.memory) {
        // Ops run in every live process: mostly the current one, sometimes another.
        if (rootOnly.has(k)) this.pid = 0;
        else if (this.rng.chance(0.25)) this.pid = this.rng.pick(this.procs).label;
      }
      switch (k) {
        case 'mmap':
          this.mmapAnon();
          break;
        case 'munmap':
          this.munmap();
          break;
        case 'mprotect':
          this.mprotect();
          break;
        case 'madvise':
          this.madvise();
          break;
        case 'mremap':
          this.mremap();
          break;
        case 'brk':
          this.brk();
          break;
        case 'lock':
          this.lock();
          break;
        case 'seal':
          this.seal();
          break;
        case 'query':
          this.query();
          break;
        case 'lockAll':
          this.lockAll();
          break;
        case 'limits':
          this.limits();
          break;
        case 'anonName': {
          const r = this.region();
          if (r) this.emit({ op: 'anon_name', addr: r.ref, len: hex(Math.min(r.len, 4 * PAGE)), name: this.rng.pick(['heap', 'x', null, 'bad name']) });
          break;
        }
        case 'dump':
          this.dump();
          break;
        case 'file':
          this.fileOp();
          break;
        case 'fileMap':
          this.mmapFile();
          break;
        case 'fileIo':
          this.fileIo();
          break;
        case 'access':
          this.access();
          break;
        case 'fork':
          this.procOp();
          break;
        case 'edge':
          this.edgeAccess();
          break;
        case 'dataAdvice':
          this.dataAdvice();
          break;
        case 'protAccess':
          this.protAccess();
          break;
        case 'remapData':
          this.remapData();
          break;
        case 'stack':
          this.stack();
          break;
        case 'thp':
          this.thp();
          break;
      }
      this.sinceMaps += this.ops.length - before;
    }
    // A block (ftruncate after open, a fork's children) may have run past the end by design of
    // its own checks; trim to exactly n without breaking references (later ops only refer back).
    return this.ops.slice(0, this.n);
  }
}

/**
 * A random scenario of exactly `nOps` ops (the same for the same arguments, on every platform).
 * Ops are plain objects in the scenario format: `JSON.stringify` each one to get a scenario line.
 */
export function generateScenario(seed: number, nOps: number, opts: GenerateOptions = {}): GeneratedOp[] {
  if (!Number.isFinite(nOps) || nOps <= 0) return [];
  const gen = new Generator(new Rng(Math.floor(seed) >>> 0 ^ Math.floor(seed / 4294967296)), Math.floor(nOps), opts);
  return gen.run();
}

/** The scenario as JSON-lines text (one op per line, newline-terminated). */
export function scenarioText(ops: readonly GeneratedOp[]): string {
  return ops.map((o) => JSON.stringify(o)).join('\n') + (ops.length ? '\n' : '');
}

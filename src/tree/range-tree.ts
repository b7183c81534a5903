/**
 * The ordered range tree: vmspace's stand-in for Linux's maple tree (mm->mm_mt), and before
 * it the VMA rb-tree (mm->mm_rb) with its `rb_subtree_gap` augmentation.
 *
 * It holds non-overlapping half-open integer ranges [start, end), ordered by start (and so
 * also by end). It knows nothing about VMAs: callers subclass {@link RangeNode}
 * (`class Vma extends RangeNode`) and insert those objects themselves; lookups return them
 * and allocate nothing.
 *
 * Design: an AVL tree (the shallowest balanced BST; lookups dominate) augmented like Linux's
 * old VMA rb-tree: each node has a `gap`, the free space between the previous node's end
 * and its own start (from 0 for the first node), and a `maxGap`, the largest gap in its
 * subtree (Linux's rb_subtree_gap). The gap above the last node (up to +Infinity) is handled
 * through the cached last node, like `mm->highest_vm_end`. With that, both free-gap searches
 * ({@link RangeTree.gapTopDown}, {@link RangeTree.gapBottomUp}) are the descents of
 * `unmapped_area_topdown()` / `unmapped_area()` from Linux 4.x mm/mmap.c, which the maple
 * tree's `mas_empty_area_rev()` / `mas_empty_area()` compute too: O(log n), never a scan.
 *
 * Memory layout, and why: the tree's own data does not live in the node objects but in
 * typed arrays indexed by a small integer id kept in each node (`rtId`). At 60k ranges a
 * lookup is dominated by cache misses, and an object-linked tree pays two per level: the
 * object, and the separate heap box V8 keeps each non-Smi double field in (addresses are
 * above 2^31, so `start`/`end` are always boxed). Here the descent of findNext()/insert()
 * reads one 16-byte "hot" record per level (end, left, right); everything else (start, gap,
 * maxGap, parent, balance) sits in a 32-byte "cold" record. Measured against an
 * object-linked version of this same AVL tree (same process, trees churned so that memory
 * order no longer follows address order), at 60k ranges: findNext 1.1-1.4x, insert+remove
 * and gapTopDown about 2x faster; at 36 ranges it is 15-40% slower (typed-array accesses
 * cost a few more instructions than field loads when everything is in L1), i.e. tens of ns.
 * The node objects keep `start`/`end` for callers; the tree keeps its own copy, so a linked
 * node's range must change only through {@link RangeTree.setRange} (checkValid() catches a
 * node changed behind its back).
 *
 * Values are JS numbers (addresses < 2^47, exact in a double); no bitwise operator is ever
 * applied to them, since those truncate to 32 bits (ids and balances are small integers).
 */

/**
 * Base class of everything stored in a {@link RangeTree}. `start`/`end` are the range
 * [start, end), start < end. While linked, change them only through
 * {@link RangeTree.setRange}; `rtId` belongs to the tree.
 */
export class RangeNode {
  start: number;
  end: number;
  /** @internal The node's slot in its tree's arrays; 0 when not linked. */
  rtId = 0;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
  }
}

/** Options for {@link RangeTree}. */
export interface RangeTreeOptions {
  /** Check preconditions (no overlap, order kept, node membership) on every mutation. */
  debug?: boolean;
}

// Record layouts. Id 0 is "none" (its records are never read as a node). Indexes are
// computed with shifts and ors on ids (small integers, < 2^26), never on addresses: that
// spares V8 an overflow check per access.
// Hot record, 16 bytes, read by every descent: f64 end | i32 left | i32 right.
//   end = h64[id << 1], left = h32[(id << 2) | HL], right = h32[(id << 2) | HR]
const HL = 2;
const HR = 3;
// Cold record, 32 bytes: f64 start | f64 gap | f64 maxGap | i32 parent | i32 balance.
//   start = c64[id << 2], gap = c64[(id << 2) | CG], maxGap = c64[(id << 2) | CM],
//   parent = c32[(id << 3) | CP], balance = c32[(id << 3) | CB] (height(right) - height(left))
const CG = 1;
const CM = 2;
const CP = 6;
const CB = 7;
/**
 * Subtree max gaps are stored clamped to this (64 GiB). Why: a layout's few huge gaps (below the
 * program, between the heap and the mmap area) are the largest in the tree, so without the
 * clamp every mmap or brk that nibbles at one changes the max of every ancestor and walks to
 * the root. Clamped, a gap that stays huge changes nothing above it and the walk stops at once.
 * The searches stay exact: they prune with min(len, GAP_CLAMP), which never discards a subtree
 * holding a gap >= len, and test each node's own (unclamped) gap; a request over 64 GiB only
 * explores the subtrees that hold huge gaps, of which an address space has a handful.
 */
const GAP_CLAMP = 2 ** 36;

/** Ids must stay below 2^26 so that (id << 3) | 7 fits an int32; Linux caps VMAs at 65530. */
const MAX_IDS = 1 << 26;

const INITIAL_CAPACITY = 64;

/**
 * Record arrays of released trees, kept for the next tree that grows to their size: fresh
 * ArrayBuffer memory costs the host's page faults on first touch, which dominated fork + exit
 * loops (a child's tree is the size of the one the previous child released).
 */
interface Store { hot: ArrayBuffer; cold: ArrayBuffer; capacity: number }
const storePool: Store[] = [];
const STORE_POOL_MAX = 8;

/** Height of the balanced subtree buildSorted() makes of `n` nodes: ceil(log2(n + 1)). */
function heightOf(n: number): number {
  return n === 0 ? 0 : 32 - Math.clz32(n);
}

function hex(v: number): string {
  return Number.isFinite(v) && v >= 0 ? '0x' + v.toString(16) : String(v);
}

function rangeName(start: number, end: number): string {
  return `node ${hex(start)}-${hex(end)}`;
}

/**
 * An ordered set of non-overlapping [start, end) ranges with O(log n) lookup, insert, remove,
 * in-place range change and free-gap search. See the module comment for the design.
 */
export class RangeTree<T extends RangeNode> {
  private h64: Float64Array;
  private h32: Int32Array;
  private c64: Float64Array;
  private c32: Int32Array;
  /** id -> node (null for free ids and id 0). */
  private objs: (T | null)[];
  private capacity: number;
  /** Ids below this have been handed out at least once. */
  private highWater = 1;
  /** Free ids, linked through their hot `left` slot; 0 = none. */
  private freeList = 0;
  private root = 0;
  private head = 0;
  private tail = 0;
  private count = 0;
  /**
   * The lookup cursor: the last gap-and-node neighbourhood a lookup found, like the maple state
   * a Linux vma_iterator keeps across the steps of one syscall. For every addr in
   * [curLo, curHi), findNext(addr) is node `curId` (0: none), whose predecessor is `curPred`
   * (0: none, -1: not known yet); curLo is the predecessor's end (0 if none), curHi curId's
   * end (+Infinity if none). An mmap asks about the same neighbourhood five times (placement,
   * its guard-gap check, munmap of the target, the merge's next and prev) and then inserts
   * there: with the cursor that is one descent, not six, which is most of what a 60k-VMA tree
   * costs over a small one. Every mutation resets it (curHi = -1) or re-seeds it.
   */
  private curLo = 0;
  private curHi = -1;
  private curId = 0;
  private curPred = 0;
  /**
   * The last top-down gap search, remembered: for the query (gsLen, gsLow, gsHigh) the highest
   * fitting gap was node gsNode's (0: nothing remembered). An emulator's mmaps repeat one
   * query, and in a large layout its answer lies far from the nodes a search must pass (the
   * lowest mapping, with the stack's and the vsyscall page's huge but too-high gaps on the
   * other side of the tree): three descents' worth at 60k VMAs. The answer stays the answer
   * while no gap above it grows: inserts only shrink or split gaps, so no new gap can fit;
   * remove() and setRange() forget it when they grow a gap above the node (or remove it), and
   * gapTopDown() checks that the node's own gap still fits before reusing it.
   */
  private gsLen = 0;
  private gsLow = 0;
  private gsHigh = 0;
  private gsNode = 0;
  /** When true, mutations check their preconditions and throw on violation. */
  debug: boolean;

  constructor(options?: RangeTreeOptions) {
    this.debug = options !== undefined && options.debug === true;
    this.capacity = INITIAL_CAPACITY;
    const hot = new ArrayBuffer(16 * INITIAL_CAPACITY);
    const cold = new ArrayBuffer(32 * INITIAL_CAPACITY);
    this.h64 = new Float64Array(hot);
    this.h32 = new Int32Array(hot);
    this.c64 = new Float64Array(cold);
    this.c32 = new Int32Array(cold);
    this.objs = [null];
  }

  get size(): number {
    return this.count;
  }

  first(): T | undefined {
    const h = this.head;
    return h === 0 ? undefined : (this.objs[h] as T);
  }

  last(): T | undefined {
    const t = this.tail;
    return t === 0 ? undefined : (this.objs[t] as T);
  }

  next(n: T): T | undefined {
    if (this.debug) this.checkMember(n);
    const s = this.successor(n.rtId);
    return s === 0 ? undefined : (this.objs[s] as T);
  }

  prev(n: T): T | undefined {
    if (this.debug) this.checkMember(n);
    const p = this.predecessor(n.rtId);
    return p === 0 ? undefined : (this.objs[p] as T);
  }

  /** Linux find_vma(): the first node with end > addr, or undefined. */
  findNext(addr: number): T | undefined {
    const b = this.findNextId(addr);
    return b === 0 ? undefined : (this.objs[b] as T);
  }

  /** The node containing addr (start <= addr < end), or undefined. Linux vma_lookup(). */
  find(addr: number): T | undefined {
    const b = this.findNextId(addr);
    return b !== 0 && this.c64[b << 2] <= addr ? (this.objs[b] as T) : undefined;
  }

  /**
   * The last node with start < addr, i.e. the node before the first node with
   * start >= addr (Linux find_vma_prev()'s `pprev` when addr is not inside a node).
   */
  findPrevStart(addr: number): T | undefined {
    if (addr >= this.curLo && addr < this.curHi) {
      // In the cursor's gap or inside its node: the node itself if it starts below addr,
      // else its predecessor.
      const id = this.curId;
      if (id !== 0 && this.c64[id << 2] < addr) return this.objs[id] as T;
      let p = this.curPred;
      if (p < 0) p = this.curPred = id === 0 ? this.tail : this.predecessor(id);
      return p === 0 ? undefined : (this.objs[p] as T);
    }
    const h32 = this.h32;
    const c64 = this.c64;
    let x = this.root;
    let best = 0;
    while (x !== 0) {
      if (c64[x << 2] < addr) {
        best = x;
        x = h32[(x << 2) | HR];
      } else {
        x = h32[(x << 2) | HL];
      }
    }
    return best === 0 ? undefined : (this.objs[best] as T);
  }

  /**
   * The first node intersecting [start, end), or undefined (always undefined when
   * end <= start). Linux find_vma_intersection().
   */
  firstIntersecting(start: number, end: number): T | undefined {
    if (!(start < end)) return undefined;
    const b = this.findNextId(start);
    return b !== 0 && this.c64[b << 2] < end ? (this.objs[b] as T) : undefined;
  }

  /**
   * Link n. Precondition: n is not linked, start < end, and [start, end) overlaps no node
   * (checked only in debug mode).
   */
  insert(n: T): void {
    const start = n.start;
    const end = n.end;
    if (this.debug && n.rtId !== 0) throw new Error(`range-tree: insert ${rangeName(start, end)}: already linked`);
    const id = this.allocId(); // may grow the arrays: load them after
    const h64 = this.h64;
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    let parent = 0;
    let pred = 0;
    let succ = 0;
    let goLeft = false;
    if (start >= this.curLo && start < this.curHi) {
      // The cursor knows n's neighbours: n goes where a descent would put it, as the left
      // child of its successor if that has none, else as the right child of its predecessor
      // (the rightmost node of the successor's left subtree, so it has no right child).
      succ = this.curId;
      pred = this.curPred;
      if (pred < 0) pred = succ === 0 ? this.tail : this.predecessor(succ);
      if (succ !== 0 && h32[(succ << 2) | HL] === 0) {
        parent = succ;
        goLeft = true;
      } else {
        parent = pred;
      }
    } else {
      // Descend on the hot records only: for non-overlapping ranges, n lies before x iff
      // start < x.end.
      let x = this.root;
      while (x !== 0) {
        parent = x;
        if (start < h64[x << 1]) {
          succ = x;
          x = h32[(x << 2) | HL];
          goLeft = true;
        } else {
          pred = x;
          x = h32[(x << 2) | HR];
          goLeft = false;
        }
      }
    }
    if (this.debug) this.checkInsert(id, start, end, succ);
    const gap = start - (pred === 0 ? 0 : h64[pred << 1]);
    h64[id << 1] = end;
    h32[(id << 2) | HL] = 0;
    h32[(id << 2) | HR] = 0;
    c64[id << 2] = start;
    c64[(id << 2) | CG] = gap;
    c64[(id << 2) | CM] = gap < GAP_CLAMP ? gap : GAP_CLAMP;
    c32[(id << 3) | CP] = parent;
    c32[(id << 3) | CB] = 0;
    this.objs[id] = n;
    n.rtId = id;
    if (parent === 0) this.root = id;
    else if (goLeft) h32[(parent << 2) | HL] = id;
    else h32[(parent << 2) | HR] = id;
    if (pred === 0) this.head = id;
    this.count++;
    // Augmentation first (on the unrotated shape; rotations then recompute locally): n's gap
    // is new, and n took its space out of succ's gap, which can only shrink.
    this.gapGrew(parent, id);
    if (succ === 0) {
      this.tail = id;
    } else {
      c64[(succ << 2) | CG] = c64[succ << 2] - end;
      this.gapShrank(succ);
    }
    this.insertRetrace(id);
    // Rotations keep the order: n is now the cursor's node, between pred and succ.
    this.curLo = pred === 0 ? 0 : h64[pred << 1];
    this.curHi = end;
    this.curId = id;
    this.curPred = pred;
  }

  /**
   * Fill an empty tree with `nodes` (sorted by start, not overlapping, not linked elsewhere) in
   * O(n): a perfectly balanced tree built bottom-up, as fork copies a whole tree (Linux 6.x
   * dup_mmap() duplicates the maple tree with __mt_dup() for the same reason).
   */
  buildSorted(nodes: readonly T[]): void {
    if (this.count !== 0 || this.highWater !== 1) throw new Error('range-tree: buildSorted needs an empty tree');
    this.curHi = -1;
    this.gsNode = 0;
    const n = nodes.length;
    if (n === 0) return;
    if (n + 1 >= MAX_IDS) throw new Error('range-tree: too many nodes');
    if (this.capacity <= n) this.grow(n + 1);
    const h64 = this.h64;
    const c64 = this.c64;
    let prevEnd = 0;
    for (let i = 0; i < n; i++) {
      const x = nodes[i];
      const id = i + 1;
      if (x.rtId !== 0) throw new Error(`range-tree: buildSorted ${rangeName(x.start, x.end)}: already linked`);
      if (!(x.start < x.end) || x.start < prevEnd) throw new Error(`range-tree: buildSorted ${rangeName(x.start, x.end)}: not sorted or overlapping`);
      h64[id << 1] = x.end;
      c64[id << 2] = x.start;
      c64[(id << 2) | CG] = x.start - prevEnd;
      prevEnd = x.end;
      x.rtId = id;
    }
    this.objs = ([null] as (T | null)[]).concat(nodes); // id i+1 is nodes[i]: one allocation
    this.highWater = n + 1;
    this.count = n;
    this.head = 1;
    this.tail = n;
    this.root = this.buildRange(1, n, 0);
  }

  /** Link ids lo..hi (in order) as a balanced subtree under `parent`; returns its root. */
  private buildRange(lo: number, hi: number, parent: number): number {
    if (lo > hi) return 0;
    const mid = (lo + hi) >>> 1;
    const l = this.buildRange(lo, mid - 1, mid);
    const r = this.buildRange(mid + 1, hi, mid);
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    h32[(mid << 2) | HL] = l;
    h32[(mid << 2) | HR] = r;
    c32[(mid << 3) | CP] = parent;
    // Sizes of the two halves differ by at most one, so their heights differ by at most one.
    c32[(mid << 3) | CB] = heightOf(hi - mid) - heightOf(mid - lo);
    c64[(mid << 2) | CM] = this.recomputeMaxGap(mid);
    return mid;
  }

  /** Unlink n. Precondition: n is linked in this tree (checked only in debug mode). */
  remove(n: T): void {
    const id = n.rtId;
    if (this.debug) this.checkMember(n);
    this.curHi = -1;
    const h64 = this.h64;
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const left = h32[(id << 2) | HL];
    const right = h32[(id << 2) | HR];
    const parent = c32[(id << 3) | CP];
    const succ = this.successor(id);
    const gx = this.gsNode;
    if (gx !== 0 && (gx === id || (succ !== 0 && succ !== gx && c64[succ << 2] > c64[gx << 2]))) this.gsNode = 0;
    if (succ !== 0) {
      // succ's gap absorbs n and n's own gap: succ.start - pred.end.
      c64[(succ << 2) | CG] += c64[(id << 2) | CG] + (h64[id << 1] - c64[id << 2]);
    } else {
      // n was the last node: its predecessor becomes the last.
      this.tail = left !== 0 ? left : parent; // n is on the right spine: no right child
    }
    if (this.head === id) this.head = succ;
    // Where the AVL retrace starts, and whether that node's left (or right) side got shorter.
    let fix: number;
    let leftShorter: boolean;
    // Where the max-gap walk starts, and a node it must reach before it may stop early.
    let gapFrom: number;
    let pending = succ;
    if (left !== 0 && right !== 0) {
      // Two children: succ is the leftmost node of `right`; move it into n's place.
      const y = succ;
      if (c32[(y << 3) | CP] === id) {
        fix = y;
        leftShorter = false;
      } else {
        const yp = c32[(y << 3) | CP];
        fix = yp;
        leftShorter = true;
        const yr = h32[(y << 2) | HR];
        h32[(yp << 2) | HL] = yr;
        if (yr !== 0) c32[(yr << 3) | CP] = yp;
        h32[(y << 2) | HR] = right;
        c32[(right << 3) | CP] = y;
      }
      gapFrom = fix;
      h32[(y << 2) | HL] = left;
      c32[(left << 3) | CP] = y;
      c32[(y << 3) | CB] = c32[(id << 3) | CB];
      // y takes over n's cached max, so the early stop of the gap walk compares against the
      // value n's ancestors were computed from.
      c64[(y << 2) | CM] = c64[(id << 2) | CM];
      this.replaceChild(parent, id, y);
      c32[(y << 3) | CP] = parent;
    } else {
      const c = left !== 0 ? left : right;
      leftShorter = parent !== 0 && h32[(parent << 2) | HL] === id;
      this.replaceChild(parent, id, c);
      if (c !== 0) {
        c32[(c << 3) | CP] = parent;
        // An AVL node with one child has a leaf child; if it is succ its gap changed.
        const cg = c64[(c << 2) | CG];
        c64[(c << 2) | CM] = cg < GAP_CLAMP ? cg : GAP_CLAMP;
        if (c === succ) pending = 0;
      }
      fix = parent;
      gapFrom = parent;
    }
    this.freeId(id);
    n.rtId = 0;
    this.count--;
    // Max gaps: n's gap left the subtrees on the walk from gapFrom up; succ's grew. succ is
    // on that walk (or is the leaf c, already fixed): don't stop early below it.
    let g = gapFrom;
    while (g !== 0) {
      if (g === pending) pending = 0;
      if (!this.refreshMaxGap(g) && pending === 0) break;
      g = c32[(g << 3) | CP];
    }
    if (fix !== 0) this.removeRetrace(fix, leftShorter);
  }

  /**
   * Change n's range in place (Linux vma_set_range()/vma_adjust). Precondition: start < end,
   * the new range overlaps no other node and keeps n between the same neighbours (checked
   * only in debug mode). Fixes n's gap, its successor's gap, and their subtree maxima.
   */
  setRange(n: T, start: number, end: number): void {
    if (this.debug) this.checkSetRange(n, start, end);
    this.curHi = -1;
    const id = n.rtId;
    const c64 = this.c64;
    const oldStart = c64[id << 2];
    const oldEnd = this.h64[id << 1];
    n.start = start;
    n.end = end;
    const gx = this.gsNode;
    // A gap growing above the remembered search answer makes it stale (n's own gap grows when
    // its start rises, its successor's when its end falls).
    if (gx !== 0 && gx !== id && start > oldStart && start > c64[gx << 2]) this.gsNode = 0;
    if (start !== oldStart) {
      c64[id << 2] = start;
      c64[(id << 2) | CG] += start - oldStart;
      if (start > oldStart) this.gapGrew(id, id);
      else this.gapShrank(id);
    }
    if (end !== oldEnd) {
      this.h64[id << 1] = end;
      const s = this.successor(id);
      if (s !== 0) {
        if (end < oldEnd && this.gsNode !== 0 && s !== this.gsNode && c64[s << 2] > c64[this.gsNode << 2]) this.gsNode = 0;
        c64[(s << 2) | CG] -= end - oldEnd;
        if (end < oldEnd) this.gapGrew(s, s);
        else this.gapShrank(s);
      }
    }
  }

  /**
   * Top-down free-gap search: Linux mm/mmap.c unmapped_area_topdown() (4.x rb-tree version;
   * the maple tree's mas_empty_area_rev() computes the same). The gaps are those between
   * consecutive nodes, below the first node (from 0) and above the last (to +Infinity). Each
   * gap [gs, ge) is clipped to [max(gs, low), min(ge, high)); returns min(ge, high) for the
   * HIGHEST gap whose clipped size is >= len, or -1 if none. len must be >= 1.
   *
   * findNext(result) is the node just above the returned gap (undefined for the top gap),
   * as needed for the stack-guard-gap retry.
   */
  gapTopDown(len: number, low: number, high: number): number {
    // Like Linux: a gap qualifies iff gs <= high - len, ge >= low + len and ge - gs >= len
    // (given high - low >= len) - exactly "clipped size >= len".
    const highLimit = high - len;
    if (!(low <= highLimit)) return -1;
    const lowLimit = low + len;
    const tail = this.tail;
    // The highest gap, which does not precede any node.
    const tailEnd = tail === 0 ? 0 : this.h64[tail << 1];
    if (tailEnd <= highLimit) {
      this.curLo = tailEnd;
      this.curHi = Infinity;
      this.curId = 0;
      this.curPred = tail;
      return high;
    }
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const gx = this.gsNode;
    if (gx !== 0 && len === this.gsLen && low === this.gsLow && high === this.gsHigh) {
      const start = c64[gx << 2];
      const g = c64[(gx << 2) | CG];
      if (start >= lowLimit && g >= len && start - g <= highLimit) {
        this.curLo = start - g;
        this.curHi = this.h64[gx << 1];
        this.curId = gx;
        this.curPred = -1;
        return start < high ? start : high;
      }
    }
    const prune = len < GAP_CLAMP ? len : GAP_CLAMP;
    let n = this.root;
    if (n === 0 || c64[(n << 2) | CM] < prune) return -1;
    let descend = true;
    for (;;) {
      const start = c64[n << 2];
      const g = c64[(n << 2) | CG];
      if (descend) {
        // Visit the right subtree if it looks promising: its gaps all start at or above
        // n's gap start, so none can qualify if n's gap starts above highLimit.
        const r = h32[(n << 2) | HR];
        if (r !== 0 && c64[(r << 2) | CM] >= prune && start - g <= highLimit) {
          n = r;
          continue;
        }
      }
      // Check the current node's gap [start - g, start).
      if (start < lowLimit) return -1; // every remaining gap ends even lower
      if (g >= len && start - g <= highLimit) {
        // The node above the gap becomes the cursor (its predecessor is found on demand).
        this.curLo = start - g;
        this.curHi = this.h64[n << 1];
        this.curId = n;
        this.curPred = -1;
        this.gsLen = len;
        this.gsLow = low;
        this.gsHigh = high;
        this.gsNode = n;
        return start < high ? start : high;
      }
      // Visit the left subtree if it looks promising.
      const l = h32[(n << 2) | HL];
      if (l !== 0 && c64[(l << 2) | CM] >= prune) {
        n = l;
        descend = true;
        continue;
      }
      // Go back up to the next candidate: the first ancestor we are a right child of.
      for (;;) {
        const c = n;
        n = c32[(c << 3) | CP];
        if (n === 0) return -1;
        if (h32[(n << 2) | HR] === c) break;
      }
      descend = false;
    }
  }

  /**
   * Bottom-up free-gap search: Linux mm/mmap.c unmapped_area() (4.x rb-tree version; the
   * maple tree's mas_empty_area()). Same gaps and clipping as {@link gapTopDown}; returns
   * max(gs, low) of the LOWEST gap whose clipped size is >= len, or -1. len must be >= 1.
   */
  gapBottomUp(len: number, low: number, high: number): number {
    const highLimit = high - len;
    if (!(low <= highLimit)) return -1;
    const lowLimit = low + len;
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const prune = len < GAP_CLAMP ? len : GAP_CLAMP;
    let n = this.root;
    if (n !== 0 && c64[(n << 2) | CM] >= prune) {
      let descend = true;
      for (;;) {
        const start = c64[n << 2];
        if (descend) {
          // Visit the left subtree if it looks promising: its gaps all end below n's start.
          const l = h32[(n << 2) | HL];
          if (l !== 0 && c64[(l << 2) | CM] >= prune && start >= lowLimit) {
            n = l;
            continue;
          }
        }
        const g = c64[(n << 2) | CG];
        const gs = start - g;
        if (gs > highLimit) return -1; // every remaining gap starts even higher
        if (g >= len && start >= lowLimit) return gs > low ? gs : low;
        const r = h32[(n << 2) | HR];
        if (r !== 0 && c64[(r << 2) | CM] >= prune) {
          n = r;
          descend = true;
          continue;
        }
        // Go back up to the first ancestor we are a left child of.
        for (;;) {
          const c = n;
          n = c32[(c << 3) | CP];
          if (n === 0 || h32[(n << 2) | HL] === c) break;
        }
        if (n === 0) break;
        descend = false;
      }
    }
    // The highest gap, which does not precede any node.
    const tail = this.tail;
    const gs = tail === 0 ? 0 : this.h64[tail << 1];
    if (gs > highLimit) return -1;
    return gs > low ? gs : low;
  }

  /** Call fn on every node in order. fn must not insert or remove nodes. */
  forEach(fn: (n: T) => void): void {
    for (let x = this.head; x !== 0; x = this.successor(x)) fn(this.objs[x] as T);
  }

  /** All nodes in order. */
  toArray(): T[] {
    const out: T[] = [];
    for (let x = this.head; x !== 0; x = this.successor(x)) out.push(this.objs[x] as T);
    return out;
  }

  /** Unlink every node (they can then be inserted again, here or elsewhere). */
  clear(): void {
    const objs = this.objs;
    for (let i = 1; i < objs.length; i++) {
      const o = objs[i];
      if (o !== null) o.rtId = 0;
    }
    this.objs = [null];
    this.curHi = -1;
    this.gsNode = 0;
    this.highWater = 1;
    this.freeList = 0;
    this.root = 0;
    this.head = 0;
    this.tail = 0;
    this.count = 0;
  }

  /**
   * Recompute every augmentation and ordering rule from scratch and throw an Error naming
   * the broken rule and the node, e.g.
   * "range-tree: node 0x1000-0x2000: maxGap 4096 != recomputed 8192".
   */
  checkValid(): void {
    const h64 = this.h64;
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const root = this.root;
    if (root !== 0 && c32[(root << 3) | CP] !== 0) throw new Error('range-tree: root has a parent');
    // Iterative in-order walk, checking order, gaps, links and the node objects.
    let count = 0;
    let prev = 0;
    let first = 0;
    const stack: number[] = [];
    let x = root;
    while (x !== 0 || stack.length > 0) {
      while (x !== 0) {
        if (stack.length > 200) throw new Error('range-tree: depth > 200 (cycle?)');
        stack.push(x);
        x = h32[(x << 2) | HL];
      }
      const n = stack.pop() as number;
      count++;
      if (first === 0) first = n;
      const start = c64[n << 2];
      const end = h64[n << 1];
      const name = `range-tree: ${rangeName(start, end)}`;
      const o = this.objs[n];
      if (o === null || o === undefined || o.rtId !== n) throw new Error(`${name}: id ${n} does not map back to its node`);
      if (o.start !== start || o.end !== end) {
        throw new Error(`${name}: node object says ${hex(o.start)}-${hex(o.end)} (changed without setRange?)`);
      }
      if (!(start < end)) throw new Error(`${name}: start >= end`);
      const prevEnd = prev === 0 ? 0 : h64[prev << 1];
      if (prev !== 0 && !(prevEnd <= start)) {
        throw new Error(`${name}: overlaps or out of order after ${rangeName(c64[prev << 2], prevEnd)}`);
      }
      const gap = c64[(n << 2) | CG];
      if (gap !== start - prevEnd) throw new Error(`${name}: gap ${gap} != recomputed ${start - prevEnd}`);
      const l = h32[(n << 2) | HL];
      const r = h32[(n << 2) | HR];
      if (l !== 0 && c32[(l << 3) | CP] !== n) throw new Error(`${name}: left child's parent link is wrong`);
      if (r !== 0 && c32[(r << 3) | CP] !== n) throw new Error(`${name}: right child's parent link is wrong`);
      prev = n;
      x = r;
    }
    if (count !== this.count) throw new Error(`range-tree: size ${this.count} != counted ${count}`);
    if (this.head !== first) throw new Error('range-tree: cached first node is wrong');
    if (this.tail !== prev) throw new Error('range-tree: cached last node is wrong');
    let free = 0;
    for (let f = this.freeList; f !== 0; f = h32[(f << 2) | HL]) {
      if (this.objs[f] !== null || ++free > this.highWater) throw new Error(`range-tree: free list is corrupt at id ${f}`);
    }
    if (count + free !== this.highWater - 1) {
      throw new Error(`range-tree: ${count} nodes + ${free} free ids != ${this.highWater - 1} ids in use`);
    }
    if (root !== 0) this.checkAug(root);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Linux find_vma() on ids: the first node with end > addr, or 0. Hot records only. */
  private findNextId(addr: number): number {
    if (addr >= this.curLo && addr < this.curHi) return this.curId;
    const h64 = this.h64;
    const h32 = this.h32;
    let x = this.root;
    let best = 0;
    // The last node passed on the right is the greatest node with end <= addr: best's
    // predecessor. The neighbourhood becomes the cursor.
    let lo = 0;
    while (x !== 0) {
      if (h64[x << 1] > addr) {
        best = x;
        x = h32[(x << 2) | HL];
      } else {
        lo = x;
        x = h32[(x << 2) | HR];
      }
    }
    this.curLo = lo === 0 ? 0 : h64[lo << 1];
    this.curHi = best === 0 ? Infinity : h64[best << 1];
    this.curId = best;
    this.curPred = lo;
    return best;
  }

  /** In-order successor id, or 0. Amortised O(1) over a traversal. */
  private successor(x: number): number {
    const h32 = this.h32;
    const c32 = this.c32;
    let r = h32[(x << 2) | HR];
    if (r !== 0) {
      for (let l = h32[(r << 2) | HL]; l !== 0; l = h32[(r << 2) | HL]) r = l;
      return r;
    }
    let p = c32[(x << 3) | CP];
    while (p !== 0 && h32[(p << 2) | HR] === x) {
      x = p;
      p = c32[(x << 3) | CP];
    }
    return p;
  }

  /** In-order predecessor id, or 0. */
  private predecessor(x: number): number {
    const h32 = this.h32;
    const c32 = this.c32;
    let l = h32[(x << 2) | HL];
    if (l !== 0) {
      for (let r = h32[(l << 2) | HR]; r !== 0; r = h32[(l << 2) | HR]) l = r;
      return l;
    }
    let p = c32[(x << 3) | CP];
    while (p !== 0 && h32[(p << 2) | HL] === x) {
      x = p;
      p = c32[(x << 3) | CP];
    }
    return p;
  }

  private allocId(): number {
    const f = this.freeList;
    if (f !== 0) {
      this.freeList = this.h32[(f << 2) | HL];
      return f;
    }
    const id = this.highWater++;
    if (id >= this.capacity) {
      if (id >= MAX_IDS) throw new Error('range-tree: too many nodes');
      this.grow();
    }
    this.objs.push(null);
    return id;
  }

  private freeId(id: number): void {
    this.objs[id] = null;
    this.h32[(id << 2) | HL] = this.freeList;
    this.freeList = id;
  }

  /**
   * Give the record arrays back for reuse by another tree (the tree becomes empty): an address
   * space does this when its process exits.
   */
  release(): void {
    this.clear();
    if (this.capacity > INITIAL_CAPACITY && storePool.length < STORE_POOL_MAX) {
      storePool.push({ hot: this.h64.buffer as ArrayBuffer, cold: this.c64.buffer as ArrayBuffer, capacity: this.capacity });
    }
    this.capacity = INITIAL_CAPACITY;
    const hot = new ArrayBuffer(16 * INITIAL_CAPACITY);
    const cold = new ArrayBuffer(32 * INITIAL_CAPACITY);
    this.h64 = new Float64Array(hot);
    this.h32 = new Int32Array(hot);
    this.c64 = new Float64Array(cold);
    this.c32 = new Int32Array(cold);
  }

  /** Double the arrays' capacity (amortised O(1) per insert), or make it at least `atLeast`. */
  private grow(atLeast = 0): void {
    let cap = Math.max(this.capacity * 2, atLeast);
    // A released store that fits, the smallest of them (its old contents are overwritten or unread).
    let best = -1;
    for (let i = 0; i < storePool.length; i++) {
      const c = storePool[i].capacity;
      if (c >= cap && (best < 0 || c < storePool[best].capacity)) best = i;
    }
    let hot: ArrayBuffer;
    let cold: ArrayBuffer;
    if (best >= 0) {
      const st = storePool.splice(best, 1)[0];
      ({ hot, cold } = st);
      cap = st.capacity;
    } else {
      hot = new ArrayBuffer(16 * cap);
      cold = new ArrayBuffer(32 * cap);
    }
    const h64 = new Float64Array(hot);
    const c64 = new Float64Array(cold);
    h64.set(this.h64);
    c64.set(this.c64);
    this.h64 = h64;
    this.h32 = new Int32Array(hot);
    this.c64 = c64;
    this.c32 = new Int32Array(cold);
    this.capacity = cap;
  }

  /**
   * Recompute x's max gap from its own gap and its children's max gaps; returns whether it
   * changed. (Returns a boolean, not the value: a double returned or passed across a call
   * that is not inlined costs a heap allocation in V8.)
   */
  private refreshMaxGap(x: number): boolean {
    const h32 = this.h32;
    const c64 = this.c64;
    let m = c64[(x << 2) | CG];
    if (m > GAP_CLAMP) m = GAP_CLAMP;
    const l = h32[(x << 2) | HL];
    const r = h32[(x << 2) | HR];
    if (l !== 0 && c64[(l << 2) | CM] > m) m = c64[(l << 2) | CM];
    if (r !== 0 && c64[(r << 2) | CM] > m) m = c64[(r << 2) | CM];
    if (m === c64[(x << 2) | CM]) return false;
    c64[(x << 2) | CM] = m;
    return true;
  }

  /** x's max gap recomputed from its own gap and its children's max gaps (checkValid, buildSorted). */
  private recomputeMaxGap(x: number): number {
    const h32 = this.h32;
    const c64 = this.c64;
    let m = c64[(x << 2) | CG];
    if (m > GAP_CLAMP) m = GAP_CLAMP;
    const l = h32[(x << 2) | HL];
    const r = h32[(x << 2) | HR];
    if (l !== 0 && c64[(l << 2) | CM] > m) m = c64[(l << 2) | CM];
    if (r !== 0 && c64[(r << 2) | CM] > m) m = c64[(r << 2) | CM];
    return m;
  }

  /**
   * x's gap shrank: walk up recomputing max gaps, stopping as soon as one is unchanged - the
   * "propagate" callback of Linux's augmented rb-tree for rb_subtree_gap, which stops early
   * the same way. Reads siblings only while values change.
   */
  private gapShrank(x: number): void {
    const c32 = this.c32;
    while (x !== 0 && this.refreshMaxGap(x)) x = c32[(x << 3) | CP];
  }

  /**
   * The gap g of node `from` grew, or `from` was just linked below x: a max can only rise,
   * so walk up from x raising max gaps below g and stop at the first one already >= g,
   * reading no sibling.
   */
  private gapGrew(x: number, from: number): void {
    const c64 = this.c64;
    const c32 = this.c32;
    let g = c64[(from << 2) | CG];
    if (g > GAP_CLAMP) g = GAP_CLAMP;
    while (x !== 0 && c64[(x << 2) | CM] < g) {
      c64[(x << 2) | CM] = g;
      x = c32[(x << 3) | CP];
    }
  }

  private replaceChild(parent: number, old: number, nu: number): void {
    const h32 = this.h32;
    if (parent === 0) this.root = nu;
    else if (h32[(parent << 2) | HL] === old) h32[(parent << 2) | HL] = nu;
    else h32[(parent << 2) | HR] = nu;
  }

  /**
   * AVL insert retrace with balance factors: the subtree at x grew by one level. Walks up
   * while heights grow and rotates at most once, reading only the path (never siblings).
   */
  private insertRetrace(x: number): void {
    const h32 = this.h32;
    const c32 = this.c32;
    let c = x;
    let p = c32[(x << 3) | CP];
    while (p !== 0) {
      const b = c32[(p << 3) | CB];
      if (h32[(p << 2) | HL] === c) {
        if (b > 0) {
          c32[(p << 3) | CB] = 0;
          return;
        }
        if (b === 0) {
          c32[(p << 3) | CB] = -1;
          c = p;
          p = c32[(p << 3) | CP];
          continue;
        }
        // -2: rotate (the left-right case first turns c's right-heaviness into
        // left-heaviness). The rotation identities need the true balance in the node.
        c32[(p << 3) | CB] = -2;
        if (c32[(c << 3) | CB] > 0) this.rotateLeft(c);
        this.rotateRight(p);
        return; // an insert rotation restores the subtree's old height
      } else {
        if (b < 0) {
          c32[(p << 3) | CB] = 0;
          return;
        }
        if (b === 0) {
          c32[(p << 3) | CB] = 1;
          c = p;
          p = c32[(p << 3) | CP];
          continue;
        }
        c32[(p << 3) | CB] = 2;
        if (c32[(c << 3) | CB] < 0) this.rotateRight(c);
        this.rotateLeft(p);
        return;
      }
    }
  }

  /**
   * AVL delete retrace: p's left (leftShorter) or right subtree lost one level. Walks up while
   * the subtree height keeps shrinking, rotating where a node gets 2 out of balance.
   */
  private removeRetrace(p: number, leftShorter: boolean): void {
    const h32 = this.h32;
    const c32 = this.c32;
    for (;;) {
      const b = c32[(p << 3) | CB];
      let top: number;
      if (leftShorter) {
        if (b < 0) {
          c32[(p << 3) | CB] = 0; // height shrank: continue
          top = p;
        } else if (b === 0) {
          c32[(p << 3) | CB] = 1;
          return; // height unchanged
        } else {
          c32[(p << 3) | CB] = 2;
          const s = h32[(p << 2) | HR];
          const sb = c32[(s << 3) | CB];
          if (sb < 0) this.rotateRight(s);
          top = this.rotateLeft(p);
          if (sb === 0) return; // a single rotation over a balanced sibling keeps the height
        }
      } else {
        if (b > 0) {
          c32[(p << 3) | CB] = 0;
          top = p;
        } else if (b === 0) {
          c32[(p << 3) | CB] = -1;
          return;
        } else {
          c32[(p << 3) | CB] = -2;
          const s = h32[(p << 2) | HL];
          const sb = c32[(s << 3) | CB];
          if (sb > 0) this.rotateLeft(s);
          top = this.rotateRight(p);
          if (sb === 0) return;
        }
      }
      const gp = c32[(top << 3) | CP];
      if (gp === 0) return;
      leftShorter = h32[(gp << 2) | HL] === top;
      p = gp;
    }
  }

  /**
   * Rotate x's right child y up into x's place; returns y. Balance factors follow the
   * general rotation identities (valid for any starting balances); y's max gap becomes x's
   * old one (same set of nodes) and x's is recomputed, so nothing above changes.
   */
  private rotateLeft(x: number): number {
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const y = h32[(x << 2) | HR];
    const p = c32[(x << 3) | CP];
    const b = h32[(y << 2) | HL];
    h32[(x << 2) | HR] = b;
    if (b !== 0) c32[(b << 3) | CP] = x;
    h32[(y << 2) | HL] = x;
    c32[(x << 3) | CP] = y;
    c32[(y << 3) | CP] = p;
    this.replaceChild(p, x, y);
    const yb = c32[(y << 3) | CB];
    const xb = c32[(x << 3) | CB] - 1 - (yb > 0 ? yb : 0);
    c32[(x << 3) | CB] = xb;
    c32[(y << 3) | CB] = yb - 1 + (xb < 0 ? xb : 0);
    c64[(y << 2) | CM] = c64[(x << 2) | CM];
    this.refreshMaxGap(x);
    return y;
  }

  /** Rotate x's left child y up into x's place; returns y. */
  private rotateRight(x: number): number {
    const h32 = this.h32;
    const c64 = this.c64;
    const c32 = this.c32;
    const y = h32[(x << 2) | HL];
    const p = c32[(x << 3) | CP];
    const b = h32[(y << 2) | HR];
    h32[(x << 2) | HL] = b;
    if (b !== 0) c32[(b << 3) | CP] = x;
    h32[(y << 2) | HR] = x;
    c32[(x << 3) | CP] = y;
    c32[(y << 3) | CP] = p;
    this.replaceChild(p, x, y);
    const yb = c32[(y << 3) | CB];
    const xb = c32[(x << 3) | CB] + 1 - (yb < 0 ? yb : 0);
    c32[(x << 3) | CB] = xb;
    c32[(y << 3) | CB] = yb + 1 + (xb > 0 ? xb : 0);
    c64[(y << 2) | CM] = c64[(x << 2) | CM];
    this.refreshMaxGap(x);
    return y;
  }

  /** Post-order check of balances and max gaps; returns the subtree height. */
  private checkAug(x: number): number {
    const l = this.h32[(x << 2) | HL];
    const r = this.h32[(x << 2) | HR];
    const hl = l === 0 ? 0 : this.checkAug(l);
    const hr = r === 0 ? 0 : this.checkAug(r);
    const name = `range-tree: ${rangeName(this.c64[x << 2], this.h64[x << 1])}`;
    if (hr - hl > 1 || hl - hr > 1) throw new Error(`${name}: AVL heights ${hl}/${hr} differ by > 1`);
    const b = this.c32[(x << 3) | CB];
    if (b !== hr - hl) throw new Error(`${name}: balance ${b} != recomputed ${hr - hl}`);
    const m = this.recomputeMaxGap(x);
    const stored = this.c64[(x << 2) | CM];
    if (stored !== m) throw new Error(`${name}: maxGap ${stored} != recomputed ${m}`);
    return (hl > hr ? hl : hr) + 1;
  }

  private checkInsert(id: number, start: number, end: number, succ: number): void {
    const what = `range-tree: insert ${rangeName(start, end)}`;
    if (!(start < end)) {
      this.freeId(id);
      throw new Error(`${what}: start >= end`);
    }
    // The descent already guarantees pred.end <= start; only succ can overlap.
    if (succ !== 0 && end > this.c64[succ << 2]) {
      this.freeId(id);
      throw new Error(`${what}: overlaps ${rangeName(this.c64[succ << 2], this.h64[succ << 1])}`);
    }
  }

  private checkMember(n: RangeNode): void {
    const id = n.rtId;
    if (id === 0 || id >= this.objs.length || this.objs[id] !== n) {
      throw new Error(`range-tree: ${rangeName(n.start, n.end)}: not in this tree`);
    }
  }

  private checkSetRange(n: RangeNode, start: number, end: number): void {
    this.checkMember(n);
    const what = `range-tree: setRange ${rangeName(n.start, n.end)} to ${hex(start)}-${hex(end)}`;
    if (!(start < end)) throw new Error(`${what}: start >= end`);
    const p = this.predecessor(n.rtId);
    const s = this.successor(n.rtId);
    if (p !== 0 && this.h64[p << 1] > start) {
      throw new Error(`${what}: overlaps ${rangeName(this.c64[p << 2], this.h64[p << 1])}`);
    }
    if (s !== 0 && end > this.c64[s << 2]) {
      throw new Error(`${what}: overlaps ${rangeName(this.c64[s << 2], this.h64[s << 1])}`);
    }
  }
}

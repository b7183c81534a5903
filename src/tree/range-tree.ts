/**
 * The ordered range tree: vmspace's stand-in for Linux's maple tree (mm->mm_mt), and before
 * it the VMA rb-tree (mm->mm_rb) with its `rb_subtree_gap` augmentation.
 *
 * It holds non-overlapping half-open integer ranges [start, end), ordered by start (and so
 * also by end). It knows nothing about VMAs: callers subclass {@link RangeNode}
 * (`class Vma extends RangeNode`) and the tree links those objects directly (an intrusive
 * tree), so no wrapper objects are allocated and lookups allocate nothing.
 *
 * Design: an AVL tree with parent pointers (AVL rather than red-black because it is the
 * shallowest of the balanced BSTs, and lookups dominate), augmented like Linux's old
 * rb-tree: each node stores `rtGap`, the free space between the previous node's end and its
 * own start (from 0 for the first node), and `rtMaxGap`, the largest `rtGap` in its
 * subtree. The gap above the last node (up to +Infinity) is handled separately through the
 * cached last node, like `mm->highest_vm_end`. With that, both free-gap searches
 * ({@link RangeTree.gapTopDown}, {@link RangeTree.gapBottomUp}) are the descents of
 * `unmapped_area_topdown()` / `unmapped_area()` from Linux 4.x mm/mmap.c, the logic the
 * maple tree's `mas_empty_area_rev()` / `mas_empty_area()` reproduce: O(log n), never a scan.
 *
 * Values are JS numbers (addresses < 2^47, exact in a double); no bitwise operator is ever
 * applied to them, since those truncate to 32 bits.
 */

/**
 * Base class of everything stored in a {@link RangeTree}. `start`/`end` are the range
 * [start, end), start < end. The `rt*` fields belong to the tree: callers must never write
 * them, and must change `start`/`end` of a linked node only through
 * {@link RangeTree.setRange} (the tree caches gaps derived from them).
 */
export class RangeNode {
  start: number;
  end: number;
  /** @internal Tree links (null when not linked). */
  rtLeft: RangeNode | null = null;
  /** @internal */
  rtRight: RangeNode | null = null;
  /** @internal */
  rtParent: RangeNode | null = null;
  /** @internal AVL balance: height(right subtree) - height(left subtree), in {-1, 0, 1}. */
  rtBalance = 0;
  /** @internal start - (previous node's end, or 0 for the first node). Linux: vm_start - vm_prev->vm_end. */
  rtGap = 0;
  /** @internal max rtGap over this subtree. Linux: rb_subtree_gap. */
  rtMaxGap = 0;

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

function hex(v: number): string {
  return Number.isFinite(v) && v >= 0 ? '0x' + v.toString(16) : String(v);
}

function nodeName(n: RangeNode): string {
  return `node ${hex(n.start)}-${hex(n.end)}`;
}

function leftmost(n: RangeNode): RangeNode {
  let l = n.rtLeft;
  while (l !== null) {
    n = l;
    l = n.rtLeft;
  }
  return n;
}

function rightmost(n: RangeNode): RangeNode {
  let r = n.rtRight;
  while (r !== null) {
    n = r;
    r = n.rtRight;
  }
  return n;
}

/** In-order successor, or null. Amortised O(1) over a traversal. */
function successor(n: RangeNode): RangeNode | null {
  const r = n.rtRight;
  if (r !== null) return leftmost(r);
  let c = n;
  let p = n.rtParent;
  while (p !== null && p.rtRight === c) {
    c = p;
    p = p.rtParent;
  }
  return p;
}

/** In-order predecessor, or null. */
function predecessor(n: RangeNode): RangeNode | null {
  const l = n.rtLeft;
  if (l !== null) return rightmost(l);
  let c = n;
  let p = n.rtParent;
  while (p !== null && p.rtLeft === c) {
    c = p;
    p = p.rtParent;
  }
  return p;
}

/**
 * Recompute n's max gap from its own gap and its children. Used after a gap changed, where
 * heights are unchanged.
 */
function recomputeMaxGap(n: RangeNode): number {
  let m = n.rtGap;
  const l = n.rtLeft;
  const r = n.rtRight;
  if (l !== null && l.rtMaxGap > m) m = l.rtMaxGap;
  if (r !== null && r.rtMaxGap > m) m = r.rtMaxGap;
  return m;
}

/** Recompute n's max gap from its children's (assumed correct). */
function updateMaxGap(n: RangeNode): void {
  n.rtMaxGap = recomputeMaxGap(n);
}

/**
 * n's gap shrank (or a node left its subtree): walk up recomputing max gaps, stopping as soon
 * as one is unchanged - the "propagate" callback of Linux's augmented rb-tree for
 * rb_subtree_gap, which stops early the same way. Reads siblings only while values change.
 */
function gapShrank(n: RangeNode | null): void {
  while (n !== null) {
    const m = recomputeMaxGap(n);
    if (m === n.rtMaxGap) return;
    n.rtMaxGap = m;
    n = n.rtParent;
  }
}

/**
 * n's gap grew to g: a max can only rise, so walk up raising max gaps below g and stop at the
 * first one already >= g, without reading any sibling.
 */
function gapGrew(n: RangeNode | null, g: number): void {
  while (n !== null && n.rtMaxGap < g) {
    n.rtMaxGap = g;
    n = n.rtParent;
  }
}

/**
 * An ordered set of non-overlapping [start, end) ranges with O(log n) lookup, insert, remove,
 * in-place range change and free-gap search. See the module comment for the design.
 */
export class RangeTree<T extends RangeNode> {
  private root: RangeNode | null = null;
  private head: RangeNode | null = null;
  private tail: RangeNode | null = null;
  private count = 0;
  /** When true, mutations check their preconditions and throw on violation. */
  debug: boolean;

  constructor(options?: RangeTreeOptions) {
    this.debug = options !== undefined && options.debug === true;
  }

  get size(): number {
    return this.count;
  }

  first(): T | undefined {
    const h = this.head;
    return h === null ? undefined : (h as T);
  }

  last(): T | undefined {
    const t = this.tail;
    return t === null ? undefined : (t as T);
  }

  next(n: T): T | undefined {
    const s = successor(n);
    return s === null ? undefined : (s as T);
  }

  prev(n: T): T | undefined {
    const p = predecessor(n);
    return p === null ? undefined : (p as T);
  }

  /** Linux find_vma(): the first node with end > addr, or undefined. */
  findNext(addr: number): T | undefined {
    let n = this.root;
    let best: RangeNode | null = null;
    while (n !== null) {
      if (n.end > addr) {
        best = n;
        n = n.rtLeft;
      } else {
        n = n.rtRight;
      }
    }
    return best === null ? undefined : (best as T);
  }

  /** The node containing addr (start <= addr < end), or undefined. Linux vma_lookup(). */
  find(addr: number): T | undefined {
    let n = this.root;
    while (n !== null) {
      if (addr < n.start) n = n.rtLeft;
      else if (addr >= n.end) n = n.rtRight;
      else return n as T;
    }
    return undefined;
  }

  /**
   * The last node with start < addr, i.e. the node before the first node with
   * start >= addr (Linux find_vma_prev()'s `pprev` when addr is not inside a node).
   */
  findPrevStart(addr: number): T | undefined {
    let n = this.root;
    let best: RangeNode | null = null;
    while (n !== null) {
      if (n.start < addr) {
        best = n;
        n = n.rtRight;
      } else {
        n = n.rtLeft;
      }
    }
    return best === null ? undefined : (best as T);
  }

  /**
   * The first node intersecting [start, end), or undefined (always undefined when
   * end <= start). Linux find_vma_intersection().
   */
  firstIntersecting(start: number, end: number): T | undefined {
    if (!(start < end)) return undefined;
    const n = this.findNext(start);
    return n !== undefined && n.start < end ? n : undefined;
  }

  /**
   * Link n. Precondition: n is not linked, start < end, and [start, end) overlaps no node
   * (checked only in debug mode).
   */
  insert(n: T): void {
    const start = n.start;
    let p = this.root;
    let parent: RangeNode | null = null;
    let pred: RangeNode | null = null;
    let succ: RangeNode | null = null;
    let goLeft = false;
    while (p !== null) {
      parent = p;
      if (start < p.start) {
        succ = p;
        p = p.rtLeft;
        goLeft = true;
      } else {
        pred = p;
        p = p.rtRight;
        goLeft = false;
      }
    }
    if (this.debug) this.checkInsert(n, pred, succ);
    n.rtLeft = null;
    n.rtRight = null;
    n.rtParent = parent;
    n.rtBalance = 0;
    const gap = start - (pred === null ? 0 : pred.end);
    n.rtGap = gap;
    n.rtMaxGap = gap;
    if (parent === null) this.root = n;
    else if (goLeft) parent.rtLeft = n;
    else parent.rtRight = n;
    if (pred === null) this.head = n;
    this.count++;
    // Augmentation first (on the unrotated shape; rotations then recompute locally): n's gap
    // is new, and n took its space out of succ's gap, which can only shrink.
    gapGrew(parent, gap);
    if (succ === null) {
      this.tail = n;
    } else {
      succ.rtGap = succ.start - n.end;
      gapShrank(succ);
    }
    this.insertRetrace(n);
  }

  /** Unlink n. Precondition: n is linked in this tree (checked only in debug mode). */
  remove(n: T): void {
    if (this.debug) this.checkMember(n);
    const left = n.rtLeft;
    const right = n.rtRight;
    const parent = n.rtParent;
    const succ = successor(n);
    if (succ !== null) {
      // succ's gap absorbs n and n's own gap: succ.start - pred.end.
      succ.rtGap += n.rtGap + (n.end - n.start);
    } else {
      // n was the last node: its predecessor becomes the last.
      this.tail = left !== null ? left : parent; // n is on the right spine: no right child
    }
    if (this.head === n) this.head = succ;
    // Where the AVL retrace starts, and whether that node's left (or right) side got shorter.
    let fix: RangeNode | null;
    let leftShorter: boolean;
    // Where the max-gap walk starts, and a node it must reach (see below).
    let gapFrom: RangeNode | null;
    let pending: RangeNode | null = succ;
    if (left !== null && right !== null) {
      // Two children: succ is the leftmost node of `right`; move it into n's place.
      const y = succ as RangeNode;
      if (y.rtParent === n) {
        fix = y;
        leftShorter = false;
      } else {
        const yp = y.rtParent as RangeNode;
        fix = yp;
        leftShorter = true;
        const yr = y.rtRight;
        yp.rtLeft = yr;
        if (yr !== null) yr.rtParent = yp;
        y.rtRight = right;
        right.rtParent = y;
      }
      gapFrom = fix;
      y.rtLeft = left;
      left.rtParent = y;
      y.rtBalance = n.rtBalance;
      // y takes over n's cached max, so the early stop of the gap walk compares against the
      // value n's ancestors were computed from.
      y.rtMaxGap = n.rtMaxGap;
      this.replaceChild(parent, n, y);
      y.rtParent = parent;
    } else {
      const c = left !== null ? left : right;
      leftShorter = parent !== null && parent.rtLeft === n;
      this.replaceChild(parent, n, c);
      if (c !== null) {
        c.rtParent = parent;
        // An AVL node with one child has a leaf child; if it is succ its gap changed.
        c.rtMaxGap = c.rtGap;
        if (c === succ) pending = null;
      }
      fix = parent;
      gapFrom = parent;
    }
    n.rtLeft = null;
    n.rtRight = null;
    n.rtParent = null;
    n.rtBalance = 0;
    this.count--;
    // Max gaps: n's gap left the subtrees on the walk from gapFrom up; succ's grew. succ is
    // on that walk (or is the leaf c, already fixed): don't stop early below it.
    let g = gapFrom;
    while (g !== null) {
      if (g === pending) pending = null;
      const m = recomputeMaxGap(g);
      if (m === g.rtMaxGap && pending === null) break;
      g.rtMaxGap = m;
      g = g.rtParent;
    }
    if (fix !== null) this.removeRetrace(fix, leftShorter);
  }

  /**
   * Change n's range in place (Linux vma_set_range()/vma_adjust). Precondition: start < end,
   * the new range overlaps no other node and keeps n between the same neighbours (checked
   * only in debug mode). Fixes n's gap, its successor's gap, and their subtree maxima.
   */
  setRange(n: T, start: number, end: number): void {
    if (this.debug) this.checkSetRange(n, start, end);
    const oldStart = n.start;
    const oldEnd = n.end;
    n.start = start;
    n.end = end;
    if (start !== oldStart) {
      const g = n.rtGap + (start - oldStart);
      n.rtGap = g;
      if (start > oldStart) gapGrew(n, g);
      else gapShrank(n);
    }
    if (end !== oldEnd) {
      const s = successor(n);
      if (s !== null) {
        const g = s.rtGap - (end - oldEnd);
        s.rtGap = g;
        if (end < oldEnd) gapGrew(s, g);
        else gapShrank(s);
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
    if ((tail === null ? 0 : tail.end) <= highLimit) return high;
    const root = this.root;
    if (root === null || root.rtMaxGap < len) return -1;
    let n: RangeNode = root;
    let descend = true;
    for (;;) {
      if (descend) {
        // Visit the right subtree if it looks promising: its gaps all start at or above
        // n's gap start, so none can qualify if n's gap starts above highLimit.
        const r = n.rtRight;
        if (r !== null && r.rtMaxGap >= len && n.start - n.rtGap <= highLimit) {
          n = r;
          continue;
        }
      }
      // Check the current node's gap.
      const ge = n.start;
      if (ge < lowLimit) return -1; // every remaining gap ends even lower
      const g = n.rtGap;
      if (g >= len && ge - g <= highLimit) return ge < high ? ge : high;
      // Visit the left subtree if it looks promising.
      const l = n.rtLeft;
      if (l !== null && l.rtMaxGap >= len) {
        n = l;
        descend = true;
        continue;
      }
      // Go back up to the next candidate: the first ancestor we are a right child of.
      for (;;) {
        const c = n;
        const p = n.rtParent;
        if (p === null) return -1;
        n = p;
        if (p.rtRight === c) break;
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
    const root = this.root;
    if (root !== null && root.rtMaxGap >= len) {
      let n: RangeNode = root;
      let descend = true;
      for (;;) {
        if (descend) {
          // Visit the left subtree if it looks promising: its gaps all end below n.start.
          const l: RangeNode | null = n.rtLeft;
          if (l !== null && l.rtMaxGap >= len && n.start >= lowLimit) {
            n = l;
            continue;
          }
        }
        const g = n.rtGap;
        const gs = n.start - g;
        if (gs > highLimit) return -1; // every remaining gap starts even higher
        if (g >= len && n.start >= lowLimit) return gs > low ? gs : low;
        const r: RangeNode | null = n.rtRight;
        if (r !== null && r.rtMaxGap >= len) {
          n = r;
          descend = true;
          continue;
        }
        // Go back up to the first ancestor we are a left child of.
        let up: RangeNode | null = n;
        for (;;) {
          const c: RangeNode = up;
          up = c.rtParent;
          if (up === null || up.rtLeft === c) break;
        }
        if (up === null) break;
        n = up;
        descend = false;
      }
    }
    // The highest gap, which does not precede any node.
    const tail = this.tail;
    const gs = tail === null ? 0 : tail.end;
    if (gs > highLimit) return -1;
    return gs > low ? gs : low;
  }

  /** Call fn on every node in order. fn must not insert or remove nodes. */
  forEach(fn: (n: T) => void): void {
    let n = this.head;
    while (n !== null) {
      fn(n as T);
      n = successor(n);
    }
  }

  /** All nodes in order. */
  toArray(): T[] {
    const out: T[] = [];
    let n = this.head;
    while (n !== null) {
      out.push(n as T);
      n = successor(n);
    }
    return out;
  }

  /** Unlink every node (links are cleared so the nodes can be inserted elsewhere). */
  clear(): void {
    const all = this.toArray();
    for (let i = 0; i < all.length; i++) {
      const n = all[i];
      n.rtLeft = null;
      n.rtRight = null;
      n.rtParent = null;
    }
    this.root = null;
    this.head = null;
    this.tail = null;
    this.count = 0;
  }

  /**
   * Recompute every augmentation and ordering rule from scratch and throw an Error naming
   * the broken rule and the node, e.g.
   * "range-tree: node 0x1000-0x2000: maxGap 4096 != recomputed 8192".
   */
  checkValid(): void {
    const root = this.root;
    if (root !== null && root.rtParent !== null) throw new Error('range-tree: root has a parent');
    // Iterative in-order walk, checking order, gaps and links.
    let count = 0;
    let prev: RangeNode | null = null;
    let first: RangeNode | null = null;
    const stack: RangeNode[] = [];
    let n = root;
    while (n !== null || stack.length > 0) {
      while (n !== null) {
        if (stack.length > 200) throw new Error('range-tree: depth > 200 (cycle?)');
        stack.push(n);
        n = n.rtLeft;
      }
      const x = stack.pop() as RangeNode;
      count++;
      if (first === null) first = x;
      if (!(x.start < x.end)) throw new Error(`range-tree: ${nodeName(x)}: start >= end`);
      const prevEnd = prev === null ? 0 : prev.end;
      if (prev !== null && !(prev.end <= x.start)) {
        throw new Error(`range-tree: ${nodeName(x)}: overlaps or out of order after ${nodeName(prev)}`);
      }
      if (x.rtGap !== x.start - prevEnd) {
        throw new Error(`range-tree: ${nodeName(x)}: gap ${x.rtGap} != recomputed ${x.start - prevEnd}`);
      }
      const l = x.rtLeft;
      const r = x.rtRight;
      if (l !== null && l.rtParent !== x) throw new Error(`range-tree: ${nodeName(l)}: bad parent link`);
      if (r !== null && r.rtParent !== x) throw new Error(`range-tree: ${nodeName(r)}: bad parent link`);
      prev = x;
      n = r;
    }
    if (count !== this.count) throw new Error(`range-tree: size ${this.count} != counted ${count}`);
    if (this.head !== first) throw new Error('range-tree: cached first node is wrong');
    if (this.tail !== prev) throw new Error('range-tree: cached last node is wrong');
    if (root !== null) this.checkAug(root);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Post-order check of balances and max gaps; returns the subtree height, throws on error. */
  private checkAug(n: RangeNode): number {
    const l = n.rtLeft;
    const r = n.rtRight;
    const hl = l === null ? 0 : this.checkAug(l);
    const hr = r === null ? 0 : this.checkAug(r);
    if (hr - hl > 1 || hl - hr > 1) throw new Error(`range-tree: ${nodeName(n)}: AVL heights ${hl}/${hr} differ by > 1`);
    if (n.rtBalance !== hr - hl) {
      throw new Error(`range-tree: ${nodeName(n)}: balance ${n.rtBalance} != recomputed ${hr - hl}`);
    }
    const m = recomputeMaxGap(n);
    if (n.rtMaxGap !== m) throw new Error(`range-tree: ${nodeName(n)}: maxGap ${n.rtMaxGap} != recomputed ${m}`);
    return (hl > hr ? hl : hr) + 1;
  }

  private replaceChild(parent: RangeNode | null, old: RangeNode, nu: RangeNode | null): void {
    if (parent === null) this.root = nu;
    else if (parent.rtLeft === old) parent.rtLeft = nu;
    else parent.rtRight = nu;
  }

  /**
   * AVL insert retrace with balance factors: the subtree at n grew by one level. Walks up
   * while heights grow, rotating at most once. Reads only the path (and, for a rotation, the
   * nodes rotated), never siblings, so an insert touches no cold memory beyond its descent.
   */
  private insertRetrace(n: RangeNode): void {
    let c = n;
    let p = n.rtParent;
    while (p !== null) {
      const b = p.rtBalance;
      if (p.rtLeft === c) {
        if (b > 0) {
          p.rtBalance = 0;
          return;
        }
        if (b === 0) {
          p.rtBalance = -1;
          c = p;
          p = p.rtParent;
          continue;
        }
        // -2: rotate (left-right case first turns c's right-heaviness into left-heaviness).
        // The rotation identities need the true balance in the node.
        p.rtBalance = -2;
        if (c.rtBalance > 0) this.rotateLeft(c);
        this.rotateRight(p);
        return; // an insert rotation restores the subtree's old height
      } else {
        if (b < 0) {
          p.rtBalance = 0;
          return;
        }
        if (b === 0) {
          p.rtBalance = 1;
          c = p;
          p = p.rtParent;
          continue;
        }
        p.rtBalance = 2;
        if (c.rtBalance < 0) this.rotateRight(c);
        this.rotateLeft(p);
        return;
      }
    }
  }

  /**
   * AVL delete retrace: p's left (leftShorter) or right subtree lost one level. Walks up while
   * the subtree height keeps shrinking, rotating where a node becomes 2 out of balance.
   */
  private removeRetrace(p: RangeNode, leftShorter: boolean): void {
    for (;;) {
      const b = p.rtBalance;
      let top: RangeNode;
      if (leftShorter) {
        if (b < 0) {
          p.rtBalance = 0; // height shrank: continue
          top = p;
        } else if (b === 0) {
          p.rtBalance = 1;
          return; // height unchanged
        } else {
          p.rtBalance = 2;
          const s = p.rtRight as RangeNode;
          const sb = s.rtBalance;
          if (sb < 0) this.rotateRight(s);
          top = this.rotateLeft(p);
          if (sb === 0) return; // single rotation over a balanced sibling keeps the height
        }
      } else {
        if (b > 0) {
          p.rtBalance = 0;
          top = p;
        } else if (b === 0) {
          p.rtBalance = -1;
          return;
        } else {
          p.rtBalance = -2;
          const s = p.rtLeft as RangeNode;
          const sb = s.rtBalance;
          if (sb > 0) this.rotateLeft(s);
          top = this.rotateRight(p);
          if (sb === 0) return;
        }
      }
      const gp = top.rtParent;
      if (gp === null) return;
      leftShorter = gp.rtLeft === top;
      p = gp;
    }
  }

  /**
   * Rotate x's right child y up into x's place; returns y. Balance factors follow the
   * general rotation identities (valid for any starting balances); max gaps are recomputed
   * for the two nodes whose subtrees changed (y's equals x's old one, so nothing above moves).
   */
  private rotateLeft(x: RangeNode): RangeNode {
    const y = x.rtRight as RangeNode;
    const p = x.rtParent;
    const b = y.rtLeft;
    x.rtRight = b;
    if (b !== null) b.rtParent = x;
    y.rtLeft = x;
    x.rtParent = y;
    y.rtParent = p;
    this.replaceChild(p, x, y);
    const yb = y.rtBalance;
    const xb = x.rtBalance - 1 - (yb > 0 ? yb : 0);
    x.rtBalance = xb;
    y.rtBalance = yb - 1 + (xb < 0 ? xb : 0);
    y.rtMaxGap = x.rtMaxGap;
    updateMaxGap(x);
    return y;
  }

  /** Rotate x's left child y up into x's place; returns y. */
  private rotateRight(x: RangeNode): RangeNode {
    const y = x.rtLeft as RangeNode;
    const p = x.rtParent;
    const b = y.rtRight;
    x.rtLeft = b;
    if (b !== null) b.rtParent = x;
    y.rtRight = x;
    x.rtParent = y;
    y.rtParent = p;
    this.replaceChild(p, x, y);
    const yb = y.rtBalance;
    const xb = x.rtBalance + 1 - (yb < 0 ? yb : 0);
    x.rtBalance = xb;
    y.rtBalance = yb + 1 + (xb > 0 ? xb : 0);
    y.rtMaxGap = x.rtMaxGap;
    updateMaxGap(x);
    return y;
  }

  private checkInsert(n: RangeNode, pred: RangeNode | null, succ: RangeNode | null): void {
    if (!(n.start < n.end)) throw new Error(`range-tree: insert ${nodeName(n)}: start >= end`);
    if (n.rtParent !== null || this.root === n) throw new Error(`range-tree: insert ${nodeName(n)}: already linked`);
    if (pred !== null && pred.end > n.start) {
      throw new Error(`range-tree: insert ${nodeName(n)}: overlaps ${nodeName(pred)}`);
    }
    if (succ !== null && n.end > succ.start) {
      throw new Error(`range-tree: insert ${nodeName(n)}: overlaps ${nodeName(succ)}`);
    }
  }

  private checkMember(n: RangeNode): void {
    let r: RangeNode = n;
    let depth = 0;
    while (r.rtParent !== null) {
      r = r.rtParent;
      if (++depth > 200) break;
    }
    if (r !== this.root) throw new Error(`range-tree: ${nodeName(n)}: not in this tree`);
  }

  private checkSetRange(n: RangeNode, start: number, end: number): void {
    this.checkMember(n);
    const what = `setRange ${nodeName(n)} to ${hex(start)}-${hex(end)}`;
    if (!(start < end)) throw new Error(`range-tree: ${what}: start >= end`);
    const p = predecessor(n);
    const s = successor(n);
    if (p !== null && p.end > start) throw new Error(`range-tree: ${what}: overlaps ${nodeName(p)}`);
    if (s !== null && end > s.start) throw new Error(`range-tree: ${what}: overlaps ${nodeName(s)}`);
  }
}

/**
 * One address space's page table: a page number → PTE radix tree with the x86-64 shape cut to
 * four levels of JS arrays (256 × 512 × 512 × 512 entries for 47-bit user addresses), leaves
 * being Int32Arrays of 512 PTEs (a 2 MiB region, a PMD's worth, like a page-table page).
 *
 * Why a radix of arrays: a TLB refill must not touch a Map (8-13x a raw load, perf.md §4.4); four
 * array loads are ~2x. Empty subtrees are shared, never-written sentinels, so a walk needs no null
 * checks and a range walk skips a missing 2 MiB / 1 GiB / 512 GiB subtree in one comparison.
 * Slot 512 of a leaf counts its non-empty entries, so emptied leaves are dropped.
 *
 * A PTE is an int32: the frame number above bit 8, state bits below. 0 is "no entry".
 */

export const PTE_PRESENT = 0x001;
/** User-accessible for loads (x86: any of VM_READ/VM_WRITE/VM_EXEC; not PROT_NONE). */
export const PTE_READ = 0x002;
/** Writable without a fault (not a page shared after fork, not the zero page, not read-only). */
export const PTE_WRITE = 0x004;
/** Instruction fetches allowed (NX clear). */
export const PTE_EXEC = 0x008;
export const PTE_DIRTY = 0x010;
/** Accessed (Linux: young). */
export const PTE_YOUNG = 0x020;
/** What the frame is, for the RSS counters (Linux: MM_ANONPAGES / MM_FILEPAGES / MM_SHMEMPAGES). */
export const PTE_KIND = 0x0c0;
/** The shared zero page (present, never writable, not counted in RSS). */
export const KIND_ZERO = 0x000;
export const KIND_ANON = 0x040;
export const KIND_FILE = 0x080;
export const KIND_SHMEM = 0x0c0;
/** A guard marker (MADV_GUARD_INSTALL): not present, faults like unmapped memory. */
export const PTE_GUARD = 0x100;
/** The permission bits mprotect rewrites. */
export const PTE_PERMS = PTE_READ | PTE_WRITE | PTE_EXEC;
export const PTE_FRAME_SHIFT = 10;

export function pteFrame(pte: number): number {
  return pte >>> PTE_FRAME_SHIFT;
}

/** The state bits of `pte` (present, permissions, dirty, young, kind), its frame left out. */
export function pteBits(pte: number): number {
  return pte & ((1 << PTE_FRAME_SHIFT) - 1);
}

export function makePte(frame: number, bits: number): number {
  return (frame << PTE_FRAME_SHIFT) | bits;
}

const LEAF = 512;
const COUNT = LEAF; // slot of a leaf holding its entry count
const L3_SPAN = 512 * 512; // pages under one level-3 table (1 GiB)
const L2_SPAN = 512 * L3_SPAN; // pages under one level-2 table (512 GiB)
/** Page numbers the table can hold: 2^35 (47-bit addresses). */
export const PT_PAGES = 256 * L2_SPAN;

type Leaf = Int32Array;
type L3 = Leaf[];
type L2 = L3[];

const EMPTY_LEAF: Leaf = new Int32Array(LEAF + 1);

/**
 * Leaves come from a pool of views carved from 256 KiB chunks and go back to it when emptied
 * (all zero by then): a `new Int32Array(513)` costs a backing-store allocation (~1 µs and GC
 * pressure), which fork pays per 2 MiB of resident memory (measured: a third of a 64 MiB fork).
 */
const CHUNK_LEAVES = 128;
/** Free leaves kept for reuse at most (32 MiB of page tables); beyond that they go to the GC. */
const POOL_MAX = 16384;
const leafPool: Leaf[] = [];

/** Return an empty leaf (every entry and the count 0) to the pool. */
function freeLeaf(leaf: Leaf): void {
  if (leafPool.length < POOL_MAX) leafPool.push(leaf);
}

function newLeaf(): Leaf {
  const l = leafPool.pop();
  if (l !== undefined) return l;
  const words = LEAF + 1;
  const chunk = new Int32Array(words * CHUNK_LEAVES);
  for (let i = CHUNK_LEAVES - 1; i > 0; i--) leafPool.push(chunk.subarray(i * words, (i + 1) * words));
  return chunk.subarray(0, words);
}
/**
 * Slot 512 of a level-3 table is a bitmap of its non-empty leaves (16 words of 32 bits; an
 * Int32Array like the leaves, so the table's element kind stays monomorphic). A range walk over
 * a 1 GiB table reads 16 words instead of 512 slots: an untouched 1 GiB munmap costs what a
 * 4 KiB one does.
 */
const L3_BITS = 512;
const EMPTY_L3: L3 = newL3Template();
function newL3Template(): L3 {
  const t = new Array<Leaf>(513).fill(EMPTY_LEAF);
  t[L3_BITS] = new Int32Array(16);
  return t;
}
function newL3(): L3 {
  const t = EMPTY_L3.slice();
  t[L3_BITS] = new Int32Array(16);
  return t;
}
const EMPTY_L2: L2 = new Array<L3>(512).fill(EMPTY_L3);

/**
 * copy_pte_range()'s inner loop over one leaf (a function of its own, all state in locals, so it
 * compiles to a tight loop). Returns how many entries the destination leaf gained.
 */
function copyLeaf(
  sl: Int32Array, dl: Int32Array, lo: number, hi: number, cow: boolean, clearChild: number,
  ref: Int32Array, map: Int32Array, counts: Int32Array,
): number {
  let added = 0, anon = 0, file = 0, shmem = 0, wp = 0;
  for (let i = lo; i < hi; i++) {
    let pte = sl[i];
    if (pte === 0) continue;
    if ((pte & PTE_PRESENT) !== 0) {
      if (cow && (pte & PTE_WRITE) !== 0) {
        pte &= ~PTE_WRITE;
        sl[i] = pte;
        wp = 1;
      }
      const f = pte >>> PTE_FRAME_SHIFT;
      const kind = pte & PTE_KIND;
      if (f !== 0) {
        ref[f]++;
        map[f]++;
      }
      if (kind === KIND_ANON) anon++;
      else if (kind === KIND_FILE) file++;
      else if (kind === KIND_SHMEM) shmem++;
      pte &= ~clearChild;
    }
    if (dl[i] === 0) added++;
    dl[i] = pte;
  }
  counts[0] += anon;
  counts[1] += file;
  counts[2] += shmem;
  counts[3] |= wp;
  return added;
}

export class PageTable {
  private readonly root: L2[] = new Array<L2>(256).fill(EMPTY_L2);
  /** Entries (present PTEs and markers). */
  size = 0;
  /**
   * Counts leaves dropped: a cache of leaves (Memory's refill) is valid while this is unchanged
   * (a dropped leaf goes back to the pool and may serve another region or table).
   */
  leafGen = 0;
  /** Leaves (2 MiB page-table pages) allocated, for VmPTE. */
  leaves = 0;

  /** The PTE of page `vpn` (0 if none). `vpn` must be below PT_PAGES. */
  get(vpn: number): number {
    // vpn < 2^35, so vpn / L2_SPAN < 256 and `| 0` floors it without a call.
    return this.root[(vpn / L2_SPAN) | 0][(vpn >>> 18) & 511][(vpn >>> 9) & 511][vpn & 511];
  }

  /** The leaf holding `vpn`, created if missing (its index is `vpn & 511`). */
  leafFor(vpn: number): Int32Array {
    const i1 = Math.floor(vpn / L2_SPAN);
    let l2 = this.root[i1];
    if (l2 === EMPTY_L2) this.root[i1] = l2 = EMPTY_L2.slice();
    const i2 = (vpn >>> 18) & 511;
    let l3 = l2[i2];
    if (l3 === EMPTY_L3) l2[i2] = l3 = newL3();
    const i3 = (vpn >>> 9) & 511;
    let leaf = l3[i3];
    if (leaf === EMPTY_LEAF) {
      l3[i3] = leaf = newLeaf();
      l3[L3_BITS][i3 >>> 5] |= 1 << (i3 & 31);
      this.leaves++;
    }
    return leaf;
  }

  /** The leaf holding `vpn` if it exists (never create): for read-only walks. */
  leafIfAny(vpn: number): Int32Array | undefined {
    const leaf = this.root[Math.floor(vpn / L2_SPAN)][(vpn >>> 18) & 511][(vpn >>> 9) & 511];
    return leaf === EMPTY_LEAF ? undefined : leaf;
  }

  set(vpn: number, pte: number): void {
    if (pte === 0) {
      this.clear(vpn);
      return;
    }
    const leaf = this.leafFor(vpn);
    const i = vpn & 511;
    if (leaf[i] === 0) {
      leaf[COUNT]++;
      this.size++;
    }
    leaf[i] = pte;
  }

  clear(vpn: number): void {
    const l3 = this.root[Math.floor(vpn / L2_SPAN)][(vpn >>> 18) & 511];
    const i3 = (vpn >>> 9) & 511;
    const leaf = l3[i3];
    const i = vpn & 511;
    if (leaf[i] === 0) return;
    leaf[i] = 0;
    this.size--;
    if (--leaf[COUNT] === 0) {
      l3[i3] = EMPTY_LEAF;
      l3[L3_BITS][i3 >>> 5] &= ~(1 << (i3 & 31));
      this.leaves--;
      this.leafGen++;
      freeLeaf(leaf);
    }
  }

  /**
   * Call fn(vpn, pte) for every entry in [first, last), in ascending order. fn may change or
   * clear the entry it is given (not others).
   */
  forEachIn(first: number, last: number, fn: (vpn: number, pte: number) => void): void {
    this.forEachLeafIn(first, last, (leaf, base, lo, hi) => {
      for (let i = lo; i < hi; i++) {
        const pte = leaf[i];
        if (pte === 0) continue;
        fn(base + i, pte);
        if (leaf[COUNT] === 0) break; // the leaf was emptied and dropped
      }
    });
  }

  /**
   * The first existing leaf holding a page in [vpn, last), or undefined; its first page number
   * is left in `walkBase[0]`. The range walks below are loops over this (no callback, so no
   * closure and no boxed page number per call: fork walks once per VMA, exit once per process).
   */
  private nextLeaf(vpn: number, last: number): Leaf | undefined {
    while (vpn < last) {
      const l2 = this.root[Math.floor(vpn / L2_SPAN)];
      if (l2 === EMPTY_L2) { vpn = (Math.floor(vpn / L2_SPAN) + 1) * L2_SPAN; continue; }
      const l3Base = Math.floor(vpn / L3_SPAN) * L3_SPAN;
      const l3 = l2[(vpn >>> 18) & 511];
      const l3Stop = Math.min(last, l3Base + L3_SPAN);
      if (l3 !== EMPTY_L3) {
        // The table's non-empty leaves from its bitmap, lowest first.
        const bits = l3[L3_BITS];
        let i3 = (vpn - l3Base) >>> 9;
        const end3 = Math.ceil((l3Stop - l3Base) / LEAF);
        while (i3 < end3) {
          const w = bits[i3 >>> 5] & (-1 << (i3 & 31));
          if (w === 0) { i3 = (i3 | 31) + 1; continue; }
          i3 = (i3 & ~31) + (31 - Math.clz32(w & -w));
          if (i3 >= end3) break;
          this.walkBase[0] = l3Base + i3 * LEAF;
          return l3[i3];
        }
      }
      vpn = l3Stop;
    }
    return undefined;
  }

  /** The first page of the leaf nextLeaf() returned last. */
  private readonly walkBase = new Float64Array(1);

  /**
   * Call fn(leaf, base, lo, hi) for every existing leaf overlapping [first, last): entries
   * leaf[lo..hi) are the pages base+lo .. base+hi. Empty subtrees are skipped whole. fn may
   * empty (and so drop) the leaf it is given.
   */
  forEachLeafIn(first: number, last: number, fn: (leaf: Int32Array, base: number, lo: number, hi: number) => void): void {
    if (this.size === 0 || first >= last) return;
    for (let leaf = this.nextLeaf(first, last); leaf !== undefined;) {
      const base = this.walkBase[0];
      const lo = first > base ? first - base : 0;
      const hi = last < base + LEAF ? last - base : LEAF;
      fn(leaf, base, lo, hi);
      leaf = this.nextLeaf(base + LEAF, last);
    }
  }

  /**
   * fork's copy of the PTEs of [first, last) from `src` (Linux: copy_pte_range() →
   * copy_present_pte()): every entry is copied old (not young); present pages gain a mapping
   * (`ref`/`map` counts); in a COW mapping writable PTEs lose write permission on both sides;
   * in a shared mapping the child's copy is clean. `copied` then holds the pages copied by PTE
   * kind and whether the source lost write permissions (no allocation per call: fork calls this
   * once per VMA).
   */
  /** What the last copyFrom() copied: pages by kind [anon, file, shmem], then 1 if it write-protected. */
  readonly copied = new Int32Array(4);

  copyFrom(src: PageTable, first: number, last: number, cow: boolean, shared: boolean, ref: Int32Array, map: Int32Array): void {
    const counts = this.copied;
    counts.fill(0);
    if (src.size === 0 || first >= last) return;
    const clearChild = PTE_YOUNG | (shared ? PTE_DIRTY : 0);
    for (let sl = src.nextLeaf(first, last); sl !== undefined;) {
      const base = src.walkBase[0];
      const lo = first > base ? first - base : 0;
      const hi = last < base + LEAF ? last - base : LEAF;
      const dl = this.leafFor(base);
      const added = copyLeaf(sl, dl, lo, hi, cow, clearChild, ref, map, counts);
      dl[COUNT] += added;
      this.size += added;
      if (dl[COUNT] === 0) this.dropLeaf(base);
      sl = src.nextLeaf(base + LEAF, last);
    }
  }

  /**
   * Remove the entries of [first, last); guard markers are kept when `keepGuards`. Leaf by leaf,
   * no walk per page: before a leaf's entries go, fn(leaf, lo, hi) sees them, leaf[lo..hi) being
   * the pages of the range in it (one call per leaf, not per page: a call per PTE cost exit of
   * 1 GiB about a third of its time).
   */
  clearRange(first: number, last: number, keepGuards: boolean, fn: (leaf: Int32Array, lo: number, hi: number) => void): number {
    if (this.size === 0 || first >= last) return 0;
    let removed = 0;
    for (let leaf = this.nextLeaf(first, last); leaf !== undefined;) {
      const base = this.walkBase[0];
      const lo = first > base ? first - base : 0;
      const hi = last < base + LEAF ? last - base : LEAF;
      fn(leaf, lo, hi);
      let n = 0;
      for (let i = lo; i < hi; i++) {
        const pte = leaf[i];
        if (pte === 0 || (keepGuards && pte === PTE_GUARD)) continue;
        leaf[i] = 0;
        n++;
      }
      if (n !== 0) {
        removed += n;
        this.size -= n;
        leaf[COUNT] -= n;
        if (leaf[COUNT] === 0) this.dropLeaf(base);
      }
      leaf = this.nextLeaf(base + LEAF, last);
    }
    return removed;
  }

  private dropLeaf(base: number): void {
    const l3 = this.root[Math.floor(base / L2_SPAN)][(base >>> 18) & 511];
    const i3 = (base >>> 9) & 511;
    const leaf = l3[i3];
    if (leaf !== EMPTY_LEAF) {
      l3[i3] = EMPTY_LEAF;
      l3[L3_BITS][i3 >>> 5] &= ~(1 << (i3 & 31));
      this.leaves--;
      this.leafGen++;
      freeLeaf(leaf); // empty: every entry and the count are 0
    }
  }

  /** Whether [first, last) holds any entry. */
  anyIn(first: number, last: number): boolean {
    let found = false;
    this.forEachIn(first, last, () => { found = true; });
    return found;
  }

  /** Every entry, ascending. */
  forEach(fn: (vpn: number, pte: number) => void): void {
    this.forEachIn(0, PT_PAGES, fn);
  }

  /**
   * Move the entries of [from, from+n) to [to, to+n) (Linux: move_page_tables()). The
   * destination must be empty.
   */
  move(from: number, to: number, n: number): void {
    if (from === to || this.size === 0) return;
    const moved: number[] = [];
    this.forEachIn(from, from + n, (vpn, pte) => { moved.push(vpn, pte); });
    for (let i = 0; i < moved.length; i += 2) this.clear(moved[i]);
    for (let i = 0; i < moved.length; i += 2) this.set(moved[i] - from + to, moved[i + 1]);
  }
}

/**
 * Physical memory: 4 KiB frames carved from one ArrayBuffer slab, a free list, per-frame
 * reference and map counts, and the shared zero frame (frame 0).
 *
 * Why one slab and not one ArrayBuffer per page: a per-page ArrayBuffer costs as much as the
 * kernel's whole page fault (~0.8 µs), a slab view 19 ns. Why one slab and not several: a guest
 * load must be `dv.getUint32(frameOffset + off)` with `dv` fixed — choosing among several
 * DataViews per access measured 2.6x a raw load against 1.8x for one (shared/research/perf.md
 * §4.4). The slab starts small (4 MiB) and grows by copying into a bigger one (every holder of
 * `dv` is told through `onGrow`): first to 256 MiB, then straight to `limitFrames`. Few, large
 * steps matter because a fresh slab page costs the host's own page fault on first touch and a
 * copy touches every page again (measured: doubling made a cold guest page cost ~3 host faults);
 * the host commits untouched slab memory lazily. With `reserveSlab` the slab is `limitFrames`
 * from the start and never moves, so `dv` stays the same object for the pool's life: V8 then
 * folds a Memory's `dv` field into the code of a loop over that Memory (a field once replaced
 * cannot be; measured 2.0x against 2.35x a raw load on a TLB hit). Not the default: V8 answers a
 * 2 GiB external allocation with a full collection, ~10-40 ms per pool (the test suite ran 6x
 * slower); the per-frame counts of a reserved slab grow by doubling as frames are first handed out.
 * Frame byte offsets stay below 2^31 so they fit the Int32Array software TLBs keep them in (a
 * Float64Array there measured 2.5x raw).
 *
 * Counts, as Linux keeps them in struct page: `ref` is every reference (each PTE mapping it, the
 * page cache's own), `map` only the PTE mappings (page_mapcount(): what Pss divides by). A frame
 * returns to the free list when `ref` drops to 0. Recycled frames hold old bytes until an
 * allocation that asks for zeroes clears them, so no mapping ever sees another's data.
 */

import { LargeMapcounts } from './large-mapcount.js';

export const FRAME_SIZE = 4096;
export const FRAME_SHIFT = 12;
/** The shared zero frame: never written, never freed (Linux: ZERO_PAGE(0)). */
export const ZERO_FRAME = 0;
/** Frames whose byte offsets stay below 2^31: the most one pool can hold (2 GiB). */
export const MAX_FRAMES = 0x80000;
const INITIAL_FRAMES = 1024;
/** Fresh frames whose slab pages commitAhead() commits at once: first 16 (64 KiB), doubling to 512 (2 MiB). */
const COMMIT_FIRST = 16;
const COMMIT_MOST = 512;
/** The second slab size (256 MiB); after it, the limit. */
const SECOND_FRAMES = 65536;
/** Frame state bits (FramePool.flags). */
export const FRAME_DIRTY = 1;
export const FRAME_LAZYFREE = 2;
/** PG_referenced: marked accessed by a get_user_pages touch (populate), cleared by MADV_COLD. */
export const FRAME_REFERENCED = 4;
/**
 * PG_mlocked on a page whose VMA is no longer VM_LOCKED (mremap MREMAP_DONTUNMAP clears the old
 * VMA's flag without munlocking its pages): reclaim passes it over until the frame is freed.
 */
export const FRAME_MLOCKED = 8;

export interface FramePoolOptions {
  /** Most frames the pool may hold, the zero frame included (at most MAX_FRAMES). */
  limitFrames?: number;
  /** Back the slab with a SharedArrayBuffer where the platform offers one. */
  shared?: boolean;
  /**
   * Reserve the whole slab (`limitFrames`) at once instead of growing it: for emulators, whose
   * compiled loops over a Memory then get faster TLB hits (see above). The host commits the
   * reservation lazily; where it refuses it, the pool grows as usual.
   */
  reserveSlab?: boolean;
}

export class FramePool {
  /** The slab. Replaced when it grows: re-read it (or `dv`, `u8`) after any allocation. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  dv: DataView;
  u8: Uint8Array;
  /** References per frame: PTE mappings, the page cache, pins. */
  ref: Int32Array;
  /** PTE mappings per frame (Linux: page_mapcount()). */
  map: Int32Array;
  /** FRAME_DIRTY (PG_dirty), FRAME_LAZYFREE (MADV_FREE'd), FRAME_REFERENCED (PG_referenced). */
  flags: Uint8Array;
  /**
   * For the frames of an anonymous large folio (a THP: a huge-page fault or MADV_COLLAPSE), a
   * number naming the folio (newFolioId(); never reused, so pages left of a folio whose first
   * frame was freed and handed out again are not taken for a new folio's); 0 otherwise. A split
   * forgets it (Linux: the compound page).
   */
  folio: Int32Array;
  private lastFolioId = 0;
  /** Per anonymous large folio (by head frame): its mapcount and the mm-id slots (large-mapcount.ts). */
  readonly large = new LargeMapcounts();
  /** Frames the slab holds now. */
  capacity: number;
  /** Frames the per-frame arrays (`ref`, `map`, `flags`) cover now (at most `capacity`). */
  private metaCapacity: number;
  readonly limitFrames: number;
  readonly shared: boolean;
  /** Frames handed out and not yet freed (the zero frame excluded). */
  inUse = 0;
  /** Called after the slab grew (holders of `dv` refresh it and drop cached offsets). */
  readonly onGrow = new Set<() => void>();

  /** Recycled frames (may hold old bytes), used as a stack. */
  private freeList: Int32Array;
  private freeTop = 0;
  /** Frames at or above this index were never handed out: still zero from the slab. */
  private fresh = 1;
  /**
   * Frames below this index have had their slab page written (committed by the host); see
   * commitAhead().
   */
  private committed = 0;
  /** How many frames the next commitAhead() commits. */
  private commitChunk = COMMIT_FIRST;

  constructor(opts: FramePoolOptions = {}) {
    const limit = opts.limitFrames ?? MAX_FRAMES;
    if (!Number.isInteger(limit) || limit < 2 || limit > MAX_FRAMES) {
      throw new RangeError(`limitFrames must be an integer in [2, ${MAX_FRAMES}], got ${limit}`);
    }
    this.limitFrames = limit;
    this.shared = opts.shared === true && typeof SharedArrayBuffer === 'function';
    const reserved = opts.reserveSlab === true ? this.reserveSlab(limit) : null;
    this.capacity = reserved === null ? Math.min(INITIAL_FRAMES, limit) : limit;
    this.buffer = reserved ?? this.newSlab(this.capacity);
    this.dv = new DataView(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.metaCapacity = Math.min(INITIAL_FRAMES, this.capacity);
    this.ref = new Int32Array(this.metaCapacity);
    this.map = new Int32Array(this.metaCapacity);
    this.flags = new Uint8Array(this.metaCapacity);
    this.folio = new Int32Array(this.metaCapacity);
    this.freeList = new Int32Array(this.metaCapacity);
    this.ref[ZERO_FRAME] = 1; // pinned forever
  }

  private newSlab(frames: number): ArrayBuffer | SharedArrayBuffer {
    return this.shared ? new SharedArrayBuffer(frames * FRAME_SIZE) : new ArrayBuffer(frames * FRAME_SIZE);
  }

  /** The whole slab at once, or null when the host refuses it (a RangeError). */
  private reserveSlab(frames: number): ArrayBuffer | SharedArrayBuffer | null {
    try {
      return this.newSlab(frames);
    } catch (e) {
      if (e instanceof RangeError) return null;
      throw e;
    }
  }

  /** Frames that can still be handed out. */
  get available(): number {
    return this.limitFrames - 1 - this.inUse;
  }

  /**
   * A frame with unspecified contents and `ref` 1, or -1 when the limit is reached (the OOM
   * path: the caller's fault fails and nothing changes).
   */
  alloc(): number {
    let f: number;
    if (this.freeTop > 0) f = this.freeList[--this.freeTop];
    else {
      if (this.fresh >= this.metaCapacity && !this.grow()) return -1;
      f = this.fresh++;
      if (f >= this.committed) this.commitAhead(f);
    }
    this.ref[f] = 1;
    this.flags[f] = 0;
    this.inUse++;
    return f;
  }

  /**
   * Has the host commit the slab pages of the next fresh frames, from `f` on, in one tight loop:
   * a zero byte written to each (a read would map the host's zero page, committing nothing). The
   * host takes its own page fault on a slab page's first write; taken one by one inside vmspace's
   * fault path, between its other work, a cold guest page cost 0.3-0.5 µs more than with the
   * faults back to back (Linux 6.18, Zen 4: G9 cold 1.6-1.9x -> 1.4x the kernel's fault). The
   * batch starts at 64 KiB and doubles up to 2 MiB (as readahead ramps up), so a small system
   * commits little it does not use. The pages are fresh, so their bytes stay zero.
   */
  private commitAhead(f: number): void {
    const end = Math.min(f + this.commitChunk, this.capacity);
    if (this.commitChunk < COMMIT_MOST) this.commitChunk *= 2;
    const u8 = this.u8;
    for (let o = f * FRAME_SIZE; o < end * FRAME_SIZE; o += FRAME_SIZE) u8[o] = 0;
    this.committed = end;
  }

  /** A frame of zeroes (Linux: vma_alloc_zeroed_movable_folio()), or -1. */
  allocZeroed(): number {
    const fromFreeList = this.freeTop > 0;
    const f = this.alloc();
    if (f > 0 && fromFreeList) this.u8.fill(0, f * FRAME_SIZE, (f + 1) * FRAME_SIZE);
    return f;
  }

  /** A copy of frame `src` (a COW break: Linux wp_page_copy()), or -1. */
  allocCopy(src: number): number {
    const f = this.alloc();
    if (f > 0) this.u8.copyWithin(f * FRAME_SIZE, src * FRAME_SIZE, (src + 1) * FRAME_SIZE);
    return f;
  }

  /**
   * The frames of each anonymous large folio, by folio id, with how many of them still belong to
   * it (entries of frames that left are skipped by forEachFolioFrame()): a folio's pages are found without
   * searching page tables. An entry goes with the folio's last frame.
   */
  private readonly folioMembers = new Map<number, { frames: number[]; live: number }>();

  /** Frame `f` becomes a page of anonymous large folio `folio` (leaving any folio it was in). */
  joinFolio(f: number, folio: number): void {
    if (this.folio[f] !== 0) this.leaveFolio(f);
    this.folio[f] = folio;
    let m = this.folioMembers.get(folio);
    if (m === undefined) this.folioMembers.set(folio, (m = { frames: [], live: 0 }));
    m.frames.push(f);
    m.live++;
  }

  /** Frame `f` is no longer part of a large folio (a split, or the frame is freed). */
  leaveFolio(f: number): void {
    const folio = this.folio[f];
    this.folio[f] = 0;
    const m = this.folioMembers.get(folio);
    if (m !== undefined && --m.live === 0) this.folioMembers.delete(folio);
  }

  /** Calls `fn` with each frame of anonymous large folio `folio`. */
  forEachFolioFrame(folio: number, fn: (f: number) => void): void {
    const m = this.folioMembers.get(folio);
    if (m === undefined) return;
    for (const f of m.frames) if (this.folio[f] === folio) fn(f);
  }

  /** How many large folios have frames (checkFrames()). */
  get foliosWithFrames(): number {
    return this.folioMembers.size;
  }

  /** A name for a new anonymous large folio (see `folio`). */
  newFolioId(): number {
    return ++this.lastFolioId;
  }

  get(f: number): void {
    this.ref[f]++;
  }

  /**
   * Pins per frame held by pin_user_pages() (direct I/O): each is also a reference. Sparse: pins
   * are few and short-lived. Fork copies a pinned anonymous page for the child at once, so the
   * pinned frame stays where the I/O will land (folio_maybe_dma_pinned()).
   */
  readonly pins = new Map<number, number>();

  /**
   * Whether the one mapping of anonymous frame `f` is its only user apart from pins: vmspace's
   * PageAnonExclusive. A pin is a reference (folio_ref_count() counts it) but does not share the
   * page, so an exclusive page stays exclusive when pinned (the write fault reuses it, mprotect
   * makes it writable at once).
   */
  exclusive(f: number): boolean {
    const r = this.ref[f];
    return r === 1 || (this.pins.size !== 0 && r - (this.pins.get(f) ?? 0) === 1);
  }

  /** pin_user_pages(): a reference that marks the frame pinned. */
  pin(f: number): void {
    this.ref[f]++;
    this.pins.set(f, (this.pins.get(f) ?? 0) + 1);
  }

  /** unpin_user_page(). */
  unpin(f: number): void {
    const n = (this.pins.get(f) ?? 0) - 1;
    if (n > 0) this.pins.set(f, n);
    else this.pins.delete(f);
    this.put(f);
  }

  /** Drop one reference; the frame is free when none is left. */
  put(f: number): void {
    if (f === ZERO_FRAME) return;
    if (--this.ref[f] === 0) this.release(f);
  }

  /** Frame `f`, whose last reference is gone (`ref[f]` is 0), back to the free list. */
  release(f: number): void {
    if (this.folio[f] !== 0) this.leaveFolio(f);
    this.freeList[this.freeTop++] = f;
    this.inUse--;
  }

  /** A PTE now maps `f` (Linux: folio_add_*_rmap_pte() + folio_get()). */
  mapFrame(f: number): void {
    this.ref[f]++;
    this.map[f]++;
  }

  /** A PTE no longer maps `f`. */
  unmapFrame(f: number): void {
    if (f === ZERO_FRAME) return;
    this.map[f]--;
    this.put(f);
  }

  /** Byte offset of frame `f` in the slab. */
  offset(f: number): number {
    return f * FRAME_SIZE;
  }

  /** A view of one frame (valid until the slab grows). */
  frameBytes(f: number): Uint8Array {
    return new Uint8Array(this.buffer, f * FRAME_SIZE, FRAME_SIZE);
  }

  /** Whether frame `f` is handed out (for invariant checks). */
  isAllocated(f: number): boolean {
    return f === ZERO_FRAME || (f > 0 && f < this.fresh && this.ref[f] > 0);
  }

  /** Frames ever handed out (upper bound of valid frame numbers). */
  get highWater(): number {
    return this.fresh;
  }

  /**
   * Room for one more fresh frame: the per-frame arrays double (up to the slab), and a slab that
   * was not reserved whole grows first when they cover all of it. False at the limit.
   */
  private grow(): boolean {
    if (this.metaCapacity >= this.limitFrames) return false;
    let moved = false;
    if (this.metaCapacity >= this.capacity) {
      const cap = Math.min(this.limitFrames, this.capacity < SECOND_FRAMES ? SECOND_FRAMES : this.limitFrames);
      const buf = this.newSlab(cap);
      const u8 = new Uint8Array(buf);
      u8.set(this.u8);
      this.buffer = buf;
      this.u8 = u8;
      this.dv = new DataView(buf);
      this.capacity = cap;
      moved = true;
    }
    // A grown slab's counts cover all of it at once (as before reservation existed); a reserved
    // slab's double.
    const meta = moved ? this.capacity : Math.min(this.capacity, this.metaCapacity * 2);
    const ref = new Int32Array(meta);
    ref.set(this.ref);
    const map = new Int32Array(meta);
    map.set(this.map);
    const flags = new Uint8Array(meta);
    flags.set(this.flags);
    const folio = new Int32Array(meta);
    folio.set(this.folio);
    const freeList = new Int32Array(meta);
    freeList.set(this.freeList);
    this.ref = ref;
    this.map = map;
    this.flags = flags;
    this.folio = folio;
    this.freeList = freeList;
    this.metaCapacity = meta;
    if (moved) for (const fn of this.onGrow) fn();
    return true;
  }
}

/**
 * Read-ahead: which pages a page-cache miss brings in, for read() and for page faults. A port of
 * Linux's on-demand algorithm: a per-open-file window (start, size, async_size) that a sequential
 * reader pushes forward, a PG_readahead marker on the folio where the next window starts to be
 * read, mmap read-around centred on the fault, and exec mappings reading forward within the VMA.
 * The window limit is the backing device's read_ahead_kb (ra_pages).
 *
 * Residency is what is modelled (mincore and fault-around see it); the pages' data comes from the
 * page cache itself. Pages past EOF are never read. Page-cache pages present but not up to date
 * (`inode.stale`) are left alone by read-ahead.
 * Linux: mm/readahead.c page_cache_sync_ra(), page_cache_async_ra(), page_cache_ra_order(),
 * page_cache_ra_unbounded(); mm/filemap.c do_sync_mmap_readahead(), do_async_mmap_readahead().
 */
import { addFolio } from './folio.js';
import { pageCacheNextMiss, pageCachePrevMiss } from './page-cache-scan.js';
import type { MmInode } from './vma.js';

/** struct file_ra_state: one per open file description. */
export interface RaState {
  start: number;
  size: number;
  asyncSize: number;
  /** The folio order the next window is read with (page_cache_async_ra() raises it). */
  order: number;
  /** Byte position after the last read() (-1: none yet). */
  prevPos: number;
  /** Page faults that missed the cache (do_sync_mmap_readahead() gives up past MMAP_LOTSAMISS). */
  mmapMiss: number;
}

export function newRaState(): RaState {
  return { start: 0, size: 0, asyncSize: 0, order: 0, prevPos: -1, mmapMiss: 0 };
}

/** MAX_PAGECACHE_ORDER on x86-64 (a PMD). */
const MAX_FOLIO_ORDER = 9;
/** mm/filemap.c: past this many misses a mapping stops reading around. */
const MMAP_LOTSAMISS = 100;

/** HPAGE_PMD_NR and HPAGE_PMD_ORDER: the pages and order of a PMD-sized folio. */
const PMD_PAGES = 512;
const PMD_ORDER = 9;

/** get_init_ra_size(): the first window of a sequential stream. */
function initRaSize(size: number, max: number): number {
  let n = 1;
  while (n < size) n *= 2;
  if (n <= max / 32) return n * 4;
  if (n <= max / 4) return n * 2;
  return max;
}

/** get_next_ra_size(): the window grows x4 while small, then x2, up to the limit. */
function nextRaSize(cur: number, max: number): number {
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  return max;
}

function eofPages(inode: MmInode): number {
  return Math.ceil(inode.size / 4096);
}

function present(inode: MmInode, index: number): boolean {
  return inode.cached.has(index) || (inode.stale?.has(index) ?? false);
}

/** Bring page `index` in (a read of it). */
function addPage(inode: MmInode, index: number): void {
  if (!present(inode, index)) inode.cached.add(index);
}

/** Flag the folio [index, index+pages) PG_readahead. */
export function setMarker(inode: MmInode, index: number, pages: number): void {
  (inode.raMarks ??= new Map()).set(index, pages);
}

/**
 * The PG_readahead folio holding page `index`: its first page and size, or undefined.
 */
export function markerAt(inode: MmInode, index: number): [number, number] | undefined {
  const marks = inode.raMarks;
  if (marks === undefined || marks.size === 0) return undefined;
  for (const [s, n] of marks) if (index >= s && index < s + n) return [s, n];
  return undefined;
}

export function clearMarker(inode: MmInode, start: number): void {
  inode.raMarks?.delete(start);
}

/**
 * page_cache_ra_unbounded(): read the missing pages of [index, index+n), marking the page
 * `n - lookahead` pages in (order-0 folios); pages already present are skipped.
 */
function readUnbounded(inode: MmInode, index: number, n: number, lookahead: number): void {
  const mark = n - lookahead;
  for (let i = 0; i < n; i++) {
    if (present(inode, index + i)) continue;
    inode.cached.add(index + i);
    if (i === mark) setMarker(inode, index + i, 1);
  }
}

/** do_page_cache_ra(): read [index, index+n) clipped to EOF. */
function doPageCacheRa(inode: MmInode, index: number, n: number, lookahead: number): void {
  const eof = eofPages(inode);
  if (eof === 0 || index >= eof) return;
  if (n > eof - index) n = eof - index;
  readUnbounded(inode, index, n, lookahead);
}

/**
 * page_cache_ra_order(): read the window ra.start .. ra.start+ra.size with folios of ra.order
 * (aligned, shrunk at EOF); a folio that would overlap a present page ends the large-folio pass
 * and the rest is read page by page.
 */
function raOrder(inode: MmInode, ra: RaState, largeFolios: boolean): void {
  const start = ra.start;
  let index = start;
  const eof = eofPages(inode);
  if (eof === 0) return;
  let limit = eof - 1;
  const mark = index + ra.size - ra.asyncSize;
  if (largeFolios) {
    limit = Math.min(limit, index + ra.size - 1);
    let newOrder = Math.min(MAX_FOLIO_ORDER, ra.order, Math.floor(Math.log2(Math.max(1, ra.size))));
    if (newOrder < 0) newOrder = 0;
    ra.order = newOrder;
    let failed = false;
    while (index <= limit) {
      let order = newOrder;
      if (index % 2 ** order !== 0) order = ctz(index);
      while (order > 0 && index + 2 ** order - 1 > limit) order--;
      const n = 2 ** order;
      // ra_alloc_folio(): filemap_add_folio() refuses a range holding a page already (-EEXIST).
      let clash = false;
      for (let i = index; i < index + n; i++) if (present(inode, i)) { clash = true; break; }
      if (clash) { failed = true; break; }
      for (let i = index; i < index + n; i++) inode.cached.add(i);
      addFolio(inode, index, n);
      const m = mark - (mark % n);
      if (index === m) setMarker(inode, index, n);
      index += n;
    }
    if (!failed) return;
  } else {
    ra.order = 0;
  }
  // (A pass that hit a present page keeps its order for the next window.)
  if (ra.size > index - start) doPageCacheRa(inode, index, ra.size - (index - start), ra.asyncSize);
}

function ctz(x: number): number {
  let n = 0;
  while (x % 2 === 0 && n < 52) { x /= 2; n++; }
  return n;
}

/** The readahead geometry of a file: its device's window and whether it uses large folios. */
export interface RaGeometry {
  raPages: number;
  largeFolios: boolean;
}

/**
 * page_cache_sync_ra(): a read of `count` pages at `index` missed the cache.
 */
export function syncReadahead(inode: MmInode, ra: RaState, g: RaGeometry, index: number, count: number): void {
  const max = g.raPages;
  if (max === 0) {
    doPageCacheRa(inode, index, 1, 0);
    return;
  }
  const prevIndex = ra.prevPos < 0 ? Number.MAX_SAFE_INTEGER : Math.floor(ra.prevPos / 4096);
  // A start of file, an oversized read, or a sequential miss (index - prev_index <= 1 unsigned).
  if (index === 0 || count > max || (index >= prevIndex && index - prevIndex <= 1)) {
    ra.start = index;
    ra.size = initRaSize(count, max);
    ra.asyncSize = ra.size > count ? ra.size - count : ra.size >> 1;
  } else {
    const miss = pageCachePrevMiss(inode, index - 1, max);
    let contig = index - miss - 1;
    // A small random read: read as is, without touching the window.
    if (contig <= count) {
      doPageCacheRa(inode, index, count, 0);
      return;
    }
    if (miss < 0) contig *= 2; // cached from the start: a long stream
    ra.start = index;
    ra.size = Math.min(contig + count, max);
    ra.asyncSize = 1;
  }
  ra.order = 0;
  raOrder(inode, ra, g.largeFolios);
}

/**
 * page_cache_async_ra(): an access at page `index` reached the PG_readahead folio
 * [folioStart, +folioPages): the marker goes, and the next window is read ahead. A read() passes
 * the folio's first page as `index` and the pages it still wants as `count`
 * (filemap_readahead()); a page fault passes the faulting page and the whole read-ahead limit
 * (do_async_mmap_readahead()), so a fault inside a marked folio of several pages is not "the
 * expected index" and sizes its window from the cached run after it instead (recorded:
 * fileio/residency/async-fault-inside-folio, fuzz seed 4500128: an mlock fault on page 5 of the
 * marked folio 4..7 read the whole 2 MiB file in 16-page folios).
 */
export function asyncReadahead(
  inode: MmInode, ra: RaState, g: RaGeometry, folioStart: number, folioPages: number, index: number, count: number,
): void {
  clearMarker(inode, folioStart);
  const max = g.raPages;
  if (max === 0) return;
  const expectedRaw = ra.start + ra.size - ra.asyncSize;
  const expected = expectedRaw - (expectedRaw % folioPages);
  if (index === expected) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, nextRaSize(ra.size, max));
    ra.asyncSize = ra.size;
  } else {
    // A marker without a matching window (interleaved reads): size the window from the pages
    // the last read-ahead left after this one.
    const start = pageCacheNextMiss(inode, index + 1, max);
    if (start === 0 || start - index > max) return;
    ra.start = start;
    ra.size = start - index + count;
    ra.size = nextRaSize(ra.size, max);
    ra.asyncSize = ra.size;
  }
  // The window ends on a boundary of the bigger folios it will be read with (at most the
  // largest power of two dividing the limit).
  ra.order += 2;
  const align = 2 ** Math.min(ra.order, ctz(max));
  const end = ra.start + ra.size;
  const alignedEnd = end - (end % align);
  if (alignedEnd > ra.start) ra.size -= end - alignedEnd;
  ra.asyncSize = ra.size;
  raOrder(inode, ra, g.largeFolios);
}

/**
 * do_sync_mmap_readahead(): a page fault at file page `index` missed the cache. VM_RAND_READ
 * without VM_EXEC reads the page alone; VM_SEQ_READ reads ahead like read(); exec mappings
 * (VM_RAND_READ or not) read forward within the VMA; the rest read around the fault. VM_HUGEPAGE mappings read PMD-sized folios (`huge`,
 * `hugeRand` with VM_RAND_READ).
 */
export function mmapSyncReadahead(
  inode: MmInode, ra: RaState, g: RaGeometry, index: number,
  how: 'rand' | 'seq' | 'exec' | 'around' | 'huge' | 'hugeRand', vmaFirst: number, vmaEnd: number,
): void {
  if (how === 'huge' || how === 'hugeRand') {
    // VM_HUGEPAGE (checked first, read-ahead even when disabled): PMD-sized folios from the
    // 2 MiB-aligned index, two of them unless VM_RAND_READ, the second one asynchronous; no
    // mmap_miss bookkeeping (recorded: fuzz seed 760586, one order-9 folio over a 2 MiB file).
    ra.start = index - (index % PMD_PAGES);
    ra.size = how === 'huge' ? 2 * PMD_PAGES : PMD_PAGES;
    ra.asyncSize = PMD_PAGES;
    ra.order = PMD_ORDER;
    raOrder(inode, ra, g.largeFolios);
    addPage(inode, index);
    return;
  }
  const max = g.raPages;
  if (how === 'rand' || max === 0) {
    doPageCacheRa(inode, index, 1, 0);
    return;
  }
  if (how === 'seq') {
    syncReadahead(inode, ra, g, index, max);
    return;
  }
  if (ra.mmapMiss < MMAP_LOTSAMISS * 10) ra.mmapMiss++;
  if (ra.mmapMiss > MMAP_LOTSAMISS) {
    doPageCacheRa(inode, index, 1, 0);
    return;
  }
  if (how === 'exec') {
    ra.order = 0;
    ra.start = Math.max(index, vmaFirst);
    ra.size = Math.min(ra.start + max, vmaEnd) - ra.start;
    ra.asyncSize = 0;
  } else {
    ra.start = Math.max(0, index - Math.floor(max / 2));
    ra.size = max;
    ra.asyncSize = Math.floor(max / 4);
    ra.order = 0;
  }
  raOrder(inode, ra, g.largeFolios);
  // filemap_fault() reads the page itself when read-ahead did not bring it (past the window).
  addPage(inode, index);
}

/**
 * force_page_cache_ra() (MADV_WILLNEED, fadvise): read [index, index+count) — at most the
 * read-ahead limit — without a window or a marker; pages already present stay as they are.
 */
export function forceReadahead(inode: MmInode, g: RaGeometry, index: number, count: number): void {
  doPageCacheRa(inode, index, Math.min(count, g.raPages), 0);
}

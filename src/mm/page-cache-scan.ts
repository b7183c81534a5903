/**
 * page_cache_next_miss() and page_cache_prev_miss(): the scans read-ahead uses to size a window
 * from the pages a stream left behind. They walk the page cache's XArray with xas_next() /
 * xas_prev(), and that walk has a quirk the results depend on: a scan that starts inside a large
 * folio stored in a leaf node (orders 1-5) is positioned on the folio's first slot
 * (xas_descend() resolves the sibling entry), while the index it reports starts where it was
 * asked. Until the scan leaves that leaf node the index it reports runs ahead of the slot it reads
 * by the distance into the folio, so a gap is reported that many pages late (a stream of order-2
 * folios read at page 4 reports its next miss at 21, not 20). Leaving the node resynchronises.
 *
 * The XArray is modelled from the page cache: 64-slot nodes; a leaf node exists for a 64-page block
 * that holds a page of a folio smaller than 64 pages; folios of order 6-9 are entries of the
 * level-6 node (canonical slot and siblings); higher levels are nodes wherever a page is cached.
 * Shadow (value) entries are not modelled: a scan treats them as misses too.
 * Linux: mm/filemap.c page_cache_next_miss(), page_cache_prev_miss(); lib/xarray.c xas_load(),
 * xas_descend(), __xas_next(), __xas_prev(); include/linux/xarray.h xas_next(), xas_prev().
 */
import { folioOf } from './folio.js';
import type { MmInode } from './vma.js';

const SLOTS = 64;

/** What a slot holds: nothing, an entry (canonical or sibling: both count as present), a node. */
const NULL = 0;
const ENTRY = 1;
const NODE = 2;

/** An xa_state: the index asked for, and the node and slot the walk is on. */
interface XaState {
  index: number;
  /** The node: its level (0 = leaf) and the first index it covers. */
  shift: number;
  base: number;
  offset: number;
}

function present(inode: MmInode, index: number): boolean {
  return inode.cached.has(index) || (inode.stale?.has(index) ?? false);
}

/** The pages in the folio holding page `index` (1 for an order-0 page). */
function folioPages(inode: MmInode, index: number): number {
  return folioOf(inode, index)?.[1] ?? 1;
}

/** Whether the 64-page block at `block` has a leaf node: a cached page smaller than the block. */
function leafExists(inode: MmInode, block: number): boolean {
  for (let i = block; i < block + SLOTS; i++) {
    if (present(inode, i)) return folioPages(inode, i) < SLOTS;
  }
  return false;
}

/** Whether any page in [start, start+len) is cached. */
function anyPresent(inode: MmInode, start: number, len: number): boolean {
  if (len <= 4096) {
    for (let i = start; i < start + len; i++) if (present(inode, i)) return true;
    return false;
  }
  for (const i of inode.cached) if (i >= start && i < start + len) return true;
  if (inode.stale !== undefined) for (const i of inode.stale) if (i >= start && i < start + len) return true;
  return false;
}

function span(shift: number): number {
  return 2 ** shift;
}

/** get_offset(): the slot of `index` in a node of level `shift` (modulo, as the kernel's mask). */
function getOffset(index: number, shift: number): number {
  return Math.floor(index / span(shift)) % SLOTS;
}

function slot(inode: MmInode, shift: number, base: number, offset: number): number {
  const first = base + offset * span(shift);
  if (first < 0) return NULL;
  if (shift === 0) return present(inode, first) ? ENTRY : NULL;
  if (shift === 6) {
    if (leafExists(inode, first)) return NODE;
    return present(inode, first) ? ENTRY : NULL;
  }
  return anyPresent(inode, first, span(shift)) ? NODE : NULL;
}

/** The level of the root node: the lowest that covers every cached page. */
function rootShift(inode: MmInode): number {
  let max = 0;
  for (const i of inode.cached) if (i > max) max = i;
  if (inode.stale !== undefined) for (const i of inode.stale) if (i > max) max = i;
  let shift = 0;
  while (max >= span(shift) * SLOTS) shift += 6;
  return shift;
}

/**
 * xas_load() from a fresh state: descend to the deepest node holding `index`; a sibling slot
 * resolves to its folio's first slot (xas_descend()). Whether the entry is present.
 */
function load(inode: MmInode, xas: XaState): boolean {
  const index = xas.index;
  const block = index - (index % SLOTS);
  if (present(inode, index) && folioPages(inode, index) < SLOTS) {
    xas.shift = 0;
    xas.base = block;
    const first = folioOf(inode, index)?.[0] ?? index;
    xas.offset = first - block;
    return true;
  }
  // A level-6 entry (a folio of 64+ pages), or nothing: the walk stops on a miss anyway.
  const base6 = index - (index % (SLOTS * SLOTS));
  xas.shift = 6;
  xas.base = base6;
  if (!present(inode, index)) {
    xas.offset = getOffset(index, 6);
    return false;
  }
  const first = folioOf(inode, index)?.[0] ?? index;
  xas.offset = getOffset(first, 6);
  return true;
}

/** Walk down from the slot the state is on to an entry (the loop ending __xas_next/prev()). */
function descend(inode: MmInode, xas: XaState): boolean {
  for (;;) {
    const what = slot(inode, xas.shift, xas.base, xas.offset);
    if (what !== NODE) return what === ENTRY;
    xas.base += xas.offset * span(xas.shift);
    xas.shift -= 6;
    xas.offset = getOffset(xas.index, xas.shift);
  }
}

/** Up one level: the state moves to the node holding its node (xa_parent()). */
function ascend(xas: XaState, step: number): void {
  const parentShift = xas.shift + 6;
  const parentBase = xas.base - (xas.base % span(parentShift + 6));
  xas.offset = (xas.base - parentBase) / span(parentShift) + step;
  xas.shift = parentShift;
  xas.base = parentBase;
}

/** xas_next(). Returns whether the entry it lands on is present; false past the root. */
function next(inode: MmInode, xas: XaState, root: () => number): boolean {
  if (xas.shift === 0 && xas.offset !== SLOTS - 1) {
    xas.index++;
    xas.offset++;
    return present(inode, xas.base + xas.offset);
  }
  xas.index++;
  if (xas.offset !== getOffset(xas.index, xas.shift)) xas.offset++;
  while (xas.offset === SLOTS) {
    if (xas.shift >= root()) return false; // set_bounds()
    ascend(xas, 1);
  }
  return descend(inode, xas);
}

/** xas_prev(). */
function prev(inode: MmInode, xas: XaState, root: () => number): boolean {
  if (xas.shift === 0 && xas.offset !== 0) {
    xas.index--;
    xas.offset--;
    return present(inode, xas.base + xas.offset);
  }
  xas.index--;
  if (xas.offset !== getOffset(xas.index, xas.shift)) xas.offset--;
  while (xas.offset === -1) {
    if (xas.shift >= root() || xas.base === 0) return false; // set_bounds()
    ascend(xas, -1);
  }
  return descend(inode, xas);
}

function rootOf(inode: MmInode): () => number {
  let shift = -1;
  return () => (shift < 0 ? (shift = rootShift(inode)) : shift);
}

/**
 * page_cache_next_miss(): the first index at or after `index` the scan finds missing, scanning
 * at most `maxScan` slots; `index + maxScan` when all are present, 0 on wrapping.
 */
export function pageCacheNextMiss(inode: MmInode, index: number, maxScan: number): number {
  const xas: XaState = { index, shift: 0, base: 0, offset: 0 };
  const root = rootOf(inode);
  for (let nr = 0; nr < maxScan; nr++) {
    const hit = nr === 0 ? load(inode, xas) : next(inode, xas, root);
    if (!hit) return xas.index;
    if (xas.index === 0) return 0;
  }
  return index + maxScan;
}

/**
 * page_cache_prev_miss(): the first index at or before `index` the scan finds missing, scanning
 * at most `maxScan` slots; -1 (ULONG_MAX) when the scan runs off the start of the file.
 */
export function pageCachePrevMiss(inode: MmInode, index: number, maxScan: number): number {
  const xas: XaState = { index, shift: 0, base: 0, offset: 0 };
  const root = rootOf(inode);
  for (let nr = 0; nr < maxScan; nr++) {
    const hit = nr === 0 ? load(inode, xas) : prev(inode, xas, root);
    if (xas.index < 0) return -1;
    if (!hit) break;
  }
  return xas.index;
}

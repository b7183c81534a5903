/**
 * Large folios of the page cache: runs of 2^order pages (naturally aligned) that read-ahead and
 * big writes put in the page cache of a disk file system as one unit. The page cache keeps data
 * and residency per page; what is per folio in Linux is kept here: dirtiness (a store to one
 * page dirties all of it), truncation into the middle of a dirty folio (it stays whole, unmapped),
 * and PMD mapping of a 2 MiB folio on a read fault. Order-0 pages are not recorded.
 * Linux: include/linux/mm_types.h struct folio; mm/filemap.c filemap_map_pmd().
 */
import { FRAME_DIRTY, type FramePool } from '../mem/frames.js';
import type { MmInode } from './vma.js';

/** The largest folio order (a PMD). */
const MAX_ORDER = 9;

/** The large folio holding page `index`: [first page, pages], or undefined (an order-0 page). */
export function folioOf(inode: MmInode, index: number): [number, number] | undefined {
  const folios = inode.folios;
  if (folios === undefined || folios.size === 0) return undefined;
  // Faults and writes come in runs: the last folio found answers most lookups.
  const last = inode.lastFolio;
  if (last !== undefined && index >= last[0] && index < last[0] + last[1] && folios.get(last[0]) === last[1]) return last;
  for (let order = 1, n = 2; order <= MAX_ORDER; order++, n *= 2) {
    const start = index - (index % n);
    if (folios.get(start) === n) {
      const fo: [number, number] = [start, n];
      inode.lastFolio = fo;
      return fo;
    }
  }
  return undefined;
}


/** Record a new folio of `pages` pages at `start` (pages > 1). */
export function addFolio(inode: MmInode, start: number, pages: number): void {
  if (pages > 1) (inode.folios ??= new Map()).set(start, pages);
}

/** Forget the folio holding page `index` (split into pages, or gone). */
export function dropFolio(inode: MmInode, index: number): void {
  const f = folioOf(inode, index);
  if (f !== undefined) inode.folios!.delete(f[0]);
}

/** Forget every folio overlapping pages [first, last) (their pages dropped, or gathered into a new one). */
export function dropFoliosIn(inode: MmInode, first: number, last: number): void {
  if (inode.folios === undefined || inode.folios.size === 0) return;
  for (const [s0, n0] of [...inode.folios]) if (s0 < last && s0 + n0 > first) inode.folios.delete(s0);
}

/** Page `index` became dirty: so does every page of its folio (folio_mark_dirty()). */
export function markFolioDirty(frames: FramePool, inode: MmInode, index: number): void {
  const fo = folioOf(inode, index);
  if (fo === undefined) return;
  // A folio is dirtied and cleaned whole: if another page of it is dirty, all are.
  const probe = inode.pages.get(index === fo[0] ? fo[0] + 1 : fo[0]);
  if (probe !== undefined && (frames.flags[probe] & FRAME_DIRTY) !== 0) return;
  for (let i = fo[0]; i < fo[0] + fo[1]; i++) {
    const f = inode.pages.get(i);
    if (f !== undefined) frames.flags[f] |= FRAME_DIRTY;
  }
}

/** Whether any page of the folio [start, start+pages) is dirty. */
export function folioDirty(frames: FramePool, inode: MmInode, start: number, pages: number): boolean {
  for (let i = start; i < start + pages; i++) {
    const f = inode.pages.get(i);
    if (f !== undefined && (frames.flags[f] & FRAME_DIRTY) !== 0) return true;
  }
  return false;
}

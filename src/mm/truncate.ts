/**
 * Taking pages away from a file under its mappings: shrinking it (every mapping loses the pages
 * past the new end, private COW copies included, guard markers kept) and punching a hole
 * (MADV_REMOVE: shared mappings refault, private COW copies stay).
 * Linux: mm/truncate.c truncate_pagecache(), truncate_inode_pages_range();
 * mm/memory.c unmap_mapping_range().
 */
import type { MmSystem } from './config.js';
import { FRAME_DIRTY } from '../mem/frames.js';
import { addFolio, dropFoliosIn, folioDirty, folioOf, markFolioDirty } from './folio.js';
import { forEachMappingOf, indexesIn, inodeFrame } from './page-cache.js';
import { type MmInode, VM_SHARED } from './vma.js';

/**
 * Unmap pages [first, first+n) of `inode` from every address space of the system. With
 * `evenCows` private COW copies go too (truncation); without, only pages still shared with the
 * file (a hole punch).
 */
function unmapMappingRange(inode: MmInode, first: number, n: number, evenCows: boolean): void {
  forEachMappingOf(inode, first, first + n, (owner, v, from, to) => {
    if (evenCows || (v.flags & VM_SHARED) !== 0) owner.zapRange(from, to, false);
    else owner.zapFileRange(from, to);
  });
}

/** Drop the data and residency of pages [first, first+n) (those present). */
function dropPages(sys: MmSystem, inode: MmInode, first: number, n: number): void {
  const last = first + n;
  for (const i of indexesIn(inode.pages, first, last)) {
    sys.frames.put(inode.pages.get(i)!);
    inode.pages.delete(i);
  }
  for (const i of indexesIn(inode.cached, first, last)) inode.cached.delete(i);
  if (inode.stale !== undefined) for (const i of indexesIn(inode.stale, first, last)) inode.stale.delete(i);
  if (inode.raMarks !== undefined) for (const i of indexesIn(inode.raMarks, first, last)) inode.raMarks.delete(i);
  if (inode.blocks !== undefined) for (const i of indexesIn(inode.blocks, first, last)) inode.blocks.delete(i);
  dropFoliosIn(inode, first, last);
}

/**
 * The file grows from `old` bytes: bytes a mapping stored past the old EOF in its last page are
 * zeroed on ext4 and kept on tmpfs (spec §5.5 B4t/B4u; ext4 zeroes the tail of the old last
 * block when the size moves past it). A truncate zeroes to the end of that page; a write past
 * EOF zeroes up to where it starts (`upTo`), leaving stray bytes after it in the same page
 * (recorded: fileio/eof-sigbus/stray-*-pwrite-past-same-page). The zeroing brings that page
 * into the page cache (blockZeroPage()).
 */
export function zeroPastEof(sys: MmSystem, inode: MmInode, old: number, upTo = Infinity): void {
  if (inode.fs !== 'ext4' || old % 4096 === 0) return;
  const index = Math.floor(old / 4096);
  blockZeroPage(sys, inode, index);
  const last = inode.pages.get(index);
  const end = Math.min((index + 1) * 4096, upTo) - index * 4096;
  if (last !== undefined) sys.frames.u8.fill(0, last * 4096 + (old % 4096), last * 4096 + end);
}

/**
 * ext4 zeroes part of the block holding page `index` (ext4_block_zero_page_range()): the page
 * enters the page cache — read, so up to date, if the block exists; for a hole it stays not up
 * to date (recorded: fuzz seeds 10 and 30104: mincore 0, read-ahead and fault-around skip it).
 * A block's zeroed buffer is marked dirty, and so its page and folio, even when nothing there
 * changes (recorded: fileio/residency/eof-block-zero-*; fuzz seed 790281). A hole has nothing
 * to zero.
 */
function blockZeroPage(sys: MmSystem, inode: MmInode, index: number): void {
  const block = inode.blocks?.has(index) === true;
  if (!inode.cached.has(index) && !inode.stale?.has(index)) {
    if (block) inode.cached.add(index);
    else (inode.stale ??= new Set()).add(index);
  }
  if (!block) return;
  const f = inodeFrame(sys, inode, index);
  if (f < 0) return;
  sys.frames.flags[f] |= FRAME_DIRTY;
  markFolioDirty(sys.frames, inode, index);
}

/**
 * Split the clean folio [start, start+n) around page `at` as try_folio_split() does (a buddy
 * split: the half without `at` stays one folio, the half with it is split again, down to `at`
 * alone). The split unmaps the folio from every mapping; file pages are not mapped back
 * (remap_page() is for anonymous folios). Linux: mm/huge_memory.c __split_unmapped_folio().
 */
function buddySplit(inode: MmInode, start: number, n: number, at: number): void {
  unmapMappingRange(inode, start, n, false);
  inode.folios!.delete(start);
  while (n > 1) {
    n /= 2;
    if (at < start + n) addFolio(inode, start + n, n);
    else {
      addFolio(inode, start, n);
      start += n;
    }
  }
}

/**
 * Whether truncation cannot split large folio `fo`: ext4 cannot release the buffers of a dirty
 * one (filemap_release_folio() fails). shmem and tmpfs folios have no buffers and split dirty
 * (recorded: a hole punched in a shmem THP that MADV_COLLAPSE made dirty splits it, and a later
 * write fault maps only the buddy around it; fuzz seed 3200030).
 */
function splitFails(sys: MmSystem, inode: MmInode, fo: [number, number]): boolean {
  return inode.fs === 'ext4' && folioDirty(sys.frames, inode, fo[0], fo[1]);
}

/** Set the inode's size and apply it to its page cache and to every mapping of it. */
export function truncatePagecache(sys: MmSystem, inode: MmInode, size: number): void {
  const old = inode.size;
  inode.size = size;
  const grow = size > old;
  if (grow) {
    zeroPastEof(sys, inode, old);
    // tmpfs grows without touching its page cache (shmem_setattr()). ext4_setattr() calls
    // truncate_pagecache(inode, newsize) on a grow too, so a large folio across the new EOF
    // (one a failed write left past the old EOF) is split, or unmapped whole when dirty, as
    // on a shrink (truncate_inode_partial_folio(); fuzz seed 1510130, recorded:
    // fileio/residency/grow-into-folio-*). ext4_truncate() is not called on a grow.
    if (inode.fs !== 'ext4') return;
  }
  // ext4 truncates the page cache even when the size does not change, dropping pages past EOF
  // (a failed write left one: fuzz seed 170117); tmpfs does nothing then (shmem_setattr()).
  if (size === old && inode.fs !== 'ext4') return;
  let keep = Math.ceil(size / 4096);
  // A dirty large folio across the new EOF cannot be split: it leaves every mapping and stays
  // cached whole, zeroed past EOF (truncate_inode_partial_folio(); recorded:
  // fileio/residency/dense-truncate-*). A clean one is split. The folio is the one holding the
  // byte at the new size, which may sit in the middle of one of its pages (fuzz seed 760000).
  const fo = folioOf(inode, Math.floor(size / 4096));
  if (fo !== undefined && fo[0] * 4096 < size && (fo[0] + fo[1]) * 4096 > size) {
    if (splitFails(sys, inode, fo)) {
      // truncate_pagecache() first unmaps from the hole's start (`keep`), private COW copies
      // included; the failed split then unmaps the folio's own pages only (a COW copy below the
      // new EOF stays: fuzz seed 920240).
      unmapMappingRange(inode, keep, fo[0] + fo[1] - keep, true);
      unmapMappingRange(inode, fo[0], fo[1], false);
      for (let i = fo[0]; i < fo[0] + fo[1]; i++) {
        const f = inode.pages.get(i);
        if (f === undefined) continue;
        const from = Math.max(size - i * 4096, 0);
        if (from < 4096) sys.frames.u8.fill(0, f * 4096 + from, (f + 1) * 4096);
      }
      keep = fo[0] + fo[1];
    } else {
      buddySplit(inode, fo[0], fo[1], Math.floor(size / 4096));
    }
  }
  let top = Math.ceil(old / 4096);
  for (const i of inode.pages.keys()) if (i >= top) top = i + 1;
  for (const i of inode.cached) if (i >= top) top = i + 1;
  const span = top - keep;
  if (span > 0) {
    unmapMappingRange(inode, keep, span, true);
    dropPages(sys, inode, keep, span);
  }
  // The tail of the new last page reads zero (truncate_inode_partial_folio()); on a shrink (or
  // same size) ext4_truncate() zeroes the rest of its block too, which brings the page into the
  // cache. (A folio kept whole was zeroed above.)
  const tail = size % 4096;
  const lastIndex = Math.ceil(size / 4096) - 1;
  if (tail === 0 || lastIndex !== keep - 1) return;
  if (inode.fs === 'ext4' && !grow) blockZeroPage(sys, inode, lastIndex);
  const last = inode.pages.get(lastIndex);
  if (last !== undefined) sys.frames.u8.fill(0, last * 4096 + tail, (last + 1) * 4096);
}

/**
 * Remove pages [first, first+n) of the file's data (a hole: they read zero again). A large folio
 * that reaches past either end of the hole is split. When splitFails() (a dirty ext4 folio: its
 * buffers cannot be released), the folio stays cached whole instead, its pages in the hole zeroed,
 * unmapped everywhere (truncate_inode_partial_folio(); recorded: fileio/residency/
 * punch-dirty-folio-*: Rss 0 after the punch, and a later fault maps the whole folio again).
 */
export function punchHole(sys: MmSystem, inode: MmInode, first: number, n: number): void {
  unmapMappingRange(inode, first, n, false);
  const end = first + n;
  let lo = first;
  let hi = end;
  for (const edge of [first, end - 1]) {
    const fo = folioOf(inode, edge);
    if (fo === undefined || (fo[0] >= first && fo[0] + fo[1] <= end)) continue; // inside: it goes
    if (!splitFails(sys, inode, fo)) {
      // Split at the hole's first page in the folio, then the piece holding the page after the
      // hole at that page, so every piece lies inside or outside the hole; the pieces inside go
      // below (truncate_inode_partial_folio(); fuzz seed 790364: the split unmaps the folio).
      buddySplit(inode, fo[0], fo[1], Math.max(fo[0], first));
      const f2 = end < fo[0] + fo[1] ? folioOf(inode, end) : undefined;
      if (f2 !== undefined) buddySplit(inode, f2[0], f2[1], end);
      continue;
    }
    // The failed split has unmapped the whole folio (its file PTEs only: COW copies stay).
    unmapMappingRange(inode, fo[0], fo[1], false);
    for (let i = Math.max(fo[0], first); i < Math.min(fo[0] + fo[1], end); i++) {
      const f = inode.pages.get(i);
      if (f !== undefined) sys.frames.u8.fill(0, f * 4096, (f + 1) * 4096);
      inode.blocks?.delete(i);
    }
    if (fo[0] < first) lo = Math.max(lo, fo[0] + fo[1]);
    if (fo[0] + fo[1] > end) hi = Math.min(hi, fo[0]);
  }
  if (hi > lo) dropPages(sys, inode, lo, hi - lo);
  inode.backing?.punchHole?.(first, n);
}

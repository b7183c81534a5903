/**
 * The page cache as mappings see it: residency (`inode.cached`, what mincore reports) and data
 * (`inode.pages`, frames). A file without a backing store (the RAM file systems) has no other copy
 * of its data; a host file's pages are read from its backing store on a miss.
 * Linux: mm/filemap.c filemap_fault(), do_sync_mmap_readahead().
 */
import type { AddressSpace } from './address-space.js';
import type { MmSystem } from './config.js';
import { FRAME_DIRTY } from '../mem/frames.js';
import { folioOf } from './folio.js';
import { type RaGeometry, asyncReadahead, markerAt, mmapSyncReadahead, newRaState } from './readahead.js';
import { type MmInode, VM_EXEC, VM_HUGEPAGE, VM_RAND_READ, VM_SEQ_READ, type Vma } from './vma.js';
import { mappingsOver } from './vma-tree.js';

/** The read-ahead geometry of `inode`'s file system (disk file systems use large folios). */
export function raGeometry(sys: MmSystem, inode: MmInode): RaGeometry {
  return { raPages: Math.floor(sys.sysctl.readAheadKb / 4), largeFolios: inode.fs === 'ext4' };
}

/**
 * The page-cache side of a fault in `v` on page `index` of `inode`, before its frame is taken
 * (inodeFrame()): a miss reads around or ahead (do_sync_mmap_readahead()); a hit on a
 * PG_readahead folio starts the next window (do_async_mmap_readahead()). Files of the RAM file
 * systems have no read-ahead. True when the fault read something: Linux then drops the mmap lock
 * and the fault is retried.
 */
export function faultReadahead(mm: AddressSpace, v: Vma, inode: MmInode, index: number): boolean {
  const file = v.file!;
  if (!inode.cached.has(index)) {
    if (inode.fs !== 'ext4') inode.cached.add(index);
    else if (inode.stale?.delete(index)) inode.cached.add(index); // read alone: no read-ahead
    else {
      const rand = (v.flags & VM_RAND_READ) !== 0;
      // do_sync_mmap_readahead() gives up on VM_RAND_READ only without VM_EXEC
      // ((vm_flags & (VM_RAND_READ | VM_EXEC)) == VM_RAND_READ): its VM_EXEC window, meant for
      // random access already, is read for an exec mapping under MADV_RANDOM too.
      const how = (v.flags & VM_HUGEPAGE) !== 0 ? (rand ? 'hugeRand' : 'huge')
        : rand && (v.flags & VM_EXEC) === 0 ? 'rand'
          : (v.flags & VM_SEQ_READ) !== 0 ? 'seq' : (v.flags & VM_EXEC) !== 0 ? 'exec' : 'around';
      mmapSyncReadahead(inode, file.ra ??= newRaState(), raGeometry(mm.sys, inode), index, how, v.pgoff, v.pgoff + v.pages);
    }
    return true;
  }
  if (inode.fs !== 'ext4' || (v.flags & VM_RAND_READ) !== 0) return false;
  const ra = file.ra ??= newRaState();
  if (ra.mmapMiss > 0) ra.mmapMiss--;
  const m = markerAt(inode, index);
  if (m === undefined) return false;
  const g = raGeometry(mm.sys, inode);
  asyncReadahead(inode, ra, g, m[0], m[1], index, g.raPages);
  return true;
}

/**
 * Call fn(mm, vma, start, end) for every mapping of pages [first, last) of `inode` in every live
 * address space: [start, end) is the part of the VMA that maps them (Linux: the i_mmap interval
 * tree walk of unmap_mapping_range() and folio_mkclean()).
 */
export function forEachMappingOf(
  inode: MmInode, first: number, last: number,
  fn: (owner: AddressSpace, v: Vma, start: number, end: number) => void,
): void {
  const maps = inode.mappings;
  if (maps === undefined || maps.size === 0) return;
  for (const v of mappingsOver(inode, first, last)) {
    const owner = maps.get(v)!;
    const lo = Math.max(first, v.pgoff);
    const hi = Math.min(last, v.pgoff + v.pages);
    if (lo < hi) fn(owner, v, v.start + (lo - v.pgoff) * 4096, v.start + (hi - v.pgoff) * 4096);
  }
}

/**
 * The frame holding page `index` of the file's data: on a miss, read from the backing store, or
 * zeroes (a hole, or a file whose only copy is the page cache); -1 without memory.
 */
export function inodeFrame(mm: AddressSpace | MmSystem, inode: MmInode, index: number): number {
  let f = inode.pages.get(index);
  if (f === undefined) {
    const frames = mm.frames;
    f = frames.allocZeroed();
    if (f < 0) return -1;
    inode.pages.set(index, f);
    if (inode.backing !== undefined && index * 4096 < inode.size) inode.backing.readPage(index, frames.u8.subarray(f * 4096, f * 4096 + 4096));
    if (inode.writtenBefore === true && inode.cached.has(index)) frames.flags[f] |= FRAME_DIRTY;
    // A page of a large folio is as dirty as the folio: its frame may come after the folio was
    // dirtied (frames are made when a page is first used), so it takes the state of the folio's
    // other frames, which are dirtied and cleaned together (recorded: fuzz seed 760586, pages
    // of a dirty 2 MiB folio mapped after the write count as Private_Dirty).
    const fo = inode.folios !== undefined && inode.folios.size !== 0 ? folioOf(inode, index) : undefined;
    if (fo !== undefined) {
      for (let i = fo[0]; i < fo[0] + fo[1]; i++) {
        const g = i === index ? undefined : inode.pages.get(i);
        if (g === undefined) continue;
        frames.flags[f] |= frames.flags[g] & FRAME_DIRTY;
        break;
      }
    }
  }
  return f;
}


/**
 * The indexes of `set` (a page-cache map or set) in [first, last), ascending or not: found by
 * walking the range when it is smaller than the set, else by filtering the set (a write-back of
 * 1 MiB of a 64 MiB file visits 256 indexes, not 16,384).
 */
export function indexesIn(set: ReadonlySet<number> | ReadonlyMap<number, unknown>, first: number, last: number): number[] {
  const out: number[] = [];
  if (last - first <= set.size) {
    for (let i = first; i < last; i++) if (set.has(i)) out.push(i);
  } else {
    for (const i of set.keys()) if (i >= first && i < last) out.push(i);
  }
  return out;
}

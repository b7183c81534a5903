/**
 * The page cache as mappings see it: residency (`inode.cached`, what mincore reports) and data
 * (`inode.pages`, frames). Until the VFS brings a backing store the frames are the file's data.
 * Linux: mm/filemap.c filemap_fault(), do_sync_mmap_readahead().
 */
import type { AddressSpace } from './address-space.js';
import { type MmInode, VM_EXEC, VM_RAND_READ, type Vma } from './vma.js';

/**
 * A page-cache miss on a file fault reads more than the page. Recorded on 6.18 with ext4 (large
 * folios) on the sparse files scenarios make: one miss brings the whole file (4 MiB seen) into
 * the cache; VM_RAND_READ reads the page alone; executable mappings read from the faulting page
 * to the end of the VMA, at most ra_pages (32), nothing before it (do_sync_mmap_readahead()'s
 * VM_EXEC branch). Pages in the cache but not up to date (`inode.stale`) are left alone. An
 * empirical model, not Linux's algorithm; a model of the read-ahead window for dense files
 * belongs to the page cache. Linux: mm/filemap.c do_sync_mmap_readahead(), page_cache_ra_order().
 */
export function readAround(inode: MmInode, index: number, vmFlags: number, vmaEndIndex: number): void {
  inode.cached.add(index);
  if ((vmFlags & VM_RAND_READ) !== 0) return;
  const eofPages = Math.ceil(inode.size / 4096);
  const stale = inode.stale;
  let from = 0;
  let to = eofPages;
  if ((vmFlags & VM_EXEC) !== 0) {
    from = index;
    to = Math.min(eofPages, vmaEndIndex, index + RA_PAGES);
  }
  for (let i = from; i < to; i++) if (stale === undefined || !stale.has(i)) inode.cached.add(i);
}

/** The default read-ahead window, in pages (128 KiB: VM_READAHEAD_PAGES). */
const RA_PAGES = 32;

/**
 * A page-cache page of `inode` at `index` for mapping: its frame, created (zeroes: a hole) if
 * the file has no data there yet; -1 when memory is exhausted. Residency follows the read-around
 * model (populate.ts).
 */
export function pageCacheFrame(mm: AddressSpace, inode: MmInode, index: number, vmFlags: number, vmaEndIndex: number): number {
  if (!inode.cached.has(index)) {
    if (inode.fs === 'shmem' || inode.fs === 'chardev') inode.cached.add(index);
    else if (inode.stale?.delete(index)) inode.cached.add(index); // read alone: no read-ahead
    else readAround(inode, index, vmFlags, vmaEndIndex);
  }
  return inodeFrame(mm, inode, index);
}

/**
 * Call fn(mm, vma, start, end) for every mapping of pages [first, last) of `inode` in every live
 * address space: [start, end) is the part of the VMA that maps them (Linux: the i_mmap interval
 * tree walk of unmap_mapping_range() and folio_mkclean()).
 */
export function forEachMappingOf(
  mm: AddressSpace, inode: MmInode, first: number, last: number,
  fn: (owner: AddressSpace, v: Vma, start: number, end: number) => void,
): void {
  for (const owner of mm.sys.mms) {
    owner.tree.forEach((v) => {
      if (v.file === null || v.file.inode !== inode) return;
      const lo = Math.max(first, v.pgoff);
      const hi = Math.min(last, v.pgoff + v.pages);
      if (lo < hi) fn(owner, v, v.start + (lo - v.pgoff) * 4096, v.start + (hi - v.pgoff) * 4096);
    });
  }
}

/** The frame holding page `index` of the file's data, created as zeroes; -1 without memory. */
export function inodeFrame(mm: AddressSpace, inode: MmInode, index: number): number {
  let f = inode.pages.get(index);
  if (f === undefined) {
    f = mm.frames.allocZeroed();
    if (f < 0) return -1;
    inode.pages.set(index, f);
  }
  return f;
}


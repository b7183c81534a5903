/**
 * What happens to an inode when a mapping of it goes away (munmap, exit): once no VMA in any
 * process maps it,
 * - a shared anonymous memory object dies: its pages return to the free list and its commit
 *   charge is given back (shmem_zero_setup(), shmem_evict_inode() → shmem_unacct_size());
 * - an unlinked file nobody has open dies the same way (iput() → evict());
 * - a file with a backing store gets its dirty pages written there, which Linux's flusher
 *   would do a little later (the host cannot see our page cache, so later is never).
 * Linux reaches these from the last VMA's fput().
 */
import type { MmSystem } from './config.js';
import type { MmInode } from './vma.js';
import { writebackInode } from './writeback.js';

/** Settle the inodes in `sys.unmappedInodes` that no VMA maps any more. */
export function releaseInodes(sys: MmSystem): void {
  if (sys.unmappedFiles.size !== 0) {
    const files = [...sys.unmappedFiles];
    sys.unmappedFiles.clear();
    for (const f of files) f.unmapped!(sys);
  }
  if (sys.unmappedInodes.size === 0) return;
  const candidates = sys.unmappedInodes;
  for (const inode of candidates) {
    if (inode.mappings !== undefined && inode.mappings.size !== 0) continue;
    if (inode.anonShared !== undefined || (inode.deleted && (inode.opens ?? 0) === 0)) evictInode(sys, inode);
    else if (inode.backing !== undefined) {
      writebackInode(sys, inode);
      if ((inode.opens ?? 0) === 0) inode.backing.release?.();
    }
  }
  candidates.clear();
}

/** Free every page of a dead inode and give back its commit charge (Linux: evict()). */
export function evictInode(sys: MmSystem, inode: MmInode): void {
  for (const f of inode.pages.values()) sys.frames.put(f);
  inode.pages.clear();
  inode.cached.clear();
  inode.stale?.clear();
  inode.raMarks?.clear();
  inode.blocks?.clear();
  inode.folios?.clear();
  const a = inode.anonShared;
  if (a !== undefined && a.chargedTo !== null && a.charged !== 0) a.chargedTo.unacct(a.charged);
  if (a !== undefined) a.charged = 0;
  const hook = inode.onEvict;
  if (hook !== undefined) {
    inode.onEvict = undefined;
    hook();
  }
}

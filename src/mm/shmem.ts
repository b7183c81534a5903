/**
 * The lifetime of shared anonymous memory objects: one lives while some VMA in some process maps
 * it; when the last mapping goes (munmap, exit), its pages return to the free list and its
 * commit charge is given back. Linux: mm/shmem.c shmem_zero_setup(), shmem_evict_inode() →
 * shmem_unacct_size(), reached when the last VMA's fput() drops the file.
 */
import type { MmSystem } from './config.js';

/** Free the objects in `sys.shmemUnmapped` that no VMA maps any more. */
export function reapShmem(sys: MmSystem): void {
  if (sys.shmemUnmapped.size === 0) return;
  const candidates = sys.shmemUnmapped;
  const alive = new Set<unknown>();
  for (const mm of sys.mms) {
    mm.tree.forEach((v) => {
      if (v.file !== null && candidates.has(v.file.inode)) alive.add(v.file.inode);
    });
  }
  for (const inode of candidates) {
    if (alive.has(inode)) continue;
    for (const f of inode.pages.values()) sys.frames.put(f);
    inode.pages.clear();
    inode.cached.clear();
    const a = inode.anonShared;
    if (a !== undefined && a.chargedTo !== null && a.charged !== 0) a.chargedTo.unacct(a.charged);
    if (a !== undefined) a.charged = 0;
  }
  candidates.clear();
}

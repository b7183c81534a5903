/**
 * Shrinking a file under its mappings: the page cache loses the pages past the new end, and so
 * does every mapping of the inode — private COW copies included, guard markers kept.
 * Linux: mm/truncate.c truncate_pagecache() → unmap_mapping_range(..., even_cows = 1).
 */
import type { AddressSpace } from './address-space.js';
import type { MmInode } from './vma.js';

/** Set the inode's size and apply it to its page cache and to `mm`'s mappings of it. */
export function truncatePagecache(mm: AddressSpace, inode: MmInode, size: number): void {
  inode.size = size;
  const keep = Math.ceil(size / 4096);
  for (const p of inode.cached) if (p >= keep) inode.cached.delete(p);
  mm.tree.forEach((v) => {
    if (v.file === null || v.file.inode !== inode) return;
    const from = v.start + Math.max(0, keep - v.pgoff) * 4096;
    if (from < v.end) mm.zapRange(from, v.end, false);
  });
}

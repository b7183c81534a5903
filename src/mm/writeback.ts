/**
 * Writing dirty page-cache pages back: the page becomes clean, every PTE mapping it in a shared
 * mapping loses its dirty and write bits (the next store faults and dirties it again), and a file
 * with a backing store gets the bytes. Linux: mm/page-writeback.c folio_clear_dirty_for_io() →
 * folio_mkclean(); the file system's writepages.
 */
import { FRAME_DIRTY } from '../mem/frames.js';
import { KIND_FILE, PTE_DIRTY, PTE_KIND, PTE_PRESENT, PTE_WRITE, pteFrame } from '../mem/page-table.js';
import type { MmSystem } from './config.js';
import { folioOf } from './folio.js';
import { forEachMappingOf, indexesIn } from './page-cache.js';
import { type MmInode, VM_SHARED } from './vma.js';

/** Write back pages [first, last) of `inode`. */
export function writebackRange(sys: MmSystem, inode: MmInode, first: number, last: number): void {
  const frames = sys.frames;
  // Write-back cleans whole folios.
  const head = folioOf(inode, first);
  if (head !== undefined) first = head[0];
  const tail = last > first ? folioOf(inode, last - 1) : undefined;
  if (tail !== undefined) last = tail[0] + tail[1];
  forEachMappingOf(inode, first, last, (owner, v, start, end) => {
    if ((v.flags & VM_SHARED) === 0) return;
    let changed = false;
    owner.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
      if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_FILE || (pte & (PTE_DIRTY | PTE_WRITE)) === 0) return;
      if ((pte & PTE_DIRTY) !== 0) frames.flags[pteFrame(pte)] |= FRAME_DIRTY;
      owner.pt.set(vpn, pte & ~(PTE_DIRTY | PTE_WRITE));
      changed = true;
    });
    if (changed) owner.flushTlb();
  });
  const backing = inode.backing;
  for (const i of indexesIn(inode.pages, first, last)) {
    const f = inode.pages.get(i)!;
    if ((frames.flags[f] & FRAME_DIRTY) === 0) continue;
    frames.flags[f] &= ~FRAME_DIRTY;
    // The end of writeback clears PG_reclaim (the PG_readahead bit) that reclaim left on it.
    if (inode.raMarks?.get(i) === 1) inode.raMarks.delete(i);
    if (backing === undefined) continue;
    const n = Math.min(4096, inode.size - i * 4096);
    if (n > 0) backing.writePage(i, frames.u8.subarray(f * 4096, f * 4096 + n));
  }
}

/** Write back every dirty page of `inode` (fsync, sync, the last mapping of a host file gone). */
export function writebackInode(sys: MmSystem, inode: MmInode): void {
  let top = 0;
  for (const i of inode.pages.keys()) if (i >= top) top = i + 1;
  if (top > 0) writebackRange(sys, inode, 0, top);
}

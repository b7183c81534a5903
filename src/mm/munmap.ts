/**
 * Unmapping: gathering the VMAs of a range (splitting its ends) and removing them.
 * Linux: mm/vma.c vms_gather_munmap_vmas(), vms_complete_munmap_vmas(), do_vmi_align_munmap().
 */
import { Errno } from '../abi/errno.js';
import type { AddressSpace } from './address-space.js';
import { releaseInodes } from './inode-release.js';
import { maySplit } from './vma-merge.js';
import { VMH_SEALED, VM_ACCOUNT, type Vma } from './vma.js';

/** The VMAs detached for removal, with the totals Linux keeps in struct vma_munmap_struct. */
export interface MunmapGather {
  vmas: Vma[];
  nrPages: number;
  nrAccounted: number;
  /** The first VMA above the range (Linux: vms->next), if any. */
  next?: Vma;
}

/** The gather of an empty range, shared: nothing to remove (never mutated). */
const NOTHING: MunmapGather = Object.freeze({ vmas: Object.freeze([]) as unknown as Vma[], nrPages: 0, nrAccounted: 0 });

/**
 * Collect the VMAs inside [start, end), splitting a VMA that straddles either end. Fails with
 * -ENOMEM when a split strictly inside one VMA would pass max_map_count, -EPERM on a sealed VMA,
 * -EINVAL when a special mapping refuses the split. Splits already made stay made on failure.
 */
export function gatherMunmap(mm: AddressSpace, start: number, end: number): MunmapGather | number {
  let v = mm.tree.findNext(start);
  if (v === undefined || v.start >= end) return NOTHING;
  const g: MunmapGather = { vmas: [], nrPages: 0, nrAccounted: 0 };
  if (start > v.start) {
    if (end < v.end && mm.mapCount >= mm.sys.sysctl.maxMapCount) return -Errno.ENOMEM;
    if ((v.flagsHi & VMH_SEALED) !== 0) return -Errno.EPERM;
    const r = maySplit(v, start);
    if (r < 0) return r;
    v = mm.splitAt(v, start);
  }
  let cur: Vma | undefined = v;
  while (cur !== undefined && cur.start < end) {
    if ((cur.flagsHi & VMH_SEALED) !== 0) return -Errno.EPERM;
    if (cur.end > end) {
      const r = maySplit(cur, end);
      if (r < 0) return r;
      mm.splitAt(cur, end);
    }
    g.vmas.push(cur);
    g.nrPages += cur.pages;
    if ((cur.flags & VM_ACCOUNT) !== 0) g.nrAccounted += cur.pages;
    cur = mm.tree.next(cur);
  }
  g.next = cur;
  return g;
}

/** Remove the gathered VMAs; hiwater_vm is raised before total_vm drops. */
export function completeMunmap(mm: AddressSpace, g: MunmapGather): void {
  if (g.vmas.length === 0) return;
  mm.updateHiwaterVm();
  for (const v of g.vmas) mm.removeVma(v);
  mm.freePmdTables(g.vmas[0].start, g.vmas[g.vmas.length - 1].end, g.next);
  releaseInodes(mm.sys);
}

/** munmap of a checked, page-aligned range. Linux: mm/vma.c do_vmi_munmap(). */
export function doMunmap(mm: AddressSpace, start: number, end: number): number {
  const g = gatherMunmap(mm, start, end);
  if (typeof g === 'number') return g;
  completeMunmap(mm, g);
  return 0;
}

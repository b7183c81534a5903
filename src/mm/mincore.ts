/**
 * mincore: one byte per page, bit 0 = resident. Spec linux-mm.md §4.8.
 * Linux: mm/mincore.c do_mincore(), mincore_pte_range(), can_do_mincore().
 */
import { Errno } from '../abi/errno.js';
import { PTE_GUARD } from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';

/** mincore of [start, start+len) (checked: aligned start, within the user range), into vec. */
export function doMincore(mm: AddressSpace, start: number, len: number, vec: Uint8Array): number {
  const pages = Math.ceil(len / 4096);
  let addr = start;
  let i = 0;
  while (i < pages) {
    const v = mm.tree.find(addr);
    if (v === undefined) return -Errno.ENOMEM;
    const end = Math.min(v.end, start + pages * 4096);
    const file = v.file;
    if (file === null && !v.isAnonymous()) {
      // Special mappings (vvar, vdso): no file, not anonymous: reported resident.
      for (; addr < end; addr += 4096) vec[i++] = 1;
      continue;
    }
    for (; addr < end; addr += 4096) {
      const vpn = addr / 4096;
      const k = mm.pt.get(vpn);
      let r = k !== 0 && (k & PTE_GUARD) === 0 ? 1 : 0;
      if (r === 0 && file !== null) r = file.inode.cached.has(v.pgoff + (addr - v.start) / 4096) ? 1 : 0;
      vec[i++] = r;
    }
  }
  return 0;
}

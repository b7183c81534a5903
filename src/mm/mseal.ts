/**
 * mseal: seal every VMA of a fully mapped range (VM_SEALED, splitting at the ends).
 * Spec linux-mm.md §4.9. Linux: mm/mseal.c do_mseal(), range_contains_unmapped(), mseal_apply().
 */
import { Errno } from '../abi/errno.js';
import type { AddressSpace } from './address-space.js';
import { modifyRange } from './vma-merge.js';
import { VMH_SEALED, type Vma } from './vma.js';

/** mseal of the checked, page-aligned, non-empty range [start, end). */
export function doMseal(mm: AddressSpace, start: number, end: number): number {
  let prevEnd = start;
  let v = mm.tree.findNext(start);
  while (v !== undefined && v.start < end) {
    if (v.start > prevEnd) return -Errno.ENOMEM;
    prevEnd = v.end;
    v = mm.tree.next(v);
  }
  if (prevEnd < end) return -Errno.ENOMEM;
  let cur: Vma | undefined = mm.tree.findNext(start);
  while (cur !== undefined && cur.start < end) {
    const currStart = Math.max(cur.start, start);
    const currEnd = Math.min(cur.end, end);
    let r: Vma | number = cur;
    if ((cur.flagsHi & VMH_SEALED) === 0) {
      r = modifyRange(mm, cur, currStart, currEnd, { flags: cur.flags, flagsHi: cur.flagsHi | VMH_SEALED, anonName: cur.anonName });
      if (typeof r === 'number') return r;
    }
    cur = mm.tree.next(r);
  }
  return 0;
}

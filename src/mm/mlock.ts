/**
 * mlock, mlock2, munlock, mlockall, munlockall. Spec linux-mm.md §4.7.
 * Linux: mm/mlock.c do_mlock(), apply_vma_lock_flags(), mlock_fixup(), apply_mlockall_flags().
 */
import { Errno } from '../abi/errno.js';
import { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, RLIMIT_MEMLOCK } from '../abi/mman.js';
import type { AddressSpace } from './address-space.js';
import { canDoMlock } from './mmap.js';
import { mmPopulate } from './populate.js';
import { modifyRange } from './vma-merge.js';
import {
  VMH_DROPPABLE, VM_HUGETLB, VM_LOCKED, VM_LOCKED_MASK, VM_SPECIAL, type Vma,
} from './vma.js';

/** Pages of [start, end) already in VM_LOCKED VMAs (Linux: count_mm_mlocked_page_nr()). */
function countLocked(mm: AddressSpace, start: number, end: number): number {
  let n = 0;
  let v = mm.tree.findNext(start);
  while (v !== undefined && v.start < end) {
    if ((v.flags & VM_LOCKED) !== 0) n += (Math.min(end, v.end) - Math.max(start, v.start)) / 4096;
    v = mm.tree.next(v);
  }
  return n;
}

/**
 * do_mlock after rounding: `start` page aligned, `len` the page-aligned length, `wraps` when
 * start + len passes 2^64, `vmFlags` VM_LOCKED [| VM_LOCKONFAULT].
 */
export function doMlock(mm: AddressSpace, start: number, len: number, vmFlags: number, wraps = false): number {
  if (!canDoMlock(mm)) return -Errno.EPERM;
  const limit = mm.rlimitPages(RLIMIT_MEMLOCK);
  let locked = len / 4096 + mm.lockedVm;
  if (locked > limit && !mm.creds.capIpcLock) locked -= countLocked(mm, start, start + len);
  if (locked > limit && !mm.creds.capIpcLock) return -Errno.ENOMEM;
  const r = applyVmaLockFlags(mm, start, wraps ? Infinity : len, vmFlags);
  if (r < 0) return r;
  const p = mmPopulate(mm, start, len, false);
  if (p === -Errno.EFAULT) return -Errno.ENOMEM;
  if (p === -Errno.ENOMEM) return -Errno.EAGAIN;
  return p;
}

export function doMunlock(mm: AddressSpace, start: number, len: number, wraps = false): number {
  return applyVmaLockFlags(mm, start, wraps ? Infinity : len, 0);
}

/** Linux: apply_vma_lock_flags(). `len` Infinity stands for a range that wraps past 2^64. */
function applyVmaLockFlags(mm: AddressSpace, start: number, len: number, flags: number): number {
  if (len === Infinity) return -Errno.EINVAL;
  const end = start + len;
  if (end === start) return 0;
  let vma = mm.tree.find(start);
  if (vma === undefined) return -Errno.ENOMEM;
  let nstart = start;
  let tmp = vma.start;
  let cur: Vma | undefined = vma;
  while (cur !== undefined && cur.start < end) {
    if (cur.start !== tmp) return -Errno.ENOMEM;
    const newflags = (cur.flags & ~VM_LOCKED_MASK) | flags;
    tmp = Math.min(cur.end, end);
    const r = mlockFixup(mm, cur, nstart, tmp, newflags);
    if (typeof r === 'number') return r;
    tmp = r.end;
    nstart = tmp;
    cur = mm.tree.next(r);
    vma = r;
  }
  if (tmp < end) return -Errno.ENOMEM;
  return 0;
}

/** Linux: vma_supports_mlock(). */
function supportsMlock(v: Vma): boolean {
  return (v.flags & (VM_SPECIAL | VM_HUGETLB)) === 0 && (v.flagsHi & VMH_DROPPABLE) === 0 && v.special === null;
}

/** Linux: mlock_fixup(). Returns the VMA now covering [start, end) (or the untouched one). */
function mlockFixup(mm: AddressSpace, vma: Vma, start: number, end: number, newflags: number): Vma | number {
  const oldflags = vma.flags;
  if ((newflags | 0) === oldflags || !supportsMlock(vma)) return vma;
  const r = modifyRange(mm, vma, start, end, { flags: newflags, flagsHi: vma.flagsHi, anonName: vma.anonName });
  if (typeof r === 'number') return r;
  let n = (end - start) / 4096;
  if ((newflags & VM_LOCKED) === 0) n = -n;
  else if ((oldflags & VM_LOCKED) !== 0) n = 0;
  mm.lockedVm += n;
  return r;
}

export function doMlockall(mm: AddressSpace, flags: number): number {
  if (flags === 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) !== 0 || flags === MCL_ONFAULT) return -Errno.EINVAL;
  if (!canDoMlock(mm)) return -Errno.EPERM;
  const limit = mm.rlimitPages(RLIMIT_MEMLOCK);
  if ((flags & MCL_CURRENT) !== 0 && mm.totalVm > limit && !mm.creds.capIpcLock) return -Errno.ENOMEM;
  applyMlockallFlags(mm, flags);
  if ((flags & MCL_CURRENT) !== 0) mmPopulate(mm, 0, mm.taskSize, true);
  return 0;
}

export function doMunlockall(mm: AddressSpace): number {
  applyMlockallFlags(mm, 0);
  return 0;
}

/** Linux: apply_mlockall_flags(). Errors of single VMAs are ignored. */
function applyMlockallFlags(mm: AddressSpace, flags: number): void {
  mm.defFlags &= ~VM_LOCKED_MASK;
  if ((flags & MCL_FUTURE) !== 0) {
    mm.defFlags |= VM_LOCKED;
    if ((flags & MCL_ONFAULT) !== 0) mm.defFlags |= 1 << 19;
    if ((flags & MCL_CURRENT) === 0) return;
  }
  let toAdd = 0;
  if ((flags & MCL_CURRENT) !== 0) {
    toAdd |= VM_LOCKED;
    if ((flags & MCL_ONFAULT) !== 0) toAdd |= 1 << 19;
  }
  let v = mm.tree.first();
  while (v !== undefined) {
    const newflags = (v.flags & ~VM_LOCKED_MASK) | toAdd;
    const r = mlockFixup(mm, v, v.start, v.end, newflags);
    v = mm.tree.next(typeof r === 'number' ? v : r);
  }
}

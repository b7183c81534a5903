/**
 * mprotect: change the access bits of a range, VMA by VMA, splitting and merging.
 * Spec linux-mm.md §4.2 (steps 6-10; the argument checks 1-5 are the syscall layer's).
 * Linux: mm/mprotect.c do_mprotect_pkey(), mprotect_fixup().
 */
import { Errno } from '../abi/errno.js';
import { PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP } from '../abi/mman.js';
import { KIND_ANON, KIND_ZERO, PTE_KIND, PTE_PERMS, PTE_PRESENT, PTE_WRITE, pteFrame } from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { vmaPtePerms } from './fault.js';
import { faultInRange } from './populate.js';
import { modifyRange } from './vma-merge.js';
import {
  VMH_SEALED, VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_HUGETLB, VM_LOCKED, VM_LOCKONFAULT,
  VM_MAYEXEC, VM_NORESERVE, VM_READ, VM_SHARED, VM_WRITE, type Vma, protToVmFlags,
} from './vma.js';

const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
const READ_IMPLIES_EXEC = 0x0400000;

/**
 * mprotect of [start, end): `start` page aligned, `end` > start (may lie above the user range),
 * `prot` with only PROT_READ/WRITE/EXEC/SEM and the GROWS* bits.
 */
export function doMprotect(mm: AddressSpace, start: number, end: number, prot: number): number {
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
  const rier = (mm.personality & READ_IMPLIES_EXEC) !== 0 && (prot & 1) !== 0;
  let vma = mm.tree.findNext(start);
  if (vma === undefined || vma.start >= end) return -Errno.ENOMEM;
  if ((grows & PROT_GROWSDOWN) !== 0) {
    if (vma.start >= end) return -Errno.ENOMEM;
    start = vma.start;
    if ((vma.flags & VM_GROWSDOWN) === 0) return -Errno.EINVAL;
  } else {
    if (vma.start > start) return -Errno.ENOMEM;
    if ((grows & PROT_GROWSUP) !== 0) return -Errno.EINVAL; // no VM_GROWSUP on x86
  }
  let nstart = start;
  let tmp = vma.start;
  let error = 0;
  let cur: Vma | undefined = vma;
  while (cur !== undefined && cur.start < end) {
    if (cur.start !== tmp) { error = -Errno.ENOMEM; break; }
    let p = prot;
    if (rier && (cur.flags & VM_MAYEXEC) !== 0) p |= PROT_EXEC;
    const newflags = protToVmFlags(p) | (cur.flags & ~VM_ACCESS_FLAGS);
    // VM_MAY* sit four bits above the matching VM_* bits.
    if ((newflags & ~(newflags >> 4) & VM_ACCESS_FLAGS) !== 0) { error = -Errno.EACCES; break; }
    tmp = Math.min(cur.end, end);
    const r = mprotectFixup(mm, cur, nstart, tmp, newflags);
    if (typeof r === 'number') { error = r; break; }
    tmp = r.end;
    nstart = tmp;
    cur = mm.tree.next(r);
  }
  if (error === 0 && tmp < end) error = -Errno.ENOMEM;
  return error;
}

/**
 * Rewrite the permission bits of the present PTEs of [start, end) for VMA flags `flags` (Linux:
 * mm/mprotect.c change_protection()). Write permission is only ever removed here; pages that may
 * be written in place regain it at their next write fault.
 */
export function changeProtection(mm: AddressSpace, v: Vma, start: number, end: number, flags: number): void {
  if (mm.pt.size === 0) return;
  const perms = vmaPtePerms(flags);
  const writable = (flags & VM_WRITE) !== 0;
  // can_change_pte_writable(): a shared mapping without dirty tracking (shmem; ext4 tracks dirtying
  // through page_mkwrite) or an exclusive anonymous page becomes writable at once (recorded:
  // a store after mprotect(PROT_WRITE) leaves a shmem page clean in other mappings).
  const sharedUpgrade = writable && (flags & VM_SHARED) !== 0 && v.file !== null && v.file.inode.fs !== 'ext4';
  const frames = mm.frames;
  const pt = mm.pt;
  let changed = false;
  pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0) return;
    let w = writable ? pte & PTE_WRITE : 0;
    if (writable && w === 0) {
      const kind = pte & PTE_KIND;
      if (sharedUpgrade && kind !== KIND_ZERO) w = PTE_WRITE;
      else if ((flags & VM_SHARED) === 0 && kind === KIND_ANON && frames.exclusive(pteFrame(pte))) w = PTE_WRITE;
    }
    const np = (pte & ~PTE_PERMS) | perms | w;
    if (np !== pte) { pt.set(vpn, np); changed = true; }
  });
  if (changed) mm.flushTlbRange(start / 4096, end / 4096);
}

/** Linux: mm/mprotect.c mprotect_fixup(). Returns the VMA now covering [start, end) or -errno. */
function mprotectFixup(mm: AddressSpace, vma: Vma, start: number, end: number, newflags: number): Vma | number {
  if ((vma.flagsHi & VMH_SEALED) !== 0) return -Errno.EPERM;
  const oldflags = vma.flags;
  if (newflags === oldflags) return vma;
  const nrpages = (end - start) / 4096;
  let charged = 0;
  if ((newflags & VM_WRITE) !== 0) {
    if (!mm.mayExpandVm(newflags, nrpages) && mm.mayExpandVm(oldflags, nrpages)) return -Errno.ENOMEM;
    if ((oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE)) === 0) {
      charged = nrpages;
      if (!mm.vmEnoughMemory(charged)) return -Errno.ENOMEM;
      newflags |= VM_ACCOUNT;
    }
  } else if ((oldflags & VM_ACCOUNT) !== 0 && vma.isAnonymous() && vma.anonVma === null) {
    newflags &= ~VM_ACCOUNT;
  }
  const r = modifyRange(mm, vma, start, end, { flags: newflags, flagsHi: vma.flagsHi, anonName: vma.anonName });
  if (typeof r === 'number') {
    if (charged) mm.unacct(charged);
    return r;
  }
  if ((oldflags & VM_ACCOUNT) !== 0 && (newflags & VM_ACCOUNT) === 0) mm.unacct(nrpages);
  changeProtection(mm, r, start, end, newflags);
  if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) === VM_LOCKED && (newflags & VM_WRITE) !== 0 &&
      (newflags & VM_LOCKONFAULT) === 0) {
    faultInRange(mm, r, start, end, 'populate');
  }
  return r;
}

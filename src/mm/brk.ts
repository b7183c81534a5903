/**
 * brk: grow or shrink the heap. Spec linux-mm.md §4.4. Linux: mm/mmap.c SYSCALL_DEFINE1(brk),
 * check_brk_limits(), do_brk_flags() (mm/vma.c).
 */
import { RLIMIT_DATA } from '../abi/mman.js';
import type { AddressSpace } from './address-space.js';
import { mlockFutureOk } from './address-space.js';
import { doMunmap } from './munmap.js';
import { mmPopulate } from './populate.js';
import { mergeNewRange } from './vma-merge.js';
import {
  VM_ACCOUNT, VM_EXEC, VM_LOCKED, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE,
} from './vma.js';
import { pageUp } from '../base/pages.js';

const READ_IMPLIES_EXEC = 0x0400000;

/**
 * The raw brk syscall: returns the new break, or the old one when it refuses. `brk` is the
 * requested value (values beyond the user range arrive as 2^60).
 */
export function doBrk(mm: AddressSpace, brk: number): number {
  const origbrk = mm.brk;
  if (brk < mm.startBrk) return origbrk;
  // check_data_rlimit() runs first: even a shrink is refused over RLIMIT_DATA.
  const rlim = mm.rlim[RLIMIT_DATA][0];
  if (rlim < 0xffffffffffffffffn) {
    if (BigInt(brk - mm.startBrk) + BigInt(mm.endData - mm.startData) > rlim) return origbrk;
  }
  const newbrk = pageUp(brk);
  const oldbrk = pageUp(mm.brk);
  if (oldbrk === newbrk) {
    mm.brk = brk;
    return brk;
  }
  if (brk <= mm.brk) {
    const v = mm.tree.findNext(newbrk);
    if (v === undefined || v.start >= oldbrk) return origbrk;
    if (doMunmap(mm, newbrk, oldbrk) < 0) return origbrk;
    mm.brk = brk;
    return brk;
  }
  const len = newbrk - oldbrk;
  // check_brk_limits(): get_unmapped_area(MAP_FIXED) and the mlock limit.
  if (len > mm.taskSize || oldbrk > mm.taskSize - len) return origbrk;
  if (oldbrk < mm.sys.sysctl.mmapMinAddr && !mm.creds.capSysRawio) return origbrk;
  if (!mlockFutureOk(mm, mm.defFlags, len)) return origbrk;
  // One free page, plus the guard gap below a growsdown VMA, must remain.
  const next = mm.tree.findNext(oldbrk);
  if (next !== undefined && newbrk + 4096 > mm.startGap(next)) return origbrk;
  // do_brk_flags()
  const tsk = (mm.personality & READ_IMPLIES_EXEC) !== 0 ? VM_EXEC : 0;
  const vmFlags = VM_READ | VM_WRITE | tsk | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT | mm.defFlags;
  const pages = len / 4096;
  if (!mm.mayExpandVm(vmFlags, pages)) return origbrk;
  if (mm.mapCount > mm.sys.sysctl.maxMapCount) return origbrk;
  if (!mm.vmEnoughMemory(pages)) return origbrk;
  const prev = mm.tree.findPrevStart(oldbrk);
  const brkvma = prev !== undefined && prev.end > mm.startBrk ? prev : undefined;
  const props = {
    flags: vmFlags, flagsHi: 0, pgoff: oldbrk / 4096, file: null, anonName: null, anonVma: null, middle: null,
  };
  // just_expand: only the heap VMA ending at the old break may grow; a new VMA otherwise.
  mergeNewRange(mm, oldbrk, newbrk, props, brkvma !== undefined && brkvma.end === oldbrk ? 'prevOnly' : 'none');
  if ((vmFlags & VM_LOCKED) !== 0) mm.lockedVm += pages;
  mm.brk = brk;
  if ((mm.defFlags & VM_LOCKED) !== 0) mmPopulate(mm, oldbrk, len, true);
  return brk;
}

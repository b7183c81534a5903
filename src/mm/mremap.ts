/**
 * mremap: shrink, grow in place, move (MAYMOVE / FIXED / DONTUNMAP), and the 6.17+ multi-VMA
 * move. Spec linux-mm.md §4.3; the argument checks are the syscall layer's (check_mremap_params).
 * Linux: mm/mremap.c do_mremap(), remap_move(), check_prep_vma(), mremap_at(), mremap_to(),
 * expand_vma(), move_vma(), copy_vma() (mm/vma.c), unmap_source_vma(), dontunmap_complete().
 */
import { Errno } from '../abi/errno.js';
import { MAP_FIXED, MAP_SHARED, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE } from '../abi/mman.js';
import { roundUp } from '../base/pages.js';
import { FRAME_MLOCKED } from '../mem/frames.js';
import { PTE_PRESENT, pteFrame } from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { mlockFutureOk } from './address-space.js';
import { doMunmap } from './munmap.js';
import { mmPopulate } from './populate.js';
import { getUnmappedArea } from './unmapped-area.js';
import { maySplit, mergeNewRange } from './vma-merge.js';
import {
  VMH_SEALED, VM_ACCOUNT, VM_DONTEXPAND, VM_LOCKED, VM_LOCKED_MASK, VM_MAYSHARE, VM_PFNMAP,
  VM_SHARED, type Vma,
} from './vma.js';

interface Remap {
  flags: number;
  addr: number;
  oldLen: number;
  newLen: number;
  newAddr: number;
  vma: Vma | undefined;
  delta: number;
  populateExpand: boolean;
}

const EFAULT = -Errno.EFAULT;

/**
 * mremap after check_mremap_params(): lengths page aligned (newLen > 0, ≤ TASK_SIZE), and with
 * FIXED/DONTUNMAP a checked newAddr.
 */
export function doMremap(mm: AddressSpace, addr: number, oldLen: number, newLen: number, flags: number, newAddr: number): number {
  const vrm: Remap = { flags, addr, oldLen, newLen, newAddr, vma: undefined, delta: 0, populateExpand: false };
  let res: number;
  if ((flags & MREMAP_FIXED) !== 0 && oldLen === newLen) {
    res = remapMove(mm, vrm);
  } else {
    vrm.vma = mm.tree.find(addr);
    res = checkPrepVma(mm, vrm);
    if (res === 0) res = impliesNewAddr(vrm) ? mremapTo(mm, vrm) : mremapAt(mm, vrm);
  }
  if (res >= 0 && vrm.populateExpand) mmPopulate(mm, vrm.newAddr + vrm.oldLen, vrm.delta, true);
  return res;
}

function impliesNewAddr(vrm: Remap): boolean {
  return (vrm.flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0;
}

/** Linux: remap_move(): FIXED same-size moves over several VMAs, keeping the holes between them. */
function remapMove(mm: AddressSpace, vrm: Remap): number {
  const start = vrm.addr;
  const end = vrm.addr + vrm.oldLen;
  let target = vrm.newAddr;
  let res = EFAULT;
  let seen = false;
  let lastEnd = 0;
  let v = mm.tree.findNext(start);
  while (v !== undefined && v.start < end) {
    const a = Math.max(v.start, start);
    const len = Math.min(end, v.end) - a;
    if (!seen && start < v.start) return EFAULT;
    const offset = seen ? v.start - lastEnd : 0;
    lastEnd = v.end;
    const multi = seen || end > v.end;
    if (multi && !multiVmaAllowed(v)) return EFAULT;
    const nextStart = v.end;
    vrm.vma = v;
    vrm.addr = a;
    vrm.newAddr = target + offset;
    vrm.oldLen = vrm.newLen = len;
    let r = checkPrepVma(mm, vrm);
    if (r === 0) r = mremapTo(mm, vrm);
    if (r < 0) return r;
    if (!seen) res = r;
    seen = true;
    target = r + vrm.newLen;
    v = mm.tree.findNext(nextStart);
  }
  return res;
}

/**
 * Linux: vma_multi_allowed(): uffd-armed VMAs and files with a custom placement hook are refused;
 * anonymous, shmem, hugetlb and thp_get_unmapped_area files (ext4) are known good.
 */
function multiVmaAllowed(v: Vma): boolean {
  return v.file === null || v.file.inode.fs !== 'other';
}

/** Linux: check_prep_vma(). */
function checkPrepVma(mm: AddressSpace, vrm: Remap): number {
  const vma = vrm.vma;
  if (vma === undefined) return EFAULT;
  if ((vma.flagsHi & VMH_SEALED) !== 0) return -Errno.EPERM;
  if (vma.special === 'hugetlb') {
    if (vrm.addr % 0x200000 !== 0 || (impliesNewAddr(vrm) && vrm.newAddr % 0x200000 !== 0)) return -Errno.EINVAL;
    vrm.oldLen = roundUp(vrm.oldLen, 0x200000);
    vrm.newLen = roundUp(vrm.newLen, 0x200000);
  }
  vrm.delta = Math.abs(vrm.newLen - vrm.oldLen);
  if (!impliesNewAddr(vrm)) vrm.newAddr = vrm.addr;
  const expand = vrm.newLen > vrm.oldLen;
  // Shrinking or keeping the size in place checks nothing more: the range may span VMAs.
  if (!expand && !impliesNewAddr(vrm)) return 0;
  if (vrm.oldLen === 0 && (vma.flags & (VM_SHARED | VM_MAYSHARE)) === 0) return -Errno.EINVAL;
  if ((vrm.flags & MREMAP_DONTUNMAP) !== 0 && (vma.flags & (VM_DONTEXPAND | VM_PFNMAP)) !== 0) return -Errno.EINVAL;
  if (vrm.oldLen > vma.end - vrm.addr) return EFAULT;
  if (vrm.newLen === vrm.oldLen) return 0;
  if ((vma.flags & VM_LOCKED) !== 0 && expand) vrm.populateExpand = true;
  if (!expand) return 0;
  if ((vma.flags & (VM_DONTEXPAND | VM_PFNMAP)) !== 0) return EFAULT;
  if (!mlockFutureOk(mm, vma.flags, vrm.delta)) return -Errno.EAGAIN;
  if (!mm.mayExpandVm(vma.flags, vrm.delta / 4096)) return -Errno.ENOMEM;
  return 0;
}


/** Linux: mremap_at(): no new address. */
function mremapAt(mm: AddressSpace, vrm: Remap): number {
  if (vrm.delta === 0) return vrm.addr;
  if (vrm.oldLen > vrm.newLen) {
    const r = shrinkVma(mm, vrm);
    return r < 0 ? r : vrm.addr;
  }
  return expandVma(mm, vrm);
}

/** Linux: expand_vma(): in place when [addr, addr+oldLen) ends the VMA and room follows; else move. */
function expandVma(mm: AddressSpace, vrm: Remap): number {
  const vma = vrm.vma!;
  if (vma.end - vrm.addr === vrm.oldLen && vmaExpandable(mm, vma, vrm.delta)) {
    if ((vma.flags & VM_ACCOUNT) !== 0 && !mm.vmEnoughMemory(vrm.delta / 4096)) return -Errno.ENOMEM;
    // vma_merge_extend(): the extension merges into the VMA, and with the next one if it fits.
    const merged = mergeNewRange(mm, vma.end, vma.end + vrm.delta, {
      flags: vma.flags, flagsHi: vma.flagsHi, pgoff: vma.pgoff + vma.pages, file: vma.file,
      anonName: vma.anonName, anonVma: vma.anonVma, middle: vma,
    });
    vrm.vma = merged;
    if ((merged.flags & VM_LOCKED) !== 0) mm.lockedVm += vrm.delta / 4096;
    return vrm.addr;
  }
  if ((vrm.flags & MREMAP_MAYMOVE) === 0) return -Errno.ENOMEM;
  const r = setNewAddr(mm, vrm);
  if (r < 0) return r;
  return moveVma(mm, vrm);
}

/** Linux: shrink_vma(): do_vmi_munmap() of the tail, with its own argument checks. */
function shrinkVma(mm: AddressSpace, vrm: Remap): number {
  const start = vrm.addr + vrm.newLen;
  const len = vrm.oldLen - vrm.newLen;
  if (start > mm.taskSize || len > mm.taskSize - start) return -Errno.EINVAL;
  return doMunmap(mm, start, start + len);
}

/** Linux: vma_expandable(). */
function vmaExpandable(mm: AddressSpace, vma: Vma, delta: number): boolean {
  const end = vma.end + delta;
  if (mm.tree.firstIntersecting(vma.end, end) !== undefined) return false;
  // get_unmapped_area(NULL, vm_start, end - vm_start, 0, MAP_FIXED) must not fail.
  const len = end - vma.start;
  if (len > mm.taskSize || vma.start > mm.taskSize - len) return false;
  if (vma.start < mm.sys.sysctl.mmapMinAddr && !mm.creds.capSysRawio) return false;
  return true;
}

/** Linux: vrm_set_new_addr(). */
function setNewAddr(mm: AddressSpace, vrm: Remap): number {
  const vma = vrm.vma!;
  const pgoff = vma.pgoff + (vrm.addr - vma.start) / 4096;
  let mapFlags = 0;
  if ((vrm.flags & MREMAP_FIXED) !== 0) mapFlags |= MAP_FIXED;
  if ((vma.flags & VM_MAYSHARE) !== 0) mapFlags |= MAP_SHARED;
  const hint = impliesNewAddr(vrm) ? vrm.newAddr : 0;
  const file = vma.file !== null && vma.file.inode.fs === 'shmem' ? null : vma.file;
  const res = getUnmappedArea(mm, { file, addr: hint, len: vrm.newLen, pgoff, flags: mapFlags, compat: false });
  if (res < 0) return res;
  vrm.newAddr = res;
  return 0;
}

/** Linux: mremap_to(): FIXED unmaps the target first; shrink first; then move. */
function mremapTo(mm: AddressSpace, vrm: Remap): number {
  if ((vrm.flags & MREMAP_FIXED) !== 0) {
    const r = doMunmap(mm, vrm.newAddr, vrm.newAddr + vrm.newLen);
    if (r < 0) return r;
    vrm.vma = mm.tree.find(vrm.addr);
    if (vrm.vma === undefined) return EFAULT;
  }
  if (vrm.oldLen > vrm.newLen) {
    const r = shrinkVma(mm, vrm);
    if (r < 0) return r;
    vrm.oldLen = vrm.newLen;
    vrm.vma = mm.tree.find(vrm.addr);
    if (vrm.vma === undefined) return EFAULT;
  }
  if ((vrm.flags & MREMAP_DONTUNMAP) !== 0) {
    if (!mm.mayExpandVm(vrm.vma!.flags, vrm.oldLen / 4096)) return -Errno.ENOMEM;
  }
  const r = setNewAddr(mm, vrm);
  if (r < 0) return r;
  return moveVma(mm, vrm);
}

/** Linux: move_vma(): copy the VMA and its pages to newAddr, then unmap (or keep) the source. */
function moveVma(mm: AddressSpace, vrm: Remap): number {
  let vma = vrm.vma!;
  const oldAddr = vrm.addr;
  const oldLen = vrm.oldLen;
  const newLen = vrm.newLen;
  const newAddr = vrm.newAddr;
  if (mm.mapCount >= mm.sys.sysctl.maxMapCount - 3) return -Errno.ENOMEM;
  if (vma.start !== oldAddr) { const e = maySplit(vma, oldAddr); if (e < 0) return e; }
  if (vma.end !== oldAddr + oldLen) { const e = maySplit(vma, oldAddr + oldLen); if (e < 0) return e; }
  const dontunmap = (vrm.flags & MREMAP_DONTUNMAP) !== 0;
  let charged = 0;
  if ((vma.flags & VM_ACCOUNT) !== 0) {
    charged = dontunmap ? newLen / 4096 : vrm.delta / 4096;
    if (!mm.vmEnoughMemory(charged)) return -Errno.ENOMEM;
  }
  // copy_vma(): an unfaulted anonymous VMA takes the pgoff of its new place, so it can merge there.
  let pgoff = vma.pgoff + (oldAddr - vma.start) / 4096;
  if (vma.isAnonymous() && vma.anonVma === null) pgoff = newAddr / 4096;
  const vmaStart = vma.start;
  const newVma = mergeNewRange(mm, newAddr, newAddr + newLen, {
    flags: vma.flags, flagsHi: vma.flagsHi, pgoff, file: vma.file, anonName: vma.anonName,
    anonVma: vma.anonVma, middle: vma,
  });
  if (newVma !== vma && newVma.anonVma === vma.anonVma) newVma.anonForked = vma.anonForked;
  // A special mapping (vdso) stays special where it lands (special_mapping_mremap()); a device
  // mapping keeps its driver's operations (copy_vma() copies vm_ops and calls ->open).
  if (vma.special !== null) newVma.special = vma.special;
  if (vma.vmOps !== null && newVma !== vma && newVma.vmOps === null) {
    newVma.vmOps = vma.vmOps;
    newVma.vmOps.open?.(newVma);
  }
  // The source may have been merged into the new VMA.
  if (vmaStart >= newVma.start && vmaStart < newVma.end) vma = newVma;
  moveResidency(mm, oldAddr, newAddr, Math.min(oldLen, newLen));
  const hiwater = mm.hiwaterVm;
  if ((newVma.flags & VM_LOCKED) !== 0) mm.lockedVm += newLen / 4096;
  if (dontunmap) {
    // dontunmap_complete(): the old VMA keeps its range but loses VM_LOCKED* and VM_ACCOUNT;
    // locked_vm is not reduced (VmLck counts it twice).
    const old = mm.tree.find(oldAddr);
    if (old !== undefined) {
      if ((old.flags & VM_LOCKED) !== 0) {
        mm.lockedVmSkew += old.pages;
        // Its pages stay mlocked (no munlock runs): reclaim will not take them (fuzz seed 900253).
        const frames = mm.frames;
        mm.pt.forEachIn(old.start / 4096, old.end / 4096, (_vpn, pte) => {
          if ((pte & PTE_PRESENT) !== 0 && pteFrame(pte) !== 0) frames.flags[pteFrame(pte)] |= FRAME_MLOCKED;
        });
      }
      // The recording kernel clears only VM_LOCKED* (VM_ACCOUNT stays, with its charge).
      old.flags &= ~VM_LOCKED_MASK;
      if (newVma !== old && oldAddr === old.start && oldAddr + oldLen === old.end) {
        old.anonVma = null;
        old.anonForked = false;
      }
    }
  } else if (oldLen > 0) {
    // unmap_source_vma(): the charge moves with the pages, so the unmap must not return it.
    if ((vma.flags & VM_ACCOUNT) !== 0) mm.charge(oldLen / 4096);
    // A failed split leaves the source mapped and charged twice, as Linux's OOM path does.
    doMunmap(mm, oldAddr, oldAddr + oldLen);
  }
  mm.hiwaterVm = hiwater;
  return newAddr;
}

/** Move the PTEs of [from, from+len) to [to, to+len), frames and all (move_page_tables()). */
function moveResidency(mm: AddressSpace, from: number, to: number, len: number): void {
  // Huge PMDs move whole when the block lies inside the range and lands on a 2 MiB boundary
  // (move_pgt_entry(HPAGE_PMD) → move_huge_pmd(), its deposited table with it); others are split
  // first (move_page_tables() → split_huge_pmd()).
  const R = 0x200000;
  const movedPmds: number[] = [];
  if (mm.hugePmds.size !== 0) {
    for (const [r, kind] of [...mm.hugePmds]) {
      if ((r + 1) * R <= from || r * R >= from + len) continue;
      if (from <= r * R && (r + 1) * R <= from + len && (to - from) % R === 0) {
        mm.hugePmds.delete(r);
        movedPmds.push(r + (to - from) / R, kind);
      } else {
        mm.splitHugePmd(r);
      }
    }
  }
  mm.pt.move(from / 4096, to / 4096, len / 4096);
  for (let i = 0; i < movedPmds.length; i += 2) mm.setHugePmd(movedPmds[i], movedPmds[i + 1]);
  // The destination gets page-table pages where the source had them.
  for (let r = Math.floor(from / R); r * R < from + len; r++) {
    if (!mm.ptePages.has(r)) continue;
    const lo = Math.max(from, r * R) - from + to;
    const hi = Math.min(from + len, (r + 1) * R) - from + to;
    if (lo >= hi) continue; // nothing moves (a zero-length source: mremap's duplicate of a shared mapping)
    for (let d = Math.floor(lo / R); d * R < hi; d++) mm.addPtePage(d);
  }
  mm.flushTlb();
}

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
    // The iterator resumes after the VMA just moved and ends at `end`: a move that merged the
    // source with its destination (an unfaulted anonymous VMA moved right behind itself with
    // MREMAP_DONTUNMAP, copy_vma()) is not visited again (fuzz seed 4900079).
    if (nextStart >= end) break;
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
    // It takes the VMA only for the merge's fields (vmg.middle = NULL): a VMA whose anon_vma
    // came through fork still merges with a next VMA that has none.
    const merged = mergeNewRange(mm, vma.end, vma.end + vrm.delta, {
      flags: vma.flags, flagsHi: vma.flagsHi, pgoff: vma.pgoff + vma.pages, file: vma.file,
      anonName: vma.anonName, anonVma: vma.anonVma, middle: null,
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
  movePageTables(mm, vma, newVma, oldAddr, newAddr, Math.min(oldLen, newLen));
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

/**
 * Move the pages of [from, from+len) to [to, to+len), frames and all, and the page-table pages
 * with them as the kernel does (Linux: mm/mremap.c move_page_tables()). `oldVma` and `newVma`
 * are the source and destination VMAs as move_page_tables() sees them (the source not split yet).
 *
 * The walk goes by the largest extent both sides allow (get_extent()):
 * - after try_realign_addr(): when [from, to) are mutually misaligned by the same offset in their
 *   2 MiB blocks, the range reaches the next block boundary, and both VMAs start there with no
 *   VMA below them in their first block (can_realign_addr(), can_align_down()), the walk starts
 *   at the blocks' starts, so the first block moves whole too;
 * - no PMD table over the source (get_old_pud() is NULL): the 1 GiB extent is passed over;
 *   otherwise the destination gets a PUD table (alloc_new_pud()), even if nothing moves;
 * - a whole, mutually aligned 1 GiB extent whose destination has no PMD table: the source's PMD
 *   table moves there, with every PTE table and huge PMD under it (move_normal_pud());
 * - no PTE table over the source block (get_old_pmd() is NULL): passed over; otherwise the
 *   destination gets a PMD table (alloc_new_pmd());
 * - a huge PMD: moved with its deposited table over a whole, aligned 2 MiB extent (move_huge_pmd()),
 *   split otherwise (split_huge_pmd(): a file PMD leaves nothing to move);
 * - a whole, mutually aligned 2 MiB extent whose destination has no PTE table: the source's PTE
 *   table moves there (move_normal_pmd());
 * - otherwise the PTEs move one by one into a destination table (pte_alloc(), move_ptes()): the
 *   source keeps its table, empty.
 * A moved table leaves the source without one: with MREMAP_DONTUNMAP the source VMA stays so, until
 * a fault allocates a new table (recorded: mremap-tables/*). Page tables are otherwise freed only
 * by free_pgtables() (munmap of the source).
 */
function movePageTables(mm: AddressSpace, oldVma: Vma, newVma: Vma, from: number, to: number, len: number): void {
  if (len === 0) return;
  const R = 0x200000;
  const G = R * 512;
  const P = G * 512;
  let oldAddr = from;
  let newAddr = to;
  const oldEnd = from + len;
  if (canRealign(mm, oldVma, newVma, from, to, len)) {
    oldAddr -= from % R;
    newAddr -= to % R;
  }
  const extentOf = (size: number): number => {
    let extent = Math.min((Math.floor(oldAddr / size) + 1) * size, oldEnd) - oldAddr;
    extent = Math.min(extent, (Math.floor(newAddr / size) + 1) * size - newAddr);
    return extent;
  };
  let extent: number;
  for (; oldAddr < oldEnd; oldAddr += extent, newAddr += extent) {
    extent = extentOf(G);
    const g = Math.floor(oldAddr / G);
    if (!mm.pmdPages.has(g)) continue;
    mm.pudPages.add(Math.floor(newAddr / P));
    if (extent === G && !mm.pmdPages.has(newAddr / G)) {
      movePmdTable(mm, g, newAddr / G);
      continue;
    }
    extent = extentOf(R);
    const r = Math.floor(oldAddr / R);
    if (!mm.ptePages.has(r)) continue;
    const gNew = Math.floor(newAddr / G);
    if (!mm.pmdPages.has(gNew)) mm.addPmdTable(gNew);
    const rNew = Math.floor(newAddr / R);
    const whole = extent === R && !mm.ptePages.has(rNew);
    const kind = mm.hugePmds.get(r);
    if (kind !== undefined) {
      if (whole) {
        mm.hugePmds.delete(r);
        mm.ptePages.delete(r);
        mm.ptePages.add(rNew);
        mm.setHugePmd(rNew, kind);
        continue;
      }
      mm.splitHugePmd(r);
      if (!mm.ptePages.has(r)) continue;
    } else if (whole) {
      mm.ptePages.delete(r);
      mm.ptePages.add(rNew);
      continue;
    }
    mm.ptePages.add(rNew);
  }
  mm.pt.move(from / 4096, to / 4096, len / 4096);
  mm.flushTlb();
}

/** Linux: can_realign_addr() with can_align_down() for PMD_MASK (not the exec stack case). */
function canRealign(mm: AddressSpace, oldVma: Vma, newVma: Vma, from: number, to: number, len: number): boolean {
  const R = 0x200000;
  const oldAlign = from % R;
  if (len < R - oldAlign || oldAlign === 0 || oldAlign !== to % R) return false;
  if (oldVma.start !== from || newVma.start !== to) return false;
  return mm.tree.firstIntersecting(from - oldAlign, from) === undefined &&
    mm.tree.firstIntersecting(to - oldAlign, to) === undefined;
}

/**
 * The PMD table of 1 GiB region `g` becomes region `gNew`'s, with the PTE tables and huge PMDs
 * under it (Linux: move_normal_pud()).
 */
function movePmdTable(mm: AddressSpace, g: number, gNew: number): void {
  const shift = (gNew - g) * 512;
  const moved: number[] = [];
  for (let r = g * 512; r < (g + 1) * 512; r++) {
    if (!mm.ptePages.has(r)) continue;
    mm.ptePages.delete(r);
    moved.push(r);
  }
  for (const r of moved) {
    mm.ptePages.add(r + shift);
    const kind = mm.hugePmds.get(r);
    if (kind !== undefined) {
      mm.hugePmds.delete(r);
      mm.setHugePmd(r + shift, kind);
    }
  }
  mm.pmdPages.delete(g);
  mm.addPmdTable(gNew);
}

/**
 * Address placement: Linux's get_unmapped_area for x86-64 (spec linux-mm.md §2), exactly, so
 * an unhinted mmap lands where the kernel puts it. The gap searches are O(log n) in the VMA tree.
 */
import { Errno } from '../abi/errno.js';
import { MAP_32BIT, MAP_ABOVE4G, MAP_FIXED, MAP_SHARED } from '../abi/mman.js';
import { PMD_SIZE } from '../abi/layout.js';
import type { AddressSpace } from './address-space.js';
import { type MmFile, VM_GROWSDOWN } from './vma.js';
import { mod, pageDown, pageUp, roundUp } from '../base/pages.js';

const ENOMEM = -Errno.ENOMEM;
const PAGE = 4096;
const MAP_32BIT_LOW = 0x40000000;
const MAP_32BIT_HIGH = 0x80000000;
const FOUR_GIB = 0x100000000;

/**
 * Linux: mm/vma.c unmapped_area_topdown(): the highest fitting gap below `high`, placed at its
 * top, at least a stack guard gap below a VM_GROWSDOWN VMA.
 */
export function unmappedAreaTopdown(mm: AddressSpace, len: number, low: number, high: number): number {
  if (low < mm.mmapMinAddr) low = mm.mmapMinAddr;
  for (;;) {
    const e = mm.tree.gapTopDown(len, low, high);
    if (e < 0) return ENOMEM;
    const next = mm.tree.findNext(e);
    if (next !== undefined && (next.flags & VM_GROWSDOWN) !== 0 && mm.startGap(next) < e) {
      high = mm.startGap(next);
      continue;
    }
    return e - len;
  }
}

/** Linux: mm/vma.c unmapped_area(): the lowest fitting gap at or above `low`, placed at its bottom. */
export function unmappedArea(mm: AddressSpace, len: number, low: number, high: number): number {
  if (low < mm.mmapMinAddr) low = mm.mmapMinAddr;
  for (;;) {
    const s = mm.tree.gapBottomUp(len, low, high);
    if (s < 0) return ENOMEM;
    const next = mm.tree.findNext(s);
    if (next !== undefined && (next.flags & VM_GROWSDOWN) !== 0 && mm.startGap(next) < s + len - 1) {
      low = next.end;
      continue;
    }
    return s;
  }
}

/** Linux: arch/x86/kernel/sys_x86_64.c arch_get_unmapped_area() (bottom-up, MAP_32BIT, fallback). */
function archBottomUp(mm: AddressSpace, addr: number, len: number, flags: number): number {
  if ((flags & MAP_FIXED) !== 0) return addr;
  let begin: number;
  let end: number;
  if ((flags & MAP_32BIT) !== 0) {
    begin = MAP_32BIT_LOW;
    end = MAP_32BIT_HIGH;
  } else {
    begin = mm.mmapLegacyBase;
    end = mm.taskSize;
  }
  if (len > end) return ENOMEM;
  if (addr !== 0) {
    addr = pageUp(addr);
    const v = mm.tree.findNext(addr);
    if (end - len >= addr && (v === undefined || addr + len <= mm.startGap(v))) return addr;
  }
  return unmappedArea(mm, len, begin, end);
}

/** Linux: arch/x86/mm/mmap.c mmap_address_hint_valid(). */
function hintValid(mm: AddressSpace, addr: number, len: number): boolean {
  if (mm.taskSize - len < addr) return false;
  return (addr > mm.taskSize) === (addr + len > mm.taskSize);
}

/** Linux: arch/x86/kernel/sys_x86_64.c arch_get_unmapped_area_topdown(). */
export function archGetUnmappedArea(mm: AddressSpace, addr0: number, len: number, flags: number): number {
  if (!mm.topdown) {
    if (len > mm.taskSize) return ENOMEM;
    return archBottomUp(mm, addr0, len, flags);
  }
  if (len > mm.taskSize) return ENOMEM;
  if ((flags & MAP_FIXED) !== 0) return addr0;
  if ((flags & MAP_32BIT) !== 0) return archBottomUp(mm, addr0, len, flags);
  if (addr0 !== 0) {
    const addr = pageDown(addr0);
    if (hintValid(mm, addr, len)) {
      const v = mm.tree.findNext(addr);
      if (v === undefined || addr + len <= mm.startGap(v)) return addr;
    }
  }
  const low = (flags & MAP_ABOVE4G) !== 0 ? FOUR_GIB : PAGE;
  const r = unmappedAreaTopdown(mm, len, low, mm.mmapBase);
  if (r >= 0) return r;
  // A failed top-down search falls back to bottom-up over the legacy window.
  return archBottomUp(mm, addr0, len, flags);
}

/**
 * Linux: mm/huge_memory.c __thp_get_unmapped_area(): search for len + 2 MiB and align the result
 * to the file offset modulo 2 MiB. Returns 0 when alignment is not attempted or fails.
 */
function thpGetUnmappedArea(mm: AddressSpace, addr: number, len: number, pgoff: number, flags: number, compat: boolean): number {
  if (compat) return 0;
  const lenPad = len + PMD_SIZE;
  const off = pgoff * 4096;
  if (off + lenPad < 2 ** 53) {
    // Every value is a non-negative integer below 2^53: the kernel's 64-bit arithmetic cannot
    // wrap, and doubles compute it exactly (an anonymous mapping, pgoff 0, always lands here).
    const offAlign = off === 0 ? 0 : Math.ceil(off / PMD_SIZE) * PMD_SIZE;
    const offEnd = off + len;
    if (offEnd <= offAlign || offEnd - offAlign < PMD_SIZE) return 0;
  } else if (!thpOffsetAlignable(pgoff, len)) {
    return 0;
  }
  const ret = archGetUnmappedArea(mm, addr, lenPad, flags);
  if (ret < 0) return 0;
  if (ret === addr) return addr;
  const offSub = mod((pgoff % 512) * 4096 - ret, PMD_SIZE);
  if (mm.topdown && offSub === 0) return ret + PMD_SIZE;
  return ret + offSub;
}

/**
 * __thp_get_unmapped_area()'s offset checks in the kernel's arithmetic: loff_t (signed 64-bit,
 * wrapping) against unsigned lengths. The exact semantics matter for offsets near 2^63, so
 * they are reproduced in bigint.
 */
function thpOffsetAlignable(pgoff: number, len: number): boolean {
  const PMD = BigInt(PMD_SIZE);
  const off = BigInt.asIntN(64, BigInt(pgoff) * 4096n);
  const offEnd = BigInt.asIntN(64, off + BigInt(len));
  const offAlign = BigInt.asIntN(64, ((off - 1n) | (PMD - 1n)) + 1n);
  if (offEnd <= offAlign || BigInt.asUintN(64, offEnd - offAlign) < PMD) return false;
  const lenPad = len + PMD_SIZE;
  return BigInt.asUintN(64, off + BigInt(lenPad)) >= BigInt.asUintN(64, off);
}

export interface PlacementRequest {
  file: MmFile | null;
  addr: number;
  len: number;
  pgoff: number;
  flags: number;
  /** A 32-bit (mmap2/int 0x80) call: no THP alignment. */
  compat: boolean;
  /**
   * -errno a MAP_FIXED address within 4095 of 2^64 turns into: the method returns it unchanged
   * and IS_ERR_VALUE() takes it for an error (after the method's own checks, such as hugetlbfs
   * alignment).
   */
  fixedErr?: number;
}

/**
 * Linux: mm/mmap.c __get_unmapped_area(): pick the method by backing (spec §2.2), run it, then
 * check the result. Returns the address or -errno.
 */
export function getUnmappedArea(mm: AddressSpace, req: PlacementRequest): number {
  const { file, addr, len, flags } = req;
  if (len > mm.taskSize) return ENOMEM;
  let r: number;
  if (file !== null && file.inode.fs === 'ext4') {
    r = thpGetUnmappedArea(mm, addr, len, req.pgoff, flags, req.compat);
    if (r === 0) r = archGetUnmappedArea(mm, addr, len, flags);
  } else if (file !== null && file.inode.fs === 'hugetlbfs') {
    r = hugetlbGetUnmappedArea(mm, addr, len, flags);
  } else if (file === null && (flags & MAP_SHARED) === 0 && addr === 0 && len % PMD_SIZE === 0 && !req.compat) {
    r = thpGetUnmappedArea(mm, addr, len, 0, flags, req.compat);
    if (r === 0) r = archGetUnmappedArea(mm, addr, len, flags);
  } else {
    // shmem (shared anonymous, tmpfs, memfd) with shmem huge pages off, character devices and
    // files without a hook: the arch method.
    r = archGetUnmappedArea(mm, addr, len, flags);
  }
  if (r < 0) return r;
  if (req.fixedErr) return req.fixedErr;
  if (r > mm.taskSize - len) return ENOMEM;
  if (r % PAGE !== 0) return -Errno.EINVAL;
  // Linux: security/commoncap.c cap_mmap_addr(): the DAC floor without CAP_SYS_RAWIO.
  if (r < mm.sys.sysctl.mmapMinAddr && !mm.creds.capSysRawio) return -Errno.EPERM;
  return r;
}

/** Linux: fs/hugetlbfs/inode.c hugetlb_get_unmapped_area() for 2 MiB pages. */
function hugetlbGetUnmappedArea(mm: AddressSpace, addr: number, len: number, flags: number): number {
  if (len % PMD_SIZE !== 0) return -Errno.EINVAL;
  if ((flags & MAP_FIXED) !== 0) {
    if (addr % PMD_SIZE !== 0) return -Errno.EINVAL;
    return addr;
  }
  if (addr !== 0) {
    addr = roundUp(addr, PMD_SIZE);
    const v = mm.tree.findNext(addr);
    if (mm.taskSize - len >= addr && (v === undefined || addr + len <= mm.startGap(v))) return addr;
  }
  // The aligned search: len + align_mask, then round down within the found gap.
  if (mm.topdown) {
    const lowAddr = Math.max(PAGE, mm.mmapMinAddr);
    const e = unmappedAreaTopdown(mm, len + PMD_SIZE - PAGE, lowAddr, mm.mmapBase);
    if (e >= 0) {
      const top = e + len + PMD_SIZE - PAGE - len;
      return top - (top % PMD_SIZE);
    }
  }
  const s = unmappedArea(mm, len + PMD_SIZE - PAGE, mm.mmapLegacyBase, mm.taskSize);
  if (s < 0) return s;
  return roundUp(s, PMD_SIZE);
}

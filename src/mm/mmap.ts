/**
 * do_mmap and mmap_region: creating a mapping, with Linux's checks in Linux's order
 * (spec linux-mm.md §1.2 steps 6-19; steps 1-5 — offset alignment, the fd, MAP_HUGETLB set-up,
 * len 0 — are the syscall layer's, which sees the raw arguments).
 *
 * Linux: mm/mmap.c do_mmap(), mm/vma.c mmap_region() / __mmap_region().
 */
import { Errno } from '../abi/errno.js';
import {
  LEGACY_MAP_MASK, MAP_DROPPABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_HUGETLB,
  MAP_LOCKED, MAP_NONBLOCK, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED,
  MAP_SHARED_VALIDATE, MAP_STACK, MAP_SYNC, MAP_TYPE, PROT_EXEC, PROT_READ, RLIMIT_MEMLOCK,
} from '../abi/mman.js';
import { type AddressSpace, mlockFutureOk } from './address-space.js';
import { completeMunmap, gatherMunmap } from './munmap.js';
import { mmPopulate } from './populate.js';
import { getUnmappedArea } from './unmapped-area.js';
import { mergeNewRange } from './vma-merge.js';
import {
  type MmFile, type VmOperations, VMH_DROPPABLE, VM_ACCOUNT, VM_DONTDUMP, VM_DONTEXPAND, VM_GROWSDOWN,
  VM_HUGETLB, VM_LOCKED, VM_LOCKED_MASK, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE,
  VM_NOHUGEPAGE, VM_NORESERVE, VM_SHARED, VM_SPECIAL, VM_SYNC, VM_WIPEONFORK, VM_WRITE, type Vma,
  protToVmFlags,
} from './vma.js';

const READ_IMPLIES_EXEC = 0x0400000;

export interface MmapRequest {
  file: MmFile | null;
  /** Hint or MAP_FIXED address; values beyond the user range arrive as 2^60. */
  addr: number;
  /** PAGE_ALIGN(len): Infinity when it wrapped to 0 or exceeds every user range. */
  len: number;
  prot: number;
  flags: number;
  /** Page offset into the file. */
  pgoff: number;
  compat: boolean;
  /** -errno a MAP_FIXED address near 2^64 turns into at placement (see the syscall layer). */
  fixedErr?: number;
}

/** Linux: mm/mlock.c can_do_mlock(). */
export function canDoMlock(mm: AddressSpace): boolean {
  return mm.rlim[RLIMIT_MEMLOCK][0] !== 0n || mm.creds.capIpcLock;
}

/** Linux: include/linux/mman.h calc_vm_flag_bits(). */
function calcVmFlagBits(flags: number): number {
  return ((flags & MAP_GROWSDOWN) !== 0 ? VM_GROWSDOWN : 0) |
    ((flags & MAP_LOCKED) !== 0 ? VM_LOCKED : 0) |
    ((flags & MAP_SYNC) !== 0 ? VM_SYNC : 0) |
    ((flags & MAP_STACK) !== 0 ? VM_NOHUGEPAGE : 0);
}

/** do_mmap from step 6 on. Returns the address or -errno. */
export function doMmap(mm: AddressSpace, req: MmapRequest): number {
  const file = req.file;
  let { addr, prot, flags, pgoff } = req;
  const len = req.len;
  if ((prot & PROT_READ) !== 0 && (mm.personality & READ_IMPLIES_EXEC) !== 0) prot |= PROT_EXEC;
  if ((flags & MAP_FIXED_NOREPLACE) !== 0) flags |= MAP_FIXED;
  if ((flags & MAP_FIXED) === 0) {
    addr -= addr % 4096;
    if (addr !== 0 && addr < mm.mmapMinAddr) addr = mm.mmapMinAddr;
  }
  if (len === Infinity) return -Errno.ENOMEM;
  if (mm.mapCount > mm.sys.sysctl.maxMapCount) return -Errno.ENOMEM;

  let vmFlags = protToVmFlags(prot) | calcVmFlagBits(flags) | mm.defFlags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  let vmFlagsHi = 0;

  const placed = getUnmappedArea(mm, { file, addr, len, pgoff, flags, compat: req.compat, fixedErr: req.fixedErr });
  if (placed < 0) return placed;
  addr = placed;

  if ((flags & MAP_FIXED_NOREPLACE) !== 0 && mm.tree.firstIntersecting(addr, addr + len) !== undefined) {
    return -Errno.EEXIST;
  }
  if ((flags & MAP_LOCKED) !== 0 && !canDoMlock(mm)) return -Errno.EPERM;
  if (!mlockFutureOk(mm, vmFlags, len)) return -Errno.EAGAIN;

  if (file !== null) {
    // Linux: file_mmap_ok(): regular files keep offsets within MAX_LFS_FILESIZE.
    if (file.inode.fs !== 'chardev' && BigInt(pgoff) > (((1n << 63n) - 1n - BigInt(len)) >> 12n)) return -Errno.EOVERFLOW;
    const type = flags & MAP_TYPE;
    if (type === MAP_SHARED || type === MAP_SHARED_VALIDATE) {
      if (type === MAP_SHARED) flags &= LEGACY_MAP_MASK;
      // FOP_MMAP_SYNC (ext4, xfs) admits MAP_SYNC here; the non-DAX refusal comes from the hook.
      const mask = file.fopMmapSync ? LEGACY_MAP_MASK | MAP_SYNC : LEGACY_MAP_MASK;
      if ((flags & ~mask) !== 0) return -Errno.EOPNOTSUPP;
      if ((prot & 2) !== 0 && !file.writable) return -Errno.EACCES;
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (!file.writable) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    } else if (type !== MAP_PRIVATE) {
      return -Errno.EINVAL;
    }
    if (!file.readable) return -Errno.EACCES;
    if (!file.mmapable) return -Errno.ENODEV;
    if ((vmFlags & VM_GROWSDOWN) !== 0) return -Errno.EINVAL;
  } else {
    switch (flags & MAP_TYPE) {
      case MAP_SHARED:
        if ((vmFlags & VM_GROWSDOWN) !== 0) return -Errno.EINVAL;
        pgoff = 0;
        vmFlags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_DROPPABLE:
        if ((flags & (MAP_LOCKED | MAP_HUGETLB)) !== 0 || (vmFlags & VM_GROWSDOWN) !== 0) return -Errno.EINVAL;
        vmFlagsHi |= VMH_DROPPABLE;
        vmFlags |= VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
        pgoff = addr / 4096;
        break;
      case MAP_PRIVATE:
        pgoff = addr / 4096;
        break;
      default:
        return -Errno.EINVAL;
    }
  }
  if ((flags & MAP_NORESERVE) !== 0) {
    if (mm.sys.sysctl.overcommitMemory !== 2) vmFlags |= VM_NORESERVE;
    if (file !== null && file.inode.fs === 'hugetlbfs') vmFlags |= VM_NORESERVE;
  }
  const r = mmapRegion(mm, file, addr, len, vmFlags, vmFlagsHi, pgoff);
  if (r < 0) return r;
  if ((vmFlags & VM_LOCKED) !== 0 || (flags & (MAP_POPULATE | MAP_NONBLOCK)) === MAP_POPULATE) {
    mmPopulate(mm, addr, len, true);
  }
  return r;
}

/** Linux: mm/mmap.c accountable_mapping(). */
function isAccountable(file: MmFile | null, vmFlags: number): boolean {
  if (file !== null && file.inode.fs === 'hugetlbfs') return false;
  return (vmFlags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/**
 * Map [addr, addr+len) with the given flags, replacing whatever is there.
 * Linux: mm/vma.c __mmap_region(): gather the old VMAs, RLIMIT_AS/DATA, commit charge, the
 * file's mmap hook, merge or a new VMA, then remove the old ones and account.
 */
export function mmapRegion(mm: AddressSpace, file: MmFile | null, addr: number, len: number, vmFlags: number, vmFlagsHi: number, pgoff: number): number {
  const end = addr + len;
  const pglen = len / 4096;
  const g = gatherMunmap(mm, addr, end);
  if (typeof g === 'number') return g;
  if (!mm.mayExpandVm(vmFlags, pglen - g.nrPages)) return -Errno.ENOMEM;
  let charged = 0;
  if (isAccountable(file, vmFlags)) {
    charged = pglen - g.nrAccounted;
    if (charged !== 0 && !mm.vmEnoughMemory(charged)) return -Errno.ENOMEM;
    vmFlags |= VM_ACCOUNT;
  }
  // From here on the old range's page tables are gone (vms_clean_up_area()): a failure of the
  // file's hooks leaves a hole where the old mappings were (vms_abort_munmap_vmas()).
  const fail = (err: number): number => {
    if (charged) mm.unacct(charged);
    completeMunmap(mm, g);
    return err;
  };
  // The file system's mmap hook (ext4 refuses VM_SYNC on non-DAX files).
  if (file !== null && (vmFlags & VM_SYNC) !== 0 && file.refusesSync) return fail(-Errno.EOPNOTSUPP);
  // A device's mmap hook (call_mmap()): it may refuse, add flags and install vm operations.
  let vmOps: VmOperations | null = null;
  if (file !== null && file.mmapHook !== undefined) {
    const m = { start: addr, end, pgoff, flags: vmFlags, vmOps };
    const r = file.mmapHook(m);
    if (r < 0) return fail(r);
    vmFlags = m.flags;
    vmOps = m.vmOps;
  }
  let shmem: MmFile | null = file;
  if (file !== null && file.inode.fs === 'hugetlbfs') {
    // hugetlbfs_file_mmap(): VM_HUGETLB|VM_DONTEXPAND, then the pool reservation.
    vmFlags |= VM_HUGETLB | VM_DONTEXPAND;
    if ((vmFlags & VM_NORESERVE) === 0) {
      const freeHuge = mm.sys.sysctl.nrHugepages - mm.sys.hugePagesUsed;
      if (len / 0x200000 > freeHuge) return fail(-Errno.ENOMEM);
      mm.sys.hugePagesUsed += len / 0x200000;
    }
  } else if (file === null && (vmFlags & VM_SHARED) !== 0) {
    // shmem_zero_setup(): a new shmem object, charged unless VM_NORESERVE.
    const charge = (vmFlags & VM_NORESERVE) === 0 ? pglen : 0;
    if (charge !== 0 && !mm.vmEnoughMemory(charge)) return fail(-Errno.ENOMEM);
    shmem = mm.sys.newShmemFile('/dev/zero', len);
    shmem.inode.anonShared = { charged: charge, chargedTo: mm };
  }
  // An accountable mapping takes over the replaced VMAs' charge (vms->nr_accounted = 0);
  // removeVma() below gives it back, so charge it once more here.
  if ((vmFlags & VM_ACCOUNT) !== 0) mm.charge(g.nrAccounted);
  completeMunmap(mm, g);
  const v: Vma = mergeNewRange(mm, addr, end, {
    flags: vmFlags, flagsHi: vmFlagsHi, pgoff, file: shmem, anonName: null, anonVma: null, middle: null,
  });
  if (file !== null && file.inode.fs === 'hugetlbfs') v.special = 'hugetlb';
  if (vmOps !== null) v.vmOps = vmOps;
  if ((vmFlags & VM_LOCKED) !== 0) {
    // Linux 6.18 __mmap_complete(): !vma_supports_mlock() (special, hugetlb, droppable).
    if ((vmFlags & VM_SPECIAL) !== 0 || (vmFlags & VM_HUGETLB) !== 0 || (vmFlagsHi & VMH_DROPPABLE) !== 0) {
      mm.setFlags(v, v.flags & ~VM_LOCKED_MASK);
    } else {
      mm.lockedVm += pglen;
    }
  }
  return addr;
}


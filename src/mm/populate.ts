/**
 * Prefaulting and the anon_vma assignment a write fault implies — the page-level effects the
 * address-space engine needs for MAP_POPULATE, MAP_LOCKED/mlock, MADV_POPULATE_* and mincore.
 *
 * Linux: mm/gup.c populate_vma_page_range(), __mm_populate(); mm/rmap.c __anon_vma_prepare(),
 * find_mergeable_anon_vma().
 */
import { Errno } from '../abi/errno.js';
import { type AddressSpace, PTE_ANON, PTE_FILE, PTE_GUARD, PTE_ZERO } from './address-space.js';
import {
  type MmInode, VM_EXEC, VM_MAYSHARE, VM_IO, VM_LOCKONFAULT, VM_PFNMAP, VM_RAND_READ, VM_READ, VM_SHARED,
  VM_STICKY, VM_WRITE, type Vma,
} from './vma.js';

const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

/** Linux: mm/rmap.c anon_vma_compatible(): may b reuse a's anon_vma (a ends where b starts)? */
function anonVmaCompatible(a: Vma, b: Vma): boolean {
  return a.end === b.start && a.file === b.file && a.anonName === b.anonName &&
    ((a.flags ^ b.flags) & ~(VM_ACCESS_FLAGS | VM_STICKY)) === 0 && a.flagsHi === b.flagsHi &&
    b.pgoff === a.pgoff + (b.start - a.start) / 4096;
}

/**
 * Give `v` an anon_vma at its first anonymous page: reuse a touching neighbour's (next first,
 * then prev) when compatible and not inherited through fork, else a fresh one.
 * Linux: mm/rmap.c __anon_vma_prepare() → find_mergeable_anon_vma().
 */
export function anonVmaPrepare(mm: AddressSpace, v: Vma): void {
  if (v.anonVma !== null) return;
  const next = mm.tree.next(v);
  if (next !== undefined && anonVmaCompatible(v, next) && next.anonVma !== null && !next.anonForked) {
    v.anonVma = next.anonVma;
    return;
  }
  const prev = mm.tree.prev(v);
  if (prev !== undefined && anonVmaCompatible(prev, v) && prev.anonVma !== null && !prev.anonForked) {
    v.anonVma = prev.anonVma;
    return;
  }
  v.anonVma = { id: mm.sys.newAnonVmaId() };
}

/**
 * A page-cache miss on a file fault reads more than the page. Recorded on 6.18 with ext4 (large
 * folios) on the sparse files scenarios make: one miss brings the whole file (4 MiB seen) into
 * the cache; a model of the read-ahead window for dense files belongs to the page cache;
 * VM_RAND_READ reads the page alone; private executable mappings were observed to read only the
 * faulting pages (shared ones read like data). An empirical model, not Linux's algorithm. Linux: mm/filemap.c
 * do_sync_mmap_readahead(), page_cache_ra_order().
 */
export function readAround(inode: MmInode, index: number, vmFlags: number): void {
  inode.cached.add(index);
  if ((vmFlags & VM_RAND_READ) !== 0 || (vmFlags & (VM_EXEC | VM_MAYSHARE)) === VM_EXEC) return;
  const eofPages = Math.ceil(inode.size / 4096);
  for (let i = 0; i < eofPages; i++) inode.cached.add(i);
}

/** Whether any access is allowed (Linux: vma_is_accessible()). */
export function isAccessible(v: Vma): boolean {
  return (v.flags & VM_ACCESS_FLAGS) !== 0;
}

/**
 * How a prefault touches pages: 'populate' as mm_populate() does (a write fault for private
 * writable memory, breaking COW; a read fault otherwise), or always 'read' / 'write'
 * (MADV_POPULATE_READ / MADV_POPULATE_WRITE).
 */
export type FaultAccess = 'populate' | 'read' | 'write';

/**
 * Fault in [start, end) of one VMA as get_user_pages would. Returns 0, or -EFAULT when a page lies past the
 * end of the file (SIGBUS) or the VMA allows no access.
 */
export function faultInRange(mm: AddressSpace, v: Vma, start: number, end: number, access: FaultAccess): number {
  const write = access === 'write' || (access === 'populate' && (v.flags & (VM_WRITE | VM_SHARED)) === VM_WRITE);
  const file = v.file;
  for (let a = start; a < end; a += 4096) {
    const vpn = a / 4096;
    // A guard marker faults like unmapped memory: get_user_pages fails with EFAULT.
    if (mm.ptes.get(vpn) === PTE_GUARD) return -Errno.EFAULT;
    // The memory limit behaves as the OOM path: the fault fails, nothing is corrupted.
    if (mm.ptes.size >= mm.sys.sysctl.maxResidentPages && !mm.ptes.has(vpn)) return -Errno.ENOMEM;
    if (file === null) {
      if (write || !mm.sys.sysctl.useZeroPage) {
        if (mm.ptes.get(vpn) !== PTE_ANON) {
          anonVmaPrepare(mm, v);
          mm.ptes.set(vpn, PTE_ANON);
        }
      } else if (!mm.ptes.has(vpn)) {
        mm.ptes.set(vpn, PTE_ZERO);
      }
      continue;
    }
    const index = v.pgoff + (a - v.start) / 4096;
    const inode = file.inode;
    // do_cow_fault() prepares the anon_vma before reading the page, so even a fault that ends
    // in SIGBUS (past EOF) leaves the VMA with one.
    if (write && (v.flags & VM_SHARED) === 0) anonVmaPrepare(mm, v);
    // Past the end of the object (a shared anonymous mapping grown by mremap too): SIGBUS.
    if (index * 4096 >= inode.size) return -Errno.EFAULT;
    if (!inode.cached.has(index)) {
      if (inode.fs === 'shmem' || inode.fs === 'chardev') inode.cached.add(index);
      else readAround(inode, index, v.flags);
    }
    if (write && (v.flags & VM_SHARED) === 0) {
      if (mm.ptes.get(vpn) !== PTE_ANON) {
        anonVmaPrepare(mm, v);
        mm.ptes.set(vpn, PTE_ANON);
      }
    } else if (!mm.ptes.has(vpn)) {
      mm.ptes.set(vpn, PTE_FILE);
    }
  }
  return 0;
}

/**
 * Linux: mm/gup.c __mm_populate(): prefault every VMA of [start, start+len). With
 * `ignoreErrors` (mmap's MAP_POPULATE/MAP_LOCKED) failures are skipped; otherwise the first
 * failure is returned (mlock turns -EFAULT into -ENOMEM).
 */
export function mmPopulate(mm: AddressSpace, start: number, len: number, ignoreErrors: boolean): number {
  const end = start + len;
  let nstart = start;
  while (nstart < end) {
    const v = mm.tree.findNext(nstart);
    if (v === undefined || v.start >= end) break;
    if (nstart < v.start) nstart = v.start;
    const nend = Math.min(end, v.end);
    let r = 0;
    if ((v.flags & VM_LOCKONFAULT) !== 0 || (v.flags & (VM_IO | VM_PFNMAP)) !== 0) r = 0;
    else if (!isAccessible(v)) r = -Errno.EFAULT;
    else r = faultInRange(mm, v, nstart, nend, 'populate');
    if (r < 0 && !ignoreErrors) return r;
    nstart = nend;
  }
  return 0;
}

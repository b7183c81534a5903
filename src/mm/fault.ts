/**
 * Page faults as Linux takes them on x86-64: the user-fault entry (VMA lookup, stack growth,
 * access check) and handle_mm_fault (demand-zero, file and shmem pages, fault-around, COW).
 *
 * Faults are values here: every function returns FAULT_NONE or the FAULT_* that says which signal
 * the access raises; the data path turns them into typed errors.
 *
 * Linux: arch/x86/mm/fault.c do_user_addr_fault(), access_error(); mm/memory.c
 * handle_mm_fault(), do_anonymous_page(), do_read_fault(), do_cow_fault(), do_shared_fault(),
 * do_fault_around(), do_wp_page(); mm/mmap.c expand_downwards(), acct_stack_growth().
 */
import { RLIMIT_STACK } from '../abi/mman.js';
import {
  KIND_ANON, KIND_FILE, KIND_SHMEM, KIND_ZERO, PTE_DIRTY, PTE_EXEC, PTE_GUARD, PTE_KIND, PTE_PRESENT,
  PTE_READ, PTE_WRITE, PTE_YOUNG, makePte, pteBits, pteFrame,
} from '../mem/page-table.js';
import { FRAME_DIRTY, ZERO_FRAME } from '../mem/frames.js';
import { type AddressSpace, mlockFutureOk } from './address-space.js';
import { anonVmaPrepare } from './anon-vma.js';
import { faultReadahead, inodeFrame } from './page-cache.js';
import { folioOf, markFolioDirty } from './folio.js';
import { markerAt } from './readahead.js';
import {
  type MmInode, VM_EXEC, VM_GROWSDOWN, VM_IO, VM_LOCKED, VM_NOHUGEPAGE, VM_PFNMAP, VM_READ,
  VM_SHARED, VM_WRITE, type Vma, thpEligible,
} from './vma.js';

export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXEC = 2;
export type Access = typeof ACCESS_READ | typeof ACCESS_WRITE | typeof ACCESS_EXEC;

export const FAULT_NONE = 0;
/** SIGSEGV SEGV_MAPERR at the address: nothing mapped there (or a guard marker). */
export const FAULT_MAPERR = 1;
/** SIGSEGV SEGV_ACCERR: the VMA forbids this access. */
export const FAULT_ACCERR = 2;
/** SIGBUS BUS_ADRERR: a file page wholly past the end of the file. */
export const FAULT_SIGBUS = 3;
/** SIGSEGV SI_KERNEL with si_addr 0: a non-canonical address (#GP, not #PF). */
export const FAULT_NONCANONICAL = 4;
/** Out of memory: the frame pool's limit was reached (Linux: VM_FAULT_OOM → the OOM killer). */
export const FAULT_OOM = 5;

/** Lowest address of the kernel half (canonical with 48-bit addresses). */
const KERNEL_HALF = 0xffff800000000000;
const USER_TOP = 0x800000000000;
/** Linux: mm/memory.c fault_around_bytes (64 KiB), in pages. */
const FAULT_AROUND_PAGES = 16;

/** The PTE permission bits a VMA's flags give (x86: write and exec imply read; PROT_NONE none). */
export function vmaPtePerms(flags: number): number {
  let p = 0;
  if ((flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0) p |= PTE_READ;
  if ((flags & VM_EXEC) !== 0) p |= PTE_EXEC;
  return p;
}

/** Whether a shared writable mapping's read fault may map the page writable (no dirty tracking). */
export function sharedWritableAtRead(v: Vma): boolean {
  // ext4 tracks dirtying through page_mkwrite (vma_wants_writenotify()); shmem does not.
  return (v.flags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) && v.file !== null && v.file.inode.fs !== 'ext4';
}

/**
 * The user-mode page fault at `addr` (a number; any value ≥ 2^47 is outside user space): find the
 * VMA, grow a stack, check the access, then handle_mm_fault. Returns FAULT_*.
 */
export function handleUserFault(mm: AddressSpace, addr: number, access: Access): number {
  if (addr >= USER_TOP) return addr < KERNEL_HALF ? FAULT_NONCANONICAL : FAULT_MAPERR;
  let v = mm.tree.findNext(addr);
  if (v === undefined) return FAULT_MAPERR;
  if (v.start > addr) {
    if ((v.flags & VM_GROWSDOWN) === 0 || !expandDownwards(mm, v, addr)) return FAULT_MAPERR;
    v = mm.tree.findNext(addr)!;
  }
  if (accessError(v, access)) return FAULT_ACCERR;
  return handleMmFault(mm, v, addr, access);
}

/** Linux: arch/x86/mm/fault.c access_error(). */
export function accessError(v: Vma, access: Access): boolean {
  if (access === ACCESS_WRITE) return (v.flags & VM_WRITE) === 0;
  if (access === ACCESS_EXEC) return (v.flags & VM_EXEC) === 0;
  return (v.flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0;
}

/**
 * Grow a VM_GROWSDOWN VMA down to the page of `addr`. Linux: mm/mmap.c expand_downwards() and
 * acct_stack_growth(): the guard gap above an accessible non-stack neighbour, the anon_vma first,
 * then RLIMIT_AS/DATA, RLIMIT_STACK, RLIMIT_MEMLOCK and the commit charge.
 */
export function expandDownwards(mm: AddressSpace, v: Vma, addr: number): boolean {
  const address = addr - (addr & 4095); // exact for an integer address (its low 32 bits)
  if (address < mm.mmapMinAddr) return false;
  const prev = mm.tree.prev(v);
  if (prev !== undefined && (prev.flags & VM_GROWSDOWN) === 0 &&
      (prev.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0 && address - prev.end < mm.stackGuardGap) {
    return false;
  }
  anonVmaPrepare(mm, v);
  if (address >= v.start) return true;
  const size = v.end - address;
  const grow = (v.start - address) / 4096;
  if (grow > v.pgoff) return false;
  if (!mm.mayExpandVm(v.flags, grow)) return false;
  if (size > mm.rlimitBytes(RLIMIT_STACK)) return false;
  if (!mlockFutureOk(mm, v.flags, grow * 4096)) return false;
  if (!mm.vmEnoughMemory(grow)) return false;
  if ((v.flags & VM_LOCKED) !== 0) mm.lockedVm += grow;
  mm.vmStatAccount(v.flags, grow);
  mm.tree.setRange(v, address, v.end);
  v.pgoff -= grow;
  return true;
}

/**
 * A page resident in a start state taken from a real process (init record): an anonymous page
 * of zeroes, or the file's page. Its contents are unknown; they are the oracle's harness.
 */
export function installInitialPage(mm: AddressSpace, v: Vma, vpn: number, anon: boolean): void {
  const perms = vmaPtePerms(v.flags);
  if (anon || v.file === null) {
    const f = mm.frames.allocZeroed();
    if (f < 0) return;
    const w = (v.flags & VM_WRITE) !== 0 ? PTE_WRITE | PTE_DIRTY : 0;
    mm.setPte(vpn, makePte(f, PTE_PRESENT | perms | w | PTE_YOUNG | KIND_ANON));
    mm.frames.put(f);
    return;
  }
  const f = inodeFrame(mm, v.file.inode, v.pgoff + (vpn - v.start / 4096));
  if (f < 0) return;
  mm.setPte(vpn, makePte(f, PTE_PRESENT | perms | PTE_YOUNG | fileKind(v)));
}

function fileKind(v: Vma): number {
  // tmpfs files are shmem pages (MM_SHMEMPAGES: RssShmem), like shared anonymous memory.
  const fs = v.file!.inode.fs;
  return fs === 'shmem' || fs === 'tmpfs' ? KIND_SHMEM : KIND_FILE;
}

/**
 * Linux: mm/memory.c handle_mm_fault() for an access the VMA allows (access_error() passed),
 * after stack growth. Returns FAULT_*. `untriedRetry`: a fault that drops the mmap lock to read
 * (VM_FAULT_RETRY) is retried without FAULT_FLAG_TRIED, as __mm_populate() does (doFilePage()).
 */
export function handleMmFault(mm: AddressSpace, v: Vma, addr: number, access: Access, untriedRetry = false): number {
  const vpn = Math.floor(addr / 4096);
  // __handle_mm_fault() allocates the PUD and PMD tables above the address before any handler
  // runs, so they stay even when the fault fails (a SIGBUS past EOF); the PTE table comes
  // only with the first entry (setPte()).
  const g = Math.floor(vpn / 262144);
  if (!mm.pmdPages.has(g)) mm.addPmdTable(g);
  const pte = mm.pt.get(vpn);
  if ((pte & PTE_GUARD) !== 0) return FAULT_MAPERR;
  const write = access === ACCESS_WRITE;
  const perms = vmaPtePerms(v.flags);
  if ((pte & PTE_PRESENT) !== 0) {
    if (!write) {
      if ((pte & (PTE_READ | PTE_EXEC | PTE_YOUNG)) !== (perms | PTE_YOUNG)) {
        mm.updatePte(vpn, (pte & ~(PTE_READ | PTE_EXEC)) | perms | PTE_YOUNG);
      }
      return FAULT_NONE;
    }
    if ((pte & PTE_WRITE) === 0 && mm.hugePmds.size !== 0) {
      // wp_huge_pmd(): a write-protected huge PMD is kept only for an anonymous THP this mm
      // alone holds (do_huge_pmd_wp_page() reuses it); otherwise it is split and the write is
      // handled on the PTE level (VM_FAULT_FALLBACK). A file PMD's split clears it, so the
      // retried fault finds no PTE; the huge zero page's leaves 512 small zero-page entries, and
      // the retried fault copies one (do_wp_page() → wp_page_copy()).
      const r = Math.floor(vpn / 512);
      const kind = mm.hugePmds.get(r);
      if (kind !== undefined && !(kind === KIND_ANON && hugeFolioExclusive(mm, r))) {
        if (kind === KIND_ZERO && doHugeZeroWpPmd(mm, v, r, perms)) return FAULT_NONE;
        mm.splitHugePmd(r);
        if (kind !== KIND_ANON) return handleMmFault(mm, v, addr, access, untriedRetry);
      }
    }
    return doWpPage(mm, v, vpn, pte, perms);
  }
  if (v.vmOps !== null) return doDevicePage(mm, v, vpn, write, perms);
  if ((v.flags & (VM_PFNMAP | VM_IO)) !== 0 || v.special === 'vvar' || v.special === 'vvar_vclock') {
    // [vvar]: the kernel's live data pages, modelled as zeroes, not counted in RSS (PFN maps).
    // Pages with nothing behind them raise SIGBUS (recorded on 6.18: the time-namespace page 1
    // and arch page 3 of [vvar], the Hyper-V clock page 1 of [vvar_vclock]).
    const page = vpn - v.start / 4096;
    const backed = v.special === 'vvar_vclock' ? page === 0 : v.special === 'vvar' ? page === 0 || page === 2 : true;
    if (!backed) return FAULT_SIGBUS;
    mm.setPte(vpn, makePte(ZERO_FRAME, PTE_PRESENT | perms | PTE_YOUNG | KIND_ZERO));
    return FAULT_NONE;
  }
  if (v.special === 'vdso') return doSpecialPage(mm, v, vpn, perms);
  if (v.file === null) return doAnonymousPage(mm, v, vpn, write, perms);
  return doFilePage(mm, v, vpn, write, perms, untriedRetry);
}

/** Whether every page of the THP mapped at 2 MiB region `r` is this mapping's alone (pins aside). */
function hugeFolioExclusive(mm: AddressSpace, r: number): boolean {
  const frames = mm.frames;
  for (let p = r * 512; p < r * 512 + 512; p++) if (!frames.exclusive(pteFrame(mm.pt.get(p)))) return false;
  return true;
}

/**
 * A page of a device mapping: the driver's fault handler names the frame (Linux: __do_fault() →
 * vma->vm_ops->fault()); a shared mapping maps it, a private one maps it read-only and copies it
 * on the first write (do_cow_fault()). The driver keeps its frame; the PTE takes a reference.
 */
function doDevicePage(mm: AddressSpace, v: Vma, vpn: number, write: boolean, perms: number): number {
  const f = v.vmOps!.fault(v.pgoff + (vpn - v.start / 4096));
  if (f < 0) return FAULT_SIGBUS;
  if (write && (v.flags & VM_SHARED) === 0) {
    anonVmaPrepare(mm, v);
    const nf = mm.frames.allocCopy(f);
    if (nf < 0) return FAULT_OOM;
    mm.setPte(vpn, makePte(nf, PTE_PRESENT | perms | PTE_WRITE | PTE_DIRTY | PTE_YOUNG | KIND_ANON));
    mm.frames.put(nf);
    return FAULT_NONE;
  }
  let bits = PTE_PRESENT | perms | PTE_YOUNG | KIND_FILE;
  if (write) bits |= PTE_WRITE | PTE_DIRTY;
  else if (sharedWritableAtRead(v)) bits |= PTE_WRITE;
  mm.setPte(vpn, makePte(f, bits));
  return FAULT_NONE;
}

/** A [vdso] page: the image's bytes, one frame per page for the whole system. */
function doSpecialPage(mm: AddressSpace, v: Vma, vpn: number, perms: number): number {
  const sys = mm.sys;
  const page = vpn - v.start / 4096;
  let f = sys.vdsoFrames[page];
  if (f === undefined) {
    f = mm.frames.allocZeroed();
    if (f < 0) return FAULT_OOM;
    const img = sys.vdsoImage;
    if (img !== null && page * 4096 < img.length) {
      mm.frames.u8.set(img.subarray(page * 4096, Math.min(img.length, (page + 1) * 4096)), f * 4096);
    }
    sys.vdsoFrames[page] = f;
  }
  mm.setPte(vpn, makePte(f, PTE_PRESENT | perms | PTE_YOUNG | KIND_FILE));
  return FAULT_NONE;
}

/**
 * A fault in an empty, wholly covered 2 MiB block of a THP-eligible VMA maps a huge page (Linux:
 * do_huge_pmd_anonymous_page()): here 512 zeroed frames mapped at once, so Rss grows by 2 MiB as
 * recorded. A read fault maps the huge zero page instead where the kernel uses zero pages: 512
 * entries of the zero frame under a huge PMD, counted nowhere but in VmPTE (its deposited
 * table). False when the block does not qualify or memory runs short (a small page then).
 */
function doHugeAnonymousPage(mm: AddressSpace, v: Vma, vpn: number, write: boolean, perms: number): boolean {
  const first = vpn - (vpn % 512);
  if (first * 4096 < v.start || (first + 512) * 4096 > v.end || !thpEligible(v)) return false;
  // pmd_none(): no page table at all, not merely an empty one (a table outlives its last page
  // until free_pgtables() or PT reclaim; recorded: madvise-data/thp-fault-empty-page-table).
  if (mm.ptePages.has(Math.floor(vpn / 512))) return false;
  const sysctl = mm.sys.sysctl;
  if (!write && sysctl.useZeroPage && sysctl.thpUseZeroPage) {
    // vmf_anon_prepare() comes first, so the VMA gets its anon_vma; then set_huge_zero_folio()
    // (with pgtable_trans_huge_deposit() + mm_inc_nr_ptes()).
    anonVmaPrepare(mm, v);
    const bits = PTE_PRESENT | perms | PTE_YOUNG | KIND_ZERO;
    for (let p = first; p < first + 512; p++) mm.setPte(p, makePte(ZERO_FRAME, bits));
    mm.setHugePmd(first / 512, KIND_ZERO);
    return true;
  }
  if (mm.frames.available < 512) return false;
  anonVmaPrepare(mm, v);
  mapNewAnonThp(mm, v, first / 512, perms);
  return true;
}

/**
 * Map 2 MiB region `r` by a new anonymous THP of 512 zeroed frames, in place of whatever its
 * entries held (nothing, or the huge zero page): the caller checked that 512 frames are there.
 * Linux: __do_huge_pmd_anonymous_page() and map_anon_folio_pmd(): the PMD is made dirty whatever
 * the VMA's permissions; set_pmd_at() over a deposited page table (mm_inc_nr_ptes() for a new
 * one; the huge zero page's is kept).
 */
function mapNewAnonThp(mm: AddressSpace, v: Vma, r: number, perms: number): void {
  let bits = PTE_PRESENT | perms | PTE_YOUNG | PTE_DIRTY | KIND_ANON;
  if ((v.flags & VM_WRITE) !== 0) bits |= PTE_WRITE;
  const folio = mm.frames.newFolioId();
  for (let p = r * 512; p < r * 512 + 512; p++) {
    const f = mm.frames.allocZeroed();
    mm.setPte(p, makePte(f, bits), mm.pt.get(p));
    mm.frames.joinFolio(f, folio);
    mm.frames.put(f);
  }
  mm.setHugePmd(r, KIND_ANON);
  mm.frames.large.add(folio, mm.mmId, 512, true);
}

/**
 * A write to the huge zero page maps a new THP in its place, its deposited table kept (Linux
 * 6.13+: do_huge_pmd_wp_page() → do_huge_zero_wp_pmd() → map_anon_folio_pmd(); recorded live on
 * 6.18: a read then a write in a MADV_HUGEPAGE block leaves 2048 kB AnonHugePages). False when
 * 512 frames are not there: the caller then splits the PMD and copies one small zero page.
 */
function doHugeZeroWpPmd(mm: AddressSpace, v: Vma, r: number, perms: number): boolean {
  if (mm.frames.available < 512) return false;
  mapNewAnonThp(mm, v, r, perms);
  return true;
}

/** Linux: do_anonymous_page(). */
function doAnonymousPage(mm: AddressSpace, v: Vma, vpn: number, write: boolean, perms: number): number {
  if (doHugeAnonymousPage(mm, v, vpn, write, perms)) return FAULT_NONE;
  if (!write && mm.sys.sysctl.useZeroPage && (v.flags & VM_SHARED) === 0) {
    mm.setPte(vpn, makePte(ZERO_FRAME, PTE_PRESENT | perms | PTE_YOUNG | KIND_ZERO));
    return FAULT_NONE;
  }
  anonVmaPrepare(mm, v);
  const f = mm.frames.allocZeroed();
  if (f < 0) return FAULT_OOM;
  let bits = PTE_PRESENT | perms | PTE_YOUNG | KIND_ANON;
  if ((v.flags & VM_WRITE) !== 0) bits |= PTE_WRITE | PTE_DIRTY;
  mm.setPte(vpn, makePte(f, bits));
  mm.frames.put(f); // the PTE holds the reference now
  return FAULT_NONE;
}

/** Linux: do_read_fault() (with fault-around), do_cow_fault(), do_shared_fault(). */
function doFilePage(mm: AddressSpace, v: Vma, vpn: number, write: boolean, perms: number, untriedRetry: boolean): number {
  const inode = v.file!.inode;
  const index = v.pgoff + (vpn - v.start / 4096);
  const shared = (v.flags & VM_SHARED) !== 0;
  // do_cow_fault() prepares the anon_vma before reading the page (recorded: a COW fault past
  // EOF still leaves the VMA with one).
  if (write && !shared) anonVmaPrepare(mm, v);
  // do_read_fault() maps the cached pages around before filemap_fault() finds the page past
  // EOF (recorded: mem/faults/partial-store-eof-private).
  if (!write) faultAround(mm, v, vpn, perms);
  if (mm.pt.get(vpn) !== 0) return FAULT_NONE; // fault-around mapped it
  if (index * 4096 >= inode.size) return FAULT_SIGBUS;
  const readAhead = faultReadahead(mm, v, inode, index);
  const f = inodeFrame(mm, inode, index);
  if (f < 0) return FAULT_OOM;
  if (!write && readAhead) {
    // Reading drops the mmap lock, so the fault is retried (VM_FAULT_RETRY); the retry's
    // fault-around maps what the read brought in (recorded: mem/data/faults-pf, 7 pages; after
    // an async read-ahead, fuzz seed 50042).
    faultAround(mm, v, vpn, perms);
    if (mm.pt.get(vpn) !== 0) return FAULT_NONE;
  }
  if (readAhead && untriedRetry) {
    // __mm_populate() (MAP_POPULATE, mlock) retries the page in a new populate_vma_page_range()
    // call, without FOLL_TRIED, so the retry's filemap_fault() runs do_async_mmap_readahead() on
    // the page it finds: one mmap_miss less, and a PG_readahead mark on it (the fault-around
    // skips it) is cleared and reads the next window, which drops the lock again; the retries
    // end when the page has no mark. (Recorded: the mark page_cache_ra_unbounded() puts on the
    // faulting page when the read-around is clipped at EOF is gone after MAP_POPULATE and mlock,
    // kept after MADV_POPULATE_*, whose __get_user_pages_locked() retries with FOLL_TRIED:
    // fileio/residency/populate-retry-clears-eof-mark, mlock-retry-clears-eof-mark-*.)
    while (faultReadahead(mm, v, inode, index)) {
      if (write) continue;
      faultAround(mm, v, vpn, perms);
      if (mm.pt.get(vpn) !== 0) return FAULT_NONE;
    }
  }
  if (write && !shared) {
    const nf = mm.frames.allocCopy(f);
    if (nf < 0) return FAULT_OOM;
    mm.setPte(vpn, makePte(nf, PTE_PRESENT | perms | PTE_WRITE | PTE_DIRTY | PTE_YOUNG | KIND_ANON));
    mm.frames.put(nf);
    return FAULT_NONE;
  }
  let bits = PTE_PRESENT | perms | PTE_YOUNG | fileKind(v);
  if (write) bits |= PTE_WRITE | PTE_DIRTY;
  else if (sharedWritableAtRead(v)) bits |= PTE_WRITE;
  if (mapPmdFolio(mm, v, vpn, inode, index, bits)) {
    if (write) markFolioDirty(mm.frames, inode, index);
    return FAULT_NONE;
  }
  if (mapWholeFolio(mm, v, vpn, inode, index, bits)) {
    if (write) {
      const fo = folioOf(inode, index)!;
      for (let i = fo[0]; i < fo[0] + fo[1]; i++) {
        mm.frames.flags[inode.pages.get(i)!] = FRAME_DIRTY;
        if (inode.fs === 'ext4') (inode.blocks ??= new Set()).add(i);
      }
      markFolioDirty(mm.frames, inode, index);
    }
    return FAULT_NONE;
  }
  mm.setPte(vpn, makePte(f, bits));
  // do_shared_fault() → fault_dirty_shared_page(): the page itself is dirty now; page_mkwrite
  // gave a hole its block.
  if (write) {
    mm.frames.flags[f] = FRAME_DIRTY;
    markFolioDirty(mm.frames, inode, index);
    if (inode.fs === 'ext4') (inode.blocks ??= new Set()).add(index);
  }
  return FAULT_NONE;
}

/**
 * The page the file folio `fo` (holding file page `index`, mapped at page `vpn`) starts at in
 * VMA `v`, when the whole folio lies inside the VMA and one page table; else -1. Both 6.18 rules
 * that map a large folio whole need this (finish_fault(), filemap_map_folio_range()).
 */
function folioPteStart(v: Vma, vpn: number, index: number, fo: [number, number]): number {
  const p0 = vpn - (index - fo[0]);
  const vmaFirst = v.start / 4096;
  if (p0 < vmaFirst || p0 + fo[1] > vmaFirst + v.pages) return -1;
  return Math.floor(p0 / 512) === Math.floor((p0 + fo[1] - 1) / 512) ? p0 : -1;
}

/**
 * finish_fault() (6.18, "try to map the entire file folio"): the faulting page's large folio is
 * mapped whole, every PTE with the fault's bits, when it lies inside the VMA and one page table,
 * ends no later than the file's last page, and none of its PTEs is set; otherwise only the page
 * is (recorded: fileio/residency/folio-whole-at-eof maps both pages of an order-1 folio that
 * fault-around leaves alone). False when it does not apply.
 */
function mapWholeFolio(mm: AddressSpace, v: Vma, vpn: number, inode: MmInode, index: number, bits: number): boolean {
  const fo = folioOf(inode, index);
  if (fo === undefined || fo[1] < 2) return false;
  const n = fo[1];
  const p0 = folioPteStart(v, vpn, index, fo);
  if (p0 < 0 || Math.ceil(inode.size / 4096) < fo[0] + n) return false;
  for (let k = 0; k < n; k++) if (mm.pt.get(p0 + k) !== 0 || !inode.cached.has(fo[0] + k)) return false;
  for (let k = 0; k < n; k++) {
    const f = inodeFrame(mm, inode, fo[0] + k);
    if (f < 0) return false;
  }
  for (let k = 0; k < n; k++) mm.setPte(p0 + k, makePte(inode.pages.get(fo[0] + k)!, bits));
  return true;
}

/**
 * finish_fault() → do_set_pmd(): with no page table under the fault yet, a page of a 2 MiB folio
 * whose file offset lines up with the VMA's 2 MiB block is mapped by one PMD — all 512 pages at
 * once (recorded: fileio/residency/dense-512p-fault-300-rss, Rss 2048 kB). Here that is 512 PTEs
 * with the same bits. False when it does not apply.
 */
function mapPmdFolio(mm: AddressSpace, v: Vma, vpn: number, inode: MmInode, index: number, bits: number): boolean {
  if (inode.folios === undefined || mm.ptePages.has(Math.floor(vpn / 512))) return false;
  const fo = folioOf(inode, index);
  if (fo === undefined || fo[1] !== 512) return false;
  // thp_vma_suitable_order(): the block lies inside the VMA and file pages line up with it.
  const first = vpn - (vpn % 512);
  if (first * 4096 < v.start || (first + 512) * 4096 > v.end || (v.start / 4096 - v.pgoff) % 512 !== 0) return false;
  if (!thpEligibleFile(v)) return false;
  for (let i = 0; i < 512; i++) {
    const f = inodeFrame(mm, inode, fo[0] + i);
    if (f < 0) return false;
  }
  for (let i = 0; i < 512; i++) {
    if (mm.pt.get(first + i) !== 0) continue;
    mm.setPte(first + i, makePte(inode.pages.get(fo[0] + i)!, bits & ~(first + i === vpn ? 0 : PTE_DIRTY)));
  }
  mm.setHugePmd(first / 512, bits & PTE_KIND);
  return true;
}

/** THP may map this VMA's file pages (not disabled by MADV_NOHUGEPAGE or prctl). */
function thpEligibleFile(v: Vma): boolean {
  return (v.flags & VM_NOHUGEPAGE) === 0;
}

/**
 * Map the cached pages around a read fault (Linux: do_fault_around() → filemap_map_pages()): the
 * 16-page-aligned window of the page table holding the fault, clipped to the VMA, the 2 MiB
 * page-table page and the end of the file, pages already in the page cache only.
 */
function faultAround(mm: AddressSpace, v: Vma, vpn: number, perms: number): void {
  const inode = v.file!.inode;
  const pteOff = vpn % 512;
  const vmaOff = vpn - v.start / 4096;
  const from = Math.max(pteOff - (pteOff % FAULT_AROUND_PAGES), pteOff - Math.min(pteOff, vmaOff));
  const to = Math.min(from + FAULT_AROUND_PAGES, 512, pteOff + v.pages - vmaOff);
  const eofPages = Math.ceil(inode.size / 4096);
  const kind = fileKind(v);
  const wr = sharedWritableAtRead(v) ? PTE_WRITE : 0;
  const marks = inode.raMarks !== undefined && inode.raMarks.size !== 0;
  if (!mm.ptePages.has(Math.floor(vpn / 512))) {
    // No page-table page here yet: filemap_map_pages() installs one only when the first
    // up-to-date page of the window is not the file's last page, or for shmem; otherwise it
    // maps nothing (recorded: a fault past EOF of a 1-page file in a fresh 2 MiB region maps
    // no neighbour; fuzz seed 40161 for shmem).
    let first = -1;
    for (let i = from; i < to; i++) {
      const index = v.pgoff + (vpn - pteOff + i - v.start / 4096);
      if (index < eofPages && inode.cached.has(index) && !(marks && markerAt(inode, index))) { first = index; break; }
    }
    if (first < 0 && kind !== KIND_SHMEM) return;
    const fo = first < 0 ? undefined : folioOf(inode, first);
    if (kind !== KIND_SHMEM && (fo !== undefined ? fo[0] + fo[1] : first + 1) > eofPages - 1) return;
    // filemap_map_pmd(): a 2 MiB folio is mapped whole by the new PMD (shmem too: a folio
    // MADV_COLLAPSE made; recorded: madvise-collapse/shmem-collapse-probe, a forked child).
    if (fo !== undefined && fo[1] === 512 && mapPmdFolio(mm, v, vpn, inode, first, PTE_PRESENT | perms | wr | PTE_YOUNG | kind)) return;
  }
  const bits = PTE_PRESENT | perms | wr | PTE_YOUNG | kind;
  const vmaFirst = v.start / 4096;
  for (let i = from; i < to; i++) {
    const p = vpn - pteOff + i;
    const index = v.pgoff + (p - vmaFirst);
    // next_uptodate_folio() passes over PG_readahead folios: the fault on them reads ahead.
    if (index >= eofPages || !inode.cached.has(index) || (marks && markerAt(inode, index))) continue;
    const fo = folioOf(inode, index);
    if (fo !== undefined) {
      // filemap_map_folio_range() (6.18, "map entire large folio faultaround"): a large folio
      // the window reaches is mapped whole when it lies inside the VMA and one page table and
      // ends before the file's last page (recorded: an order-1 folio at file page 0 is mapped
      // whole by a window that starts at page 1), a shmem one whatever i_size (can_map_large;
      // entries already there, guard markers included, are passed over: fuzz seed 3300166).
      const p0 = folioPteStart(v, p, index, fo);
      if (p0 >= 0 && (kind === KIND_SHMEM || eofPages - 1 >= fo[0] + fo[1])) {
        for (let k = 0; k < fo[1]; k++) {
          if (mm.pt.get(p0 + k) !== 0 || !inode.cached.has(fo[0] + k)) continue;
          const f = inodeFrame(mm, inode, fo[0] + k);
          if (f < 0) return;
          mm.setPte(p0 + k, makePte(f, bits));
        }
        i += fo[0] + fo[1] - 1 - index; // past the folio
        continue;
      }
    }
    if (mm.pt.get(p) !== 0) continue;
    const f = inodeFrame(mm, inode, index);
    if (f < 0) return;
    mm.setPte(p, makePte(f, bits));
  }
}

/** Linux: do_wp_page(): a write to a present page without write permission. */
function doWpPage(mm: AddressSpace, v: Vma, vpn: number, pte: number, perms: number): number {
  if ((pte & PTE_WRITE) !== 0) {
    if ((pte & (PTE_DIRTY | PTE_YOUNG)) !== (PTE_DIRTY | PTE_YOUNG)) mm.updatePte(vpn, pte | PTE_DIRTY | PTE_YOUNG);
    return FAULT_NONE;
  }
  const frames = mm.frames;
  const f = pteFrame(pte);
  const kind = pte & PTE_KIND;
  if ((v.flags & VM_SHARED) !== 0) {
    // wp_page_shared(): page_mkwrite, then the same page becomes writable and dirty.
    mm.updatePte(vpn, (pte & ~(PTE_READ | PTE_EXEC)) | perms | PTE_WRITE | PTE_DIRTY | PTE_YOUNG);
    frames.flags[f] = FRAME_DIRTY;
    if (kind === KIND_FILE && v.file !== null && v.file.inode.fs === 'ext4') {
      const index = v.pgoff + (vpn - v.start / 4096);
      (v.file.inode.blocks ??= new Set()).add(index);
      markFolioDirty(frames, v.file.inode, index);
    }
    return FAULT_NONE;
  }
  // An anonymous page mapped only here is reused in place (wp_can_reuse_anon_folio()). A page of
  // a large folio only when the folio is not maybe-shared (the mm-id bit may outlast the other
  // processes' mappings) and more than this page of it is mapped: a folio down to one mapped
  // page is given up (__wp_can_reuse_large_anon_folio()).
  const folio = frames.folio[f];
  if (kind === KIND_ANON && frames.exclusive(f) &&
      (folio === 0 || (frames.large.total(folio) > 1 && !frames.large.maybeShared(folio)))) {
    mm.updatePte(vpn, (pte & ~(PTE_READ | PTE_EXEC)) | perms | PTE_WRITE | PTE_DIRTY | PTE_YOUNG);
    return FAULT_NONE;
  }
  anonVmaPrepare(mm, v);
  const nf = kind === KIND_ZERO ? frames.allocZeroed() : frames.allocCopy(f);
  if (nf < 0) return FAULT_OOM;
  mm.setPte(vpn, makePte(nf, PTE_PRESENT | perms | PTE_WRITE | PTE_DIRTY | PTE_YOUNG | KIND_ANON), pte);
  frames.put(nf);
  return FAULT_NONE;
}

/**
 * FAULT_FLAG_UNSHARE: a read-only pin of a private anonymous page that is not exclusive
 * (gup_must_unshare()) first gives this address space a copy of its own (wp_page_copy()), so a
 * later write fault cannot replace the pinned page. The copy is mapped as the old page was, and
 * neither writable nor dirty (wp_page_copy() marks only a write's copy dirty). The zero page is
 * not anonymous and is pinned as it is.
 */
export function unshareAnonPage(mm: AddressSpace, vpn: number): number {
  let pte = mm.pt.get(vpn);
  const frames = mm.frames;
  if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON || frames.exclusive(pteFrame(pte))) return FAULT_NONE;
  // do_huge_pmd_wp_page(): a shared THP is split and the page unshared on the PTE level.
  if (mm.hugePmds.get(Math.floor(vpn / 512)) === KIND_ANON) {
    mm.splitHugePmd(Math.floor(vpn / 512));
    pte = mm.pt.get(vpn);
  }
  const nf = frames.allocCopy(pteFrame(pte));
  if (nf < 0) return FAULT_OOM;
  mm.setPte(vpn, makePte(nf, (pteBits(pte) & ~(PTE_WRITE | PTE_DIRTY)) | PTE_YOUNG), pte);
  frames.put(nf);
  return FAULT_NONE;
}

/**
 * One address space (Linux's struct mm_struct): the VMA tree, the layout parameters fixed at exec,
 * the page counters of /proc/<pid>/status, the limits, and the residency of pages (what mincore
 * reports until the memory layer replaces it with real page tables).
 *
 * The operations live in one file each (mmap.ts, munmap.ts, ...); this file owns the state and
 * the primitive edits every operation is built from, each keeping the counters exact.
 */
import { RLIMIT_AS, RLIMIT_DATA, RLIM_NLIMITS } from '../abi/mman.js';
import { PAGE_SIZE, RLIM_INFINITY, TASK_SIZE } from '../abi/layout.js';
import { RangeTree } from '../tree/range-tree.js';
import { type Creds, MmSystem, defaultCreds } from './config.js';
import { Residency } from './residency.js';
import {
  VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SHARED, VM_WRITE, Vma,
} from './vma.js';

/** Page residency of one virtual page (mincore), until the memory layer owns page tables. */
export const PTE_ZERO = 1; // read fault on private anonymous memory: the shared zero page
export const PTE_ANON = 2; // a private anonymous page (write fault, COW copy)
export const PTE_FILE = 3; // a page-cache page mapped by a file or shmem VMA
export const PTE_GUARD = 4; // a guard marker (MADV_GUARD_INSTALL): faults like unmapped memory

export class AddressSpace {
  readonly sys: MmSystem;
  readonly tree = new RangeTree<Vma>();
  creds: Creds;

  // Layout, fixed at exec (spec §2.1).
  taskSize = TASK_SIZE;
  mmapBase = 0x7ffff7fff000;
  mmapLegacyBase = 0x2aaaaaaab000;
  topdown = true;
  personality = 0x40000;

  startCode = 0;
  endCode = 0;
  startData = 0;
  endData = 0;
  startBrk = 0;
  brk = 0;
  startStack = 0;
  /** mlockall(MCL_FUTURE) state: VM_LOCKED / VM_LOCKONFAULT for every later mapping. */
  defFlags = 0;

  // Counters in pages (Linux: mm_struct total_vm ... pinned_vm).
  totalVm = 0;
  dataVm = 0;
  execVm = 0;
  stackVm = 0;
  lockedVm = 0;
  pinnedVm = 0;
  hiwaterVm = 0;
  hiwaterRss = 0;
  /** Pages this mm charged to the commit counter (VM_ACCOUNT VMAs and shmem objects it made). */
  committedPages = 0;
  /**
   * locked_vm minus the recount from VM_LOCKED VMAs: mremap(MREMAP_DONTUNMAP) of a locked VMA
   * leaves locked_vm counting the old range too (spec §4.3), which Linux never corrects.
   */
  lockedVmSkew = 0;
  /** VmPTE of the start state, in bytes (page-table pages are not modelled yet). */
  ptBytesBase = 0;

  /** rlimits as [cur, max] u64 pairs, indexed by RLIMIT_*. */
  readonly rlim: [bigint, bigint][] = [];

  /** vpn -> PTE_* for pages resident through this mm's page tables. */
  readonly ptes = new Residency();

  constructor(sys: MmSystem, creds: Creds = defaultCreds()) {
    this.sys = sys;
    this.creds = creds;
    for (let i = 0; i < RLIM_NLIMITS; i++) this.rlim.push([RLIM_INFINITY, RLIM_INFINITY]);
  }

  get mapCount(): number {
    return this.tree.size;
  }

  /** rlimit(res) >> PAGE_SHIFT, as a number (RLIM_INFINITY gives 2^52 - 1). Cached: hot path. */
  rlimitPages(res: number): number {
    const cur = this.rlim[res][0];
    if (this.rlimSrc[res] !== cur) {
      this.rlimSrc[res] = cur;
      this.rlimPagesCache[res] = Number(cur >> 12n);
    }
    return this.rlimPagesCache[res];
  }

  private readonly rlimSrc: bigint[] = [];
  private readonly rlimPagesCache: number[] = [];

  rlimitBytes(res: number): number {
    const v = this.rlim[res][0];
    return v >= 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  /** The effective floor for hints and searches: max(vm.mmap_min_addr, LSM floor). */
  get mmapMinAddr(): number {
    return Math.max(this.sys.sysctl.mmapMinAddr, this.sys.sysctl.lsmMmapMinAddr);
  }

  get stackGuardGap(): number {
    return this.sys.sysctl.stackGuardGap;
  }

  /** Linux: include/linux/mm.h vm_start_gap(). */
  startGap(v: Vma): number {
    if ((v.flags & VM_GROWSDOWN) === 0) return v.start;
    const g = v.start - this.stackGuardGap;
    return g < 0 ? 0 : g;
  }

  // ---- counters ----

  /**
   * Linux: mm/mmap.c vm_stat_account(): exec, then stack, then data; total_vm separately.
   */
  vmStatAccount(flags: number, npages: number): void {
    this.totalVm += npages;
    if ((flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) === VM_EXEC) this.execVm += npages;
    else if ((flags & VM_GROWSDOWN) !== 0) this.stackVm += npages;
    else if ((flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE) this.dataVm += npages;
  }

  /** Linux: mm/mmap.c may_expand_vm(): RLIMIT_AS, then RLIMIT_DATA for data mappings. */
  mayExpandVm(flags: number, npages: number): boolean {
    if (this.totalVm + npages > this.rlimitPages(RLIMIT_AS)) return false;
    if ((flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE &&
        this.dataVm + npages > this.rlimitPages(RLIMIT_DATA)) {
      // The Valgrind workaround: a zero soft limit is checked against the hard limit.
      if (this.rlim[RLIMIT_DATA][0] === 0n && this.dataVm + npages <= Number(this.rlim[RLIMIT_DATA][1] >> 12n)) return true;
      return false;
    }
    return true;
  }

  /** hiwater_vm is raised just before total_vm is lowered (Linux: update_hiwater_vm()). */
  updateHiwaterVm(): void {
    if (this.totalVm > this.hiwaterVm) this.hiwaterVm = this.totalVm;
  }

  /**
   * Linux: mm/util.c __vm_enough_memory(): charge `pages` to the commit counter, or refuse.
   */
  vmEnoughMemory(pages: number): boolean {
    const sc = this.sys.sysctl;
    const mode = sc.overcommitMemory;
    if (mode === 1) { this.charge(pages); return true; }
    if (mode === 0) {
      if (pages > sc.memTotalKb / 4 + sc.swapTotalKb / 4) return false;
      this.charge(pages);
      return true;
    }
    // OVERCOMMIT_NEVER
    let allowed: number;
    if (sc.overcommitKbytes) allowed = Math.floor(sc.overcommitKbytes / 4);
    else allowed = Math.floor(((sc.memTotalKb / 4 - sc.nrHugepages * 512) * sc.overcommitRatio) / 100);
    allowed += Math.floor(sc.swapTotalKb / 4);
    if (!this.creds.capSysAdmin) allowed -= Math.floor(sc.adminReserveKbytes / 4);
    const reserve = Math.floor(sc.userReserveKbytes / 4);
    allowed -= Math.min(Math.floor(this.totalVm / 32), reserve);
    if (this.sys.sysctl.committedBase + this.sys.committed + pages <= allowed) {
      this.charge(pages);
      return true;
    }
    return false;
  }

  charge(pages: number): void {
    this.committedPages += pages;
    this.sys.committed += pages;
  }

  unacct(pages: number): void {
    this.committedPages -= pages;
    this.sys.committed -= pages;
  }

  // ---- primitive tree edits (counters kept by the callers named in each) ----

  /** Insert a new VMA and account it (total/data/exec/stack; locked by the caller). */
  insertVma(v: Vma): void {
    this.tree.insert(v);
    this.vmStatAccount(v.flags, v.pages);
  }

  /**
   * Remove a whole VMA: counters, commit charge, locked_vm, residency.
   * Callers run updateHiwaterVm() once before a batch of removals.
   */
  removeVma(v: Vma): void {
    this.tree.remove(v);
    this.vmStatAccount(v.flags, -v.pages);
    if ((v.flags & VM_LOCKED) !== 0) this.lockedVm -= v.pages;
    if ((v.flags & VM_ACCOUNT) !== 0) this.unacct(v.pages);
    this.zapRange(v.start, v.end);
  }

  /**
   * Split `v` at `addr` (strictly inside): `v` keeps the lower part, the returned VMA is the
   * upper part. No count or may_split checks here (Linux: __split_vma() after its callers'
   * checks). Counters are unchanged: the pages and flags are the same.
   */
  splitAt(v: Vma, addr: number): Vma {
    const upper = v.cloneRange(addr, v.end);
    this.tree.setRange(v, v.start, addr);
    this.tree.insert(upper);
    return upper;
  }

  /** Change a VMA's flags, moving its pages between the status classes. */
  setFlags(v: Vma, flags: number, flagsHi: number = v.flagsHi): void {
    this.vmStatAccount(v.flags, -v.pages);
    v.flags = flags | 0;
    v.flagsHi = flagsHi | 0;
    this.vmStatAccount(v.flags, v.pages);
  }

  /**
   * Forget the residency of [start, end): munmap, DONTNEED. Guard markers survive a zap unless
   * `dropGuards` (munmap, MADV_GUARD_REMOVE) — Linux: zap_page_range_single() keeps PTE markers.
   */
  zapRange(start: number, end: number, dropGuards = true): void {
    this.ptes.deleteIn(start / PAGE_SIZE, end / PAGE_SIZE, dropGuards ? -1 : PTE_GUARD);
  }

  /** Every VMA in address order. */
  vmas(): Vma[] {
    return this.tree.toArray();
  }
}

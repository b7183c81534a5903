/**
 * One address space (Linux's struct mm_struct): the VMA tree, the layout parameters fixed at exec,
 * the page counters of /proc/<pid>/status, the limits, the page table and the software TLBs that
 * cache it.
 *
 * The operations live in one file each (mmap.ts, munmap.ts, ...); this file owns the state and
 * the primitive edits every operation is built from, each keeping the counters exact.
 */
import { RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK, RLIM_NLIMITS } from '../abi/mman.js';
import { PAGE_SIZE, RLIM_INFINITY, TASK_SIZE } from '../abi/layout.js';

/** The span of one page-table page. */
const PMD_BYTES = 0x200000;
/** x86's tlb_single_page_flush_ceiling: a longer range flushes the whole TLB. */
const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;
import { VmaTree } from './vma-tree.js';
import { type Creds, MmSystem, defaultCreds } from './config.js';
import { FRAME_DIRTY, FRAME_REFERENCED, type FramePool, ZERO_FRAME } from '../mem/frames.js';
import {
  KIND_ANON, KIND_ZERO, KIND_FILE, KIND_SHMEM, PTE_DIRTY, PTE_KIND, PTE_PRESENT, PTE_YOUNG, PageTable, pteFrame,
} from '../mem/page-table.js';
import {
  VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SHARED, VM_WRITE, Vma,
} from './vma.js';

/**
 * A cache of this address space's translations (a software TLB). The mm flushes every holder
 * whenever a PTE is removed, downgraded or replaced (Linux: flush_tlb_range()).
 */
export interface TlbHolder {
  flush(): void;
  /** Drop the translations of one page (Linux: flush_tlb_page()). */
  flushPage(vpn: number): void;
}

/**
 * The page-cache flags a file or shmem page takes from a PTE that stops mapping it
 * (zap_present_folio_ptes()): dirty from a dirty PTE, accessed from a young one
 * (folio_mark_accessed()).
 */
function cacheFlagsOf(pte: number): number {
  return ((pte & PTE_DIRTY) !== 0 ? FRAME_DIRTY : 0) | ((pte & PTE_YOUNG) !== 0 ? FRAME_REFERENCED : 0);
}

/** Linux: mm/mmap.c mlock_future_ok(). */
export function mlockFutureOk(mm: AddressSpace, vmFlags: number, bytes: number): boolean {
  if ((vmFlags & VM_LOCKED) === 0 || mm.creds.capIpcLock) return true;
  return bytes / 4096 + mm.lockedVm <= mm.rlimitPages(RLIMIT_MEMLOCK);
}

export class AddressSpace {
  readonly sys: MmSystem;
  /** Names this mm in the mm-id slots of large folios (Linux: mm_struct.mm_id). */
  readonly mmId: number;
  readonly tree: VmaTree = new VmaTree(this);
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
  /**
   * VmPTE bytes beyond the page tables modelled here (ptePages, pmdPages, pudPages): 0 for a
   * start state the kernel oracle recorded (its tables are rebuilt with its pages); for one of
   * another origin, the difference between its recorded VmPTE and what was rebuilt. See
   * pgtablesBytes().
   */
  ptBytesBase = 0;

  /** rlimits as [cur, max] u64 pairs, indexed by RLIMIT_*. */
  readonly rlim: [bigint, bigint][] = [];

  /** The page table: vpn → PTE (src/mem/page-table.ts). */
  readonly pt = new PageTable();
  /**
   * The 2 MiB regions (vpn >> 9) that have a page-table page in Linux's terms: one appears with
   * the first entry installed there and stays, even empty, until no VMA covers any of the region
   * (free_pgtables()). `pt` frees empty leaves at once, so it cannot tell. Fault-around needs it
   * (filemap_map_pages() maps nothing without one in some cases).
   */
  readonly ptePages = new Set<number>();
  /**
   * The 1 GiB regions (vpn >> 18) that have a PMD table: one appears with the first page-table
   * page below it and stays until no VMA covers any of the region (free_pmd_range()). It tells
   * MADV_COLLAPSE's SCAN_PMD_NULL (no table: the block is passed over) from SCAN_PMD_NONE (a
   * table whose entry is empty: the scan ends).
   */
  readonly pmdPages = new Set<number>();
  /**
   * The 512 GiB regions (vpn / 2^27) that have a PUD table: one appears with the first PMD table
   * below it and stays until no VMA covers any of the region (free_pud_range(), with the same
   * floor and ceiling as free_pmd_range()). With 4-level paging the P4D level is folded into the
   * PGD, which mm_pgtables_bytes() does not count.
   */
  readonly pudPages = new Set<number>();
  /**
   * The 2 MiB regions (vpn >> 9) mapped by a huge PMD, with the PTE kind of the folio it maps
   * (KIND_ANON: an anonymous THP from a huge-page fault or MADV_COLLAPSE; KIND_FILE/KIND_SHMEM:
   * do_set_pmd() of a 2 MiB page-cache folio). The PMD's 512 pages are still 512 entries of
   * `pt` (so every walk sees them) and the region is in `ptePages` (it is not pmd_none()); this
   * tells smaps (AnonHugePages, FilePmdMapped, ShmemPmdMapped: smaps_pmd_entry()) and VmPTE
   * apart: an anonymous huge PMD has a deposited page table that counts in nr_ptes
   * (pgtable_trans_huge_deposit() + mm_inc_nr_ptes() in __do_huge_pmd_anonymous_page(),
   * collapse_huge_page(), copy_huge_pmd()); a file one has none on x86 (do_set_pmd(): no
   * arch_needs_pgtable_deposit()). Removed by splitHugePmd() and zaps.
   */
  readonly hugePmds = new Map<number, number>();
  /** Resident pages by kind (Linux: MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES). */
  rssAnon = 0;
  rssFile = 0;
  rssShmem = 0;
  /** Software TLBs caching this page table. */
  readonly tlbs = new Set<TlbHolder>();

  constructor(sys: MmSystem, creds: Creds = defaultCreds()) {
    this.sys = sys;
    this.mmId = sys.newMmId();
    this.creds = creds;
    sys.mms.add(this);
    for (let i = 0; i < RLIM_NLIMITS; i++) this.rlim.push([RLIM_INFINITY, RLIM_INFINITY]);
  }

  get frames(): FramePool {
    return this.sys.frames;
  }

  get rss(): number {
    return this.rssAnon + this.rssFile + this.rssShmem;
  }

  /** Linux: update_hiwater_rss(), called before RSS drops. */
  updateHiwaterRss(): void {
    const rss = this.rss;
    if (rss > this.hiwaterRss) this.hiwaterRss = rss;
  }

  /**
   * unmapPte() for the present entries of leaf[lo..hi) (zapRange()'s page-table walk hands over
   * a leaf at a time), with the RSS counters summed once.
   */
  private readonly unmapLeaf = (leaf: Int32Array, lo: number, hi: number): void => {
    const frames = this.frames;
    const { ref, map, flags, folio } = frames;
    // Pages of anonymous large folios leave the folio's mapcount too (rare: one test per leaf).
    const large = frames.large.size !== 0 ? frames.large : null;
    let anon = 0;
    let file = 0;
    let shmem = 0;
    for (let i = lo; i < hi; i++) {
      const pte = leaf[i];
      if ((pte & PTE_PRESENT) === 0) continue;
      const kind = pte & PTE_KIND;
      const f = pteFrame(pte);
      if (kind === KIND_ANON) {
        anon++;
        if (large !== null && folio[f] !== 0) large.sub(folio[f], this.mmId, 1);
      } else {
        if (kind === KIND_FILE) file++;
        else if (kind === KIND_SHMEM) shmem++;
        flags[f] |= cacheFlagsOf(pte);
      }
      if (f === ZERO_FRAME) continue;
      map[f]--;
      if (--ref[f] === 0) frames.release(f);
    }
    this.rssAnon -= anon;
    this.rssFile -= file;
    this.rssShmem -= shmem;
  };

  /** A present PTE was removed: its frame loses a mapping, RSS a page. */
  private readonly unmapPte = (pte: number): void => {
    this.rssAdd(pte, -1);
    if ((pte & PTE_KIND) !== KIND_ANON) this.frames.flags[pteFrame(pte)] |= cacheFlagsOf(pte);
    this.frames.unmapFrame(pteFrame(pte));
  };

  private rssAdd(pte: number, d: number): void {
    if ((pte & PTE_PRESENT) === 0) return;
    const kind = pte & PTE_KIND;
    if (kind === KIND_ANON) this.rssAnon += d;
    else if (kind === KIND_FILE) this.rssFile += d;
    else if (kind === KIND_SHMEM) this.rssShmem += d;
  }

  /**
   * Install `pte` at `vpn`, where there is no entry or only the entry `old` being replaced: the
   * frame gains a mapping, RSS counts it, and TLBs forget the old translation.
   */
  setPte(vpn: number, pte: number, old = 0): void {
    const region = Math.floor(vpn / 512);
    if (!this.ptePages.has(region)) this.addPtePage(region);
    if (old !== 0) this.dropPte(vpn, old);
    if ((pte & PTE_PRESENT) !== 0) {
      const f = pteFrame(pte);
      this.frames.mapFrame(f);
      const head = this.frames.folio[f];
      if (head !== 0) this.frames.large.add(head, this.mmId, 1);
      this.rssAdd(pte, 1);
    }
    this.pt.set(vpn, pte);
  }

  /** Change the state bits of a present PTE (same frame, same kind). */
  updatePte(vpn: number, pte: number): void {
    this.pt.set(vpn, pte);
    for (const t of this.tlbs) t.flushPage(vpn);
  }

  /** Remove the entry at `vpn` (whose value is `pte`): unmap its frame. */
  private dropPte(vpn: number, pte: number): void {
    this.pt.clear(vpn);
    if ((pte & PTE_PRESENT) !== 0) {
      this.rssAdd(pte, -1);
      const f = pteFrame(pte);
      const head = this.frames.folio[f];
      if (head !== 0) this.frames.large.sub(head, this.mmId, 1);
      this.frames.unmapFrame(f);
    }
    for (const t of this.tlbs) t.flushPage(vpn);
  }

  flushTlb(): void {
    for (const t of this.tlbs) t.flush();
  }

  /**
   * Drop the translations of pages [first, last): one page at a time for a short range, else
   * everything, as x86's flush_tlb_mm_range() does past tlb_single_page_flush_ceiling (33 pages).
   * A whole flush costs in proportion to what the TLBs hold: a one-page mprotect of a W^X code
   * page among 256 resident ones took 0.4 µs more per call that way.
   */
  flushTlbRange(first: number, last: number): void {
    if (last - first > TLB_SINGLE_PAGE_FLUSH_CEILING) {
      this.flushTlb();
      return;
    }
    for (const t of this.tlbs) for (let vpn = first; vpn < last; vpn++) t.flushPage(vpn);
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
    v.vmOps?.close?.(v);
    this.freePageTables(v.start, v.end);
    this.zapRange(v.start, v.end);
    this.releaseVma(v);
  }

  /**
   * What removing a VMA gives back besides its tree slot and pages: its counters, lock and
   * commit charge, and its file (Linux: the accounting of vms_complete_munmap_vmas() and
   * remove_vma()'s fput). exit calls this for every VMA after zapping everything and closing
   * it; removeVma() for one.
   */
  releaseVma(v: Vma): void {
    this.vmStatAccount(v.flags, -v.pages);
    if ((v.flags & VM_LOCKED) !== 0) this.lockedVm -= v.pages;
    if ((v.flags & VM_ACCOUNT) !== 0) this.unacct(v.pages);
    if (v.file !== null) {
      const inode = v.file.inode;
      if (inode.anonShared !== undefined || inode.deleted || inode.backing !== undefined) this.sys.unmappedInodes.add(inode);
      if (v.file.unmapped !== undefined) this.sys.unmappedFiles.add(v.file);
    }
  }

  /**
   * Note a page-table page for 2 MiB region `r` (vpn >> 9), and the PMD and PUD tables above it
   * (Linux: __handle_mm_fault() → pud_alloc(), pmd_alloc(), then __pte_alloc()).
   */
  addPtePage(r: number): void {
    this.ptePages.add(r);
    this.addPmdTable(Math.floor(r / 512));
  }

  /** Note a PMD table for 1 GiB region `g`, and the PUD table above it. */
  addPmdTable(g: number): void {
    this.pmdPages.add(g);
    this.pudPages.add(Math.floor(g / 512));
  }

  /**
   * Linux: mm_pgtables_bytes() (VmPTE) = (nr_ptes + nr_pmds + nr_puds) * PAGE_SIZE on x86-64
   * with 4-level paging (mm_inc_nr_ptes() in pmd_install() and the THP deposits,
   * mm_inc_nr_pmds() in __pmd_alloc(), mm_inc_nr_puds() in __pud_alloc(); the PGD is not
   * counted). A region mapped by a file huge PMD has no page table.
   */
  pgtablesBytes(): number {
    let ptes = this.ptePages.size;
    for (const [r, kind] of this.hugePmds) if (kind !== KIND_ANON && kind !== KIND_ZERO && this.ptePages.has(r)) ptes--;
    return this.ptBytesBase + (ptes + this.pmdPages.size + this.pudPages.size) * PAGE_SIZE;
  }

  /** Map 2 MiB region `r` by a huge PMD (its 512 entries are installed by the caller). */
  setHugePmd(r: number, kind: number): void {
    this.hugePmds.set(r, kind);
  }

  /**
   * Split the huge PMD of region `r`, if there is one (Linux: __split_huge_pmd() →
   * __split_huge_pmd_locked()): an anonymous THP stays mapped, by the PTEs of the table that
   * was deposited for it (nr_ptes unchanged); a file PMD is just cleared (its pages leave the
   * mapping, and the region has no table until the next fault).
   */
  splitHugePmd(r: number): void {
    const kind = this.hugePmds.get(r);
    if (kind === undefined) return;
    this.hugePmds.delete(r);
    // __split_huge_zero_page_pmd(): 512 entries of the small zero page, in the deposited table.
    if (kind === KIND_ZERO) return;
    if (kind === KIND_ANON) {
      // The PMD had one dirty and one accessed bit, kept here per entry (an access through it
      // marked one): every PTE takes them, and a dirty PMD dirties the folio (recorded: fuzz
      // seed 3000496, a child's split after its parent's store showed the rest of the THP clean).
      const pt = this.pt;
      const first = r * 512;
      let bits = 0;
      for (let p = first; p < first + 512; p++) bits |= pt.get(p) & (PTE_DIRTY | PTE_YOUNG);
      if (bits !== 0) {
        for (let p = first; p < first + 512; p++) {
          const pte = pt.get(p);
          if ((pte & bits) !== bits) pt.set(p, pte | bits);
          if ((bits & PTE_DIRTY) !== 0) this.frames.flags[pteFrame(pte)] |= FRAME_DIRTY;
        }
      }
      this.frames.large.pmdSplit(this.frames.folio[pteFrame(pt.get(first))], this.mmId);
      return;
    }
    this.zapRange(r * PMD_BYTES, (r + 1) * PMD_BYTES);
    this.ptePages.delete(r);
  }

  /** Split the huge PMD of the region holding `addr` unless `addr` is that region's start. */
  splitHugePmdAt(addr: number): void {
    if (this.hugePmds.size === 0 || addr % PMD_BYTES === 0) return;
    this.splitHugePmd(Math.floor(addr / PMD_BYTES));
  }

  /**
   * Before [start, end) is zapped: huge PMDs it covers whole go with their deposited table
   * (zap_huge_pmd() → zap_deposited_table(): the PMD is none afterwards); those it covers in
   * part are split (zap_pmd_range() → __split_huge_pmd()). With `fileOnly` (unmapping page-cache
   * pages: truncation) only file PMDs are affected.
   */
  private zapHugePmds(start: number, end: number, fileOnly: boolean): void {
    if (this.hugePmds.size === 0) return;
    const r0 = Math.floor(start / PMD_BYTES);
    const r1 = Math.ceil(end / PMD_BYTES);
    for (const [r, kind] of [...this.hugePmds]) {
      if (r < r0 || r >= r1 || (fileOnly && (kind === KIND_ANON || kind === KIND_ZERO))) continue;
      if (start <= r * PMD_BYTES && (r + 1) * PMD_BYTES <= end) {
        // zap_huge_pmd(): the PMD's mapping goes (its pages leave the folio's count in unmapLeaf()).
        if (kind === KIND_ANON) this.frames.large.pmdUnmapped(this.frames.folio[pteFrame(this.pt.get(r * 512))]);
        this.hugePmds.delete(r);
        this.ptePages.delete(r);
      } else {
        this.splitHugePmd(r);
      }
    }
  }

  /**
   * Forget the PMD tables of the 1 GiB regions of [start, end) no VMA touches any more, after
   * the VMAs of that range were removed; `next` is the first VMA above the range, if any (Linux:
   * free_pgtables() → free_pmd_range(), whose ceiling is that VMA). In the common case `next`
   * lies in the same region and no lookup is needed (a lookup here cost munmap 17%).
   */
  freePmdTables(start: number, end: number, next: Vma | undefined): void {
    if (this.pmdPages.size === 0) {
      this.freePudTables(start, end, next);
      return;
    }
    const G = PMD_BYTES * 512;
    const g0 = Math.floor(start / G);
    const g1 = Math.ceil(end / G) - 1;
    // The last region keeps its table if the VMA above reaches into it; regions in between lay
    // wholly inside the removed range.
    for (let g = g0 + 1; g <= g1; g++) {
      if (!this.pmdPages.has(g)) continue;
      if (g === g1 && next !== undefined && next.start < (g + 1) * G) continue;
      this.pmdPages.delete(g);
    }
    // The first region: the VMA above (when the range ends in it) or the one below may use it.
    if (this.pmdPages.has(g0) && !(g1 === g0 && next !== undefined && next.start < (g0 + 1) * G)) {
      const prev = this.tree.findPrevStart(start);
      if (prev === undefined || prev.end <= g0 * G) this.pmdPages.delete(g0);
    }
    this.freePudTables(start, end, next);
  }

  /**
   * The same one level up: forget the PUD tables of the 512 GiB regions of [start, end) no VMA
   * touches any more (Linux: free_p4d_range() → free_pud_range(), same floor and ceiling).
   */
  private freePudTables(start: number, end: number, next: Vma | undefined): void {
    if (this.pudPages.size === 0) return;
    const P = PMD_BYTES * 512 * 512;
    const p0 = Math.floor(start / P);
    const p1 = Math.ceil(end / P) - 1;
    for (let p = p0; p <= p1; p++) {
      if (!this.pudPages.has(p)) continue;
      if (next !== undefined && next.start < (p + 1) * P) continue;
      const prev = this.tree.findPrevStart(start);
      if (prev !== undefined && prev.end > p * P) continue;
      this.pudPages.delete(p);
    }
  }

  /**
   * Forget the page-table pages of the 2 MiB regions of [start, end) no VMA touches any more
   * (Linux: free_pgtables() → free_pgd_range(), whose floor and ceiling are the neighbouring
   * VMAs).
   */
  freePageTables(start: number, end: number): void {
    if (this.ptePages.size === 0) return;
    const first = Math.floor(start / PMD_BYTES);
    const last = Math.ceil(end / PMD_BYTES);
    const unused = (r: number): boolean => {
      const next = this.tree.findNext(r * PMD_BYTES);
      return next === undefined || next.start >= (r + 1) * PMD_BYTES;
    };
    if (last - first <= this.ptePages.size) {
      for (let r = first; r < last; r++) if (this.ptePages.has(r) && unused(r)) this.ptePages.delete(r);
    } else {
      // A huge range (a 1 GiB munmap spans 512 regions): walk the few regions that have tables
      // (deleting the current element of a Set during for-of is well defined).
      for (const r of this.ptePages) if (r >= first && r < last && unused(r)) this.ptePages.delete(r);
    }
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
    upper.vmOps?.open?.(upper);
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
   * Unmap the pages of [start, end): munmap, DONTNEED, exit. Guard markers survive a zap unless
   * `dropGuards` (munmap, MADV_GUARD_REMOVE) — Linux: zap_page_range_single() keeps PTE markers.
   */
  zapRange(start: number, end: number, dropGuards = true): void {
    if (this.pt.size === 0) return;
    this.zapHugePmds(start, end, false);
    this.updateHiwaterRss();
    const n = this.pt.clearRange(start / PAGE_SIZE, end / PAGE_SIZE, !dropGuards, this.unmapLeaf);
    if (n !== 0) this.flushTlbRange(start / PAGE_SIZE, end / PAGE_SIZE);
  }

  /** Unmap the page-cache pages mapped in [start, end), keeping private anonymous copies. */
  zapFileRange(start: number, end: number): void {
    if (this.pt.size === 0) return;
    this.zapHugePmds(start, end, true);
    this.updateHiwaterRss();
    const pt = this.pt;
    let n = 0;
    pt.forEachIn(start / PAGE_SIZE, end / PAGE_SIZE, (vpn, pte) => {
      const kind = pte & PTE_KIND;
      if ((pte & PTE_PRESENT) === 0 || (kind !== KIND_FILE && kind !== KIND_SHMEM)) return;
      pt.clear(vpn);
      this.unmapPte(pte);
      n++;
    });
    if (n !== 0) this.flushTlbRange(start / PAGE_SIZE, end / PAGE_SIZE);
  }

  /** Every VMA in address order. */
  vmas(): Vma[] {
    return this.tree.toArray();
  }
}

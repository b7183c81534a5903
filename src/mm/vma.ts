/**
 * The VMA record (Linux's struct vm_area_struct) and its VM_* flags.
 *
 * Flags live in two int32 words because JS bitwise operators work on 32 bits: `flags` holds
 * VM_* bits 0..31 exactly as Linux numbers them (bit 31, VM_MERGEABLE, makes the int32
 * negative: compare with `!== 0`, never `> 0`), `flagsHi` holds bits 32..63 shifted down by 32.
 */
import type { AddressSpace } from './address-space.js';
import type { MmSystem } from './config.js';
import type { RaState } from './readahead.js';
import type IntervalTree from '@flatten-js/interval-tree';
import { RangeNode } from '../tree/range-tree.js';
import type { VmOperations } from '../memmap/vm-operations.js';

export type { VmOperations };

export const VM_NONE = 0;
export const VM_READ = 1 << 0;
export const VM_WRITE = 1 << 1;
export const VM_EXEC = 1 << 2;
export const VM_SHARED = 1 << 3;
export const VM_MAYREAD = 1 << 4;
export const VM_MAYWRITE = 1 << 5;
export const VM_MAYEXEC = 1 << 6;
export const VM_MAYSHARE = 1 << 7;
export const VM_GROWSDOWN = 1 << 8;
export const VM_UFFD_MISSING = 1 << 9;
export const VM_PFNMAP = 1 << 10;
/** 6.18: set (sticky) on a VMA that had guard regions installed ("gu"). */
export const VM_MAYBE_GUARD = 1 << 11;
export const VM_UFFD_WP = 1 << 12;
export const VM_LOCKED = 1 << 13;
export const VM_IO = 1 << 14;
export const VM_SEQ_READ = 1 << 15;
export const VM_RAND_READ = 1 << 16;
export const VM_DONTCOPY = 1 << 17;
export const VM_DONTEXPAND = 1 << 18;
export const VM_LOCKONFAULT = 1 << 19;
export const VM_ACCOUNT = 1 << 20;
export const VM_NORESERVE = 1 << 21;
export const VM_HUGETLB = 1 << 22;
export const VM_SYNC = 1 << 23;
export const VM_ARCH_1 = 1 << 24;
export const VM_WIPEONFORK = 1 << 25;
export const VM_DONTDUMP = 1 << 26;
export const VM_SOFTDIRTY = 1 << 27;
export const VM_MIXEDMAP = 1 << 28;
export const VM_HUGEPAGE = 1 << 29;
export const VM_NOHUGEPAGE = 1 << 30;
export const VM_MERGEABLE = 1 << 31;
/** High word (bit n here is VM_* bit 32+n). */
export const VMH_UFFD_MINOR = 1 << 0; // bit 32 ("ui"); position from fs/proc/task_mmu.c
export const VMH_SHADOW_STACK = 1 << 1; // bit 33 ("ss") on x86 with user shadow stacks
export const VMH_DROPPABLE = 1 << 8; // bit 40
export const VMH_SEALED = 1 << 10; // bit 42

export const VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
/** Linux: include/linux/mm.h VM_SPECIAL — never merged, never expanded by mremap. */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
/** Flags a merge keeps from either side (Linux 6.18: VM_STICKY). */
export const VM_STICKY = VM_SOFTDIRTY | VM_MAYBE_GUARD;
/** Flags ignored when comparing neighbours for a merge (Linux: VM_IGNORE_MERGE). */
export const VM_IGNORE_MERGE = VM_STICKY;

/** VmFlags mnemonics by bit (Linux: fs/proc/task_mmu.c show_smap_vma_flags()). */
const MNEMONICS_LO: [number, string][] = [
  [VM_READ, 'rd'], [VM_WRITE, 'wr'], [VM_EXEC, 'ex'], [VM_SHARED, 'sh'], [VM_MAYREAD, 'mr'],
  [VM_MAYWRITE, 'mw'], [VM_MAYEXEC, 'me'], [VM_MAYSHARE, 'ms'], [VM_GROWSDOWN, 'gd'],
  [VM_UFFD_MISSING, 'um'], [VM_PFNMAP, 'pf'], [VM_MAYBE_GUARD, 'gu'], [VM_UFFD_WP, 'uw'], [VM_LOCKED, 'lo'], [VM_IO, 'io'],
  [VM_SEQ_READ, 'sr'], [VM_RAND_READ, 'rr'], [VM_DONTCOPY, 'dc'], [VM_DONTEXPAND, 'de'],
  [VM_LOCKONFAULT, 'lf'], [VM_ACCOUNT, 'ac'], [VM_NORESERVE, 'nr'], [VM_HUGETLB, 'ht'],
  [VM_SYNC, 'sf'], [VM_ARCH_1, 'ar'], [VM_WIPEONFORK, 'wf'], [VM_DONTDUMP, 'dd'],
  [VM_SOFTDIRTY, 'sd'], [VM_MIXEDMAP, 'mm'], [VM_HUGEPAGE, 'hg'], [VM_NOHUGEPAGE, 'nh'],
  [VM_MERGEABLE, 'mg'],
];
const MNEMONICS_HI: [number, string][] = [
  [VMH_UFFD_MINOR, 'ui'], [VMH_SHADOW_STACK, 'ss'], [VMH_DROPPABLE, 'dp'], [VMH_SEALED, 'sl'],
];

/** The VmFlags line's value, each code followed by a space as the kernel prints it. */
export function vmFlagsString(flags: number, flagsHi: number): string {
  let s = '';
  for (const [bit, m] of MNEMONICS_LO) if ((flags & bit) !== 0) s += m + ' ';
  for (const [bit, m] of MNEMONICS_HI) if ((flagsHi & bit) !== 0) s += m + ' ';
  return s;
}

/** Parse a VmFlags string (init records) back to the two flag words. Unknown codes are errors. */
export function parseVmFlags(text: string): { flags: number; flagsHi: number } {
  let flags = 0;
  let flagsHi = 0;
  for (const m of text.trim().split(/\s+/)) {
    if (m === '') continue;
    const lo = MNEMONICS_LO.find(([, n]) => n === m);
    if (lo) { flags |= lo[0]; continue; }
    const hi = MNEMONICS_HI.find(([, n]) => n === m);
    if (hi) { flagsHi |= hi[0]; continue; }
    throw new Error(`unknown VmFlags code "${m}"`);
  }
  return { flags, flagsHi };
}

/** Where a mapped file lives: decides placement (spec §2.2) and mmap refusals. */
export type FsKind = 'ext4' | 'tmpfs' | 'shmem' | 'hugetlbfs' | 'chardev' | 'other';

/** An inode as far as the mm layer needs it. */
export interface MmInode {
  major: number;
  minor: number;
  ino: number;
  /** The path maps prints (e.g. "/scratch/f", "/dev/zero"). */
  path: string;
  deleted: boolean;
  fs: FsKind;
  /** File size in bytes (for page-cache residency and SIGBUS later). */
  size: number;
  /** Page-cache residency: page indexes present in the cache (what mincore reports). */
  cached: Set<number>;
  /**
   * The file's contents by page index: frames holding data (each with one reference held here).
   * A page not in the map reads as zeroes (a hole). Until the VFS brings a backing store, this is
   * both the disk and the page cache's data; `cached` alone models residency.
   */
  pages: Map<number, number>;
  /**
   * A shared anonymous memory object (shmem_zero_setup()): it lives while a VMA maps it, and its
   * commit charge (pages, taken by `chargedTo`) goes back when it dies.
   */
  anonShared?: { charged: number; chargedTo: { unacct(pages: number): void } | null };
  /** Page-cache pages present but not up to date (mincore 0; read-ahead skips them). */
  stale?: Set<number>;
  /**
   * Its cached pages were written before the start state (a memfd a program was written into:
   * shmem pages, dirty from that write on, shmem_write_end()): a frame made for one is dirty.
   */
  writtenBefore?: boolean;
  /**
   * Where the data lives when it is not in the page cache (a host file): read on a cache miss,
   * written back from dirty pages. Without one, the page cache is the only copy (a RAM file
   * system: the scratch directory's ext4 model, tmpfs, shmem).
   */
  backing?: PageBacking;
  /**
   * Disk file systems: the pages with a block (allocated or reserved by delayed allocation);
   * the rest are holes. A write that begins on a hole dirties the page even if it copies
   * nothing (__block_write_begin_int() / folio_zero_new_buffers() mark new buffers dirty).
   */
  blocks?: Set<number>;
  /**
   * ext4's EXT4_STATE_DA_ALLOC_CLOSE: the file was truncated to 0, so closing a description of
   * it flushes its dirty pages (auto_da_alloc: ext4_release_file() → filemap_flush()).
   */
  daAllocClose?: boolean;
  /** Large folios of the page cache: first page → pages (folio.ts). */
  folios?: Map<number, number>;
  /** The folio folioOf() found last, [first page, pages]: faults and writes come in runs (folio.ts). */
  lastFolio?: [number, number];
  /** PG_readahead folios: first page → pages (read-ahead.ts). */
  raMarks?: Map<number, number>;
  /** The reverse map: every VMA in some address space's tree that maps this inode (vma-tree.ts). */
  mappings?: Map<Vma, AddressSpace>;
  /** The same VMAs by the file pages they map (the i_mmap interval tree, vma-tree.ts). */
  rmap?: IntervalTree<Vma>;
  /** Called when the inode dies (its file system frees the inode number). */
  onEvict?: () => void;
  /** Open file descriptions of the inode (the VFS counts them; an unlinked inode lives on them). */
  opens?: number;
}

/**
 * The store behind a file's page cache (a file on the host). Pages are 4096 bytes; the backing
 * store's own size is set by the VFS (setSize) before data past it is written.
 */
export interface PageBacking {
  /** Fill `dst` (4096 bytes, zeroed) with page `index`; bytes past the stored file stay zero. */
  readPage(index: number, dst: Uint8Array): void;
  /** Store `src` (at most 4096 bytes, already cut at the file size) as page `index`. */
  writePage(index: number, src: Uint8Array): void;
  /** Make the stored file `size` bytes long. */
  setSize(size: number): void;
  /** Pages [first, first+n) became a hole (MADV_REMOVE): they must read zero from now on. */
  punchHole?(first: number, n: number): void;
  /** Nothing has the file open or mapped any more (its clean pages may stay cached). */
  release?(): void;
}

/**
 * An open file description (struct file): the identity that decides merges (two open()s of one
 * inode do not merge, spec §3.1).
 */
export interface MmFile {
  readonly id: number;
  readonly inode: MmInode;
  readable: boolean;
  writable: boolean;
  append: boolean;
  /** Has an mmap method (regular files, /dev/zero...). */
  mmapable: boolean;
  /** The mmap hook refuses VM_SYNC (ext4/xfs without DAX). */
  refusesSync: boolean;
  /** FOP_MMAP_SYNC: MAP_SHARED_VALIDATE admits MAP_SYNC (ext4, xfs; not tmpfs). */
  fopMmapSync: boolean;
  /** Read-ahead state (struct file_ra_state), made on the first page-cache miss. */
  ra?: RaState | null;
  /**
   * A device file's mmap hook (f_op->mmap): may refuse the mapping (negative errno), add VM_*
   * flags and install vm operations.
   */
  mmapHook?(m: { start: number; end: number; pgoff: number; flags: number; vmOps: VmOperations | null }): number;
  /** A VMA of this file went away (its last reference may have been a mapping). */
  unmapped?(sys: MmSystem): void;
}

/**
 * anon_vma identity: a number unique in its system (MmSystem.newAnonVmaId()); only equality
 * matters. A number, not an object: fork gives every anonymous VMA of the child a new one, and
 * 10,000 small objects per fork cost more than the rest of the copy. `Vma.anonForked` marks a
 * child VMA copied by fork from a parent VMA that already had an anon_vma (its chain has more
 * than one entry, spec §3.3).
 */
export type AnonVma = number;

export type SpecialKind = 'vvar' | 'vvar_vclock' | 'vdso' | 'hugetlb' | null;


export class Vma extends RangeNode {
  flags: number;
  flagsHi: number;
  /** Page offset: into the file, or start>>12 at creation for private anonymous memory. */
  pgoff: number;
  file: MmFile | null;
  anonVma: AnonVma | null;
  anonForked: boolean;
  /** Special mapping (vdso/vvar): cannot be split or expanded. */
  special: SpecialKind;
  anonName: string | null;
  /** A device mapping's vm operations (set by the driver's mmap hook). */
  vmOps: VmOperations | null;
  /**
   * The key a file VMA is filed under in its inode's interval tree while it is in a tree,
   * [first page, last page] (vma-tree.ts); null otherwise.
   */
  rmapKey: [number, number] | null;

  constructor(start: number, end: number, flags: number, flagsHi: number, pgoff: number, file: MmFile | null) {
    super(start, end);
    this.flags = flags | 0;
    this.flagsHi = flagsHi | 0;
    this.pgoff = pgoff;
    this.file = file;
    this.anonVma = null;
    this.anonForked = false;
    this.special = null;
    this.anonName = null;
    this.vmOps = null;
    this.rmapKey = null;
  }

  get pages(): number {
    return (this.end - this.start) / 4096;
  }

  isAnonymous(): boolean {
    return this.file === null && this.special === null;
  }

  /** A copy with the same properties over [start, end) (split_vma's new half). */
  cloneRange(start: number, end: number): Vma {
    const v = allocVma(start, end, this.flags, this.flagsHi, this.pgoff + (start - this.start) / 4096, this.file);
    v.anonVma = this.anonVma;
    v.anonForked = this.anonForked;
    v.special = this.special;
    v.anonName = this.anonName;
    v.vmOps = this.vmOps;
    return v;
  }
}

/**
 * Free VMA objects, as the kernel keeps vm_area_structs in a slab cache (vm_area_cachep): a
 * process that exits gives its VMAs here and the next fork's copies come from here. Why: a
 * fork of 10,000 VMAs otherwise allocates 1.4 MB of fresh objects, and on a host that charges
 * several microseconds for every newly touched page of the JS heap that is most of the fork.
 * Only exit frees into the cache (freeVmasOfExitedMm): nothing refers to a dead process's VMAs.
 */
const vmaCache: Vma[] = [];
/** At most as many cached objects as one process may have VMAs by default (max_map_count). */
const VMA_CACHE_MAX = 65530;

/** A VMA, from the cache when it has one (every field is set as the constructor sets it). */
export function allocVma(start: number, end: number, flags: number, flagsHi: number, pgoff: number, file: MmFile | null): Vma {
  const v = vmaCache.pop();
  if (v === undefined) return new Vma(start, end, flags, flagsHi, pgoff, file);
  v.start = start;
  v.end = end;
  v.flags = flags | 0;
  v.flagsHi = flagsHi | 0;
  v.pgoff = pgoff;
  v.file = file;
  return v;
}

/**
 * Give the VMAs of an exited address space (unlinked from its tree: rtId 0) to the cache. Their
 * references are dropped now, so a cached VMA keeps no file or driver alive.
 */
export function freeVmasOfExitedMm(vmas: Vma[]): void {
  for (let i = 0; i < vmas.length && vmaCache.length < VMA_CACHE_MAX; i++) {
    const v = vmas[i];
    v.file = null;
    v.anonVma = null;
    v.anonForked = false;
    v.special = null;
    v.anonName = null;
    v.vmOps = null;
    v.rmapKey = null;
    vmaCache.push(v);
  }
}

/**
 * Every Vma field and whether a merge compares it. A new field fails to compile until someone
 * decides (STYLE §1.3.4).
 */
export const VMA_MERGE_FIELDS = {
  start: 'ignore', end: 'ignore', pgoff: 'compare', flags: 'compare', flagsHi: 'compare',
  file: 'compare', anonVma: 'compare', anonForked: 'compare', special: 'compare', anonName: 'compare',
  vmOps: 'compare', rmapKey: 'ignore', pages: 'ignore', isAnonymous: 'ignore', cloneRange: 'ignore',
} as const satisfies Record<Exclude<keyof Vma, keyof RangeNode> | 'start' | 'end', 'compare' | 'ignore'>;

/** Linux: mm/mmap.c calc_vm_prot_bits() (no pkeys). */
export function protToVmFlags(prot: number): number {
  return (prot & 7) === 0 ? 0 : ((prot & 1 ? VM_READ : 0) | (prot & 2 ? VM_WRITE : 0) | (prot & 4 ? VM_EXEC : 0));
}

/**
 * THPeligible with THP enabled=madvise: MADV_HUGEPAGE'd private anonymous memory (PROT_NONE
 * too) holding a whole aligned PMD. Linux: thp_vma_allowable_order() with
 * thp_vma_suitable_order().
 */
export function thpEligible(v: Vma): boolean {
  if (v.file !== null || v.special !== null || (v.flags & VM_SHARED) !== 0) return false;
  if ((v.flags & VM_NOHUGEPAGE) !== 0 || (v.flags & VM_HUGEPAGE) === 0 || (v.flags & VM_SPECIAL) !== 0) return false;
  return thpSuitable(v);
}

/**
 * Linux: thp_vma_suitable_order(vma, vm_end - PMD_SIZE, PMD_ORDER) as __thp_vma_allowable_orders()
 * calls it: the PMD ending at or below vm_end must start inside the VMA. For a VMA ending below
 * 2 MiB that address underflows and the kernel's u64 arithmetic calls it suitable (recorded).
 */
export function thpSuitable(v: Vma): boolean {
  const PMD = 0x200000;
  // File and shmem VMAs must map file offsets congruent to their addresses modulo 2 MiB.
  if (!v.isAnonymous() && (v.start / 4096 - v.pgoff) % 512 !== 0) return false;
  if (v.end < PMD) return true;
  return Math.floor((v.end - PMD) / PMD) * PMD >= v.start;
}

/**
 * The read model of an address space: plain records the /proc renderers, the CLI and the
 * inspector consume, so none of them reaches into the tree.
 */
import { FRAME_DIRTY, FRAME_LAZYFREE, FRAME_REFERENCED } from '../mem/frames.js';
import {
  KIND_ANON, KIND_FILE, KIND_SHMEM, KIND_ZERO, PTE_DIRTY, PTE_KIND, PTE_PRESENT, PTE_YOUNG, pteFrame,
} from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { VM_LOCKED, type Vma, thpEligible, vmFlagsString } from './vma.js';

export interface VmaInfo {
  start: number;
  end: number;
  flags: number;
  flagsHi: number;
  /** Offset printed in maps: pgoff*4096 for file-backed VMAs, 0 otherwise. */
  offset: number;
  major: number;
  minor: number;
  ino: number;
  /** The name column: a path, [heap], [stack], [vdso]..., or '' for none. */
  name: string;
  vmFlags: string;
  /** Resident pages by kind. */
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  /** The smaps memory figures (Linux: struct mem_size_stats). */
  mem: SmapsMem;
  thpEligible: boolean;
}

/**
 * Linux: fs/proc/task_mmu.c struct mem_size_stats, in pages, except the Pss sums, which are in
 * bytes << PSS_SHIFT (12) as the kernel keeps them so each page adds 4096 << 12 / mapcount.
 */
export interface SmapsMem {
  resident: number;
  referenced: number;
  anonymous: number;
  lazyFree: number;
  sharedClean: number;
  sharedDirty: number;
  privateClean: number;
  privateDirty: number;
  pss: number;
  pssDirty: number;
  pssAnon: number;
  pssFile: number;
  pssShmem: number;
  pssLocked: number;
  /** Pages mapped by huge PMDs: anonymous THPs (AnonHugePages), shmem and file folios. */
  anonHuge: number;
  shmemPmd: number;
  filePmd: number;
}

export const PSS_SHIFT = 12;
/** Whether LazyFree counts MADV_FREE'd pages (off: the kernel shows them only after a drain). */
const LAZYFREE_SHOWN = false;

function emptyMem(): SmapsMem {
  return {
    resident: 0, referenced: 0, anonymous: 0, lazyFree: 0, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0,
    pss: 0, pssDirty: 0, pssAnon: 0, pssFile: 0, pssShmem: 0, pssLocked: 0, anonHuge: 0, shmemPmd: 0, filePmd: 0,
  };
}

/**
 * Whether 2 MiB region `r` of VMA `v` is mapped by the huge PMD mm.hugePmds records: the VMA
 * holds the whole block and all 512 entries are there, of that kind (for an anonymous THP,
 * pages of one folio). A check, not a rule: every path that splits or zaps a huge PMD removes
 * it from mm.hugePmds.
 */
function hugePmdMapped(mm: AddressSpace, v: Vma, r: number, kind: number): boolean {
  const first = r * 512;
  if (first * 4096 < v.start || (first + 512) * 4096 > v.end) return false;
  const head = mm.frames.folio[pteFrame(mm.pt.get(first))];
  for (let p = first; p < first + 512; p++) {
    const pte = mm.pt.get(p);
    if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== kind) return false;
    if (kind === KIND_ANON && (head === 0 || mm.frames.folio[pteFrame(pte)] !== head)) return false;
  }
  return true;
}

/**
 * A huge PMD has one dirty and one accessed bit for its 512 pages: smaps_pmd_entry() accounts
 * them all dirty when pmd_dirty() (or the folio is), all referenced when pmd_young(). vmspace
 * keeps the PMD as 512 entries, so a store to one page dirties the whole mapping here, as the
 * PMD's dirty bit does (fuzz seed 2400172: MADV_FREE cleaned the PMD, one store dirtied it
 * again, and smaps showed 2048 kB Private_Dirty). The pages were counted per entry above;
 * this moves the clean ones to dirty, the unreferenced ones to referenced.
 */
function pmdWide(mm: AddressSpace, mem: SmapsMem, r: number): void {
  const frames = mm.frames;
  let dirty = false;
  let young = false;
  for (let p = r * 512; p < r * 512 + 512; p++) {
    const pte = mm.pt.get(p);
    const f = pteFrame(pte);
    if ((pte & PTE_DIRTY) !== 0 || (frames.flags[f] & FRAME_DIRTY) !== 0) dirty = true;
    if ((pte & PTE_YOUNG) !== 0 || (frames.flags[f] & FRAME_REFERENCED) !== 0) young = true;
  }
  if (!dirty && !young) return;
  for (let p = r * 512; p < r * 512 + 512; p++) {
    const pte = mm.pt.get(p);
    const f = pteFrame(pte);
    if (young && (pte & PTE_YOUNG) === 0 && (frames.flags[f] & FRAME_REFERENCED) === 0) mem.referenced++;
    if (!dirty || (pte & PTE_DIRTY) !== 0 || (frames.flags[f] & FRAME_DIRTY) !== 0) continue;
    const mapcount = frames.map[f];
    const priv = frames.ref[f] === 1 || mapcount < 2;
    mem.pssDirty += priv ? 4096 << PSS_SHIFT : Math.floor((4096 << PSS_SHIFT) / mapcount);
    if (priv) { mem.privateClean--; mem.privateDirty++; } else { mem.sharedClean--; mem.sharedDirty++; }
  }
}

export interface MmCounters {
  totalVm: number; dataVm: number; execVm: number; stackVm: number; lockedVm: number;
  pinnedVm: number; hiwaterVm: number; hiwaterRss: number; mapCount: number;
  startCode: number; endCode: number; startData: number; endData: number;
  startBrk: number; brk: number; startStack: number;
  /** Page-table bytes (VmPTE): mm_pgtables_bytes(). */
  ptBytes: number;
}

export interface MmSnapshot {
  vmas: VmaInfo[];
  counters: MmCounters;
}

/** Escape a path as seq_path does for /proc maps (newline → \012). */
function escapePath(p: string): string {
  return p.replace(/\n/g, '\\012');
}

/** Linux: fs/proc/task_mmu.c get_vma_name(). */
export function vmaName(mm: AddressSpace, v: Vma): string {
  if (v.file !== null) {
    const ino = v.file.inode;
    return escapePath(ino.path) + (ino.deleted ? ' (deleted)' : '');
  }
  if (v.special === 'vvar') return '[vvar]';
  if (v.special === 'vvar_vclock') return '[vvar_vclock]';
  if (v.special === 'vdso') return '[vdso]';
  if (v.start < mm.brk && v.end > mm.startBrk) return '[heap]';
  if (v.start <= mm.startStack && v.end >= mm.startStack) return '[stack]';
  if (v.anonName !== null) return `[anon:${v.anonName}]`;
  return '';
}


export function snapshotVma(mm: AddressSpace, v: Vma): VmaInfo {
  let rssAnon = 0;
  let rssFile = 0;
  let rssShmem = 0;
  const first = v.start / 4096;
  const last = v.end / 4096;
  const mem = emptyMem();
  const frames = mm.frames;
  const locked = (v.flags & VM_LOCKED) !== 0;
  // Linux: smaps_pte_entry() → smaps_account() → smaps_page_accumulate().
  mm.pt.forEachIn(first, last, (_p, pte) => {
    if ((pte & PTE_PRESENT) === 0) return;
    const kind = pte & PTE_KIND;
    if (kind === KIND_ZERO) return; // the zero page (and PFN maps) are not counted
    if (kind === KIND_ANON) rssAnon++;
    else if (kind === KIND_FILE) rssFile++;
    else rssShmem++;
    const f = pteFrame(pte);
    mem.resident++;
    if (kind === KIND_ANON) {
      mem.anonymous++;
      // LazyFree: MADV_FREE'd folios lose PG_swapbacked only when the per-CPU batch drains
      // (spec §6.2: it lags the call); recorded right after the call it is 0, so it stays 0.
      if (LAZYFREE_SHOWN && (frames.flags[f] & FRAME_LAZYFREE) !== 0 && (pte & PTE_DIRTY) === 0) mem.lazyFree++;
    }
    if ((pte & PTE_YOUNG) !== 0 || (frames.flags[f] & FRAME_REFERENCED) !== 0) mem.referenced++;
    const mapcount = frames.map[f];
    const priv = frames.ref[f] === 1 || mapcount < 2;
    const pss = priv ? 4096 << PSS_SHIFT : Math.floor((4096 << PSS_SHIFT) / mapcount);
    mem.pss += pss;
    if (kind === KIND_ANON) mem.pssAnon += pss;
    else if (kind === KIND_SHMEM) mem.pssShmem += pss;
    else mem.pssFile += pss;
    if (locked) mem.pssLocked += pss;
    if ((pte & PTE_DIRTY) !== 0 || (frames.flags[f] & FRAME_DIRTY) !== 0) {
      mem.pssDirty += pss;
      if (priv) mem.privateDirty++;
      else mem.sharedDirty++;
    } else if (priv) mem.privateClean++;
    else mem.sharedClean++;
  });
  // Linux: smaps_pmd_entry(): a present huge PMD adds HPAGE_PMD_SIZE to anonymous_thp,
  // shmem_thp or file_thp by its folio (the huge zero page, not a normal page, adds nothing).
  if (mm.hugePmds.size !== 0) {
    for (const [r, kind] of mm.hugePmds) {
      if (kind === KIND_ZERO || !hugePmdMapped(mm, v, r, kind)) continue;
      if (kind === KIND_ANON) mem.anonHuge += 512;
      else if (kind === KIND_SHMEM) mem.shmemPmd += 512;
      else mem.filePmd += 512;
      pmdWide(mm, mem, r);
    }
  }
  const ino = v.file?.inode;
  return {
    start: v.start,
    end: v.end,
    flags: v.flags,
    flagsHi: v.flagsHi,
    offset: v.file !== null ? v.pgoff * 4096 : 0,
    major: ino?.major ?? 0,
    minor: ino?.minor ?? 0,
    ino: ino?.ino ?? 0,
    name: vmaName(mm, v),
    vmFlags: vmFlagsString(v.flags, v.flagsHi),
    rssAnon, rssFile, rssShmem, mem,
    thpEligible: thpEligible(v),
  };
}

export function snapshot(mm: AddressSpace): MmSnapshot {
  const vmas: VmaInfo[] = [];
  mm.tree.forEach((v) => vmas.push(snapshotVma(mm, v)));
  return {
    vmas,
    counters: {
      totalVm: mm.totalVm, dataVm: mm.dataVm, execVm: mm.execVm, stackVm: mm.stackVm,
      lockedVm: mm.lockedVm, pinnedVm: mm.pinnedVm, hiwaterVm: mm.hiwaterVm, hiwaterRss: mm.hiwaterRss,
      mapCount: mm.mapCount, startCode: mm.startCode, endCode: mm.endCode, startData: mm.startData,
      endData: mm.endData, startBrk: mm.startBrk, brk: mm.brk, startStack: mm.startStack,
      ptBytes: mm.pgtablesBytes(),
    },
  };
}

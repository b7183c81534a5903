/**
 * The read model of an address space: plain records the /proc renderers, the CLI and the
 * inspector consume, so none of them reaches into the tree.
 */
import { type AddressSpace, PTE_ANON, PTE_FILE } from './address-space.js';
import { VM_HUGEPAGE, VM_NOHUGEPAGE, VM_SHARED, VM_SPECIAL, type Vma, thpSuitable, vmFlagsString } from './vma.js';

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
  thpEligible: boolean;
}

export interface MmCounters {
  totalVm: number; dataVm: number; execVm: number; stackVm: number; lockedVm: number;
  pinnedVm: number; hiwaterVm: number; hiwaterRss: number; mapCount: number;
  startCode: number; endCode: number; startData: number; endData: number;
  startBrk: number; brk: number; startStack: number;
  /** Page-table bytes Linux would hold (VmPTE), estimated. */
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

function isThpEligible(v: Vma): boolean {
  if (v.file !== null || v.special !== null || (v.flags & VM_SHARED) !== 0) return false;
  // THP enabled=madvise: MADV_HUGEPAGE'd anonymous memory (PROT_NONE too) holding a whole aligned
  // PMD (Linux: thp_vma_allowable_order() with thp_vma_suitable_order()).
  if ((v.flags & VM_NOHUGEPAGE) !== 0 || (v.flags & VM_HUGEPAGE) === 0 || (v.flags & VM_SPECIAL) !== 0) return false;
  return thpSuitable(v);
}

export function snapshotVma(mm: AddressSpace, v: Vma): VmaInfo {
  let rssAnon = 0;
  let rssFile = 0;
  let rssShmem = 0;
  const first = v.start / 4096;
  const last = v.end / 4096;
  const shmem = v.file !== null && v.file.inode.fs === 'shmem';
  mm.ptes.forEachIn(first, last, (_p, kind) => {
    if (kind === PTE_ANON) rssAnon++;
    else if (kind === PTE_FILE) {
      if (shmem) rssShmem++;
      else rssFile++;
    }
  });
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
    rssAnon, rssFile, rssShmem,
    thpEligible: isThpEligible(v),
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
      ptBytes: mm.ptBytesBase,
    },
  };
}

/**
 * /proc/<pid>/smaps and smaps_rollup as values (kB) in the kernel's field order.
 * Linux: fs/proc/task_mmu.c show_smap(), __show_smap(), show_smaps_rollup().
 *
 * Resident-set figures come from the engine's residency model; they are exact for what the
 * engine faults in itself and approximate for a start state taken from a real process.
 */
import type { MmSnapshot, VmaInfo } from '../mm/snapshot.js';
import { VM_LOCKED } from '../mm/vma.js';
import { VSYSCALL_LINE, mapsLine } from './maps.js';

export interface SmapsRecord {
  line: string;
  fields: Record<string, number | string>;
}

function memFields(v: VmaInfo): Record<string, number> {
  const rss = (v.rssAnon + v.rssFile + v.rssShmem) * 4;
  const anon = v.rssAnon * 4;
  return {
    Rss: rss, Pss: rss, Pss_Dirty: anon, Shared_Clean: 0, Shared_Dirty: 0,
    Private_Clean: rss - anon, Private_Dirty: anon, Referenced: rss, Anonymous: anon, KSM: 0,
    LazyFree: 0, AnonHugePages: 0, ShmemPmdMapped: 0, FilePmdMapped: 0, Shared_Hugetlb: 0,
    Private_Hugetlb: 0, Swap: 0, SwapPss: 0,
    Locked: (v.flags & VM_LOCKED) !== 0 ? rss : 0,
  };
}

export function renderSmaps(s: MmSnapshot): SmapsRecord[] {
  const out = s.vmas.map((v) => {
    const huge = v.vmFlags.includes('ht ');
    const fields: Record<string, number | string> = {
      Size: (v.end - v.start) / 1024,
      KernelPageSize: huge ? 2048 : 4,
      MMUPageSize: huge ? 2048 : 4,
      ...memFields(v),
      THPeligible: v.thpEligible ? 1 : 0,
      VmFlags: v.vmFlags.trimEnd(),
    };
    return { line: mapsLine(v), fields };
  });
  // The gate VMA is listed too (Linux: m_next() ends with get_gate_vma()).
  out.push({
    line: VSYSCALL_LINE,
    fields: {
      Size: 4, KernelPageSize: 4, MMUPageSize: 4, Rss: 0, Pss: 0, Pss_Dirty: 0, Shared_Clean: 0,
      Shared_Dirty: 0, Private_Clean: 0, Private_Dirty: 0, Referenced: 0, Anonymous: 0, KSM: 0,
      LazyFree: 0, AnonHugePages: 0, ShmemPmdMapped: 0, FilePmdMapped: 0, Shared_Hugetlb: 0,
      Private_Hugetlb: 0, Swap: 0, SwapPss: 0, Locked: 0, THPeligible: 0, VmFlags: 'ex',
    },
  });
  return out;
}

export function renderSmapsRollup(s: MmSnapshot): Record<string, number> {
  const out: Record<string, number> = {
    Rss: 0, Pss: 0, Pss_Dirty: 0, Pss_Anon: 0, Pss_File: 0, Pss_Shmem: 0, Shared_Clean: 0,
    Shared_Dirty: 0, Private_Clean: 0, Private_Dirty: 0, Referenced: 0, Anonymous: 0, KSM: 0,
    LazyFree: 0, AnonHugePages: 0, ShmemPmdMapped: 0, FilePmdMapped: 0, Shared_Hugetlb: 0,
    Private_Hugetlb: 0, Swap: 0, SwapPss: 0, Locked: 0,
  };
  for (const v of s.vmas) {
    const f = memFields(v);
    for (const k of Object.keys(f)) out[k] += f[k];
    out.Pss_Anon += v.rssAnon * 4;
    out.Pss_File += v.rssFile * 4;
    out.Pss_Shmem += v.rssShmem * 4;
  }
  return out;
}

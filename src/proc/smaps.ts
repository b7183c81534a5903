/**
 * /proc/<pid>/smaps and smaps_rollup as values (kB) in the kernel's field order.
 * Linux: fs/proc/task_mmu.c show_smap(), __show_smap(), show_smaps_rollup().
 *
 * Resident-set figures come from the engine's residency model; they are exact for what the
 * engine faults in itself and approximate for a start state taken from a real process.
 */
import { type MmSnapshot, PSS_SHIFT, type SmapsMem } from '../mm/snapshot.js';
import { VSYSCALL_LINE, mapsLine } from './maps.js';

export interface SmapsRecord {
  line: string;
  fields: Record<string, number | string>;
}

/** A Pss sum (bytes << PSS_SHIFT) in kB, as show_smap() prints it. */
function pssKb(x: number): number {
  return Math.floor(Math.floor(x / 2 ** PSS_SHIFT) / 1024);
}

function memFields(m: SmapsMem): Record<string, number> {
  return {
    Rss: m.resident * 4, Pss: pssKb(m.pss), Pss_Dirty: pssKb(m.pssDirty), Shared_Clean: m.sharedClean * 4,
    Shared_Dirty: m.sharedDirty * 4, Private_Clean: m.privateClean * 4, Private_Dirty: m.privateDirty * 4,
    Referenced: m.referenced * 4, Anonymous: m.anonymous * 4, KSM: 0,
    LazyFree: m.lazyFree * 4, AnonHugePages: m.anonHuge * 4, ShmemPmdMapped: m.shmemPmd * 4, FilePmdMapped: m.filePmd * 4,
    Shared_Hugetlb: 0,
    Private_Hugetlb: 0, Swap: 0, SwapPss: 0, Locked: pssKb(m.pssLocked),
  };
}

export function renderSmaps(s: MmSnapshot): SmapsRecord[] {
  const out = s.vmas.map((v) => {
    const huge = v.vmFlags.includes('ht ');
    const fields: Record<string, number | string> = {
      Size: (v.end - v.start) / 1024,
      KernelPageSize: huge ? 2048 : 4,
      MMUPageSize: huge ? 2048 : 4,
      ...memFields(v.mem),
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
  // The rollup sums the raw figures over all VMAs, then prints them (show_smaps_rollup()).
  const m: SmapsMem = {
    resident: 0, referenced: 0, anonymous: 0, lazyFree: 0, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0,
    pss: 0, pssDirty: 0, pssAnon: 0, pssFile: 0, pssShmem: 0, pssLocked: 0, anonHuge: 0, shmemPmd: 0, filePmd: 0,
  };
  for (const v of s.vmas) for (const k of Object.keys(m) as (keyof SmapsMem)[]) m[k] += v.mem[k];
  const f = memFields(m);
  for (const k of Object.keys(f)) out[k] = f[k];
  out.Pss_Anon = pssKb(m.pssAnon);
  out.Pss_File = pssKb(m.pssFile);
  out.Pss_Shmem = pssKb(m.pssShmem);
  return out;
}

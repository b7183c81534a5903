/**
 * The Vm* and Rss* lines of /proc/<pid>/status, in kB, in the kernel's order.
 * Linux: fs/proc/task_mmu.c task_mem().
 */
import type { MmSnapshot } from '../mm/snapshot.js';
import { pageUp } from '../base/pages.js';

export function renderStatus(s: MmSnapshot): Record<string, number> {
  const c = s.counters;
  let anon = 0;
  let file = 0;
  let shmem = 0;
  for (const v of s.vmas) { anon += v.rssAnon; file += v.rssFile; shmem += v.rssShmem; }
  const rss = anon + file + shmem;
  const textBytes = Math.min(pageUp(c.endCode) - (c.startCode - (c.startCode % 4096)), c.execVm * 4096);
  const libBytes = c.execVm * 4096 - textBytes;
  return {
    VmPeak: Math.max(c.hiwaterVm, c.totalVm) * 4,
    VmSize: c.totalVm * 4,
    VmLck: c.lockedVm * 4,
    VmPin: c.pinnedVm * 4,
    VmHWM: Math.max(c.hiwaterRss, rss) * 4,
    VmRSS: rss * 4,
    RssAnon: anon * 4,
    RssFile: file * 4,
    RssShmem: shmem * 4,
    VmData: c.dataVm * 4,
    VmStk: c.stackVm * 4,
    VmExe: textBytes / 1024,
    VmLib: libBytes / 1024,
    VmPTE: Math.floor(c.ptBytes / 1024),
    VmSwap: 0,
  };
}


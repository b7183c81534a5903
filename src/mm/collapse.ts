/**
 * MADV_COLLAPSE: the whole 2 MiB blocks of a range become transparent huge pages, anonymous
 * ones copied into a new folio and mapped by a huge PMD, shmem ones gathered into a 2 MiB
 * page-cache folio that this process maps by a huge PMD and every other mapping faults in
 * again. Linux: mm/khugepaged.c madvise_collapse(), collapse_huge_page(), collapse_file(),
 * retract_page_tables(), collapse_pte_mapped_thp().
 */
import { Errno } from '../abi/errno.js';
import { FRAME_DIRTY } from '../mem/frames.js';
import {
  KIND_ANON, KIND_ZERO, KIND_SHMEM, PTE_DIRTY, PTE_GUARD, PTE_KIND, PTE_PRESENT, PTE_WRITE, PTE_YOUNG, makePte, pteFrame,
} from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { anonVmaPrepare } from './anon-vma.js';
import { sharedWritableAtRead, vmaPtePerms } from './fault.js';
import { addFolio, dropFoliosIn, folioOf } from './folio.js';
import { forEachMappingOf, inodeFrame } from './page-cache.js';
import { VM_HUGETLB, VM_NOHUGEPAGE, VM_SPECIAL, VM_WRITE, type Vma, thpSuitable } from './vma.js';

const PMD = 0x200000;

/**
 * Linux: mm/khugepaged.c madvise_collapse(): EINVAL unless the VMA could hold a PMD THP
 * (thp_vma_allowable_order(), sysfs settings ignored). Then the whole 2 MiB blocks of the range
 * are collapsed in order, each by its scan result (hpage_collapse_scan_pmd() →
 * find_pmd_or_thp_or_none()):
 * - no PMD table above the block (SCAN_PMD_NULL): passed over, the call will fail;
 * - a PMD table whose entry is empty (SCAN_PMD_NONE), or a guard marker in the block: the scan
 *   ends there with EINVAL, the blocks before it stay collapsed;
 * - a huge PMD (SCAN_PMD_MAPPED): counts as collapsed, left as it is;
 * - a page table, even an empty one: collapsed (empty entries read zero).
 * A range holding no whole block succeeds doing nothing. Recorded: madvise-collapse/*.
 */
export function madviseCollapse(mm: AddressSpace, vma: Vma, start: number, end: number): Vma | number {
  const shmem = vma.file !== null && vma.file.inode.fs === 'shmem';
  if ((!vma.isAnonymous() && !shmem) || (vma.flags & (VM_NOHUGEPAGE | VM_SPECIAL | VM_HUGETLB)) !== 0 || !thpSuitable(vma)) {
    return -Errno.EINVAL;
  }
  // __thp_vma_allowable_orders(): outside the fault path an anonymous VMA without an anon_vma
  // has no orders (recorded: fuzz seed 790223).
  if (!shmem && vma.anonVma === null) return -Errno.EINVAL;
  const hstart = Math.ceil(start / PMD) * PMD;
  const hend = Math.floor(end / PMD) * PMD;
  // The result compares the blocks collapsed with (hend - hstart) >> 21 in u64: a range inside one
  // block (hstart > hend) fails with EINVAL, an empty span (hstart == hend) succeeds (recorded).
  if (hstart > hend) return -Errno.EINVAL;
  let failed = false;
  for (let b = hstart; b < hend; b += PMD) {
    if (shmem) {
      // hpage_collapse_scan_file(): the page cache is scanned, not the page table (recorded: the
      // parent's collapse of a block whose PTEs the child's collapse had taken away succeeds,
      // madvise-collapse/shmem-collapse-others). A block with no page cached is SCAN_TRUNCATED,
      // which ends the walk with EINVAL (recorded: shmem-collapse-eligibility, fuzz seed 3100004).
      const inode = vma.file!.inode;
      const first = vma.pgoff + (b - vma.start) / 4096;
      let present = false;
      for (let i = first; i < first + 512 && !present; i++) present = inode.pages.has(i);
      if (!present) return -Errno.EINVAL;
      if (!collapseShmemBlock(mm, vma, b)) return -Errno.ENOMEM; // SCAN_ALLOC_HUGE_PAGE_FAIL
      continue;
    }
    if (!mm.pmdPages.has(Math.floor(b / (PMD * 512)))) { failed = true; continue; }
    if (!mm.ptePages.has(b / PMD)) return -Errno.EINVAL;
    // find_pmd_or_thp_or_none() → check_pmd_state(): a block already mapped by a huge PMD is
    // SCAN_PMD_MAPPED, which madvise_collapse() counts as collapsed: nothing is copied, even when
    // fork shares the THP (recorded: madvise-collapse/pmd-mapped-*).
    const pmdKind = mm.hugePmds.get(b / PMD);
    if (pmdKind === KIND_ANON || pmdKind === KIND_ZERO) continue;
    for (let a = b; a < b + PMD; a += 4096) if (mm.pt.get(a / 4096) === PTE_GUARD) return -Errno.EINVAL;
    anonVmaPrepare(mm, vma);
    if (!collapseAnonBlock(mm, vma, b, b + PMD)) return -Errno.EINVAL;
  }
  return failed ? -Errno.EINVAL : vma;
}

/**
 * Make every page of [start, end) a private anonymous page of `vma`, contents kept (a THP
 * collapse copies the small pages into one huge page; absent pages read zero). False when memory
 * runs out. Linux: mm/khugepaged.c collapse_huge_page() → __collapse_huge_page_copy().
 */
function collapseAnonBlock(mm: AddressSpace, vma: Vma, start: number, end: number): boolean {
  const frames = mm.frames;
  const perms = vmaPtePerms(vma.flags) | ((vma.flags & VM_WRITE) !== 0 ? PTE_WRITE : 0);
  for (let a = start; a < end; a += 4096) {
    const vpn = a / 4096;
    const pte = mm.pt.get(vpn);
    if ((pte & PTE_PRESENT) !== 0 && (pte & PTE_KIND) === KIND_ANON && frames.ref[pteFrame(pte)] === 1) {
      // The huge page is mapped dirty (collapse_huge_page(): pmd_mkdirty), kept pages included.
      if ((pte & PTE_DIRTY) === 0) mm.pt.set(vpn, pte | PTE_DIRTY);
      continue;
    }
    const f = (pte & PTE_PRESENT) !== 0 ? frames.allocCopy(pteFrame(pte)) : frames.allocZeroed();
    if (f < 0) return false;
    mm.setPte(vpn, makePte(f, PTE_PRESENT | perms | PTE_DIRTY | PTE_YOUNG | KIND_ANON), pte);
    frames.put(f);
  }
  // The block is one new anonymous large folio now: pages kept from an older folio leave it.
  const folio = frames.newFolioId();
  for (let a = start; a < end; a += 4096) {
    const f = pteFrame(mm.pt.get(a / 4096));
    if (frames.folio[f] !== 0) frames.large.sub(frames.folio[f], mm.mmId, 1);
    frames.joinFolio(f, folio);
  }
  frames.large.add(folio, mm.mmId, 512, true);
  // collapse_huge_page(): the block's page table is deposited under the new huge PMD (nr_ptes
  // unchanged: pgtable_trans_huge_deposit() of the old table).
  mm.setHugePmd(start / PMD, KIND_ANON);
  mm.flushTlb();
  return true;
}

/**
 * collapse_file() for the shmem block at `b` of `vma`: its 512 file pages become one 2 MiB folio
 * (holes become zeroed pages; the folio is dirty), the old pages are unmapped from every mapping
 * (try_to_unmap()), and the page table under a mapping that covers the whole aligned block goes
 * with them (retract_page_tables(); a VMA with an anon_vma keeps its table). Then this process
 * maps the folio by a huge PMD (collapse_pte_mapped_thp() with install_pmd); others map it again
 * when they fault (do_set_pmd()). A block already PMD-mapped here is left as it is
 * (SCAN_PMD_MAPPED). False when memory runs out. Recorded: madvise-collapse/shmem-collapse-*.
 */
function collapseShmemBlock(mm: AddressSpace, vma: Vma, b: number): boolean {
  const r = b / PMD;
  if (mm.hugePmds.get(r) === KIND_SHMEM) return true;
  const inode = vma.file!.inode;
  const frames = mm.frames;
  const first = vma.pgoff + (b - vma.start) / 4096;
  const fo = folioOf(inode, first);
  if (fo === undefined || fo[0] !== first || fo[1] !== 512) {
    for (let i = first; i < first + 512; i++) if (inodeFrame(mm, inode, i) < 0) return false;
    // Smaller folios of the range are absorbed into the new one.
    dropFoliosIn(inode, first, first + 512);
    addFolio(inode, first, 512);
    for (let i = first; i < first + 512; i++) {
      frames.flags[inode.pages.get(i)!] |= FRAME_DIRTY;
      inode.cached.add(i);
    }
    forEachMappingOf(inode, first, first + 512, (owner, v, from, to) => {
      owner.zapFileRange(from, to);
      if (v.anonVma === null && from % PMD === 0 && to - from === PMD && owner.pt.leafIfAny(from / 4096) === undefined) {
        owner.ptePages.delete(from / PMD);
      }
    });
  } else {
    // The folio is there already (a collapse by another process): only this mapping changes.
    mm.zapFileRange(b, b + PMD);
  }
  const bits = PTE_PRESENT | vmaPtePerms(vma.flags) | PTE_YOUNG | KIND_SHMEM | (sharedWritableAtRead(vma) ? PTE_WRITE : 0);
  for (let i = 0; i < 512; i++) mm.setPte(b / 4096 + i, makePte(inode.pages.get(first + i)!, bits));
  mm.setHugePmd(r, KIND_SHMEM);
  mm.flushTlb();
  return true;
}

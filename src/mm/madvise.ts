/**
 * madvise: per-VMA advice, holes reported as ENOMEM at the end. Spec linux-mm.md §4.6.
 * Linux: mm/madvise.c madvise_walk_vmas(), madvise_vma_behavior(), madvise_update_vma(),
 * madvise_populate(), madvise_dontneed_free(), madvise_remove(), madvise_guard_*().
 */
import { Errno } from '../abi/errno.js';
import * as M from '../abi/mman.js';
import { FRAME_DIRTY, FRAME_LAZYFREE, FRAME_MLOCKED, FRAME_REFERENCED, ZERO_FRAME } from '../mem/frames.js';
import {
  KIND_ANON, KIND_FILE, KIND_SHMEM, KIND_ZERO, PTE_DIRTY, PTE_GUARD, PTE_KIND, PTE_PRESENT, PTE_YOUNG, PT_PAGES, makePte,
  pteFrame,
} from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { vmaPtePerms } from './fault.js';
import { punchHole } from './truncate.js';
import { anonVmaPrepare } from './anon-vma.js';
import { faultInRange } from './populate.js';
import { dropFolio, folioDirty, folioOf, markFolioDirty } from './folio.js';
import { forEachMappingOf, raGeometry } from './page-cache.js';
import { madviseCollapse } from './collapse.js';
import { forceReadahead, setMarker } from './readahead.js';
import { modifyRange } from './vma-merge.js';
import {
  VMH_DROPPABLE, VMH_SEALED, VM_DONTCOPY, VM_DONTDUMP, VM_DONTEXPAND, VM_HUGEPAGE, VM_HUGETLB,
  VM_IO, VM_LOCKED, VM_MAYBE_GUARD, VM_MAYSHARE, VM_MAYWRITE, VM_MERGEABLE, VM_MIXEDMAP, VM_NOHUGEPAGE, VM_PFNMAP,
  VM_RAND_READ, VM_READ, VM_SEQ_READ, VM_SHARED, VM_SPECIAL, VM_WIPEONFORK, VM_WRITE, type Vma,
} from './vma.js';

/** Advice values this kernel accepts (CONFIG_MEMORY_FAILURE off: no HWPOISON/SOFT_OFFLINE). */
export function isValidAdvice(b: number): boolean {
  switch (b) {
    case M.MADV_DOFORK: case M.MADV_DONTFORK: case M.MADV_NORMAL: case M.MADV_SEQUENTIAL:
    case M.MADV_RANDOM: case M.MADV_REMOVE: case M.MADV_WILLNEED: case M.MADV_DONTNEED:
    case M.MADV_DONTNEED_LOCKED: case M.MADV_FREE: case M.MADV_COLD: case M.MADV_PAGEOUT:
    case M.MADV_POPULATE_READ: case M.MADV_POPULATE_WRITE: case M.MADV_MERGEABLE:
    case M.MADV_UNMERGEABLE: case M.MADV_HUGEPAGE: case M.MADV_NOHUGEPAGE: case M.MADV_COLLAPSE:
    case M.MADV_DONTDUMP: case M.MADV_DODUMP: case M.MADV_WIPEONFORK: case M.MADV_KEEPONFORK:
    case M.MADV_GUARD_INSTALL: case M.MADV_GUARD_REMOVE:
      return true;
    default:
      return false;
  }
}

/** Linux: is_discard(): advice a sealed, read-only private anonymous VMA refuses. */
function isDiscard(b: number): boolean {
  return b === M.MADV_FREE || b === M.MADV_DONTNEED || b === M.MADV_DONTNEED_LOCKED ||
    b === M.MADV_REMOVE || b === M.MADV_DONTFORK || b === M.MADV_WIPEONFORK || b === M.MADV_GUARD_INSTALL;
}

/** madvise of the checked, page-aligned, non-empty range [start, end). */
export function doMadvise(mm: AddressSpace, start: number, end: number, behavior: number): number {
  if (behavior === M.MADV_POPULATE_READ || behavior === M.MADV_POPULATE_WRITE) {
    return madvisePopulate(mm, start, end, behavior === M.MADV_POPULATE_WRITE);
  }
  let unmappedError = 0;
  let vma = mm.tree.findNext(start);
  for (;;) {
    if (vma === undefined) return -Errno.ENOMEM;
    if (start < vma.start) {
      unmappedError = -Errno.ENOMEM;
      start = vma.start;
      if (start >= end) break;
    }
    const rend = Math.min(vma.end, end);
    const r = vmaBehavior(mm, vma, start, rend, behavior);
    if (typeof r === 'number') return r;
    start = rend;
    if (start < r.end) start = r.end;
    if (start >= end) break;
    vma = mm.tree.findNext(start);
  }
  return unmappedError;
}

/** Returns the VMA now covering the range (the walk's `prev`), or -errno. */
function vmaBehavior(mm: AddressSpace, vma: Vma, start: number, end: number, behavior: number): Vma | number {
  if ((vma.flagsHi & VMH_SEALED) !== 0 && isDiscard(behavior) && vma.file === null &&
      (vma.flags & VM_SHARED) === 0 && (vma.flags & VM_WRITE) === 0) {
    return -Errno.EPERM;
  }
  let nf = vma.flags;
  switch (behavior) {
    case M.MADV_REMOVE: {
      if ((vma.flags & VM_LOCKED) !== 0) return -Errno.EINVAL;
      if (vma.file === null) return -Errno.EINVAL;
      if ((vma.flags & (VM_SHARED | VM_MAYWRITE)) !== (VM_SHARED | VM_MAYWRITE)) return -Errno.EACCES;
      // vfs_fallocate(): only regular files and block devices can punch holes.
      if (vma.file.inode.fs === 'chardev') return -Errno.ENODEV;
      // The file loses the range's data; every mapping of it refaults (private COW copies stay).
      punchHole(mm.sys, vma.file.inode, vma.pgoff + (start - vma.start) / 4096, (end - start) / 4096);
      mm.zapRange(start, end, false);
      return vma;
    }
    case M.MADV_WILLNEED: {
      const f = vma.file;
      if (f !== null && f.inode.fs === 'ext4') {
        // vfs_fadvise(POSIX_FADV_WILLNEED): read-ahead of the range within the file size (shmem
        // and tmpfs only swap in; devices do nothing).
        forceReadahead(f.inode, raGeometry(mm.sys, f.inode), vma.pgoff + (start - vma.start) / 4096, (end - start) / 4096);
      }
      return vma;
    }
    case M.MADV_COLD:
    case M.MADV_PAGEOUT:
      if ((vma.flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) !== 0) return -Errno.EINVAL;
      if (vma.file === null) splitAnonFoliosIn(mm, start, end, behavior === M.MADV_COLD);
      else if (behavior === M.MADV_COLD) splitFileFoliosIn(mm, vma, start, end);
      if (behavior === M.MADV_COLD) deactivateRange(mm, start, end);
      if (behavior === M.MADV_PAGEOUT && vma.file === null) {
        // Anonymous pages that are not swap-backed are discarded by reclaim when mapped only here
        // (they read zero afterwards): MAP_DROPPABLE ones even when dirty, MADV_FREE'd ones only
        // while still clean; the rest stay (no swap). Recorded: fuzz seeds 700218, 30280, 40694.
        // Linux: mm/rmap.c try_to_unmap_one() (the lazyfree / VM_DROPPABLE case).
        const droppable = (vma.flagsHi & VMH_DROPPABLE) !== 0;
        const frames = mm.frames;
        for (let a = start; a < end; a += 4096) {
          const pte = mm.pt.get(a / 4096);
          if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON) continue;
          const f = pteFrame(pte);
          // An mlocked page is unevictable (shrink_folio_list(): !folio_evictable()).
          if (frames.map[f] !== 1 || (frames.flags[f] & FRAME_MLOCKED) !== 0) continue;
          const clean = (pte & PTE_DIRTY) === 0 && (frames.flags[f] & FRAME_DIRTY) === 0;
          if (droppable || ((frames.flags[f] & FRAME_LAZYFREE) !== 0 && clean)) mm.zapRange(a, a + 4096);
        }
      }
      if (behavior === M.MADV_PAGEOUT && vma.file !== null) {
        // Reclaim of the page-cache pages only this VMA maps: clean ones leave the cache (their
        // data is the file's); dirty ones stay (direct reclaim does not write file pages back);
        // anonymous ones cannot go without swap (recorded: mem/data/pageout-*).
        // Linux: mm/madvise.c madvise_cold_or_pageout_pte_range() → reclaim_pages().
        const frames = mm.frames;
        const inode = vma.file.inode;
        for (let a = start; a < end; a += 4096) {
          const pte = mm.pt.get(a / 4096);
          const kind = pte & PTE_KIND;
          if ((pte & PTE_PRESENT) === 0 || (kind !== KIND_FILE && kind !== KIND_SHMEM)) continue;
          const f = pteFrame(pte);
          const fo = inode.folios !== undefined ? folioOf(inode, vma.pgoff + (a - vma.start) / 4096) : undefined;
          if (fo !== undefined) {
            a = pageoutLargeFolio(mm, vma, a, end, fo) - 4096;
            continue;
          }
          if (frames.map[f] > 1 || (frames.flags[f] & FRAME_MLOCKED) !== 0) continue;
          const dirty = (pte & PTE_DIRTY) !== 0 || (frames.flags[f] & FRAME_DIRTY) !== 0;
          if (dirty) frames.flags[f] |= FRAME_DIRTY; // the PTE's dirty bit moves to the page
          mm.zapRange(a, a + 4096);
          const index = vma.pgoff + (a - vma.start) / 4096;
          if (!dirty) vma.file.inode.cached.delete(index);
          // A dirty page kept is flagged PG_reclaim, the same bit as PG_readahead: fault-around
          // passes over it and a fault on it reads ahead (shrink_folio_list(); fuzz seed 60597).
          else if (vma.file.inode.fs === 'ext4') setMarker(vma.file.inode, index, 1);
        }
      }
      return vma;
    case M.MADV_DONTNEED:
    case M.MADV_DONTNEED_LOCKED:
    case M.MADV_FREE: {
      let forbidden = VM_PFNMAP;
      if (behavior !== M.MADV_DONTNEED_LOCKED) forbidden |= VM_LOCKED;
      if ((vma.flags & forbidden) !== 0) return -Errno.EINVAL;
      if (behavior === M.MADV_FREE) {
        if (!vma.isAnonymous() || (vma.flags & VM_SHARED) !== 0) return -Errno.EINVAL;
        splitAnonFoliosIn(mm, start, end, true);
        madviseFree(mm, start, end);
        return vma;
      }
      mm.zapRange(start, end, false);
      reclaimEmptyPageTables(mm, start, end);
      return vma;
    }
    case M.MADV_COLLAPSE:
      return madviseCollapse(mm, vma, start, end);
    case M.MADV_GUARD_INSTALL:
      if ((vma.flags & (VM_SPECIAL | VM_HUGETLB | VM_LOCKED)) !== 0) return -Errno.EINVAL;
      if (vma.isAnonymous()) anonVmaPrepare(mm, vma);
      // The VMA is marked (without a split) so later merges and forks know guards may exist.
      vma.flags |= VM_MAYBE_GUARD;
      mm.zapRange(start, end);
      for (let a = start; a < end; a += 4096) mm.pt.set(a / 4096, PTE_GUARD);
      for (let r = Math.floor(start / 0x200000); r * 0x200000 < end; r++) mm.addPtePage(r);
      return vma;
    case M.MADV_GUARD_REMOVE:
      if ((vma.flags & (VM_SPECIAL | VM_HUGETLB)) !== 0) return -Errno.EINVAL;
      for (let a = start; a < end; a += 4096) if (mm.pt.get(a / 4096) === PTE_GUARD) mm.pt.clear(a / 4096);
      return vma;
    case M.MADV_NORMAL: nf = nf & ~VM_RAND_READ & ~VM_SEQ_READ; break;
    case M.MADV_SEQUENTIAL: nf = (nf & ~VM_RAND_READ) | VM_SEQ_READ; break;
    case M.MADV_RANDOM: nf = (nf & ~VM_SEQ_READ) | VM_RAND_READ; break;
    case M.MADV_DONTFORK: nf |= VM_DONTCOPY; break;
    case M.MADV_DOFORK:
      if ((nf & VM_IO) !== 0) return -Errno.EINVAL;
      nf &= ~VM_DONTCOPY;
      break;
    case M.MADV_WIPEONFORK:
      if (vma.file !== null || (nf & VM_SHARED) !== 0) return -Errno.EINVAL;
      nf |= VM_WIPEONFORK;
      break;
    case M.MADV_KEEPONFORK:
      if ((vma.flagsHi & VMH_DROPPABLE) !== 0) return -Errno.EINVAL;
      nf &= ~VM_WIPEONFORK;
      break;
    case M.MADV_DONTDUMP: nf |= VM_DONTDUMP; break;
    case M.MADV_DODUMP:
      if (((vma.flags & VM_HUGETLB) === 0 && (nf & VM_SPECIAL) !== 0) || (vma.flagsHi & VMH_DROPPABLE) !== 0) return -Errno.EINVAL;
      nf &= ~VM_DONTDUMP;
      break;
    case M.MADV_MERGEABLE:
      if ((nf & VM_MERGEABLE) !== 0 || !ksmCompatible(vma)) return vma;
      nf |= VM_MERGEABLE;
      break;
    case M.MADV_UNMERGEABLE:
      if ((nf & VM_MERGEABLE) === 0) return vma;
      nf &= ~VM_MERGEABLE;
      break;
    case M.MADV_HUGEPAGE: nf = (nf & ~VM_NOHUGEPAGE) | VM_HUGEPAGE; break;
    case M.MADV_NOHUGEPAGE: nf = (nf & ~VM_HUGEPAGE) | VM_NOHUGEPAGE; break;
    default:
      return -Errno.EINVAL;
  }
  if ((nf | 0) === vma.flags) return vma;
  const r = modifyRange(mm, vma, start, end, { flags: nf, flagsHi: vma.flagsHi, anonName: vma.anonName });
  // madvise reports a split at max_map_count as EAGAIN.
  if (r === -Errno.ENOMEM) return -Errno.EAGAIN;
  return r;
}

/** Linux: mm/ksm.c vma_ksm_compatible(). */
function ksmCompatible(v: Vma): boolean {
  return (v.flags & (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_HUGETLB | VM_MIXEDMAP)) === 0 &&
    (v.flagsHi & VMH_DROPPABLE) === 0;
}

/**
 * MADV_DONTNEED frees the page-table pages it empties, of the 2 MiB regions it covers whole
 * (6.18's PT reclaim: zap_pte_range() with `reclaim_pt`, when end - start >= PMD_SIZE). Guard
 * markers keep a table; the PMD table above stays (recorded: madvise-collapse/dontneed-*).
 */
function reclaimEmptyPageTables(mm: AddressSpace, start: number, end: number): void {
  const R = 0x200000;
  for (let r = Math.ceil(start / R); (r + 1) * R <= end; r++) {
    if (mm.ptePages.has(r) && mm.pt.leafIfAny(r * 512) === undefined) mm.ptePages.delete(r);
  }
}

/**
 * MADV_COLD on the pages only this mm maps: the PTE's young bit and the page's referenced bit
 * are cleared (Linux: madvise_cold_or_pageout_pte_range()); pages mapped more than once are
 * skipped. MADV_PAGEOUT leaves them (recorded: populated anonymous pages stay Referenced).
 */
function deactivateRange(mm: AddressSpace, start: number, end: number): void {
  const frames = mm.frames;
  const pt = mm.pt;
  const large = largeFoliosIn(mm, start, end);
  let changed = false;
  pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0) return;
    const f = pteFrame(pte);
    if (f === 0) return;
    const folio = frames.folio[f];
    if (folio !== 0 && large !== null ? leftAlone(mm, folio, large.get(folio)!) : frames.map[f] !== 1) return;
    frames.flags[f] &= ~FRAME_REFERENCED;
    if ((pte & PTE_YOUNG) !== 0) {
      pt.set(vpn, pte & ~PTE_YOUNG);
      changed = true;
    }
  });
  if (changed) mm.flushTlbRange(start / 4096, end / 4096);
}

/**
 * MADV_FREE: the anonymous pages only this mm maps become clean, old and lazily freeable; they
 * keep their data until memory pressure (none here) or a write makes them dirty again.
 * Linux: mm/madvise.c madvise_free_pte_range() → folio_mark_lazyfree().
 */
function madviseFree(mm: AddressSpace, start: number, end: number): void {
  const frames = mm.frames;
  const pt = mm.pt;
  const large = largeFoliosIn(mm, start, end);
  let changed = false;
  pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON) return;
    const f = pteFrame(pte);
    // A THP's pages (a partly covered one was split above unless shared) are left alone while
    // another process may map the folio: madvise_free_huge_pmd() and madvise_free_pte_range()
    // skip it (fuzz seeds 2100005: they stayed dirty; 2600052: after others mapped it).
    const folio = frames.folio[f];
    if (folio !== 0 && large !== null && leftAlone(mm, folio, large.get(folio)!)) return;
    // The page's own dirty bit is cleared only when no other process maps it; the PTE is made
    // clean and old either way (Linux: madvise_free_pte_range()).
    // PG_referenced stays until the lazyfree batch drains (recorded: fuzz seed 80015).
    if (frames.map[f] === 1) frames.flags[f] = FRAME_LAZYFREE | (frames.flags[f] & (FRAME_REFERENCED | FRAME_MLOCKED));
    else frames.flags[f] |= FRAME_LAZYFREE;
    if ((pte & (PTE_DIRTY | PTE_YOUNG)) !== 0) {
      pt.set(vpn, pte & ~(PTE_DIRTY | PTE_YOUNG));
      changed = true;
    }
  });
  if (changed) mm.flushTlbRange(start / 4096, end / 4096);
}

/** An anonymous large folio met in a madvise range: its block, and the pages the range maps. */
interface FolioInRange {
  block: number;
  mapped: number;
  /** Mapped by a huge PMD there. */
  pmd: boolean;
}

/** The anonymous large folios [start, end) maps, by folio id; null when there are none at all. */
function largeFoliosIn(mm: AddressSpace, start: number, end: number): Map<number, FolioInRange> | null {
  const frames = mm.frames;
  if (frames.large.size === 0) return null;
  const found = new Map<number, FolioInRange>();
  mm.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON) return;
    const folio = frames.folio[pteFrame(pte)];
    if (folio === 0) return;
    const c = found.get(folio);
    if (c !== undefined) c.mapped++;
    else {
      const r = Math.floor(vpn / 512);
      found.set(folio, { block: r * 0x200000, mapped: 1, pmd: mm.hugePmds.get(r) === KIND_ANON });
    }
  });
  return found;
}

/**
 * Whether MADV_COLD, PAGEOUT and FREE leave a large folio alone as possibly another process's:
 * - mapped by a huge PMD, or by a batch of PTEs shorter than the folio (the range covers it in
 *   part, or some of its pages are mapped elsewhere or not at all): when
 *   folio_maybe_mapped_shared(), which can stay true after the others unmapped it (see
 *   large-mapcount.ts; fuzz seeds 2510139, 2600052);
 * - mapped whole by PTEs here: when its mapcount is not its page count (other mappings exist).
 * Linux: madvise_cold_or_pageout_pte_range(), madvise_free_huge_pmd(), madvise_free_pte_range().
 */
function leftAlone(mm: AddressSpace, folio: number, c: FolioInRange): boolean {
  const large = mm.frames.large;
  if (c.pmd || c.mapped < 512) return large.maybeShared(folio);
  return large.total(folio) !== 512;
}

/**
 * Split the anonymous large folios that [start, end) of `vma` reaches, unless left alone as
 * shared (leftAlone()): MADV_PAGEOUT always (reclaim without swap splits a large anonymous folio
 * it cannot swap out), MADV_COLD and MADV_FREE when the range maps a folio only in part
 * (`partialOnly`): the batch of PTEs mapping it there is shorter than the folio, because the
 * range covers its block only in part or some of its pages are no longer mapped there (zapped,
 * or moved by mremap; fuzz seed 2300006). Linux: madvise_cold_or_pageout_pte_range(),
 * madvise_free_pte_range() → madvise_folio_pte_batch() < folio_nr_pages() → split_folio();
 * shrink_folio_list() → split_folio_to_list().
 */
function splitAnonFoliosIn(mm: AddressSpace, start: number, end: number, partialOnly: boolean): void {
  const frames = mm.frames;
  // The folios first (a walk over the present entries only), the splits after: a split changes
  // entries the walk has not reached.
  const found = largeFoliosIn(mm, start, end);
  if (found === null) return;
  for (const [folio, c] of found) {
    // Anonymous large folios are PMD-sized here (512 pages): the whole folio, mapped in the range.
    if (leftAlone(mm, folio, c) || (partialOnly && c.mapped === 512)) found.delete(folio);
  }
  if (found.size === 0) return;
  // remap_page() reaches every page of a folio through the rmap: pages that mremap moved out of
  // the block (its PMD split, their PTEs moved) are split and remapped too (fuzz seed 2200171).
  // Frames keep no reverse map here, so one walk of the whole page table finds the pages of every
  // folio to split (splits are rare). A folio not left alone is mapped by this mm only.
  const vpns = new Map<number, number[]>();
  for (const folio of found.keys()) vpns.set(folio, []);
  mm.pt.forEachIn(0, PT_PAGES, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON) return;
    const folio = frames.folio[pteFrame(pte)];
    if (folio !== 0) vpns.get(folio)?.push(vpn);
  });
  let changed = false;
  for (const [folio, c] of found) if (splitAnonFolio(mm, folio, c.block, vpns.get(folio)!)) changed = true;
  if (changed) mm.flushTlb();
}

/**
 * The split of an anonymous large folio whose pages sit at `vpns` (its block: `block`): its
 * pages become small folios, and those holding only zeroes are mapped to the zero page instead
 * (their frames freed, Rss drops) unless the VMA is locked. True when a PTE changed. Recorded:
 * madvise-data/thp-split-* (fuzz seed 820094). Linux: __folio_split() → remap_page(...,
 * RMP_USE_SHARED_ZEROPAGE) → try_to_map_unused_to_zeropage().
 */
function splitAnonFolio(mm: AddressSpace, folio: number, block: number, vpns: number[]): boolean {
  const frames = mm.frames;
  frames.large.forget(folio);
  // A PMD-mapped folio is remapped by PTEs first (unmap_folio() → split_huge_pmd_address()).
  mm.splitHugePmd(block / 0x200000);
  let changed = false;
  for (const vpn of vpns) {
    const pte = mm.pt.get(vpn);
    const f = pteFrame(pte);
    frames.leaveFolio(f);
    const v = mm.tree.find(vpn * 4096);
    if (v === undefined || (v.flags & VM_LOCKED) !== 0 || !frameIsZero(mm, f)) continue;
    mm.setPte(vpn, makePte(ZERO_FRAME, PTE_PRESENT | vmaPtePerms(v.flags) | PTE_YOUNG | KIND_ZERO), pte);
    changed = true;
  }
  return changed;
}

function frameIsZero(mm: AddressSpace, f: number): boolean {
  const u8 = mm.frames.u8;
  for (let i = f * 4096, e = i + 4096; i < e; i++) if (u8[i] !== 0) return false;
  return true;
}

/**
 * Linux: madvise_populate() → faultin_page_range(): walk the range VMA by VMA; a hole is ENOMEM,
 * missing permission or VM_IO/VM_PFNMAP EINVAL, a SIGBUS (past EOF) EFAULT.
 */
function madvisePopulate(mm: AddressSpace, start: number, end: number, write: boolean): number {
  while (start < end) {
    const v = mm.tree.find(start);
    if (v === undefined) return -Errno.ENOMEM;
    if ((v.flags & (VM_IO | VM_PFNMAP)) !== 0) return -Errno.EINVAL; // recorded on 6.18
    if (write ? (v.flags & VM_WRITE) === 0 : (v.flags & VM_READ) === 0) return -Errno.EINVAL;
    const e = Math.min(end, v.end);
    const r = faultInRange(mm, v, start, e, write ? 'write' : 'read');
    if (r < 0) return r;
    start = e;
  }
  return 0;
}

/**
 * MADV_COLD meeting the large page-cache folios mapped in [start, end) of `vma`: the walk is
 * MADV_PAGEOUT's, so a folio the range covers only in part is split and thereby unmapped from
 * every mapping (it stays cached), on the same terms (pageoutLargeFolio(), `pageout` false); one
 * covered whole stays whole and mapped. Recorded: fuzz seed 980101 (a one-page MADV_COLD unmaps
 * the read-ahead order-2 folio that fault-around had mapped whole), fileio/residency/cold-split-*.
 * Linux: mm/madvise.c madvise_cold_or_pageout_pte_range() → split_folio(), for either advice.
 */
function splitFileFoliosIn(mm: AddressSpace, vma: Vma, start: number, end: number): void {
  const inode = vma.file!.inode;
  if (inode.folios === undefined || inode.folios.size === 0) return;
  // The present entries first, the splits after: a split unmaps entries the walk has not reached.
  const found: number[] = [];
  mm.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    const kind = pte & PTE_KIND;
    if ((pte & PTE_PRESENT) !== 0 && (kind === KIND_FILE || kind === KIND_SHMEM)) found.push(vpn * 4096);
  });
  let next = start;
  for (const a of found) {
    if (a < next) continue; // inside the last batch
    const fo = folioOf(inode, vma.pgoff + (a - vma.start) / 4096);
    if (fo !== undefined) next = pageoutLargeFolio(mm, vma, a, end, fo, false);
  }
}

/**
 * MADV_PAGEOUT (or MADV_COLD, `pageout` false) meeting a page of a large page-cache folio at `a`:
 * the PTEs mapping the folio from `a` on within the range form a batch. A batch short of the
 * whole folio splits it, unless another process maps it: a file folio's split unmaps it from
 * every mapping and nothing maps it back (it stays cached; recorded: fuzz seed 50126). A whole
 * folio is reclaimed by MADV_PAGEOUT when nothing else maps it. Returns the address after the
 * batch. Linux: madvise_cold_or_pageout_pte_range(), split_folio() (remap_page() remaps
 * anonymous folios only).
 */
function pageoutLargeFolio(
  mm: AddressSpace, vma: Vma, a: number, end: number, fo: [number, number], pageout = true,
): number {
  const inode = vma.file!.inode;
  const frames = mm.frames;
  const first = vma.pgoff + (a - vma.start) / 4096;
  // The batch: consecutive present PTEs of this folio's pages from `a`, inside the range.
  let n = 0;
  while (a + n * 4096 < end && first + n < fo[0] + fo[1]) {
    const pte = mm.pt.get(a / 4096 + n);
    if ((pte & PTE_PRESENT) === 0 || pteFrame(pte) !== inode.pages.get(first + n)) break;
    n++;
  }
  if (n === 0) return a + 4096;
  const next = a + n * 4096;
  let mapped = 0;
  let elsewhere = false;
  let dirtyPte = false;
  forEachMappingOf(inode, fo[0], fo[0] + fo[1], (owner, _v, from, to) => {
    owner.pt.forEachIn(from / 4096, to / 4096, (_vpn, pte) => {
      if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) === KIND_ANON) return;
      mapped++;
      if (owner !== mm) elsewhere = true;
      if ((pte & PTE_DIRTY) !== 0) dirtyPte = true;
    });
  });
  if (n < fo[1]) {
    if (elsewhere) return next; // folio_maybe_mapped_shared()
    // split_folio() → filemap_release_folio(): ext4 cannot free the dirty buffers of a dirty
    // folio, so the split fails (EBUSY) and the folio stays whole and mapped (fuzz seed 790175).
    if (inode.fs === 'ext4' && (dirtyPte || folioDirty(frames, inode, fo[0], fo[1]))) return next;
    forEachMappingOf(inode, fo[0], fo[0] + fo[1], (owner, _v, from, to) => owner.zapFileRange(from, to));
    dropFolio(inode, fo[0]);
    return next;
  }
  if (!pageout || mapped !== fo[1]) return next; // mapped more than once: not ours alone
  const dirty = folioDirty(frames, inode, fo[0], fo[1]) || anyDirtyPte(mm, a, next);
  mm.zapRange(a, next);
  if (dirty) {
    markFolioDirty(frames, inode, fo[0]);
    if (inode.fs === 'ext4') setMarker(inode, fo[0], fo[1]);
  } else {
    for (let i = fo[0]; i < fo[0] + fo[1]; i++) inode.cached.delete(i);
    dropFolio(inode, fo[0]);
  }
  return next;
}

function anyDirtyPte(mm: AddressSpace, start: number, end: number): boolean {
  for (let a = start; a < end; a += 4096) if ((mm.pt.get(a / 4096) & PTE_DIRTY) !== 0) return true;
  return false;
}

/**
 * Processes: fork duplicates an address space with copy-on-write private memory, exit tears one
 * down and returns every frame it held alone.
 *
 * Linux: kernel/fork.c dup_mm() → dup_mmap(); mm/rmap.c anon_vma_fork(); mm/memory.c
 * copy_page_range(), vma_needs_copy(), copy_present_pte(); mm/mmap.c exit_mmap().
 */
import { Errno } from '../abi/errno.js';
import { AddressSpace } from './address-space.js';
import { releaseInodes } from './inode-release.js';
import { ZERO_FRAME } from '../mem/frames.js';
import { KIND_ANON, KIND_ZERO, PTE_KIND, PTE_PRESENT, PT_PAGES, makePte, pteBits, pteFrame } from '../mem/page-table.js';
import {
  VM_ACCOUNT, VM_DONTCOPY, VM_LOCKED_MASK, VM_MAYBE_GUARD, VM_MAYWRITE, VM_MIXEDMAP, VM_NOHUGEPAGE,
  VM_PFNMAP, VM_SHARED, VM_WIPEONFORK, type Vma, freeVmasOfExitedMm,
} from './vma.js';

/**
 * The present anonymous PTEs of `v` that fork must copy for the child at once because their
 * pages may be pinned for direct I/O: [vpn, pte]. A pinned small page; and every exclusive page
 * of a large folio with a pinned page in it, since folio_maybe_dma_pinned() answers for the
 * whole folio (__folio_try_dup_anon_rmap() refuses them one by one: copy_present_ptes() falls
 * back to copy_present_page()). A huge PMD of such a folio is split in the parent first
 * (copy_huge_pmd(): __split_huge_pmd(), -EAGAIN, and the PTE copy). The zero page is not
 * anonymous (vm_normal_page()) and is shared as always.
 */
function pinnedAnonPtes(mm: AddressSpace, v: Vma): [number, number][] {
  const frames = mm.frames;
  let pinnedFolios: Set<number> | null = null;
  for (const f of frames.pins.keys()) if (frames.folio[f] !== 0) (pinnedFolios ??= new Set()).add(frames.folio[f]);
  if (pinnedFolios !== null && mm.hugePmds.size !== 0) {
    for (const [r, kind] of [...mm.hugePmds]) {
      if (kind !== KIND_ANON || r * 0x200000 < v.start || (r + 1) * 0x200000 > v.end) continue;
      if (pinnedFolios.has(frames.folio[pteFrame(mm.pt.get(r * 512))])) mm.splitHugePmd(r);
    }
  }
  const out: [number, number][] = [];
  mm.pt.forEachIn(v.start / 4096, v.end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON) return;
    const f = pteFrame(pte);
    if (f === ZERO_FRAME) return;
    if (frames.pins.has(f) || (pinnedFolios !== null && frames.folio[f] !== 0 && pinnedFolios.has(frames.folio[f]) && frames.exclusive(f))) {
      out.push([vpn, pte]);
    }
  });
  return out;
}

/**
 * copy_present_page(): a pinned anonymous page is not shared copy-on-write — the parent keeps it
 * (and its write permission, so the I/O lands where the parent will look) and the child gets a
 * copy now. False when memory runs out.
 */
function copyPinnedPages(parent: AddressSpace, child: AddressSpace, pinned: [number, number][]): boolean {
  for (const [vpn, pte] of pinned) {
    parent.updatePte(vpn, pte);
    const old = child.pt.get(vpn);
    const nf = child.frames.allocCopy(pteFrame(pte));
    if (nf < 0) return false;
    child.setPte(vpn, makePte(nf, pteBits(pte)), old);
    child.frames.put(nf);
  }
  return true;
}

/**
 * The child maps the pages of anonymous large folios that [start, end) copied: each folio's
 * mapcount and mm-id slots learn of it (Linux: copy_present_ptes() / copy_huge_pmd() →
 * folio_try_dup_anon_rmap_ptes() / _pmd() → folio_add_large_mapcount()).
 */
function addLargeMappings(parent: AddressSpace, child: AddressSpace, start: number, end: number): void {
  const frames = child.frames;
  const pages = new Map<number, number>();
  const pmds = new Set<number>();
  child.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    if ((pte & PTE_PRESENT) === 0) return;
    const folio = frames.folio[pteFrame(pte)];
    if (folio === 0) return;
    pages.set(folio, (pages.get(folio) ?? 0) + 1);
    // The parent's anonymous huge PMDs are the child's too (copy_huge_pmd(), below).
    if (vpn % 512 === 0 && parent.hugePmds.get(vpn / 512) === KIND_ANON) pmds.add(folio);
  });
  for (const [folio, n] of pages) frames.large.add(folio, child.mmId, n, pmds.has(folio));
}

/** Linux: include/linux/mm.h is_cow_mapping(). */
function isCowMapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/**
 * Linux: mm/memory.c vma_needs_copy(): only VMAs whose pages cannot be refaulted from their
 * object (anonymous pages, PFN maps, guard markers) copy page tables; the child refaults the rest.
 */
function vmaNeedsCopy(src: Vma): boolean {
  return (src.flags & (VM_PFNMAP | VM_MIXEDMAP | VM_MAYBE_GUARD)) !== 0 || src.anonVma !== null;
}

/** A copy of `parent` for a child process, or -ENOMEM (the commit charge refused). */
export function dupMm(parent: AddressSpace): AddressSpace | number {
  const mm = new AddressSpace(parent.sys, { ...parent.creds });
  mm.taskSize = parent.taskSize;
  mm.mmapBase = parent.mmapBase;
  mm.mmapLegacyBase = parent.mmapLegacyBase;
  mm.topdown = parent.topdown;
  mm.personality = parent.personality;
  mm.startCode = parent.startCode;
  mm.endCode = parent.endCode;
  mm.startData = parent.startData;
  mm.endData = parent.endData;
  mm.startBrk = parent.startBrk;
  mm.brk = parent.brk;
  mm.startStack = parent.startStack;
  mm.ptBytesBase = parent.ptBytesBase;
  // mm_init(): only VM_NOHUGEPAGE of def_flags is inherited (mlockall(MCL_FUTURE) is not).
  mm.defFlags = parent.defFlags & VM_NOHUGEPAGE;
  for (let i = 0; i < parent.rlim.length; i++) mm.rlim[i] = [parent.rlim[i][0], parent.rlim[i][1]];

  let wrprotected = false;
  let lastRegion = -1;
  let lastGiB = -1;
  let failed = false;
  // Sized once (fork runs right after a GC in the benchmarks, where fresh heap pages are dear).
  const copies: Vma[] = new Array<Vma>(parent.tree.size);
  let nCopies = 0;
  parent.tree.forEach((src) => {
    if (failed || (src.flags & VM_DONTCOPY) !== 0) return;
    if ((src.flags & VM_ACCOUNT) !== 0 && !parent.vmEnoughMemory(src.pages)) { failed = true; return; }
    // The charge belongs to the child (it unaccounts it when it unmaps): move it over.
    if ((src.flags & VM_ACCOUNT) !== 0) { parent.committedPages -= src.pages; mm.committedPages += src.pages; }
    const v = src.cloneRange(src.start, src.end);
    v.flags &= ~VM_LOCKED_MASK;
    v.vmOps?.open?.(v);
    if ((src.flags & VM_WIPEONFORK) !== 0 || src.anonVma === null) {
      v.anonVma = null;
      v.anonForked = false;
    } else {
      v.anonVma = mm.sys.newAnonVmaId();
      v.anonForked = true;
    }
    copies[nCopies++] = v;
    mm.vmStatAccount(v.flags, v.pages);
    if ((src.flags & VM_WIPEONFORK) !== 0 || !vmaNeedsCopy(src)) return;
    const frames = parent.frames;
    const pinned = frames.pins.size !== 0 && isCowMapping(src.flags) ? pinnedAnonPtes(parent, src) : null;
    mm.pt.copyFrom(parent.pt, src.start / 4096, src.end / 4096,
      isCowMapping(src.flags), (src.flags & VM_SHARED) !== 0, frames.ref, frames.map);
    if (frames.large.size !== 0) addLargeMappings(parent, mm, src.start, src.end);
    if (pinned !== null && !copyPinnedPages(parent, mm, pinned)) { failed = true; return; }
    // copy_pmd_range(): the child gets a page-table page wherever the parent has one.
    // (Neighbouring VMAs mostly share a region: a region just added is not looked up again.)
    for (let r = Math.floor(src.start / 0x200000); r * 0x200000 < src.end; r++) {
      if (r !== lastRegion && parent.ptePages.has(r)) {
        mm.addPtePage(r);
        lastRegion = r;
      }
    }
    // copy_pud_range(): the child gets a PMD table wherever the parent has one (even if no
    // page-table page below it is copied), and copy_p4d_range() a PUD table wherever the parent
    // has one.
    // (Neighbouring VMAs mostly share a 1 GiB region too: the last one copied is not looked up again.)
    const G = 0x40000000;
    for (let g = Math.floor(src.start / G); g * G < src.end; g++) {
      if (g !== lastGiB && parent.pmdPages.has(g)) {
        mm.addPmdTable(g);
        lastGiB = g;
      }
    }
    const P = G * 512;
    for (let p = Math.floor(src.start / P); p * P < src.end; p++) if (parent.pudPages.has(p)) mm.pudPages.add(p);
    const c = mm.pt.copied;
    mm.rssAnon += c[0];
    mm.rssFile += c[1];
    mm.rssShmem += c[2];
    if (c[3] !== 0) wrprotected = true;
    // copy_huge_pmd(): an anonymous huge PMD is copied as one, with a new deposited table for
    // the child (mm_inc_nr_ptes(dst_mm)); a file one is not copied at all (the child faults it
    // in again), so the child has neither its pages nor a table there.
    if (parent.hugePmds.size !== 0) {
      for (const [r, kind] of parent.hugePmds) {
        if (r * 0x200000 < src.start || (r + 1) * 0x200000 > src.end) continue;
        if (kind === KIND_ANON || kind === KIND_ZERO) mm.setHugePmd(r, kind);
        else {
          mm.zapRange(r * 0x200000, (r + 1) * 0x200000);
          mm.ptePages.delete(r);
        }
      }
    }
  });
  // The VMAs are linked in one O(n) build (Linux: __mt_dup() of the whole maple tree).
  copies.length = nCopies;
  mm.tree.buildSorted(copies);
  if (wrprotected) parent.flushTlb();
  if (failed) {
    exitMm(mm);
    return -Errno.ENOMEM;
  }
  // dup_mm(): the child's high-water marks start from what it has.
  mm.hiwaterRss = mm.rss;
  mm.hiwaterVm = mm.totalVm;
  return mm;
}

/**
 * Tear an address space down (Linux: exit_mmap()): every page at once (unmap_vmas() over the
 * whole range, then free_pgtables()), then each VMA's close and charges (remove_vma()), then the
 * tree as a whole: no VMA is unlinked one by one with its rebalancing.
 */
export function exitMm(mm: AddressSpace): void {
  mm.updateHiwaterVm();
  mm.zapRange(0, PT_PAGES * 4096);
  mm.ptePages.clear();
  mm.pmdPages.clear();
  mm.pudPages.clear();
  mm.hugePmds.clear();
  const dead: Vma[] = new Array<Vma>(mm.tree.size);
  let n = 0;
  mm.tree.forEach((v) => {
    v.vmOps?.close?.(v);
    mm.releaseVma(v);
    dead[n++] = v;
  });
  mm.tree.release(); // unlinks the file VMAs from their inodes; its arrays serve the next child's tree
  freeVmasOfExitedMm(dead);
  mm.tlbs.clear();
  mm.sys.mms.delete(mm);
  releaseInodes(mm.sys);
}

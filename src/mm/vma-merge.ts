/**
 * Merging and splitting VMAs exactly as Linux 6.18 does (spec linux-mm.md §3).
 *
 * Linux: mm/vma.c is_mergeable_vma(), is_mergeable_anon_vma(), can_vma_merge_before/after(),
 * can_vma_merge_right(), vma_merge_new_range(), vma_merge_existing_range(), vma_modify().
 */
import { Errno } from '../abi/errno.js';
import type { AddressSpace } from './address-space.js';
import {
  type AnonVma, type MmFile, VM_IGNORE_MERGE, VM_SPECIAL, VM_STICKY, Vma,
} from './vma.js';

/** The properties a range will have: what a merge compares (Linux: struct vma_merge_struct). */
export interface MergeProps {
  flags: number;
  flagsHi: number;
  /** pgoff of the range's start. */
  pgoff: number;
  file: MmFile | null;
  anonName: string | null;
  /** anon_vma the range brings (mremap's copy_vma), else null. */
  anonVma: AnonVma | null;
  /** The VMA the range comes from (existing-range merges), for the forked test. */
  middle: Vma | null;
}

/** Linux: vma_had_uncowed_parents(): an anon_vma inherited through fork. */
function isForked(v: Vma | null): boolean {
  return v !== null && v.anonVma !== null && v.anonForked;
}

/** Linux: mm/vma.c is_mergeable_vma(). */
function isMergeableVma(v: Vma, p: MergeProps): boolean {
  return ((v.flags ^ p.flags) & ~VM_IGNORE_MERGE) === 0 && v.flagsHi === p.flagsHi &&
    v.file === p.file && v.anonName === p.anonName && v.special === null;
}

/** Linux: mm/vma.c is_mergeable_anon_vma(). */
function isMergeableAnonVma(tgt: Vma, p: MergeProps): boolean {
  const tgtAnon = tgt.anonVma;
  const srcAnon = p.anonVma;
  if (tgtAnon === null && srcAnon !== null) return !isForked(p.middle);
  if (tgtAnon !== null && srcAnon === null) return !isForked(tgt);
  return srcAnon === tgtAnon;
}

/** Linux: can_vma_merge_after(): `prev` ends where the range starts. */
function canMergeAfter(prev: Vma, p: MergeProps): boolean {
  return isMergeableVma(prev, p) && isMergeableAnonVma(prev, p) && prev.pgoff + prev.pages === p.pgoff;
}

/** Linux: can_vma_merge_before(): `next` starts where the range ends. */
function canMergeBefore(next: Vma, p: MergeProps, pages: number): boolean {
  return isMergeableVma(next, p) && isMergeableAnonVma(next, p) && next.pgoff === p.pgoff + pages;
}

/** Linux: can_vma_merge_right()'s last rule: prev and next must agree with EACH OTHER. */
function prevNextCompatible(prev: Vma, next: Vma): boolean {
  return prev.anonVma === null || next.anonVma === null || prev.anonVma === next.anonVma;
}

/**
 * Place a new range [start, end) that overlaps nothing: merge with prev and/or next, or insert
 * a new VMA. Accounts the range's pages in total/data/exec/stack (not locked_vm, not commit).
 *
 * ```
 *   PPPP****NNNN   → PPPPPPPPPPPP  (both; next removed)
 *   PPPP****  NN   → PPPPPPPP  NN  (prev expands)
 *   PP  ****NNNN   → PP  NNNNNNNN  (next expands down)
 * ```
 * `mode` 'prevOnly' is brk's just_expand; 'none' inserts without merging.
 * Linux: mm/vma.c vma_merge_new_range().
 */
export function mergeNewRange(mm: AddressSpace, start: number, end: number, p: MergeProps, mode: 'both' | 'prevOnly' | 'none' = 'both'): Vma {
  const pages = (end - start) / 4096;
  mm.vmStatAccount(p.flags, pages);
  if ((p.flags & VM_SPECIAL) === 0 && mode !== 'none') {
    const next = mode === 'prevOnly' ? undefined : mm.tree.findNext(start);
    const prev = mm.tree.findPrevStart(start);
    const left = prev !== undefined && prev.end === start && canMergeAfter(prev, p);
    let right = next !== undefined && next.start === end && canMergeBefore(next, p, pages);
    if (right && left && !prevNextCompatible(prev!, next!)) right = false;
    if (left && right) {
      const n = next!;
      const pv = prev!;
      if (pv.anonVma === null) { pv.anonVma = n.anonVma ?? p.anonVma; pv.anonForked = n.anonVma ? n.anonForked : false; }
      pv.flags |= (n.flags | p.flags) & VM_STICKY;
      mm.tree.remove(n);
      mm.tree.setRange(pv, pv.start, n.end);
      return pv;
    }
    if (left) {
      const pv = prev!;
      if (pv.anonVma === null && p.anonVma !== null) { pv.anonVma = p.anonVma; pv.anonForked = false; }
      pv.flags |= p.flags & VM_STICKY;
      mm.tree.setRange(pv, pv.start, end);
      return pv;
    }
    if (right) {
      const n = next!;
      if (n.anonVma === null && p.anonVma !== null) { n.anonVma = p.anonVma; n.anonForked = false; }
      n.flags |= p.flags & VM_STICKY;
      n.pgoff = p.pgoff;
      mm.tree.setRange(n, start, n.end);
      return n;
    }
  }
  const v = new Vma(start, end, p.flags, p.flagsHi, p.pgoff, p.file);
  v.anonVma = p.anonVma;
  v.anonName = p.anonName;
  mm.tree.insert(v);
  return v;
}

/** What a modification sets on [start, end) of one VMA. */
export interface ModifyRequest {
  flags: number;
  flagsHi: number;
  anonName: string | null;
}

/**
 * Give [start, end) (inside `vma`) new properties: merge the changed part into prev/next when it
 * touches the VMA's ends and they are compatible, otherwise split off the unchanged head and
 * tail. Moves the pages between the status counters. Returns the VMA that now covers exactly
 * [start, end), or -ENOMEM when a split would pass max_map_count (a head split already done
 * stays done, as in Linux), or -EINVAL when a special mapping refuses the split.
 *
 * Linux: mm/vma.c vma_modify() → vma_merge_existing_range(), then split_vma().
 */
export function modifyRange(mm: AddressSpace, vma: Vma, start: number, end: number, req: ModifyRequest): Vma | number {
  const p: MergeProps = {
    flags: req.flags, flagsHi: req.flagsHi, pgoff: vma.pgoff + (start - vma.start) / 4096,
    file: vma.file, anonName: req.anonName, anonVma: vma.anonVma, middle: vma,
  };
  const pages = (end - start) / 4096;
  const leftSide = start === vma.start;
  const rightSide = end === vma.end;
  if ((p.flags & VM_SPECIAL) === 0 && (vma.flags & VM_SPECIAL) === 0 && vma.special === null && (leftSide || rightSide)) {
    const prev = leftSide ? mm.tree.prev(vma) : undefined;
    const next = rightSide ? mm.tree.next(vma) : undefined;
    const left = prev !== undefined && prev.end === start && canMergeAfter(prev, p);
    let right = next !== undefined && next.start === end && canMergeBefore(next, p, pages);
    if (left && right && !prevNextCompatible(prev!, next!)) right = false;
    if (left || right) {
      // The changed pages leave the old classification and join the new one.
      mm.vmStatAccount(vma.flags, -pages);
      mm.vmStatAccount(p.flags, pages);
      if (left && right) {
        const pv = prev!;
        const n = next!;
        if (pv.anonVma === null) {
          const src = n.anonVma !== null ? n : vma;
          pv.anonVma = src.anonVma;
          pv.anonForked = src.anonForked;
        }
        pv.flags |= (vma.flags | n.flags | p.flags) & VM_STICKY;
        mm.tree.remove(vma);
        mm.tree.remove(n);
        mm.tree.setRange(pv, pv.start, n.end);
        return pv;
      }
      if (left) {
        const pv = prev!;
        if (pv.anonVma === null && vma.anonVma !== null) { pv.anonVma = vma.anonVma; pv.anonForked = vma.anonForked; }
        pv.flags |= p.flags & VM_STICKY;
        if (rightSide) {
          mm.tree.remove(vma);
        } else {
          vma.pgoff += pages;
          mm.tree.setRange(vma, end, vma.end);
        }
        mm.tree.setRange(pv, pv.start, end);
        return pv;
      }
      const n = next!;
      if (n.anonVma === null && vma.anonVma !== null) { n.anonVma = vma.anonVma; n.anonForked = vma.anonForked; }
      n.flags |= p.flags & VM_STICKY;
      if (leftSide) mm.tree.remove(vma);
      else mm.tree.setRange(vma, vma.start, start);
      n.pgoff = p.pgoff;
      mm.tree.setRange(n, start, n.end);
      return n;
    }
  }
  let target = vma;
  if (vma.start < start) {
    const r = splitVma(mm, vma, start);
    if (typeof r === 'number') return r;
    target = r;
  }
  if (target.end > end) {
    const r = splitVma(mm, target, end);
    if (typeof r === 'number') return r;
  }
  mm.setFlags(target, req.flags, req.flagsHi);
  target.anonName = req.anonName;
  return target;
}

/**
 * split_vma() for attribute changes: refuses at max_map_count, and special mappings refuse any
 * split. Returns the upper part. Linux: mm/vma.c split_vma() + the may_split hooks.
 */
export function splitVma(mm: AddressSpace, vma: Vma, addr: number): Vma | number {
  const r = maySplit(vma, addr);
  if (r < 0) return r;
  if (mm.mapCount >= mm.sys.sysctl.maxMapCount) return -Errno.ENOMEM;
  return mm.splitAt(vma, addr);
}

/** vm_ops->may_split: special mappings refuse, hugetlb needs huge alignment. */
export function maySplit(vma: Vma, addr: number): number {
  if (vma.special === 'vvar' || vma.special === 'vvar_vclock' || vma.special === 'vdso') return -Errno.EINVAL;
  if (vma.special === 'hugetlb' && addr % 0x200000 !== 0) return -Errno.EINVAL;
  return 0;
}

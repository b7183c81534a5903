/**
 * An address space's VMA tree that also keeps each file's reverse map: every VMA mapping an inode
 * is in `inode.mappings` (with its address space) while it is in a tree, and in the inode's
 * interval tree (`inode.rmap`) under the file pages it maps, so truncation, write-back and
 * coherence find the VMAs over a page range in O(log n + k) and the lifetime checks visit the
 * mappings of one file instead of every VMA of every process. Linux: the i_mmap interval tree
 * of struct address_space (vma_interval_tree_insert() in vma_link(), removal in
 * unlink_file_vma(), and the remove/insert pair around a VMA's range change in vma_prepare() /
 * vma_complete()). Every change of a VMA's range or pgoff goes through setRange(), which re-keys it.
 */
import IntervalTree from '@flatten-js/interval-tree';
import { RangeTree } from '../tree/range-tree.js';
import type { AddressSpace } from './address-space.js';
import type { MmInode, Vma } from './vma.js';

function link(v: Vma, owner: AddressSpace): void {
  const inode = v.file!.inode;
  (inode.mappings ??= new Map()).set(v, owner);
  const key: [number, number] = [v.pgoff, v.pgoff + v.pages - 1];
  v.rmapKey = key;
  (inode.rmap ??= new IntervalTree<Vma>()).insert(key, v);
}

function unlink(v: Vma): void {
  const inode = v.file!.inode;
  inode.mappings?.delete(v);
  const key = v.rmapKey;
  if (key !== null) {
    inode.rmap?.remove(key, v);
    v.rmapKey = null;
  }
}

/** The VMAs that map any of the file pages [first, last) of `inode` (vma_interval_tree_foreach()). */
export function mappingsOver(inode: MmInode, first: number, last: number): Vma[] {
  if (inode.rmap === undefined || last <= first) return [];
  return inode.rmap.search([first, last - 1]);
}

/** Whether `v` is filed under the pages it maps (for the invariant checks). */
export function rmapFiled(v: Vma): boolean {
  const key = v.rmapKey;
  return key !== null && key[0] === v.pgoff && key[1] === v.pgoff + v.pages - 1 &&
    v.file!.inode.rmap?.exist(key, v) === true;
}

export class VmaTree extends RangeTree<Vma> {
  constructor(private readonly owner: AddressSpace) {
    super();
  }

  override insert(v: Vma): void {
    super.insert(v);
    if (v.file !== null) link(v, this.owner);
  }

  override remove(v: Vma): void {
    super.remove(v);
    if (v.file !== null) unlink(v);
  }

  override setRange(v: Vma, start: number, end: number): void {
    // A huge PMD cannot straddle a VMA boundary: one that a new boundary cuts is split first
    // (Linux: vma_adjust_trans_huge() in __split_vma() and commit_merge()).
    if (start !== v.start) this.owner.splitHugePmdAt(start);
    if (end !== v.end) this.owner.splitHugePmdAt(end);
    if (v.file !== null) unlink(v);
    super.setRange(v, start, end);
    if (v.file !== null) link(v, this.owner);
  }

  override buildSorted(nodes: readonly Vma[]): void {
    super.buildSorted(nodes);
    // An indexed loop: this runs once per fork, often before it is optimised, and an
    // unoptimised for-of allocates a result object per element.
    for (let i = 0; i < nodes.length; i++) {
      const v = nodes[i];
      if (v.file !== null) link(v, this.owner);
    }
  }

  override release(): void {
    this.forEach((v) => {
      if (v.file !== null) unlink(v);
    });
    super.release();
  }
}

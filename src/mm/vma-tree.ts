/**
 * An address space's VMA tree that also keeps each file's reverse map: every VMA mapping an inode
 * is in `inode.mappings` (with its address space) while it is in a tree, so truncation,
 * write-back and the lifetime checks visit the mappings of one file instead of every VMA of every
 * process. Linux: the i_mmap interval tree of struct address_space (vma_interval_tree_insert()
 * in vma_link(), removal in unlink_file_vma()). A VMA's file range is read at visit time (pgoff,
 * pages), so range changes need no bookkeeping; only linking and unlinking do.
 */
import { RangeTree } from '../tree/range-tree.js';
import type { AddressSpace } from './address-space.js';
import type { Vma } from './vma.js';

export class VmaTree extends RangeTree<Vma> {
  constructor(private readonly owner: AddressSpace) {
    super();
  }

  override insert(v: Vma): void {
    super.insert(v);
    if (v.file !== null) (v.file.inode.mappings ??= new Map()).set(v, this.owner);
  }

  override remove(v: Vma): void {
    super.remove(v);
    if (v.file !== null) v.file.inode.mappings?.delete(v);
  }

  override buildSorted(nodes: readonly Vma[]): void {
    super.buildSorted(nodes);
    for (const v of nodes) if (v.file !== null) (v.file.inode.mappings ??= new Map()).set(v, this.owner);
  }

  override release(): void {
    this.forEach((v) => {
      if (v.file !== null) v.file.inode.mappings?.delete(v);
    });
    super.release();
  }
}

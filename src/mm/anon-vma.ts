/**
 * anon_vma assignment: which anon_vma a VMA gets at its first anonymous page, the hidden state
 * that decides later anonymous merges (spec linux-mm.md §3.3).
 * Linux: mm/rmap.c __anon_vma_prepare(), find_mergeable_anon_vma(), anon_vma_compatible().
 */
import type { AddressSpace } from './address-space.js';
import { VM_EXEC, VM_READ, VM_STICKY, VM_WRITE, type Vma } from './vma.js';

const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

/** Linux: mm/rmap.c anon_vma_compatible(): may b reuse a's anon_vma (a ends where b starts)? */
function anonVmaCompatible(a: Vma, b: Vma): boolean {
  return a.end === b.start && a.file === b.file && a.anonName === b.anonName &&
    ((a.flags ^ b.flags) & ~(VM_ACCESS_FLAGS | VM_STICKY)) === 0 && a.flagsHi === b.flagsHi &&
    b.pgoff === a.pgoff + (b.start - a.start) / 4096;
}

/**
 * Give `v` an anon_vma at its first anonymous page: reuse a touching neighbour's (next first,
 * then prev) when compatible and not inherited through fork, else a fresh one.
 * Linux: mm/rmap.c __anon_vma_prepare() → find_mergeable_anon_vma().
 */
export function anonVmaPrepare(mm: AddressSpace, v: Vma): void {
  if (v.anonVma !== null) return;
  const next = mm.tree.next(v);
  if (next !== undefined && anonVmaCompatible(v, next) && next.anonVma !== null && !next.anonForked) {
    v.anonVma = next.anonVma;
    return;
  }
  const prev = mm.tree.prev(v);
  if (prev !== undefined && anonVmaCompatible(prev, v) && prev.anonVma !== null && !prev.anonForked) {
    v.anonVma = prev.anonVma;
    return;
  }
  v.anonVma = mm.sys.newAnonVmaId();
}


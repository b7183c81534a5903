/**
 * Per-page state of one VMA, read from the page table and the frame counts: the inspector's page
 * view and its step diffs. A read model like snapshot.ts: it changes nothing and hands out plain
 * records, so no reader reaches into the page table itself.
 */
import { FRAME_DIRTY, ZERO_FRAME } from '../mem/frames.js';
import {
  KIND_ANON, KIND_FILE, KIND_ZERO, PTE_DIRTY, PTE_EXEC, PTE_GUARD, PTE_KIND, PTE_PRESENT, PTE_READ,
  PTE_WRITE, PTE_YOUNG, pteFrame,
} from '../mem/page-table.js';
import type { AddressSpace } from './address-space.js';
import { VM_SHARED, VM_WRITE } from './vma.js';

/** What backs a page: the PTE kind, or a guard marker (MADV_GUARD_INSTALL). */
export type PageKind = 'zero' | 'anon' | 'file' | 'shmem' | 'guard';

/** One page that has a PTE (pages without one are simply absent from the list). */
export interface PageState {
  /** The page's address. */
  addr: number;
  kind: PageKind;
  present: boolean;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  /** The PTE's dirty bit or the frame's PG_dirty. */
  dirty: boolean;
  /** Accessed (Linux: pte_young()). */
  young: boolean;
  /** The frame number (0 for the zero page and guard markers). */
  frame: number;
  /** Every reference to the frame: PTEs, the page cache, pins (Linux: page_count()). */
  refcount: number;
  /** PTE mappings of the frame (Linux: page_mapcount()). */
  mapcount: number;
  /**
   * Copy-on-write shared: a private writable mapping holds the frame read-only while something
   * else references it too (another process after fork, or the page cache for a file page), so
   * the next write copies it. Linux: mm/memory.c:do_wp_page() decides the same way.
   */
  cowShared: boolean;
}

/**
 * The pages of [start, end) that have a PTE, ascending. `vmFlags` are the VMA's VM_* flags
 * (VmaInfo.flags), which say whether a read-only PTE is a COW one.
 */
export function pageStates(mm: AddressSpace, start: number, end: number, vmFlags: number): PageState[] {
  const out: PageState[] = [];
  const frames = mm.frames;
  const privateWritable = (vmFlags & VM_WRITE) !== 0 && (vmFlags & VM_SHARED) === 0;
  mm.pt.forEachIn(start / 4096, end / 4096, (vpn, pte) => {
    const present = (pte & PTE_PRESENT) !== 0;
    if (!present) {
      if (pte & PTE_GUARD) out.push(guardPage(vpn));
      return;
    }
    const k = pte & PTE_KIND;
    const kind: PageKind = k === KIND_ZERO ? 'zero' : k === KIND_ANON ? 'anon' : k === KIND_FILE ? 'file' : 'shmem';
    const frame = pteFrame(pte);
    const writable = (pte & PTE_WRITE) !== 0;
    const refcount = frame === ZERO_FRAME ? 0 : frames.ref[frame];
    out.push({
      addr: vpn * 4096,
      kind,
      present,
      readable: (pte & PTE_READ) !== 0,
      writable,
      executable: (pte & PTE_EXEC) !== 0,
      dirty: (pte & PTE_DIRTY) !== 0 || (frame !== ZERO_FRAME && (frames.flags[frame] & FRAME_DIRTY) !== 0),
      young: (pte & PTE_YOUNG) !== 0,
      frame,
      refcount,
      mapcount: frame === ZERO_FRAME ? 0 : frames.map[frame],
      cowShared: privateWritable && !writable && kind !== 'zero' && refcount > 1,
    });
  });
  return out;
}

function guardPage(vpn: number): PageState {
  return {
    addr: vpn * 4096, kind: 'guard', present: false, readable: false, writable: false, executable: false,
    dirty: false, young: false, frame: 0, refcount: 0, mapcount: 0, cowShared: false,
  };
}

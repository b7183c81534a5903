/**
 * The page view's classes: one per page, from its PTE and frame (src/mm/page-states.ts), in the
 * order of precedence a cell standing for several pages shows (the most telling state wins).
 */
import type { PageState } from '../../../src/internal.js';

export type PageClass = 'cow' | 'anon-dirty' | 'anon' | 'file-dirty' | 'file' | 'shmem' | 'zero' | 'guard' | 'none';

export const PAGE_CLASSES: readonly PageClass[] = ['cow', 'anon-dirty', 'anon', 'file-dirty', 'file', 'shmem', 'zero', 'guard', 'none'];

export const PAGE_COLOR: Readonly<Record<PageClass, string>> = {
  cow: '#CC79A7',
  'anon-dirty': '#0072B2',
  anon: '#56B4E9',
  'file-dirty': '#009E73',
  file: '#8fd8c0',
  shmem: '#F0E442',
  zero: '#c8c8c8',
  guard: '#333333',
  none: '#ffffff',
};

export const PAGE_TITLE: Readonly<Record<PageClass, string>> = {
  cow: 'COW-shared (read-only, frame refcount > 1)',
  'anon-dirty': 'anonymous, dirty',
  anon: 'anonymous, clean',
  'file-dirty': 'page cache, dirty',
  file: 'page cache, clean',
  shmem: 'shmem (shared anonymous)',
  zero: 'zero page',
  guard: 'guard marker',
  none: 'not resident (no PTE)',
};

export function pageClass(p: PageState | undefined): PageClass {
  if (!p) return 'none';
  if (p.kind === 'guard') return 'guard';
  if (p.kind === 'zero') return 'zero';
  if (p.cowShared) return 'cow';
  if (p.kind === 'anon') return p.dirty ? 'anon-dirty' : 'anon';
  if (p.kind === 'file') return p.dirty ? 'file-dirty' : 'file';
  return 'shmem';
}

/** PTE bits as a short string: `W` writable, `D` dirty, `A` accessed, `X` executable. */
export function pteFlags(p: PageState): string {
  return (p.writable ? 'W' : '-') + (p.dirty ? 'D' : '-') + (p.young ? 'A' : '-') + (p.executable ? 'X' : '-');
}

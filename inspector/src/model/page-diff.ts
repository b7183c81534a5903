/**
 * Faults and other page-table changes of one step, as changes of per-page state: a page that
 * gained a PTE was faulted in (or populated), one whose frame changed had its copy-on-write
 * broken, one that lost write access was write-protected (fork does that to private pages).
 */
import { pageStates, type PageState } from '../../../src/internal.js';
import type { Task } from '../../../src/index.js';
import type { VmaRow } from './vma-row.js';

/** A process's pages with a PTE, by address. */
export type PageCapture = Map<number, PageState>;

/** Beyond this many PTEs a step's page diff is skipped (it would cost more than the op). */
const MAX_CAPTURE = 1 << 18;

export type PageChangeKind =
  | 'faulted-in' | 'zero-page' | 'unmapped' | 'cow-break' | 'zero-to-private' | 'write-protected'
  | 'made-writable' | 'dirtied' | 'cleaned' | 'now-cow-shared' | 'no-longer-shared' | 'guard-installed'
  | 'guard-removed';

export const PAGE_CHANGE_TEXT: Readonly<Record<PageChangeKind, string>> = {
  'faulted-in': 'faulted in (a new frame mapped)',
  'zero-page': 'read fault mapped the shared zero page',
  unmapped: 'PTE removed (unmapped, zapped or moved away)',
  'cow-break': 'copy-on-write broken (a private copy replaced a shared frame)',
  'zero-to-private': 'write fault replaced the zero page with a private frame',
  'write-protected': 'write-protected (shared copy-on-write, e.g. after fork)',
  'made-writable': 'made writable in place (the frame was no longer shared)',
  dirtied: 'dirtied by a write',
  cleaned: 'cleaned (written back or discarded)',
  'now-cow-shared': 'now COW-shared (another reference to the frame appeared)',
  'no-longer-shared': 'no longer shared (the other reference went away)',
  'guard-installed': 'guard marker installed',
  'guard-removed': 'guard marker removed',
};

export interface PageDiff {
  /** Changed pages by kind of change, each list ascending by address. */
  changes: Map<PageChangeKind, number[]>;
  /** Set when the process had too many PTEs to compare. */
  skipped?: string;
}

/** Every PTE of the task's VMAs (the gate VMA has none). */
export function capturePages(task: Task, rows: readonly VmaRow[]): PageCapture {
  const out: PageCapture = new Map();
  for (const r of rows) {
    if (r.name === '[vsyscall]') continue;
    for (const p of pageStates(task.mm, r.start, r.end, r.flags)) {
      out.set(p.addr, p);
      if (out.size > MAX_CAPTURE) return new Map([[-1, p]]);
    }
  }
  return out;
}

function classify(b: PageState | undefined, a: PageState | undefined): PageChangeKind | undefined {
  if (!b && !a) return undefined;
  if (!b) return a!.kind === 'guard' ? 'guard-installed' : a!.kind === 'zero' ? 'zero-page' : 'faulted-in';
  if (!a) return b.kind === 'guard' ? 'guard-removed' : 'unmapped';
  if (b.frame !== a.frame) return b.kind === 'zero' ? 'zero-to-private' : 'cow-break';
  if (b.writable && !a.writable) return 'write-protected';
  if (!b.writable && a.writable) return 'made-writable';
  if (!b.cowShared && a.cowShared) return 'now-cow-shared';
  if (b.cowShared && !a.cowShared) return 'no-longer-shared';
  if (!b.dirty && a.dirty) return 'dirtied';
  if (b.dirty && !a.dirty) return 'cleaned';
  return undefined;
}

export function diffPages(before: PageCapture, after: PageCapture): PageDiff {
  const changes = new Map<PageChangeKind, number[]>();
  if (before.has(-1) || after.has(-1)) return { changes, skipped: `more than ${MAX_CAPTURE} PTEs` };
  const addrs = new Set([...before.keys(), ...after.keys()]);
  for (const addr of [...addrs].sort((x, y) => x - y)) {
    const k = classify(before.get(addr), after.get(addr));
    if (k === undefined) continue;
    let list = changes.get(k);
    if (!list) changes.set(k, (list = []));
    list.push(addr);
  }
  return { changes };
}

/**
 * What one op did to a process's VMAs, in the words Linux's mm/vma.c uses: a VMA was added,
 * removed, split, merged, resized (expanded or shrunk in place), or changed (same range, new
 * perms, flags or name).
 *
 *   before  AAAAAAAAAA           BBB CCC        DDDD
 *   after   AAA  AAAAA           BBBBBBB        DDDD'
 *           split (A -> 2)       merged (B+C)   changed (D: perms)
 *
 * Identical maps lines (and flags) are unchanged. The rest is grouped into clusters of VMAs that
 * overlap across the two lists; each cluster's shape (how many before, how many after) names the
 * change.
 */
import type { VmaRow } from './vma-row.js';

export type VmaChangeKind = 'added' | 'removed' | 'split' | 'merged' | 'resized' | 'changed';

export interface VmaChange {
  kind: VmaChangeKind;
  before: VmaRow[];
  after: VmaRow[];
}

const same = (a: VmaRow, b: VmaRow): boolean => a.line === b.line && a.flags === b.flags && a.vmFlags === b.vmFlags;

/** Changes between two sorted maps listings, in address order. */
export function diffVmas(before: readonly VmaRow[], after: readonly VmaRow[]): VmaChange[] {
  const afterKeys = new Map(after.map((r) => [r.start + ':' + r.end, r]));
  const beforeKeys = new Map(before.map((r) => [r.start + ':' + r.end, r]));
  const a = before.filter((r) => { const o = afterKeys.get(r.start + ':' + r.end); return !o || !same(r, o); });
  const b = after.filter((r) => { const o = beforeKeys.get(r.start + ':' + r.end); return !o || !same(r, o); });
  const changes: VmaChange[] = [];
  // Within one list VMAs never overlap, so a sweep in start order that keeps taking the next VMA
  // while it starts below the cluster's end collects exactly the VMAs linked by overlaps.
  let i = 0;
  let j = 0;
  let cluster: VmaChange | undefined;
  let end = 0;
  while (i < a.length || j < b.length) {
    const fromBefore = j >= b.length || (i < a.length && a[i].start <= b[j].start);
    const r = fromBefore ? a[i++] : b[j++];
    if (!cluster || r.start >= end) {
      if (cluster) changes.push(cluster);
      cluster = { kind: 'changed', before: [], after: [] };
      end = r.end;
    }
    (fromBefore ? cluster.before : cluster.after).push(r);
    end = Math.max(end, r.end);
  }
  if (cluster) changes.push(cluster);
  for (const c of changes) c.kind = kindOf(c.before, c.after);
  return changes;
}

function kindOf(before: readonly VmaRow[], after: readonly VmaRow[]): VmaChangeKind {
  if (before.length === 0) return 'added';
  if (after.length === 0) return 'removed';
  if (before.length === 1 && after.length > 1) return 'split';
  if (before.length > 1 && after.length === 1) return 'merged';
  if (before.length === 1 && after.length === 1) {
    return before[0].start === after[0].start && before[0].end === after[0].end ? 'changed' : 'resized';
  }
  return 'changed';
}

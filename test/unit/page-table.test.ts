import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PageTable, PTE_GUARD, PTE_PRESENT, PT_PAGES } from '../../src/mem/page-table.js';

const GIB_PAGES = 512 * 512;

/** Page numbers clustered around 1 GiB and 512 GiB table boundaries, where the walks change table. */
const vpnArb = fc.oneof(
  fc.integer({ min: 0, max: 4 * 512 - 1 }),
  fc.integer({ min: GIB_PAGES - 1024, max: GIB_PAGES + 1024 }),
  fc.integer({ min: 3 * GIB_PAGES - 600, max: 3 * GIB_PAGES + 600 }),
  fc.integer({ min: 512 * GIB_PAGES - 600, max: 512 * GIB_PAGES + 600 }),
  fc.integer({ min: PT_PAGES - 600, max: PT_PAGES - 1 }),
);

type Op =
  | { kind: 'set'; vpn: number; pte: number }
  | { kind: 'clear'; vpn: number }
  | { kind: 'clearRange'; first: number; last: number; keepGuards: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), vpn: vpnArb, pte: fc.oneof(fc.constant(PTE_GUARD), fc.integer({ min: 1, max: 1 << 20 }).map((f) => (f << 10) | PTE_PRESENT)) }),
  fc.record({ kind: fc.constant('clear' as const), vpn: vpnArb }),
  fc.tuple(vpnArb, vpnArb, fc.boolean()).map(([a, b, keepGuards]) => ({ kind: 'clearRange' as const, first: Math.min(a, b), last: Math.max(a, b) + 1, keepGuards })),
);

/** Every (vpn, pte) the table walks in [first, last), leaf by leaf. */
function walk(pt: PageTable, first: number, last: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  pt.forEachLeafIn(first, last, (leaf, base, lo, hi) => {
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(512);
    expect(leaf[512]).toBeGreaterThan(0); // only leaves with entries are walked (slot 512 counts them)
    for (let i = lo; i < hi; i++) if (leaf[i] !== 0) out.push([base + i, leaf[i]]);
  });
  return out;
}

describe('PageTable', () => {
  it('agrees with a map of page numbers under random set/clear/clearRange, and walks ranges across table boundaries', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(fc.tuple(vpnArb, vpnArb), { maxLength: 6 }), (ops, ranges) => {
        const pt = new PageTable();
        const model = new Map<number, number>();
        for (const op of ops) {
          if (op.kind === 'set') {
            pt.set(op.vpn, op.pte);
            model.set(op.vpn, op.pte);
          } else if (op.kind === 'clear') {
            pt.clear(op.vpn);
            model.delete(op.vpn);
          } else {
            const removed: number[] = [];
            const n = pt.clearRange(op.first, op.last, op.keepGuards, (leaf, lo, hi) => {
              for (let i = lo; i < hi; i++) if ((leaf[i] & PTE_PRESENT) !== 0) removed.push(leaf[i]);
            });
            let expectN = 0;
            const expectRemoved: number[] = [];
            for (const [vpn, pte] of [...model].sort((a, b) => a[0] - b[0])) {
              if (vpn < op.first || vpn >= op.last || (op.keepGuards && pte === PTE_GUARD)) continue;
              expectN++;
              if ((pte & PTE_PRESENT) !== 0) expectRemoved.push(pte);
              model.delete(vpn);
            }
            expect(n).toBe(expectN);
            expect(removed).toEqual(expectRemoved);
          }
        }
        const sorted = [...model].sort((a, b) => a[0] - b[0]);
        expect(pt.size).toBe(model.size);
        expect(pt.leaves).toBe(new Set(sorted.map(([v]) => Math.floor(v / 512))).size);
        for (const [vpn, pte] of sorted) expect(pt.get(vpn)).toBe(pte);
        expect(walk(pt, 0, PT_PAGES)).toEqual(sorted);
        for (const [a, b] of ranges) {
          const first = Math.min(a, b), last = Math.max(a, b) + 1;
          expect(walk(pt, first, last)).toEqual(sorted.filter(([v]) => v >= first && v < last));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets the walk callback empty (and drop) the leaf it is given, then goes on to the next one', () => {
    const pt = new PageTable();
    const vpns = [5, 511, 512, 513, GIB_PAGES - 1, GIB_PAGES, GIB_PAGES + 700];
    for (const v of vpns) pt.set(v, (v << 10) | PTE_PRESENT);
    const seen: number[] = [];
    pt.forEachIn(0, GIB_PAGES + 1024, (vpn) => { seen.push(vpn); pt.clear(vpn); });
    expect(seen).toEqual(vpns);
    expect(pt.size).toBe(0);
    expect(pt.leaves).toBe(0);
  });
});

/**
 * The mm-id slots of anonymous large folios (src/mem/large-mapcount.ts) against the rules of
 * Linux 6.18's folio_add_return_large_mapcount() / folio_sub_return_large_mapcount(), step by
 * step; the kernel-recorded fixtures madvise-data/thp-maybe-shared-* show the same rules end to end.
 */
import { describe, expect, it } from 'vitest';
import { LargeMapcounts } from '../../src/mem/large-mapcount.js';

const A = 1, B = 2, C = 3;

/** A PMD-mapped THP of A, shared by fork with B and then C (all PMD-mapped). */
function threeWay(): LargeMapcounts {
  const l = new LargeMapcounts();
  l.add(7, A, 512, true);
  l.add(7, B, 512, true);
  l.add(7, C, 512, true);
  return l;
}

describe('large folio mapcount and mm-id slots', () => {
  it('a folio one mm maps is exclusive; a second mm takes slot 1 and sets the bit', () => {
    const l = new LargeMapcounts();
    l.add(7, A, 512, true);
    expect(l.maybeShared(7)).toBe(false);
    l.add(7, B, 512, true);
    expect(l.maybeShared(7)).toBe(true);
    expect(l.total(7)).toBe(1024);
    l.pmdUnmapped(7);
    l.sub(7, B, 512);
    expect(l.maybeShared(7)).toBe(false); // slot 0 holds every mapping again
  });

  it('a third mm is counted outside the slots: the bit outlasts the other two', () => {
    const l = threeWay();
    l.pmdSplit(7, A); // A has a slot: nothing changes but the PMD count
    l.sub(7, A, 512);
    l.pmdUnmapped(7);
    l.sub(7, B, 512);
    // C maps the folio alone now, by one PMD: a single mapping is exclusive whatever the bit.
    expect(l.total(7)).toBe(512);
    expect(l.maybeShared(7)).toBe(false);
    // Split C's PMD: C takes the free slot 0 one short of its 512 PTEs, and stays shared.
    l.pmdSplit(7, C);
    expect(l.maybeShared(7)).toBe(true);
    l.sub(7, C, 511);
    expect(l.maybeShared(7)).toBe(false); // one PTE left: exclusive
    l.sub(7, C, 1);
    expect(l.total(7)).toBe(0);
  });

  it('the bit clears once the untracked mm leaves and one slot holds everything', () => {
    const l = threeWay();
    l.pmdUnmapped(7);
    l.sub(7, C, 512); // no slot: both slots still hold mappings
    expect(l.maybeShared(7)).toBe(true);
    l.pmdUnmapped(7);
    l.sub(7, B, 512); // slot 1 freed; slot 0 (A) holds every mapping
    expect(l.maybeShared(7)).toBe(false);
  });

  it('PTE-mapped pages unmapped one by one free the slot when its count runs out', () => {
    const l = new LargeMapcounts();
    for (let i = 0; i < 4; i++) l.add(9, A, 1);
    l.add(9, B, 2);
    expect(l.maybeShared(9)).toBe(true);
    l.sub(9, B, 1);
    expect(l.maybeShared(9)).toBe(true);
    l.sub(9, B, 1);
    expect(l.maybeShared(9)).toBe(false);
    l.forget(9);
    expect(l.size).toBe(0);
  });
});

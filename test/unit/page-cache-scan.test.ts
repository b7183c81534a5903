/**
 * page_cache_next_miss() / page_cache_prev_miss() over the modelled XArray: the results the
 * kernel's xas_next()/xas_prev() walk gives, derived by hand from lib/xarray.c and checked on the
 * kernel by the fileio/residency interleaved-* and resume-* fixtures.
 */
import { describe, expect, it } from 'vitest';
import { addFolio } from '../../src/mm/folio.js';
import { pageCacheNextMiss, pageCachePrevMiss } from '../../src/mm/page-cache-scan.js';
import type { MmInode } from '../../src/mm/vma.js';

/** An inode caching `folios`: [first page, pages] each. */
function inodeWith(folios: [number, number][]): MmInode {
  const inode: MmInode = {
    major: 0, minor: 0, ino: 1, path: '/f', deleted: false, fs: 'ext4', size: 8 << 20,
    cached: new Set(), pages: new Map(),
  };
  for (const [start, n] of folios) {
    for (let i = start; i < start + n; i++) inode.cached.add(i);
    addFolio(inode, start, n);
  }
  return inode;
}

const order0 = (from: number, to: number): [number, number][] =>
  Array.from({ length: to - from }, (_, i) => [from + i, 1] as [number, number]);

describe('page_cache_next_miss', () => {
  it('finds the first gap from an order-0 page or a folio start', () => {
    const inode = inodeWith([...order0(0, 4), [4, 4], [8, 4], [12, 4], [16, 4]]);
    expect(pageCacheNextMiss(inode, 1, 2048)).toBe(20);
    expect(pageCacheNextMiss(inode, 4, 2048)).toBe(20);
    expect(pageCacheNextMiss(inode, 20, 2048)).toBe(20);
  });

  it('reports the gap late by the distance into the large folio it starts in', () => {
    const inode = inodeWith([...order0(0, 4), [4, 4], [8, 4], [12, 4], [16, 4]]);
    // The walk reads slot 4 while reporting index 5: slot 20 (empty) is reported as 21.
    expect(pageCacheNextMiss(inode, 5, 2048)).toBe(21);
    expect(pageCacheNextMiss(inode, 7, 2048)).toBe(23);
  });

  it('resynchronises after the leaf node, skipping the first slots of the next one', () => {
    // Folio 60-63, a gap at 64-65, folios 66-67 and 68-69, a gap at 70.
    const inode = inodeWith([[60, 4], [66, 2], [68, 2]]);
    // From 62 (two into the folio): slot 63 is read as index 65, then the next leaf is entered at
    // index 66 - the gap at 64-65 is never read.
    expect(pageCacheNextMiss(inode, 62, 2048)).toBe(70);
    expect(pageCacheNextMiss(inode, 60, 2048)).toBe(64);
  });

  it('returns index + max_scan when every slot scanned is present', () => {
    const inode = inodeWith(order0(0, 64));
    expect(pageCacheNextMiss(inode, 3, 10)).toBe(13);
  });

  it('treats a PMD-sized folio as present throughout', () => {
    const inode = inodeWith([[512, 512]]);
    expect(pageCacheNextMiss(inode, 700, 2048)).toBe(1024);
    expect(pageCacheNextMiss(inode, 512, 2048)).toBe(1024);
  });
});

describe('page_cache_prev_miss', () => {
  it('finds the last gap below an order-0 page', () => {
    const inode = inodeWith([[30, 1], ...order0(32, 40)]);
    expect(pageCachePrevMiss(inode, 39, 2048)).toBe(31);
  });

  it('runs off the start of a file cached from page 0 (ULONG_MAX)', () => {
    const inode = inodeWith(order0(0, 40));
    expect(pageCachePrevMiss(inode, 39, 2048)).toBe(-1);
  });

  it('starting on the last page of a large folio, reports the gap late and stops at the node start', () => {
    // Pages 0-3, folios 4-19 of four pages (a stream's first windows): from 19 the walk reads slot
    // 16 for index 19, reaches slot 0 as index 3, and leaves the leaf (the root) at index 2.
    const inode = inodeWith([...order0(0, 4), [4, 4], [8, 4], [12, 4], [16, 4]]);
    expect(pageCachePrevMiss(inode, 19, 2048)).toBe(2);
  });

  it('stops after max_scan slots', () => {
    const inode = inodeWith(order0(0, 64));
    expect(pageCachePrevMiss(inode, 50, 10)).toBe(41);
  });
});

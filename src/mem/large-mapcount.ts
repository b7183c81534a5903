/**
 * The mapcount of each anonymous large folio, and which address spaces hold its mappings, as
 * Linux 6.18 keeps them with CONFIG_MM_ID: a total, two (mm, count) slots and a "maybe mapped
 * shared" bit. The bit is what folio_maybe_mapped_shared() answers for a large folio, and it is
 * not a function of who maps the folio now: a third address space mapping the folio while both
 * slots are taken is counted in the total only, so the bit stays set until every mapping of the
 * folio is in one slot again — after two of three processes dropped a THP, the last one still
 * sees it "maybe shared" (recorded: madvise-data/thp-maybe-shared-sticky-*, fuzz seeds 2510139
 * and 2600052).
 *
 * Counts are in pages: a huge PMD counts 512 here where Linux counts one mapping (so `pmds`
 * counts those, for the one test that needs Linux's unit). The bit only depends on whether
 * counts are zero and whether one slot's count equals the total, which the unit does not
 * change, as long as a PMD split is replayed as Linux does it (pmdSplit()).
 *
 * Linux: include/linux/rmap.h folio_add_return_large_mapcount(),
 * folio_sub_return_large_mapcount(); include/linux/mm.h folio_maybe_mapped_shared().
 */

/** One folio's counts. `mm0`/`mm1` are mm ids, 0 for a free slot. */
interface LargeMapcount {
  total: number;
  /** Huge PMDs mapping the folio (each is 512 of `total`). */
  pmds: number;
  mm0: number;
  n0: number;
  mm1: number;
  n1: number;
  shared: boolean;
}

export class LargeMapcounts {
  /** Folio folio id (FramePool.folio) → its counts; a folio mapped nowhere has no entry. */
  private readonly folios = new Map<number, LargeMapcount>();

  /** How many folios are mapped somewhere: 0 lets the page-table walks skip all of this. */
  get size(): number {
    return this.folios.size;
  }

  /** Mappings of folio `folio`, in pages (folio_large_mapcount()). */
  total(folio: number): number {
    return this.folios.get(folio)?.total ?? 0;
  }

  /**
   * folio_maybe_mapped_shared() of a large folio: the bit, except that a folio mapped once (one
   * PTE, or one PMD) is exclusive whatever the bit says (recorded:
   * madvise-data/thp-maybe-shared-sticky-pmd-cold).
   */
  maybeShared(folio: number): boolean {
    const c = this.folios.get(folio);
    if (c === undefined || c.total - 511 * c.pmds <= 1) return false;
    return c.shared;
  }

  /**
   * Address space `mm` maps `n` more pages of folio `folio`, by a huge PMD when `pmd`
   * (folio_add_return_large_mapcount()).
   */
  add(folio: number, mm: number, n: number, pmd = false): void {
    let c = this.folios.get(folio);
    if (c === undefined) {
      // A new folio, or one that was mapped nowhere: both slots are free (folio_set_large_mapcount()).
      c = { total: 0, pmds: 0, mm0: 0, n0: 0, mm1: 0, n1: 0, shared: false };
      this.folios.set(folio, c);
    }
    if (pmd) c.pmds++;
    const before = c.total;
    c.total += n;
    if (c.mm0 === mm) c.n0 += n;
    else if (c.mm1 === mm) c.n1 += n;
    else if (c.mm0 === 0) {
      c.mm0 = mm;
      c.n0 = n;
      // Mappings it did not count may exist already (another mm's, or its own from before).
      if (before !== 0) c.shared = true;
    } else if (c.mm1 === 0) {
      c.mm1 = mm;
      c.n1 = n;
      c.shared = true; // slot 0 has mappings as well
    }
    // Both slots taken by others: counted in the total only (the bit is already set).
  }

  /** Address space `mm` unmaps `n` pages of folio `folio` (folio_sub_return_large_mapcount()). */
  sub(folio: number, mm: number, n: number): void {
    const c = this.folios.get(folio);
    if (c === undefined) return;
    c.total -= n;
    if (c.total <= 0) {
      this.folios.delete(folio);
      return;
    }
    if (c.mm0 === mm) {
      c.n0 -= n;
      if (c.n0 > 0) return;
      // A slot cannot count fewer than none: mappings the mm made before it took the slot are
      // absorbed, and it is freed.
      c.mm0 = 0;
      c.n0 = 0;
    } else if (c.mm1 === mm) {
      c.n1 -= n;
      if (c.n1 > 0) return;
      c.mm1 = 0;
      c.n1 = 0;
    }
    // The folio is exclusive again when one slot holds every mapping.
    if (c.n0 === c.total || c.n1 === c.total) c.shared = false;
  }

  /**
   * A huge PMD mapping folio `folio` in `mm` is gone, its 512 pages about to be unmapped by
   * sub() (zap_huge_pmd()).
   */
  pmdUnmapped(folio: number): void {
    const c = this.folios.get(folio);
    if (c !== undefined) c.pmds--;
  }

  /**
   * `mm`'s huge PMD mapping folio `folio` is split into 512 PTEs. Linux adds the 512 PTE
   * mappings, then removes the PMD's one (__split_huge_pmd_locked()). In pages nothing changes,
   * except when `mm` had no slot and one is free: it takes the slot with its 512 new mappings
   * (and the bit, as its PMD is another mapping), and the PMD's removal leaves the slot one
   * short of what it maps, for good.
   */
  pmdSplit(folio: number, mm: number): void {
    const c = this.folios.get(folio);
    if (c === undefined) return;
    c.pmds--;
    if (c.mm0 === mm || c.mm1 === mm) return;
    if (c.mm0 === 0) {
      c.mm0 = mm;
      c.n0 = 511;
      c.shared = true;
    } else if (c.mm1 === 0) {
      c.mm1 = mm;
      c.n1 = 511;
      c.shared = true;
    }
  }

  /** Folio `folio` is split into small folios (or freed): it is tracked no more. */
  forget(folio: number): void {
    this.folios.delete(folio);
  }

  /** For invariant checks: every tracked folio's counts. */
  entries(): IterableIterator<[number, Readonly<LargeMapcount>]> {
    return this.folios.entries();
  }
}

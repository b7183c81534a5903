/**
 * Which virtual pages are resident, and how (PTE_* kinds): the part of a page table the
 * address-space engine needs (mincore, populate, RSS) until the memory layer brings frames.
 *
 * Pages are kept in one Map per 2 MiB region (a PMD's worth, like a page-table page), so range
 * operations — munmap of 1 GiB untouched, mremap moves, RSS of a VMA — cost O(regions touched),
 * never O(pages in the range), and a never-touched VMA costs one Map lookup per region or nothing.
 */
const REGION_PAGES = 512;

export class Residency {
  private readonly regions = new Map<number, Map<number, number>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(vpn: number): number | undefined {
    return this.regions.get(Math.floor(vpn / REGION_PAGES))?.get(vpn);
  }

  has(vpn: number): boolean {
    return this.get(vpn) !== undefined;
  }

  set(vpn: number, kind: number): void {
    const r = Math.floor(vpn / REGION_PAGES);
    let m = this.regions.get(r);
    if (m === undefined) {
      m = new Map();
      this.regions.set(r, m);
    }
    const before = m.size;
    m.set(vpn, kind);
    this.count += m.size - before;
  }

  delete(vpn: number): void {
    const r = Math.floor(vpn / REGION_PAGES);
    const m = this.regions.get(r);
    if (m === undefined || !m.delete(vpn)) return;
    this.count--;
    if (m.size === 0) this.regions.delete(r);
  }

  /** Call fn for every resident page in [first, last) (page numbers), in no particular order. */
  forEachIn(first: number, last: number, fn: (vpn: number, kind: number) => void): void {
    if (this.count === 0 || first >= last) return;
    const r0 = Math.floor(first / REGION_PAGES);
    const r1 = Math.floor((last - 1) / REGION_PAGES);
    // Per region, walk whichever is smaller: the pages of the range in it, or its resident pages.
    const visit = (r: number, m: Map<number, number>): void => {
      const lo = Math.max(first, r * REGION_PAGES);
      const hi = Math.min(last, (r + 1) * REGION_PAGES);
      if (hi - lo < m.size) {
        for (let vpn = lo; vpn < hi; vpn++) {
          const kind = m.get(vpn);
          if (kind !== undefined) fn(vpn, kind);
        }
      } else {
        for (const [vpn, kind] of m) if (vpn >= lo && vpn < hi) fn(vpn, kind);
      }
    };
    if (r1 - r0 + 1 <= this.regions.size) {
      for (let r = r0; r <= r1; r++) {
        const m = this.regions.get(r);
        if (m !== undefined) visit(r, m);
      }
    } else {
      for (const [r, m] of this.regions) if (r >= r0 && r <= r1) visit(r, m);
    }
  }

  /** Every resident page number. */
  *keys(): IterableIterator<number> {
    for (const m of this.regions.values()) yield* m.keys();
  }

  /**
   * Delete the pages of [first, last), keeping those of kind `keepKind` (-1: keep none). Hot: every
   * munmap calls it, so it allocates nothing when the range holds no resident page.
   */
  deleteIn(first: number, last: number, keepKind = -1): void {
    if (this.count === 0 || first >= last) return;
    const r0 = Math.floor(first / REGION_PAGES);
    const r1 = Math.floor((last - 1) / REGION_PAGES);
    if (r1 - r0 + 1 <= this.regions.size) {
      for (let r = r0; r <= r1; r++) {
        const m = this.regions.get(r);
        if (m !== undefined) this.deleteInRegion(r, m, first, last, keepKind);
      }
    } else {
      const hit: number[] = [];
      for (const r of this.regions.keys()) if (r >= r0 && r <= r1) hit.push(r);
      for (const r of hit) this.deleteInRegion(r, this.regions.get(r)!, first, last, keepKind);
    }
  }

  private deleteInRegion(r: number, m: Map<number, number>, first: number, last: number, keepKind: number): void {
    const lo = Math.max(first, r * REGION_PAGES);
    const hi = Math.min(last, (r + 1) * REGION_PAGES);
    const before = m.size;
    if (hi - lo < m.size) {
      for (let vpn = lo; vpn < hi; vpn++) {
        const k = m.get(vpn);
        if (k !== undefined && k !== keepKind) m.delete(vpn);
      }
    } else {
      for (const [vpn, k] of m) if (vpn >= lo && vpn < hi && k !== keepKind) m.delete(vpn);
    }
    this.count -= before - m.size;
    if (m.size === 0) this.regions.delete(r);
  }

  /** Move the pages of [from, from+n) to [to, to+n) (move_page_tables()). */
  move(from: number, to: number, n: number): void {
    if (from === to || this.count === 0) return;
    const moved: number[] = [];
    this.forEachIn(from, from + n, (vpn, kind) => { moved.push(vpn, kind); });
    for (let i = 0; i < moved.length; i += 2) this.delete(moved[i]);
    for (let i = 0; i < moved.length; i += 2) this.set(moved[i] - from + to, moved[i + 1]);
  }
}

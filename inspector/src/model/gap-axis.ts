/**
 * The address axis of the bar view. A true-to-scale 64-bit axis is nothing but gap (a 4 KiB page
 * is 2^-35 of user space), so the axis is piecewise linear: every VMA gets a width that grows
 * with the log of its size, and every gap between VMAs a fixed-width break labelled with its
 * size. Inside one piece addresses map linearly, so zooming into a VMA shows its pages in order.
 */
import type { VmaRow } from './vma-row.js';

export interface AxisPiece {
  /** Byte range [start, end). */
  start: number;
  end: number;
  /** Position on the unzoomed axis, in units of the total width (0..1). */
  x0: number;
  x1: number;
  /** The VMA drawn here, or undefined for a gap. */
  row?: VmaRow;
}

/** A gap's width, in the same units as a VMA's weight: wide enough for its label. */
const GAP_WEIGHT = 2.5;
/** Gaps below this size (a guard page or two) get a narrower break. */
const SMALL_GAP = 1 << 20;
const SMALL_GAP_WEIGHT = 0.8;

/** A VMA's weight: 1 for one page, +1 per doubling. */
function weight(bytes: number): number {
  return 1 + Math.log2(Math.max(1, bytes / 4096));
}

/**
 * The pieces for sorted rows, from address 0 (so the unmapped bottom of the address space is a
 * break too) to the end of the last row.
 */
export function buildAxis(rows: readonly VmaRow[]): AxisPiece[] {
  const raw: { start: number; end: number; w: number; row?: VmaRow }[] = [];
  let at = 0;
  for (const r of rows) {
    if (r.start > at) {
      const gap = r.start - at;
      raw.push({ start: at, end: r.start, w: gap < SMALL_GAP ? SMALL_GAP_WEIGHT : GAP_WEIGHT });
    }
    raw.push({ start: r.start, end: r.end, w: weight(r.end - r.start), row: r });
    at = r.end;
  }
  const total = raw.reduce((s, p) => s + p.w, 0) || 1;
  let x = 0;
  return raw.map((p) => {
    const x0 = x / total;
    x += p.w;
    return { start: p.start, end: p.end, x0, x1: x / total, row: p.row };
  });
}

/** The index of the piece at unzoomed position u (0..1). */
export function pieceAt(pieces: readonly AxisPiece[], u: number): number {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pieces[mid].x0 <= u) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The address at unzoomed position u inside piece p, page-aligned down. */
export function addressAt(p: AxisPiece, u: number): number {
  const f = (u - p.x0) / (p.x1 - p.x0 || 1);
  const a = p.start + Math.max(0, Math.min(1, f)) * (p.end - p.start);
  return a - (a % 4096);
}

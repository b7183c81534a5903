import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RangeNode, RangeTree } from '../../src/tree/range-tree.js';

/** A subclass, as callers use it (class Vma extends RangeNode). */
class R extends RangeNode {
  constructor(
    start: number,
    end: number,
    readonly id: number,
  ) {
    super(start, end);
  }
}

/** The trivially correct model: a sorted array of the same node objects. */
class Model {
  a: R[] = [];

  insert(n: R): void {
    let i = 0;
    while (i < this.a.length && this.a[i].start < n.start) i++;
    this.a.splice(i, 0, n);
  }
  remove(n: R): void {
    this.a.splice(this.a.indexOf(n), 1);
  }
  findNext(addr: number): R | undefined {
    return this.a.find((n) => n.end > addr);
  }
  find(addr: number): R | undefined {
    return this.a.find((n) => n.start <= addr && addr < n.end);
  }
  findPrevStart(addr: number): R | undefined {
    let r: R | undefined;
    for (const n of this.a) if (n.start < addr) r = n;
    return r;
  }
  firstIntersecting(s: number, e: number): R | undefined {
    if (e <= s) return undefined; // an empty range intersects nothing
    return this.a.find((n) => n.start < e && s < n.end);
  }
  /** Whether [s, e) is free. */
  free(s: number, e: number): boolean {
    return this.a.every((n) => n.end <= s || e <= n.start);
  }
  gaps(): [number, number][] {
    const g: [number, number][] = [];
    let prev = 0;
    for (const n of this.a) {
      g.push([prev, n.start]);
      prev = n.end;
    }
    g.push([prev, Infinity]);
    return g;
  }
  gapTopDown(len: number, low: number, high: number): number {
    const g = this.gaps();
    for (let i = g.length - 1; i >= 0; i--) {
      const s = Math.max(g[i][0], low);
      const e = Math.min(g[i][1], high);
      if (e - s >= len) return e;
    }
    return -1;
  }
  gapBottomUp(len: number, low: number, high: number): number {
    for (const [gs, ge] of this.gaps()) {
      const s = Math.max(gs, low);
      const e = Math.min(ge, high);
      if (e - s >= len) return s;
    }
    return -1;
  }
}

/** mulberry32: a small seeded PRNG (bitwise ops on the PRNG state only, never on addresses). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Address scales: page-sized units, odd (non-page) units, and units placed near 2^47 so any
 * 32-bit truncation shows up.
 */
const SCALES: { unit: number; base: number }[] = [
  { unit: 0x1000, base: 0 },
  { unit: 7, base: 0 },
  { unit: 0x1000, base: 0x7ff000000000 },
  { unit: 0x100000001, base: 0 },
];

type Tree = RangeTree<R>;

/** expect() is slow in tight loops: compare by hand and only build a message on failure. */
function same(got: unknown, want: unknown, what: string): void {
  if (got !== want) {
    const show = (v: unknown): string =>
      v instanceof RangeNode ? `${v.start.toString(16)}-${v.end.toString(16)}` : String(v);
    throw new Error(`${what}: got ${show(got)}, want ${show(want)}`);
  }
}

function compareAll(t: Tree, m: Model): void {
  t.checkValid();
  same(t.size, m.a.length, 'size');
  const arr = t.toArray();
  same(arr.length, m.a.length, 'toArray length');
  for (let i = 0; i < arr.length; i++) same(arr[i], m.a[i], `toArray[${i}]`);
  let k = 0;
  t.forEach((n) => same(n, m.a[k++], 'forEach'));
  same(k, m.a.length, 'forEach count');
  same(t.first(), m.a[0], 'first');
  same(t.last(), m.a[m.a.length - 1], 'last');
  for (let i = 0; i < m.a.length; i++) {
    same(t.next(m.a[i]), m.a[i + 1], 'next');
    same(t.prev(m.a[i]), m.a[i - 1], 'prev');
  }
}

function checkQueries(t: Tree, m: Model, r: () => number, u: (k: number) => number, maxUnits: number): void {
  for (let q = 0; q < 8; q++) {
    const addr = u(Math.floor(r() * (maxUnits + 4)) - 2);
    same(t.findNext(addr), m.findNext(addr), `findNext(${addr})`);
    same(t.find(addr), m.find(addr), `find(${addr})`);
    same(t.findPrevStart(addr), m.findPrevStart(addr), `findPrevStart(${addr})`);
    const e = u(Math.floor(r() * (maxUnits + 4)) - 2);
    same(t.firstIntersecting(addr, e), m.firstIntersecting(addr, e), `firstIntersecting(${addr}, ${e})`);
  }
  for (const n of m.a) {
    // Boundaries exactly.
    same(t.findNext(n.start), n, 'findNext(start)');
    same(t.findNext(n.end - 1), n, 'findNext(end - 1)');
    same(t.find(n.end), m.find(n.end), 'find(end)');
    same(t.findPrevStart(n.start), m.findPrevStart(n.start), 'findPrevStart(start)');
  }
  for (let q = 0; q < 12; q++) {
    const len = u(1 + Math.floor(r() * (r() < 0.5 ? 4 : 30)));
    let low = u(Math.floor(r() * (maxUnits + 4)) - 2);
    let high = r() < 0.15 ? Infinity : u(Math.floor(r() * (maxUnits + 8)));
    if (r() < 0.2) low = 0;
    if (r() < 0.05) [low, high] = [high, low];
    const what = `(${len}, ${low}, ${high})`;
    const td = t.gapTopDown(len, low, high);
    same(td, m.gapTopDown(len, low, high), `gapTopDown${what}`);
    if (td !== -1 && td !== Infinity) {
      // The caller's stack-guard-gap retry needs the node right above the gap.
      same(t.findNext(td), m.a.find((n) => n.start >= td), `findNext(gapTopDown${what})`);
      same(m.free(td - len, td), true, `gapTopDown${what} is free`);
    }
    const bu = t.gapBottomUp(len, low, high);
    same(bu, m.gapBottomUp(len, low, high), `gapBottomUp${what}`);
    if (bu !== -1) same(m.free(bu, bu + len), true, `gapBottomUp${what} is free`);
  }
}

/** One randomized session: mixed inserts, removes, setRange, queries; checkValid each step. */
function session(
  seed: number,
  steps: number,
  maxUnits: number,
  scale: { unit: number; base: number },
  debug = true,
): void {
  const r = rng(seed);
  const u = (k: number): number => scale.base + k * scale.unit;
  const t: Tree = new RangeTree<R>({ debug });
  const m = new Model();
  let id = 0;
  for (let step = 0; step < steps; step++) {
    const op = r();
    if (op < 0.45) {
      // Insert a random range in a random free spot (often adjacent to neighbours).
      const s = Math.floor(r() * maxUnits);
      const len = 1 + Math.floor(r() * (r() < 0.7 ? 3 : 12));
      if (m.free(u(s), u(s + len))) {
        const n = new R(u(s), u(s + len), id++);
        t.insert(n);
        m.insert(n);
      }
    } else if (op < 0.75) {
      if (m.a.length > 0) {
        const n = m.a[Math.floor(r() * m.a.length)];
        t.remove(n);
        m.remove(n);
      }
    } else {
      if (m.a.length > 0) {
        const i = Math.floor(r() * m.a.length);
        const n = m.a[i];
        const lo = i > 0 ? m.a[i - 1].end : u(0);
        const hi = i + 1 < m.a.length ? m.a[i + 1].start : u(maxUnits + 20);
        const loK = Math.round((lo - scale.base) / scale.unit);
        const hiK = Math.round((hi - scale.base) / scale.unit);
        // New [s, e) within [lo, hi), s < e; bias toward keeping one end fixed.
        let sK = loK + Math.floor(r() * (hiK - loK));
        let eK = sK + 1 + Math.floor(r() * (hiK - sK));
        const which = r();
        if (which < 0.3) {
          sK = Math.round((n.start - scale.base) / scale.unit);
          eK = sK + 1 + Math.floor(r() * (hiK - sK));
        } else if (which < 0.6) {
          eK = Math.round((n.end - scale.base) / scale.unit);
          sK = loK + Math.floor(r() * (eK - loK));
        }
        t.setRange(n, u(sK), u(eK));
      }
    }
    compareAll(t, m);
    checkQueries(t, m, r, u, maxUnits);
  }
}

describe('RangeTree: randomized against a sorted-array model', () => {
  for (const scale of SCALES) {
    it(`small dense trees (unit ${scale.unit}, base ${scale.base})`, () => {
      for (let seed = 1; seed <= 20; seed++) session(seed * 7919 + scale.unit, 150, 60, scale);
    });
  }
  it('larger trees (debug checks off: the production code path)', () => {
    for (let seed = 1; seed <= 3; seed++) session(seed, 1500, 3000, SCALES[0], false);
  });
});

describe('RangeTree: edge cases', () => {
  it('empty tree', () => {
    const t = new RangeTree<R>();
    t.checkValid();
    expect(t.size).toBe(0);
    expect(t.first()).toBeUndefined();
    expect(t.last()).toBeUndefined();
    expect(t.findNext(0)).toBeUndefined();
    expect(t.find(5)).toBeUndefined();
    expect(t.findPrevStart(5)).toBeUndefined();
    expect(t.firstIntersecting(0, 100)).toBeUndefined();
    expect(t.toArray()).toEqual([]);
    expect(t.gapTopDown(0x1000, 0, 0x10000)).toBe(0x10000);
    expect(t.gapBottomUp(0x1000, 0x3000, 0x10000)).toBe(0x3000);
    expect(t.gapTopDown(0x1000, 0, Infinity)).toBe(Infinity);
    expect(t.gapBottomUp(0x1000, 0, Infinity)).toBe(0);
    expect(t.gapTopDown(0x2000, 0x1000, 0x2000)).toBe(-1);
  });

  it('low >= high or a window smaller than len gives -1', () => {
    const t = new RangeTree<R>();
    t.insert(new R(0x10000, 0x20000, 0));
    for (const [low, high] of [
      [0x5000, 0x5000],
      [0x6000, 0x5000],
      [0x5000, 0x5fff],
    ]) {
      expect(t.gapTopDown(0x1000, low, high)).toBe(-1);
      expect(t.gapBottomUp(0x1000, low, high)).toBe(-1);
    }
  });

  it('gap at 0 and gap at the top', () => {
    const t = new RangeTree<R>({ debug: true });
    const a = new R(0x3000, 0x5000, 0);
    const b = new R(0x6000, 0x8000, 1);
    t.insert(a);
    t.insert(b);
    // Below the first node: [0, 0x3000).
    expect(t.gapTopDown(0x3000, 0, 0x6000)).toBe(0x3000);
    expect(t.findNext(0x3000)).toBe(a);
    expect(t.gapBottomUp(0x3000, 0, Infinity)).toBe(0);
    expect(t.gapBottomUp(0x3001, 0, Infinity)).toBe(0x8000);
    // Above the last node: [0x8000, inf).
    expect(t.gapTopDown(0x1000, 0, 0x10000)).toBe(0x10000);
    expect(t.gapTopDown(0x1000, 0, 0x8000)).toBe(0x6000);
    expect(t.findNext(0x6000)).toBe(b);
    expect(t.gapTopDown(0x4000, 0, 0x8000)).toBe(-1);
    // A node at 0 leaves no gap below it.
    const z = new R(0, 0x1000, 2);
    t.insert(z);
    expect(t.gapBottomUp(0x1000, 0, Infinity)).toBe(0x1000);
    expect(t.gapBottomUp(0x2001, 0, Infinity)).toBe(0x8000);
    t.checkValid();
  });

  it('findNext(gap end) is the node starting there', () => {
    const t = new RangeTree<R>();
    const nodes = [new R(0x1000, 0x2000, 0), new R(0x4000, 0x5000, 1), new R(0x5000, 0x9000, 2)];
    for (const n of nodes) t.insert(n);
    const e = t.gapTopDown(0x2000, 0, 0x5000);
    expect(e).toBe(0x4000);
    expect(t.findNext(e)).toBe(nodes[1]);
    expect(t.findNext(e - 1)).toBe(nodes[1]);
  });

  it('adjacent nodes and whole-range clipping', () => {
    const t = new RangeTree<R>();
    for (let i = 0; i < 10; i++) t.insert(new R(0x1000 * (i + 1), 0x1000 * (i + 2), i));
    t.checkValid();
    expect(t.gapTopDown(0x1000, 0x1000, 0xb000)).toBe(-1);
    expect(t.gapTopDown(0x1000, 0, 0xb000)).toBe(0x1000);
    expect(t.gapBottomUp(0x1000, 0x1000, Infinity)).toBe(0xb000);
    expect(t.gapBottomUp(0x1000, 0x1000, 0xbfff)).toBe(-1);
  });

  it('debug mode rejects overlap, bad order and foreign nodes', () => {
    const t = new RangeTree<R>({ debug: true });
    const a = new R(0x1000, 0x3000, 0);
    const b = new R(0x5000, 0x6000, 1);
    t.insert(a);
    t.insert(b);
    expect(() => t.insert(new R(0x2000, 0x4000, 2))).toThrow(/overlaps/);
    expect(() => t.insert(new R(0x4000, 0x5001, 2))).toThrow(/overlaps/);
    expect(() => t.insert(new R(0x4000, 0x4000, 2))).toThrow(/start >= end/);
    expect(() => t.setRange(a, 0x1000, 0x5001)).toThrow(/overlaps/);
    expect(() => t.remove(new R(0x8000, 0x9000, 3))).toThrow(/not in this tree/);
    t.checkValid();
    expect(t.size).toBe(2);
  });

  it('checkValid names the broken rule and the node', () => {
    const t = new RangeTree<R>();
    const nodes: R[] = [];
    for (let i = 0; i < 20; i++) {
      const n = new R(0x2000 * i + 0x1000, 0x2000 * i + 0x2000, i);
      nodes.push(n);
      t.insert(n);
    }
    t.checkValid();
    const victim = nodes[7];
    // Reach into the tree's cold records (f64 stride 4: start, gap, maxGap, links).
    const c64 = (t as unknown as { c64: Float64Array }).c64;
    const at = 4 * victim.rtId;
    c64[at + 2] += 1;
    expect(() => t.checkValid()).toThrow(/node 0xf000-0x10000: maxGap 4097 != recomputed 4096/);
    c64[at + 2] -= 1;
    c64[at + 1] += 1;
    expect(() => t.checkValid()).toThrow(/node 0xf000-0x10000: gap 4097 != recomputed 4096/);
    c64[at + 1] -= 1;
    t.checkValid();
    victim.end += 0x1000; // bypassing setRange
    expect(() => t.checkValid()).toThrow(/node 0xf000-0x10000: node object says 0xf000-0x11000/);
    victim.end -= 0x1000;
    t.checkValid();
  });

  it('removed nodes can be reinserted; clear() unlinks everything', () => {
    const t = new RangeTree<R>({ debug: true });
    const a = new R(0x1000, 0x2000, 0);
    const b = new R(0x3000, 0x4000, 1);
    t.insert(a);
    t.insert(b);
    t.remove(a);
    t.insert(a);
    t.checkValid();
    t.clear();
    t.checkValid();
    expect(t.size).toBe(0);
    t.insert(b);
    t.insert(a);
    t.checkValid();
    expect(t.toArray()).toEqual([a, b]);
  });

  it('nodes move between trees; freed slots are reused', () => {
    const a = new RangeTree<R>({ debug: true });
    const b = new RangeTree<R>({ debug: true });
    const nodes: R[] = [];
    for (let i = 0; i < 200; i++) {
      const n = new R(0x10000 * (i + 1), 0x10000 * (i + 1) + 0x3000, i);
      nodes.push(n);
      a.insert(n);
    }
    for (let i = 0; i < 200; i += 3) {
      a.remove(nodes[i]);
      b.insert(nodes[i]);
    }
    a.checkValid();
    b.checkValid();
    expect(() => a.remove(nodes[0])).toThrow(/not in this tree/);
    expect(b.find(0x10000 + 0x2fff)).toBe(nodes[0]);
    expect(a.find(0x10000)).toBeUndefined();
    for (let i = 0; i < 200; i += 3) {
      b.remove(nodes[i]);
      a.insert(nodes[i]);
    }
    a.checkValid();
    b.checkValid();
    expect(a.toArray()).toEqual(nodes);
    expect(b.size).toBe(0);
    expect(b.gapTopDown(0x1000, 0, 0x5000)).toBe(0x5000);
  });

  it('sequential build and teardown stays balanced', () => {
    const t = new RangeTree<R>();
    const nodes: R[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = new R(0x7f0000000000 - (i + 1) * 0x2000, 0x7f0000000000 - i * 0x2000 - 0x1000, i);
      nodes.push(n);
      t.insert(n);
    }
    t.checkValid();
    expect(t.gapTopDown(0x1000, 0, 0x7f0000000000)).toBe(0x7f0000000000);
    expect(t.gapTopDown(0x2000, 0, 0x7f0000000000)).toBe(0x7f0000000000 - 5000 * 0x2000);
    for (let i = 0; i < 5000; i += 2) t.remove(nodes[i]);
    t.checkValid();
    expect(t.size).toBe(2500);
  });
});

describe('RangeTree: fast-check properties', () => {
  type Op =
    | { k: 'ins'; s: number; len: number }
    | { k: 'del'; i: number }
    | { k: 'set'; i: number; a: number; b: number }
    | { k: 'gap'; len: number; low: number; high: number }
    | { k: 'look'; a: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constant('ins' as const), s: fc.nat(80), len: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ k: fc.constant('del' as const), i: fc.nat() }),
    fc.record({ k: fc.constant('set' as const), i: fc.nat(), a: fc.nat(), b: fc.nat() }),
    fc.record({
      k: fc.constant('gap' as const),
      len: fc.integer({ min: 1, max: 20 }),
      low: fc.integer({ min: -2, max: 100 }),
      high: fc.integer({ min: -2, max: 110 }),
    }),
    // Lookups between mutations: they move the tree's lookup cursor, which the next insert,
    // lookup or gap search may reuse (or must not, after a mutation).
    fc.record({ k: fc.constant('look' as const), a: fc.integer({ min: -1, max: 101 }) }),
  );

  // Units of 8 GiB make most gaps larger than the tree's 64 GiB max-gap clamp.
  it.each([
    [true, 0x1000],
    [false, 0x1000],
    [true, 2 ** 33],
  ])('every operation sequence agrees with the model (debug %s, unit %d)', (debug, unit) => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const t = new RangeTree<R>({ debug });
        const m = new Model();
        let id = 0;
        for (const op of ops) {
          if (op.k === 'ins') {
            const s = op.s * unit;
            const e = (op.s + op.len) * unit;
            if (m.free(s, e)) {
              const n = new R(s, e, id++);
              t.insert(n);
              m.insert(n);
            }
          } else if (op.k === 'del') {
            if (m.a.length > 0) {
              const n = m.a[op.i % m.a.length];
              t.remove(n);
              m.remove(n);
            }
          } else if (op.k === 'set') {
            if (m.a.length > 0) {
              const i = op.i % m.a.length;
              const lo = i > 0 ? m.a[i - 1].end / unit : 0;
              const hi = i + 1 < m.a.length ? m.a[i + 1].start / unit : 100;
              const s = lo + (op.a % (hi - lo));
              const e = s + 1 + (op.b % (hi - s));
              t.setRange(m.a[i], s * unit, e * unit);
            }
          } else if (op.k === 'look') {
            const a = op.a * unit + (op.a & 1 ? unit / 2 : 0);
            if (t.findNext(a) !== m.findNext(a)) return false;
            if (t.findPrevStart(a) !== m.findPrevStart(a)) return false;
            if (t.find(a) !== m.find(a)) return false;
            if (t.findPrevStart(a + unit) !== m.findPrevStart(a + unit)) return false;
          } else {
            const len = op.len * unit;
            const low = op.low * unit;
            const high = op.high === 110 ? Infinity : op.high * unit;
            const td = t.gapTopDown(len, low, high);
            if (td !== m.gapTopDown(len, low, high)) return false;
            if (td >= 0 && (t.findNext(td) !== m.findNext(td) || t.findPrevStart(td - len) !== m.findPrevStart(td - len))) return false;
            if (t.gapBottomUp(len, low, high) !== m.gapBottomUp(len, low, high)) return false;
          }
          t.checkValid();
          const arr = t.toArray();
          if (arr.length !== m.a.length || arr.some((n, i) => n !== m.a[i])) return false;
        }
        return true;
      }),
      { numRuns: 300, seed: 12345 },
    );
  });

  it('lookups agree with the model on arbitrary range sets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 50 })), { maxLength: 60 }),
        fc.array(fc.integer({ min: -5, max: 1100 }), { minLength: 1, maxLength: 30 }),
        (ranges, addrs) => {
          const t = new RangeTree<R>();
          const m = new Model();
          ranges.forEach(([s, len], i) => {
            if (m.free(s, s + len)) {
              const n = new R(s, s + len, i);
              t.insert(n);
              m.insert(n);
            }
          });
          t.checkValid();
          for (const a of addrs) {
            if (t.findNext(a) !== m.findNext(a)) return false;
            if (t.find(a) !== m.find(a)) return false;
            if (t.findPrevStart(a) !== m.findPrevStart(a)) return false;
            if (t.firstIntersecting(a, a + 7) !== m.firstIntersecting(a, a + 7)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300, seed: 54321 },
    );
  });
});

describe('RangeTree.buildSorted (fork copies a whole tree in O(n))', () => {
  it('builds a valid balanced tree that answers like one built by inserts, and stays valid under edits', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 6 })), { maxLength: 300 }),
      fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 40 }),
      (spans, probes) => {
        const nodes: RangeNode[] = [];
        const twins: RangeNode[] = [];
        let at = 0;
        for (const [gap, len] of spans) {
          at += gap * 4096;
          nodes.push(new RangeNode(at, at + len * 4096));
          twins.push(new RangeNode(at, at + len * 4096));
          at += len * 4096;
        }
        const built = new RangeTree<RangeNode>();
        built.buildSorted(nodes);
        built.checkValid();
        const inserted = new RangeTree<RangeNode>();
        for (const t of twins) inserted.insert(t);
        expect(built.size).toBe(nodes.length);
        expect(built.toArray().map((n) => [n.start, n.end])).toEqual(twins.map((n) => [n.start, n.end]));
        for (const p of probes) {
          const a = p * 4096;
          expect(built.findNext(a)?.start).toBe(inserted.findNext(a)?.start);
          for (const len of [4096, 3 * 4096]) {
            expect(built.gapTopDown(len, 0, at + 8192)).toBe(inserted.gapTopDown(len, 0, at + 8192));
            expect(built.gapBottomUp(len, 0, at + 8192)).toBe(inserted.gapBottomUp(len, 0, at + 8192));
          }
        }
        // Edits after the bulk build keep every invariant.
        for (let i = 0; i < nodes.length; i += 3) built.remove(nodes[i]);
        built.insert(new RangeNode(at + 4096, at + 8192));
        built.checkValid();
      },
    ), { numRuns: 200 });
  });

  it('refuses a non-empty tree, unsorted or overlapping input, and linked nodes', () => {
    const t = new RangeTree<RangeNode>();
    t.insert(new RangeNode(0, 4096));
    expect(() => t.buildSorted([new RangeNode(8192, 12288)])).toThrow(/empty tree/);
    expect(() => new RangeTree<RangeNode>().buildSorted([new RangeNode(8192, 12288), new RangeNode(0, 4096)])).toThrow(/not sorted/);
    expect(() => new RangeTree<RangeNode>().buildSorted([new RangeNode(0, 8192), new RangeNode(4096, 12288)])).toThrow(/overlapping/);
    const linked = new RangeNode(0, 4096);
    new RangeTree<RangeNode>().insert(linked);
    expect(() => new RangeTree<RangeNode>().buildSorted([linked])).toThrow(/already linked/);
  });
});

// Micro-benchmark of the VMA tree: src/tree/range-tree.ts (intrusive gap-augmented AVL tree)
// against sorted-btree (a B+ tree keyed by start, with no gap augmentation: its gap search
// walks ranges downward from `high`, which is the best it can do without augmentation).
//
// Usage: npx tsc -p tsconfig.json && node bench/tree.mjs [path/to/range-tree.js]
//   (or RANGE_TREE_JS=/tmp/rt/range-tree.js node bench/tree.mjs)
//   env RUNS (default 11), SIZES (default 36,1000,10000,60000), QUICK=1 for a short run,
//   CLOCK=cpu to time with the process's CPU time instead of the wall clock (steadier on a
//   busy machine: time spent descheduled is not counted).
//
// Prints the median ns/op over RUNS runs per (size, operation, tree), and the 60k/36 ratio.
// Operations on random addresses measure the memory hierarchy as much as the code: at 60k
// ranges the working set no longer fits the caches, so expect run-to-run noise there.
// "mmap+munmap cycle" is the emulator's common case: a top-down search below the top of the
// layout (like mmap_base), insert there, remove it.

import { pathToFileURL } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import BTreeMod from 'sorted-btree';

const BTree = BTreeMod.default ?? BTreeMod;
const modPath =
  process.argv[2] ??
  process.env.RANGE_TREE_JS ??
  path.join(path.dirname(new URL(import.meta.url).pathname), '../dist/src/tree/range-tree.js');
const { RangeNode, RangeTree } = await import(pathToFileURL(path.resolve(modPath)).href);

const RUNS = Number(process.env.RUNS ?? 11);
const SIZES = (process.env.SIZES ?? '36,1000,10000,60000').split(',').map(Number);
const QUICK = process.env.QUICK === '1';
const PAGE = 4096;
const TOP = 0x7f0000000000; // like mmap_base: ranges are laid out below it
const Q = 1 << 14; // precomputed random operands per op (index masked by Q - 1)

class Vma extends RangeNode {
  constructor(start, end) {
    super(start, end);
    this.flags = 0;
    this.pgoff = 0;
  }
}

/** mulberry32 (bitwise ops on the PRNG state only, never on addresses). */
function rng(seed) {
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
 * n ranges below TOP: sizes 1-8 pages, gaps 2-16 pages, and every ~100th gap 256 pages wide
 * (so a 64-page request needs the augmentation, or a long scan, to find one).
 */
function layout(n, seed) {
  const r = rng(seed);
  const ranges = [];
  let addr = TOP;
  for (let i = 0; i < n; i++) {
    const gap = (i === 0 ? 2 : r() < 0.01 || i === n >> 1 ? 256 : 2 + Math.floor(r() * 15)) * PAGE;
    const size = (1 + Math.floor(r() * 8)) * PAGE;
    addr -= gap + size;
    ranges.push([addr, addr + size]);
  }
  ranges.reverse();
  return ranges;
}

// ---- range-tree ---------------------------------------------------------------------------

/**
 * A long-running process's tree is not in allocation order: remove and re-insert random
 * batches (in random order) so that neither tree keeps its build-order memory locality.
 */
function churn(n, nodes, ins, del) {
  const r = rng(7 + n);
  const batch = Math.max(1, Math.min(2000, n >> 2));
  for (let round = 0; round < Math.max(4, (2 * n) / batch); round++) {
    const picked = new Set();
    while (picked.size < batch) picked.add(Math.floor(r() * n));
    const out = [...picked].map((i) => nodes[i]);
    for (const x of out) del(x);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    for (const x of out) ins(x);
  }
}

function rtBuild(ranges) {
  const t = new RangeTree();
  const nodes = ranges.map(([s, e]) => new Vma(s, e));
  for (const n of nodes) t.insert(n);
  churn(nodes.length, nodes, (x) => t.insert(x), (x) => t.remove(x));
  return { t, nodes };
}

function rtInsRemove(ctx, k, iters) {
  const { t } = ctx;
  const probe = ctx.probeNodes;
  for (let i = 0; i < iters; i++) {
    const n = probe[(k + i) & (Q - 1)];
    t.insert(n);
    t.remove(n);
  }
}

function rtFindNext(ctx, k, iters) {
  const { t, addrs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += t.findNext(addrs[(k + i) & (Q - 1)]).end;
  return x;
}

function rtSetEnd(ctx, k, iters) {
  const { t, picks } = ctx;
  for (let i = 0; i < iters; i++) {
    const n = picks[(k + i) & (Q - 1)];
    t.setRange(n, n.start, n.end - PAGE);
    t.setRange(n, n.start, n.end + PAGE);
  }
}

function rtSetStart(ctx, k, iters) {
  const { t, picks } = ctx;
  for (let i = 0; i < iters; i++) {
    const n = picks[(k + i) & (Q - 1)];
    t.setRange(n, n.start + PAGE, n.end);
    t.setRange(n, n.start - PAGE, n.end);
  }
}

function rtGapSmall(ctx, k, iters) {
  const { t, highs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += t.gapTopDown(PAGE, 0, highs[(k + i) & (Q - 1)]);
  return x;
}

function rtGapLarge(ctx, k, iters) {
  const { t, highs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += t.gapTopDown(64 * PAGE, 0, highs[(k + i) & (Q - 1)]);
  return x;
}

/** mmap+munmap at the top of the layout: top-down search below TOP, insert there, remove. */
function rtMmapCycle(ctx, k, iters) {
  const { t, lens, cycleNodes: probeNodes } = ctx;
  for (let i = 0; i < iters; i++) {
    const j = (k + i) & (Q - 1);
    const len = lens[j];
    const e = t.gapTopDown(len, 0, TOP);
    const n = probeNodes[j];
    n.start = e - len; // not linked yet: plain writes are fine
    n.end = e;
    t.insert(n);
    t.remove(n);
  }
}

// ---- sorted-btree -------------------------------------------------------------------------

const cmp = (a, b) => a - b;
const reuse = [0, null];
const reuse2 = [0, null];

function btBuild(ranges) {
  const t = new BTree(undefined, cmp);
  const nodes = ranges.map(([s, e]) => ({ start: s, end: e, flags: 0, pgoff: 0 }));
  for (const n of nodes) t.set(n.start, n);
  churn(nodes.length, nodes, (x) => t.set(x.start, x), (x) => t.delete(x.start));
  return { t, nodes };
}

/** find_vma() on a BTree keyed by start: the node at or below addr, else the next one. */
function btFindNextOf(t, addr) {
  const p = t.getPairOrNextLower(addr, reuse);
  if (p !== undefined && p[1].end > addr) return p[1];
  const q = t.nextHigherPair(addr, reuse);
  return q === undefined ? undefined : q[1];
}

/** unmapped_area_topdown() without augmentation: walk down from the first node above high-len. */
function btGapTopDown(t, len, low, high) {
  const highLimit = high - len;
  if (!(low <= highLimit)) return -1;
  const lowLimit = low + len;
  const maxKey = t.maxKey();
  if (maxKey === undefined) return high;
  const last = t.get(maxKey);
  if (last.end <= highLimit) return high;
  let cur = btFindNextOf(t, highLimit); // its gap starts at or below highLimit
  for (const pair of t.entriesReversed(cur.start, reuse2, true)) {
    const prev = pair[1];
    const ge = cur.start;
    if (ge < lowLimit) return -1;
    if (ge - prev.end >= len) return ge < high ? ge : high;
    cur = prev;
  }
  // The gap below the first node.
  const ge = cur.start;
  if (ge < lowLimit || ge < len) return -1;
  return ge < high ? ge : high;
}

function btInsRemove(ctx, k, iters) {
  const { t } = ctx;
  const probe = ctx.probeNodes;
  for (let i = 0; i < iters; i++) {
    const n = probe[(k + i) & (Q - 1)];
    t.set(n.start, n);
    t.delete(n.start);
  }
}

function btFindNext(ctx, k, iters) {
  const { t, addrs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += btFindNextOf(t, addrs[(k + i) & (Q - 1)]).end;
  return x;
}

/** An end change does not touch the key: the value is updated in place (no augmentation). */
function btSetEnd(ctx, k, iters) {
  const { picks } = ctx;
  for (let i = 0; i < iters; i++) {
    const n = picks[(k + i) & (Q - 1)];
    n.end -= PAGE;
    n.end += PAGE;
  }
}

/** A start change moves the key: delete + set. */
function btSetStart(ctx, k, iters) {
  const { t, picks } = ctx;
  for (let i = 0; i < iters; i++) {
    const n = picks[(k + i) & (Q - 1)];
    t.delete(n.start);
    n.start += PAGE;
    t.set(n.start, n);
    t.delete(n.start);
    n.start -= PAGE;
    t.set(n.start, n);
  }
}

function btMmapCycle(ctx, k, iters) {
  const { t, lens, cycleNodes: probeNodes } = ctx;
  for (let i = 0; i < iters; i++) {
    const j = (k + i) & (Q - 1);
    const len = lens[j];
    const e = btGapTopDown(t, len, 0, TOP);
    const n = probeNodes[j];
    n.start = e - len;
    n.end = e;
    t.set(n.start, n);
    t.delete(n.start);
  }
}

function btGapSmall(ctx, k, iters) {
  const { t, highs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += btGapTopDown(t, PAGE, 0, highs[(k + i) & (Q - 1)]);
  return x;
}

function btGapLarge(ctx, k, iters) {
  const { t, highs } = ctx;
  let x = 0;
  for (let i = 0; i < iters; i++) x += btGapTopDown(t, 64 * PAGE, 0, highs[(k + i) & (Q - 1)]);
  return x;
}

// ---- harness ------------------------------------------------------------------------------

function makeCtx(impl, n) {
  const ranges = layout(n, 1234 + n);
  const { t, nodes } = impl === 'rt' ? rtBuild(ranges) : btBuild(ranges);
  const r = rng(99 + n);
  const lo = ranges[0][0];
  const hi = ranges[ranges.length - 1][1];
  const addrs = new Float64Array(Q);
  const highs = new Float64Array(Q);
  const lens = new Float64Array(Q);
  const probeNodes = [];
  const picks = [];
  for (let i = 0; i < Q; i++) {
    // Addresses inside the mapped span, so findNext never falls off the end.
    addrs[i] = lo + Math.floor(r() * ((hi - lo) / PAGE - 1)) * PAGE;
    highs[i] = lo + Math.floor(r() * ((hi - lo) / PAGE + 1)) * PAGE;
    lens[i] = (1 + Math.floor(r() * 4)) * PAGE;
    // A one-page range at the start of a random gap (gaps are >= 2 pages).
    const g = 1 + Math.floor(r() * (n - 1));
    const s = ranges[g - 1][1];
    probeNodes.push(impl === 'rt' ? new Vma(s, s + PAGE) : { start: s, end: s + PAGE, flags: 0, pgoff: 0 });
    // Nodes at least 2 pages long (setRange shrinks them by one page).
    let p = nodes[Math.floor(r() * n)];
    while (p.end - p.start < 2 * PAGE) p = nodes[Math.floor(r() * n)];
    picks.push(p);
  }
  // The probes of mmapCycle are rewritten in place: give it its own copies.
  const cycleNodes = probeNodes.map((p) => (impl === 'rt' ? new Vma(p.start, p.end) : { ...p }));
  return { t, nodes, addrs, highs, lens, probeNodes, picks, cycleNodes };
}

const OPS = [
  ['insert+remove', rtInsRemove, btInsRemove],
  ['findNext', rtFindNext, btFindNext],
  ['setRange end -/+', rtSetEnd, btSetEnd],
  ['setRange start +/-', rtSetStart, btSetStart],
  ['gapTopDown 1 page', rtGapSmall, btGapSmall],
  ['gapTopDown 64 pages', rtGapLarge, btGapLarge],
  ['mmap+munmap cycle', rtMmapCycle, btMmapCycle],
];

let sink = 0;

/** Nanoseconds now: wall clock, or this process's CPU time with CLOCK=cpu. */
const CPU_CLOCK = process.env.CLOCK === 'cpu';
function now() {
  if (CPU_CLOCK) {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  }
  return Number(process.hrtime.bigint());
}

/** Median ns/op of fn over RUNS runs of `iters` ops each, after a warm-up. */
function measure(fn, ctx, iters) {
  let k = 0;
  sink += fn(ctx, k, iters) ?? 0; // warm-up (also lets the JIT settle)
  sink += fn(ctx, k, iters) ?? 0;
  const t = [];
  for (let run = 0; run < RUNS; run++) {
    k = (k + iters) & (Q - 1);
    const t0 = now();
    sink += fn(ctx, k, iters) ?? 0;
    const t1 = now();
    t.push((t1 - t0) / iters);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

// Sanity: both implementations agree on every query the benchmark makes.
for (const n of SIZES) {
  const a = makeCtx('rt', n);
  const b = makeCtx('bt', n);
  for (let i = 0; i < 2000; i++) {
    if (a.t.findNext(a.addrs[i]).start !== btFindNextOf(b.t, b.addrs[i]).start) throw new Error('findNext mismatch');
    for (const len of [PAGE, 64 * PAGE, 300 * PAGE]) {
      const x = a.t.gapTopDown(len, 0, a.highs[i]);
      const y = btGapTopDown(b.t, len, 0, b.highs[i]);
      if (x !== y) throw new Error(`gapTopDown mismatch at n=${n}: ${x} != ${y}`);
    }
  }
}

const results = {}; // results[op][impl][size]
for (const [name] of OPS) results[name] = { rt: {}, bt: {} };

for (const n of SIZES) {
  for (const impl of ['rt', 'bt']) {
    const ctx = makeCtx(impl, n);
    for (const [name, rtFn, btFn] of OPS) {
      const fn = impl === 'rt' ? rtFn : btFn;
      const slow = impl === 'bt' && name === 'gapTopDown 64 pages';
      const iters = QUICK ? 20000 : slow ? 50000 : 200000;
      results[name][impl][n] = measure(fn, ctx, iters);
    }
    if (impl === 'rt') ctx.t.checkValid(); // the benchmark left the tree as it found it
  }
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(8);
const head = ['operation'.padEnd(22), 'tree'.padEnd(12), ...SIZES.map((s) => String(s).padStart(8))];
const hasRatio = SIZES.includes(36) && SIZES.includes(60000);
if (hasRatio) head.push('60k/36'.padStart(8));
console.log(
  `median ns/op over ${RUNS} runs (${CPU_CLOCK ? 'process CPU time' : 'wall clock'}, node ${process.version}, ` +
    `load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} CPUs)`,
);
console.log(head.join(' '));
for (const [name] of OPS) {
  for (const impl of ['rt', 'bt']) {
    const row = results[name][impl];
    const cells = [name.padEnd(22), (impl === 'rt' ? 'range-tree' : 'sorted-btree').padEnd(12)];
    for (const s of SIZES) cells.push(fmt(row[s]));
    if (hasRatio) cells.push((row[60000] / row[36]).toFixed(2).padStart(8));
    console.log(cells.join(' '));
  }
}
if (sink === 42) console.log('');

// The anchors of the memory benchmarks (goals G9-G22, shared/research/perf.md §6; method §3,
// reference figures §4.2-4.4): the host kernel's faults, zaps, fork and memcpy, and the raw-JS
// data path that vmspace's translated accesses and copies are held against.
//
//   runKernelMem({quick})          compiles bench/kernel_mem.c with the system `cc -O2` into a
//                                  temporary directory, runs it, returns its JSON (null, with
//                                  the reason on stderr, when there is no compiler or no Linux)
//   makeStreams(width, base, size) address streams (seq, rand64p, rand4096p) over 4,096 guest
//                                  pages from `base`, as perf-anchors/js_tlb.mjs builds them:
//                                  plug vmspace in with exactly these addresses
//   rawLoadU32 / rawStoreU32 / rawU64Pair / rawCopy
//                                  one timed run each, returning ns per access (per copy);
//                                  identity mapping: offset = address - base
//   hostBytes(size)                the host-side buffer of a copy into or out of vmspace, with
//                                  the alignment of rawCopy's buffers
//   roundRobin(variants, {rounds}) runs named variants round-robin, returns per-variant medians
//                                  and the median of per-round ratios to the anchor variant
//
// Every loop is compiled from its own source text (new Function), once per address stream (or
// copy size), so each has its own type feedback, as in perf-anchors/js_tlb.mjs and js_copy.mjs;
// the stream helpers are adapted from there and from perf-anchors/harness.mjs.
//
// Run directly: node bench/mem-anchors.mjs [--quick] [--no-kernel] [--rounds N]
// prints the kernel figures and the raw-JS figures as tables (re-executes itself with
// --expose-gc so that a GC runs between timed runs).

import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const execFileP = promisify(execFile);

// ---- the kernel ---------------------------------------------------------------------------

/**
 * Compiles bench/kernel_mem.c and runs it. Resolves to its JSON object (see kernel_mem.c's
 * header: {clock, runs, quick, baseVmas, zeroPage, seconds, ops: {key: {name, unit, median,
 * min, max, runs, ...}}}) plus `compileSeconds`, or to null after printing why (not Linux, no
 * compiler, compile or run failure) with `log`.
 * @param {{quick?: boolean, runs?: number, clock?: 'wall'|'cpu', cc?: string, log?: (s: string) => void}} [opts]
 */
export async function runKernelMem({ quick = false, runs, clock = 'wall', cc = process.env.CC ?? 'cc',
  log = (s) => process.stderr.write(s + '\n') } = {}) {
  if (process.platform !== 'linux') {
    log(`kernel memory anchors skipped: they need Linux (this is ${process.platform})`);
    return null;
  }
  try {
    await execFileP(cc, ['--version']);
  } catch {
    log(`kernel memory anchors skipped: no C compiler (\`${cc}\`) found; install one (or set CC) to compare with the kernel`);
    return null;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vmspace-bench-mem-'));
  try {
    const bin = path.join(dir, 'kernel_mem');
    const t0 = Date.now();
    try {
      await execFileP(cc, ['-O2', '-Wall', '-Wextra', '-o', bin, path.join(here, 'kernel_mem.c')]);
    } catch (e) {
      log(`kernel memory anchors skipped: \`${cc}\` failed to compile bench/kernel_mem.c:\n${e.stderr ?? e.message}`);
      return null;
    }
    const compileSeconds = (Date.now() - t0) / 1000;
    const args = [];
    if (quick) args.push('--quick');
    if (runs !== undefined) args.push('--runs', String(runs));
    let r;
    try {
      r = await execFileP(bin, args, {
        env: { ...process.env, BENCH_CLOCK: clock }, maxBuffer: 1 << 24, timeout: 180_000,
      });
    } catch (e) {
      log(`kernel memory anchors failed (${e.signal ?? `status ${e.code}`}): ${e.stderr ?? e.message}`);
      return null;
    }
    if (r.stderr) log(r.stderr.trimEnd());
    return { ...JSON.parse(r.stdout), compileSeconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- address streams ----------------------------------------------------------------------

export const PAGE = 4096;
/** Guest pages the streams cover (16 MiB from `base`). */
export const GUEST_PAGES = 4096;
/** Distinct addresses per stream; a run replays them ACCESSES / STREAM_LEN times. */
export const STREAM_LEN = 1 << 18;
/** Accesses per timed run. */
export const ACCESSES = 1 << 21;
export const DEFAULT_BASE = { 32: 0x08048000, 64: 0x7f1234560000 };
export const PATTERNS = ['seq', 'rand64p', 'rand4096p'];

/** Deterministic xorshift32 (perf-anchors/harness.mjs), so every run sees the same addresses. */
export function xorshift32(seed = 2463534242) {
  let x = seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export function randomIndices(count, range, seed) {
  const next = xorshift32(seed);
  const idx = new Uint32Array(count);
  for (let i = 0; i < count; i++) idx[i] = next() % range;
  return idx;
}

const streamInfos = new WeakMap();
/** {width, base, size, pattern} of an array made by makeStreams (undefined otherwise). */
export const streamInfo = (stream) => streamInfos.get(stream);

/**
 * The address streams of perf-anchors/js_tlb.mjs (same seed, same addresses for size 4):
 * STREAM_LEN aligned addresses each, guest addresses as JS numbers (Uint32Array for a 32-bit
 * guest, Float64Array for a 64-bit one, whose page numbers are beyond V8's small integers):
 *   seq        consecutive elements from `base` (size 4: 256 pages, 1,024 per page)
 *   rand64p    random elements in the first 64 pages (fits a 256-entry TLB)
 *   rand4096p  a random page of the 4,096 and a random element in its first 64-byte line
 *              (TLB misses without cache misses)
 * `size` is the element size (4 for u32 accesses, 8 for u64 ones: 8-byte aligned addresses).
 * The addresses lie in [base, base + GUEST_PAGES * PAGE).
 * @returns {{seq: Uint32Array|Float64Array, rand64p: Uint32Array|Float64Array, rand4096p: Uint32Array|Float64Array}}
 */
export function makeStreams(width, base = DEFAULT_BASE[width], size = 4) {
  if (width !== 32 && width !== 64) throw new RangeError(`width must be 32 or 64, not ${width}`);
  if (size !== 4 && size !== 8) throw new RangeError(`size must be 4 or 8, not ${size}`);
  if (base % PAGE !== 0 || base < 0 || base + GUEST_PAGES * PAGE > (width === 32 ? 2 ** 32 : 2 ** 53)) {
    throw new RangeError(`base 0x${base.toString(16)} is not a page-aligned ${width}-bit guest address with room for ${GUEST_PAGES} pages`);
  }
  const Addr = width === 32 ? Uint32Array : Float64Array;
  const perPage = PAGE / size;
  const make = (pattern, elementOf) => {
    const a = new Addr(STREAM_LEN);
    const r = randomIndices(STREAM_LEN, 1 << 30, 777);
    for (let i = 0; i < STREAM_LEN; i++) a[i] = base + size * elementOf(i, r[i]);
    streamInfos.set(a, { width, base, size, pattern });
    return a;
  };
  return {
    seq: make('seq', (i) => i),
    rand64p: make('rand64p', (i, r) => r % (64 * perPage)),
    rand4096p: make('rand4096p', (i, r) => (r % GUEST_PAGES) * perPage + ((r >>> 20) % (64 / size))),
  };
}

/**
 * A stream over 2 x GUEST_PAGES pages (32 MiB from `base`): random pages of two 16 MiB halves.
 * Page p of one half and page p of the other share a slot in any direct-mapped TLB of up to
 * GUEST_PAGES entries, so a TLB of 4,096 entries or fewer misses on almost every access even
 * with a second level (vmspace's is 4,096): it measures the page-table walk behind the TLBs.
 * Its raw anchor needs makeDataView(2 * GUEST_PAGES * PAGE).
 */
export function makeAliasStream(width, base = DEFAULT_BASE[width], size = 4) {
  if (width !== 32 && width !== 64) throw new RangeError(`width must be 32 or 64, not ${width}`);
  const Addr = width === 32 ? Uint32Array : Float64Array;
  const a = new Addr(STREAM_LEN);
  const r = randomIndices(STREAM_LEN, 1 << 30, 4242);
  for (let i = 0; i < STREAM_LEN; i++) {
    const page = (r[i] % GUEST_PAGES) + ((r[i] >>> 20) & 1) * GUEST_PAGES;
    a[i] = base + page * PAGE + size * ((r[i] >>> 21) % (64 / size));
  }
  streamInfos.set(a, { width, base, size, pattern: 'alias8192p' });
  return a;
}

/** A DataView over a fresh ArrayBuffer holding the guest region of the streams (populated). */
export function makeDataView(bytes = GUEST_PAGES * PAGE) {
  const buf = new ArrayBuffer(bytes);
  const u32 = new Uint32Array(buf);
  for (let i = 0; i < u32.length; i++) u32[i] = Math.imul(i, 2654435761) >>> 0;
  return new DataView(buf);
}

// ---- timing -------------------------------------------------------------------------------

let sinkValue = 0;
/** Consumes a result so the optimiser cannot drop the work. */
export function sink(v) {
  sinkValue ^= typeof v === 'number' ? v | 0 : 1;
  return sinkValue;
}

/** Times one call of `body` (which performs `ops` operations); ns per operation. */
export function nsPerOp(body, ops) {
  const t0 = performance.now();
  const r = body();
  const t1 = performance.now();
  sink(r);
  return ((t1 - t0) * 1e6) / ops;
}

export function statsOf(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { median, min: v[0], max: v[n - 1], runs: n };
}

export function collectGarbage() {
  globalThis.gc?.();
}

// ---- raw-JS anchors -----------------------------------------------------------------------

// One compiled loop per (form, stream, view): the view is closed over as a constant (as
// perf-anchors/js_tlb.mjs does): passing the DataView as an argument instead measured 2.2 ns
// instead of 0.8 ns per sequential u32 load here.
const compiled = new Map();
function loopFor(form, stream, view) {
  let byStream = compiled.get(form);
  if (!byStream) compiled.set(form, (byStream = new WeakMap()));
  let byView = byStream.get(stream);
  if (!byView) byStream.set(stream, (byView = new WeakMap()));
  let fn = byView.get(view);
  if (!fn) byView.set(view, (fn = compileLoop(form, stream, view)));
  return fn;
}

function infoOf(stream) {
  const info = streamInfos.get(stream);
  if (!info) throw new TypeError('not an address stream made by makeStreams()');
  return info;
}

const LOOP = {
  loadU32: 'let acc = 0; for (let i = 0; i < n; i++) acc = (acc + dv.getUint32(addrs[i & MASK] - BASE, true)) | 0; return acc;',
  storeU32: 'for (let i = 0; i < n; i++) dv.setUint32(addrs[i & MASK] - BASE, i, true); return 0;',
  // u64 as two u32 halves (perf.md §4.3 "u64 as two u32 halves"): index = offset / 4
  loadU64PairU32: 'let acc = 0; for (let i = 0; i < n; i++) { const o = (addrs[i & MASK] - BASE) >>> 2; acc = (acc + view[o] + view[o + 1]) | 0; } return acc;',
  storeU64PairU32: 'for (let i = 0; i < n; i++) { const o = (addrs[i & MASK] - BASE) >>> 2; view[o] = i; view[o + 1] = i >>> 3; } return 0;',
  loadU64PairDataView: 'let acc = 0; for (let i = 0; i < n; i++) { const o = addrs[i & MASK] - BASE; acc = (acc + view.getUint32(o, true) + view.getUint32(o + 4, true)) | 0; } return acc;',
  storeU64PairDataView: 'for (let i = 0; i < n; i++) { const o = addrs[i & MASK] - BASE; view.setUint32(o, i, true); view.setUint32(o + 4, i >>> 3, true); } return 0;',
};

function compileLoop(form, stream, view) {
  const { base } = infoOf(stream);
  if (stream.length !== STREAM_LEN) throw new RangeError(`a stream has ${STREAM_LEN} addresses`);
  const param = form.endsWith('U32') && !form.includes('Pair') ? 'dv' : 'view';
  return new Function(param,
    `'use strict'; const BASE = ${base}; const MASK = ${STREAM_LEN - 1};
     return (addrs, n) => { ${LOOP[form]} };`)(view);
}

/**
 * One timed run of ACCESSES little-endian u32 loads through `dv` at the addresses of `stream`
 * (identity mapping: byte offset = address - base); ns per load. The anchor of G17/G19.
 */
export function rawLoadU32(stream, dv, n = ACCESSES) {
  const fn = loopFor('loadU32', stream, dv);
  return nsPerOp(() => fn(stream, n), n);
}

/** As rawLoadU32, for u32 stores (dv.setUint32); the anchor of G18. */
export function rawStoreU32(stream, dv, n = ACCESSES) {
  const fn = loopFor('storeU32', stream, dv);
  return nsPerOp(() => fn(stream, n), n);
}

/**
 * One timed run of ACCESSES u64 accesses done as two u32 halves (no BigInt), the anchor of
 * G20; ns per u64 access. `view` is a Uint32Array (as perf.md §4.3, the default) or a
 * DataView over the guest region; the stream should be made with size 8 (8-byte aligned).
 * @param {'load'|'store'} [op]
 */
export function rawU64Pair(stream, view, op = 'load', n = ACCESSES) {
  const how = view instanceof DataView ? 'DataView' : view instanceof Uint32Array ? 'U32' : null;
  if (!how) throw new TypeError('rawU64Pair needs a Uint32Array or a DataView');
  if (op !== 'load' && op !== 'store') throw new RangeError(`op must be load or store, not ${op}`);
  const form = `${op}U64Pair${how}`;
  const fn = loopFor(form, stream, view);
  return nsPerOp(() => fn(stream, n), n);
}

/**
 * The floor of a translated TLB-hit access in V8 11 (Node 20), as a loop over `stream` (the
 * shape of bench/mem.mjs's vmspace loops): a minimal 256-entry direct-mapped TLB held in
 * closure constants, a miss refilled inline from a flat table over the stream's guest region,
 * and anything else (a page the table does not map) sent to a function call. Built with
 * `liveCall` (the default), that call has run before the loop is timed — as any real fault
 * path will have, in an emulator — so TurboFan compiles it as a call. Without, it has never
 * run, and TurboFan compiles a deoptimization exit in its place: that loop has no call in it
 * and measures ~0.25x less per hit (32-bit), which is what earlier floor figures showed.
 * `form` is 'load32' (the G17 loop) or 'load64' (G20: the high half kept in an object's
 * field and read back by the loop, as Memory.hi). The stream must come from makeStreams.
 * @returns {(addrs: Uint32Array|Float64Array, n: number) => number}
 */
let floorLoops = 0;
export function tlbFloorLoop(stream, dv, form = 'load32', { liveCall = true } = {}) {
  const info = streamInfo(stream);
  if (!info) throw new TypeError('tlbFloorLoop needs a stream made by makeStreams');
  if (form !== 'load32' && form !== 'load64') throw new RangeError(`form must be load32 or load64, not ${form}`);
  const v32 = info.width === 32;
  const last = form === 'load32' ? 4092 : 4088;
  // Tags as the kind of number the addresses are: page numbers (int32) for 32-bit guests,
  // page bases (doubles) for 64-bit ones (perf.md §4.4).
  const key = v32 ? 'addr >>> 12' : 'addr - off';
  const hit = form === 'load32'
    ? 'return dv.getUint32(o, true);'
    : 'hiCell.hi = dv.getInt32(o + 4, true); return dv.getUint32(o, true);';
  const loop = new Function('dv', 'BASE', `'use strict'; // floor loop ${floorLoops++}
    const MASK = ${STREAM_LEN - 1}, PAGES = ${GUEST_PAGES};
    const tag = new ${v32 ? 'Int32Array' : 'Float64Array'}(256).fill(-1), fo = new Int32Array(256);
    const hiCell = { hi: 0 };
    function fault(addr) {
      if (addr < 4096) { hiCell.hi = 0; return 0; }
      throw new RangeError('SIGSEGV at ' + addr);
    }
    function access(addr) {
      const off = addr & 4095, s = (addr >>> 12) & 255;
      if (tag[s] === ${key} && off <= ${last}) { const o = fo[s] + off; ${hit} }
      const page = (addr - off - BASE) / 4096;
      if (page >= 0 && page < PAGES && off <= ${last}) { tag[s] = ${key}; fo[s] = page * 4096; const o = page * 4096 + off; ${hit} }
      return fault(addr);
    }
    return (addrs, n) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + access(addrs[i & MASK])${form === 'load64' ? ' + (hiCell.hi >>> 0)' : ''}) | 0; return acc; };`)(dv, info.base);
  if (liveCall) {
    // Enough calls for V8 to allocate the feedback vector and record the call's target.
    const low = new (v32 ? Uint32Array : Float64Array)(STREAM_LEN).fill(8);
    for (let k = 0; k < 20; k++) loop(low, 64);
  }
  return loop;
}

export const COPY_SIZES = [4096, 65536, 1 << 20];
let copyBuffers = null;
const copyLoops = new Map();

/**
 * One timed run of TypedArray.prototype.set between two prebuilt Uint8Array views of `size`
 * bytes (at the start of two 32 MiB ArrayBuffers, as perf-anchors/js_copy.mjs and
 * kernel_mem.c's memcpy), `bytes` moved in total (default 256 MiB); ns per copy. The anchor of
 * G21 is the kernel's memcpy of the same size; this is what JS itself reaches.
 */
/**
 * `size` bytes (at most 32 MiB) at the start of a large ArrayBuffer: the host side of a copy into
 * or out of guest memory, aligned as rawCopy's buffers (and the kernel anchor's) are. A small
 * `new Uint8Array(size)` comes from malloc at any offset, and one 16 bytes past the guest page's
 * offset modulo 4096 made a 4 KiB copy 126 ns instead of 71 (the host's memmove, 4K aliasing): a
 * row would then measure where malloc put the buffer. One buffer serves every call.
 */
let hostBuffer = null;
export function hostBytes(size) {
  if (!(size > 0 && size <= 32 << 20)) throw new RangeError('size must be in 1 .. 32 MiB');
  hostBuffer ??= new ArrayBuffer(32 << 20);
  return new Uint8Array(hostBuffer, 0, size);
}

export function rawCopy(size, bytes = 256 << 20) {
  if (!(size > 0 && size <= 32 << 20)) throw new RangeError('size must be in 1 .. 32 MiB');
  if (!copyBuffers) {
    copyBuffers = [new ArrayBuffer(32 << 20), new ArrayBuffer(32 << 20)];
    new Uint8Array(copyBuffers[0]).fill(1);
    new Uint8Array(copyBuffers[1]).fill(2);
  }
  let loop = copyLoops.get(size);
  if (!loop) {
    const src = new Uint8Array(copyBuffers[0], 0, size);
    const dst = new Uint8Array(copyBuffers[1], 0, size);
    const fn = new Function('src', 'dst', 'reps',
      "'use strict'; for (let i = 0; i < reps; i++) dst.set(src); return dst[0];");
    loop = (reps) => fn(src, dst, reps);
    copyLoops.set(size, loop);
  }
  const reps = Math.max(1, Math.floor(bytes / size));
  return nsPerOp(() => loop(reps), reps);
}

// ---- round-robin --------------------------------------------------------------------------

/**
 * Runs named variants round-robin (A B C, A B C, ...) so machine drift hits them alike: `warmup`
 * untimed rounds, then `rounds` timed ones; a full GC (when global.gc exists: node --expose-gc)
 * before every run, outside the timing. A variant is a function performing one timed run and
 * returning ns per operation (e.g. () => rawLoadU32(s.seq, dv)).
 * @param {Record<string, () => number> | Array<[string, () => number]>} variants
 * @param {{rounds?: number, warmup?: number, anchor?: string}} [opts] anchor: the variant the
 *   ratios are taken to (default: the first)
 * @returns {{rounds: number, anchor: string, gc: boolean, variants: Record<string,
 *   {median: number, min: number, max: number, samples: number[],
 *    ratio: {median: number, min: number, max: number}}>}}
 *   ratio = the median (min, max) over the rounds of this variant's time / the anchor's time
 *   in the same round: the figure the goals are held to (perf.md §3, §7).
 */
export function roundRobin(variants, { rounds = 9, warmup = 2, anchor } = {}) {
  const list = Array.isArray(variants) ? variants : Object.entries(variants);
  if (list.length === 0) throw new RangeError('no variants');
  const anchorName = anchor ?? list[0][0];
  const a = list.findIndex(([name]) => name === anchorName);
  if (a < 0) throw new RangeError(`anchor ${anchorName} is not one of the variants`);
  const times = list.map(() => []);
  for (let r = -warmup; r < rounds; r++) {
    list.forEach(([, fn], i) => {
      collectGarbage();
      const ns = fn();
      if (r >= 0) times[i].push(ns);
    });
  }
  const out = {};
  list.forEach(([name], i) => {
    const s = statsOf(times[i]);
    const ratio = statsOf(times[i].map((x, r) => x / times[a][r]));
    out[name] = { median: s.median, min: s.min, max: s.max, samples: times[i],
      ratio: { median: ratio.median, min: ratio.min, max: ratio.max } };
  });
  return { rounds, anchor: anchorName, gc: typeof globalThis.gc === 'function', variants: out };
}

/**
 * All raw-JS anchors, round-robin per (width, pattern): u32 load and store through a DataView
 * and u64 as two u32 halves (Uint32Array), for 32- and 64-bit streams; then the copies.
 * Returns {access: {"32-bit seq": roundRobin result, ...}, copy: roundRobin result}.
 */
export function rawAnchors({ rounds = 9, patterns = PATTERNS, widths = [32, 64] } = {}) {
  const dv = makeDataView();
  const u32 = new Uint32Array(dv.buffer);
  const access = {};
  for (const width of widths) {
    const s4 = makeStreams(width);
    const s8 = makeStreams(width, DEFAULT_BASE[width], 8);
    for (const p of patterns) {
      access[`${width}-bit ${p}`] = roundRobin([
        ['load u32 DataView', () => rawLoadU32(s4[p], dv)],
        ['store u32 DataView', () => rawStoreU32(s4[p], dv)],
        ['load u64 as 2x u32', () => rawU64Pair(s8[p], u32)],
        ['store u64 as 2x u32', () => rawU64Pair(s8[p], u32, 'store')],
      ], { rounds });
    }
  }
  const copy = roundRobin(COPY_SIZES.map((size) => [`set ${fmtSize(size)}`, () => rawCopy(size)]), { rounds });
  return { access, copy };
}

const fmtSize = (b) => (b >= 1 << 20 ? `${b / (1 << 20)} MiB` : `${b / 1024} KiB`);

// ---- run directly ---------------------------------------------------------------------------

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) await main();

async function main() {
  const argv = process.argv.slice(2);
  if (typeof globalThis.gc !== 'function' && !process.execArgv.includes('--expose-gc')) {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...argv],
      { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const flag = (name) => argv.includes(`--${name}`);
  const i = argv.indexOf('--rounds');
  const quick = flag('quick');
  const rounds = i >= 0 ? Number(argv[i + 1]) : quick ? 5 : 9;
  const out = (s = '') => process.stdout.write(s + '\n');
  const ns = (x) => (x >= 1e6 ? `${(x / 1e6).toPrecision(3)} ms` : x >= 1e4 ? `${(x / 1e3).toPrecision(3)} µs`
    : x >= 100 ? `${Math.round(x)} ns` : `${x.toPrecision(3)} ns`);
  function table(head, rows, left = 1) {
    const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
    const line = (r) => r.map((x, c) => (c < left ? String(x).padEnd(w[c]) : String(x).padStart(w[c]))).join('  ');
    out('  ' + line(head));
    for (const r of rows) out('  ' + line(r));
  }

  out(`# ${os.cpus()[0]?.model ?? '?'} x ${os.cpus().length}; ${os.type()} ${os.release()}; node ${process.version}; gc between runs: ${typeof globalThis.gc === 'function'}`);
  let kernel = null;
  if (!flag('no-kernel')) {
    process.stderr.write('mem-anchors: timing the kernel (bench/kernel_mem.c) ...\n');
    kernel = await runKernelMem({ quick });
  }
  if (kernel) {
    // perf.md §4.2 / appendix (run A), for comparison with the machine the goals were set on
    const REF = {
      faultWrite: 1467, populate: 1221, faultZeroRead: 627, faultWriteAfterZero: 1702, faultCow: 1986,
      madvDontneed: 224, munmap: 212, forkBase: 39.4e3, forkBaseRoundTrip: 106e3, fork64m: 853e3,
      fork64mRoundTrip: 1839e3, fork1g: 14.68e6, fork1gRoundTrip: 30.44e6, fork10kVmas: 12.01e6,
      fork10kVmasRoundTrip: 22.99e6, memcpy4k: 43.3, memcpy64k: 65536 / 55.5, memcpy1m: 1048576 / 46.7,
    };
    out();
    out(`kernel (bench/kernel_mem.c): median of ${kernel.runs} runs [min–max]; ${kernel.seconds.toFixed(1)} s; clock ${kernel.clock}`);
    table(['key', 'operation', 'median', 'min–max', 'unit', 'perf.md', 'extra'],
      Object.entries(kernel.ops).map(([k, o]) => [k, o.name, ns(o.median), `${ns(o.min)}–${ns(o.max)}`, o.unit,
        REF[k] === undefined ? '-' : ns(REF[k]),
        o.faultsPerPage !== undefined ? `${o.faultsPerPage.toFixed(2)} faults/page` : o.vmas !== undefined ? `${o.vmas} VMAs`
          : o.bytes !== undefined ? `${(o.bytes / o.median).toFixed(1)} GB/s` : '']), 2);
    if (!kernel.zeroPage) {
      out('  NOTE: this kernel does not map the zero page on a read fault (it allocates a page; e.g. pvm_no_zero_page=1):');
      out('        faultZeroRead is a full allocation and faultWriteAfterZero a plain store, not the goals\' anchors');
    }
  }

  process.stderr.write(`mem-anchors: timing the raw-JS anchors (${rounds} rounds) ...\n`);
  const raw = rawAnchors({ rounds });
  out();
  out(`raw JS, ns per access: median of ${rounds} round-robin rounds (GC before every run), ${ACCESSES} accesses per run` +
    ` over ${STREAM_LEN} addresses in ${GUEST_PAGES} pages; (x) = median of per-round ratios to the u32 DataView load`);
  const names = Object.keys(Object.values(raw.access)[0].variants);
  table(['stream', ...names], Object.entries(raw.access).map(([param, r]) =>
    [param, ...names.map((n) => `${r.variants[n].median.toPrecision(3)}` + (n === r.anchor ? '' : ` (${r.variants[n].ratio.median.toFixed(2)}x)`))]));
  out();
  out(`raw JS copies: TypedArray.prototype.set between prebuilt views, 256 MiB per run, median of ${rounds} rounds`);
  table(['size', 'ns/copy', 'min–max', 'GB/s', 'kernel memcpy', 'set/memcpy'],
    COPY_SIZES.map((size) => {
      const r = raw.copy.variants[`set ${fmtSize(size)}`];
      const k = kernel?.ops[{ 4096: 'memcpy4k', 65536: 'memcpy64k', 1048576: 'memcpy1m' }[size]];
      return [fmtSize(size), ns(r.median), `${ns(r.min)}–${ns(r.max)}`, (size / r.median).toFixed(1),
        k ? ns(k.median) : '-', k ? (r.median / k.median).toFixed(2) : '-'];
    }));
}

// ---- helpers shared by bench/mem.mjs and bench/files.mjs -------------------------------------------

/** CPU time counters from /proc/stat (busy and total jiffies), or null. */
export function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((x, y) => x + y, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch { return null; }
}
/** CPUs busy on average since `a` (a cpuTimes() result), or null. */
export function busySince(a) {
  const b = cpuTimes();
  return a && b && b.total > a.total ? (os.cpus().length * (b.busy - a.busy)) / (b.total - a.total) : null;
}

export const now = () => performance.now();
export function fullGc() {
  collectGarbage();
  collectGarbage();
}
/**
 * A full GC, then 50 ms for V8's background threads to finish sweeping, before an
 * allocation-heavy timed run (faults, fork): timed right after gc(), a 10k-VMA fork measured
 * 2-3x its settled time here (the main thread sweeps lazily while it allocates).
 */
export function settle() {
  fullGc();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}
/** V8 heap use after full GCs. */
export function heapNow() {
  fullGc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * When the module at `url` is the program being run: its command-line helpers, once V8's gc()
 * is exposed (otherwise the program is run again with --expose-gc and this process exits with
 * its status). Null when the module was imported.
 */
export async function benchMain(url) {
  let isMain = false;
  try {
    isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(url));
  } catch {
    isMain = false;
  }
  if (!isMain) return null;
  const argv = process.argv.slice(2);
  if (typeof globalThis.gc !== 'function') {
    const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(url), ...argv], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const flag = (n) => argv.includes(`--${n}`);
  const opt = (n) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : undefined; };
  return { argv, flag, opt };
}

// vmspace's memory benchmarks (goals G9-G22, shared/research/perf.md §6-§7): page faults, zaps,
// fork, the translated data path, bulk copies and frame allocation, each against its anchor in
// the same run, plus JS heap figures. bench/README-mem.md describes every figure.
//
//   kernel anchors   bench/kernel_mem.c, compiled and run by mem-anchors.mjs runKernelMem()
//   JS anchors       raw DataView / Uint32Array / TypedArray.set loops (mem-anchors.mjs), timed
//                    round-robin with the vmspace variants over the same address streams
//
// Usage: npm run build && node --expose-gc bench/mem.mjs [options]
//   (re-executes itself with --expose-gc when started without; bench/run.mjs runs it after the
//   VMA tables with --json and prints the same table)
//   --quick          5 rounds (3 for the cold-slab faults), half the accesses per run, 64 MiB per
//                    copy run, 10^5 churn cycles, no 1 GiB fork (G15: populating 1 GiB takes
//                    5-30 s of host page faults here)
//   --rounds N       timed rounds per figure (default 9; 5 with --quick)
//   --no-kernel      vmspace and the JS anchors only (no ratios to the kernel)
//   --only a,b       sections: heap, faults, fork, access, copy, frames (default: all)
//   --json           print one JSON document (what bench/run.mjs reads) instead of the tables
//   --markdown       tables in Markdown
//
// Method. Every timed figure is the median over the rounds (untimed warm-up rounds first, a
// full GC before each timed run, outside the timing; before fault and fork runs also 50 ms for
// V8's background sweeping to finish, see settle()). Fault, zap and fork figures are one batch
// (a 64 MiB region = 16,384 pages, or one fork) divided by its size, as kernel_mem.c does; their
// ratio is vmspace median / kernel median. The JS-vs-JS figures (G17-G21) run round-robin
// (mem-anchors.mjs roundRobin) and report the median of the per-round ratios. Hot loops are
// compiled from their own source text (new Function) per variant and stream, and capture `mem`
// (or `frames`) in a closure as an emulator would; the translated-access groups (G17-G20) each
// use a private copy of dist/src (its own Memory class, hence its own type feedback: a 32-bit
// emulator never feeds 64-bit addresses to the same load32).
//
// Slab growth: builds before 03a769f read Memory's `this.dv` before the fault that grew the frame
// slab, so that access threw a RangeError after the fault completed. Setup loops and the
// cold-slab loop retry such an access once and count it (`slabGrowRetries`, printed when not 0),
// so the benchmark also runs on those builds; warm loops never grow the slab.

import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTable } from './table.mjs';
import {
  ACCESSES, COPY_SIZES, DEFAULT_BASE, GUEST_PAGES, PAGE, STREAM_LEN, benchMain, busySince, collectGarbage, cpuTimes, fullGc, heapNow,
  makeAliasStream, makeDataView, makeStreams, now, settle,
  hostBytes, nsPerOp, rawCopy, rawLoadU32, rawStoreU32, rawU64Pair, roundRobin, runKernelMem, sink, statsOf, tlbFloorLoop,
} from './mem-anchors.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '../dist/src');

const PROT_RW = 0x1 | 0x2;
const PROT_READ = 0x1;
const MAP_PRIVATE_ANON = 0x02 | 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MADV_DONTNEED = 4n;
const MiB = 1 << 20;
const REGION = 64 * MiB;
const NPAGES = REGION / PAGE;
const NOISE = 1.15;

// ---- goals and verdicts (also used by bench/run.mjs) ----------------------------------------

export const verdictOf = (x, goal) => (x === null || x === undefined || goal === null || goal === undefined ? '-'
  : x <= goal ? 'ok' : x <= goal * NOISE ? '~' : 'MISS');

const fmtNs = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-'
  : x >= 1e6 ? `${(x / 1e6).toPrecision(3)} ms` : x >= 1e4 ? `${(x / 1e3).toPrecision(3)} µs`
    : x >= 100 ? `${Math.round(x)} ns` : `${x.toPrecision(3)} ns`);
const fmtX = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtBytes = (b) => (Math.abs(b) >= 10 * MiB ? `${(b / MiB).toFixed(1)} MiB` : Math.abs(b) >= 10240 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`);

/**
 * Prints the memory table (and the heap figures) of a mem.mjs result with `out`. Shared by
 * mem.mjs and bench/run.mjs.
 */
export function renderMemTable(res, { out = (s = '') => process.stdout.write(s + '\n'), markdown = false } = {}) {
  const table = (head, rows, align) => printTable(out, markdown, head, rows, align);
  out();
  out(`${markdown ? '#### ' : ''}Memory (G9-G22): median of ${res.rounds} rounds; ratio = vmspace / anchor (kernel: median / median;` +
    ` JS anchors: median of per-round ratios, round-robin); "~" = over the goal by at most 15%`);
  if (res.kernelSkipped) out(`# ${res.kernelSkipped}`);
  if (res.kernel && !res.kernel.zeroPage) {
    out('# this kernel allocates a page on a read fault (no zero page, e.g. pvm_no_zero_page=1): the G10 anchor is an' +
      ' allocating fault, and the G11 anchor is its faultWrite (its faultWriteAfterZero is a plain store)');
  }
  table(['goal', 'operation', 'anchor', 'anchor time', 'vmspace', 'ratio', 'goal ≤', 'verdict', 'note'],
    res.rows.map((r) => [r.goal ?? '', r.name, r.anchorName, fmtNs(r.anchor), fmtNs(r.vmspace),
      r.ratio === null ? '-' : fmtX(r.ratio), r.goalValue === null ? '-' : (r.absolute ? `${r.goalValue} ns` : `${r.goalValue}x`),
      r.verdict, r.note ?? '']), ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'l']);
  const h = res.heap;
  if (h) {
    out();
    out(`${markdown ? '#### ' : ''}JS heap (V8 heapUsed + external, after full GCs)`);
    const rows = [];
    if (h.perPageCold) rows.push(['per resident page, cold (fresh system; minus 4096 data bytes)', fmtBytes(h.perPageCold.perPage),
      `${h.perPageCold.pages} pages: heapUsed +${fmtBytes(h.perPageCold.dHeap)}, external +${fmtBytes(h.perPageCold.dExternal)} (slab ${h.perPageCold.slabFrames} frames)`]);
    if (h.perPageWarm) rows.push(['per resident page, warm (frames recycled; all bytes)', fmtBytes(h.perPageWarm.perPage),
      `${h.perPageWarm.pages} pages: heapUsed +${fmtBytes(h.perPageWarm.dHeap)}, external +${fmtBytes(h.perPageWarm.dExternal)}`]);
    if (h.perVma) rows.push(['per VMA (10k one-page VMAs, untouched)', fmtBytes(h.perVma.perVma),
      `${h.perVma.vmas} VMAs: heapUsed +${fmtBytes(h.perVma.dHeap)}, external +${fmtBytes(h.perVma.dExternal)}`]);
    if (h.perVmaPopulated) rows.push(['per VMA + its resident page (10k, warm; all bytes)', fmtBytes(h.perVmaPopulated.perVma),
      `heapUsed +${fmtBytes(h.perVmaPopulated.dHeap)}, external +${fmtBytes(h.perVmaPopulated.dExternal)}`]);
    if (h.churn) rows.push([`${h.churn.cycles.toLocaleString('en-US')} mmap/store/munmap cycles`,
      `${fmtBytes(h.churn.after.heapUsed - h.churn.before.heapUsed)} heap`,
      `heapUsed ${fmtBytes(h.churn.before.heapUsed)} -> ${fmtBytes(h.churn.after.heapUsed)}, external ${fmtBytes(h.churn.before.external)} -> ` +
      `${fmtBytes(h.churn.after.external)}; ${fmtNs(h.churn.nsPerCycle)}/cycle`]);
    table(['figure', 'bytes', 'detail'], rows, ['l', 'r', 'l']);
  }
  const missed = res.rows.filter((r) => r.verdict === 'MISS' || r.verdict === '~');
  out();
  out(missed.length === 0 ? 'memory goals: all hold'
    : `memory goals not held (${missed.length} of ${res.rows.filter((r) => r.verdict !== '-').length}):\n` +
      missed.map((r) => `  ${r.verdict.padEnd(4)} ${r.goal} ${r.name}: ${fmtX(r.ratio)}${r.absolute ? ' ns' : 'x'} (goal ≤ ${r.goalValue})`).join('\n'));
  const notes = [];
  if (res.slabGrowRetries) notes.push(`${res.slabGrowRetries} accesses retried after the slab-growth RangeError (see mem.mjs header)`);
  out(`# memory: ${res.seconds.toFixed(1)} s (kernel ${res.kernel ? res.kernel.seconds.toFixed(1) + ' s' : 'skipped'}); CPUs busy while timing vmspace: ` +
    `${res.cpusBusy?.toFixed(2) ?? 'n/a'}${notes.length ? '; ' + notes.join('; ') : ''}`);
}

// ---- helpers --------------------------------------------------------------------------------


let slabGrowRetries = 0;

/**
 * A per-page touch loop over [base, end), compiled from its own source text, closing over `mem`.
 * op: 'store' (store32) or 'load' (load32). `retry`: retry an access once after the
 * slab-growth RangeError (setup and cold-slab loops); returns the retries.
 */
function compileTouch(op, mem, { retry = false } = {}) {
  const access = op === 'store' ? 'mem.store32(a, 1)' : 'acc = (acc + mem.load32(a)) | 0';
  const body = retry
    ? `try { ${access}; } catch (e) { if (!(e instanceof RangeError)) throw e; retries++; ${access}; }`
    : `${access};`;
  return new Function('mem', `'use strict';
    return (base, end) => { let acc = 0; let retries = 0;
      for (let a = base; a < end; a += 4096) { ${body} }
      if (retries !== 0) return -retries; return acc; };`)(mem);
}

function runTouch(fn, base, end) {
  const r = fn(base, end);
  if (r < 0) slabGrowRetries -= r;
  sink(r);
}

function timeTouch(fn, base, end) {
  const t0 = now();
  const r = fn(base, end);
  const t1 = now();
  if (r < 0) slabGrowRetries -= r;
  sink(r);
  return ((t1 - t0) * 1e6) / ((end - base) / PAGE);
}

function mustMap(task, len, addr = 0, flags = 0) {
  const a = task.fast.mmap(addr, len, PROT_RW, MAP_PRIVATE_ANON | flags, -1, 0);
  if (a < 0) throw new Error(`mmap(${len}) failed: ${a}`);
  return a;
}
function mustUnmap(task, a, len) {
  const r = task.fast.munmap(a, len);
  if (r !== 0) throw new Error(`munmap failed: ${r}`);
}

/** Populates [a, a+len) with the retrying store loop (setup, untimed). */
function populate(task, a, len) {
  runTouch(compileTouch('store', task.mem, { retry: true }), a, a + len);
}

const median = (v) => statsOf(v).median;

// ---- sections -------------------------------------------------------------------------------

/** G9-G13: faults and zaps over a 64 MiB region, per page. */
function faultSection(vm, rounds, { coldRounds = rounds } = {}) {
  const out = {};
  const push = (k, v) => (out[k] ??= []).push(v);

  // Warm: one system, frames recycled (the region mapped, touched and unmapped once first).
  const sys = vm.createSystem();
  const t = sys.task(0);
  const mem = t.mem;
  {
    const a = mustMap(t, 2 * REGION);
    populate(t, a, 2 * REGION);
    mustUnmap(t, a, 2 * REGION);
  }
  const touchW = compileTouch('store', mem);
  const touchR = compileTouch('load', mem);
  const touchWR = compileTouch('store', mem);
  const touchRZ = compileTouch('load', mem);
  const touchWZ = compileTouch('store', mem);
  const touchWRetry = compileTouch('store', mem, { retry: true });
  const sysctl = sys.mmSystem.sysctl;
  for (let r = -1; r < rounds; r++) {
    const keep = r >= 0;
    // G9 warm, G13
    let a = mustMap(t, REGION);
    settle();
    const w = timeTouch(touchW, a, a + REGION);
    let t0 = now();
    if (t.sys.madvise(BigInt(a), BigInt(REGION), MADV_DONTNEED) !== 0) throw new Error('madvise failed');
    const dn = ((now() - t0) * 1e6) / NPAGES;
    runTouch(touchWRetry, a, a + REGION);
    t0 = now();
    mustUnmap(t, a, REGION);
    const un = ((now() - t0) * 1e6) / NPAGES;
    if (keep) { push('faultWrite', w); push('madvDontneed', dn); push('munmap', un); }
    // G10 / G11 with the default sysctl (a read fault allocates, as the reference kernel's)
    sysctl.useZeroPage = false;
    a = mustMap(t, REGION);
    settle();
    const rd = timeTouch(touchR, a, a + REGION);
    const wr = timeTouch(touchWR, a, a + REGION);
    mustUnmap(t, a, REGION);
    // ... and with the zero page
    sysctl.useZeroPage = true;
    a = mustMap(t, REGION);
    settle();
    const rz = timeTouch(touchRZ, a, a + REGION);
    const wz = timeTouch(touchWZ, a, a + REGION);
    mustUnmap(t, a, REGION);
    sysctl.useZeroPage = false;
    if (keep) { push('faultRead', rd); push('writeAfterRead', wr); push('faultZeroRead', rz); push('faultWriteAfterZero', wz); }
  }

  // G9 cold: a fresh system per round, so every slab page the region gets is touched for the
  // first time (a host page fault each). Two configurations: a slab reserved whole (G9's cold
  // goal: the per-page cost of a cold slab page, nothing else) and the default slab, which also
  // grows once inside the timed loop (at 4 MiB: a 256 MiB ArrayBuffer, the V8 collection that
  // allocation sets off, and a copy of the 4 MiB), a one-time cost per system (info).
  const coldRound = (opts) => {
    const s2 = vm.createSystem(opts);
    const t2 = s2.task(0);
    const a = mustMap(t2, REGION);
    const fn = compileTouch('store', t2.mem, { retry: true });
    settle();
    return timeTouch(fn, a, a + REGION);
  };
  // For scale: the host's own first touch of a fresh ArrayBuffer, one store per page: the floor
  // of a cold slab page (perf.md §4.3), paid once per page when the slab never copies itself.
  const hostFirstTouch = new Function(`'use strict';
    return (bytes) => { const u8 = new Uint8Array(new ArrayBuffer(bytes)); const t0 = performance.now();
      for (let o = 0; o < bytes; o += 4096) u8[o] = 1;
      return ((performance.now() - t0) * 1e6) / (bytes / 4096); };`)();
  for (let r = -1; r < coldRounds; r++) {
    const cr = coldRound({ memory: { reserveSlab: true } });
    const c = coldRound();
    settle();
    const h = hostFirstTouch(REGION);
    if (r >= 0) { push('faultWriteColdReserved', cr); push('faultWriteCold', c); push('hostFirstTouch', h); }
  }

  // G12: COW in the child after fork (the parent populated the region).
  const sc = vm.createSystem();
  const tc = sc.task(0);
  const ac = mustMap(tc, REGION);
  populate(tc, ac, REGION);
  const mkTouchCow = new Function(`'use strict';
    return (mem) => (base, end) => { for (let a = base; a < end; a += 4096) mem.store32(a, 2); return 0; };`)();
  for (let r = -1; r < rounds; r++) {
    const child = tc.fork();
    const cm = child.mem;
    const fn = r < 0 ? compileTouch('store', cm, { retry: true }) : mkTouchCow(cm);
    settle();
    const cw = timeTouch(fn, ac, ac + REGION);
    child.exit();
    if (r >= 0) push('faultCow', cw);
  }
  const med = {};
  for (const [k, v] of Object.entries(out)) med[k] = { ...statsOf(v), samples: v };
  return med;
}

/** G14-G16: fork and fork + child exit, per fork. */
function forkSection(vm, rounds, { skip1g = false } = {}) {
  const res = {};
  function timeForks(key, task) {
    const call = [];
    const round = [];
    // 3 untimed forks first: the first few forks of a 10k-VMA process still run unoptimised code.
    // One settle() before the loop, then fork + exit back to back, as kernel_mem.c's
    // bench_fork() does on the kernel side: a settle() (full GC + 50 ms sleep) before every fork
    // made each one run cold on this kind of VM (measured: a bare dupMm at 25 µs back to back,
    // 130-450 µs after a 50 ms sleep), a cost the kernel anchor never pays. Collections that
    // the forks' own garbage triggers are timed: they are part of forking in JS.
    settle();
    for (let r = -3; r < rounds; r++) {
      const t0 = now();
      const child = task.fork();
      const t1 = now();
      if (typeof child === 'number') throw new Error(`fork failed: ${child}`);
      child.exit();
      const t2 = now();
      if (r >= 0) { call.push((t1 - t0) * 1e6); round.push((t2 - t0) * 1e6); }
    }
    res[key] = { ...statsOf(call), samples: call, vmas: task.mm.mapCount, rss: task.mm.rss };
    res[`${key}RoundTrip`] = { ...statsOf(round), samples: round };
  }
  // each case in its own function, so that its system is garbage when the next one starts
  (() => {
    const s = vm.createSystem();
    timeForks('forkBase', s.task(0));
  })();
  (() => {
    const s = vm.createSystem();
    const t = s.task(0);
    populate(t, mustMap(t, 64 * MiB), 64 * MiB);
    timeForks('fork64m', t);
  })();
  (() => {
    const s = vm.createSystem();
    const t = s.task(0);
    const n = 10000;
    const a = mustMap(t, n * PAGE);
    populate(t, a, n * PAGE);
    for (let i = 1; i < n; i += 2) if (t.fast.mprotect(a + i * PAGE, PAGE, PROT_READ) !== 0) throw new Error('mprotect failed');
    timeForks('fork10kVmas', t);
  })();
  if (!skip1g) (() => {
    let s = vm.createSystem({ memory: { limitFrames: 0x80000 } });
    const t = s.task(0);
    const t0 = now();
    populate(t, mustMap(t, 1024 * MiB), 1024 * MiB);
    res.setup1gSeconds = (now() - t0) / 1000;
    timeForks('fork1g', t);
    s = null;
  })();
  fullGc();
  return res;
}

/** A private copy of dist/src (its own module instances, hence its own type feedback). */
let copyRoot = null;
let copies = 0;
async function privateVmspace() {
  if (copyRoot === null) {
    copyRoot = mkdtempSync(path.join(os.tmpdir(), 'vmspace-bench-mem-'));
    // The copies import vmspace's dependencies (the interval tree) by bare name.
    symlinkSync(path.join(here, '../node_modules'), path.join(copyRoot, 'node_modules'), 'dir');
  }
  const dir = path.join(copyRoot, String(copies++));
  cpSync(dist, dir, { recursive: true, filter: (src) => !/\.(d\.ts|map)$/.test(src) });
  return import(pathToFileURL(path.join(dir, 'index.js')).href);
}
function cleanupCopies() {
  if (copyRoot) rmSync(copyRoot, { recursive: true, force: true });
  copyRoot = null;
}

const VM_LOOP = {
  load32: 'let acc = 0; for (let i = 0; i < n; i++) acc = (acc + mem.load32(addrs[i & MASK])) | 0; return acc;',
  store32: 'for (let i = 0; i < n; i++) mem.store32(addrs[i & MASK], i); return 0;',
  load64: 'let acc = 0; for (let i = 0; i < n; i++) acc = (acc + mem.load64(addrs[i & MASK]) + mem.hi) | 0; return acc;',
  store64: 'for (let i = 0; i < n; i++) mem.store64(addrs[i & MASK], i, i >>> 3); return 0;',
};
// Each loop gets source text of its own: V8 caches the code of a `new Function` by its text,
// and two floor loops of the same text measured 2x slower in the second group timed.
let vmLoops = 0;
function vmLoop(form, mem) {
  return new Function('mem', `'use strict'; // loop ${vmLoops++}
    const MASK = ${STREAM_LEN - 1}; return (addrs, n) => { ${VM_LOOP[form]} };`)(mem);
}

/**
 * The reference software MMU of perf.md §4.4 (perf-anchors/js_tlb.mjs, "256-entry direct-mapped
 * TLB, array page table": the 1.57-1.80x behind G17's goal), rebuilt here over the raw anchor's
 * DataView (identity page table), as a yardstick measured in the same rounds: when it too is
 * far above its perf.md figure, the machine (not vmspace) moved. One compiled class per stream.
 */
function refMmuLoop(width, dv, base) {
  const v32 = width === 32;
  const src = `'use strict';
    class MMU {
      constructor(dv, pt) { this.dv = dv; this.pt = pt; this.tag = new ${v32 ? 'Int32Array' : 'Float64Array'}(256).fill(-1); this.frame = new Int32Array(256); }
      access(addr) {
        const off = addr & 4095;
        if (off > 4092) return this.cross(addr);
        ${v32 ? 'const vpn = addr >>> 12; const slot = vpn & 255; if (this.tag[slot] !== vpn) return this.miss(addr);'
    : 'const slot = (addr >>> 12) & 255; if (this.tag[slot] !== (addr - off)) return this.miss(addr);'}
        return this.dv.getUint32(this.frame[slot] + off, true);
      }
      miss(addr) {
        const off = addr & 4095;
        ${v32 ? 'const vpn = addr >>> 12; const frame = this.pt[vpn];'
    : 'const vpn = (addr - off) / 4096; const frame = this.pt[Math.floor(vpn / 16777216)][(vpn >>> 12) & 4095][vpn & 4095];'}
        if (frame < 0) throw new RangeError('SIGSEGV');
        this.tag[${v32 ? 'vpn & 255' : '(addr >>> 12) & 255'}] = ${v32 ? 'vpn' : '(addr - off)'}; this.frame[${v32 ? 'vpn & 255' : '(addr >>> 12) & 255'}] = frame;
        return this.dv.getUint32(frame + off, true);
      }
      cross(addr) { throw new RangeError('page-crossing access not exercised'); }
    }
    const MASK = ${STREAM_LEN - 1};
    const mmu = new MMU(dv, pt);
    return (addrs, n) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + mmu.access(addrs[i & MASK])) | 0; return acc; };`;
  const vpn0 = base / PAGE;
  let pt;
  if (v32) {
    pt = new Array(1 << 20).fill(-1);
    for (let i = 0; i < GUEST_PAGES; i++) pt[vpn0 + i] = i * PAGE;
  } else {
    const emptyLeaf = new Int32Array(4096).fill(-1);
    const emptyMid = new Array(4096).fill(emptyLeaf);
    pt = new Array(4096).fill(emptyMid);
    for (let i = 0; i < GUEST_PAGES; i++) {
      const v = vpn0 + i;
      const i0 = Math.floor(v / 16777216), i1 = (v >>> 12) & 4095;
      if (pt[i0] === emptyMid) pt[i0] = emptyMid.slice();
      if (pt[i0][i1] === emptyLeaf) pt[i0][i1] = new Int32Array(4096).fill(-1);
      pt[i0][i1][v & 4095] = i * PAGE;
    }
  }
  return new Function('dv', 'pt', src)(dv, pt);
}

/** G17-G20: translated accesses vs raw DataView / Uint32Array, round-robin per (width, pattern). */
async function accessSection(rounds, accesses, patterns = ['seq', 'rand64p', 'rand4096p']) {
  const dv = makeDataView();
  const u32 = new Uint32Array(dv.buffer);
  const bytes = new Uint8Array(dv.buffer);
  const groups = {};
  for (const width of [32, 64]) {
    // one private vmspace per width: a 32-bit and a 64-bit emulator are different programs
    const vm = await privateVmspace();
    // The configuration docs/emulator.md recommends: a slab reserved whole never moves.
    const sys = vm.createSystem({ memory: { reserveSlab: true } });
    const t = sys.task(0);
    const base = DEFAULT_BASE[width];
    const a = t.fast.mmap(base, GUEST_PAGES * PAGE, PROT_RW, MAP_PRIVATE_ANON | MAP_FIXED_NOREPLACE, -1, 0);
    if (a !== base) throw new Error(`mmap at 0x${base.toString(16)} gave ${a}`);
    // A 32-bit emulator uses Task.mem32 (integer TLB tags), as docs/emulator.md recommends.
    const mem = width === 32 ? t.mem32 : t.mem;
    // populate with the anchor's bytes, page by page through write() (its order of growth is safe)
    mem.write(base, bytes);
    const s4 = makeStreams(width, base, 4);
    const s8 = makeStreams(width, base, 8);
    for (const p of patterns) {
      const L = { load32: vmLoop('load32', mem), store32: vmLoop('store32', mem), load64: vmLoop('load64', mem), store64: vmLoop('store64', mem) };
      const timed = (fn, stream) => () => nsPerOp(() => fn(stream, accesses), accesses);
      const rr = roundRobin([
        ['raw load', () => rawLoadU32(s4[p], dv, accesses)],
        ['vmspace load32', timed(L.load32, s4[p])],
        ['raw store', () => rawStoreU32(s4[p], dv, accesses)],
        ['vmspace store32', timed(L.store32, s4[p])],
        ['raw u64 load (2x u32)', () => rawU64Pair(s8[p], u32, 'load', accesses)],
        ['vmspace load64', timed(L.load64, s8[p])],
        ['raw u64 store (2x u32)', () => rawU64Pair(s8[p], u32, 'store', accesses)],
        ['vmspace store64', timed(L.store64, s8[p])],
        ['reference MMU load', timed(refMmuLoop(width, dv, base), s4[p])],
        ...(p === 'rand4096p' ? [] : [
          ['floor load32', timed(tlbFloorLoop(s4[p], dv, 'load32'), s4[p])],
          ['floor load64', timed(tlbFloorLoop(s8[p], dv, 'load64'), s8[p])],
        ]),
      ], { rounds });
      const ratio = (x, y) => statsOf(rr.variants[x].samples.map((v, i) => v / rr.variants[y].samples[i]));
      groups[`${width}-bit ${p}`] = {
        times: Object.fromEntries(Object.entries(rr.variants).map(([k, v]) => [k, { median: v.median, min: v.min, max: v.max }])),
        load32: ratio('vmspace load32', 'raw load'),
        store32: ratio('vmspace store32', 'raw store'),
        load64: ratio('vmspace load64', 'raw u64 load (2x u32)'),
        store64: ratio('vmspace store64', 'raw u64 store (2x u32)'),
        refLoad: ratio('reference MMU load', 'raw load'),
        ...(p === 'rand4096p' ? {} : {
          floorLoad32: ratio('floor load32', 'raw load'),
          floorLoad64: ratio('floor load64', 'raw u64 load (2x u32)'),
        }),
      };
    }
    // A 32-bit guest through the generic Task.mem (float tags), for comparison (info). Its own
    // copy of vmspace: Memory32 inherits Memory's miss path, and feedback from both classes in
    // one copy made that path polymorphic and larger, and Memory32's hit loop measured 4x raw
    // instead of 2x (an emulator uses one of the two).
    if (width === 32) {
      const vmG = await privateVmspace();
      const tG = vmG.createSystem({ memory: { reserveSlab: true } }).task(0);
      if (tG.fast.mmap(base, GUEST_PAGES * PAGE, PROT_RW, MAP_PRIVATE_ANON | MAP_FIXED_NOREPLACE, -1, 0) !== base) throw new Error('mmap for Task.mem failed');
      tG.mem.write(base, bytes);
      for (const p of patterns.filter((x) => x !== 'rand4096p')) {
        const load32 = vmLoop('load32', tG.mem);
        const rr = roundRobin([
          ['raw load', () => rawLoadU32(s4[p], dv, accesses)],
          ['Task.mem load32', () => nsPerOp(() => load32(s4[p], accesses), accesses)],
        ], { rounds });
        const g = groups[`${width}-bit ${p}`];
        g.times['Task.mem raw load'] = { median: rr.variants['raw load'].median };
        g.times['Task.mem load32'] = { median: rr.variants['Task.mem load32'].median };
        g.genericLoad32 = statsOf(rr.variants['Task.mem load32'].samples.map((v, i) => v / rr.variants['raw load'].samples[i]));
      }
    }
    // Past both TLB levels: 32 MiB, whose two halves alias in the second level (info).
    if (patterns.includes('rand4096p')) {
      const dv2 = makeDataView(2 * GUEST_PAGES * PAGE);
      const a2 = t.fast.mmap(base + GUEST_PAGES * PAGE, GUEST_PAGES * PAGE, PROT_RW, MAP_PRIVATE_ANON | MAP_FIXED_NOREPLACE, -1, 0);
      if (a2 !== base + GUEST_PAGES * PAGE) throw new Error(`mmap of the second half gave ${a2}`);
      mem.write(base, new Uint8Array(dv2.buffer));
      const s2 = makeAliasStream(width, base, 4);
      const load32 = vmLoop('load32', mem);
      const rr = roundRobin([
        ['raw load', () => rawLoadU32(s2, dv2, accesses)],
        ['vmspace load32', () => nsPerOp(() => load32(s2, accesses), accesses)],
      ], { rounds });
      groups[`${width}-bit alias8192p`] = {
        times: Object.fromEntries(Object.entries(rr.variants).map(([k, v]) => [k, { median: v.median, min: v.min, max: v.max }])),
        load32: statsOf(rr.variants['vmspace load32'].samples.map((v, i) => v / rr.variants['raw load'].samples[i])),
      };
    }
  }
  return groups;
}

/** G21: readInto / write of 4 KiB, 64 KiB, 1 MiB (page-aligned, so 1, 16, 256 page runs; and 4 KiB across two pages). */
async function copySection(rounds, bytesPerRun) {
  const vm = await privateVmspace();
  const sys = vm.createSystem({ memory: { reserveSlab: true } });
  const t = sys.task(0);
  const len = 2 * MiB + PAGE;
  const g = mustMap(t, len);
  populate(t, g, len);
  const mem = t.mem;
  const res = {};
  const cases = [...COPY_SIZES.map((size) => ({ size, off: 0 })), { size: 4096, off: 2048 }];
  for (const { size, off } of cases) {
    const buf = hostBytes(size).fill(3); // aligned as the anchors' buffers
    const reps = Math.max(1, Math.floor(bytesPerRun / size));
    const G = g + off;
    const mk = (op) => new Function('mem', 'buf', 'G', `'use strict';
      return (reps) => { for (let i = 0; i < reps; i++) mem.${op}(G, buf); return buf[0]; };`)(mem, buf, G);
    const readInto = mk('readInto');
    const write = mk('write');
    const rr = roundRobin([
      ['set', () => rawCopy(size, bytesPerRun)],
      ['readInto', () => nsPerOp(() => readInto(reps), reps)],
      ['write', () => nsPerOp(() => write(reps), reps)],
    ], { rounds });
    res[`${size}@${off}`] = {
      size, off,
      times: Object.fromEntries(Object.entries(rr.variants).map(([k, v]) => [k, { median: v.median, min: v.min, max: v.max }])),
      readIntoVsSet: rr.variants.readInto.ratio,
      writeVsSet: rr.variants.write.ratio,
    };
  }
  return res;
}

/** G22: FramePool.allocZeroed + put, warm: the same frame again, and batches of 4,096 (16 MiB). */
function frameSection(vm, rounds, n) {
  const sys = vm.createSystem();
  const frames = sys.mmSystem.frames;
  const K = 4096;
  const held = new Int32Array(K);
  // warm: K frames handed out and freed (the slab grown, the free list holding them)
  for (let j = 0; j < K; j++) held[j] = frames.allocZeroed();
  for (let j = 0; j < K; j++) frames.put(held[j]);
  const same = new Function('frames', `'use strict';
    return (n) => { let s = 0; for (let i = 0; i < n; i++) { const f = frames.allocZeroed(); frames.put(f); s += f; } return s; };`)(frames);
  const batch = new Function('frames', 'held', `'use strict'; const K = ${K};
    return (n) => { let s = 0; for (let i = 0; i < n; i += K) {
      for (let j = 0; j < K; j++) held[j] = frames.allocZeroed();
      for (let j = 0; j < K; j++) { s += held[j]; frames.put(held[j]); } } return s; };`)(frames, held);
  const rr = roundRobin([
    ['same frame', () => nsPerOp(() => same(n), n)],
    ['batch 4096', () => nsPerOp(() => batch(n), n)],
  ], { rounds });
  return { same: rr.variants['same frame'], batch: rr.variants['batch 4096'] };
}

/** Heap bytes per resident page and per VMA; 10^6 mmap/store/munmap cycles. */
function heapSection(vm, churnCycles) {
  const res = {};
  const N = NPAGES;
  // Each measurement in its own function: a system left in a dead block's interpreter register
  // would stay alive (and be counted) until the section returns.
  (() => {
    // cold: a fresh system; everything the touch adds, minus the data bytes
    let s = vm.createSystem();
    const t = s.task(0);
    const mem = t.mem;
    const touch = compileTouch('store', mem, { retry: true });
    const a = mustMap(t, REGION);
    const h0 = heapNow();
    runTouch(touch, a, a + REGION);
    const h1 = heapNow();
    const d = h1.heapUsed - h0.heapUsed + h1.external - h0.external;
    res.perPageCold = { pages: N, dHeap: h1.heapUsed - h0.heapUsed, dExternal: h1.external - h0.external,
      perPage: d / N - PAGE, slabFrames: s.mmSystem.frames.capacity };
    // warm: the same, with the slab grown and the frames on the free list
    mustUnmap(t, a, REGION);
    const b = mustMap(t, REGION);
    const h2 = heapNow();
    runTouch(touch, b, b + REGION);
    const h3 = heapNow();
    res.perPageWarm = { pages: N, dHeap: h3.heapUsed - h2.heapUsed, dExternal: h3.external - h2.external,
      perPage: (h3.heapUsed - h2.heapUsed + h3.external - h2.external) / N };
    s = null;
  })();
  (() => {
    let s = vm.createSystem();
    const t = s.task(0);
    const n = 10000;
    // warm the slab for the populated figure (untimed)
    const w = mustMap(t, n * PAGE);
    populate(t, w, n * PAGE);
    mustUnmap(t, w, n * PAGE);
    const h0 = heapNow();
    const a = mustMap(t, n * PAGE);
    for (let i = 1; i < n; i += 2) if (t.fast.mprotect(a + i * PAGE, PAGE, PROT_READ) !== 0) throw new Error('mprotect failed');
    const h1 = heapNow();
    const vmas = t.mm.mapCount;
    res.perVma = { vmas: n, mapCount: vmas, dHeap: h1.heapUsed - h0.heapUsed, dExternal: h1.external - h0.external,
      perVma: (h1.heapUsed - h0.heapUsed + h1.external - h0.external) / n };
    // populate them: read faults on the odd (read-only) pages, stores on the even ones
    const mem = t.mem;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) mem.store32(a + i * PAGE, 1); else sink(mem.load32(a + i * PAGE));
    }
    const h2 = heapNow();
    res.perVmaPopulated = { vmas: n, dHeap: h2.heapUsed - h0.heapUsed, dExternal: h2.external - h0.external,
      perVma: (h2.heapUsed - h0.heapUsed + h2.external - h0.external) / n };
    s = null;
  })();
  (() => {
    let s = vm.createSystem();
    const t = s.task(0);
    const cycle = new Function('fast', 'mem', `'use strict';
      return (n) => { let s = 0; for (let i = 0; i < n; i++) {
        const a = fast.mmap(0, 4096, ${PROT_RW}, ${MAP_PRIVATE_ANON}, -1, 0);
        mem.store32(a, i); s = (s + fast.munmap(a, 4096)) | 0; } return s; };`)(t.fast, t.mem);
    // Warm-up long enough for the JIT to settle: after 1,000 cycles, optimised code allocated
    // during the timed cycles showed up as ~100-200 KiB of growth.
    sink(cycle(100000));
    const before = heapNow();
    const t0 = now();
    const r = cycle(churnCycles);
    const t1 = now();
    if (r !== 0) throw new Error('munmap failed in the churn');
    const after = heapNow();
    res.churn = { cycles: churnCycles, before, after, nsPerCycle: ((t1 - t0) * 1e6) / churnCycles,
      mapCount: t.mm.mapCount, slabFrames: s.mmSystem.frames.capacity };
    s = null;
  })();
  fullGc();
  return res;
}

// ---- rows -----------------------------------------------------------------------------------

function buildRows(k, v) {
  const rows = [];
  const kop = (key) => k?.ops?.[key]?.median ?? null;
  function row(goal, name, anchorName, anchor, vmspace, goalValue, note, extra = {}) {
    const ratio = extra.ratio !== undefined ? extra.ratio : anchor === null || vmspace === null || vmspace === undefined ? null : vmspace / anchor;
    rows.push({ goal, name, anchorName, anchor, vmspace: vmspace ?? null, ratio, goalValue,
      verdict: verdictOf(ratio, goalValue), note: note ?? '', ...extra });
  }
  const f = v.faults;
  if (f) {
    const zp = k ? k.zeroPage : null;
    row('G9', 'write fault, first touch, warm slab', 'kernel faultWrite', kop('faultWrite'), f.faultWrite.median, 0.5);
    row('G9', 'write fault, first touch, cold slab (fresh system, reserved slab)', 'kernel faultWrite', kop('faultWrite'),
      f.faultWriteColdReserved.median, 1.25);
    // The default slab's one growth, spread over the region's pages here: what it costs once.
    const growMs = ((f.faultWriteCold.median - f.faultWriteColdReserved.median) * NPAGES) / 1e6;
    row('', 'the same, default slab (grows once in the loop)', 'kernel faultWrite', kop('faultWrite'), f.faultWriteCold.median, null,
      `info: the growth ~${growMs.toFixed(1)} ms once per system`);
    row('', 'JS: first store per page of a fresh ArrayBuffer', 'kernel faultWrite', kop('faultWrite'), f.hostFirstTouch.median, null,
      'the cold-slab floor; info');
    row('G10', 'read fault, useZeroPage (maps the zero page)', 'kernel faultZeroRead', kop('faultZeroRead'), f.faultZeroRead.median, 0.25,
      zp === false ? 'kernel read fault allocates here' : '');
    // The goal of vmspace's default (an allocating read fault, as the fixtures' machine had) is
    // G9's where the kernel allocates too; against a kernel's zero-page fault it is info.
    row(zp === true ? '' : 'G10', 'read fault, default sysctl (allocates)', 'kernel faultZeroRead', kop('faultZeroRead'), f.faultRead.median,
      zp === true ? null : 0.5, zp === true ? 'info: this kernel maps the zero page (row above)' : 'goal: G9\'s (both allocate)');
    if (zp === false) {
      row('G11', 'write after zero-page read, useZeroPage', 'kernel faultWrite', kop('faultWrite'), f.faultWriteAfterZero.median, 0.5,
        'substitute anchor: kernel has no zero page');
    } else {
      row('G11', 'write after zero-page read, useZeroPage', 'kernel faultWriteAfterZero', kop('faultWriteAfterZero'), f.faultWriteAfterZero.median, 0.5);
    }
    row('', 'write after read, default sysctl (no fault)', zp === false ? 'kernel faultWriteAfterZero' : '-', zp === false ? kop('faultWriteAfterZero') : null,
      f.writeAfterRead.median, null, 'a TLB refill per page; info');
    row('G12', 'COW write fault in the child after fork', 'kernel faultCow', kop('faultCow'), f.faultCow.median, 0.5);
    row('G13', 'MADV_DONTNEED, populated, per page', 'kernel madvDontneed', kop('madvDontneed'), f.madvDontneed.median, 0.5);
    row('G13', 'munmap, populated, per page', 'kernel munmap', kop('munmap'), f.munmap.median, 0.5);
  }
  const fk = v.fork;
  if (fk) {
    const forkRow = (goal, key, name, g, note) => {
      if (!fk[key]) return;
      row(goal, `fork(), ${name}`, `kernel ${key}`, kop(key), fk[key].median, g, note);
      row(goal, `fork + child exit, ${name}`, `kernel ${key}RoundTrip`, kop(`${key}RoundTrip`), fk[`${key}RoundTrip`].median, g);
    };
    forkRow('', 'forkBase', 'bare process', null, 'info');
    forkRow('G14', 'fork64m', '64 MiB resident', 0.5);
    forkRow('G15', 'fork1g', '1 GiB resident', 0.25, 'stretch 0.05x');
    if (!fk.fork1g) row('G15', 'fork(), 1 GiB resident', 'kernel fork1g', kop('fork1g'), null, null, 'skipped with --quick');
    forkRow('G16', 'fork10kVmas', '10,000 one-page populated VMAs', 0.5);
  }
  const ac = v.access;
  if (ac) {
    for (const [param, gr] of Object.entries(ac)) {
      if (param.endsWith('alias8192p')) {
        row('', `load32, TLB and second-level miss, ${param}`, 'raw DataView load', gr.times['raw load'].median, gr.times['vmspace load32'].median, null,
          'info: a page-table walk', { ratio: gr.load32.median, ratioMin: gr.load32.min, ratioMax: gr.load32.max });
        continue;
      }
      const miss = param.endsWith('rand4096p');
      const w64 = param.startsWith('64');
      const t = gr.times;
      const rr = (goal, what, anchorName, anchorKey, vmKey, r, g, note) =>
        row(goal, `${what}, ${param}`, anchorName, t[anchorKey].median, t[vmKey].median, g, note, { ratio: r.median, ratioMin: r.min, ratioMax: r.max });
      const ref = `reference MMU ${fmtX(gr.refLoad.median)}x`;
      if (!miss) {
        rr('G17', 'load32, TLB hit', 'raw DataView load', 'raw load', 'vmspace load32', gr.load32, 1.75,
          `${ref}; floor ${fmtX(gr.floorLoad32.median)}x; stretch 1.4x ${gr.load32.median <= 1.4 ? 'ok' : 'missed'}`);
        rr('G18', 'store32, TLB hit', 'raw DataView store', 'raw store', 'vmspace store32', gr.store32, 1.75);
        rr('G20', 'load64, TLB hit', 'raw u64 as 2x u32', 'raw u64 load (2x u32)', 'vmspace load64', gr.load64, 2.0,
          `floor ${fmtX(gr.floorLoad64.median)}x`);
        rr('G20', 'store64, TLB hit', 'raw u64 as 2x u32', 'raw u64 store (2x u32)', 'vmspace store64', gr.store64, 2.0);
        if (gr.genericLoad32) {
          rr('', 'load32 through Task.mem (float tags), TLB hit', 'raw DataView load', 'Task.mem raw load', 'Task.mem load32', gr.genericLoad32, null,
            'info: the 32-bit rows above use Task.mem32');
        }
      } else {
        rr('G19', 'load32, TLB miss', 'raw DataView load', 'raw load', 'vmspace load32', gr.load32, w64 ? 3.2 : 2.2, ref);
        rr('', 'store32, TLB miss', 'raw DataView store', 'raw store', 'vmspace store32', gr.store32, null, 'info');
        rr('', 'load64, TLB miss', 'raw u64 as 2x u32', 'raw u64 load (2x u32)', 'vmspace load64', gr.load64, null, 'info');
        rr('', 'store64, TLB miss', 'raw u64 as 2x u32', 'raw u64 store (2x u32)', 'vmspace store64', gr.store64, null, 'info');
      }
    }
  }
  const cp = v.copy;
  if (cp) {
    const kKey = { 4096: 'memcpy4k', 65536: 'memcpy64k', 1048576: 'memcpy1m' };
    for (const c of Object.values(cp)) {
      const label = c.size >= MiB ? `${c.size / MiB} MiB` : `${c.size / 1024} KiB`;
      const where = c.off === 0 ? `${Math.ceil(c.size / PAGE)} page${c.size > PAGE ? 's' : ''}` : `at page offset ${c.off}: 2 pages`;
      const g = c.size <= 4096 ? 2.0 : 1.25;
      for (const op of ['readInto', 'write']) {
        const r = op === 'readInto' ? c.readIntoVsSet : c.writeVsSet;
        row('G21', `${op} ${label} (${where})`, `kernel ${kKey[c.size]}`, kop(kKey[c.size]), c.times[op].median, g,
          `vs TypedArray.set ${fmtX(r.median)}x (set ${fmtNs(c.times.set.median)})`);
      }
    }
  }
  const fr = v.frames;
  if (fr) {
    row('G22', 'allocZeroed + put, warm, same frame', '-', null, fr.same.median, 100, 'absolute', { ratio: fr.same.median, absolute: true });
    row('G22', 'allocZeroed + put, warm, batches of 4,096 (16 MiB)', '-', null, fr.batch.median, 100, 'absolute', { ratio: fr.batch.median, absolute: true });
  }
  return rows;
}

// ---- main -----------------------------------------------------------------------------------

/**
 * Runs the memory benchmarks; resolves to the JSON document bench/run.mjs stores as `memory`.
 * @param {{quick?: boolean, rounds?: number, kernel?: boolean, only?: string[] | null, log?: (s: string) => void}} opts
 */
export async function runMem({ quick = false, rounds, kernel = true, only = null, log = (s) => process.stderr.write(s + '\n') } = {}) {
  const started = now();
  const R = rounds ?? (quick ? 5 : 9);
  const want = (s) => only === null || only.includes(s);
  let k = null;
  let kernelSkipped = null;
  if (kernel && (want('faults') || want('fork') || want('copy'))) {
    log('mem: timing the kernel (bench/kernel_mem.c) ...');
    k = await runKernelMem({ quick, log });
    if (!k) kernelSkipped = 'kernel memory anchors skipped (see above)';
  } else if (!kernel) kernelSkipped = 'kernel memory anchors skipped (--no-kernel)';
  const vm = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const c0 = cpuTimes();
  const v = {};
  const secs = {};
  const timed = async (name, fn) => {
    if (!want(name)) return;
    log(`mem: ${name} ...`);
    const t0 = now();
    v[name] = await fn();
    secs[name] = (now() - t0) / 1000;
  };
  try {
    await timed('heap', () => heapSection(vm, quick ? 100_000 : 1_000_000));
    await timed('faults', () => faultSection(vm, R, { coldRounds: quick ? Math.min(R, 3) : R }));
    await timed('frames', () => frameSection(vm, R, 1 << 18));
    await timed('access', () => accessSection(R, quick ? ACCESSES / 2 : ACCESSES));
    await timed('copy', () => copySection(R, quick ? 64 * MiB : 256 * MiB));
    await timed('fork', () => forkSection(vm, R, { skip1g: quick }));
  } finally {
    cleanupCopies();
  }
  const cpusBusy = busySince(c0);
  const heap = v.heap;
  delete v.heap;
  const rows = buildRows(k, v);
  return {
    rounds: R, quick, seconds: (now() - started) / 1000, sectionSeconds: secs, cpusBusy, slabGrowRetries,
    kernelSkipped, kernel: k, rows, heap, raw: v,
    verdicts: rows.filter((r) => r.verdict !== '-').map((r) => ({ goal: r.goal, op: r.name, value: r.ratio, goalValue: r.goalValue, verdict: r.verdict })),
  };
}

const cli = await benchMain(import.meta.url);
if (cli !== null) {
  const { flag, opt } = cli;
  const res = await runMem({
    quick: flag('quick'), rounds: opt('rounds') === undefined ? undefined : Number(opt('rounds')),
    kernel: !flag('no-kernel'), only: opt('only') ? opt('only').split(',') : null,
  });
  if (flag('json')) process.stdout.write(JSON.stringify(res) + '\n');
  else {
    process.stdout.write(`# ${os.cpus()[0]?.model ?? '?'} x ${os.cpus().length}; ${os.type()} ${os.release()}; node ${process.version}\n`);
    renderMemTable(res, { markdown: flag('markdown') });
  }
}

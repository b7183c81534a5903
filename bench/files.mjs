// vmspace's file benchmarks (goals F1-F4, issue 4 item 7): read and write faults on cached file
// pages, msync of a dirty MAP_SHARED range, pread/pwrite against mapped access, each against the
// host kernel doing the same in the same run, plus the JS heap per faulted file page.
// bench/README-files.md describes every figure and goal.
//
//   kernel anchors   bench/kernel_files.c (compiled with the system `cc -O2` by runKernelFiles()),
//                    on a tmpfs file (/dev/shm) and a disk file (/tmp, ext4 here)
//   vmspace          the built dist/ (npm run build first): one system per scratch flavour, the
//                    default ext4-like scratch directory and `fs.scratchKind = 'tmpfs'`, each
//                    holding one 64 MiB file written with pwrite (so every page is in its page
//                    cache), driven through task.fast / task.sys / task.mem
//
// Usage: npm run build && node --expose-gc bench/files.mjs [options]
//   (re-executes itself with --expose-gc when started without; bench/run.mjs runs it after the
//   memory benchmarks with --json and prints the same table)
//   --quick          5 rounds, 16 MiB moved per F4 run, fewer msync calls
//   --rounds N       timed rounds per figure (default 9; 5 with --quick)
//   --no-kernel      vmspace only (no ratios)
//   --no-disk        no ext4 (/tmp) kernel file: ext4 rows have no anchor
//   --only a,b       sections: faults, msync, io, heap (default: all)
//   --json           print one JSON document (what bench/run.mjs reads) instead of the tables
//   --markdown       tables in Markdown
//
// Method (as bench/mem.mjs). Fault and msync figures: one batch per round (16,384 pages; 200
// msync calls), divided by its size, median over the rounds after 2 untimed warm-up rounds; a
// full GC and 50 ms for V8's background sweeping before each timed batch (settle()); the
// variants of one section run round-robin within a round. Ratio = vmspace median / kernel median.
// F4 runs round-robin through mem-anchors.mjs roundRobin with TypedArray.prototype.set of the
// same size as the JS yardstick. Every hot loop is compiled from its own source text (its own
// type feedback) and closes over the task's `mem` / `sys` / `fast`, as an emulator would.
// Faults per page on the vmspace side are counted in an untimed pass of the first warm-up round
// (a page whose PTE is absent, or not writable for a store, before the access takes a fault).

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { printTable } from './table.mjs';
import {
  benchMain, busySince, collectGarbage, cpuTimes, fullGc, heapNow, hostBytes, now, nsPerOp, rawCopy, roundRobin, settle, sink,
  statsOf,
} from './mem-anchors.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '../dist/src');
const execFileP = promisify(execFile);

const PAGE = 4096;
const MiB = 1 << 20;
const FILE_BYTES = 64 * MiB;
const NPAGES = FILE_BYTES / PAGE;
const MSYNC_BYTES = MiB;
const PROT_NONE = 0;
const PROT_READ = 1;
const PROT_RW = 3;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const O_RDWR = 2;
const O_CREAT = 0o100;
const MADV_RANDOM = 1n;
const MS_SYNC = 4n;
const PTE_WRITE = 0x004;
const NOISE = 1.15;
const KINDS = ['tmpfs', 'ext4'];
const SUFFIX = { tmpfs: 'Tmpfs', ext4: 'Ext4' };
const IO_SIZES = [4096, 65536];
const SIZE_NAME = { 4096: '4k', 65536: '64k' };

// ---- the kernel -----------------------------------------------------------------------------

/**
 * Compiles bench/kernel_files.c and runs it; resolves to its JSON (see its header) plus
 * `compileSeconds`, or to null after logging why (not Linux, no compiler, failure).
 */
export async function runKernelFiles({ quick = false, runs, disk = true, clock = 'wall', cc = process.env.CC ?? 'cc',
  log = (s) => process.stderr.write(s + '\n') } = {}) {
  if (process.platform !== 'linux') {
    log(`kernel file anchors skipped: they need Linux (this is ${process.platform})`);
    return null;
  }
  try {
    await execFileP(cc, ['--version']);
  } catch {
    log(`kernel file anchors skipped: no C compiler (\`${cc}\`) found; install one (or set CC) to compare with the kernel`);
    return null;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vmspace-bench-files-'));
  try {
    const bin = path.join(dir, 'kernel_files');
    const t0 = Date.now();
    try {
      await execFileP(cc, ['-O2', '-Wall', '-Wextra', '-o', bin, path.join(here, 'kernel_files.c')]);
    } catch (e) {
      log(`kernel file anchors skipped: \`${cc}\` failed to compile bench/kernel_files.c:\n${e.stderr ?? e.message}`);
      return null;
    }
    const compileSeconds = (Date.now() - t0) / 1000;
    const args = [];
    if (quick) args.push('--quick');
    if (runs !== undefined) args.push('--runs', String(runs));
    if (!disk) args.push('--no-disk');
    let r;
    try {
      r = await execFileP(bin, args, { env: { ...process.env, BENCH_CLOCK: clock }, maxBuffer: 1 << 24, timeout: 240_000 });
    } catch (e) {
      log(`kernel file anchors failed (${e.signal ?? `status ${e.code}`}): ${e.stderr ?? e.message}`);
      return null;
    }
    if (r.stderr) log(r.stderr.trimEnd());
    return { ...JSON.parse(r.stdout), compileSeconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- formatting -----------------------------------------------------------------------------

export const verdictOf = (x, goal) => (x === null || x === undefined || goal === null || goal === undefined ? '-'
  : x <= goal ? 'ok' : x <= goal * NOISE ? '~' : 'MISS');
const fmtNs = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-'
  : x >= 1e6 ? `${(x / 1e6).toPrecision(3)} ms` : x >= 1e4 ? `${(x / 1e3).toPrecision(3)} µs`
    : x >= 100 ? `${Math.round(x)} ns` : `${x.toPrecision(3)} ns`);
const fmtX = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtBytes = (b) => (Math.abs(b) >= 10 * MiB ? `${(b / MiB).toFixed(1)} MiB` : Math.abs(b) >= 10240 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`);
const fmtF = (x) => (x === null || x === undefined ? '?' : x.toFixed(x < 0.1 && x > 0 ? 3 : 2));

/** Prints the table (and heap figures) of a files.mjs result with `out`; shared with bench/run.mjs. */
export function renderFilesTable(res, { out = (s = '') => process.stdout.write(s + '\n'), markdown = false } = {}) {
  const table = (head, rows, align) => printTable(out, markdown, head, rows, align);
  out();
  out(`${markdown ? '#### ' : ''}Files (F1-F4): median of ${res.rounds} rounds; ratio = vmspace / kernel (median / median); ` +
    '"~" = over the goal by at most 15%; vmspace tmpfs / ext4 = its scratch directory as tmpfs / as its default ext4 model, ' +
    'kernel tmpfs = /dev/shm, ext4 = /tmp');
  if (res.kernelSkipped) out(`# ${res.kernelSkipped}`);
  if (res.kernel?.fs) {
    const fs = Object.entries(res.kernel.fs).map(([k, v]) => `${k}: ${v.dir} is ${v.type}`).join(', ');
    out(`# kernel files: ${fs}`);
  }
  table(['goal', 'operation', 'anchor', 'anchor time', 'vmspace', 'ratio', 'goal ≤', 'verdict', 'note'],
    res.rows.map((r) => [r.goal ?? '', r.name, r.anchorName, fmtNs(r.anchor), fmtNs(r.vmspace),
      r.ratio === null ? '-' : fmtX(r.ratio), r.goalValue === null ? '-' : `${r.goalValue}x`, r.verdict, r.note ?? '']),
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l', 'l']);
  const h = res.heap;
  if (h) {
    out();
    out(`${markdown ? '#### ' : ''}JS heap, F1 (V8 heapUsed + external, after full GCs; ${h.kind} scratch)`);
    const rows = [];
    for (const [key, label] of [['perPageMapping', 'per faulted page, one 64 MiB mapping (MADV_RANDOM)'],
      ['perPageVma1', 'per faulted page, one-page VMAs (VMAs already mapped)'], ['perVma1', 'per one-page file VMA, untouched']]) {
      const x = h[key];
      if (x) rows.push([label, fmtBytes(x.per), `${x.count} ${key === 'perVma1' ? 'VMAs' : 'pages'}: heapUsed +${fmtBytes(x.dHeap)}, external +${fmtBytes(x.dExternal)}`]);
    }
    if (h.churn) {
      const c = h.churn;
      rows.push([`${c.cycles} map/touch/unmap cycles of 16,384 pages (both layouts)`, `${fmtBytes(c.growth)} total`,
        `${fmtBytes(c.growth / (c.cycles * NPAGES))} per faulted page; heapUsed ${fmtBytes(c.before.heapUsed)} -> ${fmtBytes(c.after.heapUsed)}, ` +
        `external ${fmtBytes(c.before.external)} -> ${fmtBytes(c.after.external)}; frames in use ${c.framesBefore} -> ${c.framesAfter}`]);
    }
    table(['figure', 'bytes', 'detail'], rows, ['l', 'r', 'l']);
  }
  const missed = res.rows.filter((r) => r.verdict === 'MISS' || r.verdict === '~');
  out();
  out(missed.length === 0 ? 'file goals: all hold'
    : `file goals not held (${missed.length} of ${res.rows.filter((r) => r.verdict !== '-').length}):\n` +
      missed.map((r) => `  ${r.verdict.padEnd(4)} ${r.goal} ${r.name}: ${fmtX(r.ratio)}x (goal ≤ ${r.goalValue})`).join('\n'));
  out(`# files: ${res.seconds.toFixed(1)} s (kernel ${res.kernel ? res.kernel.seconds.toFixed(1) + ' s' : 'skipped'}); ` +
    `CPUs busy while timing vmspace: ${res.cpusBusy?.toFixed(2) ?? 'n/a'}`);
}

// ---- helpers --------------------------------------------------------------------------------

const check = (r, what) => {
  if (typeof r !== 'number' || r < 0) throw new Error(`${what} failed: ${r}`);
  return r;
};

/** A per-page touch loop over [base, end) compiled from its own source text, closing over `mem`. */
function compileTouch(op, mem) {
  const body = op === 'store' ? 'mem.store8(a, v)' : 'acc = (acc + mem.load8(a)) | 0';
  return new Function('mem', `'use strict';
    return (base, end, v) => { let acc = 0; for (let a = base; a < end; a += 4096) { ${body}; } return acc; };`)(mem);
}
function timeTouch(fn, base, end, v = 1) {
  const t0 = now();
  const r = fn(base, end, v);
  const t1 = now();
  sink(r);
  return ((t1 - t0) * 1e6) / ((end - base) / PAGE);
}
/** The same touch, untimed, counting the pages that take a fault (PTE absent / not writable). */
function countFaults(t, op, base, end) {
  let faults = 0;
  for (let a = base; a < end; a += PAGE) {
    const pte = t.mm.pt.get(a / PAGE);
    if (pte === 0 || (op === 'store' && (pte & PTE_WRITE) === 0)) faults++;
    if (op === 'store') t.mem.store8(a, 9); else sink(t.mem.load8(a));
  }
  return faults / ((end - base) / PAGE);
}

/**
 * One system with its scratch directory as `kind`, holding the 64 MiB file (and a 1 MiB one,
 * `smallFd`), every page cached.
 */
function fileSystem(vm, kind) {
  const sys = vm.createSystem();
  sys.fs.scratchKind = kind;
  const t = sys.task(0);
  const fd = check(t.sys.openat('vmspace-bench-file', BigInt(O_RDWR | O_CREAT), 0o644n), 'openat');
  check(t.sys.ftruncate(BigInt(fd), BigInt(FILE_BYTES)), 'ftruncate');
  const block = new Uint8Array(MiB).fill(7);
  for (let o = 0; o < FILE_BYTES; o += MiB) {
    if (t.sys.pwriteBuffer(BigInt(fd), block, BigInt(o)) !== MiB) throw new Error('pwrite (filling the file) failed');
  }
  const smallFd = check(t.sys.openat('vmspace-bench-file-small', BigInt(O_RDWR | O_CREAT), 0o644n), 'openat');
  if (t.sys.pwriteBuffer(BigInt(smallFd), block, 0n) !== MiB) throw new Error('pwrite (filling the small file) failed');
  if (kind === 'ext4') { check(t.sys.fsync(BigInt(fd)), 'fsync'); check(t.sys.fsync(BigInt(smallFd)), 'fsync'); }
  // every page resident (mincore through a mapping)
  const a = check(t.fast.mmap(0, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0), 'mmap');
  const vec = new Uint8Array(NPAGES);
  check(t.sys.mincore(BigInt(a), BigInt(FILE_BYTES), vec), 'mincore');
  check(t.fast.munmap(a, FILE_BYTES), 'munmap');
  const resident = vec.reduce((s, x) => s + (x & 1), 0);
  if (resident !== NPAGES) throw new Error(`${kind}: only ${resident} of ${NPAGES} file pages are in the page cache`);
  return { sys, t, fd, smallFd, kind };
}

/** 16,384 one-page MAP_SHARED VMAs, file page i^1 at address page i (no merges); checked when asked. */
function mapOnePageVmas(t, fd, prot, verify = false) {
  const v0 = t.mm.mapCount;
  const base = check(t.fast.mmap(0, FILE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), 'mmap (reservation)');
  const fast = t.fast;
  for (let i = 0; i < NPAGES; i++) {
    if (fast.mmap(base + i * PAGE, PAGE, prot, MAP_SHARED | MAP_FIXED, fd, i ^ 1) !== base + i * PAGE) throw new Error('mmap (one page) failed');
  }
  if (verify && t.mm.mapCount - v0 !== NPAGES) throw new Error(`one-page VMAs merged: ${t.mm.mapCount - v0} VMAs instead of ${NPAGES}`);
  return base;
}

// ---- sections -------------------------------------------------------------------------------

/**
 * F1 and F2, per scratch flavour: fresh mappings of the cached file, one access per page.
 *   f1Vma1 (one-page VMAs: one read fault per page), f1Random (MADV_RANDOM), f1Around (default),
 *   f2Write (one RW mapping; the ext4 file made clean with fsync first), f2WriteVma1.
 */
function faultSection(vm, kind, rounds, warmup = 2) {
  const { t, fd } = fileSystem(vm, kind);
  const fast = t.fast;
  const mem = t.mem;
  const variants = [
    ['f1Vma1', 'load', () => mapOnePageVmas(t, fd, PROT_READ)],
    ['f1Random', 'load', () => {
      const a = check(fast.mmap(0, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0), 'mmap');
      check(t.sys.madvise(BigInt(a), BigInt(FILE_BYTES), MADV_RANDOM), 'madvise(MADV_RANDOM)');
      return a;
    }],
    ['f1Around', 'load', () => check(fast.mmap(0, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0), 'mmap')],
    ['f2Write', 'store', () => check(fast.mmap(0, FILE_BYTES, PROT_RW, MAP_SHARED, fd, 0), 'mmap')],
    ['f2WriteVma1', 'store', () => mapOnePageVmas(t, fd, PROT_RW)],
  ].map(([key, op, map]) => ({ key, op, map, touch: compileTouch(op, mem), times: [], faultsPerPage: null }));
  for (let r = -warmup; r < rounds; r++) {
    for (const v of variants) {
      if (kind === 'ext4' && v.op === 'store') check(t.sys.fsync(BigInt(fd)), 'fsync');
      let a;
      if (r === -warmup) {
        // untimed: the layout checked and the faults counted
        a = v.key.endsWith('Vma1') ? mapOnePageVmas(t, fd, v.op === 'store' ? PROT_RW : PROT_READ, true) : v.map();
        v.faultsPerPage = countFaults(t, v.op, a, a + FILE_BYTES);
      } else {
        a = v.map();
        settle();
        const ns = timeTouch(v.touch, a, a + FILE_BYTES, r & 0x7f);
        if (r >= 0) v.times.push(ns);
      }
      check(fast.munmap(a, FILE_BYTES), 'munmap');
    }
  }
  return Object.fromEntries(variants.map((v) => [v.key, { ...statsOf(v.times), samples: v.times, faultsPerPage: v.faultsPerPage }]));
}

/**
 * F3: msync(MS_SYNC) of 1 MiB just dirtied: a 1 MiB mapping of the 64 MiB file, the same MiB in a
 * mapping of the whole file, and a 1 MiB file mapped whole; ns per call, mean over `iters` calls.
 */
function msyncSection(vm, kind, rounds, iters, warmup = 2) {
  const { t, fd, smallFd } = fileSystem(vm, kind);
  const mem = t.mem;
  const sys = t.sys;
  const variants = [['f3Msync', MSYNC_BYTES, fd], ['f3MsyncWhole', FILE_BYTES, fd], ['f3MsyncSmall', MSYNC_BYTES, smallFd]].map(([key, len, f]) => {
    const a = check(t.fast.mmap(0, len, PROT_RW, MAP_SHARED, f, 0), 'mmap');
    const dirty = compileTouch('store', mem);
    const run = new Function('sys', 'dirty', 'A', 'aB', 'lenB', 'flagsB', `'use strict';
      return (iters, v) => { let ns = 0;
        for (let i = 0; i < iters; i++) {
          dirty(A, A + ${MSYNC_BYTES}, (v + i) & 0x7f);
          const t0 = performance.now();
          const r = sys.msync(aB, lenB, flagsB);
          ns += performance.now() - t0;
          if (r !== 0) throw new Error('msync failed: ' + r);
        }
        return ns * 1e6 / iters; };`)(sys, dirty, a, BigInt(a), BigInt(MSYNC_BYTES), MS_SYNC);
    return { key, a, len, run, times: [] };
  });
  for (let r = -warmup; r < rounds; r++) {
    for (const v of variants) {
      settle();
      const ns = v.run(iters, r);
      if (r >= 0) v.times.push(ns);
    }
  }
  for (const v of variants) check(t.fast.munmap(v.a, v.len), 'munmap');
  return Object.fromEntries(variants.map((v) => [v.key, { ...statsOf(v.times), samples: v.times, iters }]));
}

/**
 * F4: pread/pwrite of 4 KiB and 64 KiB at file offset 0, into / from guest memory (pread64,
 * pwrite64: the syscall an emulated program makes) and a host Uint8Array (preadBuffer,
 * pwriteBuffer), against mem.readInto / mem.write on a MAP_SHARED mapping of the file whose pages
 * are mapped and written once; round-robin with TypedArray.set of the same size (the anchor of
 * the per-round ratios, for scale).
 */
function ioSection(vm, kind, rounds, bytesPerRun) {
  const { t, fd } = fileSystem(vm, kind);
  const mem = t.mem;
  const sys = t.sys;
  const buf = check(t.fast.mmap(0, MiB, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 'mmap (buffer)');
  const m = check(t.fast.mmap(0, FILE_BYTES, PROT_RW, MAP_SHARED, fd, 0), 'mmap');
  for (let a = 0; a < MiB; a += PAGE) { mem.store8(buf + a, 3); mem.store8(m + a, 5); }
  const res = {};
  for (const size of IO_SIZES) {
    const host = hostBytes(size).fill(3); // aligned as the anchors' buffers
    const reps = Math.max(1, Math.floor(bytesPerRun / size));
    const mk = (call) => new Function('sys', 'mem', 'host', 'fdB', 'bufB', 'sizeB', 'M', 'SIZE', `'use strict';
      return (reps) => { let s = 0; for (let i = 0; i < reps; i++) { ${call} } return s; };`)(
      sys, mem, host, BigInt(fd), BigInt(buf), BigInt(size), m, size);
    const okCall = (e) => `{ const r = ${e}; if (r !== SIZE) throw new Error('short transfer: ' + r); s += r; }`;
    const loops = {
      pread64: mk(okCall('sys.pread64(fdB, bufB, sizeB, 0n)')),
      pwrite64: mk(okCall('sys.pwrite64(fdB, bufB, sizeB, 0n)')),
      preadBuffer: mk(okCall('sys.preadBuffer(fdB, host, 0n)')),
      pwriteBuffer: mk(okCall('sys.pwriteBuffer(fdB, host, 0n)')),
      readInto: mk('mem.readInto(M, host); s += host[0];'),
      write: mk('mem.write(M, host); s += 1;'),
    };
    const rr = roundRobin([
      ['set', () => rawCopy(size, bytesPerRun)],
      ...Object.entries(loops).map(([name, fn]) => [name, () => nsPerOp(() => fn(reps), reps)]),
    ], { rounds });
    res[SIZE_NAME[size]] = {
      size,
      times: Object.fromEntries(Object.entries(rr.variants).map(([k, v]) => [k, { median: v.median, min: v.min, max: v.max, vsSet: v.ratio.median }])),
    };
  }
  return res;
}

/** Heap per faulted file page (F1) and a churn of map/touch/unmap cycles (leaks). */
function heapSection(vm, kind, cycles) {
  const res = { kind };
  (() => {
    const { sys, t, fd } = fileSystem(vm, kind);
    const touch = compileTouch('load', t.mem);
    // both layouts mapped, touched and unmapped: the churn's cycle; run twice first so that the
    // figures below see warm code and a settled heap (else a GC of earlier garbage shows as a
    // negative growth)
    const cycle = () => {
      const c = mapOnePageVmas(t, fd, PROT_READ);
      sink(touch(c, c + FILE_BYTES, 0));
      check(t.fast.munmap(c, FILE_BYTES), 'munmap');
      const d = check(t.fast.mmap(0, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0), 'mmap');
      check(t.sys.madvise(BigInt(d), BigInt(FILE_BYTES), MADV_RANDOM), 'madvise');
      sink(touch(d, d + FILE_BYTES, 0));
      check(t.fast.munmap(d, FILE_BYTES), 'munmap');
    };
    cycle();
    cycle();
    const per = (x, y, n) => ({ count: n, dHeap: y.heapUsed - x.heapUsed, dExternal: y.external - x.external,
      per: (y.heapUsed - x.heapUsed + y.external - x.external) / n });
    // Before each figure heapNow() twice: right after an munmap of touched pages the first full
    // GCs still free ~0.1-0.3 MB of what the unmap left (every other cycle), which would show as
    // a negative growth here.
    const settledHeap = () => { heapNow(); return heapNow(); };
    // one mapping (MADV_RANDOM)
    const a = check(t.fast.mmap(0, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0), 'mmap');
    check(t.sys.madvise(BigInt(a), BigInt(FILE_BYTES), MADV_RANDOM), 'madvise');
    let h0 = settledHeap();
    sink(touch(a, a + FILE_BYTES, 0));
    let h1 = heapNow();
    res.perPageMapping = per(h0, h1, NPAGES);
    check(t.fast.munmap(a, FILE_BYTES), 'munmap');
    // one-page VMAs: the VMAs, then their pages
    h0 = settledHeap();
    const b = mapOnePageVmas(t, fd, PROT_READ);
    h1 = settledHeap();
    sink(touch(b, b + FILE_BYTES, 0));
    const h2 = heapNow();
    res.perVma1 = per(h0, h1, NPAGES);
    res.perPageVma1 = per(h1, h2, NPAGES);
    check(t.fast.munmap(b, FILE_BYTES), 'munmap');
    // churn: `cycles` more cycles
    const frames = sys.mmSystem.frames;
    const inUse = () => frames.inUse;
    const before = settledHeap();
    const framesBefore = inUse();
    for (let i = 0; i < cycles; i++) cycle();
    const after = heapNow();
    res.churn = { cycles: 2 * cycles, before, after, growth: after.heapUsed - before.heapUsed + after.external - before.external,
      framesBefore, framesAfter: inUse(), mapCount: t.mm.mapCount };
  })();
  fullGc();
  return res;
}

// ---- rows -----------------------------------------------------------------------------------

function buildRows(k, v) {
  const rows = [];
  const kop = (key) => k?.ops?.[key] ?? null;
  function row(goal, name, anchorKey, vmspace, goalValue, note = '', extra = {}) {
    const ka = anchorKey ? kop(anchorKey) : null;
    const anchor = ka ? ka.median : null;
    const ratio = anchor === null || vmspace === null || vmspace === undefined ? null : vmspace / anchor;
    rows.push({ goal, name, anchorName: anchorKey ? `kernel ${anchorKey}` : '-', anchor, vmspace: vmspace ?? null, ratio,
      goalValue, verdict: verdictOf(ratio, goalValue), note, ...extra });
  }
  const vsTmpfs = (key, x) => {
    const a = kop(key);
    return a && x !== null && x !== undefined ? `; vs kernel tmpfs ${fmtX(x / a.median)}x` : '';
  };
  const ratioTo = (key, x) => (kop(key) ? ` = ${fmtX(x / kop(key).median)}x` : '');
  const fpp = (kKey, s) => `faults/page: kernel ${fmtF(kop(kKey)?.faultsPerPage ?? null)}, vmspace ${fmtF(s?.faultsPerPage ?? null)}`;
  for (const kind of KINDS) {
    const f = v.faults?.[kind];
    if (!f) continue;
    const S = SUFFIX[kind];
    const other = kind === 'ext4' ? (key) => vsTmpfs(`${key}Tmpfs`, f[key].median) : () => '';
    row('F1', `read fault, cached page, one fault per page (one-page VMAs), ${kind}`, `f1Vma1${S}`, f.f1Vma1.median, 0.5,
      fpp(`f1Vma1${S}`, f.f1Vma1) + other('f1Vma1'));
    row('', `read touch per page, MADV_RANDOM mapping, ${kind}`, `f1Random${S}`, f.f1Random.median, null,
      `info: fault-around stays on; ${fpp(`f1Random${S}`, f.f1Random)}${other('f1Random')}`);
    row('', `read touch per page, default (fault-around), ${kind}`, `f1Around${S}`, f.f1Around.median, null,
      `info; ${fpp(`f1Around${S}`, f.f1Around)}${other('f1Around')}`);
    if (kind === 'tmpfs') {
      row('F2', 'first store per cached page, fresh MAP_SHARED mapping, tmpfs', 'f2WriteTmpfs', f.f2Write.median, 0.5,
        fpp('f2WriteTmpfs', f.f2Write));
      row('', 'first store per cached page, one-page VMAs, tmpfs', 'f2WriteVma1Tmpfs', f.f2WriteVma1.median, null,
        `info; ${fpp('f2WriteVma1Tmpfs', f.f2WriteVma1)}`);
    } else {
      row('F2', 'first store per clean cached page, one-page VMAs, ext4', 'f2WriteVma1Ext4', f.f2WriteVma1.median, 0.5,
        fpp('f2WriteVma1Ext4', f.f2WriteVma1) + other('f2WriteVma1'));
      row('', 'first store per clean cached page, fresh MAP_SHARED mapping, ext4', 'f2WriteExt4', f.f2Write.median, null,
        `info: the kernel maps large folios whole; ${fpp('f2WriteExt4', f.f2Write)}${other('f2Write')}`);
    }
  }
  for (const kind of KINDS) {
    const m = v.msync?.[kind];
    if (!m) continue;
    const S = SUFFIX[kind];
    if (kind === 'tmpfs') {
      row('F3', 'msync(MS_SYNC) 1 MiB just dirtied, 1 MiB mapping, tmpfs', 'f3MsyncTmpfs', m.f3Msync.median, 0.5, 'nothing to write back on either');
      row('', 'msync(MS_SYNC) 1 MiB just dirtied, in a 64 MiB mapping, tmpfs', 'f3MsyncWholeTmpfs', m.f3MsyncWhole.median, null, 'info');
      row('', 'msync(MS_SYNC) 1 MiB just dirtied, a 1 MiB file mapped whole, tmpfs', 'f3MsyncSmallTmpfs', m.f3MsyncSmall.median, null, 'info');
    } else {
      row('F3', 'msync(MS_SYNC) 1 MiB just dirtied, 1 MiB mapping, ext4', 'f3MsyncExt4', m.f3Msync.median, 0.5,
        `the kernel writes 1 MiB to its disk; vmspace's ext4 has no disk${vsTmpfs('f3MsyncTmpfs', m.f3Msync.median)}`);
      row('', 'msync(MS_SYNC) 1 MiB just dirtied, 1 MiB mapping, ext4, vs kernel tmpfs', 'f3MsyncTmpfs', m.f3Msync.median, null,
        'info: the second anchor (the kernel without a disk write)');
      row('', 'msync(MS_SYNC) 1 MiB just dirtied, in a 64 MiB mapping, ext4', 'f3MsyncWholeExt4', m.f3MsyncWhole.median, null,
        `info${vsTmpfs('f3MsyncWholeTmpfs', m.f3MsyncWhole.median)}`);
      row('', 'msync(MS_SYNC) 1 MiB just dirtied, a 1 MiB file mapped whole, ext4', 'f3MsyncSmallExt4', m.f3MsyncSmall.median, null,
        `info: vmspace's cost without the 64 MiB file's other pages${vsTmpfs('f3MsyncSmallTmpfs', m.f3MsyncSmall.median)}`);
    }
  }
  for (const kind of KINDS) {
    const io = v.io?.[kind];
    if (!io) continue;
    const S = SUFFIX[kind];
    for (const [sname, c] of Object.entries(io)) {
      const T = c.times;
      const label = c.size >= 65536 ? '64 KiB' : '4 KiB';
      const big = c.size >= 65536;
      const set = `set ${fmtNs(T.set.median)}`;
      row('F4', `pread ${label} into guest memory (pread64), ${kind}`, `f4Pread${sname}${S}`, T.pread64.median, big ? 1.0 : 0.5,
        `host buffer (preadBuffer) ${fmtNs(T.preadBuffer.median)}${ratioTo(`f4Pread${sname}${S}`, T.preadBuffer.median)}; ${set}`);
      row('F4', `pwrite ${label} from guest memory (pwrite64), ${kind}`, `f4Pwrite${sname}${S}`, T.pwrite64.median, big ? 1.0 : 0.5,
        `host buffer (pwriteBuffer) ${fmtNs(T.pwriteBuffer.median)}${ratioTo(`f4Pwrite${sname}${S}`, T.pwriteBuffer.median)}`);
      row('F4', `mem.readInto ${label} from a MAP_SHARED mapping, ${kind}`, `f4MapRead${sname}${S}`, T.readInto.median, big ? 1.25 : 2.0,
        `kernel: memcpy from the mapping; vs set ${fmtX(T.readInto.vsSet)}x`);
      row('F4', `mem.write ${label} to a MAP_SHARED mapping, ${kind}`, `f4MapWrite${sname}${S}`, T.write.median, big ? 1.25 : 2.0,
        `kernel: memcpy to the mapping; vs set ${fmtX(T.write.vsSet)}x`);
    }
  }
  return rows;
}

// ---- main -----------------------------------------------------------------------------------

/**
 * Runs the file benchmarks; resolves to the JSON document bench/run.mjs stores as `files`.
 * @param {{quick?: boolean, rounds?: number, kernel?: boolean, disk?: boolean, only?: string[] | null, log?: (s: string) => void}} opts
 */
export async function runFiles({ quick = false, rounds, kernel = true, disk = true, only = null,
  log = (s) => process.stderr.write(s + '\n') } = {}) {
  const started = now();
  const R = rounds ?? (quick ? 5 : 9);
  const want = (s) => only === null || only.includes(s);
  let k = null;
  let kernelSkipped = null;
  if (kernel && (want('faults') || want('msync') || want('io'))) {
    log('files: timing the kernel (bench/kernel_files.c) ...');
    const t0 = now();
    k = await runKernelFiles({ quick, disk, log });
    if (k) k.wallSeconds = (now() - t0) / 1000;
    else kernelSkipped = 'kernel file anchors skipped (see above)';
  } else if (!kernel) kernelSkipped = 'kernel file anchors skipped (--no-kernel)';
  const vm = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  const c0 = cpuTimes();
  const v = {};
  const secs = {};
  const timed = (name, fn) => {
    if (!want(name)) return;
    log(`files: ${name} ...`);
    const t0 = now();
    v[name] = fn();
    secs[name] = (now() - t0) / 1000;
  };
  const perKind = (fn) => Object.fromEntries(KINDS.map((kind) => [kind, fn(kind)]));
  timed('heap', () => heapSection(vm, 'ext4', quick ? 3 : 10));
  timed('faults', () => perKind((kind) => faultSection(vm, kind, R)));
  // as many calls per run as the kernel's tmpfs runs (kernel_files.c MSYNC_ITERS_TMPFS); fewer
  // on ext4, where vmspace's msync walks the whole file (~0.1 ms a call)
  timed('msync', () => perKind((kind) => msyncSection(vm, kind, R, kind === 'ext4' ? (quick ? 100 : 200) : (quick ? 1000 : 2000))));
  timed('io', () => perKind((kind) => ioSection(vm, kind, R, quick ? 16 * MiB : 64 * MiB)));
  const cpusBusy = busySince(c0);
  const heap = v.heap;
  delete v.heap;
  const rows = buildRows(k, v);
  return {
    rounds: R, quick, seconds: (now() - started) / 1000, sectionSeconds: secs, cpusBusy, kernelSkipped, kernel: k, rows, heap, raw: v,
    verdicts: rows.filter((r) => r.verdict !== '-').map((r) => ({ goal: r.goal, op: r.name, value: r.ratio, goalValue: r.goalValue, verdict: r.verdict })),
  };
}

const cli = await benchMain(import.meta.url);
if (cli !== null) {
  const { flag, opt } = cli;
  const res = await runFiles({
    quick: flag('quick'), rounds: opt('rounds') === undefined ? undefined : Number(opt('rounds')),
    kernel: !flag('no-kernel'), disk: !flag('no-disk'), only: opt('only') ? opt('only').split(',') : null,
  });
  if (flag('json')) process.stdout.write(JSON.stringify(res) + '\n');
  else {
    process.stdout.write(`# ${os.cpus()[0]?.model ?? '?'} x ${os.cpus().length}; ${os.type()} ${os.release()}; node ${process.version}\n`);
    renderFilesTable(res, { markdown: flag('markdown') });
  }
}

// vmspace's VMA syscalls, timed on exactly the round trips bench/kernel_vma.c times on the host
// kernel, with the same VMA counts built the same way through the syscall API and the same
// placement controls (small gaps filled, a PROT_NONE fence as the lowest mapping, 16 shim
// positions x 3 runs = 48 samples per operation and level; see kernel_vma.c).
//
// Usage: npx tsc -p tsconfig.json && node bench/vma.mjs [options]   (bench/run.mjs runs it)
//   --iters N           round trips per sample (default 1000)
//   --targets a,b,c,d   map_count to grow the filler to before the fence, per level
//                       (bench/run.mjs passes the kernel's own counts; default 27,984,9984,59984)
//   --levels a,b,c,d    labels of the levels (default 0,1000,10000,60000)
//   --variants list     facade (the bigint RawSyscalls of createSystem().task(0).sys) and/or
//                       fast (src/kernel/fast.ts FastSyscalls, number arguments); default: both
//                       when dist/src/kernel/fast.js exists
//   --only id,id        time only these operations
//   --positions N       shim positions (default 16; fewer for profiling)
//   --clock wall|cpu    process.hrtime.bigint (default) or process.cpuUsage (CPU time of the
//                       whole process: steadier when other processes compete for the CPUs)
//   --dump-samples      every sample on stderr
// Run it with --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 (run.mjs does): see
// churnNewSpace() below.
// Prints one JSON document on stdout. Within one position the variants' samples alternate
// (facade, fast, facade, fast, ...), so machine drift hits both alike.

import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '../dist/src');
const { createSystem } = await import(pathToFileURL(path.join(dist, 'index.js')).href);

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const list = (s) => s.split(',').filter((x) => x !== '');

const ITERS = Number(arg('iters', '1000'));
const CLOCK = arg('clock', 'wall');
/** The clock, in ns (cpu: µs resolution, which is 0.1% of a sample). */
const now = CLOCK === 'cpu'
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; }
  : () => Number(process.hrtime.bigint());
const LEVELS = list(arg('levels', '0,1000,10000,60000')).map(Number);
const TARGETS = list(arg('targets', '27,984,9984,59984')).map(Number);
const POSITIONS = Number(arg('positions', '16'));
const RUNS_PER_POSITION = 3;
const GC_EACH_POSITION = process.argv.includes('--gc-each-position');
const DUMP = process.argv.includes('--dump-samples');
const ONLY = arg('only', '') === '' ? null : new Set(list(arg('only', '')));
const fastPath = path.join(dist, 'kernel/fast.js');
const VARIANTS = list(arg('variants', existsSync(fastPath) ? 'facade,fast' : 'facade'));
const FastSyscalls = VARIANTS.includes('fast')
  ? (await import(pathToFileURL(fastPath).href)).FastSyscalls
  : null;

const PAGE = 4096;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const PROT_NONE = 0;
const PROT_READ = 1;
const RW = 3;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const U64_M1 = 0xffffffffffffffffn; // fd -1 as the raw u64 a C caller passes

const system = createSystem();
const task = system.task(0);
const mm = task.mm;
const B = task.sys; // the bigint facade: also used for every (untimed) setup step
const F = FastSyscalls ? new FastSyscalls({ mm: task.mm, fds: task.fds, fs: system.fs }) : null;

function die(what, r) {
  throw new Error(`vma.mjs: ${what} failed: ${r}`);
}

/** Setup helpers (untimed), through the bigint facade like any caller. */
function mapAnon(addr, len, prot, extra) {
  const r = B.mmap(BigInt(addr), BigInt(len), BigInt(prot), BigInt(ANON | extra), U64_M1, 0n);
  if (r < 0) die('mmap', r);
  return r;
}
function unmap(addr, len) {
  const r = B.munmap(BigInt(addr), BigInt(len));
  if (r < 0) die('munmap', r);
}
function freeHole(len) {
  const p = mapAnon(0, len, PROT_NONE, 0);
  unmap(p, len);
  return p;
}

/** Linux: the gaps the loader leaves between libraries (kernel_vma.c fill_small_gaps()). */
function fillSmallGaps() {
  let prevHi = 0;
  for (const line of task.proc.maps()) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
    if (!m) continue;
    if (line.includes('[stack]') || line.includes('[vsyscall]')) break;
    const lo = parseInt(m[1], 16);
    const hi = parseInt(m[2], 16);
    if (prevHi && lo > prevHi && lo - prevHi < 2 ** 30 && prevHi > 2 ** 40) {
      const r = B.mmap(BigInt(prevHi), BigInt(lo - prevHi), 0n, BigInt(ANON | 0x100000), U64_M1, 0n);
      if (r < 0) die('fill gap', r);
    }
    prevHi = hi;
  }
}

function growFillerTo(target) {
  let have;
  while ((have = mm.mapCount) < target) {
    const need = target - have;
    const p = mapAnon(0, need * PAGE, RW, MAP_NORESERVE);
    for (let i = 1; i < need; i += 2) {
      const r = B.mprotect(BigInt(p + i * PAGE), BigInt(PAGE), BigInt(PROT_READ));
      if (r < 0) die('mprotect filler', r);
    }
  }
}

// ---- the operations ------------------------------------------------------------------------
// Each has setup/teardown (untimed, facade) and one body per variant: `b` on the bigint facade
// with bigint constants hoisted, `n` on FastSyscalls with numbers. A body returns a value the
// caller sinks. Results are checked as kernel_vma.c checks them.

const S = { lowest: 0, len: 0, a: 0, b: 0, brk0: 0, neighbour: 0, check: null };

function placement(expectDelta) {
  if (S.check === null) return;
  const before = mm.mapCount;
  const p = mapAnon(0, S.len, RW, 0);
  S.check = { delta: mm.mapCount - before, offset: p - S.lowest, align2M: p % (2 * MiB) };
  if (S.check.delta !== expectDelta) {
    process.stderr.write(`vma.mjs: mapping at 0x${p.toString(16)} added ${S.check.delta} VMAs, expected ${expectDelta}\n`);
  }
  unmap(p, S.len);
}

function mmapBodies() {
  return {
    b(n) {
      const len = BigInt(S.len);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const p = B.mmap(0n, len, 3n, 0x22n, U64_M1, 0n);
        if (p < 0) die('mmap', p);
        x ^= B.munmap(BigInt(p), len);
      }
      return x;
    },
    n(n) {
      const len = S.len;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const p = F.mmap(0, len, 3, 0x22, -1, 0);
        if (p < 0) die('mmap', p);
        x ^= F.munmap(p, len);
      }
      return x;
    },
  };
}

const OPS = [
  {
    id: 'mmap4k', name: 'mmap+munmap 4 KiB (new VMA)',
    setup() { S.len = 4 * KiB; placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mmap4k_merge', name: 'mmap+munmap 4 KiB merging with neighbour',
    setup() { S.len = 4 * KiB; S.neighbour = mapAnon(0, PAGE, RW, 0); placement(0); },
    teardown() { unmap(S.neighbour, PAGE); },
    ...mmapBodies(),
  },
  {
    id: 'mmap1m', name: 'mmap+munmap 1 MiB untouched',
    setup() { S.len = 1 * MiB; placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mmap1g', name: 'mmap+munmap 1 GiB untouched',
    setup() { S.len = 1 * GiB; placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mprotect', name: 'mprotect 1 page in 16 MiB and back (split+merge)',
    setup() { S.len = 16 * MiB; S.a = mapAnon(0, S.len, RW, 0); },
    teardown() { unmap(S.a, S.len); },
    b(n) {
      const mid = BigInt(S.a + S.len / 2);
      const pg = BigInt(PAGE);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = B.mprotect(mid, pg, 1n) | B.mprotect(mid, pg, 3n);
        if (r !== 0) die('mprotect', r);
        x ^= r;
      }
      return x;
    },
    n(n) {
      const mid = S.a + S.len / 2;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = F.mprotect(mid, PAGE, 1) | F.mprotect(mid, PAGE, 3);
        if (r !== 0) die('mprotect', r);
        x ^= r;
      }
      return x;
    },
  },
  {
    id: 'hole', name: 'munmap middle page + MAP_FIXED refill',
    setup() { S.len = 16 * MiB; S.a = mapAnon(0, S.len, RW, 0); },
    teardown() { unmap(S.a, S.len); },
    b(n) {
      const mid = BigInt(S.a + S.len / 2);
      const pg = BigInt(PAGE);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = B.munmap(mid, pg);
        if (r !== 0) die('munmap', r);
        const p = B.mmap(mid, pg, 3n, 0x32n, U64_M1, 0n);
        if (p < 0) die('mmap fixed', p);
        x ^= p;
      }
      return x;
    },
    n(n) {
      const mid = S.a + S.len / 2;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = F.munmap(mid, PAGE);
        if (r !== 0) die('munmap', r);
        const p = F.mmap(mid, PAGE, 3, 0x32, -1, 0);
        if (p < 0) die('mmap fixed', p);
        x ^= p;
      }
      return x;
    },
  },
  {
    id: 'mremap_grow', name: 'mremap grow+shrink in place 64 KiB',
    setup() { S.len = 64 * KiB; S.a = mapAnon(freeHole(4 * S.len), S.len, RW, MAP_FIXED); },
    teardown() { unmap(S.a, S.len); },
    b(n) {
      const a = S.a;
      const ab = BigInt(a);
      const l1 = BigInt(S.len);
      const l2 = BigInt(2 * S.len);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = B.mremap(ab, l1, l2, 0n, 0n);
        const r2 = B.mremap(ab, l2, l1, 0n, 0n);
        if (r1 !== a || r2 !== a) die('mremap in place', `${r1} ${r2}`);
        x ^= r1;
      }
      return x;
    },
    n(n) {
      const a = S.a;
      const l1 = S.len;
      const l2 = 2 * S.len;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = F.mremap(a, l1, l2, 0, 0);
        const r2 = F.mremap(a, l2, l1, 0, 0);
        if (r1 !== a || r2 !== a) die('mremap in place', `${r1} ${r2}`);
        x ^= r1;
      }
      return x;
    },
  },
  {
    id: 'mremap_move', name: 'mremap move there+back 64 KiB',
    setup() {
      S.len = 64 * KiB;
      const hole = freeHole(3 * S.len);
      S.a = mapAnon(hole, S.len, RW, MAP_FIXED);
      S.b = hole + 2 * S.len;
    },
    teardown() { unmap(S.a, S.len); },
    b(n) {
      const a = S.a;
      const b = S.b;
      const ab = BigInt(a);
      const bb = BigInt(b);
      const len = BigInt(S.len);
      const f = BigInt(MREMAP_MAYMOVE | MREMAP_FIXED);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = B.mremap(ab, len, len, f, bb);
        const r2 = B.mremap(bb, len, len, f, ab);
        if (r1 !== b || r2 !== a) die('mremap move', `${r1} ${r2}`);
        x ^= r1;
      }
      return x;
    },
    n(n) {
      const a = S.a;
      const b = S.b;
      const len = S.len;
      const f = MREMAP_MAYMOVE | MREMAP_FIXED;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = F.mremap(a, len, len, f, b);
        const r2 = F.mremap(b, len, len, f, a);
        if (r1 !== b || r2 !== a) die('mremap move', `${r1} ${r2}`);
        x ^= r1;
      }
      return x;
    },
  },
  {
    id: 'brk', name: 'brk +4 KiB and back',
    setup() {
      S.brk0 = B.brk(0n);
      if (S.check !== null) {
        const before = mm.mapCount;
        B.brk(BigInt(pageUp(S.brk0) + PAGE));
        S.check = { delta: mm.mapCount - before, offset: 0, align2M: 0 };
        B.brk(BigInt(S.brk0));
      }
    },
    teardown() {},
    b(n) {
      const b0 = S.brk0;
      const grown = pageUp(b0) + PAGE;
      const b0b = BigInt(b0);
      const gb = BigInt(grown);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = B.brk(gb);
        if (r1 !== grown) die('brk grow', r1);
        x ^= B.brk(b0b);
      }
      return x;
    },
    n(n) {
      const b0 = S.brk0;
      const grown = pageUp(b0) + PAGE;
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = F.brk(grown);
        if (r1 !== grown) die('brk grow', r1);
        x ^= F.brk(b0);
      }
      return x;
    },
  },
].filter((op) => ONLY === null || ONLY.has(op.id));

function pageUp(a) {
  const r = a % PAGE;
  return r === 0 ? a : a - r + PAGE;
}

let sinkValue = 0;
const BODY = { facade: 'b', fast: 'n' };

function median(v) {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return { median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1], samples: n };
}

/** One (operation, position): setup, warm-up, RUNS_PER_POSITION samples per variant, teardown. */
function timeAtPosition(op, samples, checkNow) {
  S.check = checkNow ? {} : null;
  op.setup();
  const check = S.check;
  const bodies = VARIANTS.map((v) => op[BODY[v]]);
  for (const body of bodies) sinkValue ^= body(Math.floor(ITERS / 10) + 1);
  for (let r = 0; r < RUNS_PER_POSITION; r++) {
    for (let k = 0; k < bodies.length; k++) {
      const t0 = now();
      sinkValue ^= bodies[k](ITERS);
      const ns = (now() - t0) / ITERS;
      samples[k].push(ns);
      if (DUMP) process.stderr.write(`${op.id} ${VARIANTS[k]} vmas=${mm.mapCount} ${ns.toFixed(0)}\n`);
    }
  }
  op.teardown();
  return check;
}

/**
 * Allocate ~200 MB of short-lived objects. In this VM the first touch of a page costs far more
 * than a kernel page fault (host-side backing), and V8 allocates the operations' garbage in
 * the new space: until both semispaces have been written a few times, every sample that runs
 * into untouched new-space pages pays that cost (measured: 3.5 instead of 1.0 µs per round
 * trip). Churning the new space before timing makes the figures the steady state's.
 */
function churnNewSpace() {
  let keep = null;
  for (let i = 0; i < 4_000_000; i++) {
    const o = { a: i, b: keep };
    if ((i & 1023) === 0) keep = null; else keep = o;
  }
  return keep;
}

// ---- main ------------------------------------------------------------------------------------

fillSmallGaps();
// A heap, as glibc's first malloc makes one (132 KiB): brk then grows/shrinks the [heap] VMA.
{
  const b0 = B.brk(0n);
  if (B.brk(BigInt(b0 + 0x21000)) !== b0 + 0x21000) die('brk heap', b0);
}
const baseVmas = mm.mapCount;

churnNewSpace();
// Warm-up: every body of every variant, before anything is timed (JIT tiers, inline caches).
{
  S.lowest = mapAnon(0, PAGE, PROT_NONE, 0);
  for (const op of OPS) {
    S.check = null;
    op.setup();
    for (const v of VARIANTS) for (let i = 0; i < 5; i++) sinkValue ^= op[BODY[v]](ITERS);
    op.teardown();
  }
  unmap(S.lowest, PAGE);
}

const out = { clock: CLOCK, iters: ITERS, positions: POSITIONS, runsPerPosition: RUNS_PER_POSITION, variants: VARIANTS, baseVmas, levels: [] };
for (let l = 0; l < LEVELS.length; l++) {
  const t0 = performance.now();
  growFillerTo(TARGETS[l] ?? LEVELS[l] - 16);
  const vmasBeforeFence = mm.mapCount;
  // The layout build's garbage is not the operations' cost: collect it before timing
  // (node --expose-gc; bench/run.mjs passes it).
  globalThis.gc?.();
  churnNewSpace();
  const samples = OPS.map(() => VARIANTS.map(() => []));
  const checks = OPS.map(() => null);
  S.lowest = mapAnon(0, PAGE, PROT_NONE, 0);
  for (let pos = 0; pos < POSITIONS; pos++) {
    S.lowest = mapAnon(0, PAGE, pos & 1 ? PROT_READ : PROT_NONE, 0);
    if (GC_EACH_POSITION) globalThis.gc?.();
    OPS.forEach((op, o) => {
      const c = timeAtPosition(op, samples[o], pos === 0);
      if (pos === 0) checks[o] = c;
    });
  }
  const level = { level: LEVELS[l], vmasBeforeFence, vmasAfterShims: mm.mapCount, seconds: 0, ops: {} };
  OPS.forEach((op, o) => {
    const r = { name: op.name };
    VARIANTS.forEach((v, k) => { r[v] = median(samples[o][k]); });
    const c = checks[o];
    if (c && c.delta !== undefined) Object.assign(r, { checkDelta: c.delta, checkOffset: c.offset, checkAlign2M: c.align2M });
    level.ops[op.id] = r;
  });
  level.seconds = (performance.now() - t0) / 1000;
  out.levels.push(level);
}
task.checkInvariants();
out.sink = sinkValue & 1;
process.stdout.write(JSON.stringify(out) + '\n');

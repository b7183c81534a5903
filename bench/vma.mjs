// vmspace's VMA syscalls, timed on exactly the round trips bench/kernel_vma.c times on the host
// kernel, with the same VMA counts built the same way through the syscall API and the same
// placement controls (small gaps filled, a PROT_NONE fence as the lowest mapping, 16 shim
// positions x 3 runs = 48 samples per operation and level; see kernel_vma.c).
//
// Usage: npx tsc -p tsconfig.json &&
//        node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 bench/vma.mjs [options]
//   (bench/run.mjs runs it so; the flags are explained at churnNewSpace() below)
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
//                       whole process, V8's helper threads included: steadier when other
//                       processes compete for the CPUs, but not comparable to the kernel's)
//   --dump-samples      every sample on stderr
//   --drop-residency    diagnostic only: forget the start state's resident pages (mm.ptes, 288
//                       pages of the oracle's executor) before timing, to show what the per-page
//                       residency bookkeeping (zapRange, movePageTables) costs the operations
//
// Every level is its own simulated process (createSystem()), all built before anything is timed,
// and the samples are taken round-robin: for each position and operation, run r of every level
// and variant, then run r+1, ... so machine drift hits all levels and both variants alike. The
// 60k/36 growth is also reported as the median of the per-round ratios (`scale`).
// Prints one JSON document on stdout.

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
const LEVELS = list(arg('levels', '0,1000,10000,60000')).map(Number);
const TARGETS = list(arg('targets', '27,984,9984,59984')).map(Number);
const POSITIONS = Number(arg('positions', '16'));
const RUNS_PER_POSITION = 3;
const CLOCK = arg('clock', 'wall');
const DUMP = process.argv.includes('--dump-samples');
const DROP_RESIDENCY = process.argv.includes('--drop-residency');
const ONLY = arg('only', '') === '' ? null : new Set(list(arg('only', '')));
const fastPath = path.join(dist, 'kernel/fast.js');
const VARIANTS = list(arg('variants', existsSync(fastPath) ? 'facade,fast' : 'facade'));
const FastSyscalls = VARIANTS.includes('fast')
  ? (await import(pathToFileURL(fastPath).href)).FastSyscalls
  : null;

/** The clock, in ns (cpu: µs resolution, 0.1% of a sample). */
const now = CLOCK === 'cpu'
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; }
  : () => Number(process.hrtime.bigint());

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
const MAP_FIXED_NOREPLACE = 0x100000;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const U64_M1 = 0xffffffffffffffffn; // fd -1 as the raw u64 a C caller passes

function die(what, r) {
  throw new Error(`vma.mjs: ${what} failed: ${r}`);
}

function pageUp(a) {
  const r = a % PAGE;
  return r === 0 ? a : a - r + PAGE;
}

/**
 * One simulated process at one level: its system, the bigint facade `B` (also used for every
 * untimed setup step, like any caller), FastSyscalls `F`, and the operations' state.
 */
class Space {
  constructor() {
    this.system = createSystem();
    this.task = this.system.task(0);
    this.mm = this.task.mm;
    this.B = this.task.sys;
    this.F = FastSyscalls ? new FastSyscalls({ mm: this.mm, fds: this.task.fds, fs: this.system.fs }) : null;
    this.lowest = 0;
    this.len = 0;
    this.a = 0;
    this.b = 0;
    this.brk0 = 0;
    this.neighbour = 0;
    this.check = null;
  }

  mapAnon(addr, len, prot, extra) {
    const r = this.B.mmap(BigInt(addr), BigInt(len), BigInt(prot), BigInt(ANON | extra), U64_M1, 0n);
    if (r < 0) die('mmap', r);
    return r;
  }

  unmap(addr, len) {
    const r = this.B.munmap(BigInt(addr), BigInt(len));
    if (r < 0) die('munmap', r);
  }

  /** A free hole of `len` bytes where the next unhinted mapping would go. */
  freeHole(len) {
    const p = this.mapAnon(0, len, PROT_NONE, 0);
    this.unmap(p, len);
    return p;
  }

  /** The gaps the loader leaves between libraries (kernel_vma.c fill_small_gaps()). */
  fillSmallGaps() {
    let prevHi = 0;
    for (const line of this.task.proc.maps()) {
      const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
      if (!m) continue;
      if (line.includes('[stack]') || line.includes('[vsyscall]')) break;
      const lo = parseInt(m[1], 16);
      const hi = parseInt(m[2], 16);
      if (prevHi && lo > prevHi && lo - prevHi < 2 ** 30 && prevHi > 2 ** 40) {
        this.mapAnon(prevHi, lo - prevHi, PROT_NONE, MAP_FIXED_NOREPLACE);
      }
      prevHi = hi;
    }
  }

  /** A heap, as glibc's first malloc makes one (132 KiB): brk then resizes the [heap] VMA. */
  makeHeap() {
    const b0 = this.B.brk(0n);
    if (this.B.brk(BigInt(b0 + 0x21000)) !== b0 + 0x21000) die('brk heap', b0);
  }

  /** Filler VMAs: one mapping whose pages alternate RW / R (kernel_vma.c grow_filler_to()). */
  growFillerTo(target) {
    let have;
    while ((have = this.mm.mapCount) < target) {
      const need = target - have;
      const p = this.mapAnon(0, need * PAGE, RW, MAP_NORESERVE);
      for (let i = 1; i < need; i += 2) {
        const r = this.B.mprotect(BigInt(p + i * PAGE), BigInt(PAGE), BigInt(PROT_READ));
        if (r < 0) die('mprotect filler', r);
      }
    }
  }

  /** At position 0: VMAs one unhinted mapping of `len` adds, and where it lands. */
  placement(expectDelta) {
    if (this.check === null) return;
    const before = this.mm.mapCount;
    const p = this.mapAnon(0, this.len, RW, 0);
    this.check = { delta: this.mm.mapCount - before, offset: p - this.lowest, align2M: p % (2 * MiB) };
    if (this.check.delta !== expectDelta) {
      process.stderr.write(`vma.mjs: mapping at 0x${p.toString(16)} added ${this.check.delta} VMAs, expected ${expectDelta}\n`);
    }
    this.unmap(p, this.len);
  }
}

// ---- the operations ------------------------------------------------------------------------
// Each has setup/teardown (untimed, facade) and one body per variant: `b` on the bigint facade
// with bigint constants hoisted, `n` on FastSyscalls with numbers. A body returns a value the
// caller sinks; results are checked as kernel_vma.c checks them. An address returned by the
// facade is a number, so a caller passing it back converts it (BigInt(p)): part of the cost.

function mmapBodies() {
  return {
    b(c, n) {
      const B = c.B;
      const len = BigInt(c.len);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const p = B.mmap(0n, len, 3n, 0x22n, U64_M1, 0n);
        if (p < 0) die('mmap', p);
        x ^= B.munmap(BigInt(p), len);
      }
      return x;
    },
    n(c, n) {
      const F = c.F;
      const len = c.len;
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
    setup(c) { c.len = 4 * KiB; c.placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mmap4k_merge', name: 'mmap+munmap 4 KiB merging with neighbour',
    setup(c) { c.len = 4 * KiB; c.neighbour = c.mapAnon(0, PAGE, RW, 0); c.placement(0); },
    teardown(c) { c.unmap(c.neighbour, PAGE); },
    ...mmapBodies(),
  },
  {
    id: 'mmap1m', name: 'mmap+munmap 1 MiB untouched',
    setup(c) { c.len = 1 * MiB; c.placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mmap1g', name: 'mmap+munmap 1 GiB untouched',
    setup(c) { c.len = 1 * GiB; c.placement(1); },
    teardown() {},
    ...mmapBodies(),
  },
  {
    id: 'mprotect', name: 'mprotect 1 page in 16 MiB and back (split+merge)',
    setup(c) { c.len = 16 * MiB; c.a = c.mapAnon(0, c.len, RW, 0); },
    teardown(c) { c.unmap(c.a, c.len); },
    b(c, n) {
      const B = c.B;
      const mid = BigInt(c.a + c.len / 2);
      const pg = BigInt(PAGE);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r = B.mprotect(mid, pg, 1n) | B.mprotect(mid, pg, 3n);
        if (r !== 0) die('mprotect', r);
        x ^= r;
      }
      return x;
    },
    n(c, n) {
      const F = c.F;
      const mid = c.a + c.len / 2;
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
    setup(c) { c.len = 16 * MiB; c.a = c.mapAnon(0, c.len, RW, 0); },
    teardown(c) { c.unmap(c.a, c.len); },
    b(c, n) {
      const B = c.B;
      const mid = BigInt(c.a + c.len / 2);
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
    n(c, n) {
      const F = c.F;
      const mid = c.a + c.len / 2;
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
    setup(c) { c.len = 64 * KiB; c.a = c.mapAnon(c.freeHole(4 * c.len), c.len, RW, MAP_FIXED); },
    teardown(c) { c.unmap(c.a, c.len); },
    b(c, n) {
      const B = c.B;
      const a = c.a;
      const ab = BigInt(a);
      const l1 = BigInt(c.len);
      const l2 = BigInt(2 * c.len);
      let x = 0;
      for (let i = 0; i < n; i++) {
        const r1 = B.mremap(ab, l1, l2, 0n, 0n);
        const r2 = B.mremap(ab, l2, l1, 0n, 0n);
        if (r1 !== a || r2 !== a) die('mremap in place', `${r1} ${r2}`);
        x ^= r1;
      }
      return x;
    },
    n(c, n) {
      const F = c.F;
      const a = c.a;
      const l1 = c.len;
      const l2 = 2 * c.len;
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
    setup(c) {
      c.len = 64 * KiB;
      const hole = c.freeHole(3 * c.len);
      c.a = c.mapAnon(hole, c.len, RW, MAP_FIXED);
      c.b = hole + 2 * c.len;
    },
    teardown(c) { c.unmap(c.a, c.len); },
    b(c, n) {
      const B = c.B;
      const a = c.a;
      const b = c.b;
      const ab = BigInt(a);
      const bb = BigInt(b);
      const len = BigInt(c.len);
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
    n(c, n) {
      const F = c.F;
      const a = c.a;
      const b = c.b;
      const len = c.len;
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
    setup(c) {
      c.brk0 = c.B.brk(0n);
      if (c.check !== null) {
        const before = c.mm.mapCount;
        c.B.brk(BigInt(pageUp(c.brk0) + PAGE));
        c.check = { delta: c.mm.mapCount - before, offset: 0, align2M: 0 };
        c.B.brk(BigInt(c.brk0));
      }
    },
    teardown() {},
    b(c, n) {
      const B = c.B;
      const b0 = c.brk0;
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
    n(c, n) {
      const F = c.F;
      const b0 = c.brk0;
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

const BODY = { facade: 'b', fast: 'n' };
let sinkValue = 0;

function stats(v) {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return { median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1], samples: n };
}

/**
 * Allocate a few hundred MB of short-lived objects. In this kind of VM the first touch of a page
 * costs far more than a kernel page fault (the host backs guest memory lazily), and the
 * operations' garbage goes to V8's new space: until both semispaces have been written a few
 * times, every sample that runs into untouched new-space pages pays that (measured: 3.5 instead
 * of 1.0 µs per mmap+munmap). With the new space's size fixed (--min-semi-space-size =
 * --max-semi-space-size = 16, V8's default maximum on 64-bit) it cannot grow into fresh
 * memory later; churning it once before timing makes the figures the steady state's.
 */
function churnNewSpace() {
  let keep = null;
  for (let i = 0; i < 4_000_000; i++) {
    const o = { a: i, b: keep };
    keep = (i & 1023) === 0 ? null : o;
  }
  return keep;
}

// ---- main ------------------------------------------------------------------------------------

const t0 = performance.now();
const spaces = LEVELS.map((level, l) => {
  const c = new Space();
  if (DROP_RESIDENCY) c.mm.ptes.clear();
  c.fillSmallGaps();
  c.makeHeap();
  c.baseVmas = c.mm.mapCount;
  c.growFillerTo(TARGETS[l] ?? level - 16);
  c.vmasBeforeFence = c.mm.mapCount;
  return c;
});
const buildSeconds = (performance.now() - t0) / 1000;
globalThis.gc?.();
sinkValue ^= churnNewSpace() === null ? 0 : 1;

// Warm-up: every body of every variant on every level (JIT tiers, inline caches), then the
// layout build's garbage is collected and the new space churned: none of it is the operations'.
for (const c of spaces) {
  c.lowest = c.mapAnon(0, PAGE, PROT_NONE, 0);
  for (const op of OPS) {
    c.check = null;
    op.setup(c);
    for (const v of VARIANTS) for (let i = 0; i < 3; i++) sinkValue ^= op[BODY[v]](c, ITERS);
    op.teardown(c);
  }
  c.unmap(c.lowest, PAGE);
}
globalThis.gc?.();
sinkValue ^= churnNewSpace() === null ? 0 : 1;

// samples[o][l][k]: operation o, level l, variant k.
const samples = OPS.map(() => spaces.map(() => VARIANTS.map(() => [])));
// scale[o][k]: per-round ratio of the last level's sample to the first level's.
const scale = OPS.map(() => VARIANTS.map(() => []));
const checks = OPS.map(() => spaces.map(() => null));
const t1 = performance.now();
for (const c of spaces) c.lowest = c.mapAnon(0, PAGE, PROT_NONE, 0); // the fence
for (let pos = 0; pos < POSITIONS; pos++) {
  for (const c of spaces) c.lowest = c.mapAnon(0, PAGE, pos & 1 ? PROT_READ : PROT_NONE, 0); // a shim
  OPS.forEach((op, o) => {
    const bodies = VARIANTS.map((v) => op[BODY[v]]);
    spaces.forEach((c, l) => {
      c.check = pos === 0 ? {} : null;
      op.setup(c);
      if (pos === 0) checks[o][l] = c.check;
      for (const body of bodies) sinkValue ^= body(c, Math.floor(ITERS / 10) + 1);
    });
    for (let r = 0; r < RUNS_PER_POSITION; r++) {
      spaces.forEach((c, l) => {
        for (let k = 0; k < bodies.length; k++) {
          const s0 = now();
          sinkValue ^= bodies[k](c, ITERS);
          const ns = (now() - s0) / ITERS;
          samples[o][l][k].push(ns);
          if (DUMP) process.stderr.write(`${op.id} ${VARIANTS[k]} vmas=${c.mm.mapCount} ${ns.toFixed(0)}\n`);
        }
      });
      for (let k = 0; k < bodies.length; k++) {
        const s = samples[o];
        scale[o][k].push(s[s.length - 1][k].at(-1) / s[0][k].at(-1));
      }
    }
    for (const c of spaces) op.teardown(c);
  });
}
const timeSeconds = (performance.now() - t1) / 1000;

const out = {
  clock: CLOCK, dropResidency: DROP_RESIDENCY, iters: ITERS, positions: POSITIONS, runsPerPosition: RUNS_PER_POSITION, variants: VARIANTS,
  buildSeconds, timeSeconds, levels: [], scale: {},
};
spaces.forEach((c, l) => {
  const level = { level: LEVELS[l], baseVmas: c.baseVmas, vmasBeforeFence: c.vmasBeforeFence, vmasAfterShims: c.mm.mapCount, ops: {} };
  OPS.forEach((op, o) => {
    const r = { name: op.name };
    VARIANTS.forEach((v, k) => { r[v] = stats(samples[o][l][k]); });
    const ch = checks[o][l];
    if (ch && ch.delta !== undefined) Object.assign(r, { checkDelta: ch.delta, checkOffset: ch.offset, checkAlign2M: ch.align2M });
    level.ops[op.id] = r;
  });
  out.levels.push(level);
  c.task.checkInvariants();
});
OPS.forEach((op, o) => {
  out.scale[op.id] = Object.fromEntries(VARIANTS.map((v, k) => [v, stats(scale[o][k])]));
});
out.sink = sinkValue & 1;
process.stdout.write(JSON.stringify(out) + '\n');

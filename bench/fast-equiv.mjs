// Differential check of src/kernel/fast.ts (FastSyscalls, number arguments) against the bigint
// facade: two systems from the same start state run the same random calls in lockstep, one
// through each; every return value and, every 50 calls, the whole /proc/<pid>/maps must agree.
//
// Usage: npm run build && node bench/fast-equiv.mjs [calls=200000] [seed=1]

import { createSystem } from '../dist/src/index.js';
import { FastSyscalls } from '../dist/src/kernel/fast.js';

const CALLS = Number(process.argv[2] ?? 200000);
let seed = Number(process.argv[3] ?? 1) >>> 0 || 1;
function rnd() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (n) => Math.floor(rnd() * n);

const sa = createSystem();
const sb = createSystem();
const A = sa.task(0).sys;
const tb = sb.task(0);
const F = new FastSyscalls({ mm: tb.mm, fds: tb.fds, fs: sb.fs });
// One file on each side, so file-backed mmaps (delegated to the facade) are exercised too.
const O_RDWR = 2n, O_CREAT = 0o100n;
const fdA = A.openat('f', O_RDWR | O_CREAT, 0o644n);
const fdB = tb.sys.openat('f', O_RDWR | O_CREAT, 0o644n);
if (fdA !== fdB) throw new Error('openat differs');
A.ftruncate(BigInt(fdA), 1n << 20n);
tb.sys.ftruncate(BigInt(fdB), 1n << 20n);

const TOP = 0x7ffff7fff000;
const mapped = []; // addresses returned so far (shared: both sides must return the same ones)
function addr() {
  const r = rnd();
  if (r < 0.45 && mapped.length) return pick(mapped) + pick([0, 0, 4096, 8192, -4096, 65536]) ;
  if (r < 0.55) return 0;
  if (r < 0.65) return TOP - int(4096) * 4096;
  if (r < 0.72) return pick([1, 4095, 4097, 0x10000, 0x1000, 0x400000, 0x515000]);
  if (r < 0.8) return pick([0x7ffffffff000, 0x7ffffffff000 - 4096, 0x800000000000, 2 ** 48, 2 ** 52, 2 ** 53 - 4096, 2 ** 53 - 1]);
  if (r < 0.9) return 0x7f0000000000 + int(2 ** 24) * 4096;
  return int(2 ** 53);
}
function len() {
  const r = rnd();
  if (r < 0.5) return (1 + int(32)) * 4096;
  if (r < 0.6) return int(65536);
  if (r < 0.7) return pick([0, 1, 4095, 4096, 2 ** 21, 2 ** 30, 2 ** 40]);
  if (r < 0.8) return pick([0x7ffffffff000, 0x800000000000, 2 ** 52, 2 ** 53 - 1, 2 ** 53 - 4096]);
  return int(2 ** 53);
}
function prot() {
  const r = rnd();
  if (r < 0.85) return int(8);
  return pick([8, 16, 0x01000000, 0x02000000, 0x03000000, 0x01000001, 2 ** 32 + 1, 2 ** 40, 0xffffffff]);
}
function mflags() {
  const r = rnd();
  const base = pick([0x22, 0x22, 0x22, 0x21, 0x02, 0x01, 0x03, 0x0f, 0x00]) |
    (rnd() < 0.2 ? 0x10 : 0) | (rnd() < 0.1 ? 0x100000 : 0) | (rnd() < 0.05 ? 0x40 : 0) |
    (rnd() < 0.03 ? 0x40000 : 0) | (rnd() < 0.03 ? 0x100 : 0);
  // (No MAP_POPULATE / MAP_LOCKED: the engine faults those in page by page, far too slow for
  // the huge random lengths here; they run after the argument checks this compares.)
  if (r < 0.97) return base >>> 0;
  return base + pick([2 ** 32, 2 ** 40, 21 * 2 ** 26]);
}

const stats = {};
for (let i = 0; i < CALLS; i++) {
  const op = pick(['mmap', 'mmap', 'mmap', 'munmap', 'munmap', 'mprotect', 'mprotect', 'mremap', 'mremap', 'brk']);
  let ra;
  let rb;
  let args;
  switch (op) {
    case 'mmap': {
      const fl = mflags();
      const fd = (fl & 0x20) !== 0 && rnd() < 0.7 ? -1 : pick([fdA, -1, 0, 99, 2 ** 32 + fdA]);
      const pgoff = rnd() < 0.8 ? 0 : pick([1, 2, 255, 256, 2 ** 40, 2 ** 52 - 1]);
      args = [addr(), len(), prot(), fl, fd, pgoff];
      ra = A.mmap(BigInt(args[0]), BigInt(args[1]), BigInt(args[2]), BigInt(args[3]), BigInt.asUintN(64, BigInt(fd)), BigInt(pgoff) * 4096n);
      rb = F.mmap(...args);
      break;
    }
    case 'munmap':
      args = [addr(), len()];
      ra = A.munmap(BigInt(args[0]), BigInt(args[1]));
      rb = F.munmap(...args);
      break;
    case 'mprotect':
      args = [addr(), len(), prot()];
      ra = A.mprotect(BigInt(args[0]), BigInt(args[1]), BigInt(args[2]));
      rb = F.mprotect(...args);
      break;
    case 'mremap': {
      const fl = rnd() < 0.9 ? int(8) : pick([8, 16, 2 ** 32, 2 ** 33 + 1]);
      args = [addr(), len(), len(), fl, addr()];
      ra = A.mremap(BigInt(args[0]), BigInt(args[1]), BigInt(args[2]), BigInt(args[3]), BigInt(args[4]));
      rb = F.mremap(...args);
      break;
    }
    case 'brk':
      args = [rnd() < 0.5 ? 0x515000 + int(64) * 4096 + pick([0, 1, 17]) : addr()];
      ra = A.brk(BigInt(args[0]));
      rb = F.brk(...args);
      break;
  }
  const key = `${op} ${ra >= 0 ? 'ok' : ra}`;
  stats[key] = (stats[key] ?? 0) + 1;
  if (ra !== rb) {
    console.error(`call ${i}: ${op}(${args.map((x) => '0x' + x.toString(16)).join(', ')}): facade ${ra}, fast ${rb}`);
    process.exit(1);
  }
  if (ra > 0 && (op === 'mmap' || op === 'mremap') && mapped.length < 4096) mapped.push(ra);
  if (i % 50 === 0 || i === CALLS - 1) {
    const ma = sa.task(0).proc.maps().join('\n');
    const mb = tb.proc.maps().join('\n');
    if (ma !== mb) {
      console.error(`call ${i}: ${op}: maps differ`);
      process.exit(1);
    }
  }
  // Keep the address spaces from filling up.
  if (i % 5000 === 4999) {
    for (const m of mapped.splice(0)) {
      if (m < 0x600000) continue;
      A.munmap(BigInt(m), 1n << 30n);
      F.munmap(m, 2 ** 30);
    }
  }
}
sa.task(0).checkInvariants();
tb.checkInvariants();
console.log(`fast-equiv: ${CALLS} calls agree (seed ${process.argv[3] ?? 1}); outcomes:`);
for (const [k, n] of Object.entries(stats).sort()) console.log(`  ${k.padEnd(16)} ${n}`);

// Where vmspace's time goes in the bench/vma.mjs round trips: runs vma.mjs under
// `node --cpu-prof` once per operation and prints, per operation, the self time by function
// and by source file, and the inclusive time of the syscall entry points.
//
// Usage: npm run build && node bench/profile.mjs [--variant facade|fast] [--only id,id]
//        [--level 0|60000] [--iters N] [--top N] [--json file]
// (--level 0 profiles at the process's own ~40 VMAs, --level 60000 at ~60k; default 0.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const VARIANT = arg('variant', 'facade');
const LEVEL = Number(arg('level', '0'));
const ITERS = arg('iters', '2000');
const TOP = Number(arg('top', '12'));
const OPS = arg('only', 'mmap4k,mmap4k_merge,mmap1m,mmap1g,mprotect,hole,mremap_grow,mremap_move,brk').split(',');
const JSON_OUT = arg('json', '');

/** Self and inclusive ms per function key from a .cpuprofile. */
function analyse(profile) {
  const byId = new Map();
  for (const n of profile.nodes) byId.set(n.id, n);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => {
    const cf = n.callFrame;
    const file = cf.url ? cf.url.replace(/^.*\/(dist\/|bench\/)/, '$1').replace(/^file:\/\//, '') : '';
    return `${cf.functionName || '(anonymous)'} ${file}${file ? ':' + (cf.lineNumber + 1) : ''}`;
  };
  const fileOf = (n) => {
    const u = n.callFrame.url;
    if (!u) return `(${n.callFrame.functionName || 'native'})`;
    return u.replace(/^.*\/(dist\/|bench\/)/, '$1').replace(/^file:\/\//, '');
  };
  const self = new Map();
  const files = new Map();
  const incl = new Map();
  const { samples, timeDeltas } = profile;
  // Only samples inside a timed body (vma.mjs's `b`/`n`) count, plus the garbage collector's
  // samples (a root child, never under a body) that follow one: module loading, the layout
  // build and the untimed setup between positions are left out.
  const isBody = (id) => {
    for (; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      if ((cf.functionName === 'b' || cf.functionName === 'n') && cf.url.endsWith('bench/vma.mjs')) return true;
    }
    return false;
  };
  let total = 0;
  let inBody = false;
  for (let i = 0; i < samples.length; i++) {
    const isGc = byId.get(samples[i]).callFrame.functionName === '(garbage collector)';
    if (!isGc) inBody = isBody(samples[i]);
    if (!inBody) continue;
    const dt = (timeDeltas[i + 1] ?? 0) / 1000; // ms until the next sample
    const n = byId.get(samples[i]);
    total += dt;
    const k = key(n);
    self.set(k, (self.get(k) ?? 0) + dt);
    const f = fileOf(n);
    files.set(f, (files.get(f) ?? 0) + dt);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id));
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + dt);
    }
  }
  return { total, self, files, incl };
}

const results = {};
for (const op of OPS) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmspace-prof-'));
  const r = spawnSync(process.execPath, [
    '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '50',
    // as bench/run.mjs runs vma.mjs (see churnNewSpace() there)
    '--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16',
    path.join(here, 'vma.mjs'), '--variants', VARIANT, '--only', op, '--iters', ITERS,
    '--levels', String(LEVEL), '--targets', String(LEVEL === 0 ? 27 : LEVEL - 16), '--positions', '4',
  ], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`profile of ${op} failed`);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const a = analyse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  rmSync(dir, { recursive: true, force: true });
  const bodyMs = a.total;
  const pct = (ms) => ((100 * ms) / bodyMs).toFixed(1).padStart(5) + '%';
  const sorted = (m) => [...m.entries()].sort((x, y) => y[1] - x[1]);
  console.log(`\n== ${op} (${VARIANT}, level ${LEVEL}): ${bodyMs.toFixed(0)} ms of samples in the timed bodies (and GC after them)`);
  console.log('  self time by source file:');
  for (const [f, ms] of sorted(a.files).slice(0, 8)) console.log(`    ${pct(ms)}  ${f}`);
  console.log('  self time by function:');
  for (const [k, ms] of sorted(a.self).slice(0, TOP)) console.log(`    ${pct(ms)}  ${k}`);
  console.log('  inclusive (syscall layer and mm entry points):');
  for (const [k, ms] of sorted(a.incl)) {
    if (/kernel\/(syscalls|fast)\.js|mm\/[a-z-]+\.js:\d+$/.test(k) && ms / bodyMs > 0.03) console.log(`    ${pct(ms)}  ${k}`);
  }
  results[op] = {
    bodyMs,
    files: Object.fromEntries(sorted(a.files).map(([f, ms]) => [f, ms / bodyMs])),
    self: Object.fromEntries(sorted(a.self).slice(0, 40).map(([k, ms]) => [k, ms / bodyMs])),
    inclusive: Object.fromEntries(sorted(a.incl).slice(0, 60).map(([k, ms]) => [k, ms / bodyMs])),
  };
}
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(results, null, 1) + '\n');

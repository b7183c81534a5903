// `npm run bench`: vmspace's VMA operations against the host kernel's, side by side in one run,
// at ~36, ~1k, ~10k and ~60k VMAs (shared/research/perf.md §3, §4.1, goals G1-G8 in §6-§7).
//
//   1. bench/kernel_vma.c, compiled here with the system `cc -O2` into a temporary directory,
//      times the round trips on the real kernel (skipped, with a message, when there is no
//      compiler or this is not Linux);
//   2. bench/vma.mjs times the same round trips on vmspace, in a fresh node process, with the
//      kernel's own VMA counts, through the bigint syscall facade and through FastSyscalls
//      (src/kernel/fast.ts, number arguments) when it is built;
//   3. prints a table per operation (kernel ns, vmspace ns, ratio; vmspace's own 60k/36) with
//      the goals marked, a summary, and writes bench/results/latest.json.
//
// Usage: npm run bench [-- options]     (about 3-4 minutes with the memory benchmarks, ~1.5 with
//                                       --quick; keep the machine otherwise idle)
//   --quick           fewer round trips per sample (300 instead of 1000); bench/mem.mjs --quick
//   --clock cpu       time with CPU time on both sides instead of the wall clock (steadier when
//                     other processes compete for the CPUs)
//   --no-kernel       vmspace only;   --variants facade|fast|facade,fast   vmspace columns
//   --markdown        tables in Markdown
//   --no-memory       skip the memory benchmarks (step 4)
//   --no-files        skip the file benchmarks (step 5)
//   --no-sg           skip the sg driver benchmarks (step 6)
//
// 4. Then bench/mem.mjs (goals G9-G22: faults, zaps, fork, translated loads/stores, bulk copies,
//    frame allocation, JS heap per page / per VMA) runs in a fresh `node --expose-gc` process
//    with its own kernel anchors (bench/kernel_mem.c); its table is printed after the VMA
//    tables and its JSON stored as `memory` in bench/results/latest.json (about 2-3 minutes;
//    under a minute with --quick; see bench/README-mem.md).
// 5. Then bench/files.mjs (goals F1-F4: read and write faults on cached file pages, msync, pread/
//    pwrite against mapped access, JS heap per faulted file page) runs the same way with its
//    kernel anchors (bench/kernel_files.c, on /dev/shm and /tmp); its table follows and its JSON
//    is stored as `files` (about 1 minute; see bench/README-files.md).
// 6. Then bench/sg.mjs (goal S1: a 1 MiB READ(10) by mmap-ed IO at least 1.3x faster than by
//    indirect IO; sg-dd of a 256 MiB simulated disk, cold through the CLI and warm in process);
//    stored as `sg` (about 15 s; see bench/README-sg.md).
//
// Goals (perf.md §6): every operation ≤ 0.5x the kernel at every size (G1-G7), 1 MiB and
// 1 GiB also ≤ 1.2x vmspace's own 4 KiB figure (G3), and vmspace(60k) ≤ 1.3x vmspace(36) (G8).
// Verdicts: "ok" within the goal, "~" over it by at most 15% (run-to-run noise, perf.md §7:
// count a goal as missed only when it is over by more than 15% in two consecutive runs),
// "MISS" over by more than 15%.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTable } from './table.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
function opt(name, dflt) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}
const QUICK = flag('quick');
const CLOCK = opt('clock', 'wall');
const MARKDOWN = flag('markdown');
const ITERS = QUICK ? 300 : 1000;
const LEVELS = [0, 1000, 10000, 60000];
const started = Date.now();

// ---- machine header -----------------------------------------------------------------------

function read(file) {
  try { return readFileSync(file, 'utf8').trim(); } catch { return null; }
}
function sh(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
}
function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
/** /proc/stat's busy and total jiffies (null where there is none). */
function cpuTimes() {
  const s = read('/proc/stat');
  if (!s) return null;
  const f = s.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((x, y) => x + y, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}
/** CPUs busy on average since `a` (a cpuTimes() sample). */
function busySince(a) {
  const b = cpuTimes();
  return a && b && b.total > a.total ? (os.cpus().length * (b.busy - a.busy)) / (b.total - a.total) : null;
}
/** CPUs busy over 0.7 s (from /proc/stat; null where there is none). */
function busyNow() {
  const s0 = read('/proc/stat');
  if (!s0) return null;
  const parse = (s) => {
    const f = s.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((x, y) => x + y, 0);
    return { busy: total - idle, total };
  };
  const a = parse(s0);
  sleepMs(700);
  const b = parse(read('/proc/stat'));
  return b.total > a.total ? (os.cpus().length * (b.busy - a.busy)) / (b.total - a.total) : 0;
}

const cpuinfo = read('/proc/cpuinfo') ?? '';
const vuln = (n) => read(`/sys/devices/system/cpu/vulnerabilities/${n}`) ?? 'n/a';
const CC = process.env.CC ?? 'cc';
const machine = {
  cpu: (/^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown') +
    ` x ${os.cpus().length}` + (/\bhypervisor\b/.test(cpuinfo) ? ' (virtual machine)' : ''),
  cpuFamilyModel: (/^cpu family\s*:\s*(\d+)/m.exec(cpuinfo)?.[1] ?? '?') + '/' + (/^model\s*:\s*(\d+)/m.exec(cpuinfo)?.[1] ?? '?'),
  kernel: `${os.type()} ${os.release()}`,
  node: `${process.version} (V8 ${process.versions.v8})`,
  cc: sh(CC, ['--version'])?.split('\n')[0] ?? null,
  thp: read('/sys/kernel/mm/transparent_hugepage/enabled') ?? 'n/a',
  mitigations: `meltdown: ${vuln('meltdown')}; spectre_v2: ${vuln('spectre_v2')}; SRSO: ${vuln('spec_rstack_overflow')}`,
  date: new Date().toISOString().slice(0, 16) + 'Z',
  clock: CLOCK,
  itersPerSample: ITERS,
  cpusBusyBefore: busyNow(),
};

const out = (s = '') => process.stdout.write(s + '\n');
out(`# cpu: ${machine.cpu}, family/model ${machine.cpuFamilyModel}`);
out(`# kernel: ${machine.kernel}; node ${machine.node}; ${machine.cc ?? 'no C compiler'}`);
out(`# THP: ${machine.thp}; ${machine.mitigations}`);
out(`# date: ${machine.date}; clock: ${CLOCK}; round trips per sample: ${ITERS}; CPUs busy before start: ${machine.cpusBusyBefore?.toFixed(2) ?? 'n/a'}`);
if (machine.cpusBusyBefore !== null && machine.cpusBusyBefore > 0.3) {
  out(`# WARNING: ${machine.cpusBusyBefore.toFixed(2)} CPUs were busy before the run: the figures will be noisy` +
    (CLOCK === 'wall' ? ' (--clock cpu helps)' : ''));
}

// ---- 1. the kernel ------------------------------------------------------------------------

let kernel = null;
let kernelSkipped = null;
if (flag('no-kernel')) {
  kernelSkipped = 'kernel side skipped (--no-kernel)';
} else if (process.platform !== 'linux') {
  kernelSkipped = `kernel side skipped: the anchor needs Linux (this is ${process.platform})`;
} else if (machine.cc === null) {
  kernelSkipped = `kernel side skipped: no C compiler (\`${CC}\`) found; install one (or set CC) to compare with the kernel`;
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmspace-bench-'));
  try {
    const bin = path.join(dir, 'kernel_vma');
    const cc = spawnSync(CC, ['-O2', '-Wall', '-Wextra', '-o', bin, path.join(here, 'kernel_vma.c')], { encoding: 'utf8' });
    if (cc.status !== 0) {
      kernelSkipped = `kernel side skipped: \`${CC}\` failed to compile bench/kernel_vma.c:\n${cc.stderr}`;
    } else {
      process.stderr.write('bench: timing the kernel (bench/kernel_vma.c) ...\n');
      const t0 = Date.now();
      const c0 = cpuTimes();
      const r = spawnSync(bin, [String(ITERS)], {
        encoding: 'utf8', env: { ...process.env, BENCH_CLOCK: CLOCK }, maxBuffer: 1 << 24, timeout: 120_000,
      });
      if (r.status !== 0) {
        kernelSkipped = `kernel side failed (status ${r.status}${r.signal ? ', ' + r.signal : ''}): ${r.stderr}`;
      } else {
        kernel = JSON.parse(r.stdout);
        kernel.seconds = (Date.now() - t0) / 1000;
        machine.cpusBusyDuringKernel = busySince(c0);
        if (r.stderr) process.stderr.write(r.stderr);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (kernelSkipped) out(`# ${kernelSkipped}`);

// ---- 2. vmspace ---------------------------------------------------------------------------

process.stderr.write('bench: timing vmspace (bench/vma.mjs) ...\n');
const targets = kernel ? kernel.levels.map((l) => l.vmasBeforeFence) : [27, 984, 9984, 59984];
const vmaArgs = [
  // GC between levels; a fixed-size new space (16 MiB: V8's default maximum on 64-bit), so
  // that the new space does not grow into untouched memory while samples are taken.
  '--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16',
  path.join(here, 'vma.mjs'), '--iters', String(ITERS), '--clock', CLOCK,
  '--levels', LEVELS.join(','), '--targets', targets.join(','),
];
if (opt('variants', null)) vmaArgs.push('--variants', opt('variants', null));
const t1 = Date.now();
const c1 = cpuTimes();
const vr = spawnSync(process.execPath, vmaArgs, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 240_000 });
if (vr.status !== 0) {
  process.stderr.write(vr.stderr);
  throw new Error(`bench/vma.mjs failed (status ${vr.status})`);
}
if (vr.stderr) process.stderr.write(vr.stderr);
const vm = JSON.parse(vr.stdout);
vm.seconds = (Date.now() - t1) / 1000;
machine.cpusBusyDuringVmspace = busySince(c1);
machine.cpusBusyAfter = busyNow();

// ---- 3. tables ----------------------------------------------------------------------------

const GOALS = {
  mmap4k: 'G1', mmap4k_merge: 'G2', mmap1m: 'G3', mmap1g: 'G3', mprotect: 'G4', hole: 'G5',
  mremap_grow: 'G6', mremap_move: 'G6', brk: 'G7',
};
const RATIO_GOAL = 0.5;
const SCALE_GOAL = 1.3;
const OWN_4K_GOAL = 1.2;
const NOISE = 1.15;
const verdict = (x, goal) => (x <= goal ? 'ok' : x <= goal * NOISE ? '~' : 'MISS');
const variants = vm.variants;
const label = { facade: 'vmspace', fast: 'fast' };
const fmtNs = (x) => (x === undefined || x === null ? '-' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));
const fmtX = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(2));
/** The VMA count in the middle of the 16 positions (what the kernel anchor's tables show). */
const vmasAt = (l) => l.vmasBeforeFence + 1 + 8;

const opIds = Object.keys(vm.levels[0].ops);
const results = {};
for (const id of opIds) {
  const r = { name: vm.levels[0].ops[id].name, goal: GOALS[id], levels: [] };
  vm.levels.forEach((l, i) => {
    const k = kernel?.levels[i]?.ops[id];
    const row = { level: l.level, vmas: vmasAt(l), kernel: k ? k.median : null, kernelMin: k?.min, kernelMax: k?.max };
    for (const v of variants) {
      const s = l.ops[id][v];
      row[v] = s.median;
      row[`${v}Min`] = s.min;
      row[`${v}Max`] = s.max;
      row[`${v}Ratio`] = k ? s.median / k.median : null;
    }
    if (k && l.ops[id].checkDelta !== undefined) {
      row.placementKernel = { delta: k.checkDelta, offset: k.checkOffset, align2M: k.checkAlign2M };
      row.placementVmspace = { delta: l.ops[id].checkDelta, offset: l.ops[id].checkOffset, align2M: l.ops[id].checkAlign2M };
    }
    r.levels.push(row);
  });
  const first = r.levels[0];
  const last = r.levels[r.levels.length - 1];
  // vmspace's growth: the median of the per-round ratios (the levels are timed round-robin,
  // vma.mjs), steadier than the ratio of the medians (also kept, as scaleOfMedians).
  r.scale = {};
  r.scaleOfMedians = {};
  for (const v of variants) {
    r.scale[v] = vm.scale?.[id]?.[v]?.median ?? last[v] / first[v];
    r.scaleOfMedians[v] = last[v] / first[v];
  }
  if (kernel) r.scale.kernel = last.kernel / first.kernel;
  results[id] = r;
}

// Verdicts per goal and column.
const verdicts = [];
for (const id of opIds) {
  const r = results[id];
  for (const v of variants) {
    if (kernel) {
      const worst = Math.max(...r.levels.map((row) => row[`${v}Ratio`]));
      verdicts.push({ op: id, goal: r.goal, column: v, what: `ratio ≤ ${RATIO_GOAL} at every size`, value: worst, verdict: verdict(worst, RATIO_GOAL) });
    }
    verdicts.push({ op: id, goal: 'G8', column: v, what: `60k/36 ≤ ${SCALE_GOAL}`, value: r.scale[v], verdict: verdict(r.scale[v], SCALE_GOAL) });
    if (id === 'mmap1m' || id === 'mmap1g') {
      const worst = Math.max(...r.levels.map((row, i) => row[v] / results.mmap4k.levels[i][v]));
      verdicts.push({ op: id, goal: 'G3', column: v, what: `≤ ${OWN_4K_GOAL}x own 4 KiB`, value: worst, verdict: verdict(worst, OWN_4K_GOAL) });
    }
  }
}

const table = (head, rows, align) => printTable(out, MARKDOWN, head, rows, align);

const mark = (x, goal) => (x === null || x === undefined ? '' : ` ${verdict(x, goal)}`);
out();
out(`ns per round trip, median of ${vm.positions * vm.runsPerPosition} samples (${vm.positions} positions x ${vm.runsPerPosition});` +
  ` ratio = vmspace / kernel (goal ≤ ${RATIO_GOAL}); 60k/36 = own growth, median of per-round ratios (goal ≤ ${SCALE_GOAL}).` +
  (variants.includes('fast') ? ' "vmspace" = the bigint syscall facade (task.sys), "fast" = FastSyscalls (number arguments).' : ''));
if (kernel) out(`kernel null syscall (getppid): ${kernel.levels.map((l) => fmtNs(l.ops.getppid.median)).join(' / ')} ns at the four sizes`);
for (const id of opIds) {
  const r = results[id];
  out();
  out(`${MARKDOWN ? '#### ' : ''}${r.name}  [${r.goal}${id === 'mmap1m' || id === 'mmap1g' ? `, also ≤ ${OWN_4K_GOAL}x own 4 KiB` : ''}; G8]`);
  const head = ['VMAs', 'kernel ns'];
  for (const v of variants) head.push(`${label[v]} ns`, 'ratio');
  const rows = r.levels.map((row) => {
    const cells = [row.vmas.toLocaleString('en-US'), fmtNs(row.kernel)];
    for (const v of variants) cells.push(fmtNs(row[v]), fmtX(row[`${v}Ratio`]) + mark(row[`${v}Ratio`], RATIO_GOAL));
    return cells;
  });
  const scaleRow = ['60k/36', kernel ? fmtX(r.scale.kernel) : '-'];
  for (const v of variants) scaleRow.push(fmtX(r.scale[v]) + mark(r.scale[v], SCALE_GOAL), '');
  rows.push(scaleRow);
  table(head, rows, ['r']);
}

// Placement agreement (checked once per level, at the first position).
const placementIssues = [];
for (const id of opIds) {
  for (const row of results[id].levels) {
    if (!row.placementKernel) continue;
    const k = row.placementKernel;
    const m = row.placementVmspace;
    // The 1 GiB mapping is 2 MiB aligned (THP): with ASLR on, the kernel's offset from the lowest
    // mapping depends on that mapping's alignment, so compare the VMA delta and the alignment.
    const sameOffset = id === 'mmap1g' ? (k.align2M === 0) === (m.align2M === 0) : k.offset === m.offset;
    if (k.delta !== m.delta || !sameOffset) placementIssues.push(`${id} at ${row.vmas} VMAs: kernel ${JSON.stringify(k)}, vmspace ${JSON.stringify(m)}`);
  }
}
out();
if (kernel) {
  out(placementIssues.length === 0
    ? 'placement: every checked mapping added the same number of VMAs at the same place as on the kernel'
    : `placement differs from the kernel:\n  ${placementIssues.join('\n  ')}`);
}

out();
out(`${MARKDOWN ? '#### ' : ''}Summary: ratio vmspace/kernel by VMA count${variants.includes('fast') ? ' (facade / fast)' : ''}, and 60k/36`);
{
  const head = ['operation', ...vm.levels.map((l) => vmasAt(l).toLocaleString('en-US')), '60k/36'];
  const rows = opIds.map((id) => {
    const r = results[id];
    const cells = [r.name];
    for (const row of r.levels) cells.push(variants.map((v) => fmtX(row[`${v}Ratio`])).join(' / '));
    cells.push(variants.map((v) => fmtX(r.scale[v])).join(' / '));
    return cells;
  });
  table(head, rows, ['l']);
}
const missed = verdicts.filter((v) => v.verdict !== 'ok');
out();
out(missed.length === 0
  ? 'goals: all hold'
  : `goals not held (${missed.length} of ${verdicts.length}; "~" = within the 15% noise band):\n` +
    missed.map((v) => `  ${v.verdict.padEnd(4)} ${v.goal} ${v.op} [${label[v.column]}]: ${v.what}: ${fmtX(v.value)}`).join('\n'));
machine.seconds = (Date.now() - started) / 1000;
out(`# kernel ${kernel ? kernel.seconds.toFixed(1) + ' s' : 'skipped'}, vmspace ${vm.seconds.toFixed(1)} s (layout ${vm.buildSeconds.toFixed(1)} s, timing ${vm.timeSeconds.toFixed(1)} s), total ${machine.seconds.toFixed(1)} s;` +
  ` CPUs busy after: ${machine.cpusBusyAfter?.toFixed(2) ?? 'n/a'}`);
// Each side runs one single-threaded process (V8 adds a little on its helper threads): more than
// ~1.3 busy CPUs on average means something else ran meanwhile.
const during = [['kernel', machine.cpusBusyDuringKernel], ['vmspace', machine.cpusBusyDuringVmspace]];
out(`# CPUs busy on average while timing: ${during.map(([k, v]) => `${k} ${v?.toFixed(2) ?? 'n/a'}`).join(', ')} (the bench itself keeps ~1 busy)`);
for (const [k, v] of during) {
  if (v !== null && v !== undefined && v > 1.3) out(`# WARNING: other processes ran while ${k} was timed (${v.toFixed(2)} CPUs busy): its figures are suspect; rerun on a quiet machine`);
}

// ---- 4. memory (bench/mem.mjs) ----------------------------------------------------------------

let memory = null;
if (!flag('no-memory')) {
  process.stderr.write('bench: memory benchmarks (bench/mem.mjs) ...\n');
  const memArgs = ['--expose-gc', path.join(here, 'mem.mjs'), '--json'];
  if (QUICK) memArgs.push('--quick');
  if (flag('no-kernel')) memArgs.push('--no-kernel');
  const t2 = Date.now();
  const mr = spawnSync(process.execPath, memArgs, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 420_000 });
  if (mr.stderr) process.stderr.write(mr.stderr);
  if (mr.status !== 0) {
    out(`# memory benchmarks failed (status ${mr.status}${mr.signal ? ', ' + mr.signal : ''}); see stderr`);
    memory = { failed: true, status: mr.status, signal: mr.signal };
  } else {
    memory = JSON.parse(mr.stdout);
    memory.wallSeconds = (Date.now() - t2) / 1000;
    const { renderMemTable } = await import(pathToFileURL(path.join(here, 'mem.mjs')).href);
    if (CLOCK === 'cpu') out('# memory figures use the wall clock on both sides (--clock applies to the VMA tables)');
    renderMemTable(memory, { out, markdown: MARKDOWN });
    machine.cpusBusyDuringMemory = memory.cpusBusy;
    if (memory.cpusBusy !== null && memory.cpusBusy > 1.3) {
      out(`# WARNING: other processes ran while the memory benchmarks were timed (${memory.cpusBusy.toFixed(2)} CPUs busy): their figures are suspect`);
    }
  }
  machine.seconds = (Date.now() - started) / 1000;
  out(`# total ${machine.seconds.toFixed(1)} s`);
}

// ---- 5. files (bench/files.mjs) -------------------------------------------------------------

let files = null;
if (!flag('no-files')) {
  process.stderr.write('bench: file benchmarks (bench/files.mjs) ...\n');
  const fileArgs = ['--expose-gc', path.join(here, 'files.mjs'), '--json'];
  if (QUICK) fileArgs.push('--quick');
  if (flag('no-kernel')) fileArgs.push('--no-kernel');
  const t3 = Date.now();
  const fr = spawnSync(process.execPath, fileArgs, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 420_000 });
  if (fr.stderr) process.stderr.write(fr.stderr);
  if (fr.status !== 0) {
    out(`# file benchmarks failed (status ${fr.status}${fr.signal ? ', ' + fr.signal : ''}); see stderr`);
    files = { failed: true, status: fr.status, signal: fr.signal };
  } else {
    files = JSON.parse(fr.stdout);
    files.wallSeconds = (Date.now() - t3) / 1000;
    const { renderFilesTable } = await import(pathToFileURL(path.join(here, 'files.mjs')).href);
    if (CLOCK === 'cpu') out('# file figures use the wall clock on both sides (--clock applies to the VMA tables)');
    renderFilesTable(files, { out, markdown: MARKDOWN });
    machine.cpusBusyDuringFiles = files.cpusBusy;
    if (files.cpusBusy !== null && files.cpusBusy > 1.3) {
      out(`# WARNING: other processes ran while the file benchmarks were timed (${files.cpusBusy.toFixed(2)} CPUs busy): their figures are suspect`);
    }
  }
  machine.seconds = (Date.now() - started) / 1000;
  out(`# total ${machine.seconds.toFixed(1)} s`);
}

// ---- 6. the sg driver (bench/sg.mjs) ---------------------------------------------------------

let sg = null;
if (!flag('no-sg')) {
  process.stderr.write('bench: sg driver benchmarks (bench/sg.mjs) ...\n');
  const sgArgs = ['--expose-gc', path.join(here, 'sg.mjs'), '--json'];
  if (QUICK) sgArgs.push('--quick');
  const sr = spawnSync(process.execPath, sgArgs, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 300_000 });
  if (sr.stderr) process.stderr.write(sr.stderr);
  if (sr.status !== 0) {
    out(`# sg benchmarks failed (status ${sr.status}${sr.signal ? ', ' + sr.signal : ''}); see stderr`);
    sg = { failed: true, status: sr.status, signal: sr.signal };
  } else {
    sg = JSON.parse(sr.stdout);
    const { renderSgTable } = await import(pathToFileURL(path.join(here, 'sg.mjs')).href);
    renderSgTable(sg, { out, markdown: MARKDOWN });
  }
  machine.seconds = (Date.now() - started) / 1000;
  out(`# total ${machine.seconds.toFixed(1)} s`);
}

mkdirSync(path.join(here, 'results'), { recursive: true });
const file = path.join(here, 'results', 'latest.json');
writeFileSync(file, JSON.stringify({ machine, kernelSkipped, results, verdicts, placementIssues, raw: { kernel, vmspace: vm }, memory, files, sg }, null, 1) + '\n');
out(`# written: ${path.relative(process.cwd(), file)}`);

#!/usr/bin/env node
// Live differential fuzzing: random scenarios (scenario/generate.ts) run on the kernel oracle and on
// vmspace's runner (dist/scenario/run.js), compared per spec/scenario.md §8.
//
//   npm run fuzz -- --seed 1 --ops 300 --seeds 200 [--files] [--memory]
//   npm run fuzz -- --seeds 200 --ops 300 --oracle-only     check the generator: no {"error"} from the oracle
//
// Options:
//   --seed S       first seed (default 1)            --seeds K     how many seeds (default 1)
//   --ops N        ops per scenario (default 200)    --files       add scratch files and file mappings
//   --memory       add loads/stores/touches at page and VMA edges, stack growth, madvise/mprotect/
//                  mremap of touched memory, fork chains (3 deep) with ops in every process, exits
//   --noisy-rss    with --memory: smaps dumps also ask for Referenced and LazyFree, whose kernel
//                  values vary between runs now and then (use with --twice)
//   --rss MODE     how RSS-like /proc values are compared (scenario/compare.ts): loose, user
//                  (smaps values of VMAs outside the oracle's harness ranges), exact (default:
//                  everything but VmHWM, as the conformance fixtures; the rollup's LazyFree and
//                  Referenced and the [vdso]'s sharing are noise here), strict
//   --oracle-only  do not run vmspace: only check that the oracle accepts every generated scenario
//   --no-shrink    do not minimize the first divergence     --stop   stop at the first divergence
//   --shrink-all   minimize every kind of divergence of every seed (a kind is the op and the key,
//                  e.g. smaps:smaps[].Rss; a seed may show several), not only the first
//   --shrink-max K with --shrink-all: at most K shrinks per kind of divergence (op and key)
//   --ignore KEYS  leave these /proc keys out of the comparison (comma-separated, e.g.
//                  Referenced,LazyFree): to look past a known divergence
//   --save DIR     write the (shrunk) diverging scenario(s) and both outputs to DIR
//   --twice        run every scenario twice on the oracle: a difference between the two kernel
//                  runs (compared like kernel vs vmspace) is reported as ORACLE NONDETERMINISM
//   --print-seed S print the generated scenario of one seed and exit
//
// Exit status: 0 no divergence (or the oracle cannot run here: a skip message is printed);
// 1 divergences, or the generator produced a scenario the oracle refused ({"error"...});
// 2 usage error or the vmspace runner cannot be loaded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ORACLE_BUILD, ROOT, compareOutputs as fallbackCompare, findOrBuildOracle, initOpLine, oracleUnavailableReason,
  runOracle,
} from './oracle.mjs';

// ---- options ---------------------------------------------------------------------------------------
function usage(msg) {
  if (msg) process.stderr.write(`fuzz: ${msg}\n`);
  process.stderr.write(
    'usage: node scripts/fuzz.mjs [--seed S] [--seeds K] [--ops N] [--files] [--memory] [--oracle-only]\n' +
      '                           [--noisy-rss] [--rss loose|user|exact|strict] [--no-shrink] [--shrink-all] [--stop] [--twice]\n' +
      '                           [--shrink-max K] [--ignore KEYS] [--save DIR] [--print-seed S] [--json]\n',
  );
  process.exit(2);
}
const opt = {
  seed: 1, seeds: 1, ops: 200, files: false, memory: false, oracleOnly: false, shrink: true, shrinkAll: false, stop: false,
  save: null, printSeed: null, rss: 'exact', twice: false, shrinkMax: Infinity, ignore: new Set(), noisyRss: false,
};
{
  const a = process.argv.slice(2);
  const num = (i) => {
    const v = a[i + 1];
    if (v === undefined || !/^\d+$/.test(v)) usage(`${a[i]} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < a.length; i++) {
    switch (a[i]) {
      case '--seed': opt.seed = num(i++); break;
      case '--seeds': opt.seeds = num(i++); break;
      case '--ops': opt.ops = num(i++); break;
      case '--files': opt.files = true; break;
      case '--memory': opt.memory = true; break;
      case '--noisy-rss': opt.noisyRss = true; break;
      case '--oracle-only': opt.oracleOnly = true; break;
      case '--no-shrink': opt.shrink = false; break;
      case '--shrink-all': opt.shrinkAll = true; break;
      case '--twice': opt.twice = true; break;
      case '--shrink-max': opt.shrinkMax = num(i++); break;
      case '--ignore': opt.ignore = new Set((a[++i] ?? usage('--ignore needs keys')).split(',').filter(Boolean)); break;
      case '--rss':
        opt.rss = a[++i];
        if (!['loose', 'user', 'exact', 'strict'].includes(opt.rss)) usage('--rss needs loose, user, exact or strict');
        break;
      case '--stop': opt.stop = true; break;
      case '--json': opt.json = true; break;
      case '--save': opt.save = a[++i] ?? usage('--save needs a directory'); break;
      case '--print-seed': opt.printSeed = num(i++); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown option ${a[i]}`);
    }
  }
  if (opt.ops < 1 || opt.seeds < 1) usage('--ops and --seeds must be at least 1');
}

// ---- loading the generator and the runner ---------------------------------------------------------------
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** scenario/generate.ts, from dist/ when it is up to date, else compiled on the fly into .oracle-build/. */
async function loadGenerator() {
  const src = join(ROOT, 'scenario', 'generate.ts');
  const dist = join(ROOT, 'dist', 'scenario', 'generate.js');
  let file = dist;
  if (mtime(dist) < mtime(src)) {
    const outDir = join(ORACLE_BUILD, 'ts');
    file = join(outDir, 'generate.js');
    if (mtime(file) < mtime(src)) {
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      if (!existsSync(tsc)) throw new Error('dist/scenario/generate.js is missing or stale and typescript is not installed (npm ci)');
      mkdirSync(outDir, { recursive: true });
      const r = spawnSync(process.execPath, [tsc, src, '--outDir', outDir, '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--target', 'es2022', '--strict', '--skipLibCheck', '--rootDir', join(ROOT, 'scenario')], { encoding: 'utf8' });
      if (r.status !== 0 || !existsSync(file)) throw new Error(`compiling scenario/generate.ts failed:\n${r.stdout}${r.stderr}`);
    }
  }
  const m = await import(pathToFileURL(file).href);
  if (typeof m.generateScenario !== 'function') throw new Error(`${file} does not export generateScenario`);
  return m;
}

/** vmspace's runner (dist/scenario/run.js), and its comparer when built. */
async function loadRunner() {
  const file = join(ROOT, 'dist', 'scenario', 'run.js');
  let run;
  try {
    run = await import(pathToFileURL(file).href);
  } catch (e) {
    return { error: `cannot load the vmspace runner ${file}: ${e && e.message ? e.message.split('\n')[0] : e}` };
  }
  if (typeof run.runScenarioText !== 'function') return { error: `${file} does not export runScenarioText(text)` };
  let compare = null;
  let parse = null;
  try {
    const c = await import(pathToFileURL(join(ROOT, 'dist', 'scenario', 'compare.js')).href);
    const p = await import(pathToFileURL(join(ROOT, 'dist', 'scenario', 'parse.js')).href);
    if (typeof c.compareOutputs === 'function') compare = c;
    if (typeof p.parseScenario === 'function') parse = p;
  } catch {
    /* use scripts/oracle.mjs's comparer */
  }
  return { runScenarioText: run.runScenarioText, compare, parse };
}

// ---- comparing ----------------------------------------------------------------------------------------
function errorLines(out) {
  return out.split('\n').map((l, i) => [i, l]).filter(([i, l]) => i > 0 && l.includes('"error"') && /^\{"error"/.test(l));
}

/** The oracle's harness ranges, from the init record (the expected output's first line). */
function harnessOf(expected) {
  try {
    const init = JSON.parse(expected.slice(0, expected.indexOf('\n'))).init;
    return (init.harness ?? []).map((h) => [BigInt(h.start), BigInt(h.end)]);
  } catch {
    return [];
  }
}

const RSS_LIKE = /^(Rss|Pss.*|Shared_.*|Private_.*|Referenced|Anonymous|LazyFree|Locked)$/;

/**
 * A reported divergence that is the oracle harness's own state, not the scenario's (with
 * `--rss user`): an smaps `Locked` value (resident pages of a VM_LOCKED VMA) of a VMA overlapping
 * the harness ranges, which the executor's own accesses change (mlockall(MCL_CURRENT|MCL_ONFAULT));
 * RSS-like values of `[vdso]`, whose pages the executor may have touched and whose mapcount
 * (Pss) counts every process of the machine mapping them.
 */
function harnessNoise(d, expected, harness) {
  if (opt.rss === 'exact') return rollupNoise(d);
  if (opt.rss !== 'user') return false;
  const m = /^smaps\[(\d+)\]\.(\w+)$/.exec(d.key);
  if (!m || !RSS_LIKE.test(m[2])) return false;
  try {
    const line = JSON.parse(expected.split('\n')[d.index + 1]).smaps[Number(m[1])].line;
    if (/ \[vdso\]$/.test(line)) return true;
    if (m[2] !== 'Locked') return false;
    const r = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    const s = BigInt('0x' + r[1]);
    const e = BigInt('0x' + r[2]);
    return harness.some(([hs, he]) => s < he && hs < e);
  } catch {
    return false;
  }
}

/**
 * With `--rss exact`, what a process-wide smaps_rollup cannot match run to run: its LazyFree and
 * Referenced totals (the same noise as in smaps dumps, unless --noisy-rss asks for them), and
 * the sharing of the `[vdso]` pages, which every process of the machine that touched them maps
 * (at most their 8 kB moved between Pss_File, Shared_Clean and Private_Clean).
 */
function rollupNoise(d) {
  const m = /^smaps_rollup\.(\w+)$/.exec(d.key);
  if (!m) return false;
  if (m[1] === 'LazyFree' || m[1] === 'Referenced') return !opt.noisyRss;
  return ['Pss', 'Pss_File', 'Shared_Clean', 'Private_Clean'].includes(m[1])
    && typeof d.expected === 'number' && typeof d.actual === 'number' && Math.abs(d.expected - d.actual) <= 8;
}

/** The divergences of `actual` against `expected` (both outputs), harness noise left out. */
function divergencesOf(expected, actual, runner, ops) {
  const harness = harnessOf(expected);
  return runner.compare.compareOutputs(expected, actual, { ops, rss: opt.rss })
    .filter((d) => !harnessNoise(d, expected, harness) && !opt.ignore.has(d.key.slice(d.key.lastIndexOf('.') + 1)));
}

/** What kind of divergence: the op and the key, indexes left out ("smaps:smaps[].Rss"). */
function signatureOf(d, ops) {
  const op = d.index < 0 ? 'init' : ops?.[d.index]?.op ?? '?';
  return `${op}:${d.key.replace(/\[\d+\]/g, '[]')}`;
}

function formatOne(runner, d) {
  return typeof runner.compare.formatDivergence === 'function'
    ? runner.compare.formatDivergence(d)
    : `op ${d.index}: ${d.key}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`;
}

/**
 * Runs `text` on both sides. Returns { expected, actual, divergence } where divergence is null or
 * a one-line description (and `signature`, `signatures`: what kind, see signatureOf); `harness`
 * is set when the oracle itself refused an op; with --twice, `unstable` describes a difference
 * between two oracle runs.
 */
function check(text, runner, twice = false) {
  const expected = runOracle(text);
  const errs = errorLines(expected);
  if (errs.length) return { expected, actual: '', divergence: null, harness: errs.map(([, l]) => l) };
  let ops;
  if (runner?.compare) {
    try {
      ops = runner.parse ? runner.parse.parseScenario(text).ops : undefined;
    } catch {
      ops = undefined;
    }
  }
  let unstable = null;
  if (twice && runner?.compare) {
    const again = runOracle(text);
    const ds = divergencesOf(expected, again, runner, ops);
    if (ds.length) unstable = `${signatureOf(ds[0], ops)} ${formatOne(runner, ds[0]).split('\n')[0]}`;
  }
  if (!runner) return { expected, actual: '', divergence: null };
  const input = `${initOpLine(expected)}\n${text}`;
  let actual;
  try {
    actual = runner.runScenarioText(input);
  } catch (e) {
    return { expected, actual: '', divergence: `vmspace threw: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}`, signature: 'throw', signatures: ['throw'], unstable };
  }
  if (runner.compare) {
    const ds = divergencesOf(expected, actual, runner, ops);
    if (!ds.length) return { expected, actual, divergence: null, unstable };
    const d = ds[0];
    return {
      expected, actual, divergence: formatOne(runner, d), index: d.index, unstable,
      signature: signatureOf(d, ops), signatures: ds.map((x) => signatureOf(x, ops)),
      all: ds.map((x) => ({ signature: signatureOf(x, ops), text: formatOne(runner, x) })),
    };
  }
  const d = fallbackCompare(expected, actual);
  return { expected, actual, divergence: d ? `op ${d.index}: ${d.reason}` : null, index: d?.index, signature: 'fallback', signatures: ['fallback'] };
}

// ---- shrinking (delta debugging over ops, keeping "$N" references valid) -------------------------------------
const REF = /\$(\d+)/g;

function refsOf(op) {
  const out = new Set();
  for (const [k, v] of Object.entries(op)) {
    if (k === 'op' || k === 'note') continue;
    if (typeof v === 'string') for (const m of v.matchAll(REF)) out.add(Number(m[1]));
  }
  return out;
}

/** Keeps the ops whose indexes are in `keep` (plus nothing else); drops ops whose references were
 *  dropped (transitively), renumbers the rest. A `pid` whose fork was dropped drops the op too. */
function subset(ops, keep) {
  const kept = new Set(keep);
  // Forks define pid labels: an op for label L needs the fork that made it.
  const forkOf = new Map();
  let next = 1;
  ops.forEach((o, i) => {
    if (o.op === 'fork') {
      const label = o.child ?? next;
      next = Math.max(next, label + 1);
      forkOf.set(label, i);
    }
  });
  let changed = true;
  while (changed) {
    changed = false;
    for (const i of [...kept].sort((a, b) => a - b)) {
      const o = ops[i];
      const needs = [...refsOf(o)];
      if (o.pid) needs.push(forkOf.get(o.pid) ?? -1);
      if (needs.some((j) => !kept.has(j))) {
        kept.delete(i);
        changed = true;
      }
    }
  }
  const order = [...kept].sort((a, b) => a - b);
  const newIndex = new Map(order.map((old, i) => [old, i]));
  // Fork labels must stay what the kept forks produce: give every kept fork an explicit child label.
  return order.map((old) => {
    const o = { ...ops[old] };
    for (const [k, v] of Object.entries(o)) {
      if (k === 'op' || k === 'note' || typeof v !== 'string') continue;
      o[k] = v.replace(REF, (_, n) => `$${newIndex.get(Number(n))}`);
    }
    if (o.op === 'fork' && o.child === undefined) {
      const label = [...forkOf].find(([, i]) => i === old)?.[0];
      if (label !== undefined) o.child = label;
    }
    return o;
  });
}

const toText = (ops) => ops.map((o) => JSON.stringify(o)).join('\n') + '\n';

/** Minimizes `ops` while a divergence of the same kind (`signature`, see signatureOf) remains. */
function shrink(ops, runner, log, signature) {
  const fails = (cand) => {
    if (!cand.length) return false;
    try {
      const r = check(toText(cand), runner);
      return !r.harness && r.divergence !== null && (!signature || (r.signatures ?? []).includes(signature));
    } catch {
      return false;
    }
  };
  let cur = ops.map((_, i) => i); // indexes into the original ops
  let curOps = ops;
  let n = 2;
  let tests = 0;
  while (cur.length >= 2) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length; start += chunk) {
      const complement = cur.filter((_, i) => i < start || i >= start + chunk);
      const cand = subset(ops, complement);
      tests++;
      if (cand.length < curOps.length && fails(cand)) {
        // subset() may have dropped dependents too: keep the original indexes that survived.
        curOps = cand;
        cur = survivingIndexes(ops, complement);
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
    if (log) log(`shrinking: ${curOps.length} ops (${tests} tests)`);
  }
  // Finally try dropping single ops from the end backwards (cheap polish).
  for (let i = cur.length - 1; i >= 0; i--) {
    const cand = subset(ops, cur.filter((_, j) => j !== i));
    tests++;
    if (cand.length < curOps.length && fails(cand)) {
      cur = survivingIndexes(ops, cur.filter((_, j) => j !== i));
      curOps = cand;
      i = Math.min(i, cur.length);
    }
  }
  return { ops: curOps, tests };
}

/** Which original indexes subset(ops, keep) keeps. */
function survivingIndexes(ops, keep) {
  const marked = ops.map((o, i) => ({ ...o, note: `#${i}` }));
  return subset(marked, keep).map((o) => Number(String(o.note).slice(1)));
}

// ---- main ---------------------------------------------------------------------------------------------
const gen = await loadGenerator().catch((e) => {
  process.stderr.write(`fuzz: cannot load the scenario generator: ${e.message}\n`);
  process.exit(2);
});
const genOpts = { files: opt.files, memory: opt.memory, noisyRss: opt.noisyRss };

if (opt.printSeed !== null) {
  process.stdout.write(toText(gen.generateScenario(opt.printSeed, opt.ops, genOpts)));
  process.exit(0);
}

const oracle = findOrBuildOracle();
if (!oracle) {
  process.stdout.write(`fuzz: SKIPPED: the kernel oracle cannot run here (${oracleUnavailableReason().split('\n')[0]})\n`);
  process.exit(0);
}

let runner = null;
if (!opt.oracleOnly) {
  runner = await loadRunner();
  if (runner.error) {
    process.stderr.write(`fuzz: ${runner.error}\nfuzz: build it with \`npm run build\` (or use --oracle-only to check the generator alone)\n`);
    process.exit(2);
  }
}

const tty = process.stderr.isTTY;
const last = opt.seed + opt.seeds - 1;
process.stdout.write(
  `fuzz: seeds ${opt.seed}${opt.seeds > 1 ? `..${last}` : ''}, ${opt.ops} ops each` +
    `${opt.files ? ', files' : ''}${opt.memory ? ', memory' : ''}${opt.noisyRss ? ', noisy rss' : ''}, rss ${opt.rss}` +
    `${opt.twice ? ', oracle twice' : ''}` +
    `${opt.ignore.size ? `, ignoring ${[...opt.ignore].join(',')}` : ''}` +
    `${opt.oracleOnly ? ', oracle only' : ''}` +
    `${runner && !runner.compare ? ' (comparer: scripts/oracle.mjs)' : ''}\n`,
);

function progress(i, extra = '') {
  if (!tty) return;
  const w = 30;
  const done = Math.round(((i + 1) / opt.seeds) * w);
  process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${i + 1}/${opt.seeds} ${extra}`.padEnd(90).slice(0, 90));
}

let totalOps = 0;
let divergences = 0;
let harnessErrors = 0;
let unstableRuns = 0;
let firstShown = false;
const divergentSeeds = [];
const unstableSeeds = [];
const bySignature = new Map(); // signature -> seeds
const t0 = Date.now();

/**
 * Shrinks, prints and saves the divergence of kind `sig` of `seed` (its first output `r`; full
 * outputs only when `full`).
 */
function report(seed, ops, r, full, sig = r.signature) {
  let small = ops;
  if (opt.shrink) {
    const s = shrink(ops, runner, tty ? (m) => process.stderr.write(`\r${m}`.padEnd(60)) : null, sig);
    small = s.ops;
    if (tty) process.stderr.write('\n');
    process.stdout.write(`fuzz: shrunk seed ${seed} [${sig}] from ${ops.length} to ${small.length} ops (${s.tests} runs)\n`);
  }
  const smallText = toText(small);
  const rr = check(smallText, runner, true);
  const div = rr.all?.find((x) => x.signature === sig)?.text ?? rr.divergence ?? r.divergence;
  process.stdout.write(`---- scenario (seed ${seed}, ${sig}) ----\n${smallText}`);
  process.stdout.write(`---- divergence ----\n${div}\n`);
  if (rr.unstable) process.stdout.write(`---- the shrunk scenario is not deterministic on the kernel: ${rr.unstable}\n`);
  const e = rr.expected.split('\n');
  const a = (rr.actual || '').split('\n');
  if (full) {
    process.stdout.write('---- kernel (expected, init line omitted) ----\n' + e.slice(1).join('\n') + '\n');
    process.stdout.write('---- vmspace (actual, init line omitted) ----\n' + a.slice(1).join('\n') + '\n');
  }
  if (opt.save) {
    const dir = resolve(opt.save);
    mkdirSync(dir, { recursive: true });
    const head = `# fuzz seed ${seed} (${opt.ops} ops${opt.files ? ', files' : ''}${opt.memory ? ', memory' : ''}${opt.noisyRss ? ', noisy rss' : ''}, rss ${opt.rss})` +
      `${opt.shrink ? ', shrunk' : ''}: ${sig}${rr.unstable ? ' (NOT deterministic on the kernel)' : ''}\n` +
      div.split('\n').map((l) => `# ${l}\n`).join('');
    const name = `seed-${seed}${opt.files ? '-files' : ''}${opt.shrinkAll ? '-' + sig.replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+$/, '') : ''}`;
    writeFileSync(join(dir, `${name}.jsonl`), head + smallText);
    writeFileSync(join(dir, `${name}.expected.jsonl`), rr.expected);
    writeFileSync(join(dir, `${name}.actual.jsonl`), rr.actual || '');
    process.stdout.write(`fuzz: saved to ${dir}/${name}.*\n`);
  }
}

for (let i = 0; i < opt.seeds; i++) {
  const seed = opt.seed + i;
  const ops = gen.generateScenario(seed, opt.ops, genOpts);
  const text = toText(ops);
  totalOps += ops.length;
  let r;
  try {
    r = check(text, runner, opt.twice);
  } catch (e) {
    process.stderr.write(`\nfuzz: seed ${seed}: the oracle failed: ${e.message}\n`);
    harnessErrors++;
    continue;
  }
  if (r.divergence && !r.unstable && runner?.compare) {
    // A divergence is confirmed on the kernel first: a scenario whose kernel answers change from
    // run to run (ext4 reuses a freed inode number only within the same second of its deletion,
    // recently_deleted()) is reported as nondeterminism, not as a divergence.
    const parsedOps = runner.parse ? runner.parse.parseScenario(text).ops : undefined;
    for (let k = 0; k < 2 && !r.unstable; k++) {
      const ds = divergencesOf(r.expected, runOracle(text), runner, parsedOps);
      if (ds.length) r.unstable = `${signatureOf(ds[0], parsedOps)} ${formatOne(runner, ds[0]).split('\n')[0]}`;
    }
    if (r.unstable) r.divergence = null;
  }
  if (r.unstable) {
    unstableRuns++;
    unstableSeeds.push(seed);
    if (tty) process.stderr.write('\n');
    process.stdout.write(`fuzz: seed ${seed}: ORACLE NONDETERMINISM (two kernel runs differ): ${r.unstable}\n`);
  }
  if (r.harness) {
    harnessErrors++;
    if (tty) process.stderr.write('\n');
    process.stdout.write(`fuzz: seed ${seed}: GENERATOR BUG: the oracle refused ops:\n`);
    const lines = text.split('\n');
    const outLines = r.expected.split('\n');
    for (const l of r.harness.slice(0, 5)) {
      const k = outLines.indexOf(l) - 1;
      process.stdout.write(`  op ${k}: ${lines[k]}\n    -> ${l}\n`);
    }
  } else if (r.divergence) {
    divergences++;
    divergentSeeds.push(seed);
    const sigs = [...new Set(r.signatures ?? [r.signature])];
    for (const sig of sigs) {
      if (!bySignature.has(sig)) bySignature.set(sig, []);
      bySignature.get(sig).push(seed);
    }
    if (tty) process.stderr.write('\n');
    process.stdout.write(`fuzz: seed ${seed}: DIVERGENCE [${sigs.join(' ')}] ${r.divergence.split('\n')[0]}\n`);
    if (!firstShown && !opt.shrinkAll) report(seed, ops, r, true);
    else if (opt.shrinkAll) {
      for (const sig of sigs) if (bySignature.get(sig).length <= opt.shrinkMax) report(seed, ops, r, false, sig);
    }
    firstShown = true;
    if (opt.stop) break;
  }
  progress(i, `${divergences} divergences`);
}
if (tty) process.stderr.write('\n');

const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (opt.json) {
  process.stdout.write(JSON.stringify({
    ops: totalOps, divergences, harnessErrors, unstableRuns, seconds: Number(secs), divergentSeeds,
    bySignature: Object.fromEntries(bySignature),
  }) + '\n');
  process.exit(divergences || harnessErrors || unstableRuns ? 1 : 0);
}
process.stdout.write(
  `fuzz: ${totalOps} ops, ${divergences} divergences` +
    (harnessErrors ? `, ${harnessErrors} scenarios refused by the oracle (generator bug)` : '') +
    (unstableRuns ? `, ${unstableRuns} scenarios not deterministic on the kernel (seeds ${unstableSeeds.slice(0, 20).join(' ')})` : '') +
    ` in ${secs} s${divergentSeeds.length ? ` (seeds ${divergentSeeds.slice(0, 20).join(' ')}${divergentSeeds.length > 20 ? ' ...' : ''})` : ''}\n`,
);
process.stdout.write('fuzz: seeds per kind of divergence (op:key; a seed may have several kinds):\n');
for (const [sig, seeds] of [...bySignature].sort((x, y) => y[1].length - x[1].length)) {
  process.stdout.write(`fuzz:   ${sig}: ${seeds.length} seed(s): ${seeds.slice(0, 12).join(' ')}${seeds.length > 12 ? ' ...' : ''}\n`);
}
process.exit(divergences || harnessErrors || unstableRuns ? 1 : 0);

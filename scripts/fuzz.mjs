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
//   --memory       add loads/stores/touches and fork/exit (later milestones)
//   --oracle-only  do not run vmspace: only check that the oracle accepts every generated scenario
//   --no-shrink    do not minimize the first divergence     --stop   stop at the first divergence
//   --save DIR     write the (shrunk) diverging scenario and both outputs to DIR
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
      '                           [--no-shrink] [--stop] [--save DIR] [--print-seed S]\n',
  );
  process.exit(2);
}
const opt = { seed: 1, seeds: 1, ops: 200, files: false, memory: false, oracleOnly: false, shrink: true, stop: false, save: null, printSeed: null };
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
      case '--oracle-only': opt.oracleOnly = true; break;
      case '--no-shrink': opt.shrink = false; break;
      case '--stop': opt.stop = true; break;
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

/**
 * Runs `text` on both sides. Returns { expected, actual, divergence } where divergence is null or
 * a one-line description; `harness` is set when the oracle itself refused an op.
 */
function check(text, runner) {
  const expected = runOracle(text);
  const errs = errorLines(expected);
  if (errs.length) return { expected, actual: '', divergence: null, harness: errs.map(([, l]) => l) };
  if (!runner) return { expected, actual: '', divergence: null };
  const input = `${initOpLine(expected)}\n${text}`;
  let actual;
  try {
    actual = runner.runScenarioText(input);
  } catch (e) {
    return { expected, actual: '', divergence: `vmspace threw: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}` };
  }
  if (runner.compare) {
    let ops;
    try {
      ops = runner.parse ? runner.parse.parseScenario(text).ops : undefined;
    } catch {
      ops = undefined;
    }
    const ds = runner.compare.compareOutputs(expected, actual, { ops, limit: 1 });
    if (!ds.length) return { expected, actual, divergence: null };
    const d = ds[0];
    const msg = typeof runner.compare.formatDivergence === 'function'
      ? runner.compare.formatDivergence(d)
      : `op ${d.index}: ${d.key}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`;
    return { expected, actual, divergence: msg, index: d.index };
  }
  const d = fallbackCompare(expected, actual);
  return { expected, actual, divergence: d ? `op ${d.index}: ${d.reason}` : null, index: d?.index };
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

function shrink(ops, runner, log) {
  const fails = (cand) => {
    if (!cand.length) return false;
    try {
      const r = check(toText(cand), runner);
      return !r.harness && r.divergence !== null;
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
const genOpts = { files: opt.files, memory: opt.memory };

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
    `${opt.files ? ', files' : ''}${opt.memory ? ', memory' : ''}${opt.oracleOnly ? ', oracle only' : ''}` +
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
let firstShown = false;
const divergentSeeds = [];
const t0 = Date.now();

for (let i = 0; i < opt.seeds; i++) {
  const seed = opt.seed + i;
  const ops = gen.generateScenario(seed, opt.ops, genOpts);
  const text = toText(ops);
  totalOps += ops.length;
  let r;
  try {
    r = check(text, runner);
  } catch (e) {
    process.stderr.write(`\nfuzz: seed ${seed}: the oracle failed: ${e.message}\n`);
    harnessErrors++;
    continue;
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
    if (tty) process.stderr.write('\n');
    process.stdout.write(`fuzz: seed ${seed}: DIVERGENCE ${r.divergence.split('\n')[0]}\n`);
    if (!firstShown) {
      firstShown = true;
      let small = ops;
      if (opt.shrink) {
        const s = shrink(ops, runner, tty ? (m) => process.stderr.write(`\r${m}`.padEnd(60)) : null);
        small = s.ops;
        if (tty) process.stderr.write('\n');
        process.stdout.write(`fuzz: shrunk seed ${seed} from ${ops.length} to ${small.length} ops (${s.tests} runs)\n`);
      }
      const smallText = toText(small);
      const rr = check(smallText, runner);
      process.stdout.write(`---- scenario (seed ${seed}) ----\n${smallText}`);
      process.stdout.write(`---- divergence ----\n${rr.divergence ?? r.divergence}\n`);
      const e = rr.expected.split('\n');
      const a = (rr.actual || '').split('\n');
      process.stdout.write('---- kernel (expected, init line omitted) ----\n' + e.slice(1).join('\n') + '\n');
      process.stdout.write('---- vmspace (actual, init line omitted) ----\n' + a.slice(1).join('\n') + '\n');
      if (opt.save) {
        const dir = resolve(opt.save);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `seed-${seed}.jsonl`), `# fuzz seed ${seed} (${opt.ops} ops${opt.files ? ', files' : ''}${opt.memory ? ', memory' : ''}), shrunk\n${smallText}`);
        writeFileSync(join(dir, `seed-${seed}.expected.jsonl`), rr.expected);
        writeFileSync(join(dir, `seed-${seed}.actual.jsonl`), rr.actual || '');
        process.stdout.write(`fuzz: saved to ${dir}/seed-${seed}.*\n`);
      }
    }
    if (opt.stop) break;
  }
  progress(i, `${divergences} divergences`);
}
if (tty) process.stderr.write('\n');

const secs = ((Date.now() - t0) / 1000).toFixed(1);
process.stdout.write(
  `fuzz: ${totalOps} ops, ${divergences} divergences` +
    (harnessErrors ? `, ${harnessErrors} scenarios refused by the oracle (generator bug)` : '') +
    ` in ${secs} s${divergentSeeds.length ? ` (seeds ${divergentSeeds.slice(0, 20).join(' ')}${divergentSeeds.length > 20 ? ' ...' : ''})` : ''}\n`,
);
process.exit(divergences || harnessErrors ? 1 : 0);

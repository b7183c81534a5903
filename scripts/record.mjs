#!/usr/bin/env node
// Records the kernel's answers for the conformance corpus.
//
//   npm run record                       every test/conformance/scenarios/**/NAME.jsonl
//   npm run record -- mremap files/      only scenarios whose path contains one of the filters
//   npm run record -- --check            only report which NAME.expected.jsonl would change (exit 1 if any)
//   npm run record -- --twice            run each scenario twice and fail if the outputs differ
//   npm run record -- --force            rewrite files even if only init metadata changed
//
// For each scenario the kernel oracle (tools/kernel-oracle, built by scripts/oracle.mjs) runs it
// and its output is written to NAME.expected.jsonl next to it. An output containing an
// {"error": ...} line (a harness refusal, a dead executor, a timeout) is a bug in the scenario:
// it is reported and the script fails without writing that file.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { findOrBuildOracle, oracleUnavailableReason, runOracle, ROOT } from './oracle.mjs';

const CORPUS_DIRS = ['test/conformance/scenarios'].map((d) => join(ROOT, d));

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node scripts/record.mjs [--check] [--twice] [--force] [--quiet] [PATH-FILTER ...]\n',
  );
  process.exit(code);
}

const args = process.argv.slice(2);
const opt = { check: false, twice: false, force: false, quiet: false, filters: [] };
for (const a of args) {
  if (a === '--check') opt.check = true;
  else if (a === '--twice') opt.twice = true;
  else if (a === '--force') opt.force = true;
  else if (a === '--quiet' || a === '-q') opt.quiet = true;
  else if (a === '--help' || a === '-h') usage(0);
  else if (a.startsWith('-')) usage(2);
  else opt.filters.push(a);
}

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.jsonl') && !e.name.endsWith('.expected.jsonl')) out.push(p);
  }
  return out;
}

function selected(file) {
  if (!opt.filters.length) return true;
  const rel = relative(ROOT, file);
  return opt.filters.some((f) => {
    const abs = resolve(f);
    if (existsSync(abs)) {
      if (abs === file) return true;
      if (statSync(abs).isDirectory() && file.startsWith(abs + sep)) return true;
    }
    return rel.includes(f);
  });
}

// Init members that vary between boots/machines without changing any result of the corpus.
const VOLATILE_INIT = ['kernel', 'mem_total_kb', 'swap_total_kb', 'status', 'smaps'];
function withoutVolatile(text) {
  const lines = text.split('\n');
  try {
    const first = JSON.parse(lines[0]);
    for (const k of VOLATILE_INIT) delete first.init[k];
    if (first.init.sysctl) delete first.init.sysctl['vm.user_reserve_kbytes'];
    if (first.init.sysctl) delete first.init.sysctl['vm.admin_reserve_kbytes'];
    lines[0] = JSON.stringify(first);
  } catch {
    /* compare as is */
  }
  return lines.join('\n');
}

function errorLines(out, scenarioText) {
  const opLines = scenarioText.split('\n').map((l, i) => [i + 1, l]).filter(([, l]) => l.trim() && !l.trim().startsWith('#'));
  const ops = opLines.filter(([, l]) => {
    try {
      return JSON.parse(l).op !== 'init';
    } catch {
      return true;
    }
  });
  const res = [];
  out.split('\n').forEach((l, i) => {
    if (i === 0 || !l.trim()) return;
    let r;
    try {
      r = JSON.parse(l);
    } catch {
      res.push({ op: i - 1, line: null, text: `unparsable output line: ${l}` });
      return;
    }
    if (r && 'error' in r) res.push({ op: i - 1, line: ops[i - 1] ? ops[i - 1][0] : null, src: ops[i - 1] ? ops[i - 1][1] : '', text: r.error });
  });
  return res;
}

function countOps(text) {
  return text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#') && !/"op"\s*:\s*"init"/.test(l)).length;
}

const oracle = findOrBuildOracle();
if (!oracle) {
  process.stderr.write(`record: cannot run the kernel oracle: ${oracleUnavailableReason()}\n`);
  process.exit(2);
}

const files = CORPUS_DIRS.flatMap((d) => walk(d, [])).filter(selected);
if (!files.length) {
  process.stderr.write(`record: no scenarios match ${opt.filters.join(' ') || '(all)'}\n`);
  process.exit(2);
}

const tty = process.stderr.isTTY;
const stats = { total: 0, written: 0, unchanged: 0, changed: 0, created: 0, metaOnly: 0, failed: 0, ops: 0 };
const groups = new Map();
const failures = [];
const changes = [];
let scratchWarned = false;

/** Scenarios in a directory named *-tmpfs run with the scratch directory on tmpfs (/dev/shm). */
function oracleArgs(file) {
  return relative(ROOT, file).split(sep).some((d) => d.endsWith('-tmpfs')) ? ['--scratch-parent', '/dev/shm'] : [];
}
const t0 = Date.now();

for (const [n, file] of files.entries()) {
  const rel = relative(ROOT, file);
  const group = relative(ROOT, file).split(sep).slice(2, -1).join('/');
  groups.set(group, (groups.get(group) || 0) + 1);
  stats.total++;
  if (tty && !opt.quiet) process.stderr.write(`\r[${n + 1}/${files.length}] ${rel}`.padEnd(100).slice(0, 100));
  const text = readFileSync(file, 'utf8');
  stats.ops += countOps(text);
  let out;
  try {
    out = runOracle(text, { oracle, args: oracleArgs(file) });
    if (opt.twice) {
      const again = runOracle(text, { oracle, args: oracleArgs(file) });
      if (withoutVolatile(again) !== withoutVolatile(out)) {
        const a = out.split('\n'), b = again.split('\n');
        const k = a.findIndex((l, i) => i > 0 && l !== b[i]);
        failures.push({ rel, why: `not deterministic: output line ${k} differs between two runs:\n    ${a[k]}\n    ${b[k]}` });
        stats.failed++;
        continue;
      }
    }
  } catch (e) {
    failures.push({ rel, why: `oracle failed: ${e.message}` });
    stats.failed++;
    continue;
  }
  const init = JSON.parse(out.slice(0, out.indexOf('\n'))).init;
  const wantTmpfs = oracleArgs(file).length > 0;
  if (wantTmpfs && init?.scratch?.fs !== 'tmpfs') {
    failures.push({ rel, why: `recorded on ${init?.scratch?.fs}, not tmpfs (is /dev/shm a tmpfs?)` });
    stats.failed++;
    continue;
  }
  if (!wantTmpfs && init?.scratch?.fs && init.scratch.fs !== 'ext4' && !scratchWarned) {
    scratchWarned = true;
    process.stderr.write(`\nrecord: WARNING: the scratch dir is on ${init.scratch.fs}, not ext4: file placement will differ (set TMPDIR)\n`);
  }
  const errs = errorLines(out, text);
  if (errs.length) {
    failures.push({
      rel,
      why: errs.map((e) => `op ${e.op}${e.line ? ` (line ${e.line})` : ''}: {"error": ${JSON.stringify(e.text)}}${e.src ? `\n      ${e.src.trim().slice(0, 160)}` : ''}`).join('\n    '),
    });
    stats.failed++;
    continue;
  }
  const expFile = file.replace(/\.jsonl$/, '.expected.jsonl');
  const old = existsSync(expFile) ? readFileSync(expFile, 'utf8') : null;
  let state;
  if (old === null) state = 'created';
  else if (old === out) state = 'unchanged';
  else if (withoutVolatile(old) === withoutVolatile(out)) state = opt.force ? 'changed' : 'metaOnly';
  else state = 'changed';
  stats[state]++;
  if (state === 'created' || state === 'changed') {
    if (state === 'changed') {
      const a = old.split('\n'), b = out.split('\n');
      const k = a.findIndex((l, i) => l !== b[i]);
      changes.push({ rel, line: k, old: a[k], now: b[k] });
    } else changes.push({ rel, line: null });
    if (!opt.check) {
      writeFileSync(expFile, out);
      stats.written++;
    }
  }
}
if (tty && !opt.quiet) process.stderr.write('\r'.padEnd(101) + '\r');

const log = (s) => process.stdout.write(s + '\n');
if (changes.length) {
  log(opt.check ? 'would change:' : 'written:');
  for (const c of changes) {
    if (c.line === null) log(`  new      ${c.rel}`);
    else log(`  changed  ${c.rel} (output line ${c.line})\n      was: ${String(c.old).slice(0, 200)}\n      now: ${String(c.now).slice(0, 200)}`);
  }
}
if (failures.length) {
  process.stderr.write(`\n${'!'.repeat(78)}\nrecord: ${failures.length} scenario(s) FAILED (nothing written for them):\n`);
  for (const f of failures) process.stderr.write(`  ${f.rel}\n    ${f.why}\n`);
  process.stderr.write(`${'!'.repeat(78)}\n`);
}
log(`groups: ${[...groups].map(([g, k]) => `${g} ${k}`).join(', ')}`);
log(
  `record: ${stats.total} scenarios, ${stats.ops} ops in ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
    `${stats.created} new, ${stats.changed} changed, ${stats.unchanged} unchanged` +
    (stats.metaOnly ? `, ${stats.metaOnly} differing only in init metadata (kept; --force rewrites)` : '') +
    `, ${stats.failed} failed` +
    (opt.check ? ' (--check: nothing written)' : `; ${stats.written} files written`),
);
if (failures.length) process.exit(1);
if (opt.check && (stats.created || stats.changed)) process.exit(1);

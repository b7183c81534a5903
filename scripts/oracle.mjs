// Helpers shared by scripts/record.mjs and scripts/fuzz.mjs (Node ESM, no dependencies).
//
//   findOrBuildOracle()      -> absolute path of the kernel-oracle binary, or null
//   runOracle(scenarioText)  -> the oracle's output (init record + one line per op)
//   compareOutputs(exp, act) -> the first divergence between two outputs (spec/scenario.md §8)
//
// The oracle (tools/kernel-oracle, vendored C sources) runs a scenario on the real kernel of
// this machine. It only exists on Linux x86-64 with gcc and make; everywhere else
// findOrBuildOracle() returns null and callers skip what needs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ORACLE_SRC = join(ROOT, 'tools', 'kernel-oracle');
export const ORACLE_BUILD = join(ROOT, '.oracle-build');

let cached; // undefined: not looked yet; null: unavailable; string: path
let whyNot = '';

/** Why the last findOrBuildOracle() returned null (for skip messages). */
export function oracleUnavailableReason() {
  return whyNot;
}

function isExecutable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function hasTool(name) {
  try {
    const r = spawnSync(name, ['--version'], { stdio: 'ignore', timeout: 20000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

function newestSourceMtime() {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ORACLE_SRC, 'src'));
  newest = Math.max(newest, statSync(join(ORACLE_SRC, 'Makefile')).mtimeMs);
  return newest;
}

/** Runs an empty scenario: does the oracle work on this machine (pidfd, personality, ...)? */
function probe(bin) {
  try {
    const r = spawnSync(bin, ['-'], { input: '', encoding: 'utf8', timeout: 30000, maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      whyNot = `kernel-oracle does not run here (exit ${r.status}): ${String(r.stderr || r.error || '').trim()}`;
      return false;
    }
    const first = JSON.parse(r.stdout.split('\n')[0]);
    if (!first || !first.init) {
      whyNot = 'kernel-oracle printed no init record';
      return false;
    }
    return true;
  } catch (e) {
    whyNot = `kernel-oracle does not run here: ${e && e.message ? e.message : e}`;
    return false;
  }
}

/**
 * Path of a working kernel-oracle binary, or null. Uses $VMSPACE_ORACLE if set; otherwise builds
 * tools/kernel-oracle into .oracle-build/ (ignored by git) when the sources are newer than the
 * binaries. Never throws; `oracleUnavailableReason()` says why it returned null.
 */
export function findOrBuildOracle({ quiet = false } = {}) {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const env = process.env.VMSPACE_ORACLE;
    if (env) {
      if (isExecutable(env) && probe(env)) cached = resolve(env);
      else if (!whyNot) whyNot = `$VMSPACE_ORACLE=${env} is not an executable kernel-oracle`;
      return cached;
    }
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      whyNot = `the kernel oracle needs Linux x86-64 (this is ${process.platform}/${process.arch})`;
      return cached;
    }
    if (!existsSync(join(ORACLE_SRC, 'Makefile'))) {
      whyNot = `no oracle sources in ${ORACLE_SRC}`;
      return cached;
    }
    const bin = join(ORACLE_BUILD, 'kernel-oracle');
    const exe = join(ORACLE_BUILD, 'oracle-exec');
    const fresh =
      isExecutable(bin) &&
      isExecutable(exe) &&
      Math.min(statSync(bin).mtimeMs, statSync(exe).mtimeMs) >= newestSourceMtime();
    if (!fresh) {
      if (!hasTool('make') || !hasTool('gcc')) {
        whyNot = 'building the kernel oracle needs gcc and make';
        return cached;
      }
      mkdirSync(ORACLE_BUILD, { recursive: true });
      if (!quiet) process.stderr.write('building tools/kernel-oracle into .oracle-build/ ...\n');
      const r = spawnSync('make', ['-C', ORACLE_SRC, `BUILD=${ORACLE_BUILD}`, 'all'], {
        encoding: 'utf8',
        timeout: 300000,
      });
      if (r.status !== 0 || !isExecutable(bin) || !isExecutable(exe)) {
        whyNot = `building the kernel oracle failed:\n${String(r.stdout || '')}${String(r.stderr || r.error || '')}`;
        return cached;
      }
    }
    if (probe(bin)) cached = bin;
  } catch (e) {
    cached = null;
    whyNot = `kernel oracle unavailable: ${e && e.message ? e.message : e}`;
  }
  return cached;
}

/**
 * Runs one scenario (JSON-lines text) on the kernel oracle and returns its stdout: the init
 * record, then one result line per op. Throws if there is no oracle or the scenario is
 * malformed (oracle exit status 2); a harness failure (exit status 3) still returns the output,
 * which then ends with an {"error": ...} line.
 * opts: { oracle: path, args: [extra oracle options], timeoutMs }
 */
export function runOracle(scenarioText, opts = {}) {
  const bin = opts.oracle || findOrBuildOracle();
  if (!bin) throw new Error(`no kernel oracle: ${whyNot}`);
  const r = spawnSync(bin, [...(opts.args || []), '-'], {
    input: scenarioText,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: opts.timeoutMs || 600000,
  });
  if (r.error) throw r.error;
  if (r.status === 0 || r.status === 3) return r.stdout;
  const err = new Error(`kernel-oracle exit status ${r.status}: ${String(r.stderr).trim()}`);
  err.status = r.status;
  err.stderr = r.stderr;
  throw err;
}

// ---- comparing outputs (spec/scenario.md §8) --------------------------------------------------

/**
 * RSS-like numbers of status/smaps/smaps_rollup: compared loosely (§8.1). VmPTE and AnonHugePages
 * are compared exactly, as in scenario/compare.ts (page tables and huge PMDs are modelled).
 */
export const RSS_LIKE = new Set([
  'VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem', 'Rss', 'Pss', 'Pss_Dirty', 'Pss_Anon',
  'Pss_File', 'Pss_Shmem', 'Shared_Clean', 'Shared_Dirty', 'Private_Clean', 'Private_Dirty',
  'Referenced', 'Anonymous', 'LazyFree',
]);
const isRssLike = (k) => RSS_LIKE.has(k) || k.startsWith('Pss') || k.startsWith('Shared_') || k.startsWith('Private_');

function stable(v) {
  return JSON.stringify(v, (k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]]))
      : x,
  );
}

function dictDiff(exp, act, loose, where) {
  const keys = new Set([...Object.keys(exp || {}), ...Object.keys(act || {})]);
  for (const k of keys) {
    if (loose && isRssLike(k)) {
      // Loose: both must have the key and both be numbers.
      if (typeof (exp || {})[k] !== typeof (act || {})[k]) return `${where}${k}: ${stable(exp?.[k])} vs ${stable(act?.[k])}`;
      continue;
    }
    if (stable((exp || {})[k]) !== stable((act || {})[k])) return `${where}${k}: expected ${stable(exp?.[k])}, got ${stable(act?.[k])}`;
  }
  return null;
}

/**
 * Compares one result line (parsed JSON) of the expected and actual outputs.
 * Returns null when they agree, else a short description. `loose`: RSS-like numbers only need
 * to be present on both sides. An expected {"error"} is never compared (returns 'stop').
 */
export function compareResult(exp, act, { loose = true } = {}) {
  if (exp && 'error' in exp) return 'stop';
  if (!act || typeof act !== 'object') return `expected ${stable(exp)}, got nothing`;
  if ('error' in act) return `runner error: ${act.error}`;
  if ('skip' in exp || 'skip' in act) return 'skip' in exp && 'skip' in act ? null : `expected ${stable(exp)}, got ${stable(act)}`;
  for (const k of ['maps']) {
    if (k in exp || k in act) {
      const e = exp[k] || [], a = act[k] || [];
      if (!(k in act) || !(k in exp)) return `expected ${stable(exp)}, got ${stable(act)}`;
      for (let i = 0; i < Math.max(e.length, a.length); i++)
        if (e[i] !== a[i]) return `maps line ${i}: expected ${JSON.stringify(e[i] ?? null)}, got ${JSON.stringify(a[i] ?? null)}`;
      return null;
    }
  }
  if ('status' in exp || 'smaps_rollup' in exp) {
    const k = 'status' in exp ? 'status' : 'smaps_rollup';
    if (!(k in act)) return `expected ${k}, got ${stable(act)}`;
    return dictDiff(exp[k], act[k], loose, `${k}.`);
  }
  if ('smaps' in exp) {
    if (!('smaps' in act)) return `expected smaps, got ${stable(act)}`;
    const e = exp.smaps, a = act.smaps;
    if (e.length !== a.length) return `smaps: expected ${e.length} VMAs, got ${a.length}`;
    for (let i = 0; i < e.length; i++) {
      const d = dictDiff(e[i], a[i], loose, `smaps[${i}] ${e[i].line}: `);
      if (d) return d;
    }
    return null;
  }
  const keys = new Set([...Object.keys(exp), ...Object.keys(act)]);
  for (const k of keys) if (stable(exp[k]) !== stable(act[k])) return `expected ${stable(exp)}, got ${stable(act)}`;
  return null;
}

/**
 * Compares two whole outputs (text). The init line is compared on `maps` only.
 * Returns null, or { line, index, reason } for the first divergence (index = op index, -1 = init).
 */
export function compareOutputs(expectedText, actualText, opts = {}) {
  const parse = (t) => t.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return { error: `unparsable line: ${l.slice(0, 200)}` };
    }
  });
  const e = parse(expectedText), a = parse(actualText);
  if (!e.length) return { line: 0, index: -1, reason: 'empty expected output' };
  if (!a.length) return { line: 0, index: -1, reason: 'empty actual output' };
  const ei = e[0].init, ai = a[0].init;
  if (!ai) return { line: 0, index: -1, reason: `actual output does not start with an init record: ${stable(a[0]).slice(0, 200)}` };
  const d0 = compareResult({ maps: ei?.maps || [] }, { maps: ai.maps || [] }, opts);
  if (d0) return { line: 0, index: -1, reason: `init ${d0}` };
  for (let i = 1; i < e.length; i++) {
    const d = compareResult(e[i], a[i], opts);
    if (d === 'stop') return null;
    if (d) return { line: i, index: i - 1, reason: d };
  }
  if (a.length > e.length) return { line: e.length, index: e.length - 1, reason: `extra output lines: ${stable(a[e.length]).slice(0, 200)}` };
  return null;
}

/** The scenario line that makes the init record of `expectedText` an input op. */
export function initOpLine(expectedText) {
  const nl = expectedText.indexOf('\n');
  const first = JSON.parse(nl < 0 ? expectedText : expectedText.slice(0, nl));
  return JSON.stringify({ op: 'init', ...first.init });
}

/**
 * Recorded conformance fixtures: every test/conformance/scenarios/**\/NAME.jsonl with a
 * NAME.expected.jsonl (the kernel oracle's output) beside it runs on vmspace from the recorded
 * start state (the expected init record, given as the `init` op), with invariants checked after
 * every op, and is compared with the expected output (spec/scenario.md §8). No oracle needed.
 *
 * known-divergences.json is the ledger of accepted differences: entries
 * `{"scenario": "dir/name.jsonl", "reason": "...", "mode"?: "fails" | "skip"}` turn that test
 * into `it.fails` (it must still fail: a fixed divergence shows up as a failure to clean the
 * ledger) or `it.skip`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareOutputs, formatDivergence } from '../../scenario/compare.js';
import { parseScenario } from '../../scenario/parse.js';
import { formatOutput } from '../../scenario/format.js';
import { ScenarioRunError, runScenario } from '../../scenario/run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = join(HERE, 'scenarios');
const LEDGER = join(HERE, 'known-divergences.json');
/** Divergences shown in a failure message. */
const SHOW = 5;
/**
 * RSS-like values are compared everywhere: every VMA's smaps, the oracle executor's own
 * (scenario/executor-model.ts), status and smaps_rollup totals; VmHWM alone is not
 * (compare.ts 'exact' mode: the kernel's lags the true peak in 32-page steps, not modelled).
 */
const RSS_MODE = 'exact' as const;

interface LedgerEntry {
  scenario: string;
  reason: string;
  mode?: 'fails' | 'skip';
}

function findScenarios(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findScenarios(p));
    else if (name.endsWith('.jsonl') && !name.endsWith('.expected.jsonl') && existsSync(expectedOf(p))) out.push(p);
  }
  return out;
}

const expectedOf = (p: string): string => p.replace(/\.jsonl$/, '.expected.jsonl');
const relName = (p: string): string => relative(SCENARIOS, p).split(sep).join('/');

function readLedger(): LedgerEntry[] {
  const v = JSON.parse(readFileSync(LEDGER, 'utf8')) as unknown;
  if (!Array.isArray(v)) throw new Error(`${LEDGER}: expected an array of {scenario, reason}`);
  for (const e of v) {
    if (typeof e?.scenario !== 'string' || typeof e?.reason !== 'string' || (e.mode !== undefined && e.mode !== 'fails' && e.mode !== 'skip')) {
      throw new Error(`${LEDGER}: bad entry ${JSON.stringify(e)} (want {"scenario", "reason", "mode"?: "fails"|"skip"})`);
    }
  }
  return v as LedgerEntry[];
}

const sameScenario = (entry: string, rel: string): boolean =>
  entry === rel || entry === rel.replace(/\.jsonl$/, '') || entry === `scenarios/${rel}`;

/** A cheap count of a scenario's op lines (for test names). */
function countOps(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter((l) => /^\s*\{/.test(l)).length;
}

/** The scenario's first comment line (what it is about), for failure messages. */
function commentOf(text: string): string {
  return text.split('\n').find((l) => l.trimStart().startsWith('#'))?.trim() ?? '(no comment line)';
}

/**
 * Invariants are checked after every op, except in scenarios of thousands of ops (a full check
 * per op is quadratic there: limits/max-map-count has 32,000 ops over 65,000 VMAs): then after
 * every n-th op, about 100 times in all, and at the end.
 */
const strideFor = (nops: number): number => (nops > 2000 ? Math.ceil(nops / 100) : 1);

/** Runs one fixture; throws with a readable message on any divergence. */
function checkFixture(file: string): void {
  const rel = relName(file);
  const text = readFileSync(file, 'utf8');
  const expected = readFileSync(expectedOf(file), 'utf8');
  const comment = commentOf(text);
  const first = JSON.parse(expected.split('\n', 1)[0]) as { init?: Record<string, unknown> };
  if (!first.init) throw new Error(`${rel}: the expected output does not start with an init record`);
  // The recorded start state becomes the scenario's init op (unless the scenario has its own).
  const prepend = parseScenario(text).init === undefined;
  const input = prepend ? `${JSON.stringify({ op: 'init', ...first.init })}\n${text}` : text;
  const parsed = parseScenario(input);
  let actual: string;
  try {
    const run = runScenario(parsed, { checkInvariants: true, invariantStride: strideFor(parsed.ops.length) });
    actual = formatOutput(run.init, run.results);
    run.system?.checkFrames();
  } catch (e) {
    if (e instanceof ScenarioRunError) throw new Error(`${rel}\n${comment}\n${e.message}`, { cause: e });
    throw e;
  }
  // Line numbers in messages are the scenario file's.
  const fileLines = text.split('\n');
  const divergences = compareOutputs(expected, actual, { ops: parsed.ops, limit: 50, rss: RSS_MODE })
    .map((d) => (d.line !== undefined && prepend ? { ...d, line: d.line - 1 } : d));
  if (divergences.length) {
    const n = divergences.length >= 50 ? '50+' : String(divergences.length);
    throw new Error([
      `${rel}: ${n} divergence(s) from the kernel`, comment,
      ...divergences.slice(0, SHOW).map((d) => {
        const src = d.line !== undefined ? fileLines[d.line - 1]?.trim() : undefined;
        return formatDivergence(d) + (src ? `\n    input: ${src.length > 200 ? src.slice(0, 200) + '...' : src}` : '');
      }),
      ...(divergences.length > SHOW ? [`... and ${divergences.length - SHOW} more`] : []),
    ].join('\n'));
  }
}

const ledger = readLedger();
const files = findScenarios(SCENARIOS);

describe('conformance fixtures', () => {
  if (files.length === 0) {
    it.skip('no recorded scenarios yet (test/conformance/scenarios/**/NAME.jsonl + NAME.expected.jsonl)', () => {});
  }
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const d = dirname(relName(f));
    byDir.set(d, [...(byDir.get(d) ?? []), f]);
  }
  for (const [dir, list] of byDir) {
    describe(dir, () => {
      for (const file of list) {
        const rel = relName(file);
        const nops = countOps(file);
        const name = strideFor(nops) > 1 ? `${rel} (invariants every ${strideFor(nops)} ops)` : rel;
        const entry = ledger.find((e) => sameScenario(e.scenario, rel));
        if (entry?.mode === 'skip') it.skip(`${name} [skipped: ${entry.reason}]`, () => checkFixture(file));
        else if (entry) it.fails(`${name} [known divergence: ${entry.reason}]`, () => checkFixture(file));
        else it(name, () => checkFixture(file));
      }
    });
  }

  it('known-divergences.json names only existing scenarios', () => {
    const rels = files.map(relName);
    const stale = ledger.filter((e) => !rels.some((r) => sameScenario(e.scenario, r)));
    expect(stale, 'ledger entries for scenarios that do not exist (or have no .expected.jsonl)').toEqual([]);
  });
});

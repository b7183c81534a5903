/**
 * Live conformance: a handful of scenarios run on the real kernel (tools/kernel-oracle, through
 * scripts/oracle.mjs) and on vmspace from the oracle's start state, then compared
 * (spec/scenario.md §8). Also checks that both runners reject bad scenarios with the same line
 * and message, and report bad lines in stream mode the same way.
 *
 * Runs only with VMSPACE_LIVE=1 (so `npm test` stays hermetic) and only where the oracle can be
 * built (Linux x86-64 with gcc and make); otherwise every test is skipped with the reason.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareOutputs, formatDivergence } from '../../scenario/compare.js';
import { ScenarioError, parseScenario } from '../../scenario/parse.js';
import { ScenarioStream, runScenarioText } from '../../scenario/run.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SCENARIOS = join(HERE, 'scenarios');
/** Recorded scenarios run live: the first of each directory, at most this many. */
const MAX_RECORDED = 8;

interface OracleModule {
  findOrBuildOracle(opts?: { quiet?: boolean }): string | null;
  oracleUnavailableReason?(): string;
  runOracle(text: string, opts?: { args?: string[] }): string | Promise<string>;
}

async function loadOracle(): Promise<{ oracle?: OracleModule; why: string }> {
  if (process.env.VMSPACE_LIVE !== '1') return { why: 'live oracle tests run only with VMSPACE_LIVE=1' };
  const script = join(ROOT, 'scripts', 'oracle.mjs');
  if (!existsSync(script)) return { why: 'scripts/oracle.mjs is missing' };
  const oracle = (await import(pathToFileURL(script).href)) as OracleModule;
  if (!oracle.findOrBuildOracle({ quiet: true })) {
    return { why: `kernel oracle unavailable: ${oracle.oracleUnavailableReason?.() || 'unknown reason'}` };
  }
  return { oracle, why: '' };
}

const { oracle, why } = await loadOracle();

/** The example of spec/scenario.md §9 plus a few steps that exercise maps, smaps and status. */
const EXAMPLE = [
  '# spec/scenario.md §9, without the store (memory accesses are not built yet)',
  '{"op":"mmap","len":"0x3000","prot":"PROT_READ|PROT_WRITE","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}',
  '{"op":"mprotect","addr":"$0+0x1000","len":"0x1000","prot":"PROT_READ"}',
  '{"op":"munmap","addr":"$0+0x1","len":"0x1000"}',
  '{"op":"maps"}',
  '{"op":"mprotect","addr":"$0+0x1000","len":"0x1000","prot":"PROT_READ|PROT_WRITE"}',
  '{"op":"maps"}',
  '{"op":"brk","addr":"0x0"}',
  '{"op":"brk","addr":"$6+0x21000"}',
  '{"op":"mincore","addr":"$0","len":"0x3000"}',
  '{"op":"smaps","fields":["Size","VmFlags"]}',
  '{"op":"status"}',
].join('\n') + '\n';

function recorded(): Array<[string, string]> {
  if (!existsSync(SCENARIOS)) return [];
  const out: Array<[string, string]> = [];
  for (const d of readdirSync(SCENARIOS).sort()) {
    const dir = join(SCENARIOS, d);
    if (!statSync(dir).isDirectory()) continue;
    const first = readdirSync(dir).sort().find((n) => n.endsWith('.jsonl') && !n.endsWith('.expected.jsonl'));
    if (first) out.push([relative(SCENARIOS, join(dir, first)).split(sep).join('/'), readFileSync(join(dir, first), 'utf8')]);
    if (out.length >= MAX_RECORDED) break;
  }
  return out;
}

function initOp(expected: string): string {
  const first = JSON.parse(expected.split('\n', 1)[0]) as { init: Record<string, unknown> };
  return JSON.stringify({ op: 'init', ...first.init });
}

describe('live: vmspace against the kernel oracle', () => {
  if (!oracle) {
    it.skip(`skipped: ${why}`, () => {});
    return;
  }

  const cases: Array<[string, string]> = [['spec §9 example', EXAMPLE], ...recorded()];
  for (const [name, text] of cases) {
    it(name, async () => {
      const expected = await oracle.runOracle(text);
      const input = `${initOp(expected)}\n${text}`;
      const actual = runScenarioText(input, { checkInvariants: true });
      const d = compareOutputs(expected, actual, { ops: parseScenario(input).ops });
      expect(d.map(formatDivergence).join('\n'), `${name} diverges from the kernel`).toBe('');
    }, 60_000);
  }

  it('rejects the same bad scenarios with the same line and message', async () => {
    const bad = [
      '{"op":"mmapx"}',
      '{"op":"maps"}\n{"op":"munmap","addr":"$0","len":"0x1000"}',
      '{"op":"munmap","addr":"0x1000","len":"4096"}',
      '{"op":"fork"}\n{"op":"exit","pid":1}\n{"op":"maps","pid":1}',
      '{"op":"mprotect","addr":"0x1000","len":"0x1000","prot":"PROT_READ","typo":1}',
      '\n# c\n{"op":"maps",}',
    ];
    for (const text of bad) {
      let oracleSays = '';
      try {
        await oracle.runOracle(text);
      } catch (e) {
        oracleSays = String((e as { stderr?: string }).stderr ?? '').trim().replace(/^kernel-oracle: <stdin>:/, '');
      }
      let weSay = '';
      try {
        parseScenario(text);
      } catch (e) {
        if (e instanceof ScenarioError) weSay = `${e.line}: ${e.detail}`;
        else throw e;
      }
      expect(weSay, text).toBe(oracleSays);
    }
  }, 60_000);

  it('reports bad lines in stream mode as the oracle does', async () => {
    const text = [
      '{"op":"mmap","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}',
      '{"op":"bogus"}',
      '{"op":"munmap","addr":"$1","len":"0x1000"}',
      '{"op":"munmap","addr":"$0","len":"0x1000"}',
      '{"op":"maps"}',
    ].join('\n') + '\n';
    // Both runners get the same lines (the oracle's start state first), so line numbers agree.
    const input = `${initOp(await oracle.runOracle(text, { args: ['--stream'] }))}\n${text}`;
    const expected = await oracle.runOracle(input, { args: ['--stream'] });
    const s = new ScenarioStream({ checkInvariants: true });
    const ours = [...s.pushText(input), ...s.end()];
    const errorsOf = (lines: string[]) => lines.filter((l) => l.startsWith('{"error"'));
    expect(errorsOf(ours)).toEqual(errorsOf(expected.trimEnd().split('\n')));
    const d = compareOutputs(expected, ours.map((l) => JSON.parse(l) as unknown));
    expect(d.map(formatDivergence).join('\n')).toBe('');
  }, 60_000);
});

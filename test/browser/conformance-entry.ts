/**
 * The conformance corpus as a browser program: each scenario runs on the recorded start state
 * with invariants checked, and its output is compared with the kernel's recording exactly as
 * test/conformance/fixtures.test.ts does in Node. conformance.test.ts bundles this for Chromium.
 */
import { compareOutputs } from '../../scenario/compare.js';
import { parseScenario } from '../../scenario/parse.js';
import { runScenarioText } from '../../scenario/run.js';

export interface Case {
  name: string;
  scenario: string;
  expected: string;
}

/** Divergences per case ('' when it agrees with the kernel), or the error it threw. */
export function runCases(cases: Case[]): string[] {
  return cases.map((c) => {
    try {
      const first = JSON.parse(c.expected.split('\n', 1)[0]) as { init: Record<string, unknown> };
      const prepend = parseScenario(c.scenario).init === undefined;
      const input = prepend ? `${JSON.stringify({ op: 'init', ...first.init })}\n${c.scenario}` : c.scenario;
      const parsed = parseScenario(input);
      const n = parsed.ops.length;
      const actual = runScenarioText(input, { checkInvariants: true, invariantStride: n > 2000 ? Math.ceil(n / 100) : 1 });
      const ds = compareOutputs(c.expected, actual, { ops: parsed.ops, limit: 5, rss: 'exact' });
      return ds.length === 0 ? '' : `${ds.length} divergences: ${JSON.stringify(ds[0])}`;
    } catch (e) {
      return `threw: ${e instanceof Error ? e.message : String(e)}`;
    }
  });
}

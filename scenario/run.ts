/**
 * The scenario runner: parse, build the system from the init record, execute, print
 * (spec/scenario.md §7). See execute.ts for what each op does.
 */
import { createSystem, type System } from '../src/kernel/system.js';
import { OpExecutor } from './execute.js';
import { formatResult } from './format.js';
import {
  ScenarioParser, parseScenario, splitLines, type InitRecord, type Op, type ParsedScenario,
} from './parse.js';
import type { OpResult } from './format.js';

export { OpExecutor, ScenarioRunError } from './execute.js';
export type { OpResult } from './format.js';

export interface RunOptions {
  /** Check the task's invariants after every op (default true). */
  checkInvariants?: boolean;
  /**
   * Check them after every `invariantStride`-th op only, and once more at the end (default 1:
   * every op). For scenarios of tens of thousands of ops, where a full check per op is quadratic.
   */
  invariantStride?: number;
  /** Run on this system instead of one built from the scenario's init record. */
  system?: System;
}

/** What a run produced: the init record, one result per op, and the system it ran on. */
export interface ScenarioRun {
  readonly init: Record<string, unknown>;
  readonly results: OpResult[];
  readonly system: System;
}

/**
 * Runs checked ops. The system is `opts.system`, or one built from the scenario's init record
 * (the default start state without one).
 */
export function runScenario(scenario: ParsedScenario | readonly Op[], opts: RunOptions = {}): ScenarioRun {
  const parsed: ParsedScenario = Array.isArray(scenario) ? { ops: scenario } : (scenario as ParsedScenario);
  const system = opts.system ?? createSystem(parsed.init === undefined ? undefined : { init: parsed.init });
  const exec = new OpExecutor(system, opts.checkInvariants ?? true, opts.invariantStride ?? 1);
  const results = parsed.ops.map((op) => exec.run(op));
  exec.finish();
  return { init: exec.init, results, system };
}

/**
 * Runs scenario text and returns the whole output: the init record line, then one line per op,
 * each newline-terminated. Throws ScenarioError for a bad scenario (nothing runs) and
 * ScenarioRunError when an invariant breaks.
 */
export function runScenarioText(text: string, opts: RunOptions = {}): string {
  const parsed = parseScenario(text);
  const system = opts.system ?? createSystem(parsed.init === undefined ? undefined : { init: parsed.init });
  const exec = new OpExecutor(system, opts.checkInvariants ?? true, opts.invariantStride ?? 1);
  for (const op of parsed.ops) exec.run(op);
  exec.finish();
  return exec.output.join('\n') + '\n';
}

/**
 * Streaming mode (spec 7.1): each line runs as soon as it is read; a bad line gets
 * `{"error":"scenario: line N: ..."}`, takes an op index, and the run goes on. The init record
 * is printed when the first line that is not blank or a comment arrives (it may be the `init`
 * op that decides the start state), or at the end.
 */
export class ScenarioStream {
  private readonly parser = new ScenarioParser();
  private exec: OpExecutor | undefined;
  private lineno = 0;

  constructor(
    private readonly opts: RunOptions & {
      /** Called with each bad line's number and message (for a diagnostic on stderr). */
      onBadLine?: (line: number, message: string) => void;
    } = {},
  ) {}

  private start(init?: InitRecord): string[] {
    const system = this.opts.system ?? createSystem(init === undefined ? undefined : { init });
    this.exec = new OpExecutor(system, this.opts.checkInvariants ?? true, this.opts.invariantStride ?? 1);
    return [this.exec.output[0]];
  }

  /** Feeds one input line; returns the output lines it produced (without newlines). */
  push(line: string): string[] {
    const lineno = ++this.lineno;
    const r = this.parser.parseLine(line, lineno);
    if (r.kind === 'ignore') return [];
    const out = this.exec ? [] : this.start(r.kind === 'init' ? r.init : undefined);
    const exec = this.exec!;
    if (r.kind === 'init') return out;
    if (r.kind === 'error') {
      const msg = `scenario: line ${lineno}: ${r.message}`;
      this.opts.onBadLine?.(lineno, r.message);
      exec.noRet(this.parser.skipIndex());
      const l = formatResult({ error: msg });
      exec.output.push(l);
      out.push(l);
      return out;
    }
    exec.run(r.op);
    out.push(exec.output[exec.output.length - 1]);
    return out;
  }

  /** Feeds a chunk of text that holds whole lines. */
  pushText(text: string): string[] {
    return splitLines(text).flatMap((l) => this.push(l));
  }

  /** Ends the input: the init record if nothing was printed yet. */
  end(): string[] {
    if (!this.exec) return this.start();
    this.exec.finish();
    return [];
  }
}

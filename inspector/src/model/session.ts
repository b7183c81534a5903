/**
 * A scenario being inspected: the parsed ops and a simulated system positioned after the first
 * `step` of them. Step k means "ops 0..k-1 have run"; step 0 is the start state.
 *
 * Stepping forward runs the next ops on the live system; stepping back re-runs from a fresh
 * system up to the wanted step. The engine is deterministic, so a re-run reaches exactly the
 * state the forward walk had (no snapshot of the whole system is kept), and each result line is
 * the runner's own output (OpExecutor, as `vmspace run` prints it).
 */
import { createSystem, type System, type Task } from '../../../src/index.js';
import { OpExecutor, ScenarioRunError } from '../../../scenario/run.js';
import { parseScenario, type Op, type ParsedScenario } from '../../../scenario/parse.js';
import type { OpResult } from '../../../scenario/format.js';
import { capturePages, diffPages, type PageCapture, type PageDiff } from './page-diff.js';
import { ProcessHistory, type ProcessNode } from './process-history.js';
import { diffVmas, type VmaChange } from './vma-diff.js';
import { vmaRows, type VmaRow } from './vma-row.js';

/**
 * Invariants are checked after every op, as the runner does by default, unless the scenario is
 * long: then every STRIDE-th op (a full check per op is quadratic near max_map_count).
 */
const LONG_SCENARIO = 2000;
const STRIDE = 1000;

/** What changed in the op's process during one step. */
export interface StepDiff {
  pid: number;
  vmas: VmaChange[];
  pages: PageDiff;
  /** Processes created or ended by the op (fork, exit). */
  processes: string[];
}

export class Session {
  readonly parsed: ParsedScenario;
  /** The scenario's source lines (an op's `line` is 1-based into them). */
  readonly sourceLines: string[];
  private system!: System;
  private exec!: OpExecutor;
  private history!: ProcessHistory;
  private results: OpResult[] = [];
  /** Results of every op run so far in any walk: a re-run gives the same, so they outlive it. */
  private readonly seen: OpResult[] = [];
  private pos = 0;
  /** Set when an op broke an invariant or crashed: the run cannot go past that op. */
  failure: ScenarioRunError | undefined;
  /** The diff of the op that led to the current step (undefined at step 0). */
  lastDiff: StepDiff | undefined;
  /** The step lastDiff belongs to (0: none). */
  private diffStep = 0;

  /** Throws ScenarioError for a bad scenario, as the runner does: nothing runs. */
  constructor(readonly text: string) {
    this.parsed = parseScenario(text);
    this.sourceLines = text.split('\n');
    this.reset();
  }

  get ops(): readonly Op[] {
    return this.parsed.ops;
  }

  /** The step the system is at. */
  get step(): number {
    return this.pos;
  }

  /** The last step: every op run (a failing op stops a walk before it; see failure). */
  get lastStep(): number {
    return this.ops.length;
  }

  private reset(): void {
    const init = this.parsed.init;
    this.system = createSystem(init === undefined ? {} : { init });
    const stride = this.ops.length > LONG_SCENARIO ? STRIDE : 1;
    this.exec = new OpExecutor(this.system, true, stride);
    this.history = new ProcessHistory();
    this.results = [];
    this.pos = 0;
    this.failure = undefined;
    this.lastDiff = undefined;
    this.diffStep = 0;
  }

  /** Runs op `pos`; false when it failed (an invariant broke or the engine threw). */
  private runOne(): boolean {
    const op = this.ops[this.pos];
    try {
      const r = this.exec.run(op);
      this.results.push(r);
      this.seen[this.pos] = r;
      this.history.record(op, r);
      this.pos++;
      return true;
    } catch (e) {
      if (!(e instanceof ScenarioRunError)) throw e;
      this.failure = e;
      return false;
    }
  }

  /**
   * Moves to step k (clamped to 0..lastStep): forward by running ops, back by re-running from the
   * start. The op that leads into step k runs last, with its process captured before and after.
   */
  goTo(k: number): void {
    const target = Math.max(0, Math.min(this.lastStep, Math.floor(k)));
    if (target === this.pos && this.diffStep === target && !this.failure) return;
    // Back, or at the step without its diff (the walk that got here failed later): re-run.
    if (target <= this.pos || this.failure) this.reset();
    while (this.pos < target - 1) if (!this.runOne()) return;
    if (this.pos === target - 1) this.runTraced();
  }

  /** Runs one op, recording what it changed in its process (VMAs, pages, processes). */
  private runTraced(): void {
    const op = this.ops[this.pos];
    const task = this.system.task(op.pid);
    const beforeRows = task ? vmaRows(task) : [];
    const beforePages: PageCapture = task ? capturePages(task, beforeRows) : new Map();
    const alive = new Set(this.system.tasks().map((t) => t.label));
    if (!this.runOne()) return;
    const after = this.system.task(op.pid);
    const afterRows = after ? vmaRows(after) : [];
    const processes: string[] = [];
    for (const t of this.system.tasks()) {
      if (!alive.has(t.label)) processes.push(`process ${t.label} created (fork of ${op.pid}): ${vmaRows(t).length - 1} VMAs`);
    }
    for (const label of alive) {
      if (!this.system.task(label)) processes.push(`process ${label} exited: its address space was released`);
    }
    this.diffStep = this.pos;
    this.lastDiff = {
      pid: op.pid,
      vmas: diffVmas(beforeRows, afterRows),
      pages: diffPages(beforePages, after ? capturePages(after, afterRows) : new Map()),
      processes,
    };
  }

  /** The runner's output line of op i: exactly what `vmspace run` prints for it. */
  resultLine(i: number): string | undefined {
    return this.exec.output[i + 1];
  }

  result(i: number): OpResult | undefined {
    return this.results[i];
  }

  /** Op i's result if any walk has run it (for the timeline list, which shows later ops too). */
  seenResult(i: number): OpResult | undefined {
    return this.seen[i];
  }

  /** The init record line (the runner's first output line). */
  get initLine(): string {
    return this.exec.output[0];
  }

  /** The op's source line as written in the scenario. */
  sourceOf(op: Op): string {
    return (this.sourceLines[op.line - 1] ?? '').trim();
  }

  task(label: number): Task | undefined {
    return this.system.task(label);
  }

  /** Labels of the processes alive at this step, ascending. */
  liveLabels(): number[] {
    return this.system.tasks().map((t) => t.label).sort((a, b) => a - b);
  }

  /** Every process the scenario has had up to this step, alive or exited, as a fork tree. */
  processes(): ProcessNode[] {
    return this.history.nodes(this.system);
  }

  rows(label: number): VmaRow[] {
    const t = this.system.task(label);
    return t ? vmaRows(t) : [];
  }
}

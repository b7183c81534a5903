/**
 * The scenario's processes over time: which label forked which, at which op, and which have
 * exited. The system only knows the live tasks, so the history is recorded as the ops run.
 */
import type { System } from '../../../src/index.js';
import type { OpResult } from '../../../scenario/format.js';
import type { Op } from '../../../scenario/parse.js';

export interface ProcessNode {
  label: number;
  /** The parent's label; undefined for the first process. */
  parent: number | undefined;
  /** The op index of the fork that created it. */
  forkedAt: number | undefined;
  /** The op index of its exit. */
  exitedAt: number | undefined;
  alive: boolean;
  /** VMAs in its maps file (the gate VMA included), 0 once exited. */
  vmaCount: number;
  /** VmRSS in kB. */
  rssKb: number;
  children: ProcessNode[];
}

interface Event {
  label: number;
  parent: number | undefined;
  forkedAt: number | undefined;
  exitedAt: number | undefined;
}

export class ProcessHistory {
  private readonly events = new Map<number, Event>([[0, { label: 0, parent: undefined, forkedAt: undefined, exitedAt: undefined }]]);

  /** Notes a fork's child (its label is the ret) or an exit. Failed forks create nothing. */
  record(op: Op, r: OpResult): void {
    if (op.op === 'fork' && r.ret !== undefined) {
      const child = Number(BigInt(r.ret));
      this.events.set(child, { label: child, parent: op.pid, forkedAt: op.index, exitedAt: undefined });
    } else if (op.op === 'exit' && r.ret !== undefined) {
      const e = this.events.get(op.pid);
      if (e) e.exitedAt = op.index;
    }
  }

  /** The fork forest (normally one tree rooted at process 0), with live figures from `system`. */
  nodes(system: System): ProcessNode[] {
    const nodes = new Map<number, ProcessNode>();
    for (const e of this.events.values()) {
      const task = system.task(e.label);
      const status = task?.proc.status();
      nodes.set(e.label, {
        ...e,
        alive: task !== undefined,
        vmaCount: task ? task.proc.maps().length : 0,
        rssKb: status?.VmRSS ?? 0,
        children: [],
      });
    }
    const roots: ProcessNode[] = [];
    for (const n of nodes.values()) {
      const parent = n.parent === undefined ? undefined : nodes.get(n.parent);
      if (parent) parent.children.push(n);
      else roots.push(n);
    }
    return roots;
  }
}

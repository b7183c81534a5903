/**
 * One step: the op as written, the runner's result line (byte for byte what `vmspace run`
 * prints), why it failed if it did, and what it changed: VMAs added, removed, split, merged,
 * resized or changed, pages faulted in or copied, processes created or ended.
 */
import type { Session } from '../model/session.js';
import { explain } from '../model/explain.js';
import { opNote } from '../model/op-label.js';
import { PAGE_CHANGE_TEXT, type PageChangeKind } from '../model/page-diff.js';
import { addrHex } from '../model/vma-row.js';
import type { VmaChange } from '../model/vma-diff.js';

export interface StepPanelProps {
  session: Session;
  step: number;
}

const MAX_ADDRS = 6;

export function StepPanel({ session, step }: StepPanelProps) {
  if (step === 0) {
    return (
      <div class="step-panel" data-testid="step-panel">
        <h3>Start state</h3>
        <p>
          Step 0: no op has run. The address space is the scenario's start state
          {session.parsed.init ? ' (its init record)' : ' (the default: the kernel oracle executor)'}.
          Step forward with → or the ▶ buttons.
        </p>
        <details>
          <summary>Init record (the runner's first output line)</summary>
          <pre class="wrap">{session.initLine}</pre>
        </details>
      </div>
    );
  }
  const op = session.ops[step - 1];
  const failed = session.failure && session.failure.op.index === op.index;
  const r = session.result(op.index);
  const line = session.resultLine(op.index);
  const why = r ? explain(op.op, r) : undefined;
  const note = opNote(session.sourceOf(op));
  const diff = session.lastDiff;
  return (
    <div class="step-panel" data-testid="step-panel">
      <h3>
        Op #{op.index} <span class="tag">{op.op}</span> in pid {op.pid} <span class="hint">(line {op.line})</span>
      </h3>
      <pre class="wrap op-source" data-testid="op-source">{session.sourceOf(op)}</pre>
      {note && <p class="note">{note}</p>}
      <h4>Result</h4>
      {failed ? (
        <pre class="wrap error" data-testid="run-failure">{session.failure!.message}</pre>
      ) : (
        <pre class="wrap result" data-testid="result-line">{line}</pre>
      )}
      {why && (
        <div class="explain" data-testid="explanation">
          <b>{why.what}</b>
          <ul>{why.causes.map((c) => <li key={c}>{c}</li>)}</ul>
        </div>
      )}
      {diff && !failed && (
        <>
          <h4>Changes in pid {diff.pid}</h4>
          {diff.processes.map((p) => <p key={p} class="proc-change">{p}</p>)}
          {diff.vmas.length === 0 && diff.pages.changes.size === 0 && diff.processes.length === 0 && (
            <p class="hint">No VMA or page-table change.</p>
          )}
          <ul class="changes" data-testid="vma-changes">
            {diff.vmas.map((c, i) => <VmaChangeItem key={i} c={c} />)}
          </ul>
          {diff.pages.skipped && <p class="hint">Page changes not shown: {diff.pages.skipped}.</p>}
          <ul class="changes" data-testid="page-changes">
            {[...diff.pages.changes].map(([k, addrs]) => <PageChangeItem key={k} kind={k} addrs={addrs} />)}
          </ul>
        </>
      )}
    </div>
  );
}

function VmaChangeItem({ c }: { c: VmaChange }) {
  return (
    <li class={`change ${c.kind}`}>
      <span class={`badge ${c.kind}`}>{c.kind}</span>
      {c.before.map((r) => <pre key={'b' + r.start} class="line minus">- {r.line}</pre>)}
      {c.after.map((r) => <pre key={'a' + r.start} class="line plus">+ {r.line}</pre>)}
    </li>
  );
}

function PageChangeItem({ kind, addrs }: { kind: PageChangeKind; addrs: number[] }) {
  const shown = addrs.slice(0, MAX_ADDRS).map(addrHex).join(' ');
  return (
    <li class="change page">
      <span class="badge page">{addrs.length} page{addrs.length === 1 ? '' : 's'}</span> {PAGE_CHANGE_TEXT[kind]}
      <div class="addrs">{shown}{addrs.length > MAX_ADDRS ? ' …' : ''}</div>
    </li>
  );
}

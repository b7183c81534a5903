/**
 * Stepping through the scenario: the transport (first, back, play/pause, forward, last, a slider
 * and the speed) and the list of ops, one row per step. Step k is the state after op k-1; row 0
 * is the start state. Going back re-runs from the start (session.ts).
 */
import type { Session } from '../model/session.js';
import { isFailure, opSummary, resultSummary } from '../model/op-label.js';
import { VirtualList } from './virtual-list.js';

export const SPEEDS = [1, 2, 5, 10, 50] as const;

export interface TransportProps {
  step: number;
  last: number;
  playing: boolean;
  speed: number;
  onStep: (k: number) => void;
  onPlay: (on: boolean) => void;
  onSpeed: (s: number) => void;
}

export function Transport(p: TransportProps) {
  return (
    <div class="transport" role="group" aria-label="timeline controls">
      <button type="button" title="first step (Home)" onClick={() => p.onStep(0)} disabled={p.step === 0}>|◀</button>
      <button type="button" title="step back (←)" data-testid="step-back" onClick={() => p.onStep(p.step - 1)} disabled={p.step === 0}>◀</button>
      <button type="button" title="play / pause (space)" data-testid="play" class="play" onClick={() => p.onPlay(!p.playing)}>
        {p.playing ? '❚❚' : '▶▶'}
      </button>
      <button type="button" title="step forward (→)" data-testid="step-forward" onClick={() => p.onStep(p.step + 1)} disabled={p.step >= p.last}>▶</button>
      <button type="button" title="last step (End)" data-testid="step-last" onClick={() => p.onStep(p.last)} disabled={p.step >= p.last}>▶|</button>
      <input
        type="range"
        min={0}
        max={p.last}
        value={p.step}
        aria-label="step"
        data-testid="step-slider"
        onInput={(e) => p.onStep(Number((e.currentTarget as HTMLInputElement).value))}
      />
      <span class="step-label" data-testid="step-label">step {p.step} / {p.last}</span>
      <label class="speed">
        <select value={p.speed} onChange={(e) => p.onSpeed(Number((e.currentTarget as HTMLSelectElement).value))}>
          {SPEEDS.map((s) => <option key={s} value={s}>{s} step/s</option>)}
        </select>
      </label>
    </div>
  );
}

export interface OpListProps {
  session: Session;
  step: number;
  onStep: (k: number) => void;
}

export function OpList({ session, step, onStep }: OpListProps) {
  const ops = session.ops;
  return (
    <section class="panel op-list" aria-label="ops">
      <div class="panel-head"><h2>Ops <span class="count">{ops.length}</span></h2></div>
      <VirtualList
        count={ops.length + 1}
        rowHeight={22}
        testId="op-list"
        scrollTo={step}
        renderRow={(k) => {
          if (k === 0) {
            return (
              <div class={`op-row ${step === 0 ? 'current' : ''}`} onClick={() => onStep(0)} data-step={0}>
                <span class="idx">·</span><span class="op-text">start state</span>
              </div>
            );
          }
          const op = ops[k - 1];
          const r = session.seenResult(k - 1);
          const summary = opSummary(session.sourceOf(op));
          return (
            <div
              class={`op-row ${step === k ? 'current' : ''} ${k > step ? 'future' : ''}`}
              onClick={() => onStep(k)}
              data-step={k}
              title={summary}
            >
              <span class="idx">#{op.index}</span>
              {op.pid !== 0 && <span class="pid">p{op.pid}</span>}
              <span class="op-text">{summary}</span>
              <span class={`res ${isFailure(r) ? 'fail' : ''}`}>{resultSummary(r)}</span>
            </div>
          );
        }}
      />
    </section>
  );
}

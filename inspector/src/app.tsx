/**
 * The inspector's page: loader and transport on top, the address bar across, then the op list,
 * the VMA table and a tabbed panel (step, pages, processes, maps, smaps, status).
 *
 * State kept here is only what the user chose (scenario, step, shown pid, selected address, tab);
 * everything shown is read from the session at that step. The shown process follows the pid of
 * the op that led to the step unless one is pinned in the process tree.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ScenarioError } from '../../scenario/parse.js';
import { EXAMPLES } from './model/examples.js';
import { Session } from './model/session.js';
import { rowAt } from './model/vma-row.js';
import { AddressBar } from './views/address-bar.js';
import { download, svgDocument } from './views/download.js';
import { ForkTree } from './views/fork-tree.js';
import { Loader } from './views/loader.js';
import { PageView } from './views/page-view.js';
import { ProcTextView } from './views/proc-text-view.js';
import { StepPanel } from './views/step-panel.js';
import { OpList, Transport } from './views/timeline.js';
import { VmaTable } from './views/vma-table.js';

type Tab = 'step' | 'pages' | 'processes' | 'maps' | 'smaps' | 'status';
const TABS: readonly [Tab, string][] = [
  ['step', 'Step'], ['pages', 'Pages'], ['processes', 'Processes'], ['maps', 'maps'], ['smaps', 'smaps'], ['status', 'status'],
];

interface Loaded {
  name: string;
  session: Session;
}

/** `#example=NAME&step=K`: a bundled example at a step (for links and for the browser tests). */
function fromHash(): { loaded: Loaded; step: number } {
  const h = new URLSearchParams(location.hash.slice(1));
  // `vmspace serve FILE` puts the scenario it serves into the page before this script runs.
  const served = (globalThis as { __VMSPACE_SCENARIO__?: { name: string; text: string } }).__VMSPACE_SCENARIO__;
  if (served !== undefined && !h.has('example')) {
    return { loaded: { name: served.name, session: new Session(served.text) }, step: Number(h.get('step') ?? 0) || 0 };
  }
  const ex = EXAMPLES.find((e) => e.name === h.get('example')) ?? EXAMPLES[0];
  return { loaded: { name: ex.name, session: new Session(ex.text) }, step: Number(h.get('step') ?? 0) || 0 };
}

export function App() {
  const start = useMemo(fromHash, []);
  const [loaded, setLoaded] = useState<Loaded>(start.loaded);
  const [error, setError] = useState<string | undefined>();
  const [step, setStepState] = useState(0);
  const [pinned, setPinned] = useState<number | undefined>();
  const [selAddr, setSelAddr] = useState<number | undefined>();
  const [tab, setTab] = useState<Tab>('step');
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(2);
  const svgRef = useRef<SVGSVGElement | null>(null);
  const session = loaded.session;
  /**
   * The session and step as of the last change, for event handlers and timers: a key pressed
   * between a load and the next render must already move the new session, not the one its
   * handler's render saw.
   */
  const live = useRef({ session, step });

  /** Moves the session, then shows where it got to (a failing op stops the walk there). */
  const setStep = (k: number) => {
    const s = live.current.session;
    s.goTo(k);
    const reached = s.failure ? s.failure.op.index + 1 : s.step;
    const shown = Math.max(0, Math.min(k, reached));
    live.current.step = shown;
    setStepState(shown);
  };

  useEffect(() => setStep(start.step), []);

  const load = (name: string, text: string) => {
    try {
      const s = new Session(text);
      live.current = { session: s, step: 0 };
      setLoaded({ name, session: s });
      setError(undefined);
      setPinned(undefined);
      setSelAddr(undefined);
      setPlaying(false);
      setStepState(0);
    } catch (e) {
      if (e instanceof ScenarioError) setError(`${name}: line ${e.line}: ${e.detail}`);
      else setError(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // Playing: one step per tick, stopping at the end.
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => {
      const s = live.current.session;
      if (s.step >= s.lastStep || s.failure) {
        setPlaying(false);
        return;
      }
      setStep(s.step + 1);
    }, 1000 / speed);
    return () => clearInterval(id);
  }, [playing, speed]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select')) return;
      if (e.key === ' ' && t.closest('button')) return; // the focused button takes its own space
      const { session: s, step: k } = live.current;
      if (e.key === 'ArrowRight') setStep(k + 1);
      else if (e.key === 'ArrowLeft') setStep(k - 1);
      else if (e.key === 'Home') setStep(0);
      else if (e.key === 'End') setStep(s.lastStep);
      else if (e.key === ' ') setPlaying((p) => !p);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (EXAMPLES.some((e) => e.name === loaded.name)) history.replaceState(null, '', `#example=${loaded.name}&step=${step}`);
  }, [loaded, step]);

  const opPid = step > 0 ? session.ops[step - 1].pid : 0;
  // After its exit a process has nothing to show: follow the lowest live one instead.
  const follow = session.task(opPid) ? opPid : (session.liveLabels()[0] ?? opPid);
  const pid = pinned ?? follow;
  const task = session.task(pid);
  const rows = useMemo(() => session.rows(pid), [session, step, pid]);
  const selected = selAddr === undefined ? undefined : rowAt(rows, selAddr);
  const processes = useMemo(() => session.processes(), [session, step]);

  const exportSvg = () => {
    if (!svgRef.current) return;
    const caption = `vmspace ${loaded.name}, step ${step}/${session.lastStep}, pid ${pid}: ${rows.length} maps lines`;
    download(`vmspace-${loaded.name}-step${step}-pid${pid}.svg`, svgDocument(svgRef.current, caption), 'image/svg+xml');
  };

  return (
    <div class="app">
      <header>
        <h1>vmspace <span>inspector</span></h1>
        <Loader current={loaded.name} onLoad={load} />
        <div class="shown-pid" data-testid="shown-pid">
          pid {pid}{' '}
          {pinned === undefined ? (
            <span class="hint">(follows the ops)</span>
          ) : (
            <button type="button" onClick={() => setPinned(undefined)}>follow ops</button>
          )}
        </div>
        <button type="button" data-testid="export-svg" onClick={exportSvg}>Export SVG</button>
      </header>
      {error && <div class="error-banner" data-testid="load-error" role="alert">{error}</div>}
      <Transport
        step={step}
        last={session.lastStep}
        playing={playing}
        speed={speed}
        onStep={setStep}
        onPlay={setPlaying}
        onSpeed={setSpeed}
      />
      {task ? (
        <AddressBar rows={rows} selected={selected} onSelect={(r) => setSelAddr(r.start)} svgRef={svgRef} resetKey={session} />
      ) : (
        <p class="panel empty">pid {pid} has exited at this step.</p>
      )}
      <main>
        <OpList session={session} step={step} onStep={setStep} />
        <VmaTable
          rows={rows}
          selected={selected}
          onSelect={(r) => {
            setSelAddr(r.start);
            if (tab === 'step') setTab('pages');
          }}
        />
        <section class="panel side">
          <nav class="tabs" role="tablist">
            {TABS.map(([t, label]) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} class={tab === t ? 'on' : ''}
                data-testid={`tab-${t}`} onClick={() => setTab(t)}>
                {label}
              </button>
            ))}
          </nav>
          <div class="tab-body">
            {tab === 'step' && <StepPanel session={session} step={step} />}
            {tab === 'pages' && <PageView task={task} row={selected} step={step} />}
            {tab === 'processes' && <ForkTree roots={processes} shown={pid} onShow={setPinned} />}
            {(tab === 'maps' || tab === 'smaps' || tab === 'status') && (
              <ProcTextView task={task} file={tab} pid={pid} step={step} />
            )}
          </div>
        </section>
      </main>
    </div>
  );
}

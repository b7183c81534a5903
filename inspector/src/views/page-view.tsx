/**
 * The pages of the selected VMA: a grid of cells in address order, coloured by state (resident or
 * not, zero page, COW-shared, dirty; page-class.ts), with the frame and its counts on hover, and
 * a list of the pages that have a PTE. A VMA of more pages than the grid can show gets cells that
 * stand for several pages each (the most telling state wins). Drawn on a canvas: a 1 GiB VMA is
 * 262,144 pages.
 */
import { pageStates, type PageState } from '../../../src/internal.js';
import type { Task } from '../../../src/index.js';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { PAGE_CLASSES, PAGE_COLOR, PAGE_TITLE, pageClass, pteFlags, type PageClass } from '../model/page-class.js';
import { addrHex, sizeLabel, type VmaRow } from '../model/vma-row.js';
import { VirtualList } from './virtual-list.js';

export interface PageViewProps {
  task: Task | undefined;
  row: VmaRow | undefined;
  /** Changes with every step, so the pages are read again. */
  step: number;
}

const MAX_ROWS = 160;

export function PageView({ task, row, step }: PageViewProps) {
  const pages = useMemo(
    () => (task && row && row.name !== '[vsyscall]' ? pageStates(task.mm, row.start, row.end, row.flags) : []),
    [task, row, step],
  );
  const [picked, setPicked] = useState<number | undefined>();
  useEffect(() => setPicked(undefined), [row?.start, row?.end]);

  if (!task) return <p class="empty">The process has exited: it has no pages.</p>;
  if (!row) return <p class="empty">Select a VMA (in the bar or the table) to see its pages.</p>;
  if (row.name === '[vsyscall]') return <p class="empty">[vsyscall] is the gate page above user space: no page table entries of this process.</p>;

  const npages = (row.end - row.start) / 4096;
  const byAddr = new Map(pages.map((p) => [p.addr, p]));
  const counts = new Map<PageClass, number>();
  for (const p of pages) counts.set(pageClass(p), (counts.get(pageClass(p)) ?? 0) + 1);
  counts.set('none', npages - pages.length);
  const pick = picked === undefined ? undefined : byAddr.get(picked);

  return (
    <div class="page-view" data-testid="page-view">
      <p class="page-head">
        <b>{row.name || '(anonymous)'}</b> {addrHex(row.start)}-{addrHex(row.end)} {row.perms} · {npages} pages
        ({sizeLabel(row.end - row.start)}) · {pages.length} with a PTE
      </p>
      <div class="legend">
        {PAGE_CLASSES.map((c) => (
          <span key={c} title={PAGE_TITLE[c]}>
            <i class={`swatch ${c === 'none' ? 'outline' : ''}`} style={{ background: PAGE_COLOR[c] }} />
            {PAGE_TITLE[c]} <b data-testid={`count-${c}`}>{counts.get(c) ?? 0}</b>
          </span>
        ))}
      </div>
      <PageGrid row={row} byAddr={byAddr} npages={npages} onPick={setPicked} picked={picked} />
      <div class="page-detail" data-testid="page-detail">
        {picked === undefined ? (
          <span class="hint">Click a cell or a row for the page's PTE and frame.</span>
        ) : (
          <PageDetail addr={picked} page={pick} />
        )}
      </div>
      <VirtualList
        count={pages.length}
        rowHeight={20}
        class="page-list"
        testId="page-list"
        header={
          <div class="page-row page-list-head">
            <span>address</span><span>state</span><span>frame</span><span class="num">ref</span>
            <span class="num">map</span><span>WDAX</span>
          </div>
        }
        renderRow={(i) => {
          const p = pages[i];
          return (
            <div class={`page-row ${picked === p.addr ? 'selected' : ''}`} onClick={() => setPicked(p.addr)}>
              <span>{addrHex(p.addr)}</span>
              <span><i class="swatch" style={{ background: PAGE_COLOR[pageClass(p)] }} />{pageClass(p)}</span>
              <span>{p.kind === 'zero' ? 'zero' : p.frame || '-'}</span>
              <span class="num">{p.refcount}</span>
              <span class="num">{p.mapcount}</span>
              <span>{pteFlags(p)}</span>
            </div>
          );
        }}
      />
    </div>
  );
}

function PageDetail({ addr, page }: { addr: number; page: PageState | undefined }) {
  if (!page) return <span>{addrHex(addr)}: no PTE (never touched, or zapped): the next access faults.</span>;
  const cls = pageClass(page);
  return (
    <span>
      <b>{addrHex(addr)}</b>: {PAGE_TITLE[cls]} · kind {page.kind} · frame {page.kind === 'zero' ? 'the zero page' : page.frame}
      {' '}· refcount {page.refcount} · mapcount {page.mapcount} · PTE {pteFlags(page)}
      {page.cowShared && ' · the next write copies it (do_wp_page())'}
    </span>
  );
}

interface GridProps {
  row: VmaRow;
  byAddr: Map<number, PageState>;
  npages: number;
  picked: number | undefined;
  onPick: (addr: number) => void;
}

function PageGrid({ row, byAddr, npages, picked, onPick }: GridProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(400);
  const [tip, setTip] = useState<string | undefined>();

  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(100, el.clientWidth)));
    ro.observe(el);
    setWidth(Math.max(100, el.clientWidth));
    return () => ro.disconnect();
  }, []);

  const cell = npages <= 256 ? 14 : npages <= 2048 ? 8 : 5;
  const cols = Math.max(1, Math.floor(width / cell));
  const perCell = Math.max(1, Math.ceil(npages / (cols * MAX_ROWS)));
  const cells = Math.ceil(npages / perCell);
  const rows = Math.ceil(cells / cols);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = cols * cell * dpr;
    c.height = rows * cell * dpr;
    const g = c.getContext('2d');
    if (!g) return;
    g.scale(dpr, dpr);
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, cols * cell, rows * cell);
    const rank = (k: PageClass) => PAGE_CLASSES.indexOf(k);
    for (let i = 0; i < cells; i++) {
      let best: PageClass = 'none';
      let shared = false;
      for (let j = i * perCell; j < Math.min(npages, (i + 1) * perCell); j++) {
        const p = byAddr.get(row.start + j * 4096);
        const k = pageClass(p);
        if (rank(k) < rank(best)) best = k;
        if (p && p.mapcount > 1 && !p.cowShared) shared = true;
      }
      const x = (i % cols) * cell;
      const y = Math.floor(i / cols) * cell;
      g.fillStyle = PAGE_COLOR[best];
      g.fillRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
      if (best === 'none') {
        g.strokeStyle = '#d8d8d8';
        g.strokeRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
      }
      // A frame mapped by several PTEs (shared file or shmem page): a dot.
      if (shared && cell >= 8) {
        g.fillStyle = '#111111';
        g.fillRect(x + cell / 2 - 1, y + cell / 2 - 1, 2, 2);
      }
    }
    if (picked !== undefined) {
      const i = Math.floor((picked - row.start) / 4096 / perCell);
      g.strokeStyle = '#111111';
      g.lineWidth = 2;
      g.strokeRect((i % cols) * cell + 1, Math.floor(i / cols) * cell + 1, cell - 2, cell - 2);
    }
  }, [byAddr, row, cols, cell, perCell, cells, rows, picked]);

  const cellAt = (e: MouseEvent): number | undefined => {
    const i = Math.floor(e.offsetY / cell) * cols + Math.floor(e.offsetX / cell);
    if (e.offsetX >= cols * cell || i >= cells) return undefined;
    return row.start + i * perCell * 4096;
  };

  return (
    <div class="page-grid" ref={wrap}>
      {perCell > 1 && <p class="hint">Each cell is {perCell} pages ({sizeLabel(perCell * 4096)}).</p>}
      <canvas
        ref={canvas}
        data-testid="page-grid"
        style={{ width: `${cols * cell}px`, height: `${rows * cell}px` }}
        onMouseMove={(e) => {
          const a = cellAt(e);
          if (a === undefined) return setTip(undefined);
          const p = byAddr.get(a);
          setTip(`${addrHex(a)} ${PAGE_TITLE[pageClass(p)]}${p ? ` · frame ${p.frame} · ref ${p.refcount}` : ''}`);
        }}
        onMouseLeave={() => setTip(undefined)}
        onClick={(e) => {
          const a = cellAt(e);
          if (a !== undefined) onPick(a);
        }}
      />
      <div class="grid-tip">{tip ?? '\u00a0'}</div>
    </div>
  );
}

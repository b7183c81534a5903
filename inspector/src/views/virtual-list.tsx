/**
 * A fixed-row-height list that renders only the rows in view (plus a few either side), so a
 * 65,530-VMA maps file or a 100k-op scenario costs as much as one screenful.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 8;

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ComponentChildren;
  /** Scroll so this row is visible whenever it changes. */
  scrollTo?: number;
  class?: string;
  testId?: string;
  /** Rendered above the rows, outside the scrolled content (a header row). */
  header?: ComponentChildren;
}

export function VirtualList(p: VirtualListProps) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el || p.scrollTo === undefined || p.scrollTo < 0) return;
    const y = p.scrollTo * p.rowHeight;
    if (y < el.scrollTop || y + p.rowHeight > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, y - el.clientHeight / 2);
      setTop(el.scrollTop);
    }
  }, [p.scrollTo, p.count]);

  const first = Math.max(0, Math.floor(top / p.rowHeight) - OVERSCAN);
  const last = Math.min(p.count, Math.ceil((top + height) / p.rowHeight) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} class="vrow" style={{ top: `${i * p.rowHeight}px`, height: `${p.rowHeight}px` }}>
        {p.renderRow(i)}
      </div>,
    );
  }
  return (
    <div class={`vlist ${p.class ?? ''}`} data-testid={p.testId} data-count={p.count}>
      {p.header}
      <div class="vscroll" ref={box} onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}>
        <div class="vspace" style={{ height: `${p.count * p.rowHeight}px` }}>{rows}</div>
      </div>
    </div>
  );
}

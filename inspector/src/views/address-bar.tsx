/**
 * The address space as a horizontal bar, low addresses left: VMAs coloured by role on the main
 * lane and by permission on the thin lane below, gaps drawn as fixed-width breaks labelled with
 * their size (gap-axis.ts). Wheel or pinch zooms, drag pans (d3-zoom); hover shows the maps line,
 * a click selects the VMA.
 *
 * Only pieces in view are drawn, and runs of pieces narrower than a pixel are drawn as one rect,
 * so 65k VMAs cost a few hundred SVG elements. Colours are attributes, not CSS, so the exported
 * SVG looks the same outside the page.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Ref, VNode } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { addressAt, buildAxis, pieceAt, type AxisPiece } from '../model/gap-axis.js';
import { PERM_LEGEND, ROLES, ROLE_COLOR, ROLE_TITLE, permColor } from '../model/roles.js';
import { addrHex, sizeLabel, type VmaRow } from '../model/vma-row.js';

export interface AddressBarProps {
  rows: readonly VmaRow[];
  selected: VmaRow | undefined;
  onSelect: (row: VmaRow) => void;
  svgRef: Ref<SVGSVGElement>;
  /** Changes when a new scenario is loaded: the zoom resets. */
  resetKey: unknown;
}

const HEIGHT = 112;
const LANE_Y = 20;
const LANE_H = 52;
const PERM_Y = LANE_Y + LANE_H + 3;
const PERM_H = 10;
const FONT = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

interface Hover {
  text: string;
}

export function AddressBar({ rows, selected, onSelect, svgRef, resetKey }: AddressBarProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement | null>(null);
  const zoomer = useRef<ZoomBehavior<SVGSVGElement, unknown> | undefined>(undefined);
  const [width, setWidth] = useState(1000);
  const [t, setT] = useState<ZoomTransform>(zoomIdentity);
  const [hover, setHover] = useState<Hover | undefined>();
  const pieces = useMemo(() => buildAxis(rows), [rows]);

  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth)));
    ro.observe(el);
    setWidth(Math.max(200, el.clientWidth));
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const z = zoom<SVGSVGElement, unknown>()
      .scaleExtent([1, 1e7])
      .extent([[0, 0], [width, HEIGHT]])
      .translateExtent([[0, 0], [width, HEIGHT]])
      .on('zoom', (e: D3ZoomEvent<SVGSVGElement, unknown>) => setT(e.transform));
    select(el).call(z).on('dblclick.zoom', null);
    zoomer.current = z;
    return () => {
      select(el).on('.zoom', null);
    };
  }, [width]);

  useEffect(() => {
    if (svg.current && zoomer.current) zoomer.current.transform(select(svg.current), zoomIdentity);
  }, [resetKey]);

  const x = useMemo(() => t.rescaleX(scaleLinear().domain([0, 1]).range([0, width])), [t, width]);

  /** Zoom so the selected VMA fills most of the width. */
  const zoomToSelection = () => {
    const p = pieces.find((q) => q.row === selected);
    if (!p || !svg.current || !zoomer.current) return;
    const k = Math.min(1e7, Math.max(1, 0.6 / (p.x1 - p.x0)));
    const cx = ((p.x0 + p.x1) / 2) * width;
    zoomer.current.transform(select(svg.current), zoomIdentity.translate(width / 2 - cx * k, 0).scale(k));
  };
  const resetZoom = () => {
    if (svg.current && zoomer.current) zoomer.current.transform(select(svg.current), zoomIdentity);
  };

  const pieceAtPx = (px: number): AxisPiece | undefined => (pieces.length ? pieces[pieceAt(pieces, x.invert(px))] : undefined);

  /** The pointer's x in the SVG (offsetX is relative to whichever child element is under it). */
  const pointerX = (e: MouseEvent): number => e.clientX - (svg.current?.getBoundingClientRect().left ?? 0);

  const onMove = (e: MouseEvent) => {
    const px = pointerX(e);
    const p = pieceAtPx(px);
    if (!p) return setHover(undefined);
    const at = addressAt(p, x.invert(px));
    const text = p.row
      ? `${p.row.line}    (${sizeLabel(p.row.end - p.row.start)}, Rss ${p.row.rssKb} kB; page ${addrHex(at)})`
      : `unmapped ${addrHex(p.start)}-${addrHex(p.end)} (${sizeLabel(p.end - p.start)})`;
    setHover({ text });
  };
  const onClick = (e: MouseEvent) => {
    const p = pieceAtPx(pointerX(e));
    if (p?.row) onSelect(p.row);
  };

  const shapes = drawPieces(pieces, x, width, selected);

  return (
    <section class="panel address-bar" aria-label="address space">
      <div class="panel-head">
        <h2>Address space</h2>
        <span class="hint">wheel: zoom · drag: pan · click: select</span>
        <div class="buttons">
          <button type="button" onClick={zoomToSelection} disabled={!selected}>Zoom to VMA</button>
          <button type="button" onClick={resetZoom}>Fit</button>
        </div>
      </div>
      <div class="bar-wrap" ref={wrap}>
        <svg
          ref={(el) => {
            svg.current = el;
            if (typeof svgRef === 'function') svgRef(el);
            else if (svgRef) svgRef.current = el;
          }}
          data-testid="address-bar"
          xmlns="http://www.w3.org/2000/svg"
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          font-family={FONT}
          font-size="10"
          onMouseMove={onMove}
          onMouseLeave={() => setHover(undefined)}
          onClick={onClick}
        >
          <rect x="0" y="0" width={width} height={HEIGHT} fill="#ffffff" />
          {shapes}
        </svg>
      </div>
      <div class="bar-status" data-testid="bar-hover">{hover ? hover.text : 'hover over the bar for the maps line'}</div>
      <div class="legend">
        {ROLES.map((r) => (
          <span key={r} title={ROLE_TITLE[r]}><i class="swatch" style={{ background: ROLE_COLOR[r] }} />{r}</span>
        ))}
        <span class="sep">perms:</span>
        {PERM_LEGEND.map(([p, c]) => (
          <span key={p}><i class="swatch" style={{ background: c }} />{p}</span>
        ))}
      </div>
    </section>
  );
}

/** The SVG elements for the pieces in view: VMAs, breaks, labels, the selection outline. */
function drawPieces(pieces: readonly AxisPiece[], x: ScaleLinear<number, number>, width: number, selected: VmaRow | undefined) {
  const out: VNode[] = [];
  if (pieces.length === 0) return out;
  let i = pieceAt(pieces, Math.max(0, x.invert(0)));
  // A run of sub-pixel VMAs, drawn as one rect in the first one's colours.
  let run: { x0: number; x1: number; n: number; row: VmaRow } | undefined;
  const flush = () => {
    if (!run) return;
    const w = Math.max(1, run.x1 - run.x0);
    out.push(
      <g key={`run${run.x0}`}>
        <rect x={run.x0} y={LANE_Y} width={w} height={LANE_H} fill={ROLE_COLOR[run.row.role]} opacity="0.85" />
        <rect x={run.x0} y={PERM_Y} width={w} height={PERM_H} fill={permColor(run.row.perms)} />
      </g>,
    );
    run = undefined;
  };
  let lastLabelEnd = -Infinity;
  for (; i < pieces.length; i++) {
    const p = pieces[i];
    const a = x(p.x0);
    if (a > width) break;
    const b = x(p.x1);
    const w = b - a;
    if (!p.row) {
      if (w < 1) continue;
      flush();
      out.push(gapShape(p, a, w, i));
      continue;
    }
    if (w < 1) {
      if (run && a - run.x1 < 1) {
        run.x1 = b;
        run.n++;
      } else {
        flush();
        run = { x0: a, x1: b, n: 1, row: p.row };
      }
      if (run.x1 - run.x0 >= 2) flush();
      continue;
    }
    flush();
    const r = p.row;
    const dim = r.perms.startsWith('---');
    out.push(
      <g key={`v${r.index}`}>
        <rect x={a} y={LANE_Y} width={w} height={LANE_H} fill={ROLE_COLOR[r.role]} opacity={dim ? 0.35 : 1}
          stroke="#ffffff" stroke-width={w > 4 ? 1 : 0} />
        <rect x={a} y={PERM_Y} width={w} height={PERM_H} fill={permColor(r.perms)} stroke="#ffffff" stroke-width={w > 4 ? 0.5 : 0} />
        {w > 46 && (
          <text x={a + 4} y={LANE_Y + 15} fill="#111111" font-size="10">{clip(r.name || r.role, w - 8)}</text>
        )}
        {w > 46 && (
          <text x={a + 4} y={LANE_Y + 29} fill="#222222" font-size="9">{clip(`${r.perms} ${sizeLabel(r.end - r.start)}`, w - 8)}</text>
        )}
      </g>,
    );
    // Start addresses above the bar, where there is room for them.
    const at = Math.max(0, a);
    if (at >= lastLabelEnd + 6 && w > 20) {
      const label = addrHex(r.start);
      out.push(<text key={`a${r.index}`} x={at} y={12} fill="#555555" font-size="9">{label}</text>);
      lastLabelEnd = at + label.length * 5.6;
    }
  }
  flush();
  const sel = selected && pieces.find((p) => p.row === selected);
  if (sel) {
    const a = x(sel.x0);
    const w = Math.max(2, x(sel.x1) - a);
    out.push(
      <rect key="sel" x={a - 1} y={LANE_Y - 2} width={w + 2} height={LANE_H + PERM_H + 7} fill="none"
        stroke="#111111" stroke-width="2" data-testid="bar-selection" />,
    );
    out.push(<text key="selend" x={Math.min(width - 70, a + w + 2)} y={HEIGHT - 4} fill="#111111" font-size="9">{`${addrHex(sel.start)}-${addrHex(sel.end)}`}</text>);
  }
  return out;
}

/** A gap: a pale band with a zigzag break and its size when there is room. */
function gapShape(p: AxisPiece, a: number, w: number, i: number) {
  const mid = a + w / 2;
  const y0 = LANE_Y;
  const y1 = PERM_Y + PERM_H;
  const zig = `M${mid - 3},${y0} L${mid + 3},${y0 + 13} L${mid - 3},${y0 + 26} L${mid + 3},${y0 + 39} L${mid - 3},${y0 + 52} L${mid + 3},${y1}`;
  return (
    <g key={`g${i}`}>
      <rect x={a} y={y0} width={w} height={y1 - y0} fill="#f3f3f3" />
      {w > 10 && <path d={zig} fill="none" stroke="#b0b0b0" stroke-width="1" />}
      {w > 44 && (
        <text x={mid} y={HEIGHT - 16} fill="#777777" font-size="9" text-anchor="middle">{gapLabel(p)}</text>
      )}
    </g>
  );
}

/** A gap's size, except the one up to [vsyscall]: that is the non-canonical hole and the kernel. */
function gapLabel(p: AxisPiece): string {
  return p.end > 2 ** 63 ? 'kernel half' : sizeLabel(p.end - p.start);
}

function clip(s: string, px: number): string {
  const n = Math.floor(px / 6);
  return s.length <= n ? s : s.slice(0, Math.max(1, n - 1)) + '…';
}

/**
 * One-line summaries of ops and results for the timeline list, from the scenario's own text (the
 * operands as written, `$N` references included) so a reader can find the line in the file.
 */
import type { OpResult } from '../../../scenario/format.js';

const SKIP_KEYS = new Set(['op', 'pid', 'note', 'expect']);

/** `mmap len=0x8000 prot=PROT_READ|PROT_WRITE flags=...` from the op's JSON source line. */
export function opSummary(source: string): string {
  try {
    const o = JSON.parse(source) as Record<string, unknown>;
    const args = Object.entries(o)
      .filter(([k]) => !SKIP_KEYS.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return [String(o.op), ...args].join(' ');
  } catch {
    return source;
  }
}

/** The op's `note`, if the scenario gives one. */
export function opNote(source: string): string | undefined {
  try {
    const n = (JSON.parse(source) as { note?: unknown }).note;
    return typeof n === 'string' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A short result: `0x7ffff7fef000`, `EINVAL`, `SIGSEGV SEGV_MAPERR`, `maps (11 lines)`. */
export function resultSummary(r: OpResult | undefined): string {
  if (!r) return '';
  if (r.errno !== undefined) return r.errno;
  if (r.signal !== undefined) return `${r.signal} ${r.code ?? ''}`.trim();
  if (r.skip !== undefined) return 'skip';
  if (r.error !== undefined) return 'error';
  if (r.maps !== undefined) return `maps (${r.maps.length} lines)`;
  if (r.smaps !== undefined) return `smaps (${r.smaps.length} VMAs)`;
  if (r.smaps_rollup !== undefined) return 'smaps_rollup';
  if (r.status !== undefined) return 'status';
  if (r.data !== undefined && r.ret === undefined) return `data ${r.data.length > 16 ? r.data.slice(0, 16) + '…' : r.data}`;
  return r.ret ?? '';
}

/** Whether a result is a failure the step panel should explain. */
export function isFailure(r: OpResult | undefined): boolean {
  return r !== undefined && (r.errno !== undefined || r.signal !== undefined || r.skip !== undefined || r.error !== undefined);
}

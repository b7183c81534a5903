/**
 * Comparing two runs of one scenario (spec/scenario.md §8.1): an expected output (the kernel
 * oracle's) and an actual one (vmspace's), result by result, as JSON values.
 *
 * - `ret`, `errno`, `signal`/`code`/`addr`, `data`: exactly (except a `load`'s bytes from
 *   `[vvar]`/`[vvar_vclock]` or the oracle's harness ranges, which change from run to run);
 * - `maps`: exactly, line by line (for a start state of another origin than the kernel oracle,
 *   the `[stack]` line's start address is not compared);
 * - `status`, `smaps`, `smaps_rollup`: exactly, except RSS-like values: compared with
 *   `rss: 'strict'`; with `rss: 'exact'` too, except VmHWM, whose kernel value lags the true
 *   peak in a way vmspace does not model (docs/kernel-facts.md: by batches of 32 pages, as the
 *   RSS counters' per-CPU parts would); with `rss: 'user'` only in smaps entries of VMAs outside the
 *   oracle's harness ranges (the executor's own pages, and the status/rollup totals that include
 *   them, follow scenario/executor-model.ts), LazyFree excepted (it follows the kernel's per-CPU
 *   folio batches, spec §6.2); not at all with `rss: 'loose'` (the default). VmPTE and
 *   AnonHugePages are not RSS-like here: they are compared exactly in every mode. In every mode
 *   the sharing of `[vdso]` pages (Pss, Shared_*, Private_*) is not compared: the kernel's vdso
 *   pages are mapped by every process of the machine that touched them;
 * - `skip`: both must skip (the reason is not compared);
 * - an expected `error` ends the comparison (the runs no longer did the same thing).
 * The init line is compared on `maps` only.
 */
import type { Op } from './parse.js';
import { evalExpr, parseHexValue } from './values.js';

export interface Divergence {
  /** Op index (0-based), or -1 for the init record. */
  readonly index: number;
  /** The op's input line (1-based), when the ops were given. */
  readonly line?: number;
  /** What differs: a member (`ret`), a dump entry (`maps[3]`, `status.VmSize`), or `result`. */
  readonly key: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export interface CompareOptions {
  /** Compare RSS-like /proc values too (default false): the same as `rss: 'strict'`. */
  readonly strictRss?: boolean;
  /** How RSS-like /proc values are compared (default 'loose', see above). */
  readonly rss?: 'loose' | 'user' | 'exact' | 'strict';
  /** The scenario's ops: lets `load` bytes from live or harness ranges go uncompared. */
  readonly ops?: readonly Op[];
  /** Stop after this many divergences (default: all). */
  readonly limit?: number;
}

const RSS_KEYS = new Set([
  'VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem', 'Rss', 'Referenced', 'Anonymous', 'LazyFree',
]);

/**
 * RSS-like /proc keys: they depend on fault-around and page-cache details. VmPTE and
 * AnonHugePages, which spec §8.1 allows to be loose too, are compared exactly: page-table pages
 * and huge PMDs are modelled (the executor's own tables do not change as it runs).
 */
export function isRssLike(key: string): boolean {
  return RSS_KEYS.has(key) || /^(Pss|Shared_|Private_)/.test(key);
}

type Json = Record<string, unknown>;

/** Output text (or already parsed lines) -> one object per non-blank line. */
function toObjects(out: string | readonly unknown[]): unknown[] {
  if (typeof out !== 'string') return [...out];
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      return { unparsable: l };
    }
  });
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Address ranges [start, end) whose bytes differ from run to run. */
function liveRanges(init: Json): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  const maps = Array.isArray(init.maps) ? init.maps : [];
  for (const l of maps) {
    if (typeof l !== 'string' || !/\[vvar(_vclock)?\]$/.test(l)) continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(l);
    if (m) out.push([BigInt('0x' + m[1]), BigInt('0x' + m[2])]);
  }
  const harness = Array.isArray(init.harness) ? init.harness : [];
  for (const h of harness) {
    if (!isObj(h) || typeof h.start !== 'string' || typeof h.end !== 'string') continue;
    const s = parseHexValue(h.start);
    const e = parseHexValue(h.end);
    if (s !== undefined && e !== undefined) out.push([s, e]);
  }
  return out;
}

/** The stack line's start address is not compared for a start state of another origin. */
function stackInsensitive(line: string): string {
  return / \[stack\]$/.test(line) ? line.slice(line.indexOf('-')) : line;
}

class Comparer {
  readonly out: Divergence[] = [];
  /** Harness and [vvar] ranges (their smaps RSS values are never compared in 'user' mode). */
  harness: Array<[bigint, bigint]> = [];
  private readonly rssMode: 'loose' | 'user' | 'exact' | 'strict';
  constructor(private readonly opts: CompareOptions, private readonly foreign: boolean) {
    this.rssMode = opts.rss ?? (opts.strictRss ? 'strict' : 'loose');
  }

  /** 'strict' and 'exact': RSS-like values are compared in every VMA and in the totals. */
  private get rssEverywhere(): boolean {
    return this.rssMode === 'strict' || this.rssMode === 'exact';
  }

  /** Whether the smaps entry of `line` has its RSS values compared. */
  private rssCompared(line: unknown): boolean {
    if (this.rssMode !== 'user') return this.rssEverywhere;
    const m = typeof line === 'string' ? /^([0-9a-f]+)-([0-9a-f]+) /.exec(line) : null;
    if (!m) return false;
    const s = BigInt('0x' + m[1]);
    const e = BigInt('0x' + m[2]);
    return !this.harness.some(([hs, he]) => s < he && hs < e);
  }

  get full(): boolean {
    return this.opts.limit !== undefined && this.out.length >= this.opts.limit;
  }

  add(index: number, key: string, expected: unknown, actual: unknown): void {
    if (this.full) return;
    const line = index >= 0 ? this.opts.ops?.[index]?.line : undefined;
    this.out.push(line === undefined ? { index, key, expected, actual } : { index, line, key, expected, actual });
  }

  maps(index: number, key: string, exp: unknown, act: unknown): void {
    if (!Array.isArray(exp) || !Array.isArray(act)) {
      if (!deepEqual(exp, act)) this.add(index, key, exp, act);
      return;
    }
    const norm = (l: unknown): unknown => (this.foreign && typeof l === 'string' ? stackInsensitive(l) : l);
    const n = Math.max(exp.length, act.length);
    for (let i = 0; i < n; i++) {
      if (norm(exp[i]) !== norm(act[i])) {
        // One divergence per dump: the whole dumps, keyed by the first differing line.
        this.add(index, `${key}[${i}]`, exp, act);
        return;
      }
    }
  }

  proc(index: number, key: string, exp: unknown, act: unknown, rss = this.rssEverywhere, vdso = false): void {
    if (!isObj(exp) || !isObj(act)) {
      if (!deepEqual(exp, act)) this.add(index, key, exp, act);
      return;
    }
    const full = this.rssEverywhere;
    for (const k of new Set([...Object.keys(exp), ...Object.keys(act)])) {
      if (!(k in exp) || !(k in act)) {
        this.add(index, `${key}.${k}`, exp[k], act[k]);
        continue;
      }
      const rssLike = isRssLike(k);
      const compared = !rssLike || (rss && (k !== 'LazyFree' || full) && !(k === 'VmHWM' && this.rssMode === 'exact')
        && !(vdso && /^(Pss|Shared_|Private_)/.test(k)));
      if (compared && !deepEqual(exp[k], act[k])) this.add(index, `${key}.${k}`, exp[k], act[k]);
    }
  }

  smaps(index: number, exp: unknown, act: unknown): void {
    if (!Array.isArray(exp) || !Array.isArray(act)) {
      if (!deepEqual(exp, act)) this.add(index, 'smaps', exp, act);
      return;
    }
    const lines = (a: unknown[]): unknown[] => a.map((e) => (isObj(e) ? e.line : e));
    const before = this.out.length;
    this.maps(index, 'smaps', lines(exp), lines(act));
    if (this.out.length > before) return;
    exp.forEach((e, i) => {
      const { line: _l1, ...ee } = isObj(e) ? e : {};
      const { line: _l2, ...aa } = isObj(act[i]) ? (act[i] as Json) : {};
      const line = isObj(e) ? e.line : undefined;
      this.proc(index, `smaps[${i}]`, ee, aa, this.rssCompared(line), typeof line === 'string' && / \[vdso\]$/.test(line));
    });
  }
}

/**
 * Compares an expected output with an actual one (text, or parsed lines with the init record
 * first) and returns the divergences, in order.
 */
export function compareOutputs(
  expected: string | readonly unknown[], actual: string | readonly unknown[], opts: CompareOptions = {},
): Divergence[] {
  const exp = toObjects(expected);
  const act = toObjects(actual);
  const expInit = isObj(exp[0]) && isObj(exp[0].init) ? exp[0].init : {};
  const actInit = isObj(act[0]) && isObj(act[0].init) ? act[0].init : undefined;
  const origin = typeof expInit.oracle === 'string' ? expInit.oracle : 'kernel-oracle';
  const c = new Comparer(opts, !origin.startsWith('kernel-oracle'));

  if (!actInit) c.add(-1, 'init', exp[0], act[0]);
  else c.maps(-1, 'init.maps', expInit.maps, actInit.maps);

  const live = liveRanges(expInit);
  c.harness = live;
  const rets: (bigint | undefined)[] = [];
  for (let k = 0; k + 1 < exp.length && !c.full; k++) {
    const e = exp[k + 1];
    const a = act[k + 1];
    const eo: Json = isObj(e) ? e : { unparsable: e };
    rets[k] = typeof eo.ret === 'string' ? parseHexValue(eo.ret) : undefined;
    if ('error' in eo) break;
    if (a === undefined) {
      c.add(k, 'result', e, undefined);
      break;
    }
    const ao: Json = isObj(a) ? a : { unparsable: a };
    if ('skip' in eo || 'skip' in ao || 'error' in ao) {
      if (!('skip' in eo && 'skip' in ao)) c.add(k, 'result', e, a);
      continue;
    }
    const keys = Object.keys(eo);
    if (keys.length !== Object.keys(ao).length || !keys.every((x) => x in ao)) {
      // A different kind of result (a ret for an errno, a signal for a ret): one divergence.
      c.add(k, 'result', e, a);
      continue;
    }
    for (const key of keys) {
      const ev = eo[key];
      const av = ao[key];
      switch (key) {
        case 'maps':
          c.maps(k, 'maps', ev, av);
          break;
        case 'smaps':
          c.smaps(k, ev, av);
          break;
        case 'status':
        case 'smaps_rollup':
          c.proc(k, key, ev, av);
          break;
        case 'data':
          if (!deepEqual(ev, av) && !isLiveLoad(opts.ops?.[k], rets, live)) {
            c.add(k, key, ev, av);
          }
          break;
        default:
          if (!deepEqual(ev, av)) c.add(k, key, ev, av);
      }
    }
  }
  if (!c.full && act.length > exp.length && !exp.some((e, i) => i > 0 && isObj(e) && 'error' in e)) {
    c.add(exp.length - 1, 'result', undefined, act[exp.length]);
  }
  return c.out;
}

/** Is this op a load that reads bytes which change from run to run? */
function isLiveLoad(op: Op | undefined, rets: readonly (bigint | undefined)[], live: Array<[bigint, bigint]>): boolean {
  if (!op || op.op !== 'load') return false;
  const addr = evalExpr(op.args.addr, (i) => rets[i]);
  const len = evalExpr(op.args.len, (i) => rets[i]);
  if (!('value' in addr) || !('value' in len)) return false;
  const end = addr.value + len.value;
  return live.some(([s, e]) => addr.value < e && end > s);
}

function show(v: unknown): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}

/** A divergence in a few readable lines (dumps show only the lines that differ). */
export function formatDivergence(d: Divergence): string {
  const where = d.index < 0 ? 'init' : d.line !== undefined ? `op ${d.index} (line ${d.line})` : `op ${d.index}`;
  const m = /^((?:init\.)?(?:maps|smaps))\[(\d+)\]$/.exec(d.key);
  if (m && Array.isArray(d.expected) && Array.isArray(d.actual)) {
    const text = (x: unknown): string => String(isObj(x) ? x.line : x);
    const e = d.expected.map(text);
    const a = d.actual.map(text);
    const lines = [`${where}: ${m[1]} differ from line ${m[2]} on (- expected, + actual):`];
    const inA = new Set(a);
    const inE = new Set(e);
    const missing = e.filter((l) => !inA.has(l));
    const extra = a.filter((l) => !inE.has(l));
    if (missing.length === 0 && extra.length === 0) {
      lines.push(`  - [${m[2]}] ${e[Number(m[2])] ?? '(none)'}`, `  + [${m[2]}] ${a[Number(m[2])] ?? '(none)'}`);
    }
    for (const l of missing.slice(0, 12)) lines.push(`  - ${l}`);
    if (missing.length > 12) lines.push(`  - ... ${missing.length - 12} more`);
    for (const l of extra.slice(0, 12)) lines.push(`  + ${l}`);
    if (extra.length > 12) lines.push(`  + ... ${extra.length - 12} more`);
    return lines.join('\n');
  }
  if (d.key === 'result') return `${where}: expected ${show(d.expected)}, got ${show(d.actual)}`;
  return `${where}: ${d.key}: expected ${show(d.expected)}, got ${show(d.actual)}`;
}

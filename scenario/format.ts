/**
 * Result objects -> output text, byte for byte as the kernel oracle prints them
 * (tools/kernel-oracle/src/controller.c, json.c:json_write_strn()): compact JSON, members in the
 * oracle's order, strings escaped as the oracle escapes them, `/proc` values turned into numbers
 * by the same rule.
 */

/** A `/proc` dump value: kB numbers and text. */
export type ProcValue = number | string;

/** One op's result (spec/scenario.md §5). Hex values are strings such as `"0x7ffff7ff4000"`. */
export interface OpResult {
  ret?: string;
  errno?: string;
  signal?: string;
  code?: string;
  addr?: string;
  data?: string;
  maps?: string[];
  smaps?: Array<Record<string, ProcValue>>;
  smaps_rollup?: Record<string, ProcValue>;
  status?: Record<string, ProcValue>;
  skip?: string;
  error?: string;
  /** Device ops (vmspace's extension): the sg_io_hdr_t's outputs after SG_IO or read(). */
  sg?: Record<string, string>;
  /** poll: the returned events. */
  revents?: string;
}

/** The oracle's member order; other members follow in insertion order. */
const RESULT_KEY_ORDER = [
  'ret', 'errno', 'signal', 'code', 'addr', 'data', 'maps', 'smaps', 'smaps_rollup', 'status', 'skip',
  'error',
] as const;

/**
 * A JSON string literal as the oracle writes it: `"` and `\` escaped, `\n` and `\t` spelled so,
 * other control characters and DEL as `\u00XX`, everything else (including non-ASCII) as is.
 */
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Any JSON-like value as compact JSON (no blanks), members in insertion order. */
export function jsonValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return '[' + v.map(jsonValue).join(',') + ']';
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        parts.push(jsonString(k) + ':' + jsonValue(x));
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      return 'null';
  }
}

/** One result line (without the newline). */
export function formatResult(r: OpResult): string {
  const rec = r as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of RESULT_KEY_ORDER) {
    if (rec[k] !== undefined) parts.push(jsonString(k) + ':' + jsonValue(rec[k]));
  }
  for (const [k, x] of Object.entries(rec)) {
    if (x === undefined || (RESULT_KEY_ORDER as readonly string[]).includes(k)) continue;
    parts.push(jsonString(k) + ':' + jsonValue(x));
  }
  return '{' + parts.join(',') + '}';
}

/** The init record line: `{"init":{...}}`. */
export function formatInit(init: Record<string, unknown>): string {
  return '{"init":' + jsonValue(init) + '}';
}

/** The whole output: the init record line, then one line per result, each newline-terminated. */
export function formatOutput(init: Record<string, unknown>, results: readonly OpResult[]): string {
  let out = formatInit(init) + '\n';
  for (const r of results) out += formatResult(r) + '\n';
  return out;
}

// ---- /proc values -------------------------------------------------------------------------

const INT64_MAX = (1n << 63n) - 1n;

/**
 * A `/proc` value as the oracle prints it (controller.c:emit_kv()): text that is an integer,
 * optionally followed by ` kB`, becomes a number; other text stays a string. In smaps, trailing
 * blanks are removed first (`VmFlags: rd wr ` has one).
 */
export function procValue(v: ProcValue, stripTrailingBlanks = false): ProcValue {
  if (typeof v === 'number') return v;
  const s = stripTrailingBlanks ? v.replace(/ +$/, '') : v;
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)(?: kB)?$/.exec(s);
  if (!m) return s;
  let n = BigInt(m[1]);
  if (n > INT64_MAX) n = INT64_MAX;
  if (n < -INT64_MAX - 1n) n = -INT64_MAX - 1n;
  return Number(n);
}

/** A flat `/proc` record (status, smaps_rollup) with values normalised. */
export function procRecord(rec: Readonly<Record<string, ProcValue>>): Record<string, ProcValue> {
  const out: Record<string, ProcValue> = {};
  for (const [k, v] of Object.entries(rec)) out[k] = procValue(v);
  return out;
}

/** One smaps entry: `line` first, then the kept keys in the kernel's order. */
export function smapsRecord(
  line: string, fields: Readonly<Record<string, ProcValue>>, keep?: readonly string[],
): Record<string, ProcValue> {
  const out: Record<string, ProcValue> = { line };
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'line' || (keep !== undefined && !keep.includes(k))) continue;
    out[k] = procValue(v, true);
  }
  return out;
}

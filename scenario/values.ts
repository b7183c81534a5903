/**
 * Scenario values (spec/scenario.md §2): 64-bit operands as expressions over earlier ops'
 * results, symbolic constants, hex data, and the output spellings of numbers.
 *
 * Everything here follows the kernel oracle's parser (tools/kernel-oracle/src/scenario.c and
 * names.c) to the letter, including its error texts, so that both runners accept and reject the
 * same scenarios. Values are bigints taken modulo 2^64.
 */
import { NAMES } from '../src/abi/mman.js';
import { SG_NAMES } from '../src/abi/sg.js';

export const U64_MASK = (1n << 64n) - 1n;
/** The oracle executor's command buffer: the largest `data` operand, pread, and mincore vector. */
export const EXEC_BUF_SIZE = 1 << 20;
/** Pid labels are 0 .. MAX_PIDS-1. */
export const MAX_PIDS = 32;
/** At most this many terms in one expression. */
export const EXPR_MAX_TERMS = 8;

/** A scenario problem found while reading a line (the caller adds the line number). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** One term of an operand: a constant, or the `ret` of an earlier op (`ref` >= 0). */
export interface Term {
  readonly neg: boolean;
  readonly ref: number;
  readonly value: bigint;
}
/** An operand: the sum of its terms, modulo 2^64. */
export type Expr = readonly Term[];

export function constExpr(value: bigint): Expr {
  return [{ neg: false, ref: -1, value: BigInt.asUintN(64, value) }];
}

/** What an expression may refer to: the ops parsed so far and which of them can yield a ret. */
export interface RefContext {
  /** Ops parsed so far (init excluded): valid references are 0 .. nops-1. */
  readonly nops: number;
  yieldsRet(index: number): boolean;
}

const isHex = (c: string | undefined): boolean =>
  c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses `"0x1000"`, `"$3"`, `"$3+0x1000"`, `"$3 - 0x20 + $5"`, `"-0x1"` (an optional leading
 * minus, then terms joined by `+`/`-`). Decimal digits are rejected so no value can be misread.
 * Oracle: scenario.c:parse_expr().
 */
export function parseExpr(s: string, field: string, ctx: RefContext): Expr {
  const terms: Term[] = [];
  let p = 0;
  let neg = false;
  const at = (i: number): string | undefined => (i < s.length ? s[i] : undefined);
  while (at(p) === ' ') p++;
  if (at(p) === '-') {
    neg = true;
    p++;
  }
  for (;;) {
    while (at(p) === ' ') p++;
    if (terms.length === EXPR_MAX_TERMS) throw new ValueError(`"${field}": too many terms in "${s}"`);
    if (at(p) === '0' && (at(p + 1) === 'x' || at(p + 1) === 'X')) {
      p += 2;
      const from = p;
      while (isHex(at(p))) p++;
      const nd = p - from;
      if (nd === 0 || nd > 16) {
        throw new ValueError(`"${field}": bad hex number in "${s}" (1 to 16 hex digits after 0x)`);
      }
      terms.push({ neg, ref: -1, value: BigInt('0x' + s.slice(from, p)) });
    } else if (at(p) === '$') {
      p++;
      if (!isDigit(at(p))) {
        throw new ValueError(`"${field}": '$' must be followed by an op index in "${s}"`);
      }
      let idx = 0;
      while (isDigit(at(p)) && idx < 100000000) idx = idx * 10 + (s.charCodeAt(p++) - 48);
      if (idx >= ctx.nops) {
        throw new ValueError(`"${field}": $${idx} refers to an op that is not before this one`);
      }
      if (!ctx.yieldsRet(idx)) {
        throw new ValueError(`"${field}": $${idx} refers to an op that never yields a "ret"`);
      }
      terms.push({ neg, ref: idx, value: 0n });
    } else {
      throw new ValueError(
        `"${field}": expected 0x-hex or $N in "${s}" (numbers in strings are hex with 0x)`,
      );
    }
    while (at(p) === ' ') p++;
    const c = at(p);
    if (c === undefined) return terms;
    if (c === '+') neg = false;
    else if (c === '-') neg = true;
    else throw new ValueError(`"${field}": unexpected '${c}' in "${s}"`);
    p++;
  }
}

/** The value of an expression, or the index of the first referenced op that has no ret. */
export type EvalResult = { readonly value: bigint } | { readonly missing: number };

export function evalExpr(e: Expr, ret: (index: number) => bigint | undefined): EvalResult {
  let acc = 0n;
  for (const t of e) {
    let v = t.value;
    if (t.ref >= 0) {
      const r = ret(t.ref);
      if (r === undefined) return { missing: t.ref };
      v = r;
    }
    acc = t.neg ? acc - v : acc + v;
  }
  return { value: BigInt.asUintN(64, acc) };
}

/**
 * A JSON integer's text -> bigint in [lo, hi], or undefined. Like the oracle's strtoll-based
 * parse_int(): no fraction or exponent, out-of-range values saturate to the int64 limits first.
 */
export function parseIntText(txt: string, lo: bigint, hi: bigint): bigint | undefined {
  if (!/^-?[0-9]+$/.test(txt)) return undefined;
  let v = BigInt(txt);
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return v >= lo && v <= hi ? v : undefined;
}

// ---- symbolic constants ---------------------------------------------------------------------

/** A name table, as names.c spells it (`what` appears in error messages). */
export interface NameTable {
  readonly what: string;
  readonly names: Readonly<Record<string, number>>;
  /** Values may be or'ed with `|`. */
  readonly bitmask: boolean;
}

export const TABLES = {
  prot: { what: 'prot', names: NAMES.prot, bitmask: true },
  mmapFlags: { what: 'mmap flags', names: NAMES.mmapFlags, bitmask: true },
  mremapFlags: { what: 'mremap flags', names: NAMES.mremapFlags, bitmask: true },
  msyncFlags: { what: 'msync flags', names: NAMES.msyncFlags, bitmask: true },
  mlockFlags: { what: 'mlock2 flags', names: NAMES.mlockFlags, bitmask: true },
  mlockallFlags: { what: 'mlockall flags', names: NAMES.mlockallFlags, bitmask: true },
  advice: { what: 'madvise advice', names: NAMES.advice, bitmask: false },
  openFlags: { what: 'open flags', names: NAMES.openFlags, bitmask: true },
  resource: { what: 'rlimit resource', names: NAMES.resource, bitmask: false },
  msealFlags: { what: 'mseal flags', names: NAMES.msealFlags, bitmask: true },
  ioctl: { what: 'ioctl command', names: SG_NAMES.ioctl, bitmask: false },
  sgDir: { what: 'sg dxfer_direction', names: SG_NAMES.dir, bitmask: false },
  sgFlags: { what: 'sg flags', names: SG_NAMES.flags, bitmask: true },
  pollEvents: { what: 'poll events', names: SG_NAMES.poll, bitmask: true },
} as const satisfies Record<string, NameTable>;

/**
 * One token: a name from the table, `0x` hex (at most 16 characters after `0x`, read as
 * strtoull(…, 16) would), or decimal. Oracle: names.c:parse_token().
 */
function parseToken(t: NameTable, tok: string): bigint | undefined {
  if (tok.length === 0 || tok.length >= 64) return undefined;
  if (Object.prototype.hasOwnProperty.call(t.names, tok)) return BigInt(t.names[tok]);
  if (tok[0] === '0' && (tok[1] === 'x' || tok[1] === 'X')) {
    const rest = tok.slice(2);
    if (rest.length === 0 || rest.length > 16) return undefined;
    const m = /^[\t\n\v\f\r ]*([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return undefined;
    const v = BigInt('0x' + m[2]);
    return BigInt.asUintN(64, m[1] === '-' ? -v : v);
  }
  if (tok[0] >= '0' && tok[0] <= '9') {
    if (!/^[0-9]+$/.test(tok)) return undefined;
    const v = BigInt(tok);
    return v > U64_MASK ? U64_MASK : v;
  }
  return undefined;
}

/**
 * `"PROT_READ|PROT_WRITE"`, `"MAP_PRIVATE|0x80000000"`, `"MADV_DONTNEED"` -> value.
 * Oracle: names.c:names_parse().
 */
export function parseNames(t: NameTable, s: string): bigint {
  let acc = 0n;
  let ntok = 0;
  let p = 0;
  for (;;) {
    while (s[p] === ' ') p++;
    let q = p;
    while (q < s.length && s[q] !== '|' && s[q] !== ' ') q++;
    const tok = s.slice(p, q);
    const v = parseToken(t, tok);
    if (v === undefined) throw new ValueError(`unknown ${t.what} value '${tok}' in "${s}"`);
    acc |= v;
    ntok++;
    while (s[q] === ' ') q++;
    if (q >= s.length) break;
    if (s[q] !== '|') throw new ValueError(`bad ${t.what} expression "${s}"`);
    p = q + 1;
  }
  if (!t.bitmask && ntok !== 1) throw new ValueError(`${t.what} takes a single value, not "${s}"`);
  return acc;
}

// ---- bytes and numbers in output --------------------------------------------------------------

/** `"deadbeef"` -> bytes (plain hex, two digits per byte, at most 1 MiB). */
export function parseHexData(s: string): Uint8Array {
  if (s.length % 2) throw new ValueError('"data": odd number of hex digits');
  if (s.length / 2 > EXEC_BUF_SIZE) throw new ValueError(`"data": more than ${EXEC_BUF_SIZE} bytes`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < s.length; i += 2) {
    for (let k = 0; k < 2; k++) {
      if (!isHex(s[i + k])) {
        throw new ValueError(`"data": '${s[i + k]}' is not a hex digit (plain hex, no 0x)`);
      }
    }
    out[i / 2] = parseInt(s.slice(i, i + 2), 16);
  }
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

/** Bytes as lowercase hex digits, two per byte. */
export function hexBytes(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += HEX_DIGITS[x >> 4] + HEX_DIGITS[x & 15];
  return s;
}

/** `0x%llx`: lowercase, no leading zeros, the value taken modulo 2^64. */
export function hex(v: bigint | number): string {
  return '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
}

/** Parses an output hex value (`"0x7ffff7ff4000"`) back to a bigint. */
export function parseHexValue(s: string): bigint | undefined {
  return /^0x[0-9a-fA-F]{1,16}$/.test(s) ? BigInt(s) : undefined;
}

/** The UTF-8 length of a string, as the oracle's strlen() sees it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

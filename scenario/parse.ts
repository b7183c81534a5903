/**
 * Reading and checking scenario text (spec/scenario.md §1–§4, §7.1).
 *
 * The rules, field tables and error texts are the kernel oracle's
 * (tools/kernel-oracle/src/scenario.c, json.c), so both runners accept the same scenarios and
 * report a bad one the same way. Numeric operands stay expressions (`"$3+0x1000"` is known only
 * once op 3 ran); everything else is checked before anything runs.
 */
import {
  MAX_PIDS, TABLES, ValueError, constExpr, parseExpr, parseHexData, parseIntText,
  parseNames, utf8Length, type Expr, type NameTable, type RefContext,
} from './values.js';

// ---- a small JSON reader ----------------------------------------------------------------------

/** A JSON value with numbers kept as text, so 64-bit values never pass through a double. */
export type JVal =
  | { readonly type: 'null' }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'num'; readonly text: string }
  | { readonly type: 'str'; readonly value: string }
  | { readonly type: 'arr'; readonly items: readonly JVal[] }
  | { readonly type: 'obj'; readonly keys: readonly string[]; readonly values: readonly JVal[] };

/**
 * Parses exactly one JSON value (surrounding whitespace allowed). Duplicate keys are an error.
 * Errors read `JSON: <what> at column N`. Oracle: json.c.
 */
export function parseJson(text: string): JVal {
  let pos = 0;
  let depth = 0;
  const fail = (msg: string): never => {
    throw new ValueError(`JSON: ${msg} at column ${utf8Length(text.slice(0, pos)) + 1}`);
  };
  const skipWs = (): void => {
    for (;;) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') pos++;
      else return;
    }
  };
  const parseString = (): string => {
    pos++;
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c < 0x20) fail('control character in string');
      pos++;
      if (c === 0x22) break;
      if (c !== 0x5c) {
        out += text[pos - 1];
        continue;
      }
      const e = text[pos++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const h = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          pos += 4;
          out += String.fromCharCode(parseInt(h, 16));
          break;
        }
        default:
          fail(`bad escape '\\${e ?? ''}'`);
      }
    }
    // The oracle keeps C strings: an escaped NUL ends the string.
    const z = out.indexOf('\0');
    return z >= 0 ? out.slice(0, z) : out;
  };
  const parseValue = (): JVal => {
    if (++depth > 64) fail('nesting too deep');
    skipWs();
    const c = text[pos];
    let v: JVal;
    if (c === '{' || c === '[') {
      const isObj = c === '{';
      const close = isObj ? '}' : ']';
      const keys: string[] = [];
      const values: JVal[] = [];
      pos++;
      skipWs();
      if (text[pos] === close) {
        pos++;
      } else {
        for (;;) {
          skipWs();
          if (isObj) {
            if (text[pos] !== '"') fail('expected a string key');
            const key = parseString();
            if (keys.includes(key)) fail(`duplicate key "${key}"`);
            skipWs();
            if (text[pos] !== ':') fail("expected ':'");
            pos++;
            keys.push(key);
          }
          values.push(parseValue());
          skipWs();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === close) {
            pos++;
            break;
          }
          fail(`expected ',' or '${close}'`);
        }
      }
      v = isObj ? { type: 'obj', keys, values } : { type: 'arr', items: values };
    } else if (c === '"') {
      v = { type: 'str', value: parseString() };
    } else if (text.startsWith('true', pos) || text.startsWith('false', pos)) {
      const b = c === 't';
      pos += b ? 4 : 5;
      v = { type: 'bool', value: b };
    } else if (text.startsWith('null', pos)) {
      pos += 4;
      v = { type: 'null' };
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const from = pos;
      if (c === '-') pos++;
      while (pos < text.length && /[0-9.eE+-]/.test(text[pos])) pos++;
      v = { type: 'num', text: text.slice(from, pos) };
    } else {
      v = fail(c !== undefined ? `unexpected character '${c}'` : 'unexpected end of line');
    }
    depth--;
    return v;
  };
  const v = parseValue();
  skipWs();
  if (pos < text.length) fail('trailing characters after the value');
  return v;
}

/** A member of a JSON object, or undefined. */
export function jget(obj: JVal, key: string): JVal | undefined {
  if (obj.type !== 'obj') return undefined;
  const i = obj.keys.indexOf(key);
  return i >= 0 ? obj.values[i] : undefined;
}

/** A JSON value as plain JavaScript (numbers become `number`). */
export function jvalToPlain(v: JVal): unknown {
  switch (v.type) {
    case 'null': return null;
    case 'bool': return v.value;
    case 'num': return Number(v.text);
    case 'str': return v.value;
    case 'arr': return v.items.map(jvalToPlain);
    case 'obj': {
      const o: Record<string, unknown> = {};
      v.keys.forEach((k, i) => { o[k] = jvalToPlain(v.values[i]); });
      return o;
    }
  }
}

// ---- the op table -----------------------------------------------------------------------------

type FieldType =
  | 'u64'   // 64-bit operand: "0x..", "$N", "$N+0x..", or an integer 0 .. 2^53
  | 'fd'    // file descriptor: a 32-bit integer (may be negative) or an expression
  | 'bits'  // symbolic constant(s) from a name table, hex, or an integer
  | 'data'  // hex bytes
  | 'path'  // file path
  | 'name'  // a string or null (anon_name)
  | 'info'  // an informational string, checked and not used (open's "dev")
  | 'bool'
  | 'label' // a pid label (fork's "child")
  | 'list'; // an array of strings (smaps "fields")

interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  /** Default of an absent operand (u64/fd/bits). */
  readonly def?: bigint;
  readonly table?: NameTable;
}

interface OpSpec {
  /** Success gives {"ret": ...}, so later ops may refer to it. */
  readonly yieldsRet: boolean;
  readonly fields: readonly FieldSpec[];
}

const req = (name: string, type: FieldType, table?: NameTable): FieldSpec => ({ name, type, required: true, table });
const opt = (name: string, type: FieldType, def = 0n, table?: NameTable): FieldSpec =>
  ({ name, type, required: false, def, table });

/**
 * sg_io / sg_submit: an sg_io_hdr_t the runner lays out at `at` (the CDB at at+96, the sense
 * buffer at at+128: the scenario provides 256 writable bytes there), then ioctl(SG_IO) or write().
 */
const SG_HDR_FIELDS: readonly FieldSpec[] = [
  req('fd', 'fd'), req('at', 'u64'), req('cdb', 'data'), opt('dir', 'bits', 0xffffffffffffffffn, TABLES.sgDir),
  opt('len', 'u64'), opt('buf', 'u64'), opt('flags', 'bits', 0n, TABLES.sgFlags), opt('pack_id', 'u64'),
  opt('mx_sb_len', 'u64', 32n), opt('iovec_count', 'u64'), opt('interface_id', 'u64', 0x53n), opt('cmd_len', 'u64'),
  opt('timeout', 'u64')];

/** Fields per op, in the oracle's order (which is also the order operands are evaluated in). */
const SPECS = {
  mmap: { yieldsRet: true, fields: [
    opt('addr', 'u64'), req('len', 'u64'), req('prot', 'bits', TABLES.prot),
    req('flags', 'bits', TABLES.mmapFlags), opt('fd', 'fd', (1n << 64n) - 1n), opt('offset', 'u64')] },
  munmap: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64')] },
  mprotect: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), req('prot', 'bits', TABLES.prot)] },
  mremap: { yieldsRet: true, fields: [
    req('old_addr', 'u64'), req('old_len', 'u64'), req('new_len', 'u64'),
    opt('flags', 'bits', 0n, TABLES.mremapFlags), opt('new_addr', 'u64')] },
  brk: { yieldsRet: true, fields: [opt('addr', 'u64')] },
  madvise: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), req('advice', 'bits', TABLES.advice)] },
  msync: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), opt('flags', 'bits', 0n, TABLES.msyncFlags)] },
  mlock: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), opt('flags', 'bits', 0n, TABLES.mlockFlags)] },
  munlock: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64')] },
  mlockall: { yieldsRet: true, fields: [req('flags', 'bits', TABLES.mlockallFlags)] },
  munlockall: { yieldsRet: true, fields: [] },
  mincore: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64')] },
  mseal: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), opt('flags', 'bits', 0n, TABLES.msealFlags)] },
  open: { yieldsRet: true, fields: [
    req('path', 'path'), opt('flags', 'bits', 0n, TABLES.openFlags), opt('mode', 'u64', 0o644n),
    opt('fd', 'fd'), opt('dev', 'info'), opt('ino', 'u64'), opt('size', 'u64')] },
  close: { yieldsRet: true, fields: [req('fd', 'fd')] },
  ftruncate: { yieldsRet: true, fields: [req('fd', 'fd'), req('len', 'u64')] },
  pwrite: { yieldsRet: true, fields: [
    req('fd', 'fd'), opt('offset', 'u64'), opt('data', 'data'), opt('buf', 'u64'), opt('len', 'u64')] },
  pread: { yieldsRet: true, fields: [req('fd', 'fd'), opt('offset', 'u64'), req('len', 'u64'), opt('buf', 'u64')] },
  unlink: { yieldsRet: true, fields: [req('path', 'path')] },
  store: { yieldsRet: true, fields: [req('addr', 'u64'), req('data', 'data')] },
  load: { yieldsRet: false, fields: [req('addr', 'u64'), req('len', 'u64')] },
  touch: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), opt('write', 'bool')] },
  fork: { yieldsRet: true, fields: [opt('child', 'label')] },
  exit: { yieldsRet: true, fields: [] },
  maps: { yieldsRet: false, fields: [] },
  smaps: { yieldsRet: false, fields: [opt('fields', 'list')] },
  smaps_rollup: { yieldsRet: false, fields: [] },
  status: { yieldsRet: false, fields: [] },
  setrlimit: { yieldsRet: true, fields: [
    req('resource', 'bits', TABLES.resource), req('cur', 'u64'), req('max', 'u64')] },
  anon_name: { yieldsRet: true, fields: [req('addr', 'u64'), req('len', 'u64'), req('name', 'name')] },
  // vmspace's device ops (docs/scenario-devices.md; the kernel oracle does not run them)
  scsi_disk: { yieldsRet: true, fields: [
    opt('blocks', 'u64', 16384n), opt('block_size', 'u64', 512n), opt('pattern', 'u64'), opt('allow_dio', 'u64')] },
  ioctl: { yieldsRet: true, fields: [req('fd', 'fd'), req('cmd', 'bits', TABLES.ioctl), opt('arg', 'u64')] },
  sg_io: { yieldsRet: true, fields: SG_HDR_FIELDS },
  sg_submit: { yieldsRet: true, fields: SG_HDR_FIELDS },
  sg_receive: { yieldsRet: true, fields: [
    req('fd', 'fd'), req('at', 'u64'), opt('count', 'u64', 88n), opt('pack_id', 'u64')] },
  poll: { yieldsRet: true, fields: [
    req('fd', 'fd'), req('at', 'u64'), opt('events', 'bits', 0x5n, TABLES.pollEvents), opt('timeout', 'u64')] },
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof SPECS;
export const OP_NAMES = Object.keys(SPECS) as readonly OpName[];

/** Whether a successful `op` prints a `ret` (and so may be referenced as `$N`). */
export function yieldsRet(op: OpName): boolean {
  return SPECS[op].yieldsRet;
}

const isOperand = (t: FieldType): boolean => t === 'u64' || t === 'fd' || t === 'bits';

/** Members every op may carry besides its fields. */
const COMMON_MEMBERS = ['op', 'pid', 'note', 'expect'];

/** One checked op. */
export interface Op {
  readonly op: OpName;
  /** 0-based op index ($N), init excluded. */
  readonly index: number;
  /** 1-based input line. */
  readonly line: number;
  /** Label of the process that runs it. */
  readonly pid: number;
  /** Numeric operands by field name, defaults filled in, in evaluation order. */
  readonly args: Readonly<Record<string, Expr>>;
  /** Fields given explicitly. */
  readonly given: ReadonlySet<string>;
  /** `data` bytes (store, pwrite). */
  readonly data?: Uint8Array;
  /** `path` (open, unlink). */
  readonly path?: string;
  /** open's `dev` ("fe:00"): with `ino` and `size`, a trace's identity of an absolute path. */
  readonly dev?: string;
  /** anon_name's `name` (null clears it). */
  readonly name?: string | null;
  /** fork: the new label. */
  readonly child?: number;
  /** touch: a write access. */
  readonly write: boolean;
  /** smaps: the keys to keep (`line` is always kept); undefined keeps all. */
  readonly fields?: readonly string[];
}

/** The start state given by a scenario's first line: the init record's members. */
export type InitRecord = Record<string, unknown>;

export type ParsedLine =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'init'; readonly init: InitRecord }
  | { readonly kind: 'op'; readonly op: Op }
  | { readonly kind: 'error'; readonly message: string };

/** A bad scenario: the 1-based line and what is wrong with it. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly line: number, readonly detail: string) {
    super(`line ${line}: ${detail}`);
  }
}

/**
 * Reads scenario lines one at a time, carrying what the checks need across lines: the ops so
 * far (which may be referenced, which yield a ret) and the pid labels alive.
 * Oracle: scenario.c:scenario_parse_line().
 */
export class ScenarioParser implements RefContext {
  private retKind: boolean[] = [];
  private seenAny = false;
  private maxLabel = 0;
  private readonly alive = new Set<number>([0]);

  get nops(): number {
    return this.retKind.length;
  }

  yieldsRet(index: number): boolean {
    return this.retKind[index] === true;
  }

  /**
   * Stream mode: a bad line still takes an op index, one that never yields a ret (so a later
   * reference to it is an error). Returns that index.
   */
  skipIndex(): number {
    this.retKind.push(false);
    return this.retKind.length - 1;
  }

  /** Parses one line (without or with its trailing newline). Never throws for bad input. */
  parseLine(text: string, line: number): ParsedLine {
    const t = text.replace(/^[ \t\r\n]+/, '');
    if (t === '' || t[0] === '#') return { kind: 'ignore' };
    try {
      return this.parseObject(parseJson(t), line);
    } catch (e) {
      if (e instanceof ValueError) return { kind: 'error', message: e.message };
      throw e;
    }
  }

  private parseObject(v: JVal, line: number): ParsedLine {
    if (v.type !== 'obj') throw new ValueError('a scenario line must be a JSON object {"op": ...}');
    const jop = jget(v, 'op');
    if (!jop || jop.type !== 'str') throw new ValueError('missing "op" (a string)');
    const name = jop.value;
    if (name === 'init') {
      if (this.seenAny) throw new ValueError('"init" may only be the first line');
      this.seenAny = true;
      const init = jvalToPlain(v) as Record<string, unknown>;
      delete init.op;
      return { kind: 'init', init };
    }
    if (!Object.prototype.hasOwnProperty.call(SPECS, name)) throw new ValueError(`unknown op "${name}"`);
    const opName = name as OpName;
    const spec: OpSpec = SPECS[opName];
    this.seenAny = true;

    // Every key must be known: a typo must not silently become a default.
    for (const k of v.keys) {
      if (COMMON_MEMBERS.includes(k)) continue;
      if (!spec.fields.some((f) => f.name === k)) throw new ValueError(`op "${opName}" has no field "${k}"`);
    }

    let pid = 0;
    const jpid = jget(v, 'pid');
    if (jpid) {
      const x = jpid.type === 'num' ? parseIntText(jpid.text, 0n, BigInt(MAX_PIDS - 1)) : undefined;
      if (x === undefined) throw new ValueError(`"pid": expected a label from 0 to ${MAX_PIDS - 1}`);
      pid = Number(x);
    }
    if (!this.alive.has(pid)) {
      throw new ValueError(`pid ${pid} is not running here (no earlier fork created it, or it exited)`);
    }

    const args: Record<string, Expr> = {};
    const given = new Set<string>();
    const out: {
      data?: Uint8Array; path?: string; dev?: string; name?: string | null; child?: number; write: boolean;
      fields?: string[];
    } = { write: false };
    for (const f of spec.fields) {
      const fv = jget(v, f.name);
      if (!fv) {
        if (f.required) throw new ValueError(`op "${opName}" needs "${f.name}"`);
        if (isOperand(f.type)) args[f.name] = constExpr(f.def ?? 0n);
        continue;
      }
      given.add(f.name);
      this.parseField(f, fv, args, out);
    }

    // Op-specific rules.
    const has = (k: string): boolean => given.has(k);
    let child: number | undefined;
    switch (opName) {
      case 'open': {
        const flags = args.flags[0].value;
        // Device nodes (/dev/sgN: vmspace's device ops) open read-write like any program's.
        if (out.path!.startsWith('/') && !out.path!.startsWith('/dev/') && (flags & 0o3103n) !== 0n) {
          throw new ValueError('absolute paths may only be opened read-only (write to files in the scratch dir)');
        }
        break;
      }
      case 'unlink':
        if (out.path!.startsWith('/')) throw new ValueError('unlink takes a path relative to the scratch dir');
        break;
      case 'pwrite':
        if (has('data') === has('buf') || (has('data') && has('len'))) {
          throw new ValueError('pwrite takes either "data", or "buf" and "len"');
        }
        if (!has('data') && !has('len')) throw new ValueError('pwrite with "buf" needs "len"');
        break;
      case 'fork':
        child = out.child ?? this.maxLabel + 1;
        if (child >= MAX_PIDS) throw new ValueError(`too many processes (labels go up to ${MAX_PIDS - 1})`);
        if (child <= this.maxLabel) {
          throw new ValueError(`fork: label ${child} was already used (labels are never reused)`);
        }
        this.maxLabel = child;
        this.alive.add(child);
        break;
      case 'exit':
        this.alive.delete(pid);
        break;
      default:
        break;
    }

    const index = this.retKind.length;
    this.retKind.push(spec.yieldsRet);
    const op: Op = {
      op: opName, index, line, pid, args, given, write: out.write,
      ...(out.data !== undefined && { data: out.data }),
      ...(out.path !== undefined && { path: out.path }),
      ...(out.dev !== undefined && { dev: out.dev }),
      ...(out.name !== undefined && { name: out.name }),
      ...(child !== undefined && { child }),
      ...(out.fields !== undefined && { fields: out.fields }),
    };
    return { kind: 'op', op };
  }

  private parseField(
    f: FieldSpec, v: JVal, args: Record<string, Expr>,
    out: { data?: Uint8Array; path?: string; dev?: string; name?: string | null; child?: number; write: boolean; fields?: string[] },
  ): void {
    switch (f.type) {
      case 'u64':
      case 'fd': {
        if (v.type === 'str') {
          args[f.name] = parseExpr(v.value, f.name, this);
          return;
        }
        if (v.type === 'num') {
          const x = f.type === 'fd'
            ? parseIntText(v.text, -(2n ** 31n), 2n ** 31n - 1n)
            : parseIntText(v.text, 0n, 2n ** 53n);
          if (x === undefined) {
            throw new ValueError(
              `"${f.name}": ${v.text} is not an integer in range (use a "0x.." string for 64-bit values)`,
            );
          }
          args[f.name] = constExpr(x);
          return;
        }
        throw new ValueError(`"${f.name}": expected a "0x.." string or an integer`);
      }
      case 'bits': {
        const table = f.table!;
        let x: bigint;
        if (v.type === 'num') {
          const i = parseIntText(v.text, 0n, 2n ** 63n - 1n);
          if (i === undefined) throw new ValueError(`"${f.name}": bad integer ${v.text}`);
          x = i;
        } else if (v.type === 'str') {
          try {
            x = parseNames(table, v.value);
          } catch (e) {
            if (e instanceof ValueError) throw new ValueError(`"${f.name}": ${e.message}`);
            throw e;
          }
        } else {
          const first = Object.keys(table.names)[0] ?? '0x0';
          throw new ValueError(`"${f.name}": expected a string like "${first}" or an integer`);
        }
        args[f.name] = constExpr(x);
        return;
      }
      case 'data':
        if (v.type !== 'str') throw new ValueError('"data": expected a hex string');
        out.data = parseHexData(v.value);
        return;
      case 'path': {
        if (v.type !== 'str') throw new ValueError(`"${f.name}": expected a string`);
        const n = utf8Length(v.value);
        if (n === 0 || n > 4000) throw new ValueError('"path": must be 1 to 4000 characters');
        if (!v.value.startsWith('/') && v.value.split('/').includes('..')) {
          throw new ValueError("\"path\": '..' is not allowed (paths are relative to the scratch dir)");
        }
        out.path = v.value;
        return;
      }
      case 'info':
        if (v.type !== 'str') throw new ValueError(`"${f.name}": expected a string`);
        if (f.name === 'dev') out.dev = v.value;
        return;
      case 'name':
        if (v.type === 'null') {
          out.name = null;
          return;
        }
        if (v.type !== 'str' || utf8Length(v.value) > 255) {
          throw new ValueError(`"${f.name}": expected a string (at most 255 bytes) or null`);
        }
        out.name = v.value;
        return;
      case 'bool':
        if (v.type !== 'bool') throw new ValueError(`"${f.name}": expected true or false`);
        out.write = v.value;
        return;
      case 'label': {
        const x = v.type === 'num' ? parseIntText(v.text, 1n, BigInt(MAX_PIDS - 1)) : undefined;
        if (x === undefined) throw new ValueError(`"${f.name}": expected a pid label from 1 to ${MAX_PIDS - 1}`);
        out.child = Number(x);
        return;
      }
      case 'list':
        if (v.type !== 'arr' || v.items.some((i) => i.type !== 'str')) {
          throw new ValueError(`"${f.name}": expected an array of strings`);
        }
        out.fields = v.items.map((i) => (i as { value: string }).value);
        return;
    }
  }
}

/** A whole scenario: the optional start state and the ops in order. */
export interface ParsedScenario {
  readonly init?: InitRecord;
  readonly ops: readonly Op[];
}

/**
 * Splits text into lines as getline() does: each line keeps its newline; a final line without
 * one counts too; nothing after a final newline.
 */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  const last = lines.pop()!;
  const out = lines.map((l) => l + '\n');
  if (last !== '') out.push(last);
  return out;
}

/** Checks every line of a scenario; throws ScenarioError at the first bad one (nothing runs). */
export function parseScenario(text: string): ParsedScenario {
  const parser = new ScenarioParser();
  const ops: Op[] = [];
  let init: InitRecord | undefined;
  splitLines(text).forEach((l, i) => {
    const r = parser.parseLine(l, i + 1);
    if (r.kind === 'error') throw new ScenarioError(i + 1, r.message);
    if (r.kind === 'init') init = r.init;
    else if (r.kind === 'op') ops.push(r.op);
  });
  return init === undefined ? { ops } : { init, ops };
}

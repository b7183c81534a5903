/**
 * strace logs as records: one `StraceCall` per completed system call, in the order the log shows
 * them completing. Handles what `strace -f` writes: a `[pid N] ` prefix (on a terminal) or a
 * `N ` prefix (with -o), timestamps (-t, -tt, -ttt, -r) and durations (-T), `<unfinished ...>` /
 * `<... NAME resumed>` pairs interleaved across threads, `-y` paths after descriptors
 * (`3</usr/lib/libc.so.6>`), raw (-X raw) or decoded flags, `= -1 ENOENT (...)`, `= ?`, signals
 * and exits. Arguments stay text, split at top-level commas; `argNumber()` reads numbers, flag
 * names and descriptors. Reference: man strace(1); strace's src/strace.c printing.
 */

export interface StraceCall {
  /** The thread that made the call (the log's pid column; 0 when the log has none). */
  pid: number;
  name: string;
  /** Top-level arguments as the log prints them. */
  args: string[];
  /** The result: a number (an address, a count, -1), or null for `?`. */
  ret: bigint | null;
  /** The errno name when the call failed (`ENOMEM`), else null. */
  errno: string | null;
  /** A `-y` path printed after the returned descriptor (`= 3</etc/passwd>`). */
  retPath: string | null;
  /** The text after the `=` (for reports). */
  retText: string;
  /** 1-based line where the call ended (for reports). */
  line: number;
  /**
   * 1-based line where the call began: before `line` for one strace printed `<unfinished ...>`
   * (it ran concurrently with the calls other threads printed in between), else `line`.
   */
  start?: number;
}

/** Other events of the log that matter to a replay. */
export interface StraceEvent {
  pid: number;
  kind: 'exit' | 'killed' | 'signal';
  text: string;
  line: number;
}

export type StraceRecord = ({ type: 'call' } & StraceCall) | ({ type: 'event' } & StraceEvent);

const PREFIX = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:(\d+:\d+:\d+(?:\.\d+)?|\d+\.\d+)\s+)?/;

/** Split `a, b, {c, d}, "e,f"` at its top-level commas. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      cur += c;
      if (c === '\\') { cur += s[++i] ?? ''; continue; }
      if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') { inStr = true; cur += c; continue; }
    if (c === '(' || c === '{' || c === '[' || c === '<') depth++;
    else if (c === ')' || c === '}' || c === ']' || c === '>') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur.trim());
  return out;
}

/** The index of the `)` closing the argument list that starts at `from` (-1 when the line ends first). */
function closingParen(s: string, from: number): number {
  let depth = 0;
  let inStr = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      if (depth === 0 && c === ')') return i;
      depth--;
    }
  }
  return -1;
}

/** `= RET [ERRNO (text)] [<0.000012>]` → the result fields. */
function parseResult(text: string): Pick<StraceCall, 'ret' | 'errno' | 'retPath' | 'retText'> {
  const t = text.replace(/\s*<\d+\.\d+>\s*$/, '').trim();
  const m = /^(-?(?:0x[0-9a-fA-F]+|\d+)|\?)(?:<([^>]*)>)?(?:\s+([A-Z][A-Z0-9_]*)(?:\s+\(.*\))?)?/.exec(t);
  if (m === null) return { ret: null, errno: null, retPath: null, retText: t };
  const ret = m[1] === '?' ? null : BigInt(m[1]);
  return { ret, errno: m[3] ?? null, retPath: m[2] ?? null, retText: t };
}

/**
 * Parse a whole log. Lines that are not calls or events (strace's own messages, `???`) are
 * skipped; an `<unfinished ...>` call is held per pid until its `resumed` line comes.
 */
export function parseStrace(text: string): StraceRecord[] {
  const out: StraceRecord[] = [];
  const pending = new Map<number, { name: string; head: string; emitted?: boolean; start: number }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const pm = PREFIX.exec(raw)!;
    const pid = Number(pm[1] ?? pm[2] ?? 0);
    const body = raw.slice(pm[0].length);
    const line = i + 1;
    if (body.startsWith('+++ exited')) { out.push({ type: 'event', pid, kind: 'exit', text: body, line }); continue; }
    if (body.startsWith('+++ killed')) { out.push({ type: 'event', pid, kind: 'killed', text: body, line }); continue; }
    if (body.startsWith('---')) { out.push({ type: 'event', pid, kind: 'signal', text: body, line }); continue; }
    let name: string;
    let argsText: string;
    let rest: string;
    let start = line;
    const resumed = /^<\.\.\. ([A-Za-z0-9_]+) resumed>\s?(.*)$/.exec(body);
    if (resumed !== null) {
      const held = pending.get(pid);
      pending.delete(pid);
      if (held?.emitted === true && held.name === resumed[1]) continue; // an early close (below)
      name = resumed[1];
      const joined = (held !== undefined && held.name === name ? held.head : '') + resumed[2];
      const close = closingParen(joined, 0);
      if (close < 0) continue;
      argsText = joined.slice(0, close);
      rest = joined.slice(close + 1);
      if (held !== undefined && held.name === name) start = held.start;
    } else {
      const m = /^([A-Za-z0-9_]+)\(/.exec(body);
      if (m === null) continue;
      name = m[1];
      const from = m[0].length;
      const unfinished = body.endsWith('<unfinished ...>');
      if (unfinished) {
        const head = body.slice(from, -'<unfinished ...>'.length).trimEnd() + ' ';
        // close() frees its descriptor as it starts (close_fd()), whatever it returns later: the
        // other threads may reuse the number before the resumed line (recorded: chromium's GPU
        // thread opened its cache file at fd 123 while the main thread's close(123) was
        // unfinished). So it counts where it started.
        const early = name === 'close';
        if (early) out.push({ type: 'call', pid, name, args: splitArgs(head.trimEnd()), line, ret: 0n, errno: null, retPath: null, retText: '0 (unfinished)' });
        pending.set(pid, { name, head, emitted: early, start: line });
        continue;
      }
      const close = closingParen(body, from);
      if (close < 0) continue;
      argsText = body.slice(from, close);
      rest = body.slice(close + 1);
    }
    const eq = /^\s*=\s*(.*)$/.exec(rest);
    if (eq === null) continue;
    out.push({ type: 'call', pid, name, args: splitArgs(argsText), line, ...(start !== line ? { start } : {}), ...parseResult(eq[1]) });
  }
  return out;
}

/** The path printed after a descriptor (`3</usr/lib/libc.so.6>`), or null. */
export function argPath(arg: string): string | null {
  const m = /^-?\d+<(.*)>$/.exec(arg.trim());
  return m === null ? null : m[1];
}

/**
 * An argument as a number: decimal, hex or octal, `NULL`, a descriptor with its `-y` path, or a
 * union of names from `names` (`PROT_READ|PROT_WRITE`, with hex for unknown bits). Null when it
 * is none of these.
 */
export function argNumber(arg: string, names: Readonly<Record<string, number>> = {}): bigint | null {
  let a = arg.trim();
  if (a === 'NULL') return 0n;
  // A descriptor with -y: `3</path>`; strace 6 prints a file that is gone as `3</path>(deleted)`
  // (a memfd always is).
  const fd = /^(-?\d+)<.*>(?:\(deleted\))?$/.exec(a);
  if (fd !== null) a = fd[1];
  if (a === 'AT_FDCWD') return -100n;
  let acc = 0n;
  for (const part of a.split('|')) {
    const p = part.trim();
    if (/^-?0x[0-9a-fA-F]+$/.test(p)) acc |= BigInt(p);
    else if (/^-?0[0-7]+$/.test(p)) acc |= BigInt('0o' + p.replace('-', '')) * (p.startsWith('-') ? -1n : 1n);
    else if (/^-?\d+$/.test(p)) acc |= BigInt(p);
    else if (Object.prototype.hasOwnProperty.call(names, p)) acc |= BigInt(names[p]);
    else if (/^[A-Z_0-9]+<<\d+$/.test(p)) {
      const [n, sh] = p.split('<<');
      if (!Object.prototype.hasOwnProperty.call(names, n)) return null;
      acc |= BigInt(names[n]) << BigInt(sh);
    } else return null;
  }
  return acc;
}

/** A struct member from a printed struct (`{st_dev=makedev(0xfe, 0), st_ino=42, ...}`), as text. */
export function structField(arg: string, field: string): string | null {
  const t = arg.trim();
  const body = t.startsWith('{') ? t.slice(1, t.endsWith('}') ? -1 : undefined) : t;
  for (const member of splitArgs(body)) {
    if (member.startsWith(field + '=')) return member.slice(field.length + 1).trim();
  }
  return null;
}

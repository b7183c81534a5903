/**
 * /proc/<pid>/maps and smaps text, for the replay (scenario/replay.ts): comparing final maps
 * where a log cannot give every field, the smaps entries a start state needs, and what a start
 * state's maps show of its layout (mmap_base, the stack, the program).
 */
import { DEFAULT_INIT } from '../src/kernel/default-init.js';
import type { Task } from '../src/kernel/system.js';

/** smaps text → the init record's smaps entries (line, VmFlags, Rss, Anonymous). */
export function parseSmapsText(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let cur: Record<string, unknown> | null = null;
  for (const line of text.split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      cur = { line };
      out.push(cur);
    } else if (cur !== null) {
      const m = /^(\w+):\s+(.*?)\s*(kB)?$/.exec(line);
      if (m === null) continue;
      if (m[1] === 'VmFlags') cur.VmFlags = m[2];
      else if (m[1] === 'Rss' || m[1] === 'Anonymous') cur[m[1]] = Number(m[2]);
    }
  }
  return out;
}

/**
 * What a start state's maps show of its layout beyond its VMAs, where the defaults (the oracle
 * executor's, without address-space randomization) do not fit: a program started with
 * randomization on (a log taken without setarch -R, or a process that turned it back on).
 * - mmap_base: load_elf_binary() maps the interpreter first, top-down from mmap_base, so its
 *   highest mapping ends there (a program without an interpreter keeps the default: its
 *   highest file mapping is the executable, far below the mmap area). Every later placement
 *   starts from it.
 * - start_stack: an address in the [stack] VMA, which /proc/<pid>/maps names by it.
 */
export function layoutOf(maps: string[]): { mmap_base?: string; start_stack?: string } {
  let top = 0;
  let stack: [number, number] | null = null;
  for (const line of maps) {
    const f = MAPS_FIELDS.exec(line.trimEnd());
    if (f === null) continue;
    const [start, end] = f[1].split(/[- ]/).slice(0, 2).map((x) => parseInt(x, 16));
    if (f[5] === '[stack]') stack = [start, end];
    else if (f[5].startsWith('/') && end > top) top = end;
  }
  const out: { mmap_base?: string; start_stack?: string } = {};
  if (top >= 0x700000000000) out.mmap_base = '0x' + top.toString(16);
  const def = parseInt(String(DEFAULT_INIT.start_stack), 16);
  if (stack !== null && !(stack[0] <= def && def < stack[1])) out.start_stack = '0x' + (stack[1] - 8).toString(16);
  return out;
}

/** The program a task runs: the file of its lowest mapping (where execve put the executable). */
export function programOf(t: Task): string | undefined {
  for (const line of t.proc.maps()) {
    const path = MAPS_FIELDS.exec(line.trimEnd())?.[5];
    if (path !== undefined && path.startsWith('/')) return path.replace(/ \(deleted\)$/, '');
  }
  return undefined;
}

/**
 * Compare final maps: the kernel's lines and vmspace's, as a list of differences (empty when
 * equal). The [stack] VMA's start is compared loosely: the kernel grows it on page faults, which
 * a syscall log does not record. Device and inode are not compared where the log cannot give
 * them (unknownIdentity()).
 */
export function diffMaps(kernel: string[], mine: string[]): string[] {
  const unknown = new Set(mine.filter(unknownIdentity).map((l) => MAPS_FIELDS.exec(l.trimEnd())![5]));
  const norm = (l: string): string => {
    let n = l.endsWith('[stack]') ? l.replace(/^[0-9a-f]+-/, '*-') : l.trimEnd();
    const f = MAPS_FIELDS.exec(n);
    if (f !== null && unknown.has(f[5])) n = `${f[1]} *:* * ${f[5]}`;
    return n;
  };
  const k = kernel.filter((l) => l.trim() !== '').map(norm);
  const m = mine.map(norm);
  const out: string[] = [];
  const ks = new Set(k);
  const ms = new Set(m);
  for (const l of k) if (!ms.has(l)) out.push(`- ${l}`);
  for (const l of m) if (!ks.has(l)) out.push(`+ ${l}`);
  return out;
}

/** A maps line: range, perms and offset; device; inode; the padding; the path. */
const MAPS_FIELDS = /^(\S+ \S+ \S+) (\S+) (\d+)(\s+)(\S.*)$/;

/**
 * Whether a vmspace maps line is of a file whose device and inode the replayed log did not show:
 * one of the kernel's internal shmem mount (00:01: memfds, shared anonymous memory), whose inode
 * numbers come from a global counter, or a file the program never fstat()ed (00:00 0).
 */
export function unknownIdentity(line: string): boolean {
  const f = MAPS_FIELDS.exec(line.trimEnd());
  if (f === null || !f[5].startsWith('/')) return false;
  return f[2] === '00:01' || (f[2] === '00:00' && f[3] === '0');
}

/**
 * One row of /proc/<pid>/maps as the inspector's views use it: the maps columns split out, the
 * Rss of smaps, and the VMA's role. Built from the engine's read model (snapshot()) only, never
 * from its VMA tree.
 */
import { mapsLine, snapshot, type VmaInfo } from '../../../src/internal.js';
import type { Task } from '../../../src/index.js';
import { roleOf, type Role } from './roles.js';

export interface VmaRow {
  /** Position in the maps listing (0-based). */
  index: number;
  start: number;
  end: number;
  /** The maps permission column, e.g. `rw-p`. */
  perms: string;
  offset: number;
  /** `major:minor` as maps prints it. */
  dev: string;
  inode: number;
  name: string;
  /** Resident set in kB, as smaps' `Rss:` line. */
  rssKb: number;
  /** The exact maps line. */
  line: string;
  role: Role;
  /** VM_* flags (0 for the gate VMA, which has no VmaInfo). */
  flags: number;
  /** The smaps `VmFlags` mnemonics. */
  vmFlags: string;
}

/** The gate VMA Linux lists last in every maps file (not in the VMA tree, not in map_count). */
export const VSYSCALL_START = 0xffffffffff600000;

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');

function rowOf(v: VmaInfo, index: number): VmaRow {
  const line = mapsLine(v);
  // The perms column is the second field of the line: one formatter for the table and maps.
  const perms = line.slice(line.indexOf(' ') + 1, line.indexOf(' ') + 5);
  return {
    index, start: v.start, end: v.end, perms, offset: v.offset,
    dev: `${hex(v.major, 2)}:${hex(v.minor, 2)}`, inode: v.ino, name: v.name,
    rssKb: v.mem.resident * 4, line, role: roleOf(v.name, perms, v.ino !== 0 || v.major !== 0 || v.minor !== 0),
    flags: v.flags, vmFlags: v.vmFlags.trimEnd(),
  };
}

/** The rows of a task's maps file, `[vsyscall]` last, as Linux lists them. */
export function vmaRows(task: Task): VmaRow[] {
  const rows = snapshot(task.mm).vmas.map(rowOf);
  const maps = task.proc.maps();
  const gate = maps[maps.length - 1];
  rows.push({
    index: rows.length, start: VSYSCALL_START, end: VSYSCALL_START + 4096, perms: '--xp', offset: 0,
    dev: '00:00', inode: 0, name: '[vsyscall]', rssKb: 0, line: gate, role: 'special', flags: 0, vmFlags: 'ex',
  });
  return rows;
}

/** The row whose range holds `addr`, by binary search over the sorted rows. */
export function rowAt(rows: readonly VmaRow[], addr: number): VmaRow | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid];
    if (addr < r.start) hi = mid - 1;
    else if (addr >= r.end) lo = mid + 1;
    else return r;
  }
  return undefined;
}

/** A byte count as the inspector labels sizes: `4 KiB`, `1.5 MiB`, `128 TiB`. */
export function sizeLabel(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = v >= 100 || Number.isInteger(v) ? Math.round(v).toString() : v.toFixed(1);
  return `${s} ${units[u]}`;
}

/** An address as maps prints it (lowercase hex, at least 8 digits, no `0x`). */
export function addrHex(a: number): string {
  return hex(a, 8);
}

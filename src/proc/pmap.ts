/**
 * procps-ng's pmap output (version 4.0), byte for byte: the default format, `-x` (Kbytes, RSS,
 * Dirty) and `-X` / `-XX` (the smaps fields in columns sized to their widest value), from the
 * same smaps records `/proc/<pid>/smaps` is rendered from. Also parses smaps text, so real
 * processes' smaps can be checked against real pmap (test/unit/pmap.test.ts).
 * Reference: procps-ng src/pmap.c one_proc(), print_extended_maps(), mapping_name().
 */
import type { SmapsRecord } from './smaps.js';

export type PmapFormat = 'default' | 'x' | 'X' | 'XX';

export interface PmapProcess {
  pid: number;
  /** The command line pmap prints after the pid. */
  cmdline: string;
  /** mm->start_stack: the mapping holding it is "[ stack ]". */
  startStack: number;
}

/** Fields `-X` leaves out (pmap.c is_unimportant()). */
const UNIMPORTANT = new Set([
  'AnonHugePages', 'KernelPageSize', 'MMUPageSize', 'Shared_Dirty', 'Private_Dirty', 'Shared_Clean', 'Private_Clean', 'VmFlags',
]);

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/;

/** /proc/<pid>/smaps text → records (VmFlags kept as text, the rest as numbers in kB). */
export function parseSmaps(text: string): SmapsRecord[] {
  const out: SmapsRecord[] = [];
  let cur: SmapsRecord | null = null;
  for (const line of text.split('\n')) {
    if (MAPS_LINE.test(line)) {
      cur = { line, fields: {} };
      out.push(cur);
    } else if (cur !== null) {
      const m = /^([A-Za-z_]+):\s+(.*?)(?: kB)?\s*$/.exec(line);
      if (m === null) continue;
      cur.fields[m[1]] = m[1] === 'VmFlags' ? m[2] : Number(m[2]);
    }
  }
  return out;
}

/** pmap.c mapping_name(): a file's base name, or "[ stack ]" / "[ anon ]". */
function mappingName(line: string, start: number, end: number, p: PmapProcess): string {
  const slash = line.lastIndexOf('/');
  if (slash >= 0) return slash + 1 < line.length ? line.slice(slash + 1) : line.slice(slash);
  return p.startStack >= start && p.startStack <= end ? '  [ stack ]' : '  [ anon ]';
}

const kb = (r: SmapsRecord, k: string): number => (typeof r.fields[k] === 'number' ? (r.fields[k] as number) : 0);

/** The text pmap prints for one process, ending with a newline. */
export function renderPmap(recs: SmapsRecord[], p: PmapProcess, format: PmapFormat = 'default'): string {
  let out = `${p.pid}:   ${p.cmdline}\n`;
  if (format === 'X' || format === 'XX') return out + extended(recs, format);
  const x = format === 'x';
  if (x) out += `${'Address'.padEnd(16)} ${'Kbytes'.padStart(7)} ${'RSS'.padStart(7)} ${'Dirty'.padStart(7)} ${'Mode'.padEnd(5)} Mapping\n`;
  let total = 0;
  let rss = 0;
  let dirty = 0;
  for (const r of recs) {
    const m = MAPS_LINE.exec(r.line);
    if (m === null) continue;
    const start = parseInt(m[1], 16);
    const end = parseInt(m[2], 16);
    const size = (end - start) / 1024;
    total += size;
    const mode = m[3].slice(0, 3) + (m[3][3] === 's' ? 's' : '-') + '-';
    const name = mappingName(r.line, start, end, p);
    const addr = m[1].padStart(16, '0');
    if (x) {
      const d = kb(r, 'Shared_Dirty') + kb(r, 'Private_Dirty');
      rss += kb(r, 'Rss');
      dirty += d;
      out += `${addr} ${String(size).padStart(7)} ${String(kb(r, 'Rss')).padStart(7)} ${String(d).padStart(7)} ${mode} ${name}\n`;
    } else {
      out += `${addr} ${String(size).padStart(6)}K ${mode} ${name}\n`;
    }
  }
  if (x) {
    out += `${'-'.repeat(16)} ${'-'.repeat(7)} ${'-'.repeat(7)} ${'-'.repeat(7)} \n`;
    out += `${'total kB'.padEnd(16)} ${String(total).padStart(7)} ${String(rss).padStart(7)} ${String(dirty).padStart(7)}\n`;
  } else {
    out += ` total ${String(total).padStart(16)}K\n`;
  }
  return out;
}

/** pmap.c print_extended_maps(): columns as wide as their widest value (header included). */
function extended(recs: SmapsRecord[], format: 'X' | 'XX'): string {
  const enabled = (k: string): boolean => format === 'XX' || !UNIMPORTANT.has(k);
  const rows = recs.flatMap((r) => {
    const m = MAPS_LINE.exec(r.line);
    return m === null ? [] : [{ m, r }];
  });
  const cols = rows.length === 0 ? [] : Object.keys(rows[0].r.fields).filter((k) => k !== 'VmFlags' && enabled(k));
  const hasVmFlags = format === 'XX' && rows.some(({ r }) => typeof r.fields.VmFlags === 'string');
  const w = { addr: 'Address'.length, perm: 'Perm'.length, off: 'Offset'.length, dev: 'Device'.length, ino: 'Inode'.length, vm: 'VmFlags'.length };
  const colW = new Map(cols.map((k) => [k, k.length]));
  const totals = new Map(cols.map((k) => [k, 0]));
  for (const { m, r } of rows) {
    w.addr = Math.max(w.addr, m[1].length);
    w.perm = Math.max(w.perm, m[3].length);
    w.off = Math.max(w.off, m[4].length);
    w.dev = Math.max(w.dev, m[5].length + 1 + m[6].length);
    w.ino = Math.max(w.ino, m[7].length);
    w.vm = Math.max(w.vm, String(r.fields.VmFlags ?? '').trimEnd().length);
    for (const k of cols) totals.set(k, totals.get(k)! + kb(r, k));
  }
  for (const k of cols) colW.set(k, Math.max(colW.get(k)!, String(totals.get(k)).length));
  let out = `${'Address'.padStart(w.addr)} ${'Perm'.padStart(w.perm)} ${'Offset'.padStart(w.off)} ${'Device'.padStart(w.dev)} ${'Inode'.padStart(w.ino)} `;
  for (const k of cols) out += `${k.padStart(colW.get(k)!)} `;
  if (hasVmFlags) out += `${'VmFlags'.padStart(w.vm)} `;
  out += 'Mapping\n';
  for (const { m, r } of rows) {
    out += `${m[1].padStart(w.addr)} ${m[3].padStart(w.perm)} ${m[4].padStart(w.off)} ${`${m[5]}:${m[6]}`.padStart(w.dev)} ${m[7].padStart(w.ino)}`;
    for (const k of cols) out += ` ${String(r.fields[k] ?? '').padStart(colW.get(k)!)}`;
    if (hasVmFlags) out += ` ${String(r.fields.VmFlags ?? '').trimEnd().padStart(w.vm)}`;
    const desc = m[8];
    const slash = desc.lastIndexOf('/');
    out += ` ${slash >= 0 ? desc.slice(slash + 1) : desc}\n`;
  }
  if (cols.length !== 0) {
    const gap = ' '.repeat(w.addr + 1 + w.perm + 1 + w.off + 1 + w.dev + 1 + w.ino + 1);
    out += gap + cols.map((k) => '='.repeat(colW.get(k)!) + ' ').join('') + '\n';
    out += gap + cols.map((k) => String(totals.get(k)).padStart(colW.get(k)!) + ' ').join('') + 'KB \n';
  }
  return out;
}

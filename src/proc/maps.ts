/**
 * /proc/<pid>/maps text, byte-identical to Linux. Linux: fs/proc/task_mmu.c show_map_vma(),
 * show_vma_header_prefix().
 */
import type { MmSnapshot, VmaInfo } from '../mm/snapshot.js';

/** The gate VMA, listed last but not counted in map_count. */
export const VSYSCALL_LINE = 'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]';

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** One maps line (without the newline). */
export function mapsLine(v: VmaInfo): string {
  const f = v.flags;
  const perms = ((f & 1) ? 'r' : '-') + ((f & 2) ? 'w' : '-') + ((f & 4) ? 'x' : '-') + ((f & 0x80) ? 's' : 'p');
  let line = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(v.offset, 8)} ${hex(v.major, 2)}:${hex(v.minor, 2)} ${v.ino} `;
  if (v.name !== '') {
    // seq_pad(): pad to 72 columns, then one more space before the name.
    if (line.length < 72) line = line.padEnd(72, ' ');
    line += ' ' + v.name;
  }
  return line;
}

export function renderMaps(s: MmSnapshot): string[] {
  const out = s.vmas.map(mapsLine);
  out.push(VSYSCALL_LINE);
  return out;
}

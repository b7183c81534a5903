/**
 * pmap output against procps-ng pmap 4.0.2 itself: test/pmap/sleep.* are a stopped `sleep`'s
 * /proc/<pid>/smaps and what `pmap`, `pmap -x`, `-X` and `-XX` printed for it. The Pss-like
 * figures of shared pages move between two reads of a live system (other processes map the same
 * libraries), so for -X/-XX the records take their figures from the table being checked; the layout
 * (column widths, names, totals) is what is checked. Then vmspace's own processes through it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type PmapFormat, parseSmaps, renderPmap } from '../../src/proc/pmap.js';
import { createSystem } from '../../src/kernel/system.js';
import { renderSmaps } from '../../src/proc/smaps.js';
import { snapshot } from '../../src/mm/snapshot.js';

const read = (f: string): string => readFileSync(new URL(`../pmap/${f}`, import.meta.url), 'utf8');
const proc = JSON.parse(read('sleep.json')) as { pid: number; cmdline: string; startStack: number };

describe('pmap formats (procps-ng 4.0.2)', () => {
  it.each([['default', 'sleep.pmap'], ['x', 'sleep.pmap-x']] as const)('%s: byte for byte', (fmt, file) => {
    expect(renderPmap(parseSmaps(read('sleep.smaps')), proc, fmt)).toBe(read(file));
  });

  it.each([['X', 'sleep.pmap-X'], ['XX', 'sleep.pmap-XX']] as const)('-%s: byte for byte with the same figures', (fmt, file) => {
    const recs = parseSmaps(read('sleep.smaps'));
    // The table's own figures, by address (pmap read smaps once per run).
    const lines = read(file).split('\n');
    const head = lines[1].trim().split(/\s+/);
    for (const row of lines.slice(2)) {
      const cells = row.trim().split(/\s+/);
      const rec = recs.find((r) => r.line.startsWith(cells[0].padStart(12, '0')) || r.line.startsWith(cells[0] + '-'));
      if (rec === undefined) continue;
      head.forEach((h, i) => {
        if (i >= 5 && h !== 'VmFlags' && h !== 'Mapping' && typeof rec.fields[h] === 'number') rec.fields[h] = Number(cells[i]);
      });
    }
    expect(renderPmap(recs, proc, fmt as PmapFormat)).toBe(read(file));
  });
});

describe('pmap of a vmspace process', () => {
  it('default and -x over the engine\'s own smaps: sizes add up, the stack is named', () => {
    const s = createSystem();
    const t = s.task(0)!;
    const a = t.fast.mmap(0, 0x4000, 3, 0x22, -1, 0);
    t.mem.store8(a, 1);
    const recs = renderSmaps(snapshot(t.mm));
    const out = renderPmap(recs, { pid: 1, cmdline: 'demo', startStack: t.mm.startStack }, 'x');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('1:   demo');
    expect(lines[1]).toBe('Address           Kbytes     RSS   Dirty Mode  Mapping');
    expect(out).toContain('  [ stack ]');
    expect(out).toMatch(new RegExp(`^${a.toString(16).padStart(16, '0')}      16       4       4 rw---   \\[ anon \\]$`, 'm'));
    const total = recs.reduce((n, r) => n + (r.fields.Size as number), 0);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^total kB +${total} `));
  });
});

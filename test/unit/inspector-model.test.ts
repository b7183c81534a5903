/**
 * The inspector's model (inspector/src/model), in Node: stepping reproduces the runner, the diffs
 * name what Linux did, the axis and the text formats hold their shape, and the app imports only
 * the engine's public and internal APIs and browser-safe scenario modules.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../src/index.js';
import { OpExecutor, runScenarioText } from '../../scenario/run.js';
import { parseScenario } from '../../scenario/parse.js';
import { EXAMPLES } from '../../inspector/src/model/examples.js';
import { ERRNO_TABLE, explain } from '../../inspector/src/model/explain.js';
import { buildAxis, pieceAt } from '../../inspector/src/model/gap-axis.js';
import { smapsText, statusText } from '../../inspector/src/model/proc-text.js';
import { roleOf } from '../../inspector/src/model/roles.js';
import { Session } from '../../inspector/src/model/session.js';
import { diffVmas } from '../../inspector/src/model/vma-diff.js';
import type { VmaRow } from '../../inspector/src/model/vma-row.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOUR = readFileSync(join(root, 'inspector/examples/tour.jsonl'), 'utf8');

function engineMaps(text: string, k: number, pid: number): string[] {
  const parsed = parseScenario(text);
  const exec = new OpExecutor(createSystem(parsed.init === undefined ? {} : { init: parsed.init }));
  for (const op of parsed.ops.slice(0, k)) exec.run(op);
  return exec.system.task(pid)!.proc.maps();
}

/** A row with just what the diff looks at. */
function row(start: number, end: number, perms = 'rw-p'): VmaRow {
  const line = `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0 `;
  return {
    index: 0, start, end, perms, offset: 0, dev: '00:00', inode: 0, name: '', rssKb: 0, line, role: 'anon', flags: 0, vmFlags: '',
  };
}

describe('Session', () => {
  it('gives the runner\'s result line and the engine\'s maps at every step, forward and back', () => {
    const s = new Session(TOUR);
    const out = runScenarioText(TOUR).split('\n');
    expect(s.initLine).toBe(out[0]);
    const n = s.ops.length;
    for (const k of [...Array(n + 1).keys(), 12, 3, 0, n]) {
      s.goTo(k);
      expect(s.step).toBe(k);
      if (k > 0) expect(s.resultLine(k - 1)).toBe(out[k]);
      const pid = k > 0 && s.task(s.ops[k - 1].pid) ? s.ops[k - 1].pid : 0;
      expect(s.rows(pid).map((r) => r.line)).toEqual(engineMaps(TOUR, k, pid));
    }
  });

  it('records the step diffs: faults, splits, merges, fork and COW', () => {
    const s = new Session(TOUR);
    const kinds = (k: number) => {
      s.goTo(k);
      const d = s.lastDiff!;
      return { vmas: d.vmas.map((c) => c.kind), pages: [...d.pages.changes.keys()], processes: d.processes };
    };
    expect(kinds(1).vmas).toEqual(['added']);
    expect(kinds(2).pages).toEqual(['faulted-in']);
    expect(kinds(5).vmas).toEqual(['split']);
    expect(kinds(6).vmas).toEqual(['merged']);
    expect(kinds(7).vmas).toEqual(['split']);
    const fork = kinds(10);
    expect(fork.pages).toContain('write-protected');
    expect(fork.processes[0]).toMatch(/^process 1 created \(fork of 0\)/);
    // The child's first op: its store breaks COW, and the executor itself, taking its first
    // command in the child, faults in its .rodata page (scenario/executor-model.ts).
    expect(kinds(11).pages).toEqual(['faulted-in', 'cow-break']);
    expect(s.lastDiff!.pages.changes.get('faulted-in')).toEqual([0x402000]);
    expect(kinds(19).processes).toEqual(['process 1 exited: its address space was released']);
  });

  it('keeps the fork tree', () => {
    const s = new Session(TOUR);
    s.goTo(12);
    const [p0] = s.processes();
    expect(p0.label).toBe(0);
    expect(p0.children.map((c) => [c.label, c.forkedAt, c.alive])).toEqual([[1, 9, true]]);
    s.goTo(s.lastStep);
    expect(s.processes()[0].children[0]).toMatchObject({ label: 1, alive: false, exitedAt: 18 });
  });

  it('runs every bundled example to the end', () => {
    expect(EXAMPLES.map((e) => e.name)[0]).toBe('tour');
    for (const e of EXAMPLES) {
      const s = new Session(e.text);
      s.goTo(s.lastStep);
      expect(s.failure, e.name).toBeUndefined();
      expect(s.step, e.name).toBe(s.ops.length);
    }
  });
});

describe('diffVmas', () => {
  const P = 0x1000;
  it('names splits, merges, resizes, changes, additions and removals', () => {
    const before = [row(0, 10 * P), row(20 * P, 23 * P), row(23 * P, 26 * P, 'r--p'), row(30 * P, 34 * P), row(40 * P, 44 * P), row(50 * P, 51 * P)];
    const after = [row(0, 3 * P), row(5 * P, 10 * P), row(20 * P, 26 * P), row(30 * P, 36 * P), row(40 * P, 44 * P, 'r--p'), row(60 * P, 61 * P)];
    expect(diffVmas(before, after).map((c) => [c.kind, c.before.length, c.after.length])).toEqual([
      ['split', 1, 2], ['merged', 2, 1], ['resized', 1, 1], ['changed', 1, 1], ['removed', 1, 0], ['added', 0, 1],
    ]);
  });
  it('ignores identical lines', () => {
    const rows = [row(0, P), row(2 * P, 3 * P)];
    expect(diffVmas(rows, rows.map((r) => ({ ...r })))).toEqual([]);
  });
});

describe('the gap-compressed axis', () => {
  it('covers 0 to the last VMA in order, gaps as fixed breaks', () => {
    const s = new Session(TOUR);
    const rows = s.rows(0);
    const pieces = buildAxis(rows);
    expect(pieces[0]).toMatchObject({ start: 0, x0: 0 });
    expect(pieces[pieces.length - 1].x1).toBeCloseTo(1);
    for (let i = 1; i < pieces.length; i++) {
      expect(pieces[i].start).toBe(pieces[i - 1].end);
      expect(pieces[i].x0).toBeCloseTo(pieces[i - 1].x1);
    }
    const gaps = pieces.filter((p) => !p.row);
    const big = gaps.filter((p) => p.end - p.start >= 1 << 20);
    // A 128 TiB gap is as wide as a 128 MiB one.
    expect(new Set(big.map((p) => (p.x1 - p.x0).toFixed(9))).size).toBe(1);
    expect(pieces.filter((p) => p.row).map((p) => p.row)).toEqual(rows);
    expect(pieces[pieceAt(pieces, (pieces[3].x0 + pieces[3].x1) / 2)]).toBe(pieces[3]);
  });
});

describe('explanations', () => {
  it('cite a Linux function for every cause', () => {
    for (const [key, causes] of Object.entries(ERRNO_TABLE)) {
      for (const c of causes) expect(c, key).toMatch(/[a-z_0-9]+\(\)|SYSCALL_DEFINE/);
    }
  });
  it('explain by op and errno, fall back to strerror, and explain faults', () => {
    expect(explain('mmap', { errno: 'EINVAL' })!.causes[0]).toContain('len 0');
    expect(explain('mmap', { errno: 'EINVAL' })!.causes[0]).toContain('do_mmap()');
    expect(explain('close', { errno: 'EBADF' })!.causes[0]).toContain('close_fd()');
    expect(explain('ioctl', { errno: 'ENOTTY' })!.causes[0]).toMatch(/^Inappropriate ioctl for device/);
    expect(explain('store', { signal: 'SIGSEGV', code: 'SEGV_ACCERR', addr: '0x1000' })!.causes[0]).toContain('access_error()');
    expect(explain('mmap', { ret: '0x1000' })).toBeUndefined();
  });
});

describe('kernel-format text', () => {
  const system = createSystem();
  const task = system.task(0)!;
  it('smaps: labels in 16 columns, values in 8, VmFlags with a space after each', () => {
    const lines = smapsText(task).split('\n');
    expect(lines[0]).toBe(task.proc.maps()[0]);
    expect(lines[1]).toBe('Size:                  4 kB');
    expect(lines).toContain('Private_Hugetlb:       0 kB');
    expect(lines).toContain('THPeligible:           0');
    expect(lines.find((l) => l.startsWith('VmFlags:'))).toBe('VmFlags: rd mr mw me ');
  });
  it('status: Label:\\t%8lu kB', () => {
    expect(statusText(task).split('\n')[0]).toMatch(/^VmPeak:\t {4}\d{4} kB$/);
  });
});

describe('roles', () => {
  it('follow the name first, then sharing, exec, file-backing', () => {
    expect(roleOf('[stack]', 'rw-p', false)).toBe('stack');
    expect(roleOf('[heap]', 'rw-p', false)).toBe('heap');
    expect(roleOf('[vdso]', 'r-xp', false)).toBe('special');
    expect(roleOf('/dev/zero (deleted)', 'rw-s', true)).toBe('shared');
    expect(roleOf('/lib/libc.so.6', 'r-xp', true)).toBe('code');
    expect(roleOf('/lib/libc.so.6', 'rw-p', true)).toBe('data');
    expect(roleOf('/lib/libc.so.6', 'r--p', true)).toBe('file');
    expect(roleOf('', '---p', false)).toBe('anon');
  });
});

describe('the inspector\'s imports', () => {
  /** Every relative import of inspector/src, resolved against the repository root. */
  function imports(dir: string): { file: string; target: string }[] {
    const out: { file: string; target: string }[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...imports(p));
      else if (/\.tsx?$/.test(e.name)) {
        for (const m of readFileSync(p, 'utf8').matchAll(/^import[^'"]*['"](\.[^'"]+)['"]/gm)) {
          out.push({ file: relative(root, p), target: relative(root, resolve(dirname(p), m[1])) });
        }
      }
    }
    return out;
  }
  it('reach the engine only through src/index.ts, src/internal.ts and browser-safe scenario modules', () => {
    const outside = imports(join(root, 'inspector/src')).filter((i) => !i.target.startsWith('inspector/'));
    expect(outside.length).toBeGreaterThan(0);
    for (const i of outside) {
      expect(i.target, i.file).toMatch(/^(src\/(index|internal)\.js|scenario\/(?!.*-node\.js)[a-z-]+\.js)$/);
    }
  });
});

// System.spawn(): a process started from an init record, as after execve (the strace replay's way
// to follow a program into the next one). What execve keeps and what it releases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../src/kernel/system.js';
import { DEFAULT_INIT } from '../../src/kernel/default-init.js';
import { parseSmapsText } from '../../scenario/replay.js';

const read = (name: string): string => readFileSync(new URL(`../replay/${name}`, import.meta.url), 'utf8');
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');
const initOf = (prog: string): Record<string, unknown> => {
  const init: Record<string, unknown> = { ...DEFAULT_INIT, maps: lines(read(`${prog}.maps`)), smaps: parseSmapsText(read(`${prog}.smaps`)) };
  delete init.status;
  return init;
};

describe('System.spawn', () => {
  it('a new process from an init record: its maps, a label of its own, descriptors 0-2', () => {
    const sys = createSystem({ init: initOf('ls') });
    const t = sys.spawn(initOf('date'));
    expect(t.label).toBe(1);
    expect(t.proc.maps()).toEqual(lines(read('date.maps')));
    expect(t.fds.get(2)).toBeDefined();
    expect(t.fds.get(3)).toBeUndefined();
    t.checkInvariants();
    sys.checkFrames();
  });

  it('execing: descriptors carry over except close-on-exec ones; the old address space is released', () => {
    const sys = createSystem({ init: initOf('ls') });
    const parent = sys.task(0)!;
    const before = sys.mmSystem.frames.inUse;
    const child = parent.fork() as ReturnType<typeof parent.fork> & object;
    expect(typeof child).toBe('object');
    if (typeof child === 'number') return;
    const a = child.fast.mmap(0, 64 * 4096, 3, 0x22, -1, 0);
    for (let p = 0; p < 64; p++) child.mem.store8(a + p * 4096, 1);
    const kept = child.sys.openat('/dev/null', 0n, 0n);
    const closed = child.sys.openat('/dev/null', 0o2000000n, 0n); // O_CLOEXEC
    expect(child.fds.cloexec(closed)).toBe(true);
    expect(child.fds.setCloexec(kept, false)).toBe(0);
    expect(child.fds.setCloexec(99, true)).toBe(-9); // EBADF
    const next = sys.spawn(initOf('date'), { execing: child });
    expect(child.exited).toBe(true);
    expect(sys.task(child.label)).toBeUndefined();
    expect(next.fds.get(kept)).toBeDefined();
    expect(next.fds.get(closed)).toBeUndefined();
    // The 64 pages the child wrote went with its address space; what is left is the parent's and
    // the new program's start state.
    const afterDate = sys.mmSystem.frames.inUse;
    next.exit();
    expect(sys.mmSystem.frames.inUse).toBeLessThanOrEqual(before);
    expect(afterDate).toBeGreaterThan(sys.mmSystem.frames.inUse);
    parent.checkInvariants();
    sys.checkFrames();
  });

  it('keepOld: a vfork child\'s execve leaves the address space it borrowed', () => {
    const sys = createSystem({ init: initOf('ls') });
    const parent = sys.task(0)!;
    const maps = parent.proc.maps();
    const next = sys.spawn(initOf('date'), { execing: parent, keepOld: true });
    expect(parent.exited).toBe(false);
    expect(parent.proc.maps()).toEqual(maps);
    expect(next.proc.maps()).toEqual(lines(read('date.maps')));
    sys.checkFrames();
  });

  it('a file both start states map (same path, device and inode) is one inode, with one page cache', () => {
    const sys = createSystem({ init: initOf('ls') });
    const t = sys.spawn(initOf('date'));
    const ldso = (task: typeof t) => {
      const a = parseInt(task.proc.maps().find((l) => l.endsWith('/ld-linux-x86-64.so.2'))!.split('-')[0], 16);
      return task.mm.tree.findNext(a)!.file!.inode;
    };
    expect(ldso(t)).toBe(ldso(sys.task(0)!));
  });

  it('a bad init record is an error that leaves the system as it was', () => {
    const sys = createSystem({ init: initOf('ls') });
    const before = sys.mmSystem.frames.inUse;
    const bad = { ...initOf('date'), maps: [...lines(read('date.maps')), 'not a maps line'] }; // after every good line
    expect(() => sys.spawn(bad)).toThrow(/bad maps line/);
    expect(() => sys.spawn(null as never)).toThrow(TypeError);
    expect(sys.tasks()).toHaveLength(1);
    expect(sys.mmSystem.frames.inUse).toBe(before);
    sys.checkFrames();
  });

  it('refuses a task that is not a live one of this system', () => {
    const sys = createSystem({ init: initOf('ls') });
    const other = createSystem().task(0)!;
    expect(() => sys.spawn(initOf('date'), { execing: other })).toThrow(RangeError);
    const t = sys.task(0)!;
    t.exit();
    expect(() => sys.spawn(initOf('date'), { execing: t })).toThrow(RangeError);
  });
});

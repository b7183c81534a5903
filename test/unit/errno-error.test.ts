/**
 * The Node-style syscall view: failures throw ErrnoError with Node SystemError's fields.
 */
import { describe, expect, it } from 'vitest';
import { ErrnoError, createSystem } from '../../src/index.js';

describe('t.syscalls (Node style)', () => {
  it('a failure throws ErrnoError { code, errno, syscall } with Node\'s message shape', () => {
    const t = createSystem().task(0)!;
    let caught: unknown;
    try {
      t.syscalls.mmap(0n, 0n, 3n, 0x22n, 0xffffffffffffffffn, 0n);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ErrnoError);
    const e = caught as ErrnoError;
    expect(e).toMatchObject({ code: 'EINVAL', errno: -22, syscall: 'mmap', message: 'EINVAL: Invalid argument, mmap' });
    expect(() => t.syscalls.openat('missing', 0n, 0n)).toThrow(/^ENOENT: No such file or directory, openat$/);
  });

  it('a success returns the raw value, the same as t.sys', () => {
    const s = createSystem();
    const t = s.task(0)!;
    const a = t.syscalls.mmap(0n, 0x2000n, 3n, 0x22n, 0xffffffffffffffffn, 0n);
    expect(a).toBeGreaterThan(0);
    expect(t.syscalls.munmap(BigInt(a), 0x2000n)).toBe(0);
    const fd = t.syscalls.openat('f', 0o102n, 0o644n);
    expect(t.syscalls.fstat(BigInt(fd))).toMatchObject({ size: 0 });
    expect(t.sys.munmap(1n, 1n)).toBe(-22); // the raw form stays raw
  });
});

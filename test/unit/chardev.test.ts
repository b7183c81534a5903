/**
 * The driver interface with a toy device (not sg): the mm layer calls a driver's mmap hook and
 * vm operations without knowing the device — open on split, fork and a moving mremap, close on
 * munmap and exit, fault for each page — and the VFS and the syscall facade route read, write,
 * ioctl and poll to it, with Linux's defaults for what a driver leaves out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import type { CharDevice, DeviceFile, DeviceMapping, UserAccess } from '../../src/memmap/chardev.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';
import { VM_DONTEXPAND, VM_IO } from '../../src/mm/vma.js';

const b = BigInt;
let live: System | null = null;

afterEach(() => {
  if (live !== null) {
    for (const t of live.tasks()) t.checkInvariants();
    live.checkFrames();
    live = null;
  }
});

/** A device exposing 4 pages of frames: every mapping shows them; counts its vm operations. */
function toyDevice(s: System): { dev: CharDevice; log: string[]; frames: number[] } {
  const log: string[] = [];
  const pool = s.mmSystem.frames;
  const frames = [0, 1, 2, 3].map(() => pool.allocZeroed());
  const dev: CharDevice = {
    name: 'toy', major: 250, minor: 0,
    open(req) {
      log.push(`open ${req.readable ? 'r' : ''}${req.writable ? 'w' : ''}`);
      const file: DeviceFile = {
        seekable: false,
        mmap(m: DeviceMapping) {
          if (m.end - m.start > 4 * 4096 || m.pgoff > 3) return -Errno.ENOMEM;
          m.flags |= VM_IO | VM_DONTEXPAND;
          m.vmOps = {
            fault: (pgoff) => (pgoff < 4 ? frames[pgoff] : -1),
            open: (v) => log.push(`vm open ${v.pgoff}`),
            close: (v) => log.push(`vm close ${v.pgoff}`),
          };
          return 0;
        },
        ioctl(user: UserAccess, cmd: number, arg: bigint) {
          if (cmd !== 1) return -Errno.ENOTTY;
          return user.copyTo(arg, Uint8Array.of(42)) ? 0 : -Errno.EFAULT;
        },
        release() {
          log.push('release');
        },
      };
      return file;
    },
  };
  return { dev, log, frames };
}

function world(): { s: System; t: Task; log: string[]; frames: number[] } {
  const s = createSystem();
  live = s;
  const { dev, log, frames } = toyDevice(s);
  s.fs.addDevice('toy', dev, 0o666);
  return { s, t: s.task(0)!, log, frames };
}

describe('the driver interface (a toy device)', () => {
  it('open, the mmap hook and faults: every mapping shows the driver\'s frames', () => {
    const { t, log, s, frames } = world();
    const fd = t.sys.openat('/dev/toy', 2n, 0n);
    expect(fd).toBe(3);
    const a = t.fast.mmap(0, 4 * 4096, M.PROT_READ | M.PROT_WRITE, M.MAP_SHARED, fd, 0);
    expect(a).toBeGreaterThan(0);
    t.mem.store8(a + 4096 * 2 + 7, 0x99);
    expect(s.mmSystem.frames.u8[frames[2] * 4096 + 7]).toBe(0x99);
    expect(t.fast.mmap(0, 5 * 4096, M.PROT_READ, M.MAP_SHARED, fd, 0)).toBe(-Errno.ENOMEM);
    // pgoff 3 maps one page; beyond the driver's pages the fault is SIGBUS.
    const c = t.fast.mmap(0, 2 * 4096, M.PROT_READ, M.MAP_SHARED, fd, 3);
    expect(t.mem.load8(c)).toBe(0);
    expect(() => t.mem.load8(c + 4096)).toThrow(GuestFault);
    try { t.mem.load8(c + 4096); } catch (e) { expect((e as GuestFault).signal).toBe('SIGBUS'); }
    expect(log).toEqual(['open rw']);
  });

  it('vm open on split, fork and a moving mremap; close on munmap and exit; release after the last of both', () => {
    const { t, log } = world();
    const fd = t.sys.openat('/dev/toy', 2n, 0n);
    const a = t.fast.mmap(0, 4 * 4096, M.PROT_READ | M.PROT_WRITE, M.MAP_SHARED, fd, 0);
    log.length = 0;
    expect(t.sys.mprotect(b(a + 8192), 8192n, b(M.PROT_READ))).toBe(0); // split: upper half opens
    expect(log).toEqual(['vm open 2']);
    const child = t.fork() as Task;
    expect(log.slice(1)).toEqual(['vm open 0', 'vm open 2']);
    log.length = 0;
    const dst = t.fast.mmap(0, 8 * 4096, M.PROT_NONE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    const moved = t.sys.mremap(b(a), 8192n, 8192n, b(M.MREMAP_MAYMOVE | M.MREMAP_FIXED), b(dst));
    expect(moved).toBe(dst);
    expect(log).toEqual(['vm open 0', 'vm close 0']);
    log.length = 0;
    t.sys.close(b(fd));
    child.sys.close(b(fd));
    expect(log).toEqual([]); // mappings still hold the file
    child.exit();
    expect(log).toEqual(['vm close 0', 'vm close 2']);
    t.fast.munmap(dst, 8192);
    t.fast.munmap(a + 8192, 8192);
    expect(log.slice(2)).toEqual(['vm close 0', 'vm close 2', 'release']);
  });

  it('what a driver leaves out: read/write EINVAL, unknown ioctl ENOTTY from the driver, poll always ready, lseek ESPIPE', () => {
    const { t } = world();
    const fd = t.sys.openat('/dev/toy', 2n, 0n);
    const buf = t.fast.mmap(0, 4096, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    expect(t.sys.read(b(fd), b(buf), 16n)).toBe(-Errno.EINVAL);
    expect(t.sys.write(b(fd), b(buf), 16n)).toBe(-Errno.EINVAL);
    expect(t.sys.ioctl(b(fd), 1n, b(buf))).toBe(0);
    expect(t.mem.load8(buf)).toBe(42);
    expect(t.sys.ioctl(b(fd), 2n, b(buf))).toBe(-Errno.ENOTTY);
    expect(t.sys.lseek(b(fd), 0n, 0n)).toBe(-Errno.ESPIPE);
    const p = new Uint8Array(8);
    new DataView(p.buffer).setInt32(0, fd, true);
    new DataView(p.buffer).setInt16(4, 0x5, true);
    t.mem.write(buf, p);
    expect(t.sys.poll(b(buf), 1n, 0n)).toBe(1);
    expect(new DataView(t.mem.read(buf, 8).buffer).getInt16(6, true)).toBe(0x5);
    // ioctl on a regular file: no ioctl method, ENOTTY; on a bad fd, EBADF.
    const f = t.sys.openat('plain', 0o102n, 0o644n);
    expect(t.sys.ioctl(b(f), 1n, 0n)).toBe(-Errno.ENOTTY);
    expect(t.sys.ioctl(200n, 1n, 0n)).toBe(-Errno.EBADF);
  });
});

/**
 * A process's descriptor table: fd numbers → open file descriptions, with the close-on-exec flag
 * per descriptor. fork() copies the table (the descriptions are shared, offsets included).
 * Linux: fs/file.c alloc_fd(), do_dup2(), close_fd(), dup_fd().
 */
import { Errno } from '../abi/errno.js';
import { u64ToNumber } from '../base/u64.js';
import type { OpenFile } from './open-file.js';

interface Slot {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private readonly slots: (Slot | undefined)[] = [];

  /**
   * @param onRelease called when a description loses its last descriptor (the file layer
   *   closes it then: inode open counts, write-back, unlinked inodes dying)
   */
  constructor(private readonly onRelease: (f: OpenFile) => void) {}

  /** The description at `fd` (a u64 as a C `unsigned int` caller would pass it), or undefined. */
  get(fd: bigint | number): OpenFile | undefined {
    const n = typeof fd === 'bigint' ? (fd >= 0n && fd < 0x80000000n ? u64ToNumber(fd) : -1) : fd;
    if (n < 0 || n >= this.slots.length) return undefined;
    return this.slots[n]?.file;
  }

  cloexec(fd: number): boolean {
    return this.slots[fd]?.cloexec ?? false;
  }

  /** Put `f` at the lowest free fd below `limit` (RLIMIT_NOFILE); -EMFILE when none is. */
  install(f: OpenFile, cloexec: boolean, limit: number): number {
    let fd = 0;
    while (fd < this.slots.length && this.slots[fd] !== undefined) fd++;
    if (fd >= limit) return -Errno.EMFILE;
    this.place(fd, f, cloexec);
    return fd;
  }

  /** dup2/dup3 onto `fd`: whatever was there is closed first. */
  installAt(fd: number, f: OpenFile, cloexec: boolean): void {
    const old = this.slots[fd];
    this.place(fd, f, cloexec);
    if (old !== undefined) this.drop(old.file);
  }

  private place(fd: number, f: OpenFile, cloexec: boolean): void {
    while (this.slots.length <= fd) this.slots.push(undefined);
    f.refs++;
    this.slots[fd] = { file: f, cloexec };
  }

  /** close(): -EBADF when nothing is open at `fd`. */
  close(fd: number): number {
    const s = this.slots[fd];
    if (s === undefined) return -Errno.EBADF;
    this.slots[fd] = undefined;
    this.drop(s.file);
    return 0;
  }

  private drop(f: OpenFile): void {
    if (--f.refs === 0) this.onRelease(f);
  }

  /** fork(): the same descriptions at the same numbers. */
  clone(): FdTable {
    const t = new FdTable(this.onRelease);
    this.slots.forEach((s, fd) => {
      if (s !== undefined) t.place(fd, s.file, s.cloexec);
    });
    return t;
  }

  /** fcntl(F_SETFD): set or clear `fd`'s close-on-exec flag; -EBADF when `fd` is not open. */
  setCloexec(fd: number, on: boolean): number {
    const s = this.slots[fd];
    if (s === undefined) return -Errno.EBADF;
    s.cloexec = on;
    return 0;
  }

  /** execve(): descriptors marked close-on-exec are closed (Linux: do_close_on_exec()). */
  closeOnExec(): void {
    this.slots.forEach((s, fd) => {
      if (s !== undefined && s.cloexec) this.close(fd);
    });
  }

  /** exit(): close everything. */
  closeAll(): void {
    for (let fd = 0; fd < this.slots.length; fd++) if (this.slots[fd] !== undefined) this.close(fd);
  }

  /** Open fds in ascending order. */
  openFds(): number[] {
    const out: number[] = [];
    this.slots.forEach((s, fd) => {
      if (s !== undefined) out.push(fd);
    });
    return out;
  }
}

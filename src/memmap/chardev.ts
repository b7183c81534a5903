/**
 * The driver interface: a character device's open, and the operations of each file it opened —
 * Linux's struct file_operations (read, write, unlocked_ioctl, poll, mmap, release) bound to one
 * open file's private data. A driver's mmap hook sees the new mapping before it exists and may
 * refuse it, add VM_* flags and install vm operations (`VmOperations`, the mm layer's
 * vm_operations_struct), whose fault handler then supplies the pages — the mm layer calls it
 * without knowing the device. Operations a driver leaves out give Linux's defaults: read/write
 * EINVAL, ioctl ENOTTY, mmap ENODEV, poll "always ready" (DEFAULT_POLLMASK).
 * Linux: include/linux/fs.h struct file_operations, fs/char_dev.c chrdev_open().
 */
import type { VmOperations } from './vm-operations.js';

/**
 * The calling process's memory as a driver sees it (copy_from_user/copy_to_user, and
 * pin_user_pages() for direct I/O). Addresses are numbers below 2^64 given as bigint where a
 * user passed them raw.
 */
export interface UserAccess {
  /** Copy `len` bytes at `addr` out of process memory; null when any byte faults (EFAULT). */
  copyFrom(addr: bigint, len: number): Uint8Array | null;
  /** Copy `src` to `addr`; false when any byte faults (EFAULT); bytes before the fault are written. */
  copyTo(addr: bigint, src: Uint8Array): boolean;
  /**
   * Copy `len` bytes at `addr` into the scatter-gather list at byte `at` without an intermediate
   * buffer; `list` makes the list's views after the pages are faulted in (the frame slab may grow
   * on a fault). False on a fault (the bytes before it are copied).
   */
  readToList(addr: bigint, len: number, list: () => readonly Uint8Array[], at: number): boolean;
  /** Copy `len` bytes of the list from byte `at` to `addr`; false on a fault. */
  writeFromList(addr: bigint, len: number, list: () => readonly Uint8Array[], at: number): boolean;
  /**
   * pin_user_pages(): the byte views of [addr, addr+len) in the frames that back it, faulted in
   * for writing when `write`; a negative errno when a page cannot be pinned — unmapped, or in a
   * VM_IO/VM_PFNMAP mapping (check_vma_flags(): EFAULT). `unpin` releases them.
   */
  pin(addr: bigint, len: number, write: boolean): PinnedPages | number;
}

/** Pinned user pages: byte views made at each use (the frame slab may grow), and the release. */
export interface PinnedPages {
  views(): Uint8Array[];
  unpin(): void;
}

/** What an open() of the device asked for. */
export interface DeviceOpenRequest {
  readable: boolean;
  writable: boolean;
  /** The open flags (O_NONBLOCK, O_EXCL ...). */
  flags: number;
}

/** A new mapping of a device file, as the mmap hook sees it (a vm_area_struct being set up). */
export interface DeviceMapping {
  readonly start: number;
  readonly end: number;
  readonly pgoff: number;
  /** VM_* flags; the hook may add to them. */
  flags: number;
  /** The hook's vm operations (fault handler); none means no page can be faulted in. */
  vmOps: VmOperations | null;
}

/** struct file_operations of one open file of a device (the driver's private_data with it). */
export interface DeviceFile {
  read?(user: UserAccess, buf: bigint, count: number, nonblock: boolean): number;
  write?(user: UserAccess, buf: bigint, count: number, nonblock: boolean): number;
  ioctl?(user: UserAccess, cmd: number, arg: bigint): number;
  /** The ready mask (POLLIN, POLLOUT ...). */
  poll?(): number;
  /** The caller is about to sleep in poll(): let work already queued finish (the device's time passes). */
  wait?(): void;
  mmap?(m: DeviceMapping): number;
  /** The last reference went: every descriptor closed and every mapping of it gone. */
  release?(): void;
  /** Not seekable (nonseekable_open()): lseek, pread and pwrite give ESPIPE. */
  readonly seekable: boolean;
}

/** A character device node's driver. */
export interface CharDevice {
  readonly name: string;
  readonly major: number;
  readonly minor: number;
  /** chrdev_open() → f_op->open(): the open file's operations, or a negative errno. */
  open(req: DeviceOpenRequest): DeviceFile | number;
}

/**
 * Open file descriptions (struct file): what open() made — the inode, the access mode and status
 * flags, the file offset and the read-ahead state. dup() and fork() share one description (and
 * so its offset); each open() makes a new one, which is also what keeps two mappings of one file
 * from merging (spec §3.1). Linux: include/linux/fs.h struct file, fs/file_table.c.
 */
import type { MmSystem } from '../mm/config.js';
import { releaseInodes } from '../mm/inode-release.js';
import { writebackInode } from '../mm/writeback.js';
import type { MmFile, VmOperations } from '../mm/vma.js';
import type { DeviceFile } from '../memmap/chardev.js';
import { type Inode, isDir, isReg } from './inode.js';
import type { RaState } from '../mm/readahead.js';

export class OpenFile implements MmFile {
  /** The file offset read() and write() use and advance. */
  pos = 0;
  /** Descriptor-table references (dup, fork); at 0 the description is closed. */
  refs = 0;
  readonly readable: boolean;
  readonly writable: boolean;
  append: boolean;
  /** O_NONBLOCK. */
  nonblock: boolean;
  /** Has an mmap method (set again when a device's driver has one). */
  mmapable: boolean;
  readonly refusesSync: boolean;
  readonly fopMmapSync: boolean;
  /** An O_PATH descriptor: a location only, no I/O. */
  readonly path: boolean;
  readonly directory: boolean;
  /** Read-ahead of this description (struct file_ra_state), made on first use. */
  ra: RaState | null = null;
  /** A device file's operations (the driver's private data), from its open(). */
  dev: DeviceFile | null = null;
  /** The device's release ran (the description is dead). */
  private released = false;

  constructor(readonly id: number, readonly inode: Inode, readable: boolean, writable: boolean, flags: number, oPath: boolean) {
    this.path = oPath;
    this.readable = readable && !oPath;
    this.writable = writable && !oPath;
    this.append = (flags & 0o2000) !== 0;
    this.nonblock = (flags & 0o4000) !== 0;
    this.directory = isDir(inode);
    // Regular files and the mmap-able devices have an mmap method; directories, /dev/null and
    // the /proc files do not (ENODEV).
    this.mmapable = !oPath && ((isReg(inode) && inode.fs !== 'other') || inode.chardev === 'zero');
    this.refusesSync = inode.fs === 'ext4';
    this.fopMmapSync = inode.fs === 'ext4';
  }

  /** Attach the device's operations (chrdev_open()); the file is mmap-able if the driver says so. */
  attachDevice(dev: DeviceFile): void {
    this.dev = dev;
    if (dev.mmap !== undefined && !this.path) this.mmapable = true;
  }

  mmapHook(m: { start: number; end: number; pgoff: number; flags: number; vmOps: VmOperations | null }): number {
    return this.dev?.mmap !== undefined ? this.dev.mmap(m) : 0;
  }

  unmapped(sys: MmSystem): void {
    // The descriptors went first and a mapping held the description: its release is now.
    if (!this.fileReleased && this.refs === 0 && !mappedThrough(this)) releaseFile(sys, this);
    if (this.dev !== null) this.maybeRelease();
  }

  /** ext4_release_file() ran for this description. */
  fileReleased = false;

  /** __fput(): the last reference — descriptors and mappings — is gone: the driver's release. */
  maybeRelease(): void {
    if (this.released || this.refs > 0 || mappedThrough(this)) return;
    this.released = true;
    this.dev?.release?.();
  }
}

/**
 * The last descriptor of `f` is gone (fput()): the inode has one opener less; an unlinked inode
 * nothing maps dies, and a host file nothing maps gets its dirty pages (releaseInodes()).
 */
export function fput(sys: MmSystem, f: OpenFile): void {
  const inode = f.inode;
  inode.opens = (inode.opens ?? 1) - 1;
  if (!f.fileReleased && !mappedThrough(f)) releaseFile(sys, f);
  if (inode.deleted || inode.backing !== undefined) {
    sys.unmappedInodes.add(inode);
    releaseInodes(sys);
  }
  if (f.dev !== null) f.maybeRelease();
}

/**
 * The last reference to the open file description is gone (__fput() → ext4_release_file()): a
 * file truncated to 0 since has its dirty pages written (auto_da_alloc). That reference may be a
 * descriptor of any description of the file, or a mapping that outlived its descriptor
 * (recorded: fuzz seeds 80971, 840292; fileio/residency/da-alloc-*).
 */
function releaseFile(sys: MmSystem, f: OpenFile): void {
  if (f.fileReleased) return;
  f.fileReleased = true;
  const inode = f.inode;
  if (inode.daAllocClose) {
    inode.daAllocClose = false;
    writebackInode(sys, inode);
  }
}

/** Whether a VMA still holds the description (then it is not released yet). */
function mappedThrough(f: OpenFile): boolean {
  const maps = f.inode.mappings;
  if (maps === undefined) return false;
  for (const v of maps.keys()) if (v.file === f) return true;
  return false;
}

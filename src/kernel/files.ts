/**
 * A minimal file layer for the address-space engine: the scenario's scratch directory, the fd
 * table, and the open file descriptions mmap needs (identity, access mode, file-system kind).
 * The real VFS and page cache arrive with the files milestone; this keeps Linux's errno for the
 * calls the engine's scenarios use (openat, dup3, close, ftruncate).
 */
import { Errno } from '../abi/errno.js';
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_PATH, O_RDONLY, O_WRONLY, O_RDWR } from '../abi/mman.js';
import type { MmFile, MmInode, FsKind } from '../mm/vma.js';
import type { MmSystem } from '../mm/config.js';

/** An open file description with what the fd layer needs besides the mm view. */
export interface OpenFile extends MmFile {
  path: boolean; // O_PATH
  directory: boolean;
}

/** The scratch directory and absolute paths known from the start state. */
export class FileSystem {
  private readonly scratch = new Map<string, MmInode>();
  private nextIno = 1;
  readonly known = new Map<string, MmInode>();
  scratchFs: FsKind = 'ext4';
  readonly dirInode: MmInode = {
    major: 0, minor: 0, ino: 0, path: '/scratch', deleted: false, fs: 'ext4', size: 4096, cached: new Set(), pages: new Map(),
  };

  constructor(private readonly sys: MmSystem) {}

  /** Resolve a path; create it under O_CREAT. Returns the inode or -errno. */
  lookup(path: string, flags: number): MmInode | number {
    if (path === '.' || path === './' || path === '/scratch') return this.dirInode;
    if (path.startsWith('/')) {
      const k = this.known.get(path);
      if (k !== undefined) return k;
      if (path === '/dev/null' || path.startsWith('/proc/')) {
        // Files without an mmap method: open works, mmap is ENODEV.
        const n: MmInode = { major: 0, minor: 0, ino: 0, path, deleted: false, fs: 'other', size: 0, cached: new Set(), pages: new Map() };
        this.known.set(path, n);
        return n;
      }
      if (path === '/dev/zero') {
        const z: MmInode = { major: 0, minor: 5, ino: 4, path: '/dev/zero', deleted: false, fs: 'chardev', size: 0, cached: new Set(), pages: new Map() };
        this.known.set(path, z);
        return z;
      }
      return -Errno.ENOENT;
    }
    const name = path.replace(/^\.\//, '');
    if (name.includes('/')) return -Errno.ENOENT;
    const existing = this.scratch.get(name);
    if (existing !== undefined) {
      if ((flags & O_CREAT) !== 0 && (flags & O_EXCL) !== 0) return -Errno.EEXIST;
      return existing;
    }
    if ((flags & O_CREAT) === 0) return -Errno.ENOENT;
    const inode: MmInode = {
      major: 0, minor: 0, ino: this.nextIno++, path: `/scratch/${name}`, deleted: false, fs: this.scratchFs,
      size: 0, cached: new Set(), pages: new Map(),
    };
    this.scratch.set(name, inode);
    return inode;
  }

  open(path: string, flags: number): OpenFile | number {
    const inode = this.lookup(path, flags);
    if (typeof inode === 'number') return inode;
    const isDir = inode === this.dirInode;
    const acc = flags & O_ACCMODE;
    const oPath = (flags & O_PATH) !== 0;
    if (isDir && !oPath && acc !== O_RDONLY) return -Errno.EISDIR;
    if (!isDir && (flags & O_DIRECTORY) !== 0) return -Errno.ENOTDIR;
    if (path.startsWith('/') && !isDir && inode.fs !== 'chardev' && inode.path !== '/dev/null' && acc !== O_RDONLY) return -Errno.EACCES;
    return {
      id: this.sys.newFileId(),
      inode,
      readable: !oPath && (acc === O_RDONLY || acc === O_RDWR),
      writable: !oPath && (acc === O_WRONLY || acc === O_RDWR),
      append: (flags & 0o2000) !== 0,
      mmapable: !isDir && inode.fs !== 'other',
      refusesSync: inode.fs === 'ext4',
      fopMmapSync: inode.fs === 'ext4',
      path: oPath,
      directory: isDir,
    };
  }
}

/** The per-process descriptor table: fds 3..255 (scenario.md §3.2); 0-2 behave as closed. */
export class FdTable {
  readonly fds = new Map<number, OpenFile>();

  static readonly FIRST = 3;
  static readonly LIMIT = 256;

  get(fd: bigint): OpenFile | undefined {
    if (fd < 0n || fd >= BigInt(FdTable.LIMIT)) return undefined;
    return this.fds.get(Number(fd));
  }

  install(f: OpenFile): number {
    for (let fd = FdTable.FIRST; fd < FdTable.LIMIT; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, f);
        return fd;
      }
    }
    return -Errno.EMFILE;
  }

  clone(): FdTable {
    const t = new FdTable();
    for (const [k, v] of this.fds) t.fds.set(k, v);
    return t;
  }
}

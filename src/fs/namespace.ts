/**
 * The file namespace of a simulated system: a root of fixed directories holding the scratch
 * directory (an in-memory ext4 or tmpfs, every process's working directory), /dev with the
 * zero and null devices, /proc (files without an mmap method), the files the start state maps,
 * and whatever the embedder mounts (a host directory through the Node adapter). Path walks,
 * open(), unlink(), mkdir() and rmdir() with Linux's errno.
 * Linux: fs/namei.c path_openat(), do_unlinkat(), do_mkdirat(); fs/open.c build_open_flags().
 */
import type { CharDevice } from '../memmap/chardev.js';
import { Errno } from '../abi/errno.js';
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../abi/mman.js';
import type { MmSystem } from '../mm/config.js';
import { releaseInodes } from '../mm/inode-release.js';
import type { FsKind } from '../mm/vma.js';
import { truncateFile } from './file-io.js';
import { type Inode, S_IFCHR, S_IFDIR, S_IFREG, isDir, newInode } from './inode.js';
import { FixedDir, MemFs, StaticDir } from './memfs.js';
import { OpenFile } from './open-file.js';

const O_TMPFILE_FLAG = 0o20000000; // __O_TMPFILE (O_TMPFILE without O_DIRECTORY)
const NAME_MAX = 255;
const PATH_MAX = 4096;
const MAY_READ = 4;
const MAY_WRITE = 2;

/** Where a path leads: the directory holding the last component, its name and its inode. */
interface Resolved {
  parent: Inode;
  name: string;
  inode: Inode | undefined;
  /** The path ended in "/" (the last component must be a directory). */
  slash: boolean;
}

export class FileSystem {
  private readonly rootDir = new StaticDir();
  readonly root: Inode;
  private scratchFs: MemFs;
  /** Every process's working directory. */
  cwd: Inode;
  private readonly umask = 0o022;
  /** Files with a backing store that were ever opened (sync() writes them back). */
  readonly backed = new Set<Inode>();

  constructor(private readonly sys: MmSystem) {
    this.root = newInode({ major: 0, minor: 0, ino: 2, path: '/', fs: 'other', mode: S_IFDIR | 0o755, size: 4096 });
    this.root.dir = this.rootDir;
    this.root.parent = this.root;
    this.scratchFs = this.newScratch('ext4');
    this.cwd = this.scratchFs.root;
    this.rootDir.attach('scratch', this.cwd);
    const dev = this.staticDir(this.root, 'dev');
    const zero = newInode({ major: 0, minor: 5, ino: 4, path: '/dev/zero', fs: 'chardev', mode: S_IFCHR | 0o666 });
    zero.chardev = 'zero';
    const nul = newInode({ major: 0, minor: 5, ino: 5, path: '/dev/null', fs: 'other', mode: S_IFCHR | 0o666 });
    nul.chardev = 'null';
    (dev.dir as StaticDir).attach('zero', zero);
    (dev.dir as StaticDir).attach('null', nul);
    const proc = this.staticDir(this.root, 'proc');
    proc.dir = new ProcDir(proc);
  }

  private newScratch(fs: FsKind): MemFs {
    const m = new MemFs({ fs, path: '/scratch', rootIno: 0, firstIno: 1 });
    m.root.parent = this.root;
    return m;
  }

  /** The scratch directory's file system flavour (the start state's `scratch.fs`). */
  get scratchKind(): FsKind {
    return this.scratchFs.opts.fs;
  }

  set scratchKind(fs: FsKind) {
    if (fs === this.scratchFs.opts.fs) return;
    if (this.scratchFs.root.dir!.names().length !== 0) throw new Error('the scratch directory is not empty');
    this.scratchFs = this.newScratch(fs);
    this.cwd = this.scratchFs.root;
    this.rootDir.attach('scratch', this.cwd);
  }

  /** Device nodes added so far (their devtmpfs inode numbers follow /dev/null's). */
  private devNodes = 0;

  /**
   * Make a driver's character device reachable as /dev/`name` (devtmpfs, device 00:05, like
   * /dev/zero): opening it calls the driver's open. Returns the node.
   */
  addDevice(name: string, cdev: CharDevice, mode = 0o660): Inode {
    const dev = this.staticDir(this.root, 'dev');
    const inode = newInode({ major: 0, minor: 5, ino: 100 + this.devNodes++, path: `/dev/${name}`, fs: 'chardev', mode: S_IFCHR | mode });
    inode.cdev = cdev;
    (dev.dir as StaticDir).attach(name, inode);
    return inode;
  }

  /** A fixed directory `name` under `parent` (made if missing). */
  private staticDir(parent: Inode, name: string): Inode {
    const have = parent.dir!.lookup(name);
    if (have !== undefined) return have;
    const path = parent.path === '/' ? `/${name}` : `${parent.path}/${name}`;
    const d = newInode({ major: 0, minor: 0, ino: 0, path, fs: 'other', mode: S_IFDIR | 0o755, size: 4096 });
    d.dir = new StaticDir();
    d.parent = parent;
    (parent.dir as StaticDir).attach(name, d);
    return d;
  }

  /**
   * Make `inode` (a regular file the start state maps) reachable at absolute `path`, read-only,
   * with fixed directories on the way.
   */
  addKnownFile(path: string, inode: Inode): void {
    const parts = path.split('/').filter((p) => p !== '');
    let d = this.root;
    for (const p of parts.slice(0, -1)) {
      const next = this.staticDir(d, p);
      if (!(next.dir instanceof StaticDir)) return; // under a mount: leave it alone
      d = next;
    }
    if (d.dir instanceof StaticDir && parts.length > 0) d.dir.attach(parts[parts.length - 1], inode);
  }

  /**
   * A file of the traced machine (an strace replay's open of an absolute path, with the identity
   * the trace recorded): made reachable if the path does not resolve yet. Its data reads as
   * zeroes; maps lines show the given device and inode. Its permissions allow any access: the
   * trace shows the open succeeded, and the replay opens it with the access mode the program
   * asked for (what mmap checks).
   */
  addTraceFile(path: string, major: number, minor: number, ino: number, size: number): void {
    if (!path.startsWith('/')) return;
    const r = this.resolve(path);
    if (typeof r !== 'number' && r.inode !== undefined) return;
    this.addKnownFile(path, newInode({ major, minor, ino, path, fs: 'ext4', mode: S_IFREG | 0o777, size }));
  }

  /**
   * The traced program removed the file at `path` (unlink): a trace file leaves its fixed
   * directory, and mappings of it show `(deleted)`; a file elsewhere is unlinked as usual.
   */
  removeTraceFile(path: string): void {
    const r = this.resolve(path);
    if (typeof r === 'number' || r.inode === undefined || isDir(r.inode)) return;
    if (!(r.parent.dir instanceof StaticDir)) {
      this.unlink(path);
      return;
    }
    r.parent.dir.detach(r.name);
    dropLink(this.sys, r.inode);
  }

  /** Attach a directory (a host directory's DirOps, another MemFs) at absolute `path`. */
  mount(path: string, dir: Inode): void {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length === 0) throw new RangeError('cannot mount over /');
    let d = this.root;
    for (const p of parts.slice(0, -1)) d = this.staticDir(d, p);
    if (!(d.dir instanceof StaticDir)) throw new RangeError(`cannot mount under ${d.path}`);
    dir.parent = d;
    d.dir.attach(parts[parts.length - 1], dir);
  }

  /** Walk `path` to its last component. */
  resolve(path: string): Resolved | number {
    if (path.length === 0) return -Errno.ENOENT;
    if (path.length >= PATH_MAX) return -Errno.ENAMETOOLONG;
    let d = path.startsWith('/') ? this.root : this.cwd;
    const parts = path.split('/').filter((p) => p !== '');
    const slash = path.endsWith('/');
    if (parts.length === 0) return { parent: d, name: '.', inode: d, slash };
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.length > NAME_MAX) return -Errno.ENAMETOOLONG;
      if (!isDir(d)) return -Errno.ENOTDIR;
      if (d.mode !== undefined && (d.mode & 0o100) === 0) return -Errno.EACCES;
      const next = p === '.' ? d : p === '..' ? (d.parent ?? d) : d.dir!.lookup(p);
      if (i === parts.length - 1) return { parent: d, name: p, inode: next, slash };
      if (next === undefined) return -Errno.ENOENT;
      d = next;
    }
    return -Errno.ENOENT; // unreachable
  }

  /**
   * open(): the new open file description, or -errno. Creation, O_EXCL, O_TRUNC, O_DIRECTORY,
   * O_PATH and O_TMPFILE as Linux checks them; permission from the owner's mode bits.
   */
  open(path: string, flags: number, mode: number): OpenFile | number {
    flags |= 0;
    let acc = flags & O_ACCMODE;
    const oPath = (flags & O_PATH) !== 0;
    const tmpfile = (flags & O_TMPFILE_FLAG) !== 0;
    // build_open_flags()
    if (oPath) {
      flags &= O_DIRECTORY | O_PATH | 0o400000 | 0o2000000;
      acc = O_RDONLY;
    } else if (tmpfile) {
      if ((flags & (O_TMPFILE_FLAG | O_DIRECTORY | O_CREAT)) !== (O_TMPFILE_FLAG | O_DIRECTORY)) return -Errno.EINVAL;
      if (acc !== O_WRONLY && acc !== O_RDWR) return -Errno.EINVAL;
    } else if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY)) {
      return -Errno.EINVAL;
    }
    let may = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
    if (!oPath && (flags & O_TRUNC) !== 0) may |= MAY_WRITE;
    const r = this.resolve(path);
    if (typeof r === 'number') return r;
    let inode = r.inode;
    let created = false;
    if (tmpfile) {
      if (inode === undefined) return -Errno.ENOENT;
      if (!isDir(inode)) return -Errno.ENOTDIR;
      const fs = this.memFsOf(inode);
      if (fs === undefined) return -Errno.EOPNOTSUPP;
      inode = fs.makeTmpfile(inode, mode & ~this.umask);
      created = true;
    } else if ((flags & O_CREAT) !== 0 && !oPath) {
      if (r.slash) return -Errno.EISDIR;
      if (inode !== undefined) {
        if ((flags & O_EXCL) !== 0) return -Errno.EEXIST;
        if (isDir(inode)) return -Errno.EISDIR;
      } else {
        if (r.parent.readOnly) return -Errno.EROFS;
        if ((r.parent.mode & 0o200) === 0) return -Errno.EACCES;
        const c = r.parent.dir!.create(r.name, mode & ~this.umask & 0o7777);
        if (typeof c === 'number') return c;
        inode = c;
        created = true;
      }
    } else if (inode === undefined) {
      return -Errno.ENOENT;
    }
    if (!tmpfile && (flags & O_DIRECTORY) !== 0 && !isDir(inode)) return -Errno.ENOTDIR;
    if (!tmpfile && r.slash && !isDir(inode)) return -Errno.ENOTDIR;
    if (!oPath) {
      // may_open()
      if (isDir(inode) && (may & MAY_WRITE) !== 0) return -Errno.EISDIR;
      // sb_permission(): nobody writes to a read-only file system (devices excepted).
      if (inode.readOnly && (may & MAY_WRITE) !== 0 && inode.chardev === undefined) return -Errno.EROFS;
      if (!created && (inode.mode & (may << 6)) !== may << 6) return -Errno.EACCES;
    }
    if (!oPath && !created && (flags & O_TRUNC) !== 0 && (inode.mode & S_IFREG) === S_IFREG && !isDir(inode) && inode.chardev === undefined) {
      truncateFile(this.sys, inode, 0);
    }
    const readable = acc === O_RDONLY || acc === O_RDWR;
    const writable = acc === O_WRONLY || acc === O_RDWR;
    const f = new OpenFile(this.sys.newFileId(), inode, readable, writable, flags, oPath);
    if (inode.cdev !== undefined && !oPath) {
      const dev = inode.cdev.open({ readable, writable, flags });
      if (typeof dev === 'number') return dev;
      f.attachDevice(dev);
    }
    inode.opens = (inode.opens ?? 0) + 1;
    if (inode.backing !== undefined) this.backed.add(inode);
    return f;
  }

  /** The MemFs a directory belongs to (O_TMPFILE support), if any. */
  private memFsOf(dir: Inode): MemFs | undefined {
    return dir.fs === this.scratchFs.opts.fs && dir.path.startsWith('/scratch') ? this.scratchFs : undefined;
  }

  /** unlink(): the name goes; the inode lives on while open or mapped (then `(deleted)`). */
  unlink(path: string): number {
    const r = this.resolve(path);
    if (typeof r === 'number') return r;
    if (r.name === '.' || r.name === '..') return r.inode !== undefined && isDir(r.inode) ? -Errno.EISDIR : -Errno.ENOENT;
    const inode = r.inode;
    if (inode === undefined) return -Errno.ENOENT;
    if (isDir(inode)) return -Errno.EISDIR;
    if (r.slash) return -Errno.ENOTDIR;
    if (r.parent.readOnly) return -Errno.EROFS;
    if ((r.parent.mode & 0o200) === 0) return -Errno.EACCES;
    const e = r.parent.dir!.unlink(r.name);
    if (e < 0) return e;
    dropLink(this.sys, inode);
    return 0;
  }

  mkdir(path: string, mode: number): number {
    const r = this.resolve(path);
    if (typeof r === 'number') return r;
    if (r.inode !== undefined) return -Errno.EEXIST;
    if (r.parent.readOnly) return -Errno.EROFS;
    if ((r.parent.mode & 0o200) === 0) return -Errno.EACCES;
    const d = r.parent.dir!.mkdir(r.name, mode & ~this.umask & 0o7777);
    return typeof d === 'number' ? d : 0;
  }

  rmdir(path: string): number {
    const r = this.resolve(path);
    if (typeof r === 'number') return r;
    if (r.name === '.') return -Errno.EINVAL;
    if (r.name === '..') return -Errno.ENOTEMPTY;
    if (r.inode === undefined) return -Errno.ENOENT;
    if (!isDir(r.inode)) return -Errno.ENOTDIR;
    if (r.inode === this.cwd || r.inode === this.root) return -Errno.EBUSY;
    if (r.parent.readOnly) return -Errno.EROFS;
    const e = r.parent.dir!.rmdir(r.name);
    if (e === 0) {
      r.inode.deleted = true;
      this.sys.unmappedInodes.add(r.inode);
      releaseInodes(this.sys);
    }
    return e;
  }
}

/** One name of `inode` is gone: at the last, it is deleted, and dies when nothing holds it. */
export function dropLink(sys: MmSystem, inode: Inode): void {
  if (--inode.nlink > 0) return;
  inode.deleted = true;
  // It dies now if nothing maps it and nothing has it open; else munmap or fput() decides later.
  sys.unmappedInodes.add(inode);
  releaseInodes(sys);
}

/** /proc: every name is a file without an mmap method (self and numbers are directories). */
class ProcDir extends FixedDir {
  private readonly made = new Map<string, Inode>();

  constructor(private readonly self: Inode) {
    super();
  }

  lookup(name: string): Inode | undefined {
    let i = this.made.get(name);
    if (i === undefined) {
      const path = `${this.self.path}/${name}`;
      const dir = name === 'self' || /^\d+$/.test(name);
      i = newInode({ major: 0, minor: 0, ino: 0, path, fs: 'other', mode: dir ? S_IFDIR | 0o555 : S_IFREG | 0o444 });
      if (dir) {
        i.dir = new ProcDir(i);
        i.parent = this.self;
      }
      this.made.set(name, i);
    }
    return i;
  }

  names(): string[] {
    return [...this.made.keys()];
  }
}

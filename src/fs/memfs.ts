/**
 * An in-memory file system: directories are maps, file data lives only in the page cache (like
 * ramfs; the scratch directory's ext4 is modelled this way, its residency apart). Isomorphic.
 */
import { Errno } from '../abi/errno.js';
import type { FsKind } from '../mm/vma.js';
import { type DirOps, type Inode, S_IFDIR, S_IFREG, isDir, newInode } from './inode.js';

export interface MemFsOptions {
  /** The file-system flavour mappings see (ext4: 2 MiB-aligned placement, tail zeroing...). */
  fs: FsKind;
  /** The path maps lines print for the root (e.g. "/scratch"). */
  path: string;
  major?: number;
  minor?: number;
  /** The root's inode number; files and directories are numbered from `firstIno` in creation order. */
  rootIno?: number;
  firstIno?: number;
}

/**
 * An in-memory file system. Inode numbers are allocated like ext4's bitmap: the lowest free one,
 * so a file created after another died reuses its number (recorded: the oracle's scratch files
 * are numbered by host inode, and ext4 hands the freed number to the next file).
 */
export class MemFs {
  readonly root: Inode;
  private nextIno: number;
  private readonly freeInos: number[] = [];
  private readonly major: number;
  private readonly minor: number;

  constructor(readonly opts: MemFsOptions) {
    this.major = opts.major ?? 0;
    this.minor = opts.minor ?? 0;
    this.nextIno = opts.firstIno ?? 1;
    this.root = this.makeDir(opts.path, opts.rootIno ?? 0, 0o755);
    this.root.parent = this.root;
  }

  private allocIno(): number {
    if (this.freeInos.length === 0) return this.nextIno++;
    let best = 0;
    for (let i = 1; i < this.freeInos.length; i++) if (this.freeInos[i] < this.freeInos[best]) best = i;
    return this.freeInos.splice(best, 1)[0];
  }

  /** The inode dies with its number given back. */
  private track(inode: Inode): Inode {
    inode.onEvict = () => this.freeInos.push(inode.ino);
    return inode;
  }

  private makeDir(path: string, ino: number, mode: number): Inode {
    const d = newInode({ major: this.major, minor: this.minor, ino, path, fs: this.opts.fs, mode: S_IFDIR | (mode & 0o7777), size: 4096 });
    d.nlink = 2;
    d.dir = new MemDir(this, d);
    return d;
  }

  /** A new regular file or directory under `dir` named `name` (entry not yet linked). */
  make(dir: Inode, name: string, mode: number, directory: boolean): Inode {
    const path = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`;
    if (directory) {
      const d = this.track(this.makeDir(path, this.allocIno(), mode));
      d.parent = dir;
      return d;
    }
    return this.track(newInode({ major: this.major, minor: this.minor, ino: this.allocIno(), path, fs: this.opts.fs, mode: S_IFREG | (mode & 0o7777) }));
  }

  /** An unnamed file of the directory (O_TMPFILE): unlinked from birth. */
  makeTmpfile(dir: Inode, mode: number): Inode {
    const f = this.make(dir, '#', mode, false);
    f.path = `${f.path}${f.ino}`;
    f.nlink = 0;
    f.deleted = true;
    return f;
  }
}

class MemDir implements DirOps {
  private readonly entries = new Map<string, Inode>();

  constructor(private readonly fs: MemFs, private readonly self: Inode) {}

  lookup(name: string): Inode | undefined {
    return this.entries.get(name);
  }

  create(name: string, mode: number): Inode | number {
    const f = this.fs.make(this.self, name, mode, false);
    this.entries.set(name, f);
    return f;
  }

  mkdir(name: string, mode: number): Inode | number {
    const d = this.fs.make(this.self, name, mode, true);
    this.entries.set(name, d);
    this.self.nlink++;
    return d;
  }

  unlink(name: string): number {
    this.entries.delete(name);
    return 0;
  }

  rmdir(name: string): number {
    const d = this.entries.get(name);
    if (d === undefined || !isDir(d)) return -Errno.ENOTDIR;
    if (d.dir!.names().length !== 0) return -Errno.ENOTEMPTY;
    this.entries.delete(name);
    this.self.nlink--;
    d.nlink = 0;
    d.deleted = true;
    return 0;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * A directory nobody can change through the VFS (EACCES for create, mkdir, unlink, rmdir): the
 * fixed directories of the namespace and /proc.
 */
export abstract class FixedDir implements DirOps {
  abstract lookup(name: string): Inode | undefined;
  abstract names(): string[];

  create(): number {
    return -Errno.EACCES;
  }

  mkdir(): number {
    return -Errno.EACCES;
  }

  unlink(): number {
    return -Errno.EACCES;
  }

  rmdir(): number {
    return -Errno.EACCES;
  }
}

/** A directory whose entries are given inodes (the root, /dev, the init record's files). */
export class StaticDir extends FixedDir {
  private readonly entries = new Map<string, Inode>();

  /** Put `inode` at `name` (a mount point, a device node, a known file). */
  attach(name: string, inode: Inode): void {
    this.entries.set(name, inode);
  }

  /** Take the entry `name` away (a trace file its program removed). */
  detach(name: string): void {
    this.entries.delete(name);
  }

  lookup(name: string): Inode | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}

/**
 * A host directory mounted into a simulated system: its DirOps go to node:fs, its regular files
 * are inodes whose page cache is backed by the host file (HostFile), so a simulated process can
 * map, read and write real files. Like an ext4 mount: maps lines show the host device and inode
 * number, and the path under the mount point.
 *
 * Identity: one Inode per host file (keyed by st_dev:st_ino), so two lookups, two names of one
 * hard-linked file and a create followed by a lookup all meet the same page cache.
 *
 * Coherence: the simulated page cache is the only writer the adapter knows of. A file's size is
 * taken from the host at each lookup while the inode holds no page-cache pages and nothing has it
 * open or mapped; after that, changes other host processes make to it are not seen (no
 * revalidation: the core has no public way to drop clean pages).
 */
import {
  type BigIntStats, chmodSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, closeSync,
  readdirSync, rmdirSync, statSync, unlinkSync,
} from 'node:fs';
import { join, posix, resolve } from 'node:path';
import {
  type DirOps, Errno, type Inode, S_IFDIR, S_IFMT, S_IFREG, type System, newInode,
} from '../../src/index.js';
import { hostErrno } from './host-errno.js';
import { type HostIoError, HostFile } from './host-file.js';
import { hostIdentity } from './host-identity.js';

export interface HostMountOptions {
  /**
   * Refuse every change to the host: create, mkdir, unlink and rmdir fail with EROFS; regular
   * files show no write permission bits, so opening one for writing fails with EACCES (Linux says
   * EROFS; the core's open() checks mode bits only) and no shared writable mapping can be made.
   * Host files are opened O_RDONLY.
   */
  readOnly?: boolean;
  /** Called for each host I/O failure of a page backing (also kept in HostMount.errors). */
  onError?: (e: HostIoError) => void;
}

/** What mountHostDirectory() returns: the mount's root and its host descriptors. */
export interface HostMount {
  /** The directory inode attached at `mountPath`. */
  readonly root: Inode;
  /** The absolute simulated path of the mount point (normalised). */
  readonly mountPath: string;
  /** The host directory (absolute). */
  readonly hostDir: string;
  readonly readOnly: boolean;
  /**
   * Host I/O failures of the page backings, oldest first. The core cannot hear of them (a read
   * error leaves zeroes in the page, a write-back error leaves the host file unchanged): check
   * this list, or pass `onError`.
   */
  readonly errors: HostIoError[];
  /** The host path behind an inode of this mount (the first name it was found under). */
  hostPathOf(inode: Inode): string | undefined;
  /** How many host descriptors are open. */
  openFds(): number;
  /**
   * Close the host descriptors of files nothing has open or mapped (they reopen by path on next
   * use). A descriptor of an unlinked file still in use stays: it is the only way to its data.
   * Returns how many were closed.
   */
  closeIdle(): number;
  /**
   * Close every host descriptor: for tearing down, when no simulated process will touch the
   * mount's files again (an unlinked file still open or mapped loses its data).
   */
  close(): void;
}

interface Entry {
  inode: Inode;
  hostPath: string;
  /** "dev:ino" of the host object. */
  key: string;
  /** Regular files only. */
  file?: HostFile;
}

class HostMountImpl implements HostMount {
  readonly errors: HostIoError[] = [];
  readonly root: Inode;
  /** Live inodes by "dev:ino". */
  private readonly byKey = new Map<string, Entry>();
  private readonly entries = new Map<Inode, Entry>();

  constructor(readonly mountPath: string, readonly hostDir: string, readonly readOnly: boolean, private readonly onError?: (e: HostIoError) => void) {
    let st: BigIntStats;
    try {
      st = statSync(hostDir, { bigint: true });
    } catch (e) {
      throw new Error(`mountHostDirectory: cannot stat host directory '${hostDir}': ${(e as Error).message}`);
    }
    if (!st.isDirectory()) throw new Error(`mountHostDirectory: '${hostDir}' is not a directory`);
    this.root = this.make(st, mountPath, hostDir);
  }

  readonly report = (e: HostIoError): void => {
    this.errors.push(e);
    this.onError?.(e);
  };

  hostPathOf(inode: Inode): string | undefined {
    return this.entries.get(inode)?.hostPath;
  }

  fileOf(inode: Inode): HostFile | undefined {
    return this.entries.get(inode)?.file;
  }

  openFds(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.file?.isOpen) n++;
    return n;
  }

  closeIdle(): number {
    let n = 0;
    for (const { inode, file } of this.entries.values()) {
      if (file === undefined || !file.isOpen || inode.deleted) continue;
      if ((inode.opens ?? 0) !== 0 || (inode.mappings?.size ?? 0) !== 0) continue;
      file.close();
      n++;
    }
    return n;
  }

  close(): void {
    for (const e of this.entries.values()) e.file?.close();
  }

  /**
   * The inode of the host object `st` found as `path` (simulated) / `hostPath`: the cached one
   * if this host file is known and alive (its link count, and its size while nothing holds its
   * pages, refreshed), else a new one. `fresh` (just created by us) replaces any cached entry:
   * the host reused the number of a file that went away behind our back.
   */
  inodeFor(st: BigIntStats, path: string, hostPath: string, parent: Inode, fresh = false): Inode {
    const id = hostIdentity(st);
    const have = this.byKey.get(id.key);
    if (have !== undefined && !fresh && !have.inode.deleted && (have.inode.mode & S_IFMT) === (this.modeOf(st) & S_IFMT)) {
      const i = have.inode;
      i.nlink = Number(st.nlink);
      if (have.file !== undefined && i.pages.size === 0 && (i.opens ?? 0) === 0 && (i.mappings?.size ?? 0) === 0) {
        i.size = Number(st.size);
      }
      return i;
    }
    // A stale entry (unlinked, or its number reused by the host) stays with whoever holds it.
    if (have !== undefined) this.unkey(have);
    const i = this.make(st, path, hostPath);
    i.parent = parent;
    return i;
  }

  /** Lookups no longer find this entry (its host name is gone); whoever holds the inode keeps it. */
  unkey(e: Entry): void {
    if (this.byKey.get(e.key) === e) this.byKey.delete(e.key);
  }

  /** Forget the entry altogether and close its descriptor (a removed directory). */
  drop(e: Entry): void {
    this.unkey(e);
    e.file?.close();
    this.entries.delete(e.inode);
  }

  entryOf(inode: Inode): Entry | undefined {
    return this.entries.get(inode);
  }

  /** The st_mode the simulated system shows. */
  private modeOf(st: BigIntStats): number {
    const mode = Number(st.mode);
    if (st.isFile()) return S_IFREG | (mode & 0o7777);
    if (st.isDirectory()) return S_IFDIR | (mode & 0o7777);
    return mode;
  }

  private make(st: BigIntStats, path: string, hostPath: string): Inode {
    const id = hostIdentity(st);
    const mode = this.modeOf(st);
    let inode: Inode;
    const entry = { hostPath, key: id.key } as Entry;
    if (st.isFile()) {
      const file = new HostFile(hostPath, path, this.readOnly, this.report);
      inode = newInode({ major: id.major, minor: id.minor, ino: id.ino, path, fs: 'ext4', mode, size: Number(st.size), backing: file });
      entry.file = file;
      // An unlinked file dies when nothing holds it any more: its descriptor goes with it.
      inode.onEvict = () => {
        file.close();
        if (this.entries.get(inode) === entry) this.entries.delete(inode);
        this.unkey(entry);
      };
    } else if (st.isDirectory()) {
      inode = newInode({ major: id.major, minor: id.minor, ino: id.ino, path, fs: 'ext4', mode, size: Number(st.size) });
      inode.dir = new HostDir(this, inode, hostPath);
    } else {
      // FIFOs, sockets, device nodes: visible, without data (reads see an empty file) and without
      // an mmap method; never read from the host (a FIFO read would block the event loop).
      inode = newInode({ major: id.major, minor: id.minor, ino: id.ino, path, fs: 'other', mode, size: 0 });
    }
    inode.nlink = Number(st.nlink);
    if (this.readOnly) inode.readOnly = true; // EROFS for write opens and directory changes
    entry.inode = inode;
    this.byKey.set(id.key, entry);
    this.entries.set(inode, entry);
    return inode;
  }
}

/** A host directory's entries as DirOps: every call goes to the host. */
class HostDir implements DirOps {
  constructor(private readonly mount: HostMountImpl, private readonly self: Inode, private readonly hostPath: string) {}

  private childPath(name: string): string {
    return this.self.path === '/' ? `/${name}` : `${this.self.path}/${name}`;
  }

  /** lstat the entry; a symbolic link is followed (the core's path walk has no symlinks), a dangling one is absent. */
  lookup(name: string): Inode | undefined {
    const hp = join(this.hostPath, name);
    let st: BigIntStats;
    try {
      st = lstatSync(hp, { bigint: true });
      if (st.isSymbolicLink()) st = statSync(hp, { bigint: true });
    } catch {
      return undefined;
    }
    return this.mount.inodeFor(st, this.childPath(name), hp, this.self);
  }

  /** open(O_CREAT|O_EXCL) on the host; the descriptor becomes the file's backing descriptor. */
  create(name: string, mode: number): Inode | number {
    if (this.mount.readOnly) return -Errno.EROFS;
    const hp = join(this.hostPath, name);
    let fd: number;
    try {
      fd = openSync(hp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, mode);
    } catch (e) {
      return -hostErrno(e);
    }
    let st: BigIntStats;
    try {
      fchmodSync(fd, mode); // exactly the mode asked (the host's umask is not the simulated one)
      st = fstatSync(fd, { bigint: true });
    } catch (e) {
      closeSync(fd);
      return -hostErrno(e);
    }
    const inode = this.mount.inodeFor(st, this.childPath(name), hp, this.self, true);
    this.mount.fileOf(inode)!.adopt(fd, true);
    return inode;
  }

  mkdir(name: string, mode: number): Inode | number {
    if (this.mount.readOnly) return -Errno.EROFS;
    const hp = join(this.hostPath, name);
    let st: BigIntStats;
    try {
      mkdirSync(hp, { mode });
      chmodSync(hp, mode);
      st = lstatSync(hp, { bigint: true });
    } catch (e) {
      return -hostErrno(e);
    }
    this.self.nlink++;
    return this.mount.inodeFor(st, this.childPath(name), hp, this.self, true);
  }

  /**
   * unlink on the host. A file still open or mapped in the simulation gets its host descriptor
   * first: after the name is gone it is the only way to the data (Linux keeps the inode alive).
   */
  unlink(name: string): number {
    if (this.mount.readOnly) return -Errno.EROFS;
    const hp = join(this.hostPath, name);
    let link = false;
    try {
      link = lstatSync(hp).isSymbolicLink();
    } catch (e) {
      return -hostErrno(e);
    }
    const inode = this.lookup(name);
    const entry = inode === undefined ? undefined : this.mount.entryOf(inode);
    if (!link && entry?.file !== undefined && ((inode!.opens ?? 0) > 0 || (inode!.mappings?.size ?? 0) > 0)) {
      entry.file.open(true);
    }
    try {
      unlinkSync(hp);
    } catch (e) {
      return -hostErrno(e);
    }
    if (link) {
      // The core resolved the name to the link's target and drops one link of it next; the
      // target lost none: give it back.
      if (inode !== undefined) inode.nlink++;
      return 0;
    }
    // The last name: the core marks the inode deleted (dropLink) and it dies when nothing holds
    // it (onEvict closes the descriptor); the host may reuse its number at once.
    if (entry !== undefined && inode!.nlink <= 1) this.mount.unkey(entry);
    return 0;
  }

  rmdir(name: string): number {
    if (this.mount.readOnly) return -Errno.EROFS;
    const hp = join(this.hostPath, name);
    const inode = this.lookup(name);
    try {
      rmdirSync(hp);
    } catch (e) {
      return -hostErrno(e);
    }
    this.self.nlink--;
    if (inode !== undefined) {
      inode.nlink = 0;
      const entry = this.mount.entryOf(inode);
      if (entry !== undefined) this.mount.drop(entry);
    }
    return 0;
  }

  names(): string[] {
    try {
      return readdirSync(this.hostPath);
    } catch {
      return [];
    }
  }
}

/**
 * Mount host directory `hostDir` at absolute path `mountPath` of `system`'s file namespace (under
 * the root or a fixed directory, e.g. "/host" or "/mnt/data"). Throws if `hostDir` is not a
 * directory or the mount point is not allowed (FileSystem.mount()).
 */
export function mountHostDirectory(system: System, mountPath: string, hostDir: string, opts: HostMountOptions = {}): HostMount {
  if (typeof mountPath !== 'string' || !mountPath.startsWith('/')) throw new TypeError(`mountHostDirectory: mount path must be absolute: ${String(mountPath)}`);
  const mp = posix.normalize(mountPath).replace(/\/+$/, '');
  if (mp === '') throw new RangeError('mountHostDirectory: cannot mount over /');
  const m = new HostMountImpl(mp, resolve(hostDir), opts.readOnly === true, opts.onError);
  system.fs.mount(mp, m.root);
  return m;
}

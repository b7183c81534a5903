/**
 * VFS inodes: the mm layer's inode (identity, size, page cache) plus what the file layer needs —
 * the file type and permission bits, the link count, and a directory's operations.
 * Linux: include/linux/fs.h struct inode.
 */
import type { CharDevice } from '../memmap/chardev.js';
import type { FsKind, MmInode, PageBacking } from '../mm/vma.js';

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;

/** The largest file size of the scratch file systems (ext4 with 4 KiB blocks: s_maxbytes). */
export const MAX_FILE_SIZE = 0xffffffff000;

/** A directory's entries, wherever they live (memory, a host directory). */
export interface DirOps {
  /** The entry `name` (never "." or ".."), or undefined. */
  lookup(name: string): Inode | undefined;
  /** Create a regular file `name` (not present) with permission bits `mode`. */
  create(name: string, mode: number): Inode | number;
  /** Create a directory `name` (not present). */
  mkdir(name: string, mode: number): Inode | number;
  /** Remove the non-directory entry `name` (present); the caller drops the link count. */
  unlink(name: string): number;
  /** Remove the empty directory `name` (present). */
  rmdir(name: string): number;
  /** Entry names, for listings. */
  names(): string[];
}

export interface Inode extends MmInode {
  /** File type and permission bits (st_mode). */
  mode: number;
  nlink: number;
  /** Directories: the entries, and the parent (the root is its own parent). */
  dir?: DirOps;
  parent?: Inode;
  /** Character devices: what reads and writes do (/dev/zero, /dev/null). */
  chardev?: 'zero' | 'null';
  /** A driver's character device node (/dev/sgN): its open() gives each open file its operations. */
  cdev?: CharDevice;
  /** On a read-only mount: no write access, no changes to a directory (EROFS). */
  readOnly?: boolean;
}

export interface NewInode {
  major: number;
  minor: number;
  ino: number;
  path: string;
  fs: FsKind;
  mode: number;
  size?: number;
  backing?: PageBacking;
}

export function newInode(n: NewInode): Inode {
  const inode: Inode = {
    major: n.major, minor: n.minor, ino: n.ino, path: n.path, deleted: false, fs: n.fs,
    size: n.size ?? 0, cached: new Set(), pages: new Map(), mode: n.mode, nlink: 1, opens: 0,
  };
  if (n.backing !== undefined) inode.backing = n.backing;
  return inode;
}

export function isDir(i: Inode): boolean {
  return (i.mode & S_IFMT) === S_IFDIR;
}

export function isReg(i: Inode): boolean {
  return (i.mode & S_IFMT) === S_IFREG;
}

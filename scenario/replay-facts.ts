/**
 * What an strace log's lines say, for the replay (scenario/replay.ts): the numbers and names of
 * flags as strace prints them, the identities its fstat calls give files, the directories its
 * paths imply, what a call does to the layout or to a descriptor, and whether an execve's argv
 * matches a program's command line.
 */
import { NAMES } from '../src/abi/mman.js';
import { type StraceCall, type StraceRecord, argNumber, argPath, splitArgs, structField } from './strace.js';

export const CLONE_VM = 0x100n;
const CLONE_VFORK = 0x4000n;
export const CLONE_THREAD = 0x10000n;
export const CLONE_FILES = 0x400n;
export const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** The calls the replay mirrors into a descriptor table. */
export const FD_CALLS = new Set(['open', 'openat', 'openat2', 'creat', 'recvmsg', 'recvmmsg', 'memfd_create', 'close', 'dup', 'dup2', 'dup3', 'fcntl']);

/** A file's identity from the log: device, inode and size. */
export interface Identity {
  major: number;
  minor: number;
  ino: number;
  size: number;
  /** st_mode (0 when the log did not show it). */
  mode: number;
}

/** st_dev as strace prints it: `makedev(0xfe, 0)`, or the raw new_encode_dev() number. */
function decodeDev(text: string): [number, number] | null {
  const m = /^makedev\((0x[0-9a-f]+|\d+),\s*(0x[0-9a-f]+|\d+)\)$/.exec(text);
  if (m !== null) return [Number(m[1]), Number(m[2])];
  const n = argNumber(text);
  if (n === null) return null;
  const x = Number(n);
  return [(x >> 8) & 0xfff, (x & 0xff) | ((x >> 12) & 0xfff00)];
}

/** Every file identity the log's fstat calls show, by `-y` path. */
export function identities(records: StraceRecord[]): Map<string, Identity> {
  const ids = new Map<string, Identity>();
  for (const r of records) {
    if (r.type !== 'call' || r.errno !== null) continue;
    if (r.name !== 'fstat' && r.name !== 'newfstatat' && r.name !== 'fstat64' && r.name !== 'stat') continue;
    const path = argPath(r.args[0] ?? '');
    const st = r.args.find((a) => a.startsWith('{'));
    if (path === null || st === undefined) continue;
    const dev = structField(st, 'st_dev');
    const ino = structField(st, 'st_ino');
    const size = structField(st, 'st_size');
    const mode = structField(st, 'st_mode');
    const d = dev === null ? null : decodeDev(dev);
    if (d === null || ino === null) continue;
    ids.set(path, {
      major: d[0], minor: d[1], ino: Number(ino), size: size === null ? 2 ** 40 : Number(size),
      mode: Number(argNumber(mode ?? '0', { S_IFREG: 0o100000, S_IFDIR: 0o40000, S_IFCHR: 0o20000 }) ?? 0n),
    });
  }
  return ids;
}

/** open(2) flag names as strace prints them (x86-64). */
const OPEN_NAMES: Record<string, number> = {
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000,
  O_APPEND: 0o2000, O_NONBLOCK: 0o4000, O_DSYNC: 0o10000, O_ASYNC: 0o20000, O_DIRECT: 0o40000,
  O_LARGEFILE: 0o100000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000, O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000, O_SYNC: 0o4010000, O_PATH: 0o10000000, O_TMPFILE: 0o20200000,
};

export const O_CLOEXEC = 0o2000000n;

/** An open call's flags (creat() is O_WRONLY|O_CREAT|O_TRUNC). */
export function openFlags(r: StraceCall): bigint {
  const a = r.args;
  if (r.name === 'creat') return 0o1101n;
  const text = r.name === 'openat' ? a[2] : r.name === 'open' ? a[1] : r.name === 'openat2' ? structField(a[2] ?? '', 'flags') ?? undefined : undefined;
  return argNumber(text ?? '0', OPEN_NAMES) ?? 0n;
}

/**
 * The paths the log shows to be directories without an fstat: every ancestor of a path some call
 * returned a descriptor for (a program opens a directory with plain O_RDONLY, e.g. fontconfig's
 * font directories, and only fstatfs()es it).
 */
export function directories(records: StraceRecord[]): Set<string> {
  const dirs = new Set<string>();
  for (const r of records) {
    if (r.type !== 'call' || r.retPath === null || !r.retPath.startsWith('/')) continue;
    for (let i = r.retPath.lastIndexOf('/'); i > 0; i = r.retPath.lastIndexOf('/', i - 1)) {
      const dir = r.retPath.slice(0, i);
      if (dirs.has(dir)) break; // its ancestors are in too
      dirs.add(dir);
    }
  }
  return dirs;
}

export const F_DUPFD = 0n;
export const F_SETFD = 2n;
export const F_DUPFD_CLOEXEC = 0x406n;
export const FCNTL_NAMES: Record<string, number> = { F_DUPFD: 0, F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_SETFL: 4, F_DUPFD_CLOEXEC: 0x406 };

export const NUM = (s: string | undefined, names: Readonly<Record<string, number>> = {}): bigint =>
  BigInt.asUintN(64, argNumber(s ?? '0', names) ?? 0n);

/** Calls that change the layout or depend on it (their order matters among threads). */
export const LAYOUT_CALLS = new Set(['mmap', 'munmap', 'mremap', 'mprotect', 'brk', 'mseal']);

const MAP_FIXED = 0x10n;
const MAP_FIXED_NOREPLACE = 0x100000n;
const MREMAP_MAYMOVE = 1n;

/** A call whose answer is a placement: mmap without a fixed address, mremap that may move. */
export function placement(r: StraceCall): boolean {
  if (r.name === 'mmap') return (NUM(r.args[3], NAMES.mmapFlags) & (MAP_FIXED | MAP_FIXED_NOREPLACE)) === 0n;
  if (r.name === 'mremap') return (NUM(r.args[3], NAMES.mremapFlags) & MREMAP_MAYMOVE) !== 0n;
  return false;
}

/** The descriptor an mmap maps (null for anonymous memory and the other calls). */
export function mappedFd(r: StraceCall): number | null {
  if (r.name !== 'mmap') return null;
  const fd = BigInt.asIntN(64, NUM(r.args[4]));
  return fd >= 0n ? Number(fd) : null;
}

/** Whether a descriptor call may make `fd` name another file (or none): it must keep its place before an mmap of it. */
export function changesFd(c: StraceCall, fd: number): boolean {
  if (c.errno !== null) return false;
  if (c.name === 'close') return Number(NUM(c.args[0])) === fd;
  if (c.name === 'recvmsg' || c.name === 'recvmmsg') return /SCM_RIGHTS|cmsg_type=0x1\b/.test(c.args.join(', '));
  if (c.name === 'fcntl' && !/^(?:F_DUPFD|F_DUPFD_CLOEXEC|0|0x406)$/.test(c.args[1] ?? '')) return false;
  return c.ret !== null && Number(c.ret) === fd;
}

/**
 * Whether the argv of an execve line (strace prints each string up to 32 characters, then `...`)
 * agrees with the program's /proc/<pid>/cmdline: a start state copied for another execve (one
 * the capture missed) must not be used. Strings with escapes are not compared.
 */
export function argvMatches(r: StraceCall, argv: string[] | undefined): boolean {
  if (argv === undefined) return true;
  const list = r.args[r.name === 'execveat' ? 2 : 1] ?? '';
  if (!list.startsWith('[')) return true;
  const items = splitArgs(list.slice(1, list.endsWith(']') ? -1 : undefined));
  if (items.length === 0 || items[items.length - 1] === '...') return true;
  const same = (item: string, arg: string | undefined): boolean => {
    const m = /^"([^"\\]*)"(\.\.\.)?$/.exec(item);
    if (m === null) return true;
    return arg !== undefined && (m[2] === undefined ? arg === m[1] : arg.startsWith(m[1]));
  };
  if (items.length === argv.length) return items.every((item, i) => same(item, argv[i]));
  // A script (#!): the kernel put the interpreter, its optional argument and the script's path
  // in the place of argv[0] (binfmt_script), so the rest is the tail of the new cmdline.
  const extra = argv.length - items.length;
  if (extra < 1 || extra > 2) return false;
  return items.every((item, i) => i === 0 || same(item, argv[i + extra]));
}

/** clone flag names as strace prints them (the low byte is the exit signal). */
const CLONE_NAMES: Record<string, number> = {
  CLONE_VM: 0x100, CLONE_FS: 0x200, CLONE_FILES: 0x400, CLONE_SIGHAND: 0x800, CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000, CLONE_VFORK: 0x4000, CLONE_PARENT: 0x8000, CLONE_THREAD: 0x10000,
  CLONE_NEWNS: 0x20000, CLONE_SYSVSEM: 0x40000, CLONE_SETTLS: 0x80000, CLONE_PARENT_SETTID: 0x100000,
  CLONE_CHILD_CLEARTID: 0x200000, CLONE_DETACHED: 0x400000, CLONE_UNTRACED: 0x800000,
  CLONE_CHILD_SETTID: 0x1000000, CLONE_NEWCGROUP: 0x2000000, CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000, CLONE_NEWUSER: 0x10000000, CLONE_NEWPID: 0x20000000, CLONE_NEWNET: 0x40000000,
  CLONE_IO: 0x80000000, SIGCHLD: 17,
};

/** The flags of a clone, clone3, fork or vfork call (fork: none; vfork: CLONE_VM|CLONE_VFORK). */
export function cloneFlags(r: StraceCall): bigint {
  if (r.name === 'fork') return 0n;
  if (r.name === 'vfork') return CLONE_VM | CLONE_VFORK;
  const text = r.name === 'clone3' ? structField(r.args[0] ?? '', 'flags') ?? '0' : structField(r.args.join(', '), 'flags') ?? r.args[0] ?? '0';
  return argNumber(text, CLONE_NAMES) ?? 0n;
}

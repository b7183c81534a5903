/**
 * vmspace: the Linux virtual-memory subsystem in TypeScript. The curated public API.
 */
export { createSystem } from './kernel/system.js';
export type { System, SystemOptions, Task, InitRecord } from './kernel/system.js';
export { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, GuestFault, Memory } from './kernel/memory.js';
export type { FramePoolOptions } from './mem/frames.js';
export type { RawSyscalls, ProcView, SmapsEntry } from './kernel/api.js';
export { FastSyscalls } from './kernel/fast.js';
export { Errno, errnoName, strerror } from './abi/errno.js';
export type { ErrnoName } from './abi/errno.js';
export * as mman from './abi/mman.js';
export { InvariantError } from './mm/invariants.js';
export type { FileStat } from './kernel/api.js';
export { MAX_FILE_SIZE, S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, isDir, isReg, newInode } from './fs/inode.js';
export type { DirOps, Inode, NewInode } from './fs/inode.js';
export { MemFs } from './fs/memfs.js';
export type { MemFsOptions } from './fs/memfs.js';
export type { FileSystem } from './fs/namespace.js';
export type { FsKind, PageBacking } from './mm/vma.js';

/**
 * vmspace: the Linux virtual-memory subsystem in TypeScript. The curated public API.
 */
export { createSystem } from './kernel/system.js';
export type { System, SystemOptions, Task, InitRecord } from './kernel/system.js';
export { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, GuestFault, Memory, Memory32 } from './kernel/memory.js';
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
export { sgIo } from './kernel/sg-io.js';
export type { SgDirection, SgIoRequest, SgIoResult } from './kernel/sg-io.js';
export { SgDevice, DEFAULT_HOST } from './devices/sg/sg-device.js';
export type { SgHostParams, SgStats } from './devices/sg/sg-device.js';
export { ScsiDisk } from './scsi/disk.js';
export type { ScsiDiskOptions } from './scsi/disk.js';
export type { ScsiRequest, ScsiResponse } from './scsi/request.js';
export { PatternStore, RamStore, patternBytes } from './scsi/store.js';
export type { BlockStore } from './scsi/store.js';
export type { CharDevice, DeviceFile, DeviceMapping, DeviceOpenRequest, UserAccess } from './memmap/chardev.js';
export type { VmOperations } from './memmap/vm-operations.js';
export * as sg from './abi/sg.js';
export { ErrnoError, checkedSyscalls } from './kernel/errors.js';
export type { CheckedSyscalls } from './kernel/errors.js';

/**
 * System-wide settings an address space obeys: the sysctls, the machine, the credentials.
 * Defaults are the reference machine's (spec linux-mm.md §0) and the kernel oracle's start state.
 */
import { FramePool, type FramePoolOptions } from '../mem/frames.js';
import {
  DEFAULT_LSM_MMAP_MIN_ADDR, DEFAULT_MAX_MAP_COUNT, DEFAULT_MMAP_MIN_ADDR, STACK_GUARD_GAP,
} from '../abi/layout.js';
import type { AddressSpace } from './address-space.js';
import type { MmFile, MmInode } from './vma.js';

export interface Sysctl {
  maxMapCount: number;
  /** vm.mmap_min_addr: the DAC check on MAP_FIXED addresses without CAP_SYS_RAWIO. */
  mmapMinAddr: number;
  /** CONFIG_LSM_MMAP_MIN_ADDR: with the sysctl, gives the floor for hints and searches. */
  lsmMmapMinAddr: number;
  overcommitMemory: number;
  overcommitRatio: number;
  overcommitKbytes: number;
  adminReserveKbytes: number;
  userReserveKbytes: number;
  legacyVaLayout: number;
  nrHugepages: number;
  stackGuardGap: number;
  memTotalKb: number;
  swapTotalKb: number;
  /** CONFIG_ANON_VMA_NAME: without it PR_SET_VMA_ANON_NAME is EINVAL. */
  anonVmaName: boolean;
  /** Global committed pages (vm_committed_as) outside the simulated processes. */
  committedBase: number;
  /**
   * Whether a read fault on private anonymous memory maps the shared zero page (spec §5.1).
   * The fixtures' machine booted with `pvm_no_zero_page=1` and allocated a real page and an
   * anon_vma instead, so the default follows the recordings; a machine booted without it maps
   * the zero page. An init record's `zero_page` (the oracle probes it) sets this.
   */
  useZeroPage: boolean;
  /**
   * /sys/kernel/mm/transparent_hugepage/use_zero_page: with useZeroPage, a read fault in a
   * THP-eligible 2 MiB block maps the huge zero page (do_huge_pmd_anonymous_page()).
   */
  thpUseZeroPage: boolean;
  /**
   * read_ahead_kb of the block device under the disk file systems: the read-ahead window limit
   * (ra_pages = this / 4). The recording machine's disk (vda) has 8192.
   */
  readAheadKb: number;
}

export function defaultSysctl(): Sysctl {
  return {
    maxMapCount: DEFAULT_MAX_MAP_COUNT,
    mmapMinAddr: DEFAULT_MMAP_MIN_ADDR,
    lsmMmapMinAddr: DEFAULT_LSM_MMAP_MIN_ADDR,
    readAheadKb: 8192,
    overcommitMemory: 0,
    overcommitRatio: 50,
    overcommitKbytes: 0,
    adminReserveKbytes: 8192,
    userReserveKbytes: 131072,
    legacyVaLayout: 0,
    nrHugepages: 0,
    stackGuardGap: STACK_GUARD_GAP,
    memTotalKb: 24683620,
    swapTotalKb: 0,
    anonVmaName: false,
    committedBase: 0,
    useZeroPage: false,
    thpUseZeroPage: true,
  };
}

/** The capabilities that change mm rules. The oracle drops all of them. */
export interface Creds {
  capIpcLock: boolean;
  capSysRawio: boolean;
  capSysAdmin: boolean;
  capSysResource: boolean;
}

export function defaultCreds(): Creds {
  return { capIpcLock: false, capSysRawio: false, capSysAdmin: false, capSysResource: false };
}

/** Shared by every address space of one simulated system. */
export class MmSystem {
  sysctl: Sysctl;
  /** vm_committed_as contributions of simulated processes, in pages. */
  committed = 0;
  private nextAnonVmaId = 1;
  private nextFileId = 1;
  private nextMmId = 1;
  /** Inode numbers on the shmem device (00:01), given in creation order (scenario.md §3.3). */
  nextShmemIno = 2;
  /** Huge pages in use from vm.nr_hugepages. */
  hugePagesUsed = 0;

  /** The [vdso] pages' bytes (the kernel layer provides them), and their frames once used. */
  vdsoImage: Uint8Array | null = null;
  readonly vdsoFrames: number[] = [];
  /** Inodes that lost a mapping: settled by releaseInodes() (freed, written back) once none is left. */
  readonly unmappedInodes = new Set<MmInode>();
  /** Files with a release hook that lost a mapping: told once the operation is over (releaseInodes()). */
  readonly unmappedFiles = new Set<MmFile>();
  /** Live address spaces (the rmap's view: who may map an inode's pages). */
  readonly mms = new Set<AddressSpace>();
  /** Physical memory: the frames every address space and page cache of this system use. */
  readonly frames: FramePool;

  constructor(sysctl: Sysctl = defaultSysctl(), memory: FramePoolOptions = {}) {
    this.sysctl = sysctl;
    this.frames = new FramePool(memory);
  }

  newAnonVmaId(): number {
    return this.nextAnonVmaId++;
  }

  /** A new address space's id (Linux: mm_struct.mm_id, mm_alloc_id()). */
  newMmId(): number {
    return this.nextMmId++;
  }

  newFileId(): number {
    return this.nextFileId++;
  }

  /**
   * A new object on the kernel's internal shmem mount (shared anonymous memory, spec §3.3):
   * device 00:01, inode numbered in creation order, shown as `<path> (deleted)`.
   */
  newShmemFile(path: string, size: number): MmFile {
    const inode: MmInode = {
      major: 0, minor: 1, ino: this.nextShmemIno++, path, deleted: true, fs: 'shmem', size,
      cached: new Set(), pages: new Map(),
    };
    return {
      id: this.newFileId(), inode, readable: true, writable: true, append: false, mmapable: true,
      refusesSync: false, fopMmapSync: false,
    };
  }
}

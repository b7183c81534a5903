/**
 * An sg device (Sg_device): /dev/sgN in front of one simulated SCSI disk, with the host's queue
 * limits, the open count and O_EXCL rules, and the device queue requests wait in until they are
 * carried out. Each open() makes an `SgFd` with its own reserved buffer.
 *
 * Time: the simulation has no clock of its own. A request is carried out when the device queue
 * runs, which is whenever a caller would sleep for it — SG_IO, a blocking read(), poll() — or
 * when the embedder calls `runQueue()`; a request submitted by write() therefore stays active
 * (and an O_NONBLOCK read() gets EAGAIN) until one of those happens.
 * Linux: drivers/scsi/sg.c sg_open(), sg_add_device(); the queue is the block layer's.
 */
import { Errno } from '../../abi/errno.js';
import { SCSI_GENERIC_MAJOR, SG_DEF_RESERVED_SIZE } from '../../abi/sg.js';
import type { FramePool } from '../../mem/frames.js';
import type { ScsiDisk } from '../../scsi/disk.js';
import type { CharDevice, DeviceFile, DeviceOpenRequest } from '../../memmap/chardev.js';
import { SgFd } from './sg-fd.js';
import type { SgRequest } from './sg-request.js';

const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_EXCL = 0o200;

/** The SCSI host and queue limits an sg device fronts (spec §5.1; SG_GET_SCSI_ID's fields). */
export interface SgHostParams {
  hostNo: number;
  channel: number;
  scsiId: number;
  lun: number;
  /** Peripheral device type (0: disk). */
  scsiType: number;
  cmdPerLun: number;
  queueDepth: number;
  /** Scatter-gather segments per request (SG_GET_SG_TABLESIZE). */
  sgTablesize: number;
  /** The queue's max_sectors × 512: the reserve size is clamped to it (spec Q1). */
  maxSectorsBytes: number;
  /** The host template's `emulated` flag. */
  emulated: number;
  /** The allow_dio module parameter (default 0: direct I/O requests fall back to indirect). */
  allowDio: boolean;
  /** def_reserved_size (0..1048576). */
  defReservedSize: number;
}

export const DEFAULT_HOST: SgHostParams = {
  hostNo: 0, channel: 0, scsiId: 0, lun: 0, scsiType: 0, cmdPerLun: 192, queueDepth: 192,
  sgTablesize: 2048, maxSectorsBytes: 1310720, emulated: 0, allowDio: false,
  defReservedSize: SG_DEF_RESERVED_SIZE,
};

/** The driver's own accounting, for tests and tools. */
export interface SgStats {
  /** Open files alive (Sg_fd): freed after the last close and the last munmap. */
  openFiles: number;
  /** Bytes of reserved buffers alive. */
  reserveBytes: number;
  /** Requests carried out by the target. */
  commands: number;
}

export class SgDevice implements CharDevice {
  readonly major = SCSI_GENERIC_MAJOR;
  readonly name: string;
  readonly host: SgHostParams;
  /** Opens holding the device (open_cnt). */
  openCount = 0;
  /** An O_EXCL open holds it. */
  exclusive = false;
  /** Requests waiting for the target, in the order it will take them (head first). */
  readonly queue: SgRequest[] = [];
  readonly stats: SgStats = { openFiles: 0, reserveBytes: 0, commands: 0 };

  constructor(readonly minor: number, readonly disk: ScsiDisk, readonly frames: FramePool, host: Partial<SgHostParams> = {}) {
    this.name = `sg${minor}`;
    this.host = { ...DEFAULT_HOST, ...host };
  }

  /**
   * sg_open(): O_EXCL needs write access (EPERM); while an O_EXCL holder exists, or for O_EXCL
   * while anyone has it open, O_NONBLOCK gives EBUSY (a blocking open would sleep until the
   * device is free, which nothing here can bring about: EBUSY too).
   */
  open(req: DeviceOpenRequest): DeviceFile | number {
    const excl = (req.flags & O_EXCL) !== 0;
    if (excl && (req.flags & O_ACCMODE) === O_RDONLY) return -Errno.EPERM;
    if (this.exclusive || (excl && this.openCount > 0)) return -Errno.EBUSY;
    const fd = new SgFd(this, req);
    this.openCount++;
    if (excl) this.exclusive = true;
    this.stats.openFiles++;
    return fd;
  }

  /** The last reference to an open file went (sg_release() → sg_remove_sfp()). */
  closed(excl: boolean): void {
    this.openCount--;
    if (excl) this.exclusive = false;
    this.stats.openFiles--;
  }

  /** Put a request on the device queue: at the head unless `tail` (blk_execute_rq_nowait()). */
  enqueue(r: SgRequest, tail: boolean): void {
    if (tail) this.queue.push(r);
    else this.queue.unshift(r);
  }

  /** Carry out every queued request, head first (the target answers them in queue order). */
  runQueue(): void {
    while (this.queue.length !== 0) {
      const r = this.queue.shift()!;
      r.owner.execute(r);
      this.stats.commands++;
    }
  }
}

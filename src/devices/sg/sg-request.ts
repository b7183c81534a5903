/**
 * One sg request (Sg_request) and the v3 header it carries (sg_io_hdr_t, 88 bytes on x86-64):
 * decoding the header a process passed, and encoding the one written back on completion.
 * Linux: drivers/scsi/sg.c struct sg_request; include/scsi/sg.h sg_io_hdr_t.
 */
import { HDR, SG_IO_HDR_SIZE } from '../../abi/sg.js';
import type { SgList } from '../../scsi/sglist.js';
import type { PinnedPages } from '../../memmap/chardev.js';
import type { SgFd } from './sg-fd.js';

/** sg_io_hdr_t's fields (pointers as bigint, as the process gave them). */
export interface SgIoHdr {
  interfaceId: number;
  dxferDirection: number;
  cmdLen: number;
  mxSbLen: number;
  iovecCount: number;
  dxferLen: number;
  dxferp: bigint;
  cmdp: bigint;
  sbp: bigint;
  timeout: number;
  flags: number;
  packId: number;
  usrPtr: bigint;
  status: number;
  maskedStatus: number;
  msgStatus: number;
  sbLenWr: number;
  hostStatus: number;
  driverStatus: number;
  resid: number;
  duration: number;
  info: number;
}

export function decodeHdr(b: Uint8Array): SgIoHdr {
  const d = new DataView(b.buffer, b.byteOffset, SG_IO_HDR_SIZE);
  return {
    interfaceId: d.getInt32(HDR.interfaceId, true),
    dxferDirection: d.getInt32(HDR.dxferDirection, true),
    cmdLen: d.getUint8(HDR.cmdLen),
    mxSbLen: d.getUint8(HDR.mxSbLen),
    iovecCount: d.getUint16(HDR.iovecCount, true),
    dxferLen: d.getUint32(HDR.dxferLen, true),
    dxferp: d.getBigUint64(HDR.dxferp, true),
    cmdp: d.getBigUint64(HDR.cmdp, true),
    sbp: d.getBigUint64(HDR.sbp, true),
    timeout: d.getUint32(HDR.timeout, true),
    flags: d.getUint32(HDR.flags, true),
    packId: d.getInt32(HDR.packId, true),
    usrPtr: d.getBigUint64(HDR.usrPtr, true),
    status: d.getUint8(HDR.status),
    maskedStatus: d.getUint8(HDR.maskedStatus),
    msgStatus: d.getUint8(HDR.msgStatus),
    sbLenWr: d.getUint8(HDR.sbLenWr),
    hostStatus: d.getUint16(HDR.hostStatus, true),
    driverStatus: d.getUint16(HDR.driverStatus, true),
    resid: d.getInt32(HDR.resid, true),
    duration: d.getUint32(HDR.duration, true),
    info: d.getUint32(HDR.info, true),
  };
}

/** The 88 bytes of `h` (the padding written as zero). */
export function encodeHdr(h: SgIoHdr): Uint8Array {
  const b = new Uint8Array(SG_IO_HDR_SIZE);
  const d = new DataView(b.buffer);
  d.setInt32(HDR.interfaceId, h.interfaceId, true);
  d.setInt32(HDR.dxferDirection, h.dxferDirection, true);
  d.setUint8(HDR.cmdLen, h.cmdLen);
  d.setUint8(HDR.mxSbLen, h.mxSbLen);
  d.setUint16(HDR.iovecCount, h.iovecCount, true);
  d.setUint32(HDR.dxferLen, h.dxferLen, true);
  d.setBigUint64(HDR.dxferp, h.dxferp, true);
  d.setBigUint64(HDR.cmdp, h.cmdp, true);
  d.setBigUint64(HDR.sbp, h.sbp, true);
  d.setUint32(HDR.timeout, h.timeout, true);
  d.setUint32(HDR.flags, h.flags, true);
  d.setInt32(HDR.packId, h.packId, true);
  d.setBigUint64(HDR.usrPtr, h.usrPtr, true);
  d.setUint8(HDR.status, h.status);
  d.setUint8(HDR.maskedStatus, h.maskedStatus);
  d.setUint8(HDR.msgStatus, h.msgStatus);
  d.setUint8(HDR.sbLenWr, h.sbLenWr);
  d.setUint16(HDR.hostStatus, h.hostStatus, true);
  d.setUint16(HDR.driverStatus, h.driverStatus, true);
  d.setInt32(HDR.resid, h.resid, true);
  d.setUint32(HDR.duration, h.duration, true);
  d.setUint32(HDR.info, h.info, true);
  return b;
}

/** Where a request's data lives. */
export type BufferKind = 'none' | 'reserve' | 'temp' | 'direct';

/** A user memory range of an iovec (sg_iovec_t). */
export interface UserSegment {
  base: bigint;
  len: number;
}

export class SgRequest {
  /** 0 active, 1 completed awaiting read, 2 being returned (srp->done). */
  done = 0;
  /** Submitted through SG_IO: invisible to read(), poll() and the counters. */
  sgIoOwned: boolean;
  /** The CDB (cmd_len bytes). */
  cdb: Uint8Array = new Uint8Array(0);
  buffer: BufferKind = 'none';
  /** A temporary buffer's bytes. */
  temp: Uint8Array | null = null;
  /** Direct I/O: the pinned user pages and their release. */
  pinned: PinnedPages | null = null;
  /** The user side of the data: the flat buffer or the iovec, [] for no user copy. */
  user: UserSegment[] = [];
  /** Bytes the data phase moves (dxfer_len, or the iovec total when smaller). */
  len = 0;
  /** 'in' (device → memory), 'out' (memory → device) or 'none'. */
  dir: 'in' | 'out' | 'none' = 'none';
  /** Sense the target returned (at most 96 bytes), or null. */
  sense: Uint8Array | null = null;
  /** performance.now() at submission, for `duration`. */
  submitted = 0;

  constructor(readonly owner: SgFd, public hdr: SgIoHdr, sgIo: boolean) {
    this.sgIoOwned = sgIo;
  }

  /** The data buffer as the target sees it (views made now: the frame slab may have grown). */
  data(): SgList {
    switch (this.buffer) {
      case 'reserve': return this.owner.reserve.views(this.len);
      case 'temp': return [this.temp!.subarray(0, this.len)];
      case 'direct': return this.pinned!.views();
      default: return [];
    }
  }
}

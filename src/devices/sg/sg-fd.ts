/**
 * One open file of an sg device (Sg_fd): its reserved buffer, its request list (at most 16),
 * the ioctls, the v3 submission checks in the kernel's order, the data paths (direct, the
 * reserve, a temporary buffer, mmap-ed), the async write()/read() interface and poll(), the mmap
 * hook and its fault handler, and the free after the last close and the last munmap.
 * Rules: spec/sg.md §1.6, §1.7, §2, §3, §4. Linux: drivers/scsi/sg.c.
 */
import { Errno } from '../../abi/errno.js';
import * as S from '../../abi/sg.js';
import { VM_DONTDUMP, VM_DONTEXPAND, VM_IO, type VmOperations } from '../../mm/vma.js';
import type { DeviceFile, DeviceMapping, DeviceOpenRequest, UserAccess } from '../../memmap/chardev.js';
import { scsiCmdAllowed } from './command-filter.js';
import { ScatterHold } from './scatter-hold.js';
import type { SgDevice } from './sg-device.js';
import { SgRequest, type SgIoHdr, type UserSegment, decodeHdr, encodeHdr } from './sg-request.js';

const O_ACCMODE = 3;
const O_RDWR = 2;
const O_EXCL = 0o200;
const PAGE = 4096;
/** access_ok(): the top of user space. */
const TASK_SIZE = 0x7ffffffff000n;
/** HZ of the modelled kernel (CONFIG_HZ_1000) and USER_HZ. */
const HZ = 1000;
const USER_HZ = 100;
const INT_MAX = 0x7fffffff;

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v | 0, true);
  return b;
}

export class SgFd implements DeviceFile {
  readonly seekable = false;
  /** The reserved buffer (sfp->reserve). */
  readonly reserve: ScatterHold;
  /** A request holds the reserve (res_in_use). */
  resInUse = false;
  /** mmap() succeeded at least once (never cleared). */
  mmapCalled = false;
  cmdQ = false;
  forcePackId = false;
  keepOrphan = 0;
  /** SG_SET_TIMEOUT's value, in USER_HZ ticks (v2 only). */
  timeoutUser = S.SG_DEFAULT_TIMEOUT_USER;
  nextCmdLen = 0;
  debug = 0;
  /** The request list, in submission order. */
  readonly requests: SgRequest[] = [];
  private readonly rdwr: boolean;
  private readonly openForWrite: boolean;
  private readonly excl: boolean;
  private closed = false;
  /** The vm operations every mapping of this file gets (sg_mmap_vm_ops). */
  private readonly vmOps: VmOperations;

  constructor(readonly dev: SgDevice, req: DeviceOpenRequest) {
    this.rdwr = (req.flags & O_ACCMODE) === O_RDWR;
    this.openForWrite = req.writable;
    this.excl = (req.flags & O_EXCL) !== 0;
    this.reserve = new ScatterHold(dev.frames);
    this.buildReserve(Math.min(dev.host.defReservedSize, dev.host.maxSectorsBytes));
    // sg_vma_fault(): page `pgoff` of the reserve, SIGBUS at or past bufflen.
    this.vmOps = { fault: (pgoff: number) => this.reserve.frameAt(pgoff * PAGE) };
  }

  /** sg_build_reserve(): at least a page; on allocation failure halve while above half a page. */
  private buildReserve(size: number): void {
    let s = size;
    do {
      if (s < PAGE) s = PAGE;
      if (this.reserve.build(s)) break;
      s >>= 1;
    } while (s > PAGE / 2);
    this.dev.stats.reserveBytes += this.reserve.bufflen;
  }

  private freeReserve(): void {
    this.dev.stats.reserveBytes -= this.reserve.bufflen;
    this.reserve.free();
  }

  // ---- mmap -------------------------------------------------------------------------------

  /** sg_mmap(): offset 0 only, no longer than the reserve; the VMA becomes VM_IO|DONTEXPAND|DONTDUMP. */
  mmap(m: DeviceMapping): number {
    if (m.pgoff !== 0) return -Errno.EINVAL;
    if (m.end - m.start > this.reserve.bufflen) return -Errno.ENOMEM;
    this.mmapCalled = true;
    m.flags |= VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
    m.vmOps = this.vmOps;
    return 0;
  }

  // ---- ioctl ------------------------------------------------------------------------------

  private getInt(user: UserAccess, arg: bigint): number | null {
    const b = user.copyFrom(arg, 4);
    return b === null ? null : new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  }

  private putInt(user: UserAccess, arg: bigint, v: number): number {
    return user.copyTo(arg, int32(v)) ? 0 : -Errno.EFAULT;
  }

  /** sg_ioctl() → sg_ioctl_common(), then the midlayer's scsi_ioctl() for the rest. */
  ioctl(user: UserAccess, cmd: number, arg: bigint): number {
    const host = this.dev.host;
    const readOnly = !this.rdwr;
    let v: number | null;
    switch (cmd) {
      case S.SG_IO:
        return this.sgIo(user, arg, readOnly);
      case S.SG_SET_TIMEOUT:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        if (v < 0) return -Errno.EIO;
        // Clamped so that the jiffies value fits an int (mult_frac(INT_MAX, USER_HZ, HZ)).
        this.timeoutUser = Math.min(v, Math.floor((INT_MAX * USER_HZ) / HZ));
        return 0;
      case S.SG_GET_TIMEOUT:
        return this.timeoutUser;
      case S.SG_SET_FORCE_LOW_DMA:
        return 0;
      case S.SG_GET_LOW_DMA:
        return this.putInt(user, arg, 0);
      case S.SG_GET_SCSI_ID: {
        const b = new Uint8Array(S.SG_SCSI_ID_SIZE);
        const d = new DataView(b.buffer);
        d.setInt32(0, host.hostNo, true);
        d.setInt32(4, host.channel, true);
        d.setInt32(8, host.scsiId, true);
        d.setInt32(12, host.lun, true);
        d.setInt32(16, host.scsiType, true);
        d.setInt16(20, host.cmdPerLun, true);
        d.setInt16(22, host.queueDepth, true);
        return user.copyTo(arg, b) ? 0 : -Errno.EFAULT;
      }
      case S.SG_SET_FORCE_PACK_ID:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        this.forcePackId = v !== 0;
        return 0;
      case S.SG_GET_PACK_ID: {
        const r = this.requests.find((q) => q.done === 1 && !q.sgIoOwned);
        return this.putInt(user, arg, r === undefined ? -1 : r.hdr.packId);
      }
      case S.SG_GET_NUM_WAITING:
        return this.putInt(user, arg, this.requests.filter((q) => q.done === 1 && !q.sgIoOwned).length);
      case S.SG_GET_SG_TABLESIZE:
        return this.putInt(user, arg, host.sgTablesize);
      case S.SG_SET_RESERVED_SIZE:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        return this.setReservedSize(v);
      case S.SG_GET_RESERVED_SIZE:
        return this.putInt(user, arg, Math.min(this.reserve.bufflen, host.maxSectorsBytes));
      case S.SG_SET_COMMAND_Q:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        this.cmdQ = v !== 0;
        return 0;
      case S.SG_GET_COMMAND_Q:
        return this.putInt(user, arg, this.cmdQ ? 1 : 0);
      case S.SG_SET_KEEP_ORPHAN:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        this.keepOrphan = v;
        return 0;
      case S.SG_GET_KEEP_ORPHAN:
        return this.putInt(user, arg, this.keepOrphan);
      case S.SG_NEXT_CMD_LEN:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        if (v > S.SG_MAX_CDB_SIZE) return -Errno.ENOMEM;
        this.nextCmdLen = v > 0 ? v : 0;
        return 0;
      case S.SG_GET_VERSION_NUM:
        return this.putInt(user, arg, S.SG_VERSION_NUM);
      case S.SG_GET_ACCESS_COUNT:
        return this.putInt(user, arg, 1);
      case S.SG_GET_REQUEST_TABLE:
        return user.copyTo(arg, this.requestTable()) ? 0 : -Errno.EFAULT;
      case S.SG_EMULATED_HOST:
        return this.putInt(user, arg, host.emulated);
      case S.SG_SCSI_RESET:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        if (v === 0) return 0; // SG_SCSI_RESET_NOTHING
        return -Errno.EACCES; // needs CAP_SYS_ADMIN and CAP_SYS_RAWIO
      case S.SG_SET_DEBUG:
        if ((v = this.getInt(user, arg)) === null) return -Errno.EFAULT;
        this.debug = v;
        return 0;
      case S.BLKSECTGET:
        return this.putInt(user, arg, host.maxSectorsBytes);
      case S.SCSI_IOCTL_GET_IDLUN: {
        if (readOnly) return -Errno.EPERM;
        const b = new Uint8Array(8);
        const d = new DataView(b.buffer);
        d.setInt32(0, (host.scsiId & 0xff) | ((host.lun & 0xff) << 8) | ((host.channel & 0xff) << 16) | ((host.hostNo & 0xff) << 24), true);
        d.setInt32(4, host.hostNo + 1, true);
        return user.copyTo(arg, b) ? 0 : -Errno.EFAULT;
      }
      case S.SCSI_IOCTL_GET_BUS_NUMBER:
        if (readOnly) return -Errno.EPERM;
        return this.putInt(user, arg, host.hostNo);
      default:
        // sg_ioctl_common(): a file not open O_RDWR stops here; the midlayer and the host's
        // ioctl do not know the command.
        return readOnly ? -Errno.EPERM : -Errno.EINVAL;
    }
  }

  /** SG_SET_RESERVED_SIZE (spec §2.2.1). */
  private setReservedSize(val: number): number {
    if (val < 0) return -Errno.EINVAL;
    val = Math.min(val, this.dev.host.maxSectorsBytes);
    if (val === this.reserve.bufflen) return 0;
    if (this.mmapCalled || this.resInUse) return -Errno.EBUSY;
    this.freeReserve();
    this.buildReserve(val);
    return 0;
  }

  /** SG_GET_REQUEST_TABLE: 16 sg_req_info_t entries, unused ones zero. */
  private requestTable(): Uint8Array {
    const b = new Uint8Array(S.SG_MAX_QUEUE * S.SG_REQ_INFO_SIZE);
    const d = new DataView(b.buffer);
    const now = performance.now();
    this.requests.slice(0, S.SG_MAX_QUEUE).forEach((r, i) => {
      const o = i * S.SG_REQ_INFO_SIZE;
      const h = r.hdr;
      d.setUint8(o, r.done + 1);
      d.setUint8(o + 1, 0); // orphan: no signal interrupts a wait here
      d.setUint8(o + 2, r.sgIoOwned ? 1 : 0);
      d.setUint8(o + 3, h.maskedStatus & h.hostStatus & h.driverStatus);
      d.setInt32(o + 4, h.packId, true);
      d.setBigUint64(o + 8, h.usrPtr, true);
      d.setUint32(o + 16, r.done !== 0 ? h.duration : Math.floor(now - r.submitted), true);
    });
    return b;
  }

  // ---- submission -------------------------------------------------------------------------

  /** ioctl(SG_IO): submit at the head, wait until done, collect (sg_ioctl_common()). */
  private sgIo(user: UserAccess, arg: bigint, readOnly: boolean): number {
    if (arg + BigInt(S.SG_IO_HDR_SIZE) > TASK_SIZE) return -Errno.EFAULT; // access_ok()
    const r = this.submit(user, arg, S.SG_IO_HDR_SIZE, true, readOnly);
    if (typeof r === 'number') return r;
    this.dev.runQueue(); // the caller sleeps until its request is done
    r.done = 2;
    const res = this.collect(user, r, arg, S.SG_IO_HDR_SIZE);
    return res < 0 ? res : 0;
  }

  /**
   * sg_new_write() → sg_common_write() → sg_start_req(): the checks of spec §1.6 in order, then
   * the request joins the list and the device queue. A failed check leaves nothing behind.
   */
  submit(user: UserAccess, buf: bigint, count: number, sgIo: boolean, readOnly: boolean): SgRequest | number {
    if (count < S.SG_IO_HDR_SIZE) return -Errno.EINVAL;
    this.cmdQ = true;
    if (this.requests.length >= S.SG_MAX_QUEUE) return -Errno.EDOM;
    const raw = user.copyFrom(buf, S.SG_IO_HDR_SIZE);
    if (raw === null) return -Errno.EFAULT;
    const hdr = decodeHdr(raw);
    if (hdr.interfaceId !== 0x53) return -Errno.ENOSYS;
    if ((hdr.flags & S.SG_FLAG_MMAP_IO) !== 0) {
      if (hdr.dxferLen > this.reserve.bufflen) return -Errno.ENOMEM;
      if ((hdr.flags & S.SG_FLAG_DIRECT_IO) !== 0) return -Errno.EINVAL;
      if (this.resInUse) return -Errno.EBUSY;
    }
    if (hdr.cmdp === 0n || hdr.cmdLen < 6 || hdr.cmdLen > S.SG_MAX_CDB_SIZE) return -Errno.EMSGSIZE;
    const cdb = user.copyFrom(hdr.cmdp, hdr.cmdLen);
    if (cdb === null) return -Errno.EFAULT;
    if (readOnly && !scsiCmdAllowed(cdb[0], this.openForWrite)) return -Errno.EPERM;
    // sg_common_write(): the outputs start at zero.
    hdr.status = hdr.maskedStatus = hdr.msgStatus = hdr.sbLenWr = 0;
    hdr.hostStatus = hdr.driverStatus = hdr.resid = hdr.duration = hdr.info = 0;
    if (hdr.dxferLen >= S.SG_MAX_DXFER) return -Errno.EINVAL;
    const r = new SgRequest(this, hdr, sgIo);
    r.cdb = cdb;
    const e = this.startReq(user, r);
    if (e < 0) {
      this.finishReq(r);
      return e;
    }
    r.submitted = performance.now();
    this.requests.push(r);
    this.dev.enqueue(r, (hdr.flags & S.SG_FLAG_Q_AT_TAIL) !== 0);
    return r;
  }

  /** sg_start_req(): choose the data buffer (spec §4.1) and copy data-out in. */
  private startReq(user: UserAccess, r: SgRequest): number {
    const h = r.hdr;
    if (r.cdb.length > S.SCSI_MAX_CDB) return -Errno.EINVAL;
    const len = h.dxferLen;
    const dir = h.dxferDirection;
    if (len <= 0 || dir === S.SG_DXFER_NONE) return 0;
    r.dir = dir === S.SG_DXFER_TO_DEV ? 'out' : 'in';
    r.len = len;
    const mmapIo = (h.flags & S.SG_FLAG_MMAP_IO) !== 0;
    const host = this.dev.host;
    // Direct I/O: allowed, asked for, a known direction, no iovec, 4-byte aligned (the queue's
    // DMA alignment). The pages are pinned now; VM_IO mappings refuse (EFAULT).
    if (!mmapIo && host.allowDio && (h.flags & S.SG_FLAG_DIRECT_IO) !== 0 && dir !== S.SG_DXFER_UNKNOWN &&
        h.iovecCount === 0 && (h.dxferp & 3n) === 0n && (len & 3) === 0) {
      if (h.dxferp === 0n) return -Errno.EFAULT;
      const p = user.pin(h.dxferp, len, r.dir === 'in');
      if (typeof p === 'number') return p;
      r.pinned = p;
      r.buffer = 'direct';
      h.info |= S.SG_INFO_DIRECT_IO;
      return 0;
    }
    if (len <= this.reserve.bufflen && !this.resInUse) {
      this.resInUse = true;
      r.buffer = 'reserve';
    } else if (mmapIo) {
      return len > this.reserve.bufflen ? -Errno.ENOMEM : -Errno.EBUSY;
    } else {
      // sg_build_indirect(): chunks of 32 KiB, at most sg_tablesize of them.
      const size = Math.ceil(len / 512) * 512;
      if (size > host.sgTablesize * S.SG_SCATTER_SZ) return -Errno.ENOMEM;
      r.temp = new Uint8Array(size);
      r.buffer = 'temp';
    }
    // The user side (blk_rq_map_user_io() with the driver's pages): the iovec, the flat buffer,
    // or nothing when dxferp is NULL (the only way left to skip the copy).
    if (h.iovecCount > 0) {
      if (h.iovecCount > S.UIO_MAXIOV) return -Errno.EINVAL;
      const raw = user.copyFrom(h.dxferp, h.iovecCount * S.SG_IOVEC_SIZE);
      if (raw === null) return -Errno.EFAULT;
      const d = new DataView(raw.buffer, raw.byteOffset, raw.length);
      let total = 0;
      const segs: UserSegment[] = [];
      for (let i = 0; i < h.iovecCount; i++) {
        const base = d.getBigUint64(i * 16, true);
        const n = d.getBigUint64(i * 16 + 8, true);
        if (n > 0x7fffffffn || total + Number(n) > 0x7fffffff) return -Errno.EINVAL;
        if (n !== 0n) segs.push({ base, len: Number(n) });
        total += Number(n);
      }
      if (total === 0) return -Errno.EINVAL;
      r.user = segs;
      r.len = Math.min(len, total);
    } else if (h.dxferp !== 0n) {
      r.user = [{ base: h.dxferp, len }];
    } else if (dir === S.SG_DXFER_TO_FROM_DEV) {
      return -Errno.EFAULT; // the copy-in reads from address 0
    }
    if ((dir === S.SG_DXFER_TO_DEV || dir === S.SG_DXFER_TO_FROM_DEV) && r.user.length !== 0) {
      let at = 0;
      for (const s of r.user) {
        const n = Math.min(s.len, r.len - at);
        if (n <= 0) break;
        if (!user.readToList(s.base, n, () => r.data(), at)) return -Errno.EFAULT;
        at += n;
      }
    }
    return 0;
  }

  /** The target carries the request out (sg_rq_end_io() fills the outputs). */
  execute(r: SgRequest): void {
    const h = r.hdr;
    const resp = this.dev.disk.execute({ cdb: r.cdb, direction: r.dir, data: r.data() });
    h.resid = resp.resid;
    h.duration = Math.floor(performance.now() - r.submitted);
    if (resp.status !== 0 || resp.host !== 0) {
      h.status = resp.status & 0xff;
      h.maskedStatus = (resp.status >> 1) & 0x7f;
      h.msgStatus = 0;
      h.hostStatus = resp.host;
      h.driverStatus = 0;
    }
    if (resp.sense !== null && resp.sense.length !== 0) r.sense = resp.sense.subarray(0, S.SCSI_SENSE_BUFFERSIZE);
    r.done = 1;
  }

  /**
   * sg_new_read(): sense to sbp, the header back to `buf`, then the request ends — data-in
   * copied to the user, the reserve freed. Returns `count` or a negative errno (the request is
   * gone either way).
   */
  collect(user: UserAccess, r: SgRequest, buf: bigint, count: number): number {
    const h = r.hdr;
    let err = 0;
    if (count < S.SG_IO_HDR_SIZE) err = -Errno.EINVAL;
    else {
      h.sbLenWr = 0;
      const sense = r.sense ?? new Uint8Array(S.SCSI_SENSE_BUFFERSIZE);
      if (h.mxSbLen > 0 && h.sbp !== 0n && ((h.maskedStatus & 1) !== 0 || (sense[0] & 0x70) === 0x70)) {
        const sbLen = Math.min(h.mxSbLen, S.SCSI_SENSE_BUFFERSIZE);
        const n = Math.min(8 + sense[7], sbLen);
        const out = new Uint8Array(n);
        out.set(sense.subarray(0, Math.min(n, sense.length)));
        if (!user.copyTo(h.sbp, out)) err = -Errno.EFAULT;
        else {
          h.driverStatus = S.DRIVER_SENSE;
          h.sbLenWr = n;
        }
      }
      if (err === 0) {
        if (h.maskedStatus !== 0 || h.hostStatus !== 0 || h.driverStatus !== 0) h.info |= S.SG_INFO_CHECK;
        if (!user.copyTo(buf, encodeHdr(h))) err = -Errno.EFAULT;
      }
    }
    const err2 = this.finishReq(r, user);
    this.removeRequest(r);
    return err !== 0 ? err : err2 !== 0 ? err2 : count;
  }

  /**
   * sg_finish_rem_req(): data-in goes to the user (the whole transfer, as the kernel buffer holds
   * it), direct pages are unpinned, the reserve is free again. Returns 0 or -EFAULT.
   */
  private finishReq(r: SgRequest, user: UserAccess | null = null): number {
    let err = 0;
    if (user !== null && r.dir === 'in' && r.buffer !== 'direct' && r.user.length !== 0) {
      let at = 0;
      for (const s of r.user) {
        const n = Math.min(s.len, r.len - at);
        if (n <= 0) break;
        if (!user.writeFromList(s.base, n, () => r.data(), at)) { err = -Errno.EFAULT; break; }
        at += n;
      }
    }
    if (r.pinned !== null) { r.pinned.unpin(); r.pinned = null; }
    if (r.buffer === 'reserve') this.resInUse = false;
    r.temp = null;
    r.buffer = 'none';
    return err;
  }

  private removeRequest(r: SgRequest): void {
    const i = this.requests.indexOf(r);
    if (i >= 0) this.requests.splice(i, 1);
  }

  // ---- the async interface ----------------------------------------------------------------

  /** write(): a v3 header submits a request and returns at once (spec §2.4); v2 is not provided. */
  write(user: UserAccess, buf: bigint, count: number): number {
    if (count < S.SG_HEADER_V2_SIZE) return -Errno.EIO;
    const old = user.copyFrom(buf, S.SG_HEADER_V2_SIZE);
    if (old === null) return -Errno.EFAULT;
    const replyLen = new DataView(old.buffer, old.byteOffset, 8).getInt32(4, true);
    // The v2 sg_header interface (reply_len >= 0) is not implemented (spec Q10): EIO.
    if (replyLen >= 0) return -Errno.EIO;
    const r = this.submit(user, buf, count, false, false);
    return typeof r === 'number' ? r : count;
  }

  /** sg_get_rq_mark(): the first completed, unread request matching `packId` (-1: any). */
  private takeDone(packId: number): SgRequest | undefined {
    const r = this.requests.find((q) => q.done === 1 && !q.sgIoOwned && (packId === -1 || q.hdr.packId === packId));
    if (r !== undefined) r.done = 2;
    return r;
  }

  /**
   * read(): the next completed request (by pack_id with force_packid), its header and data.
   * O_NONBLOCK with none ready: EAGAIN. A blocking read lets the device queue run; if still no
   * request can ever match, Linux would sleep forever — vmspace returns EAGAIN instead.
   */
  read(user: UserAccess, buf: bigint, count: number, nonblock: boolean): number {
    let packId = -1;
    if (this.forcePackId && count >= S.SG_HEADER_V2_SIZE) {
      const old = user.copyFrom(buf, S.SG_HEADER_V2_SIZE);
      if (old === null) return -Errno.EFAULT;
      const d = new DataView(old.buffer, old.byteOffset, S.SG_HEADER_V2_SIZE);
      if (d.getInt32(4, true) < 0) {
        if (count >= S.SG_IO_HDR_SIZE) {
          const p = user.copyFrom(buf + BigInt(S.HDR.packId), 4);
          if (p === null) return -Errno.EFAULT;
          packId = new DataView(p.buffer, p.byteOffset, 4).getInt32(0, true);
        }
      } else {
        packId = d.getInt32(8, true);
      }
    }
    let r = this.takeDone(packId);
    if (r === undefined) {
      if (nonblock) return -Errno.EAGAIN;
      this.dev.runQueue();
      r = this.takeDone(packId);
      if (r === undefined) return -Errno.EAGAIN;
    }
    return this.collect(user, r, buf, count);
  }

  /** sg_poll(): readable when a completed request waits; writable while a slot is free. */
  poll(): number {
    let res = 0;
    if (this.requests.some((q) => q.done === 1 && !q.sgIoOwned)) res |= S.POLLIN | S.POLLRDNORM;
    const n = this.requests.length;
    if (this.cmdQ ? n < S.SG_MAX_QUEUE : n === 0) res |= S.POLLOUT | S.POLLWRNORM;
    return res;
  }

  /** A poll() that would sleep: the queued requests complete first. */
  wait(): void {
    this.dev.runQueue();
  }

  // ---- lifetime ---------------------------------------------------------------------------

  /**
   * The last descriptor closed and the last mapping gone (sg_release() → sg_remove_sfp()):
   * outstanding requests finish in the background (results dropped), then the reserve is freed.
   */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.requests.some((q) => q.done === 0)) this.dev.runQueue();
    for (const r of [...this.requests]) {
      this.finishReq(r);
      this.removeRequest(r);
    }
    this.freeReserve();
    this.dev.closed(this.excl);
  }
}

export type { SgIoHdr };

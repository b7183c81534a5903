/**
 * SG_IO for TypeScript callers: a typed request instead of an 88-byte sg_io_hdr_t in process
 * memory. The header, CDB, data and sense buffers are host Uint8Arrays handed to the driver
 * through HostUserAccess, so the call takes exactly the path a process's ioctl takes — the same
 * checks in the same order, the same errno values, the same copies.
 */
import { Errno } from '../abi/errno.js';
import * as S from '../abi/sg.js';
import { decodeHdr, encodeHdr, type SgIoHdr } from '../devices/sg/sg-request.js';
import type { FdTable } from '../fs/fd-table.js';
import { HostUserAccess } from './user-access.js';

export type SgDirection = 'none' | 'to-dev' | 'from-dev' | 'to-from-dev' | 'unknown';

const DIRECTIONS: Record<SgDirection, number> = {
  'none': S.SG_DXFER_NONE, 'to-dev': S.SG_DXFER_TO_DEV, 'from-dev': S.SG_DXFER_FROM_DEV,
  'to-from-dev': S.SG_DXFER_TO_FROM_DEV, 'unknown': S.SG_DXFER_UNKNOWN,
};

export interface SgIoRequest {
  /** The CDB (6 to 252 bytes reach the driver's checks). */
  cdb: Uint8Array;
  /** dxfer_direction: a name or the raw int. */
  direction: SgDirection | number;
  /** The user data buffer (dxferp): data-out source, data-in destination. Omit for NULL (mmap-ed I/O). */
  data?: Uint8Array;
  /** dxfer_len (default: data's length, or 0). */
  dxferLen?: number;
  /** mx_sb_len: the sense buffer's size (default 32; 0 for none). */
  senseLen?: number;
  /** Milliseconds (0: the queue's default). */
  timeout?: number;
  /** SG_FLAG_* bits. */
  flags?: number;
  packId?: number;
  /** Raw interface_id (default 'S'): for testing the driver's checks. */
  interfaceId?: number;
}

export interface SgIoResult {
  status: number;
  maskedStatus: number;
  hostStatus: number;
  driverStatus: number;
  /** The sense bytes the driver wrote (sb_len_wr of them). */
  sense: Uint8Array;
  resid: number;
  duration: number;
  info: number;
  packId: number;
}

/**
 * ioctl(fd, SG_IO) with a typed request: the completed header's outputs, or a negative errno
 * (EBADF, ENOTTY for a file that is not an sg device, and the driver's own).
 */
export function sgIo(fds: FdTable, fd: number, req: SgIoRequest): SgIoResult | number {
  if (!(req.cdb instanceof Uint8Array)) throw new TypeError('cdb must be a Uint8Array');
  if (req.data !== undefined && !(req.data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array');
  const f = fds.get(BigInt(fd) & 0xffffffffn);
  if (f === undefined || f.path) return -Errno.EBADF;
  if (f.dev === null || f.dev.ioctl === undefined) return -Errno.ENOTTY;
  const dir = typeof req.direction === 'number' ? req.direction : DIRECTIONS[req.direction];
  if (dir === undefined) throw new RangeError(`unknown direction ${String(req.direction)}`);
  const mem = new HostUserAccess();
  const senseLen = req.senseLen ?? 32;
  const sense = new Uint8Array(senseLen);
  const hdr: SgIoHdr = {
    interfaceId: req.interfaceId ?? 0x53, dxferDirection: dir, cmdLen: req.cdb.length & 0xff,
    mxSbLen: senseLen, iovecCount: 0, dxferLen: req.dxferLen ?? req.data?.length ?? 0,
    dxferp: req.data !== undefined ? mem.register(req.data) : 0n,
    cmdp: req.cdb.length !== 0 ? mem.register(req.cdb) : mem.register(new Uint8Array(1)),
    sbp: senseLen > 0 ? mem.register(sense) : 0n,
    timeout: req.timeout ?? 0, flags: req.flags ?? 0, packId: req.packId ?? 0, usrPtr: 0n,
    status: 0, maskedStatus: 0, msgStatus: 0, sbLenWr: 0, hostStatus: 0, driverStatus: 0,
    resid: 0, duration: 0, info: 0,
  };
  const raw = encodeHdr(hdr);
  const at = mem.register(raw);
  const r = f.dev.ioctl(mem, S.SG_IO, at);
  if (r < 0) return r;
  const out = decodeHdr(raw);
  return {
    status: out.status, maskedStatus: out.maskedStatus, hostStatus: out.hostStatus,
    driverStatus: out.driverStatus, sense: sense.slice(0, out.sbLenWr), resid: out.resid,
    duration: out.duration, info: out.info, packId: out.packId,
  };
}

/**
 * What sg3_utils' programs do in user space, for the demo tools: an sg_io_hdr_t, its CDB and a
 * sense buffer laid out in the simulated process's memory and passed to ioctl(SG_IO), int
 * ioctls, and CDB builders. Everything goes through the process's syscalls, as a real sgm_dd's
 * would. Linux: include/scsi/sg.h; sg3_utils lib/sg_cmds_basic.c.
 */
import * as S from '../src/abi/sg.js';
import { type SgIoHdr, decodeHdr, encodeHdr } from '../src/devices/sg/sg-request.js';
import type { Task } from '../src/kernel/system.js';

const PAGE = 4096;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;

export interface SgCall {
  cdb: Uint8Array;
  dir: number;
  len: number;
  /** Data buffer address in process memory (0: NULL, as for mmap-ed I/O). */
  dxferp: number;
  flags?: number;
  packId?: number;
  timeoutMs?: number;
}

export interface SgResult {
  /** The ioctl's return (0 or -errno). */
  r: number;
  hdr: SgIoHdr;
  sense: Uint8Array;
}

/** One process's sg calls: a scratch page holds the header, the CDB and the sense buffer. */
export class SgUser {
  private readonly scratch: number;

  constructor(readonly task: Task) {
    const a = task.fast.mmap(0, PAGE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
    if (a < 0) throw new Error(`mmap of a scratch page failed (${a})`);
    this.scratch = a;
  }

  /** An anonymous read-write buffer of `len` bytes (a user program's malloc). */
  alloc(len: number): number {
    const a = this.task.fast.mmap(0, Math.max(PAGE, Math.ceil(len / PAGE) * PAGE), PROT_RW, MAP_PRIVATE_ANON, -1, 0);
    if (a < 0) throw new Error(`mmap of ${len} bytes failed (${a})`);
    return a;
  }

  /** ioctl(fd, SG_IO, &hdr) with a 64-byte sense buffer (sgm_dd's). */
  sgIo(fd: number, c: SgCall): SgResult {
    const mem = this.task.mem;
    const at = this.scratch;
    const cmdp = at + 128;
    const sbp = at + 192;
    mem.write(cmdp, c.cdb);
    const hdr: SgIoHdr = {
      interfaceId: 0x53, dxferDirection: c.dir, cmdLen: c.cdb.length, mxSbLen: 64, iovecCount: 0,
      dxferLen: c.len, dxferp: BigInt(c.dxferp), cmdp: BigInt(cmdp), sbp: BigInt(sbp),
      timeout: c.timeoutMs ?? 60000, flags: c.flags ?? 0, packId: c.packId ?? 0, usrPtr: 0n,
      status: 0, maskedStatus: 0, msgStatus: 0, sbLenWr: 0, hostStatus: 0, driverStatus: 0, resid: 0, duration: 0, info: 0,
    };
    mem.write(at, encodeHdr(hdr));
    const r = this.task.sys.ioctl(BigInt(fd), BigInt(S.SG_IO), BigInt(at));
    const out = decodeHdr(mem.read(at, S.SG_IO_HDR_SIZE));
    return { r, hdr: out, sense: mem.read(sbp, out.sbLenWr) };
  }

  /** An int-returning ioctl (SG_GET_*): the value, or -errno. */
  getInt(fd: number, cmd: number): number {
    const r = this.task.sys.ioctl(BigInt(fd), BigInt(cmd), BigInt(this.scratch));
    if (r < 0) return r;
    return new DataView(this.task.mem.read(this.scratch, 4).buffer).getInt32(0, true);
  }

  /** An int-taking ioctl (SG_SET_*). */
  setInt(fd: number, cmd: number, v: number): number {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.task.mem.write(this.scratch, b);
    return this.task.sys.ioctl(BigInt(fd), BigInt(cmd), BigInt(this.scratch));
  }
}

/** READ/WRITE(10) or (16) for `blocks` blocks at `lba` (16 when the LBA needs more than 32 bits). */
export function rwCdb(write: boolean, lba: number, blocks: number, size: 10 | 16): Uint8Array {
  if (size === 10) {
    const c = new Uint8Array(10);
    c[0] = write ? 0x2a : 0x28;
    new DataView(c.buffer).setUint32(2, lba);
    new DataView(c.buffer).setUint16(7, blocks);
    return c;
  }
  const c = new Uint8Array(16);
  c[0] = write ? 0x8a : 0x88;
  new DataView(c.buffer).setBigUint64(2, BigInt(lba));
  new DataView(c.buffer).setUint32(10, blocks);
  return c;
}

/** The result category of an SG_IO (sg3_utils sg_err_category3()): 'clean', a sense key name, or 'other'. */
export function category(res: SgResult): string {
  const h = res.hdr;
  if (res.r < 0) return `errno ${-res.r}`;
  if ((h.status & 0x7e) === 0 && h.hostStatus === 0 && (h.driverStatus & 0xf) === 0) return 'clean';
  if (h.hostStatus !== 0) return `host status 0x${h.hostStatus.toString(16)}`;
  if (res.sense.length >= 14) {
    const key = res.sense[2] & 0xf;
    return `sense key 0x${key.toString(16)} asc/ascq 0x${res.sense[12].toString(16)}/0x${res.sense[13].toString(16)}`;
  }
  return `status 0x${h.status.toString(16)}`;
}

/**
 * READ CAPACITY(10), then (16) when the answer is 0xFFFFFFFF (sgm_dd's scsi_read_capacity()):
 * [blocks, block size] or an error message.
 */
export function readCapacity(u: SgUser, fd: number): [number, number] | string {
  const buf = u.alloc(32);
  const r10 = u.sgIo(fd, { cdb: Uint8Array.of(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_FROM_DEV, len: 8, dxferp: buf });
  if (category(r10) !== 'clean') return `READ CAPACITY(10): ${category(r10)}`;
  const d = new DataView(u.task.mem.read(buf, 8).buffer);
  let last = d.getUint32(0);
  const bs = d.getUint32(4);
  if (last === 0xffffffff) {
    const c = new Uint8Array(16);
    c[0] = 0x9e;
    c[1] = 0x10;
    c[13] = 32;
    const r16 = u.sgIo(fd, { cdb: c, dir: S.SG_DXFER_FROM_DEV, len: 32, dxferp: buf });
    if (category(r16) !== 'clean') return `READ CAPACITY(16): ${category(r16)}`;
    last = Number(new DataView(u.task.mem.read(buf, 12).buffer).getBigUint64(0));
  }
  return [last + 1, bs];
}

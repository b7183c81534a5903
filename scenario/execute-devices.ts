/**
 * The device ops of the scenario format, vmspace's extension (docs/scenario-devices.md): attach a
 * simulated SCSI disk behind /dev/sgN, raw ioctl, SG_IO and the async write()/read() of an
 * sg_io_hdr_t laid out in process memory, and poll. Every byte the driver sees is in the
 * process's memory at addresses the scenario chose, so the ops change nothing a plain program
 * would not. The kernel oracle does not run these ops.
 */
import { errnoName } from '../src/abi/errno.js';
import * as S from '../src/abi/sg.js';
import { type SgIoHdr, decodeHdr, encodeHdr } from '../src/devices/sg/sg-request.js';
import type { System, Task } from '../src/kernel/system.js';
import { PatternStore, RamStore } from '../src/scsi/store.js';
import type { OpResult } from './format.js';
import type { Op } from './parse.js';
import { hex, hexBytes } from './values.js';

/** Where the runner puts the CDB and the sense buffer relative to the header (`at`). */
export const SG_CDB_OFFSET = 96;
export const SG_SENSE_OFFSET = 128;

function sysret(r: number): OpResult {
  if (r < 0 && r >= -4095) return { errno: errnoName(-r) };
  return { ret: hex(r) };
}

/** The header's outputs as a result member (`sg`), hex like every scenario number. */
function outputs(h: SgIoHdr, sense: Uint8Array): Record<string, string> {
  return {
    status: hex(h.status), masked_status: hex(h.maskedStatus), host_status: hex(h.hostStatus),
    driver_status: hex(h.driverStatus), sb_len_wr: hex(h.sbLenWr), resid: hex(h.resid >>> 0), info: hex(h.info),
    pack_id: hex(h.packId >>> 0), sense: hexBytes(sense),
  };
}

/** A process-memory access that faults is a harness error here (the scenario gave a bad `at`). */
function put(task: Task, addr: bigint, bytes: Uint8Array): boolean {
  try {
    task.mem.write(Number(addr), bytes);
    return true;
  } catch {
    return false;
  }
}

function get(task: Task, addr: bigint, len: number): Uint8Array | null {
  try {
    return task.mem.read(Number(addr), len);
  } catch {
    return null;
  }
}

export function scsiDisk(system: System, a: Record<string, bigint>): OpResult {
  const blocks = Number(a.blocks);
  const bs = Number(a.block_size);
  if (![512, 1024, 2048, 4096].includes(bs) || !Number.isSafeInteger(blocks) || blocks < 1 || blocks > 2 ** 32) {
    return { error: 'harness: scsi_disk needs block_size 512/1024/2048/4096 and 1 to 2^32 blocks' };
  }
  const size = blocks * bs;
  const store = a.pattern !== 0n && (bs === 512 || bs === 4096) ? new PatternStore(size, bs) : new RamStore(size);
  const dev = system.addScsiDisk({ disk: { blocks, blockSize: bs, store }, host: { allowDio: a.allow_dio !== 0n } });
  return { ret: hex(dev.minor) };
}

/** Lay the header, CDB and sense buffer out at `at`: false when `at` is not writable. */
function layOut(op: Op, a: Record<string, bigint>, task: Task): boolean {
  const cdb = op.data!;
  const at = a.at;
  const h: SgIoHdr = {
    interfaceId: Number(BigInt.asIntN(32, a.interface_id)), dxferDirection: Number(BigInt.asIntN(32, a.dir)),
    cmdLen: op.given.has('cmd_len') ? Number(a.cmd_len & 0xffn) : cdb.length & 0xff, mxSbLen: Number(a.mx_sb_len & 0xffn),
    iovecCount: Number(a.iovec_count & 0xffffn), dxferLen: Number(a.len & 0xffffffffn), dxferp: a.buf,
    cmdp: at + BigInt(SG_CDB_OFFSET), sbp: at + BigInt(SG_SENSE_OFFSET), timeout: Number(a.timeout & 0xffffffffn),
    flags: Number(a.flags & 0xffffffffn), packId: Number(BigInt.asIntN(32, a.pack_id)), usrPtr: 0n,
    status: 0, maskedStatus: 0, msgStatus: 0, sbLenWr: 0, hostStatus: 0, driverStatus: 0, resid: 0, duration: 0, info: 0,
  };
  if (cdb.length > SG_SENSE_OFFSET - SG_CDB_OFFSET) return false;
  return put(task, at, encodeHdr(h)) && put(task, at + BigInt(SG_CDB_OFFSET), cdb) &&
    put(task, at + BigInt(SG_SENSE_OFFSET), new Uint8Array(128));
}

/** The header read back from `at` and its sense bytes, as the result's `sg` member. */
function readBack(r: OpResult, a: Record<string, bigint>, task: Task): OpResult {
  const raw = get(task, a.at, S.SG_IO_HDR_SIZE);
  if (raw === null) return { error: 'harness: the header at "at" cannot be read back' };
  const h = decodeHdr(raw);
  const sense = get(task, a.at + BigInt(SG_SENSE_OFFSET), h.sbLenWr) ?? new Uint8Array(0);
  return { ...r, sg: outputs(h, sense) };
}

/** ioctl(fd, SG_IO, at) with the header laid out at `at`. */
export function sgIo(op: Op, a: Record<string, bigint>, task: Task, fd: bigint): OpResult {
  if (!layOut(op, a, task)) return { error: 'harness: "at" must be 256 writable bytes, the cdb at most 32 bytes' };
  const r = sysret(task.sys.ioctl(fd, BigInt(S.SG_IO), a.at));
  return r.ret !== undefined ? readBack(r, a, task) : r;
}

/** write(fd, at, 88): an async submission. */
export function sgSubmit(op: Op, a: Record<string, bigint>, task: Task, fd: bigint): OpResult {
  if (!layOut(op, a, task)) return { error: 'harness: "at" must be 256 writable bytes, the cdb at most 32 bytes' };
  return sysret(task.sys.write(fd, a.at, BigInt(S.SG_IO_HDR_SIZE)));
}

/**
 * read(fd, at, count): collect a completed request into the header at `at`. With `pack_id`, the
 * buffer first says which request is wanted (interface 'S', a v3 direction, the pack_id), as a
 * program using SG_SET_FORCE_PACK_ID does.
 */
export function sgReceive(op: Op, a: Record<string, bigint>, task: Task, fd: bigint): OpResult {
  if (op.given.has('pack_id')) {
    const h = new Uint8Array(S.SG_IO_HDR_SIZE);
    const d = new DataView(h.buffer);
    d.setInt32(S.HDR.interfaceId, 0x53, true);
    d.setInt32(S.HDR.dxferDirection, S.SG_DXFER_FROM_DEV, true);
    d.setInt32(S.HDR.packId, Number(BigInt.asIntN(32, a.pack_id)), true);
    if (!put(task, a.at, h)) return { error: 'harness: "at" is not writable' };
  }
  const r = sysret(task.sys.read(fd, a.at, a.count));
  return r.ret !== undefined && a.count >= BigInt(S.SG_IO_HDR_SIZE) ? readBack(r, a, task) : r;
}

/** poll() of one fd with a struct pollfd at `at`; the result carries revents. */
export function poll(a: Record<string, bigint>, task: Task, fd: bigint): OpResult {
  const p = new Uint8Array(8);
  const d = new DataView(p.buffer);
  d.setInt32(0, Number(BigInt.asIntN(32, fd)), true);
  d.setInt16(4, Number(a.events & 0xffffn), true);
  if (!put(task, a.at, p)) return { error: 'harness: "at" is not writable' };
  const r = sysret(task.sys.poll(a.at, 1n, a.timeout));
  if (r.ret === undefined) return r;
  const back = get(task, a.at, 8);
  return { ...r, revents: hex(back === null ? 0 : new DataView(back.buffer).getUint16(6, true)) };
}

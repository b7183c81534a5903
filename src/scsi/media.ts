/**
 * The medium-access commands: READ(6/10/12/16), WRITE(6/10/12/16), SYNCHRONIZE CACHE(10/16).
 * spec/sg.md §5.4.6, §5.4.7, §5.4.9. Linux: drivers/scsi/scsi_debug.c resp_read_dt0(),
 * resp_write_dt0(), check_device_access_params(), do_device_access(), resp_sync_cache().
 *
 * READ copies blocks straight from the store into the data buffer's segments (one store read per
 * segment piece, no whole-transfer staging copy); WRITE the other way round.
 */
import {
  ASCQ_SOFTWARE_WRITE_PROTECTED,
  ASC_LBA_OUT_OF_RANGE,
  ASC_UNRECOVERED_READ_ERROR,
  ASC_WRITE_ERROR,
  ASC_WRITE_PROTECTED,
  DATA_PROTECT,
  DID_ERROR,
  ILLEGAL_REQUEST,
  MEDIUM_ERROR,
  READ_10,
  READ_12,
  READ_6,
  SYNCHRONIZE_CACHE_10,
  WRITE_10,
  WRITE_12,
  WRITE_6,
} from '../abi/scsi.js';
import { be16, be32, be64 } from './cdb.js';
import { type ScsiResponse, checkCondition, good, hostByte } from './request.js';
import { senseFixed, senseWithInformation } from './sense.js';
import { sglSegments } from './sglist.js';
import type { Command, DiskModel } from './unit.js';

/** LBA of a READ/WRITE CDB. READ(6)/WRITE(6): 21 bits of bytes 1-3. */
function rwLba(cdb: Uint8Array): number {
  switch (cdb[0]) {
    case READ_6:
    case WRITE_6:
      return ((cdb[1] & 0x1f) << 16) | (cdb[2] << 8) | cdb[3];
    case READ_10:
    case WRITE_10:
    case READ_12:
    case WRITE_12:
      return be32(cdb, 2);
    default: // READ(16), WRITE(16)
      return be64(cdb, 2);
  }
}

/** Transfer length in blocks. READ(6)/WRITE(6): byte 4, where 0 means 256. */
function rwBlocks(cdb: Uint8Array): number {
  switch (cdb[0]) {
    case READ_6:
    case WRITE_6:
      return cdb[4] === 0 ? 256 : cdb[4];
    case READ_10:
    case WRITE_10:
      return be16(cdb, 7);
    case READ_12:
    case WRITE_12:
      return be32(cdb, 6);
    default: // READ(16), WRITE(16)
      return be32(cdb, 10);
  }
}

/**
 * LBA + blocks > capacity ⇒ 21/00 (LBA == capacity with 0 blocks passes); a write to a
 * write-protected unit ⇒ DATA PROTECT 27/02. (scsi_debug's "transfer length > store" check
 * cannot fire: the store always covers the capacity here.)
 * Linux: drivers/scsi/scsi_debug.c check_device_access_params().
 */
function checkAccess(disk: DiskModel, lba: number, blocks: number, write: boolean): ScsiResponse | null {
  if (lba + blocks > disk.blocks) return checkCondition(senseFixed(ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0));
  if (write && disk.writeProtected) {
    return checkCondition(senseFixed(DATA_PROTECT, ASC_WRITE_PROTECTED, ASCQ_SOFTWARE_WRITE_PROTECTED));
  }
  return null;
}

/**
 * The first injected bad LBA a READ of [lba, lba + blocks) meets, or -1. A range overlaps when
 * lba ≤ its last LBA and lba + blocks > its first, scsi_debug's own test (so a 0-block READ
 * starting strictly inside a bad range fails too). An empty range (count 0) names no LBA and
 * never fires. Linux: drivers/scsi/scsi_debug.c resp_read_dt0().
 */
function firstBadLba(disk: DiskModel, lba: number, blocks: number): number {
  let first = -1;
  for (const r of disk.mediumErrors) {
    if (r.count > 0 && lba <= r.lba + r.count - 1 && lba + blocks > r.lba) {
      const bad = lba < r.lba ? r.lba : lba;
      if (first < 0 || bad < first) first = bad;
    }
  }
  return first;
}

/**
 * READ(6/10/12/16). Checks in scsi_debug's order: range, injected medium error (MEDIUM ERROR
 * 11/00, VALID + INFORMATION = first bad LBA, resid = dxfer_len), then the data phase: none ⇒
 * GOOD with nothing moved; not data-in ⇒ DID_ERROR; else min(blocks × block size, dxfer_len)
 * bytes and resid = dxfer_len − that. A store failure is an unrecovered read error too.
 */
export function read(c: Command): ScsiResponse {
  const { cdb, disk, xfer } = c;
  const lba = rwLba(cdb);
  const blocks = rwBlocks(cdb);
  const refused = checkAccess(disk, lba, blocks, false);
  if (refused !== null) return refused;
  const bad = firstBadLba(disk, lba, blocks);
  if (bad >= 0) {
    return checkCondition(senseWithInformation(MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0, bad), xfer.length);
  }
  if (xfer.length === 0) return good(0);
  if (xfer.direction !== 'in') return hostByte(DID_ERROR);
  const bs = disk.blockSize;
  const bytes = Math.min(blocks * bs, xfer.length);
  const base = lba * bs;
  const store = disk.store;
  try {
    sglSegments(xfer.data, 0, bytes, (view, at) => store.read(base + at, view));
  } catch {
    return checkCondition(senseFixed(MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0), xfer.length);
  }
  return good(xfer.length - bytes);
}

/**
 * WRITE(6/10/12/16): range and write-protect checks, then stores min(blocks × block size,
 * dxfer_len) bytes from the data-out buffer at the LBA (a short buffer updates only its first
 * bytes); resid 0. A buffer set up for anything but data-out ⇒ DID_ERROR, nothing stored. A store
 * failure ⇒ MEDIUM ERROR 0C/00 (write error).
 */
export function write(c: Command): ScsiResponse {
  const { cdb, disk, xfer } = c;
  const lba = rwLba(cdb);
  const blocks = rwBlocks(cdb);
  const refused = checkAccess(disk, lba, blocks, true);
  if (refused !== null) return refused;
  if (xfer.length === 0) return good(0);
  if (xfer.direction !== 'out') return hostByte(DID_ERROR);
  const bs = disk.blockSize;
  const bytes = Math.min(blocks * bs, xfer.length);
  const base = lba * bs;
  const store = disk.store;
  try {
    sglSegments(xfer.data, 0, bytes, (view, at) => store.write(base + at, view));
  } catch {
    return checkCondition(senseFixed(MEDIUM_ERROR, ASC_WRITE_ERROR, 0));
  }
  return good(0);
}

/**
 * SYNCHRONIZE CACHE(10) (LBA bytes 2-5, blocks 7-8) and (16) (LBA 2-9, blocks 10-13); 0 blocks
 * means "to the end". LBA + blocks > capacity ⇒ 21/00, else the store is flushed (a RAM store has
 * nothing to do; a host file is fsync'ed). IMMED only affects timing. A flush failure ⇒ MEDIUM
 * ERROR 0C/00. Linux: drivers/scsi/scsi_debug.c resp_sync_cache().
 */
export function synchronizeCache(c: Command): ScsiResponse {
  const { cdb, disk } = c;
  const ten = cdb[0] === SYNCHRONIZE_CACHE_10;
  const lba = ten ? be32(cdb, 2) : be64(cdb, 2);
  const blocks = ten ? be16(cdb, 7) : be32(cdb, 10);
  if (lba + blocks > disk.blocks) return checkCondition(senseFixed(ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0));
  try {
    disk.store.flush?.();
  } catch {
    return checkCondition(senseFixed(MEDIUM_ERROR, ASC_WRITE_ERROR, 0));
  }
  return good();
}

/**
 * The non-media commands of the simulated disk: TEST UNIT READY, REQUEST SENSE, READ CAPACITY(10)
 * and (16), REPORT LUNS, START STOP UNIT and READ BUFFER. spec/sg.md §5.4. INQUIRY and MODE SENSE
 * have files of their own; READ/WRITE/SYNCHRONIZE CACHE are in media.ts.
 * Linux: drivers/scsi/scsi_debug.c resp_requests(), resp_readcap(), resp_readcap16(),
 * resp_report_luns(), resp_start_stop().
 */
import {
  ASCQ_BECOMING_READY,
  ASCQ_INITIALIZING_COMMAND_REQUIRED,
  ASC_LUN_NOT_READY,
  NOT_READY,
  RB_MODE_DATA,
  RB_MODE_DESCRIPTOR,
  RB_MODE_ECHO_DATA,
  RB_MODE_ECHO_DESCRIPTOR,
  SCSI_W_LUN_REPORT_LUNS,
  SENSE_DESC_LEN,
  SENSE_FIXED_LEN,
} from '../abi/scsi.js';
import { be24, be32, putBe } from './cdb.js';
import { type ScsiResponse, checkCondition, dataIn, good } from './request.js';
import { senseDescriptor, senseFixed, senseInvalidField } from './sense.js';
import { type Command, UNIT_BECOMING_READY, UNIT_READY, UNIT_STOPPED } from './unit.js';

/** TEST UNIT READY (0x00): the not-ready and unit-attention checks before it say it all. */
export function testUnitReady(_c: Command): ScsiResponse {
  return good();
}

/**
 * REQUEST SENSE (0x03). Byte 1 bit 0 DESC; byte 4 allocation length. Reports the unit's current
 * condition, not the last error (autosense delivered that): stopped ⇒ NOT READY 04/02, becoming
 * ready ⇒ 04/01, else NO SENSE; 18 bytes fixed or 8 descriptor, with GOOD status. Pending unit
 * attentions are neither reported nor cleared (spec Q6, as scsi_debug), and the becoming-ready
 * state is read as it stands, not re-timed. Linux: drivers/scsi/scsi_debug.c resp_requests().
 */
export function requestSense(c: Command): ScsiResponse {
  const desc = (c.cdb[1] & 0x01) !== 0;
  const alloc = c.cdb[4];
  const state = c.lu.stopped;
  let key = 0;
  let asc = 0;
  let ascq = 0;
  if (state !== UNIT_READY) {
    key = NOT_READY;
    asc = ASC_LUN_NOT_READY;
    ascq = state === UNIT_BECOMING_READY ? ASCQ_BECOMING_READY : ASCQ_INITIALIZING_COMMAND_REQUIRED;
  }
  const sense = desc ? senseDescriptor(key, asc, ascq) : senseFixed(key, asc, ascq);
  const len = desc ? SENSE_DESC_LEN : SENSE_FIXED_LEN;
  return dataIn(c.xfer, sense.subarray(0, Math.min(len, alloc)));
}

/**
 * READ CAPACITY(10) (0x25): last LBA (0xFFFFFFFF once the capacity reaches 0xFFFFFFFF blocks:
 * use READ CAPACITY(16)) and the block length, 8 bytes. The LBA and PMI fields are ignored and
 * there is no allocation length. Linux: drivers/scsi/scsi_debug.c resp_readcap().
 */
export function readCapacity10(c: Command): ScsiResponse {
  const { disk } = c;
  const arr = new Uint8Array(8);
  putBe(arr, 0, 4, disk.blocks < 0xffffffff ? disk.blocks - 1 : 0xffffffff);
  putBe(arr, 4, 4, disk.blockSize);
  return dataIn(c.xfer, arr);
}

/**
 * READ CAPACITY(16), SERVICE ACTION IN(16) 0x9E / 0x10: 32 bytes, last LBA (8 bytes), block
 * length (4), no protection, one logical block per physical block, LBPME/LBPRZ 0, lowest aligned
 * LBA 0. Bytes 10-13 allocation length. Linux: drivers/scsi/scsi_debug.c resp_readcap16().
 */
export function readCapacity16(c: Command): ScsiResponse {
  const { disk } = c;
  const alloc = be32(c.cdb, 10);
  const arr = new Uint8Array(32);
  putBe(arr, 0, 8, disk.blocks - 1);
  putBe(arr, 8, 4, disk.blockSize);
  return dataIn(c.xfer, arr.subarray(0, Math.min(alloc, 32)));
}

/**
 * REPORT LUNS (0xA0). Byte 2 SELECT REPORT: 0 the LUs, 1 the well-known LU only, 2 both, else
 * 24/00 at byte 2; bytes 6-9 allocation length, below 4 ⇒ 24/00 at byte 6. Response: LUN list
 * length (8 × entries), 4 reserved bytes, 8-byte entries (LUN n as 00 nn 00 .., the REPORT LUNS
 * W-LUN as C1 01 00 ..). As scsi_debug, the response is cut only by the data buffer, not by the
 * allocation length. Linux: drivers/scsi/scsi_debug.c resp_report_luns().
 */
export function reportLuns(c: Command): ScsiResponse {
  const select = c.cdb[2];
  const alloc = be32(c.cdb, 6);
  if (alloc < 4) return checkCondition(senseInvalidField(true, 6));
  let luns: number;
  let wluns: number;
  switch (select) {
    case 0:
      luns = c.disk.luns;
      wluns = 0;
      break;
    case 1:
      luns = 0;
      wluns = 1;
      break;
    case 2:
      luns = c.disk.luns;
      wluns = 1;
      break;
    default:
      return checkCondition(senseInvalidField(true, 2));
  }
  const entries = luns + wluns;
  const arr = new Uint8Array(8 + 8 * entries);
  putBe(arr, 0, 4, 8 * entries);
  for (let n = 0; n < luns; n++) arr[8 + 8 * n + 1] = n;
  if (wluns) putBe(arr, 8 + 8 * luns, 2, SCSI_W_LUN_REPORT_LUNS);
  return dataIn(c.xfer, arr);
}

/**
 * Whether a becoming-ready LU has finished; moves it to ready when its time is up.
 * Linux: drivers/scsi/scsi_debug.c resp_not_ready() / resp_start_stop() (tur_ms_to_ready expiry).
 */
export function becomingReadyExpired(c: Command): boolean {
  if (c.disk.now() - c.lu.createdAt >= c.disk.turMsToReady) {
    c.lu.stopped = UNIT_READY;
    return true;
  }
  return false;
}

/**
 * START STOP UNIT (0x1B). Byte 4 bit 0 START; POWER CONDITION (byte 4 bits 7-4) ≠ 0 ⇒ 24/00 at
 * byte 4 bit 7; IMMED (byte 1 bit 0) only affects timing. While becoming ready, a START is
 * refused (24/00 at byte 4 bit 0) and a STOP succeeds without changing anything, as scsi_debug's
 * "dummy up success". Linux: drivers/scsi/scsi_debug.c resp_start_stop().
 */
export function startStopUnit(c: Command): ScsiResponse {
  const b4 = c.cdb[4];
  if (b4 >> 4) return checkCondition(senseInvalidField(true, 4, 7));
  const wantStop = (b4 & 0x01) === 0;
  let state: number = c.lu.stopped;
  if (state === UNIT_BECOMING_READY && becomingReadyExpired(c)) state = UNIT_READY;
  if (state === UNIT_BECOMING_READY) {
    if (!wantStop) return checkCondition(senseInvalidField(true, 4, 0));
    return good();
  }
  c.lu.stopped = wantStop ? UNIT_STOPPED : UNIT_READY;
  return good();
}

/** Echo buffer capacity (READ BUFFER modes 0x0A/0x0B); SPC allows at most 4096 here. */
export const ECHO_BUFFER_SIZE = 4096;
const echoBuffer = new Uint8Array(ECHO_BUFFER_SIZE);

/**
 * READ BUFFER (0x3C), a vmspace extension (scsi_debug has none) so that sg_rbuf-like tools work.
 * Byte 1 bits 4-0 MODE; byte 2 BUFFER ID; bytes 3-5 offset; bytes 6-8 allocation length.
 *   0x02 data: the data buffer from the offset (byte i holds i mod 251);
 *   0x03 descriptor: offset boundary 0 (byte), then the capacity in 3 bytes;
 *   0x0A echo data: the echo buffer from the offset (zeros: there is no WRITE BUFFER);
 *   0x0B echo descriptor: EBOS 0, capacity in the low 13 bits of bytes 2-3.
 * Buffer id ≠ 0 ⇒ 24/00 at byte 2; in the data modes offset + allocation length past the buffer
 * ⇒ 24/00 at byte 3 (offset beyond it) or 6; another mode ⇒ 24/00 at byte 1 bit 4.
 */
export function readBuffer(c: Command): ScsiResponse {
  const { cdb, disk } = c;
  const mode = cdb[1] & 0x1f;
  const offset = be24(cdb, 3);
  const alloc = be24(cdb, 6);
  const isData = mode === RB_MODE_DATA || mode === RB_MODE_ECHO_DATA;
  if (!isData && mode !== RB_MODE_DESCRIPTOR && mode !== RB_MODE_ECHO_DESCRIPTOR) {
    return checkCondition(senseInvalidField(true, 1, 4));
  }
  if (cdb[2] !== 0) return checkCondition(senseInvalidField(true, 2));
  const capacity = mode === RB_MODE_DATA || mode === RB_MODE_DESCRIPTOR ? disk.readBufferSize : ECHO_BUFFER_SIZE;
  if (isData) {
    if (offset + alloc > capacity) return checkCondition(senseInvalidField(true, offset > capacity ? 3 : 6));
    const buf = mode === RB_MODE_DATA ? disk.readBufferData() : echoBuffer;
    return dataIn(c.xfer, buf.subarray(offset, offset + alloc));
  }
  const arr = new Uint8Array(4);
  if (mode === RB_MODE_DESCRIPTOR) putBe(arr, 1, 3, capacity);
  else putBe(arr, 2, 2, capacity & 0x1fff);
  return dataIn(c.xfer, arr.subarray(0, Math.min(alloc, 4)));
}

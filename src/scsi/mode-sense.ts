/**
 * MODE SENSE(6) with the Caching (0x08) and Control (0x0A) pages, 0x3F for both, page control
 * 0..2 and the block descriptor. spec/sg.md §5.4.8. Linux: drivers/scsi/scsi_debug.c
 * resp_mode_sense(), resp_caching_pg(), resp_ctrl_m_pg().
 */
import { ASC_SAVING_PARAMS_UNSUPPORTED, ILLEGAL_REQUEST } from '../abi/scsi.js';
import { putBe } from './cdb.js';
import { type ScsiResponse, checkCondition, dataIn } from './request.js';
import { senseFixed, senseInvalidField } from './sense.js';
import type { Command } from './unit.js';

/** Page control (CDB byte 2 bits 7-6): 0 current, 1 changeable, 2 default, 3 saved. */
const PC_CHANGEABLE = 1;
const PC_DEFAULT = 2;
const PC_SAVED = 3;

/** Caching page, current and default values alike: WCE set, as scsi_debug's caching_pg[]. */
const CACHING = [0x08, 0x12, 0x14, 0x00, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x80, 0x14, 0, 0, 0, 0, 0, 0];
/** Its changeable mask: only WCE (byte 2 bit 2). */
const CACHING_CHANGEABLE = [0x08, 0x12, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Control page, current values: GLTSD, ATO (scsi_debug's ato=1 default sets byte 5 bit 7). */
const CONTROL = [0x0a, 0x0a, 0x02, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4b];
/** Its changeable mask: D_SENSE and GLTSD (byte 2 = 0x06). */
const CONTROL_CHANGEABLE = [0x0a, 0x0a, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/** Its defaults: scsi_debug's d_ctrl_m_pg[], which does not carry the ATO bit. */
const CONTROL_DEFAULT = [0x0a, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4b];

function cachingPage(pc: number): number[] {
  return pc === PC_CHANGEABLE ? CACHING_CHANGEABLE : CACHING;
}

function controlPage(pc: number): number[] {
  if (pc === PC_CHANGEABLE) return CONTROL_CHANGEABLE;
  return pc === PC_DEFAULT ? CONTROL_DEFAULT : CONTROL;
}

/** A subpage other than 0 or 0xFF ("all") is refused for every page here. */
function badSubpage(sub: number): boolean {
  return sub !== 0x00 && sub !== 0xff;
}

/**
 * MODE SENSE(6) (0x1A). CDB byte 1 bit 3 DBD; byte 2 PC and page code; byte 3 subpage; byte 4
 * allocation length. Order of checks as scsi_debug: PC = 3 ⇒ 39/00; then per page: unknown page
 * ⇒ 24/00 at byte 2 bit 5, bad subpage ⇒ 24/00 at byte 3.
 * Response: 4-byte header (mode data length, medium type 0, device-specific 0x10 DPOFUA | 0x80
 * WP, block descriptor length), the 8-byte block descriptor unless DBD, then the pages.
 */
export function modeSense6(c: Command): ScsiResponse {
  const { cdb, disk } = c;
  const dbd = (cdb[1] & 0x08) !== 0;
  const pc = cdb[2] >> 6;
  const page = cdb[2] & 0x3f;
  const sub = cdb[3];
  const alloc = cdb[4];
  if (pc === PC_SAVED) return checkCondition(senseFixed(ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUPPORTED, 0));

  let pages: number[][];
  switch (page) {
    case 0x08:
      if (badSubpage(sub)) return checkCondition(senseInvalidField(true, 3));
      pages = [cachingPage(pc)];
      break;
    case 0x0a:
      if (badSubpage(sub)) return checkCondition(senseInvalidField(true, 3));
      pages = [controlPage(pc)];
      break;
    case 0x3f:
      if (badSubpage(sub)) return checkCondition(senseInvalidField(true, 3));
      pages = [cachingPage(pc), controlPage(pc)];
      break;
    default:
      return checkCondition(senseInvalidField(true, 2, 5));
  }

  const bdLen = dbd ? 0 : 8;
  let len = 4 + bdLen;
  for (const p of pages) len += p.length;
  const arr = new Uint8Array(len);
  arr[0] = len - 1;
  arr[1] = 0x00;
  arr[2] = 0x10 | (disk.writeProtected ? 0x80 : 0);
  arr[3] = bdLen;
  let at = 4;
  if (bdLen === 8) {
    putBe(arr, at, 4, disk.blocks > 0xfffffffe ? 0xffffffff : disk.blocks);
    putBe(arr, at + 5, 3, disk.blockSize);
    at += 8;
  }
  for (const p of pages) {
    arr.set(p, at);
    at += p.length;
  }
  return dataIn(c.xfer, arr.subarray(0, Math.min(alloc, len)));
}

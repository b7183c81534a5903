/**
 * INQUIRY: standard data and the vital product data pages 0x00, 0x80 and 0x83. spec/sg.md §5.4.2.
 * Linux: drivers/scsi/scsi_debug.c resp_inquiry(), inquiry_vpd_83().
 */
import { TYPE_DISK, TYPE_WLUN } from '../abi/scsi.js';
import { be16 } from './cdb.js';
import { type ScsiResponse, checkCondition, dataIn } from './request.js';
import { senseInvalidField } from './sense.js';
import type { Command, DiskModel, LogicalUnit } from './unit.js';

/** Standard INQUIRY data length (SDEBUG_LONG_INQ_SZ). */
export const INQUIRY_LEN = 96;

/** Bytes 36-43, vendor specific: scsi_debug puts its driver date there as ASCII. */
const VENDOR_SPECIFIC = '20210520';

/** Version descriptors at bytes 58-65: SAM-6, SPC-5, SBC-4, SPL-4 (no version claimed). */
const VERSION_DESCRIPTORS = [0x00c0, 0x05c0, 0x0600, 0x2100];

/** VPD pages this unit has, ascending (page 0x00 lists them). */
const VPD_PAGES = [0x00, 0x80, 0x83];

function putAscii(arr: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) arr[at + i] = s.charCodeAt(i) & 0x7f;
}

/**
 * The LU's identifier as scsi_debug numbers it: (host_no + 1) × 2000 + target × 1000 + lun with
 * host 0 and target 0, so LUN 0 is "2000"; the well-known LU has none (-1).
 */
export function unitSerial(lu: LogicalUnit): string {
  return lu.wlun ? '-1' : String(2000 + lu.lun);
}

function standardInquiry(disk: DiskModel, lu: LogicalUnit): Uint8Array {
  const arr = new Uint8Array(INQUIRY_LEN);
  arr[0] = lu.wlun ? TYPE_WLUN : TYPE_DISK; // peripheral qualifier 0
  arr[1] = 0x00; // not removable
  arr[2] = 0x07; // VERSION: SPC-5
  arr[3] = 0x02; // response data format 2
  arr[4] = INQUIRY_LEN - 5;
  arr[5] = 0x00; // PROTECT 0, TPGS 0
  arr[6] = 0x10; // MULTIP
  arr[7] = 0x0a; // LINKED, CMDQUE
  putAscii(arr, 8, disk.vendor);
  putAscii(arr, 16, disk.product);
  putAscii(arr, 32, disk.revision);
  putAscii(arr, 36, VENDOR_SPECIFIC);
  for (let i = 0; i < VERSION_DESCRIPTORS.length; i++) {
    arr[58 + 2 * i] = VERSION_DESCRIPTORS[i] >> 8;
    arr[59 + 2 * i] = VERSION_DESCRIPTORS[i] & 0xff;
  }
  return arr;
}

/**
 * A VPD page: byte 0 peripheral type, byte 1 page code, bytes 2-3 page length; null for a page
 * the unit does not have.
 */
function vpdPage(disk: DiskModel, lu: LogicalUnit, page: number): Uint8Array | null {
  const serial = unitSerial(lu);
  let body: number[];
  switch (page) {
    case 0x00:
      body = VPD_PAGES;
      break;
    case 0x80:
      body = Array.from(serial, (c) => c.charCodeAt(0));
      break;
    case 0x83: {
      // One designator, T10 vendor ID based (code set ASCII, association LU, type 1):
      // vendor (8) + product (16) + the LU identifier, as inquiry_vpd_83() builds its first one.
      const id = disk.vendor + disk.product + serial;
      body = [0x02, 0x01, 0x00, id.length, ...Array.from(id, (c) => c.charCodeAt(0) & 0x7f)];
      break;
    }
    default:
      return null;
  }
  const arr = new Uint8Array(4 + body.length);
  arr[0] = lu.wlun ? TYPE_WLUN : TYPE_DISK;
  arr[1] = page;
  arr[2] = body.length >> 8;
  arr[3] = body.length & 0xff;
  arr.set(body, 4);
  return arr;
}

/**
 * INQUIRY (0x12). CDB byte 1 bit 1 CMDDT (obsolete: 24/00 at byte 1 bit 1), bit 0 EVPD; byte 2
 * page code; bytes 3-4 allocation length. EVPD = 0 with a page code is refused as SPC requires
 * (spec Q4; scsi_debug ignores the page code there). Linux: drivers/scsi/scsi_debug.c resp_inquiry().
 */
export function inquiry(c: Command): ScsiResponse {
  const { cdb } = c;
  const alloc = be16(cdb, 3);
  if (cdb[1] & 0x02) return checkCondition(senseInvalidField(true, 1, 1));
  if (cdb[1] & 0x01) {
    const page = vpdPage(c.disk, c.lu, cdb[2]);
    if (page === null) return checkCondition(senseInvalidField(true, 2));
    return dataIn(c.xfer, page.subarray(0, Math.min(page.length, alloc)));
  }
  if (cdb[2] !== 0) return checkCondition(senseInvalidField(true, 2));
  return dataIn(c.xfer, standardInquiry(c.disk, c.lu).subarray(0, Math.min(alloc, INQUIRY_LEN)));
}

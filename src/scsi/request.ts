/**
 * One command as the target receives it and the outcome it hands back: the CDB, the data buffer
 * the initiator set up, and the SAM status / host byte / sense / residual the midlayer reports.
 * Plus the data-in helper every responding command ends with. spec/sg.md §5.2.
 *
 * Linux: include/scsi/scsi_cmnd.h (cmnd, sdb, sense_buffer, resid_len, result);
 * drivers/scsi/scsi_debug.c fill_from_dev_buffer().
 */
import { DID_ERROR, DID_OK, SAM_STAT_CHECK_CONDITION, SAM_STAT_GOOD } from '../abi/scsi.js';
import { type SgList, sglWrite } from './sglist.js';

/** The data phase the initiator set up: none, data-in (device to host) or data-out. */
export type DataDirection = 'none' | 'in' | 'out';

export interface ScsiRequest {
  /** Exactly cmd_len bytes (the sg driver guarantees 6..32). */
  cdb: Uint8Array;
  direction: DataDirection;
  /** The data buffer; dxfer_len = sglLength(data); [] when there is no data phase. */
  data: SgList;
  /** Default 0. */
  lun?: number;
}

export interface ScsiResponse {
  /** SAM status byte. */
  status: number;
  /** DID_* host byte. */
  host: number;
  /** Sense data with CHECK CONDITION (fixed format, 18 bytes), else null. */
  sense: Uint8Array | null;
  /** dxfer_len minus the bytes moved (data-in underrun); 0 ≤ resid ≤ dxfer_len. */
  resid: number;
}

/** The data buffer of one command with its length computed once. */
export interface Transfer {
  readonly direction: DataDirection;
  readonly data: SgList;
  /** dxfer_len. */
  readonly length: number;
}

export function good(resid = 0): ScsiResponse {
  return { status: SAM_STAT_GOOD, host: DID_OK, sense: null, resid };
}

/** CHECK CONDITION with sense; resid 0 except where scsi_debug sets it (medium error). */
export function checkCondition(sense: Uint8Array, resid = 0): ScsiResponse {
  return { status: SAM_STAT_CHECK_CONDITION, host: DID_OK, sense, resid };
}

/** A host-byte failure: status 0, no sense. */
export function hostByte(host: number, resid = 0): ScsiResponse {
  return { status: SAM_STAT_GOOD, host, sense: null, resid };
}

/**
 * Finishes a data-in command whose response is `bytes` (already cut to the allocation length):
 * no buffer ⇒ GOOD with nothing moved; a buffer set up for anything but data-in ⇒ DID_ERROR,
 * nothing moved; else copy min(bytes, dxfer_len) and report resid = dxfer_len − copied (a short
 * buffer truncates silently). Linux: drivers/scsi/scsi_debug.c fill_from_dev_buffer().
 */
export function dataIn(xfer: Transfer, bytes: Uint8Array): ScsiResponse {
  if (xfer.length === 0) return good(0);
  if (xfer.direction !== 'in') return hostByte(DID_ERROR);
  const copied = sglWrite(xfer.data, 0, bytes);
  return good(xfer.length - copied);
}

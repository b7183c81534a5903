/**
 * The state the target keeps per logical unit (start/stop state, pending unit attentions) and
 * the read-only view of the disk its commands work on. Linux: drivers/scsi/scsi_debug.c struct
 * sdebug_dev_info (stopped, uas_bm, create_ts), make_ua().
 */
import {
  ASCQ_BUS_RESET,
  ASCQ_CAPACITY_CHANGED,
  ASCQ_MODE_PARAMETERS_CHANGED,
  ASCQ_POWER_ON_OCCURRED,
  ASCQ_POWER_ON_RESET,
  ASC_PARAMETERS_CHANGED,
  ASC_POWER_ON_RESET,
} from '../abi/scsi.js';
import type { Transfer } from './request.js';
import type { BlockStore } from './store.js';

/** sdebug_dev_info.stopped: 0 ready, 1 stopped by START STOP UNIT, 2 becoming ready. */
export const UNIT_READY = 0;
export const UNIT_STOPPED = 1;
export const UNIT_BECOMING_READY = 2;
export type StoppedState = typeof UNIT_READY | typeof UNIT_STOPPED | typeof UNIT_BECOMING_READY;

/**
 * Unit attentions the target can hold, highest priority first: a LU reports the first pending
 * one and clears only that one. Linux: drivers/scsi/scsi_debug.c SDEBUG_UA_POR .. SDEBUG_UA_CAPACITY_CHANGED.
 */
export const UNIT_ATTENTIONS = [
  { name: 'power-on-reset', asc: ASC_POWER_ON_RESET, ascq: ASCQ_POWER_ON_RESET },
  { name: 'power-on-occurred', asc: ASC_POWER_ON_RESET, ascq: ASCQ_POWER_ON_OCCURRED },
  { name: 'bus-reset', asc: ASC_POWER_ON_RESET, ascq: ASCQ_BUS_RESET },
  { name: 'mode-parameters-changed', asc: ASC_PARAMETERS_CHANGED, ascq: ASCQ_MODE_PARAMETERS_CHANGED },
  { name: 'capacity-changed', asc: ASC_PARAMETERS_CHANGED, ascq: ASCQ_CAPACITY_CHANGED },
] as const;

export type UnitAttention = (typeof UNIT_ATTENTIONS)[number]['name'];

/** Bit of a unit attention in LogicalUnit.uas. */
export function uaBit(ua: UnitAttention): number {
  return 1 << UNIT_ATTENTIONS.findIndex((u) => u.name === ua);
}

export interface LogicalUnit {
  readonly lun: number;
  /** The REPORT LUNS well-known LU (answers only INQUIRY, REPORT LUNS, REQUEST SENSE, TUR). */
  readonly wlun: boolean;
  stopped: StoppedState;
  /** Pending unit attentions, bit i = UNIT_ATTENTIONS[i]. */
  uas: number;
  /** Clock reading (ms) when the LU was created: start of "becoming ready". */
  readonly createdAt: number;
}

/** An injected bad range: READs overlapping [lba, lba + count) fail with MEDIUM ERROR. */
export interface MediumErrorRange {
  lba: number;
  count: number;
}

/** What commands may read of the disk. */
export interface DiskModel {
  readonly blocks: number;
  readonly blockSize: number;
  readonly store: BlockStore;
  /** Space-padded ASCII, 8 / 16 / 4 characters. */
  readonly vendor: string;
  readonly product: string;
  readonly revision: string;
  readonly writeProtected: boolean;
  readonly mediumErrors: readonly MediumErrorRange[];
  readonly luns: number;
  readonly readBufferSize: number;
  /** Milliseconds a new LU spends "becoming ready" (scsi_debug tur_ms_to_ready). */
  readonly turMsToReady: number;
  /** The clock, in milliseconds. */
  now(): number;
  /** The READ BUFFER data buffer (readBufferSize bytes). */
  readBufferData(): Uint8Array;
}

/**
 * One command on its way through the target: the CDB (zero-padded to 32 bytes), its data
 * buffer, the addressed LU and the disk.
 */
export interface Command {
  readonly cdb: Uint8Array;
  readonly xfer: Transfer;
  readonly lu: LogicalUnit;
  readonly disk: DiskModel;
}

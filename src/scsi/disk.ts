/**
 * The simulated SCSI disk: a scsi_debug-like direct-access target on a BlockStore. `execute()`
 * takes one CDB with its data buffer and returns status, host byte, sense and residual, doing
 * the checks in scsi_debug's order (spec/sg.md §5.2):
 *
 *   1. resid ← 0
 *   2. LUN not present                      ⇒ host DID_NO_CONNECT
 *   3. unknown opcode                       ⇒ ILLEGAL REQUEST 20/00
 *      unsupported service action           ⇒ ILLEGAL REQUEST 24/00 at byte 1 bit 4
 *      well-known LU, command not for it    ⇒ ILLEGAL REQUEST 20/00
 *   4. (strict reserved-bit checking: not modelled, scsi_debug's strict=0 default)
 *   5. pending unit attention               ⇒ UNIT ATTENTION, reported once
 *      (not for INQUIRY, REPORT LUNS, REQUEST SENSE)
 *   6. unit stopped, medium command or TUR  ⇒ NOT READY 04/02 (04/01 + ms left for a TUR while
 *                                              becoming ready)
 *   7. the command (commands.ts, inquiry.ts, mode-sense.ts, media.ts)
 *
 * Synchronous and total: no CDB or buffer content makes it throw. A CDB shorter than its opcode's
 * length reads as zero-padded to 32 bytes (struct scsi_cmnd's cmnd array).
 *
 * Linux: drivers/scsi/scsi_debug.c scsi_debug_queuecommand(), make_ua(), resp_not_ready().
 */
import {
  ASCQ_BECOMING_READY,
  ASCQ_INITIALIZING_COMMAND_REQUIRED,
  ASC_INVALID_OPCODE,
  ASC_LUN_NOT_READY,
  DID_NO_CONNECT,
  ILLEGAL_REQUEST,
  INQUIRY,
  MODE_SENSE_6,
  NOT_READY,
  READ_10,
  READ_12,
  READ_16,
  READ_6,
  READ_BUFFER,
  READ_CAPACITY_10,
  REPORT_LUNS,
  REQUEST_SENSE,
  SAI_READ_CAPACITY_16,
  SCSI_W_LUN_REPORT_LUNS,
  SERVICE_ACTION_IN_16,
  START_STOP_UNIT,
  SYNCHRONIZE_CACHE_10,
  SYNCHRONIZE_CACHE_16,
  TEST_UNIT_READY,
  UNIT_ATTENTION,
  WRITE_10,
  WRITE_12,
  WRITE_16,
  WRITE_6,
} from '../abi/scsi.js';
import {
  becomingReadyExpired,
  readBuffer,
  readCapacity10,
  readCapacity16,
  reportLuns,
  requestSense,
  startStopUnit,
  testUnitReady,
} from './commands.js';
import { inquiry } from './inquiry.js';
import { read, synchronizeCache, write } from './media.js';
import { modeSense6 } from './mode-sense.js';
import { type ScsiRequest, type ScsiResponse, type Transfer, checkCondition, hostByte } from './request.js';
import { senseFixed, senseInvalidField, senseWithInformation } from './sense.js';
import { sglLength } from './sglist.js';
import { type BlockStore, RamStore } from './store.js';
import {
  type Command,
  type DiskModel,
  type LogicalUnit,
  type MediumErrorRange,
  UNIT_ATTENTIONS,
  UNIT_BECOMING_READY,
  UNIT_READY,
  UNIT_STOPPED,
  type UnitAttention,
  uaBit,
} from './unit.js';

export interface ScsiDiskOptions {
  /** Capacity in logical blocks; default 16384 (8 MiB of 512-byte blocks); 1 .. 2^40. */
  blocks?: number;
  /** Logical block size: 512 (default), 1024, 2048 or 4096. */
  blockSize?: number;
  /** The medium; default a sparse RamStore of blocks × blockSize bytes. Must cover the capacity. */
  store?: BlockStore;
  /** INQUIRY identity, space-padded ASCII: "VMSPACE " / "RAM DISK        " / "0001". */
  vendor?: string;
  product?: string;
  revision?: string;
  /** WRITEs fail with DATA PROTECT 27/02; MODE SENSE shows WP. */
  writeProtected?: boolean;
  /** Injected bad ranges: an overlapping READ gets MEDIUM ERROR 11/00. */
  mediumErrors?: Array<{ lba: number; count: number }>;
  /** Start with POWER ON OCCURRED (29/01) pending on every LU (spec Q2: default false). */
  unitAttention?: boolean;
  /** READ BUFFER data buffer capacity, 0 .. 0xFFFFFF bytes; default 1 MiB. */
  readBufferSize?: number;
  /** Logical units 0 .. luns-1, 1 .. 256; default 1. */
  luns?: number;
  /** A new LU is "becoming ready" for this many ms (scsi_debug tur_ms_to_ready); default 0. */
  turMsToReady?: number;
  /** Clock in milliseconds, only read when turMsToReady > 0; default Date.now. */
  now?: () => number;
}

/** Command flags, as scsi_debug's opcode_info_t flags. */
const F_SKIP_UA = 0x1; // bypasses unit attentions (F_SKIP_UA)
const F_MEDIA = 0x2; // touches the medium: refused while stopped (F_M_ACCESS)
const F_WLUN_OK = 0x4; // allowed on the REPORT LUNS well-known LU (F_RL_WLUN_OK)

type Handler = (c: Command) => ScsiResponse;

interface OpcodeEntry {
  readonly flags: number;
  readonly run?: Handler;
  /** Service actions (CDB byte 1, bits 4-0) when the opcode has them. */
  readonly serviceActions?: ReadonlyMap<number, Handler>;
}

/** Supported opcodes. Linux: drivers/scsi/scsi_debug.c opcode_info_arr[] (flags of the same commands). */
const OPCODES: ReadonlyMap<number, OpcodeEntry> = new Map<number, OpcodeEntry>([
  [TEST_UNIT_READY, { flags: F_MEDIA | F_WLUN_OK, run: testUnitReady }],
  [REQUEST_SENSE, { flags: F_SKIP_UA | F_WLUN_OK, run: requestSense }],
  [READ_6, { flags: F_MEDIA, run: read }],
  [WRITE_6, { flags: F_MEDIA, run: write }],
  [INQUIRY, { flags: F_SKIP_UA | F_WLUN_OK, run: inquiry }],
  [MODE_SENSE_6, { flags: 0, run: modeSense6 }],
  [START_STOP_UNIT, { flags: 0, run: startStopUnit }],
  [READ_CAPACITY_10, { flags: 0, run: readCapacity10 }],
  [READ_10, { flags: F_MEDIA, run: read }],
  [WRITE_10, { flags: F_MEDIA, run: write }],
  [SYNCHRONIZE_CACHE_10, { flags: F_MEDIA, run: synchronizeCache }],
  [READ_BUFFER, { flags: 0, run: readBuffer }],
  [READ_16, { flags: F_MEDIA, run: read }],
  [WRITE_16, { flags: F_MEDIA, run: write }],
  [SYNCHRONIZE_CACHE_16, { flags: F_MEDIA, run: synchronizeCache }],
  [SERVICE_ACTION_IN_16, { flags: 0, serviceActions: new Map([[SAI_READ_CAPACITY_16, readCapacity16]]) }],
  [REPORT_LUNS, { flags: F_SKIP_UA | F_WLUN_OK, run: reportLuns }],
  [READ_12, { flags: F_MEDIA, run: read }],
  [WRITE_12, { flags: F_MEDIA, run: write }],
]);

/** struct scsi_cmnd's CDB array: the target sees at most 32 bytes. */
const MAX_CDB = 32;
const MAX_BLOCKS = 2 ** 40;
const BLOCK_SIZES = [512, 1024, 2048, 4096];

function checkInteger(name: string, v: number, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`ScsiDisk: ${name} ${v} is not an integer in ${min}..${max}`);
  }
  return v;
}

function padAscii(name: string, s: string, n: number): string {
  if (typeof s !== 'string' || s.length > n || !/^[\x20-\x7e]*$/.test(s)) {
    throw new RangeError(`ScsiDisk: ${name} ${JSON.stringify(s)} must be at most ${n} printable ASCII characters`);
  }
  return s.padEnd(n, ' ');
}

/**
 * UNIT ATTENTION for the highest-priority pending attention, which is cleared (reported once);
 * null when none is pending. Linux: drivers/scsi/scsi_debug.c make_ua().
 */
function unitAttention(lu: LogicalUnit): ScsiResponse | null {
  if (lu.uas === 0) return null;
  const k = 31 - Math.clz32(lu.uas & -lu.uas);
  lu.uas &= ~(1 << k);
  const ua = UNIT_ATTENTIONS[k];
  return checkCondition(senseFixed(UNIT_ATTENTION, ua.asc, ua.ascq));
}

/**
 * A stopped LU refuses TEST UNIT READY and medium commands with NOT READY 04/02. While becoming
 * ready a TEST UNIT READY gets 04/01 with INFORMATION = milliseconds left, the others still 04/02;
 * once the time is up the LU is ready and the command runs (null). Linux: drivers/scsi/scsi_debug.c resp_not_ready().
 */
function notReady(c: Command): ScsiResponse | null {
  if (c.lu.stopped === UNIT_BECOMING_READY) {
    if (becomingReadyExpired(c)) return null;
    if (c.cdb[0] === TEST_UNIT_READY) {
      const elapsed = Math.max(0, c.disk.now() - c.lu.createdAt);
      const left = Math.floor(c.disk.turMsToReady - elapsed);
      return checkCondition(senseWithInformation(NOT_READY, ASC_LUN_NOT_READY, ASCQ_BECOMING_READY, left));
    }
  }
  return checkCondition(senseFixed(NOT_READY, ASC_LUN_NOT_READY, ASCQ_INITIALIZING_COMMAND_REQUIRED));
}

export type UnitState = 'ready' | 'stopped' | 'becoming-ready';

export class ScsiDisk implements DiskModel {
  readonly blocks: number;
  readonly blockSize: number;
  readonly store: BlockStore;
  readonly vendor: string;
  readonly product: string;
  readonly revision: string;
  readonly writeProtected: boolean;
  readonly mediumErrors: readonly MediumErrorRange[];
  readonly luns: number;
  readonly readBufferSize: number;
  readonly turMsToReady: number;
  private readonly clock: () => number;
  /** LUs 0 .. luns-1, then the REPORT LUNS well-known LU. */
  private readonly units: LogicalUnit[];
  private readonly wlun: LogicalUnit;
  private rbData: Uint8Array | null = null;

  constructor(opts: ScsiDiskOptions = {}) {
    this.blocks = checkInteger('blocks', opts.blocks ?? 16384, 1, MAX_BLOCKS);
    this.blockSize = opts.blockSize ?? 512;
    if (!BLOCK_SIZES.includes(this.blockSize)) {
      throw new RangeError(`ScsiDisk: blockSize ${this.blockSize} is not one of ${BLOCK_SIZES.join(', ')}`);
    }
    const bytes = this.blocks * this.blockSize;
    this.store = opts.store ?? new RamStore(bytes);
    if (!(this.store.size >= bytes)) {
      throw new RangeError(`ScsiDisk: store of ${this.store.size} bytes is smaller than the capacity (${bytes} bytes)`);
    }
    this.vendor = padAscii('vendor', opts.vendor ?? 'VMSPACE', 8);
    this.product = padAscii('product', opts.product ?? 'RAM DISK', 16);
    this.revision = padAscii('revision', opts.revision ?? '0001', 4);
    this.writeProtected = opts.writeProtected ?? false;
    this.mediumErrors = Object.freeze(
      (opts.mediumErrors ?? []).map((r) =>
        Object.freeze({
          lba: checkInteger('mediumErrors lba', r.lba, 0, Number.MAX_SAFE_INTEGER),
          count: checkInteger('mediumErrors count', r.count, 0, Number.MAX_SAFE_INTEGER),
        }),
      ),
    );
    this.luns = checkInteger('luns', opts.luns ?? 1, 1, 256);
    this.readBufferSize = checkInteger('readBufferSize', opts.readBufferSize ?? 1 << 20, 0, 0xffffff);
    this.turMsToReady = checkInteger('turMsToReady', opts.turMsToReady ?? 0, 0, Number.MAX_SAFE_INTEGER);
    this.clock = opts.now ?? Date.now;
    const uas = opts.unitAttention ? uaBit('power-on-occurred') : 0;
    const makeUnit = (lun: number, wlun: boolean): LogicalUnit => ({
      lun,
      wlun,
      stopped: this.turMsToReady > 0 ? UNIT_BECOMING_READY : UNIT_READY,
      uas,
      createdAt: this.turMsToReady > 0 ? this.clock() : 0,
    });
    this.units = Array.from({ length: this.luns }, (_, lun) => makeUnit(lun, false));
    this.wlun = makeUnit(SCSI_W_LUN_REPORT_LUNS, true);
  }

  /** DiskModel: the clock. */
  now(): number {
    return this.clock();
  }

  /** DiskModel: the READ BUFFER data buffer, byte i = i mod 251, built on first use. */
  readBufferData(): Uint8Array {
    if (this.rbData === null) {
      const b = new Uint8Array(this.readBufferSize);
      for (let i = 0; i < b.length; i++) b[i] = i % 251;
      this.rbData = b;
    }
    return this.rbData;
  }

  /** Runs one command. See the file comment for the order of checks. */
  execute(req: ScsiRequest): ScsiResponse {
    const lu = this.unitOf(req.lun ?? 0);
    if (lu === undefined) return hostByte(DID_NO_CONNECT);

    const cdb = new Uint8Array(MAX_CDB);
    const src = req.cdb;
    cdb.set(src.length > MAX_CDB ? src.subarray(0, MAX_CDB) : src);
    const data = req.data ?? [];
    const xfer: Transfer = { direction: req.direction, data, length: sglLength(data) };

    const entry = src.length > 0 ? OPCODES.get(cdb[0]) : undefined;
    if (entry === undefined) return checkCondition(senseFixed(ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0));
    let run = entry.run;
    if (entry.serviceActions !== undefined) {
      run = entry.serviceActions.get(cdb[1] & 0x1f);
      if (run === undefined) return checkCondition(senseInvalidField(true, 1, 4));
    }
    if (lu.wlun && !(entry.flags & F_WLUN_OK)) {
      return checkCondition(senseFixed(ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0));
    }
    const c: Command = { cdb, xfer, lu, disk: this };
    if (!(entry.flags & F_SKIP_UA)) {
      const ua = unitAttention(lu);
      if (ua !== null) return ua;
    }
    if (entry.flags & F_MEDIA && lu.stopped !== UNIT_READY) {
      const refused = notReady(c);
      if (refused !== null) return refused;
    }
    return run!(c);
  }

  // ---- state accessors (tests, the sg driver, scenarios) ----

  /** The start/stop state of a LU (the well-known LU is SCSI_W_LUN_REPORT_LUNS). */
  unitState(lun = 0): UnitState {
    const s = this.unitOrThrow(lun).stopped;
    return s === UNIT_READY ? 'ready' : s === UNIT_STOPPED ? 'stopped' : 'becoming-ready';
  }

  /** Whether the LU was stopped by START STOP UNIT (or is still becoming ready). */
  isStopped(lun = 0): boolean {
    return this.unitOrThrow(lun).stopped !== UNIT_READY;
  }

  /** Makes a unit attention pending on a LU (reported by its next command that does not bypass UAs). */
  raiseUnitAttention(ua: UnitAttention, lun = 0): void {
    this.unitOrThrow(lun).uas |= uaBit(ua);
  }

  /** Pending unit attentions of a LU, in the order they will be reported. */
  pendingUnitAttentions(lun = 0): UnitAttention[] {
    const uas = this.unitOrThrow(lun).uas;
    return UNIT_ATTENTIONS.filter((_, i) => uas & (1 << i)).map((u) => u.name);
  }

  /**
   * A logical unit reset: POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (29/00) becomes pending.
   * Linux: drivers/scsi/scsi_debug.c scsi_debug_device_reset().
   */
  resetLun(lun = 0): void {
    this.raiseUnitAttention('power-on-reset', lun);
  }

  private unitOf(lun: number): LogicalUnit | undefined {
    if (lun === SCSI_W_LUN_REPORT_LUNS) return this.wlun;
    return Number.isInteger(lun) && lun >= 0 && lun < this.luns ? this.units[lun] : undefined;
  }

  private unitOrThrow(lun: number): LogicalUnit {
    const u = this.unitOf(lun);
    if (u === undefined) throw new RangeError(`ScsiDisk: no logical unit ${lun}`);
    return u;
  }
}

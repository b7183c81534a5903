/**
 * SCSI as the Linux midlayer and a direct-access target see it, as data: operation codes, SAM
 * status bytes, host bytes, sense keys and the ASC/ASCQ pairs the simulated disk reports, with
 * their names for messages. Linux: include/scsi/scsi_proto.h, include/scsi/scsi_status.h
 * (SAM_STAT_*, DID_*), drivers/scsi/scsi_debug.c (the ASC values it uses). Names follow sg3_utils
 * lib/sg_lib_data.c (sg_lib_sense_key_desc[], sg_lib_asc_ascq[]). spec/sg.md §1.5, §5.3.
 */

// ---- Operation codes (first CDB byte) -------------------------------------------------------

export const TEST_UNIT_READY = 0x00;
export const REQUEST_SENSE = 0x03;
export const READ_6 = 0x08;
export const WRITE_6 = 0x0a;
export const INQUIRY = 0x12;
export const MODE_SENSE_6 = 0x1a;
export const START_STOP_UNIT = 0x1b;
export const READ_CAPACITY_10 = 0x25;
export const READ_10 = 0x28;
export const WRITE_10 = 0x2a;
export const SYNCHRONIZE_CACHE_10 = 0x35;
export const READ_BUFFER = 0x3c;
export const READ_16 = 0x88;
export const WRITE_16 = 0x8a;
export const SYNCHRONIZE_CACHE_16 = 0x91;
export const SERVICE_ACTION_IN_16 = 0x9e;
export const REPORT_LUNS = 0xa0;
export const READ_12 = 0xa8;
export const WRITE_12 = 0xaa;

/** SERVICE ACTION IN(16) service action (CDB byte 1, bits 4-0) of READ CAPACITY(16). */
export const SAI_READ_CAPACITY_16 = 0x10;

/** READ BUFFER modes (CDB byte 1, bits 4-0). SPC-5 READ BUFFER. */
export const RB_MODE_DATA = 0x02;
export const RB_MODE_DESCRIPTOR = 0x03;
export const RB_MODE_ECHO_DATA = 0x0a;
export const RB_MODE_ECHO_DESCRIPTOR = 0x0b;

/** Names of the operation codes above, for traces and the CLI. */
export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  [TEST_UNIT_READY]: 'TEST UNIT READY',
  [REQUEST_SENSE]: 'REQUEST SENSE',
  [READ_6]: 'READ(6)',
  [WRITE_6]: 'WRITE(6)',
  [INQUIRY]: 'INQUIRY',
  [MODE_SENSE_6]: 'MODE SENSE(6)',
  [START_STOP_UNIT]: 'START STOP UNIT',
  [READ_CAPACITY_10]: 'READ CAPACITY(10)',
  [READ_10]: 'READ(10)',
  [WRITE_10]: 'WRITE(10)',
  [SYNCHRONIZE_CACHE_10]: 'SYNCHRONIZE CACHE(10)',
  [READ_BUFFER]: 'READ BUFFER',
  [READ_16]: 'READ(16)',
  [WRITE_16]: 'WRITE(16)',
  [SYNCHRONIZE_CACHE_16]: 'SYNCHRONIZE CACHE(16)',
  [SERVICE_ACTION_IN_16]: 'SERVICE ACTION IN(16)',
  [REPORT_LUNS]: 'REPORT LUNS',
  [READ_12]: 'READ(12)',
  [WRITE_12]: 'WRITE(12)',
};

// ---- SAM status byte --------------------------------------------------------------------------

export const SAM_STAT_GOOD = 0x00;
export const SAM_STAT_CHECK_CONDITION = 0x02;
export const SAM_STAT_CONDITION_MET = 0x04;
export const SAM_STAT_BUSY = 0x08;
export const SAM_STAT_RESERVATION_CONFLICT = 0x18;
export const SAM_STAT_TASK_SET_FULL = 0x28;
export const SAM_STAT_TASK_ABORTED = 0x40;

export const SAM_STATUS_NAMES: Readonly<Record<number, string>> = {
  [SAM_STAT_GOOD]: 'GOOD',
  [SAM_STAT_CHECK_CONDITION]: 'CHECK CONDITION',
  [SAM_STAT_CONDITION_MET]: 'CONDITION MET',
  [SAM_STAT_BUSY]: 'BUSY',
  [SAM_STAT_RESERVATION_CONFLICT]: 'RESERVATION CONFLICT',
  [SAM_STAT_TASK_SET_FULL]: 'TASK SET FULL',
  [SAM_STAT_TASK_ABORTED]: 'TASK ABORTED',
};

// ---- Host byte (midlayer DID_* codes) ---------------------------------------------------------

export const DID_OK = 0x00;
export const DID_NO_CONNECT = 0x01;
export const DID_BUS_BUSY = 0x02;
export const DID_TIME_OUT = 0x03;
export const DID_BAD_TARGET = 0x04;
export const DID_ABORT = 0x05;
export const DID_ERROR = 0x07;
export const DID_RESET = 0x08;

export const HOST_BYTE_NAMES: Readonly<Record<number, string>> = {
  [DID_OK]: 'DID_OK',
  [DID_NO_CONNECT]: 'DID_NO_CONNECT',
  [DID_BUS_BUSY]: 'DID_BUS_BUSY',
  [DID_TIME_OUT]: 'DID_TIME_OUT',
  [DID_BAD_TARGET]: 'DID_BAD_TARGET',
  [DID_ABORT]: 'DID_ABORT',
  [DID_ERROR]: 'DID_ERROR',
  [DID_RESET]: 'DID_RESET',
};

// ---- Sense data -------------------------------------------------------------------------------

/** Response codes (byte 0, bits 6-0) of current sense in fixed and descriptor format. */
export const SENSE_FIXED_CURRENT = 0x70;
export const SENSE_DESC_CURRENT = 0x72;
/** Byte 0 bit 7 of fixed sense: the INFORMATION field is valid. */
export const SENSE_VALID = 0x80;
/** Fixed-format sense length (additional sense length 10). */
export const SENSE_FIXED_LEN = 18;
/** Descriptor-format sense header length. */
export const SENSE_DESC_LEN = 8;

export const NO_SENSE = 0x0;
export const RECOVERED_ERROR = 0x1;
export const NOT_READY = 0x2;
export const MEDIUM_ERROR = 0x3;
export const HARDWARE_ERROR = 0x4;
export const ILLEGAL_REQUEST = 0x5;
export const UNIT_ATTENTION = 0x6;
export const DATA_PROTECT = 0x7;
export const BLANK_CHECK = 0x8;
export const COPY_ABORTED = 0xa;
export const ABORTED_COMMAND = 0xb;
export const VOLUME_OVERFLOW = 0xd;
export const MISCOMPARE = 0xe;

/** Sense key names, indexed by key (sg3_utils sg_lib_sense_key_desc[]). */
export const SENSE_KEY_NAMES: readonly string[] = [
  'No Sense', 'Recovered Error', 'Not Ready', 'Medium Error', 'Hardware Error', 'Illegal Request',
  'Unit Attention', 'Data Protect', 'Blank Check', 'Vendor specific(9)', 'Copy Aborted',
  'Aborted Command', 'Equal', 'Volume Overflow', 'Miscompare', 'Completed',
];

/** Additional sense codes (byte 12 of fixed sense). */
export const ASC_NO_ADDITIONAL_SENSE = 0x00;
export const ASC_LUN_NOT_READY = 0x04;
export const ASC_WRITE_ERROR = 0x0c;
export const ASC_UNRECOVERED_READ_ERROR = 0x11;
export const ASC_PARAMETER_LIST_LENGTH_ERROR = 0x1a;
export const ASC_INVALID_OPCODE = 0x20;
export const ASC_LBA_OUT_OF_RANGE = 0x21;
export const ASC_INVALID_FIELD_IN_CDB = 0x24;
export const ASC_INVALID_FIELD_IN_PARAM_LIST = 0x26;
export const ASC_WRITE_PROTECTED = 0x27;
export const ASC_POWER_ON_RESET = 0x29;
export const ASC_PARAMETERS_CHANGED = 0x2a;
export const ASC_SAVING_PARAMS_UNSUPPORTED = 0x39;

/** Qualifiers (byte 13) used with the codes above. */
export const ASCQ_BECOMING_READY = 0x01; // with 04
export const ASCQ_INITIALIZING_COMMAND_REQUIRED = 0x02; // with 04
export const ASCQ_SOFTWARE_WRITE_PROTECTED = 0x02; // with 27
export const ASCQ_POWER_ON_RESET = 0x00; // with 29
export const ASCQ_POWER_ON_OCCURRED = 0x01; // with 29
export const ASCQ_BUS_RESET = 0x02; // with 29
export const ASCQ_MODE_PARAMETERS_CHANGED = 0x01; // with 2A
export const ASCQ_CAPACITY_CHANGED = 0x09; // with 2A

/** `(asc << 8) | ascq` for the names table. */
export const ascAscq = (asc: number, ascq: number): number => (asc << 8) | ascq;

/** Names of the ASC/ASCQ pairs the simulated target reports (sg3_utils sg_lib_asc_ascq[]). */
export const ASC_ASCQ_NAMES: ReadonlyMap<number, string> = new Map([
  [ascAscq(0x00, 0x00), 'No additional sense information'],
  [ascAscq(0x04, 0x01), 'Logical unit is in process of becoming ready'],
  [ascAscq(0x04, 0x02), 'Logical unit not ready, initializing command required'],
  [ascAscq(0x0c, 0x00), 'Write error'],
  [ascAscq(0x11, 0x00), 'Unrecovered read error'],
  [ascAscq(0x1a, 0x00), 'Parameter list length error'],
  [ascAscq(0x20, 0x00), 'Invalid command operation code'],
  [ascAscq(0x21, 0x00), 'Logical block address out of range'],
  [ascAscq(0x24, 0x00), 'Invalid field in cdb'],
  [ascAscq(0x26, 0x00), 'Invalid field in parameter list'],
  [ascAscq(0x27, 0x00), 'Write protected'],
  [ascAscq(0x27, 0x02), 'Logical unit software write protected'],
  [ascAscq(0x29, 0x00), 'Power on, reset, or bus device reset occurred'],
  [ascAscq(0x29, 0x01), 'Power on occurred'],
  [ascAscq(0x29, 0x02), 'SCSI bus reset occurred'],
  [ascAscq(0x2a, 0x01), 'Mode parameters changed'],
  [ascAscq(0x2a, 0x09), 'Capacity data has changed'],
  [ascAscq(0x39, 0x00), 'Saving parameters not supported'],
]);

/** Name of an ASC/ASCQ pair, or sg3_utils' fallback wording for one not in the table. */
export function ascAscqName(asc: number, ascq: number): string {
  const name = ASC_ASCQ_NAMES.get(ascAscq(asc, ascq));
  if (name !== undefined) return name;
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `ASC=${hex(asc)} ASCQ=${hex(ascq)}`;
}

/** Sense-key-specific byte 15 bits of an "invalid field" error (SPC field pointer). */
export const SKS_SKSV = 0x80;
export const SKS_CD = 0x40;
export const SKS_BPV = 0x08;

// ---- Device identity --------------------------------------------------------------------------

/** Peripheral device types (INQUIRY byte 0, bits 4-0). */
export const TYPE_DISK = 0x00;
export const TYPE_WLUN = 0x1e;
/** The REPORT LUNS well-known logical unit (SAM-5), as a 16-bit LUN. */
export const SCSI_W_LUN_REPORT_LUNS = 0xc101;

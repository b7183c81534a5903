/**
 * Sense data the simulated target returns with CHECK CONDITION: fixed format (18 bytes, response
 * code 0x70) always, descriptor format (0x72) only as REQUEST SENSE data when the CDB asks for it
 * (the unit's D_SENSE is off, as scsi_debug's dsense=0 default). spec/sg.md §5.3.
 *
 * Linux: drivers/scsi/scsi_common.c scsi_build_sense_buffer(), scsi_set_sense_information();
 * drivers/scsi/scsi_debug.c mk_sense_buffer(), mk_sense_invalid_fld().
 */
import {
  ASC_INVALID_FIELD_IN_CDB,
  ASC_INVALID_FIELD_IN_PARAM_LIST,
  ILLEGAL_REQUEST,
  SENSE_DESC_CURRENT,
  SENSE_DESC_LEN,
  SENSE_FIXED_CURRENT,
  SENSE_FIXED_LEN,
  SENSE_KEY_NAMES,
  SENSE_VALID,
  SKS_BPV,
  SKS_CD,
  SKS_SKSV,
  ascAscqName,
} from '../abi/scsi.js';

/**
 * Fixed-format current sense: key in byte 2, additional length 10 in byte 7, ASC/ASCQ in bytes
 * 12/13, everything else zero. Linux: drivers/scsi/scsi_common.c scsi_build_sense_buffer() with desc = 0.
 */
export function senseFixed(key: number, asc: number, ascq: number): Uint8Array {
  const s = new Uint8Array(SENSE_FIXED_LEN);
  s[0] = SENSE_FIXED_CURRENT;
  s[2] = key & 0x0f;
  s[7] = SENSE_FIXED_LEN - 8;
  s[12] = asc;
  s[13] = ascq;
  return s;
}

/**
 * Fixed sense with the INFORMATION field (bytes 3-6, big-endian), e.g. the failing LBA of a
 * MEDIUM ERROR or the milliseconds left while becoming ready. VALID (byte 0 bit 7) is set only
 * when the value fits the 4-byte field; a larger one keeps its low 32 bits with VALID clear.
 * Linux: drivers/scsi/scsi_common.c scsi_set_sense_information() (fixed branch).
 */
export function senseWithInformation(key: number, asc: number, ascq: number, information: number): Uint8Array {
  const s = senseFixed(key, asc, ascq);
  const fits = information >= 0 && information <= 0xffffffff;
  const low = information % 0x100000000;
  if (fits) s[0] |= SENSE_VALID;
  s[3] = (low >>> 24) & 0xff;
  s[4] = (low >>> 16) & 0xff;
  s[5] = (low >>> 8) & 0xff;
  s[6] = low & 0xff;
  return s;
}

/**
 * ILLEGAL REQUEST, INVALID FIELD IN CDB (24/00, `inCdb`) or IN PARAMETER LIST (26/00), with the
 * sense-key-specific field pointer: byte 15 = SKSV | C/D (1 = CDB) | BPV + bit when `bit` ≥ 0,
 * bytes 16-17 = offset of the offending byte. Linux: drivers/scsi/scsi_debug.c mk_sense_invalid_fld().
 */
export function senseInvalidField(inCdb: boolean, byte: number, bit = -1): Uint8Array {
  const s = senseFixed(ILLEGAL_REQUEST, inCdb ? ASC_INVALID_FIELD_IN_CDB : ASC_INVALID_FIELD_IN_PARAM_LIST, 0);
  let sks = SKS_SKSV;
  if (inCdb) sks |= SKS_CD;
  if (bit >= 0) sks |= SKS_BPV | (bit & 0x7);
  s[15] = sks;
  s[16] = (byte >>> 8) & 0xff;
  s[17] = byte & 0xff;
  return s;
}

/**
 * Descriptor-format current sense header (8 bytes, no descriptors): REQUEST SENSE data when
 * DESC = 1. Linux: drivers/scsi/scsi_common.c scsi_build_sense_buffer() with desc = 1;
 * drivers/scsi/scsi_debug.c resp_requests().
 */
export function senseDescriptor(key: number, asc: number, ascq: number): Uint8Array {
  const s = new Uint8Array(SENSE_DESC_LEN);
  s[0] = SENSE_DESC_CURRENT;
  s[1] = key & 0x0f;
  s[2] = asc;
  s[3] = ascq;
  return s;
}

/** The fields of a sense buffer that callers and messages need. */
export interface SenseInfo {
  format: 'fixed' | 'descriptor';
  /** Current (0x70/0x72) rather than deferred (0x71/0x73) error. */
  current: boolean;
  key: number;
  asc: number;
  ascq: number;
  /** Fixed format: VALID bit; INFORMATION is meaningful only when set. */
  valid: boolean;
  information: number;
  /** Fixed format: the sense-key-specific field pointer when SKSV is set. */
  fieldPointer: { inCdb: boolean; byte: number; bit: number | null } | null;
}

/** Decodes a sense buffer of either format; null when byte 0 is not a sense response code. */
export function parseSense(sense: Uint8Array): SenseInfo | null {
  if (sense.length < 1) return null;
  const code = sense[0] & 0x7f;
  const at = (i: number) => (i < sense.length ? sense[i] : 0);
  if (code === 0x70 || code === 0x71) {
    const sks = at(15);
    return {
      format: 'fixed',
      current: code === 0x70,
      key: at(2) & 0x0f,
      asc: at(12),
      ascq: at(13),
      valid: (sense[0] & SENSE_VALID) !== 0,
      information: ((at(3) << 24) | (at(4) << 16) | (at(5) << 8) | at(6)) >>> 0,
      fieldPointer:
        (sks & SKS_SKSV) !== 0
          ? { inCdb: (sks & SKS_CD) !== 0, byte: (at(16) << 8) | at(17), bit: (sks & SKS_BPV) !== 0 ? sks & 0x7 : null }
          : null,
    };
  }
  if (code === 0x72 || code === 0x73) {
    return {
      format: 'descriptor',
      current: code === 0x72,
      key: at(1) & 0x0f,
      asc: at(2),
      ascq: at(3),
      valid: false,
      information: 0,
      fieldPointer: null,
    };
  }
  return null;
}

/**
 * A one-line message for a sense buffer, sg3_utils style:
 * "Illegal Request: Logical block address out of range".
 */
export function describeSense(sense: Uint8Array): string {
  const s = parseSense(sense);
  if (s === null) return 'no valid sense data';
  let msg = `${SENSE_KEY_NAMES[s.key]}: ${ascAscqName(s.asc, s.ascq)}`;
  if (s.valid) msg += ` (info 0x${s.information.toString(16)})`;
  if (s.fieldPointer !== null) {
    const fp = s.fieldPointer;
    msg += ` [${fp.inCdb ? 'cdb' : 'parameter'} byte ${fp.byte}${fp.bit !== null ? ` bit ${fp.bit}` : ''}]`;
  }
  return msg;
}

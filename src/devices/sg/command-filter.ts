/**
 * Which SCSI commands SG_IO accepts on an sg file not open O_RDWR: the read-safe ones always,
 * the writing ones when the file is open for writing (so O_WRONLY passes), nothing else
 * (spec §2.3). A caller with CAP_SYS_RAWIO skips the filter; vmspace's processes have no
 * capabilities. Linux: block/scsi_ioctl.c scsi_cmd_allowed().
 */

/** Read-safe opcodes (including the CD/DVD read commands and ZBC IN). */
const READ_SAFE = new Set([
  0x00, // TEST UNIT READY
  0x03, // REQUEST SENSE
  0x08, 0x28, 0xa8, 0x88, // READ(6/10/12/16)
  0x3c, // READ BUFFER
  0x37, // READ DEFECT DATA
  0x25, // READ CAPACITY (also GPCMD_READ_CDVD_CAPACITY)
  0x3e, // READ LONG
  0x12, // INQUIRY
  0x1a, 0x5a, // MODE SENSE(6/10)
  0x4d, // LOG SENSE
  0x1b, // START STOP UNIT
  0x2f, 0x8f, // VERIFY(10/16)
  0xa0, // REPORT LUNS
  0x9e, // SERVICE ACTION IN(16): READ CAPACITY(16)
  0x1c, // RECEIVE DIAGNOSTIC
  0xa3, // MAINTENANCE IN (also GPCMD_SEND_KEY)
  0x95, // ZBC IN
  // CD/DVD: read buffer capacity, play, read CD/MSF, disc info, DVD structure, header, track
  // info, subchannel, TOC, report key, scan, configuration, format capacities, event status,
  // performance, seek, stop play/scan, mechanism status
  0x5c, 0xbc, 0x45, 0x47, 0x48, 0x4b, 0xbe, 0xb9, 0x51, 0xad, 0x44, 0x52, 0x42, 0x43, 0xa4,
  0xba, 0x46, 0x23, 0x4a, 0xac, 0x2b, 0x4e, 0xbd,
]);

/** Writing opcodes: allowed when the file is open for writing. */
const WRITE_SAFE = new Set([
  0x0a, 0x2a, 0xaa, 0x8a, // WRITE(6/10/12/16)
  0x2e, 0xae, // WRITE AND VERIFY(10/12)
  0x3f, 0xea, // WRITE LONG(10), WRITE LONG(16)
  0x41, 0x93, 0x7f, // WRITE SAME(10/16/32)
  0x19, // ERASE
  0x55, 0x15, // MODE SELECT(10/6)
  0x4c, // LOG SELECT
  0x94, // ZBC OUT
  // CD/DVD: blank, close track, flush cache (= SYNCHRONIZE CACHE(10), 0x35), format unit,
  // repair/reserve track, send DVD structure/event/OPC/cue sheet, set speed, prevent/allow
  // medium removal, load/unload, set streaming, set read-ahead
  0xa1, 0x5b, 0x35, 0x04, 0x58, 0x53, 0xbf, 0xa2, 0x54, 0x5d, 0xbb, 0x1e, 0xa6, 0xb6, 0xa7,
]);

/** scsi_cmd_allowed() for a caller without CAP_SYS_RAWIO. */
export function scsiCmdAllowed(opcode: number, openForWrite: boolean): boolean {
  if (READ_SAFE.has(opcode)) return true;
  if (WRITE_SAFE.has(opcode)) return openForWrite;
  return false;
}

/**
 * The SCSI generic (sg) driver's user ABI on x86-64, as data: ioctl numbers, sg_io_hdr_t offsets
 * (88 bytes), directions, flags, info bits and limits. Linux: include/scsi/sg.h,
 * drivers/scsi/sg.c (SG_MAX_QUEUE, SG_MAX_CDB_SIZE), spec/sg.md §1–§2.
 */

export const SG_IO = 0x2285;
export const SG_GET_RESERVED_SIZE = 0x2272;
export const SG_SET_RESERVED_SIZE = 0x2275;
export const SG_GET_VERSION_NUM = 0x2282;
export const SG_SET_TIMEOUT = 0x2201;
export const SG_GET_TIMEOUT = 0x2202;
export const SG_EMULATED_HOST = 0x2203;
export const SG_GET_COMMAND_Q = 0x2270;
export const SG_SET_COMMAND_Q = 0x2271;
export const SG_GET_SCSI_ID = 0x2276;
export const SG_SET_FORCE_LOW_DMA = 0x2279;
export const SG_GET_LOW_DMA = 0x227a;
export const SG_SET_FORCE_PACK_ID = 0x227b;
export const SG_GET_PACK_ID = 0x227c;
export const SG_GET_NUM_WAITING = 0x227d;
export const SG_SET_DEBUG = 0x227e;
export const SG_GET_SG_TABLESIZE = 0x227f;
export const SG_NEXT_CMD_LEN = 0x2283;
export const SG_SCSI_RESET = 0x2284;
export const SG_GET_REQUEST_TABLE = 0x2286;
export const SG_SET_KEEP_ORPHAN = 0x2287;
export const SG_GET_KEEP_ORPHAN = 0x2288;
export const SG_GET_ACCESS_COUNT = 0x2289;
/** Passed on to the midlayer (spec §2.2). */
export const SCSI_IOCTL_GET_IDLUN = 0x5382;
export const SCSI_IOCTL_GET_BUS_NUMBER = 0x5386;
export const BLKSECTGET = 0x1267;

/** The driver's version: 3.5.36. */
export const SG_VERSION_NUM = 30536;

export const SG_DXFER_NONE = -1;
export const SG_DXFER_TO_DEV = -2;
export const SG_DXFER_FROM_DEV = -3;
export const SG_DXFER_TO_FROM_DEV = -4;
export const SG_DXFER_UNKNOWN = -5;

export const SG_FLAG_DIRECT_IO = 0x1;
export const SG_FLAG_UNUSED_LUN_INHIBIT = 0x2;
export const SG_FLAG_MMAP_IO = 0x4;
export const SG_FLAG_Q_AT_TAIL = 0x10;
export const SG_FLAG_Q_AT_HEAD = 0x20;
export const SG_FLAG_NO_DXFER = 0x10000;

export const SG_INFO_OK_MASK = 0x1;
export const SG_INFO_OK = 0x0;
export const SG_INFO_CHECK = 0x1;
export const SG_INFO_DIRECT_IO_MASK = 0x6;
export const SG_INFO_INDIRECT_IO = 0x0;
export const SG_INFO_DIRECT_IO = 0x2;
export const SG_INFO_MIXED_IO = 0x4;

/** driver_status when sense was copied out. */
export const DRIVER_SENSE = 0x08;

/** Requests per open file (active + completed-unread + being returned). */
export const SG_MAX_QUEUE = 16;
/** The longest CDB sg accepts before EMSGSIZE; 6.x then refuses anything over 32 (EINVAL). */
export const SG_MAX_CDB_SIZE = 252;
/** struct scsi_cmnd's CDB array (6.x): longer CDBs never reach the target. */
export const SCSI_MAX_CDB = 32;
/** The sense buffer each request keeps (SCSI_SENSE_BUFFERSIZE). */
export const SCSI_SENSE_BUFFERSIZE = 96;
/** SG_DEF_RESERVED_SIZE = SG_SCATTER_SZ: the reserve an open() builds. */
export const SG_DEF_RESERVED_SIZE = 32768;
/** Chunk of a reserved or temporary buffer (scatter_elem_sz). */
export const SG_SCATTER_SZ = 32768;
/** dxfer_len must stay below SZ_256M. */
export const SG_MAX_DXFER = 0x10000000;
/** SG_GET_TIMEOUT's default (60 s in USER_HZ ticks). */
export const SG_DEFAULT_TIMEOUT_USER = 6000;
/** iovec_count limit (UIO_MAXIOV). */
export const UIO_MAXIOV = 1024;

/** sizeof(sg_io_hdr_t) on x86-64 and the offsets of its fields. */
export const SG_IO_HDR_SIZE = 88;
export const HDR = {
  interfaceId: 0, dxferDirection: 4, cmdLen: 8, mxSbLen: 9, iovecCount: 10, dxferLen: 12,
  dxferp: 16, cmdp: 24, sbp: 32, timeout: 40, flags: 44, packId: 48, usrPtr: 56, status: 64,
  maskedStatus: 65, msgStatus: 66, sbLenWr: 67, hostStatus: 68, driverStatus: 70, resid: 72,
  duration: 76, info: 80,
} as const;

/** sizeof(struct sg_header) (the v2 interface). */
export const SG_HEADER_V2_SIZE = 36;
/** sizeof(sg_scsi_id_t). */
export const SG_SCSI_ID_SIZE = 32;
/** sizeof(sg_req_info_t) on x86-64. */
export const SG_REQ_INFO_SIZE = 24;
/** sizeof(sg_iovec_t). */
export const SG_IOVEC_SIZE = 16;

/** The character major of sg devices. */
export const SCSI_GENERIC_MAJOR = 21;

/** poll() event bits. */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLHUP = 0x10;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;

/** Name tables the scenario format accepts (symbolic operands of the device ops). */
export const SG_NAMES = {
  ioctl: {
    SG_IO, SG_GET_RESERVED_SIZE, SG_SET_RESERVED_SIZE, SG_GET_VERSION_NUM, SG_SET_TIMEOUT, SG_GET_TIMEOUT,
    SG_EMULATED_HOST, SG_GET_COMMAND_Q, SG_SET_COMMAND_Q, SG_GET_SCSI_ID, SG_SET_FORCE_LOW_DMA, SG_GET_LOW_DMA,
    SG_SET_FORCE_PACK_ID, SG_GET_PACK_ID, SG_GET_NUM_WAITING, SG_SET_DEBUG, SG_GET_SG_TABLESIZE, SG_NEXT_CMD_LEN,
    SG_SCSI_RESET, SG_GET_REQUEST_TABLE, SG_SET_KEEP_ORPHAN, SG_GET_KEEP_ORPHAN, SG_GET_ACCESS_COUNT,
    SCSI_IOCTL_GET_IDLUN, SCSI_IOCTL_GET_BUS_NUMBER, BLKSECTGET,
  },
  dir: { SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_DXFER_FROM_DEV, SG_DXFER_TO_FROM_DEV, SG_DXFER_UNKNOWN },
  flags: {
    SG_FLAG_DIRECT_IO, SG_FLAG_UNUSED_LUN_INHIBIT, SG_FLAG_MMAP_IO, SG_FLAG_Q_AT_TAIL, SG_FLAG_Q_AT_HEAD,
    SG_FLAG_NO_DXFER,
  },
  poll: { POLLIN, POLLOUT, POLLHUP, POLLRDNORM, POLLWRNORM },
} as const;

/**
 * `vmspace sg-rbuf`: sg3_utils' sg_rbuf as a program in a simulated process — READ BUFFER (0x3C)
 * of the simulated disk's data buffer again and again, to measure transfer speed with indirect
 * I/O (copied to a user buffer), mmap-ed I/O (into the mapped reserve, no copy) or direct I/O.
 * Opens /dev/sg0 O_RDONLY|O_NONBLOCK (READ BUFFER is read-safe), learns the buffer capacity from
 * the descriptor mode, sizes the reserve, then loops. Reference: sg3_utils src/sg_rbuf.c.
 */
import * as S from '../src/abi/sg.js';
import { strerror } from '../src/abi/errno.js';
import { createSystem } from '../src/kernel/system.js';
import { SgUser, category } from './sg-user.js';

const PAGE = 4096;
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const PROT_READ = 1;
const MAP_SHARED = 1;

export type RbufMode = 'indirect' | 'mmap' | 'dio';

export interface SgRbufOptions {
  mode: RbufMode;
  /** Bytes per READ BUFFER (default: the buffer's capacity). */
  size?: number;
  /** Bytes to read in all (default 200 MiB). */
  total?: number;
}

export interface SgRbufResult {
  status: number;
  line: string;
  bytes: number;
  seconds: number;
}

function readBufferCdb(mode: number, alloc: number): Uint8Array {
  return Uint8Array.of(0x3c, mode, 0, 0, 0, 0, (alloc >> 16) & 0xff, (alloc >> 8) & 0xff, alloc & 0xff, 0);
}

export function sgRbuf(o: SgRbufOptions): SgRbufResult {
  const fail = (msg: string): SgRbufResult => ({ status: 1, line: `sg-rbuf: ${msg}`, bytes: 0, seconds: 0 });
  const sys = createSystem();
  sys.addScsiDisk({ host: { allowDio: o.mode === 'dio' } });
  const u = new SgUser(sys.task(0)!);
  const fd = u.task.sys.openat('/dev/sg0', BigInt(O_RDONLY | O_NONBLOCK), 0n);
  if (fd < 0) return fail(`open /dev/sg0: ${strerror(-fd)}`);
  const desc = u.alloc(4);
  const d = u.sgIo(fd, { cdb: readBufferCdb(3, 4), dir: S.SG_DXFER_FROM_DEV, len: 4, dxferp: desc });
  if (category(d) !== 'clean') return fail(`READ BUFFER descriptor: ${category(d)}`);
  const db = u.task.mem.read(desc, 4);
  const capacity = (db[1] << 16) | (db[2] << 8) | db[3];
  const size = o.size ?? capacity;
  if (!Number.isSafeInteger(size) || size <= 0 || size > capacity) return fail(`size ${size}: the buffer holds ${capacity} bytes`);
  const total = o.total ?? 200 << 20;
  if (o.mode !== 'dio') {
    const r = u.setInt(fd, S.SG_SET_RESERVED_SIZE, o.mode === 'mmap' ? Math.ceil(size / PAGE) * PAGE : size);
    if (r < 0) return fail(`SG_SET_RESERVED_SIZE: ${strerror(-r)}`);
  }
  let buf = 0;
  if (o.mode === 'mmap') {
    buf = u.task.fast.mmap(0, Math.ceil(size / PAGE) * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    if (buf < 0) return fail(`mmap: ${strerror(-buf)}`);
  } else {
    buf = u.alloc(size);
  }
  const loops = Math.max(1, Math.floor(total / size));
  const flags = o.mode === 'mmap' ? S.SG_FLAG_MMAP_IO : o.mode === 'dio' ? S.SG_FLAG_DIRECT_IO : 0;
  const cdb = readBufferCdb(2, size);
  let dioIncomplete = 0;
  const t0 = performance.now();
  for (let k = 0; k < loops; k++) {
    const res = u.sgIo(fd, { cdb, dir: S.SG_DXFER_FROM_DEV, len: size, dxferp: o.mode === 'mmap' ? 0 : buf, flags, packId: k, timeoutMs: 20000 });
    if (category(res) !== 'clean') return fail(`READ BUFFER #${k}: ${category(res)}`);
    if (o.mode === 'dio' && (res.hdr.info & S.SG_INFO_DIRECT_IO_MASK) !== S.SG_INFO_DIRECT_IO) dioIncomplete++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const bytes = loops * size;
  const mbps = seconds > 0 ? bytes / 1e6 / seconds : Infinity;
  const extra = o.mode === 'dio' ? `, dio incomplete ${dioIncomplete}` : '';
  return {
    status: 0,
    line: `${o.mode.padEnd(8)} read ${(bytes / (1 << 20)).toFixed(0)} MiB (actual ${bytes} bytes), buffer size ${size / 1024} KiB, ` +
      `${seconds.toFixed(3)} s, ${mbps.toFixed(1)} MB/s${extra}`,
    bytes, seconds,
  };
}

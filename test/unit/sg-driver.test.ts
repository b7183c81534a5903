/**
 * The sg driver through the syscall facade, with sg_io_hdr_t, CDBs and buffers in process memory:
 * every line of the conformance checklist of spec/sg.md §6, the submission checks of §1.6 in
 * order, the data paths of §4 (bytes compared), the async interface, poll, the mmap rules and
 * the lifetime of the reserved buffer through the driver's own accounting. Invariants and frame
 * counts are checked after each test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import * as S from '../../src/abi/sg.js';
import { type SgIoHdr, decodeHdr, encodeHdr } from '../../src/devices/sg/sg-request.js';
import type { SgDevice } from '../../src/devices/sg/sg-device.js';
import { GuestFault } from '../../src/kernel/memory.js';
import { sgIo } from '../../src/kernel/sg-io.js';
import { createSystem, type System, type Task } from '../../src/kernel/system.js';
import { PatternStore, patternBytes } from '../../src/scsi/store.js';

const PG = 4096;
const b = BigInt;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_EXCL = 0o200;
const O_NONBLOCK = 0o4000;

let live: System | null = null;

afterEach(() => {
  if (live !== null) {
    for (const t of live.tasks()) t.checkInvariants();
    live.checkFrames();
    live = null;
  }
});

function world(opts: Parameters<System['addScsiDisk']>[0] = {}): { s: System; t: Task; dev: SgDevice } {
  const s = createSystem();
  live = s;
  const dev = s.addScsiDisk(opts);
  return { s, t: s.task(0)!, dev };
}

function open(t: Task, flags = O_RDWR, path = '/dev/sg0'): number {
  return t.sys.openat(path, b(flags), 0n);
}

/** A fresh anonymous read-write buffer in process memory. */
function anon(t: Task, len: number): number {
  const a = t.fast.mmap(0, Math.ceil(len / PG) * PG || PG, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
  expect(a).toBeGreaterThan(0);
  return a;
}

function getInt(t: Task, fd: number, cmd: number): number {
  const a = anon(t, 4);
  const r = t.sys.ioctl(b(fd), b(cmd), b(a));
  expect(r).toBe(0);
  return new DataView(t.mem.read(a, 4).buffer).getInt32(0, true);
}

function setInt(t: Task, fd: number, cmd: number, v: number): number {
  const a = anon(t, 4);
  const x = new Uint8Array(4);
  new DataView(x.buffer).setInt32(0, v, true);
  t.mem.write(a, x);
  return t.sys.ioctl(b(fd), b(cmd), b(a));
}

function read10(lba: number, blocks: number): Uint8Array {
  return Uint8Array.of(0x28, 0, lba >>> 24, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, blocks >> 8, blocks & 0xff, 0);
}

function write10(lba: number, blocks: number): Uint8Array {
  const c = read10(lba, blocks);
  c[0] = 0x2a;
  return c;
}

interface Io {
  cdb: Uint8Array;
  dir: number;
  len?: number;
  /** Address of the data buffer (0: NULL). */
  dxferp?: number;
  flags?: number;
  packId?: number;
  mxSbLen?: number;
  interfaceId?: number;
  cmdLen?: number;
  iovecCount?: number;
}

/** Lay out an sg_io_hdr_t, its CDB and a sense buffer in process memory: the header's address. */
function hdrIn(t: Task, io: Io): { at: number; sbp: number } {
  const area = anon(t, PG);
  const cmdp = area + 128;
  const sbp = area + 512;
  t.mem.write(cmdp, io.cdb);
  const h: SgIoHdr = {
    interfaceId: io.interfaceId ?? 0x53, dxferDirection: io.dir, cmdLen: io.cmdLen ?? io.cdb.length,
    mxSbLen: io.mxSbLen ?? 32, iovecCount: io.iovecCount ?? 0, dxferLen: io.len ?? 0, dxferp: b(io.dxferp ?? 0),
    cmdp: b(cmdp), sbp: b(sbp), timeout: 60000, flags: io.flags ?? 0, packId: io.packId ?? 0, usrPtr: 0n,
    status: 0, maskedStatus: 0, msgStatus: 0, sbLenWr: 0, hostStatus: 0, driverStatus: 0, resid: 0, duration: 0, info: 0,
  };
  t.mem.write(area, encodeHdr(h));
  return { at: area, sbp };
}

function sgIoRaw(t: Task, fd: number, io: Io): { r: number; hdr: SgIoHdr; sense: Uint8Array } {
  const { at, sbp } = hdrIn(t, io);
  const r = t.sys.ioctl(b(fd), b(S.SG_IO), b(at));
  const hdr = decodeHdr(t.mem.read(at, S.SG_IO_HDR_SIZE));
  return { r, hdr, sense: t.mem.read(sbp, hdr.sbLenWr) };
}

function mapSg(t: Task, fd: number, len: number, prot = M.PROT_READ | M.PROT_WRITE, flags = M.MAP_SHARED, pgoff = 0): number {
  return t.fast.mmap(0, len, prot, flags, fd, pgoff);
}

describe('sg: open and the version/timeout/reserve ioctls (checklist 1, 2)', () => {
  it('a new fd has a 32 KiB reserve, version 30536, timeout 6000', () => {
    const { t } = world();
    const fd = open(t);
    expect(fd).toBe(3);
    expect(getInt(t, fd, S.SG_GET_RESERVED_SIZE)).toBe(32768);
    expect(getInt(t, fd, S.SG_GET_VERSION_NUM)).toBe(30536);
    expect(t.sys.ioctl(b(fd), b(S.SG_GET_TIMEOUT), 0n)).toBe(6000);
  });

  it('SG_SET_RESERVED_SIZE rounds to 512, floors at a page, clamps to max_sectors_bytes, refuses negatives', () => {
    const { t } = world();
    const fd = open(t);
    for (const [set, get] of [[0, 4096], [1, 4096], [5000, 5120], [10000, 10240], [1 << 30, 1310720]]) {
      expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, set)).toBe(0);
      expect(getInt(t, fd, S.SG_GET_RESERVED_SIZE)).toBe(get);
    }
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, -1)).toBe(-Errno.EINVAL);
    expect(getInt(t, fd, S.SG_GET_RESERVED_SIZE)).toBe(1310720);
  });

  it('a bad pointer gives EFAULT; ENOTTY on a file that is not a device', () => {
    const { t } = world();
    const fd = open(t);
    expect(t.sys.ioctl(b(fd), b(S.SG_GET_RESERVED_SIZE), 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.ioctl(b(fd), b(S.SG_SET_RESERVED_SIZE), 0x1000n)).toBe(-Errno.EFAULT);
    const f = t.sys.openat('plain', b(0o102), 0o644n);
    expect(t.sys.ioctl(b(f), b(S.SG_GET_RESERVED_SIZE), 0n)).toBe(-Errno.ENOTTY);
    expect(t.sys.ioctl(99n, b(S.SG_GET_RESERVED_SIZE), 0n)).toBe(-Errno.EBADF);
  });

  it('O_EXCL: EPERM read-only, EBUSY while held or while others hold it', () => {
    const { t } = world();
    expect(open(t, O_RDONLY | O_EXCL)).toBe(-Errno.EPERM);
    const a = open(t, O_RDWR | O_EXCL | O_NONBLOCK);
    expect(a).toBeGreaterThan(0);
    expect(open(t, O_RDWR | O_NONBLOCK)).toBe(-Errno.EBUSY);
    t.sys.close(b(a));
    const c = open(t, O_RDONLY);
    expect(open(t, O_RDWR | O_EXCL | O_NONBLOCK)).toBe(-Errno.EBUSY);
    t.sys.close(b(c));
  });

  it('is not seekable: lseek, pread and pwrite give ESPIPE', () => {
    const { t } = world();
    const fd = open(t);
    const a = anon(t, PG);
    expect(t.sys.lseek(b(fd), 0n, 0n)).toBe(-Errno.ESPIPE);
    expect(t.sys.pread64(b(fd), b(a), 88n, 0n)).toBe(-Errno.ESPIPE);
    expect(t.sys.pwrite64(b(fd), b(a), 88n, 0n)).toBe(-Errno.ESPIPE);
  });
});

describe('sg: mmap of the reserve (checklist 3, 4, 14)', () => {
  it('SET(10000): 8192 maps, 10240 is ENOMEM, offset 4096 is EINVAL', () => {
    const { t } = world();
    const fd = open(t);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 10000)).toBe(0);
    expect(mapSg(t, fd, 10240)).toBe(-Errno.ENOMEM);
    expect(mapSg(t, fd, 8192, M.PROT_READ, M.MAP_SHARED, 1)).toBe(-Errno.EINVAL);
    const a = mapSg(t, fd, 8192);
    expect(a).toBeGreaterThan(0);
    const line = t.proc.maps().find((l) => l.includes('/dev/sg0'))!;
    expect(line).toMatch(/^[0-9a-f]+-[0-9a-f]+ rw-s 00000000 00:05 \d+ +\/dev\/sg0$/);
    const sm = t.proc.smaps().find((e) => e.line === line)!;
    expect(String(sm.fields.VmFlags)).toContain('io');
    expect(String(sm.fields.VmFlags)).toContain('de');
    expect(String(sm.fields.VmFlags)).toContain('dd');
  });

  it('after any mmap a new size is EBUSY (also after munmap); the same bufflen is 0', () => {
    const { t } = world();
    const fd = open(t);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 10000)).toBe(0);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 10000)).toBe(0); // rebuilt (10000 ≠ 10240)
    const a = mapSg(t, fd, 8192);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 10000)).toBe(-Errno.EBUSY);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 10240)).toBe(0);
    expect(t.sys.munmap(b(a), 8192n)).toBe(0);
    expect(setInt(t, fd, S.SG_SET_RESERVED_SIZE, 65536)).toBe(-Errno.EBUSY);
  });

  it('byte i of the mapping is byte i of the reserve; every mapping of the fd shows it; MAP_PRIVATE copies on write', () => {
    const { t } = world();
    const fd = open(t);
    const a = mapSg(t, fd, 32768);
    const c = mapSg(t, fd, 32768);
    const p = mapSg(t, fd, 32768, M.PROT_READ | M.PROT_WRITE, M.MAP_PRIVATE);
    expect(a).toBeGreaterThan(0);
    expect(p).toBeGreaterThan(0);
    t.mem.store8(a + 5000, 0xab);
    expect(t.mem.load8(c + 5000)).toBe(0xab);
    expect(t.mem.load8(p + 5000)).toBe(0xab);
    t.mem.store8(p + 5000, 0x11); // private copy now
    t.mem.store8(a + 5000, 0x22);
    expect(t.mem.load8(p + 5000)).toBe(0x11);
    expect(t.mem.load8(c + 5000)).toBe(0x22);
  });

  it('mremap cannot grow the mapping (VM_DONTEXPAND: EFAULT) but can shrink it; the fault handler refuses pages past bufflen', () => {
    const { t, dev } = world();
    const fd = open(t);
    const a = mapSg(t, fd, 32768);
    expect(t.sys.mremap(b(a), 32768n, 65536n, b(M.MREMAP_MAYMOVE), 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.mremap(b(a), 32768n, 16384n, 0n, 0n)).toBe(a);
    expect(t.mem.load8(a + 16383)).toBe(0);
    expect(() => t.mem.load8(a + 16384)).toThrow(GuestFault);
    // The mmap length check keeps mappings inside the reserve, so SIGBUS is only reachable
    // through the handler itself (sg_vma_fault(): offset >= bufflen).
    const vma = t.mm.tree.find(a)!;
    expect(vma.vmOps!.fault(7)).toBeGreaterThan(0);
    expect(vma.vmOps!.fault(8)).toBe(-1);
    void dev;
  });

});

describe('sg: the generic mm on a VM_IO|VM_DONTEXPAND|VM_DONTDUMP mapping', () => {
  it('madvise: DONTNEED refaults the same reserve bytes; FREE, DOFORK, DODUMP, WIPEONFORK, POPULATE are EINVAL; REMOVE is ENODEV', () => {
    const { t } = world();
    const fd = open(t);
    const a = mapSg(t, fd, 32768);
    t.mem.store8(a + 100, 0x77);
    const madv = (adv: number): number => t.sys.madvise(b(a), 32768n, b(adv));
    expect(madv(M.MADV_DONTNEED)).toBe(0);
    expect(t.mem.load8(a + 100)).toBe(0x77);
    expect(madv(M.MADV_FREE)).toBe(-Errno.EINVAL);
    expect(madv(M.MADV_DOFORK)).toBe(-Errno.EINVAL);
    expect(madv(M.MADV_DODUMP)).toBe(-Errno.EINVAL);
    expect(madv(M.MADV_WIPEONFORK)).toBe(-Errno.EINVAL);
    expect(madv(M.MADV_POPULATE_READ)).toBe(-Errno.EINVAL);
    expect(madv(M.MADV_REMOVE)).toBe(-Errno.ENODEV);
    expect(madv(M.MADV_DONTFORK)).toBe(0);
    expect(madv(M.MADV_PAGEOUT)).toBe(0);
    expect(t.mem.load8(a + 100)).toBe(0x77);
  });

  it('msync(MS_SYNC) is EINVAL (no fsync method), MS_ASYNC is 0; fsync(fd) is EINVAL; mlock leaves it unlocked', () => {
    const { t } = world();
    const fd = open(t);
    const a = mapSg(t, fd, 8192);
    expect(t.sys.msync(b(a), 8192n, b(M.MS_SYNC))).toBe(-Errno.EINVAL);
    expect(t.sys.msync(b(a), 8192n, b(M.MS_ASYNC))).toBe(0);
    expect(t.sys.fsync(b(fd))).toBe(-Errno.EINVAL);
    expect(t.sys.mlock(b(a), 8192n)).toBe(0);
    const line = t.proc.maps().find((l) => l.includes('/dev/sg0'))!;
    const sm = t.proc.smaps().find((e) => e.line === line)!;
    expect(String(sm.fields.VmFlags)).not.toContain('lo');
    expect(t.proc.status().VmLck).toBe(0);
  });
});

describe('sg: SG_IO submission checks (checklist 8, §1.6)', () => {
  it('interface_id, cmd_len, dxfer_len, cmdp NULL', () => {
    const { t } = world();
    const fd = open(t);
    const buf = anon(t, 512);
    const io = { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: buf };
    expect(sgIoRaw(t, fd, { ...io, interfaceId: 0x54 }).r).toBe(-Errno.ENOSYS);
    expect(sgIoRaw(t, fd, { ...io, cmdLen: 5 }).r).toBe(-Errno.EMSGSIZE);
    expect(sgIoRaw(t, fd, { ...io, cdb: new Uint8Array(33) }).r).toBe(-Errno.EINVAL);
    expect(sgIoRaw(t, fd, { ...io, cdb: new Uint8Array(253) }).r).toBe(-Errno.EMSGSIZE);
    expect(sgIoRaw(t, fd, { ...io, len: S.SG_MAX_DXFER }).r).toBe(-Errno.EINVAL);
    expect(t.sys.ioctl(b(fd), b(S.SG_IO), 0n)).toBe(-Errno.EFAULT);
    expect(t.sys.ioctl(b(fd), b(S.SG_IO), 0x7ffffffff000n - 10n)).toBe(-Errno.EFAULT);
    // Nothing was left queued or held by the failures.
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(0);
    expect(sgIoRaw(t, fd, io).r).toBe(0);
  });

  it('mmap-ed I/O: ENOMEM past the reserve, EINVAL with DIRECT_IO (checked after ENOMEM)', () => {
    const { t } = world();
    const fd = open(t);
    const mmapIo = { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, flags: S.SG_FLAG_MMAP_IO };
    expect(sgIoRaw(t, fd, { ...mmapIo, len: 32768 + 512 }).r).toBe(-Errno.ENOMEM);
    expect(sgIoRaw(t, fd, { ...mmapIo, len: 32768 + 512, flags: S.SG_FLAG_MMAP_IO | S.SG_FLAG_DIRECT_IO }).r).toBe(-Errno.ENOMEM);
    expect(sgIoRaw(t, fd, { ...mmapIo, len: 512, flags: S.SG_FLAG_MMAP_IO | S.SG_FLAG_DIRECT_IO }).r).toBe(-Errno.EINVAL);
  });
});

describe('sg: data paths (checklist 5, 6, 7; §4)', () => {
  it('mmap-ed READ: the mapping shows the disk, info 0, resid 0, no user copy', () => {
    const blocks = 16384;
    const { t } = world({ disk: { blocks, store: new PatternStore(blocks * 512) } });
    const fd = open(t);
    const a = mapSg(t, fd, 32768);
    const r = sgIoRaw(t, fd, { cdb: read10(100, 64), dir: S.SG_DXFER_FROM_DEV, len: 32768, flags: S.SG_FLAG_MMAP_IO });
    expect(r.r).toBe(0);
    expect(r.hdr.status).toBe(0);
    expect(r.hdr.info).toBe(0);
    expect(r.hdr.resid).toBe(0);
    expect(t.mem.read(a, 32768)).toEqual(patternBytes(100 * 512, 32768));
  });

  it('mmap-ed WRITE sends what the process stored through the mapping; indirect and direct READ read it back', () => {
    const { t } = world({ host: { allowDio: true } });
    const fd = open(t);
    const a = mapSg(t, fd, 16384);
    const pat = new Uint8Array(16384).map((_, i) => (i * 7 + 3) & 0xff);
    t.mem.write(a, pat);
    expect(sgIoRaw(t, fd, { cdb: write10(50, 32), dir: S.SG_DXFER_TO_DEV, len: 16384, flags: S.SG_FLAG_MMAP_IO }).r).toBe(0);
    // Indirect: through a temporary buffer is not needed (the reserve is free again); data lands in dxferp.
    const ind = anon(t, 16384);
    const ri = sgIoRaw(t, fd, { cdb: read10(50, 32), dir: S.SG_DXFER_FROM_DEV, len: 16384, dxferp: ind });
    expect(ri.r).toBe(0);
    expect(ri.hdr.info & S.SG_INFO_DIRECT_IO_MASK).toBe(S.SG_INFO_INDIRECT_IO);
    expect(t.mem.read(ind, 16384)).toEqual(pat);
    // Direct: straight into the pinned anonymous pages.
    const dio = anon(t, 16384);
    const rd = sgIoRaw(t, fd, { cdb: read10(50, 32), dir: S.SG_DXFER_FROM_DEV, len: 16384, dxferp: dio, flags: S.SG_FLAG_DIRECT_IO });
    expect(rd.r).toBe(0);
    expect(rd.hdr.info & S.SG_INFO_DIRECT_IO_MASK).toBe(S.SG_INFO_DIRECT_IO);
    expect(t.mem.read(dio, 16384)).toEqual(pat);
  });

  it('direct I/O falls back to indirect without allow_dio, or when unaligned; into an sg mapping it is EFAULT', () => {
    const { t } = world({ host: { allowDio: true } });
    const fd = open(t);
    const buf = anon(t, 8192);
    const off = sgIoRaw(t, fd, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: buf + 2, flags: S.SG_FLAG_DIRECT_IO });
    expect(off.r).toBe(0);
    expect(off.hdr.info & S.SG_INFO_DIRECT_IO_MASK).toBe(0);
    const fd2 = open(t);
    const m = mapSg(t, fd2, 8192);
    expect(sgIoRaw(t, fd, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: m, flags: S.SG_FLAG_DIRECT_IO }).r).toBe(-Errno.EFAULT);
    const { t: t2 } = world();
    const fd3 = open(t2);
    const buf2 = anon(t2, 512);
    const no = sgIoRaw(t2, fd3, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: buf2, flags: S.SG_FLAG_DIRECT_IO });
    expect(no.r).toBe(0);
    expect(no.hdr.info & S.SG_INFO_DIRECT_IO_MASK).toBe(0);
  });

  it('MMAP_IO while an async request holds the reserve (even completed, unread) is EBUSY', () => {
    const { t, dev } = world();
    const fd = open(t);
    const { at } = hdrIn(t, { cdb: read10(0, 8), dir: S.SG_DXFER_FROM_DEV, len: 4096, flags: S.SG_FLAG_MMAP_IO, packId: 7 });
    expect(t.sys.write(b(fd), b(at), 88n)).toBe(88);
    const mm = { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, flags: S.SG_FLAG_MMAP_IO };
    expect(sgIoRaw(t, fd, mm).r).toBe(-Errno.EBUSY); // active
    dev.runQueue(); // the device answers: done but unread, still holding the reserve
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(1);
    expect(sgIoRaw(t, fd, mm).r).toBe(-Errno.EBUSY);
    const out = anon(t, 88);
    expect(t.sys.read(b(fd), b(out), 88n)).toBe(88);
    expect(decodeHdr(t.mem.read(out, 88)).packId).toBe(7);
    expect(sgIoRaw(t, fd, mm).r).toBe(0);
  });

  it('an indirect READ that fits the reserve changes the mapping; a concurrent second one uses a temporary buffer', () => {
    const blocks = 1024;
    const { t } = world({ disk: { blocks, store: new PatternStore(blocks * 512) } });
    const fd = open(t);
    const a = mapSg(t, fd, 8192);
    const u1 = anon(t, 4096);
    const u2 = anon(t, 4096);
    const h1 = hdrIn(t, { cdb: read10(10, 8), dir: S.SG_DXFER_FROM_DEV, len: 4096, dxferp: u1, packId: 1 });
    const h2 = hdrIn(t, { cdb: read10(20, 8), dir: S.SG_DXFER_FROM_DEV, len: 4096, dxferp: u2, packId: 2 });
    expect(t.sys.write(b(fd), b(h1.at), 88n)).toBe(88);
    expect(t.sys.write(b(fd), b(h2.at), 88n)).toBe(88);
    expect(t.sys.read(b(fd), b(h1.at), 88n)).toBe(88);
    expect(t.sys.read(b(fd), b(h2.at), 88n)).toBe(88);
    expect(t.mem.read(u1, 4096)).toEqual(patternBytes(10 * 512, 4096));
    expect(t.mem.read(u2, 4096)).toEqual(patternBytes(20 * 512, 4096));
    expect(t.mem.read(a, 4096)).toEqual(patternBytes(10 * 512, 4096)); // the first borrowed the reserve
  });

  it('TO_FROM_DEV copies in first: bytes the device does not write come back; NULL dxferp is EFAULT', () => {
    const { t } = world();
    const fd = open(t);
    const u = anon(t, 4096);
    t.mem.write(u, new Uint8Array(4096).fill(0x5a));
    // INQUIRY returns 96 bytes of a 4096-byte buffer: the rest comes back as it went in.
    const inq = Uint8Array.of(0x12, 0, 0, 0x10, 0, 0);
    const r = sgIoRaw(t, fd, { cdb: inq, dir: S.SG_DXFER_TO_FROM_DEV, len: 4096, dxferp: u });
    expect(r.r).toBe(0);
    expect(r.hdr.resid).toBe(4096 - 96);
    expect(t.mem.load8(u + 8)).toBe('V'.charCodeAt(0));
    expect(t.mem.load8(u + 200)).toBe(0x5a);
    expect(sgIoRaw(t, fd, { cdb: inq, dir: S.SG_DXFER_TO_FROM_DEV, len: 4096 }).r).toBe(-Errno.EFAULT);
  });

  it('iovec: scatter into two buffers; count 0 length is EINVAL; over 1024 is EINVAL', () => {
    const blocks = 64;
    const { t } = world({ disk: { blocks, store: new PatternStore(blocks * 512) } });
    const fd = open(t);
    const x = anon(t, 4096);
    const y = anon(t, 4096);
    const iov = anon(t, 32);
    const v = new Uint8Array(32);
    const d = new DataView(v.buffer);
    d.setBigUint64(0, b(x + 100), true); d.setBigUint64(8, 512n, true);
    d.setBigUint64(16, b(y), true); d.setBigUint64(24, 512n, true);
    t.mem.write(iov, v);
    const r = sgIoRaw(t, fd, { cdb: read10(3, 2), dir: S.SG_DXFER_FROM_DEV, len: 1024, dxferp: iov, iovecCount: 2 });
    expect(r.r).toBe(0);
    expect(t.mem.read(x + 100, 512)).toEqual(patternBytes(3 * 512, 512));
    expect(t.mem.read(y, 512)).toEqual(patternBytes(4 * 512, 512));
    expect(sgIoRaw(t, fd, { cdb: read10(3, 2), dir: S.SG_DXFER_FROM_DEV, len: 1024, dxferp: iov, iovecCount: 1025 }).r).toBe(-Errno.EINVAL);
    t.mem.write(iov, new Uint8Array(32));
    expect(sgIoRaw(t, fd, { cdb: read10(3, 2), dir: S.SG_DXFER_FROM_DEV, len: 1024, dxferp: iov, iovecCount: 2 }).r).toBe(-Errno.EINVAL);
  });

  it('indirect data-in to an unwritable buffer: the header is written, the call fails with EFAULT', () => {
    const { t } = world();
    const fd = open(t);
    const ro = t.fast.mmap(0, PG, M.PROT_READ, M.MAP_PRIVATE | M.MAP_ANONYMOUS, -1, 0);
    const r = sgIoRaw(t, fd, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: ro });
    expect(r.r).toBe(-Errno.EFAULT);
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(0);
    // The reserve is free again.
    const a = mapSg(t, fd, 4096);
    expect(sgIoRaw(t, fd, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, flags: S.SG_FLAG_MMAP_IO }).r).toBe(0);
    expect(a).toBeGreaterThan(0);
  });
});

describe('sg: the async interface (checklist 9, 10)', () => {
  it('the 17th outstanding request is EDOM; O_NONBLOCK read with nothing done is EAGAIN', () => {
    const { t } = world();
    const fd = open(t, O_RDWR | O_NONBLOCK);
    const out = anon(t, 88);
    expect(t.sys.read(b(fd), b(out), 88n)).toBe(-Errno.EAGAIN);
    const hs: number[] = [];
    for (let i = 0; i < 17; i++) hs.push(hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, packId: i }).at);
    for (let i = 0; i < 16; i++) expect(t.sys.write(b(fd), b(hs[i]), 88n)).toBe(88);
    expect(t.sys.write(b(fd), b(hs[16]), 88n)).toBe(-Errno.EDOM);
    expect(t.sys.read(b(fd), b(out), 88n)).toBe(-Errno.EAGAIN); // submitted, not carried out yet
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(0);
    // poll() sleeps: the queue runs, and POLLIN comes up.
    const pfd = anon(t, 8);
    const p = new Uint8Array(8);
    new DataView(p.buffer).setInt32(0, fd, true);
    new DataView(p.buffer).setInt16(4, S.POLLIN | S.POLLOUT, true);
    t.mem.write(pfd, p);
    expect(t.sys.poll(b(pfd), 1n, 0n)).toBe(0); // timeout 0: no sleep, nothing ready (list full)
    expect(t.sys.poll(b(pfd), 1n, 1000n)).toBe(1);
    expect(new DataView(t.mem.read(pfd, 8).buffer).getInt16(6, true)).toBe(S.POLLIN);
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(16);
    for (let i = 0; i < 16; i++) {
      expect(t.sys.read(b(fd), b(out), 88n)).toBe(88);
      expect(decodeHdr(t.mem.read(out, 88)).packId).toBe(i); // submission order
    }
  });

  it('a read with an 87-byte buffer is EINVAL and the response is gone', () => {
    const { t } = world();
    const fd = open(t);
    const { at } = hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, packId: 3 });
    expect(t.sys.write(b(fd), b(at), 88n)).toBe(88);
    expect(t.sys.read(b(fd), b(at), 87n)).toBe(-Errno.EINVAL);
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(0);
    expect(t.sys.read(b(fd), b(at), 88n)).toBe(-Errno.EAGAIN);
  });

  it('write() checks: < 36 bytes EIO, a v2 header EIO (not provided), < 88 bytes EINVAL', () => {
    const { t } = world();
    const fd = open(t);
    const { at } = hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE });
    expect(t.sys.write(b(fd), b(at), 35n)).toBe(-Errno.EIO);
    expect(t.sys.write(b(fd), b(at), 87n)).toBe(-Errno.EINVAL);
    const v2 = anon(t, 64);
    expect(t.sys.write(b(fd), b(v2), 42n)).toBe(-Errno.EIO);
  });

  it('force_packid: read returns the requested pack_id although others completed first', () => {
    const { t } = world();
    const fd = open(t);
    expect(setInt(t, fd, S.SG_SET_FORCE_PACK_ID, 1)).toBe(0);
    for (const id of [10, 11, 12]) {
      const { at } = hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, packId: id });
      expect(t.sys.write(b(fd), b(at), 88n)).toBe(88);
    }
    const { at } = hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, packId: 12 });
    expect(t.sys.read(b(fd), b(at), 88n)).toBe(88);
    expect(decodeHdr(t.mem.read(at, 88)).packId).toBe(12);
    expect(getInt(t, fd, S.SG_GET_PACK_ID)).toBe(10);
    expect(getInt(t, fd, S.SG_GET_NUM_WAITING)).toBe(2);
  });

  it('SG_GET_REQUEST_TABLE lists the requests: state, pack_id', () => {
    const { t } = world();
    const fd = open(t);
    const { at } = hdrIn(t, { cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, packId: 42 });
    expect(t.sys.write(b(fd), b(at), 88n)).toBe(88);
    const tab = anon(t, 16 * 24);
    expect(t.sys.ioctl(b(fd), b(S.SG_GET_REQUEST_TABLE), b(tab))).toBe(0);
    const raw = t.mem.read(tab, 16 * 24);
    const d = new DataView(raw.buffer);
    expect(raw[0]).toBe(1); // active
    expect(d.getInt32(4, true)).toBe(42);
    expect(raw[24]).toBe(0);
  });
});

describe('sg: the command filter on a file not open O_RDWR (checklist 11)', () => {
  it('O_RDONLY: reads allowed, WRITE(10) and SYNCHRONIZE CACHE(10) EPERM; O_WRONLY: both allowed, SYNC CACHE(16) EPERM', () => {
    const { t } = world();
    const ro = open(t, O_RDONLY);
    const buf = anon(t, 4096);
    const sync10 = Uint8Array.of(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const sync16 = new Uint8Array(16);
    sync16[0] = 0x91;
    const inq = Uint8Array.of(0x12, 0, 0, 0, 96, 0);
    const rbuf = Uint8Array.of(0x3c, 0x03, 0, 0, 0, 0, 0, 0, 4, 0);
    expect(sgIoRaw(t, ro, { cdb: read10(0, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: buf }).r).toBe(0);
    expect(sgIoRaw(t, ro, { cdb: inq, dir: S.SG_DXFER_FROM_DEV, len: 96, dxferp: buf }).r).toBe(0);
    expect(sgIoRaw(t, ro, { cdb: rbuf, dir: S.SG_DXFER_FROM_DEV, len: 4, dxferp: buf }).r).toBe(0);
    expect(sgIoRaw(t, ro, { cdb: write10(0, 1), dir: S.SG_DXFER_TO_DEV, len: 512, dxferp: buf }).r).toBe(-Errno.EPERM);
    expect(sgIoRaw(t, ro, { cdb: sync10, dir: S.SG_DXFER_NONE }).r).toBe(-Errno.EPERM);
    const wo = open(t, O_WRONLY);
    expect(sgIoRaw(t, wo, { cdb: write10(0, 1), dir: S.SG_DXFER_TO_DEV, len: 512, dxferp: buf }).r).toBe(0);
    expect(sgIoRaw(t, wo, { cdb: sync10, dir: S.SG_DXFER_NONE }).r).toBe(0);
    expect(sgIoRaw(t, wo, { cdb: sync16, dir: S.SG_DXFER_NONE }).r).toBe(-Errno.EPERM);
    // write() submissions are never filtered (and need a writable fd).
    const { at } = hdrIn(t, { cdb: sync16, dir: S.SG_DXFER_NONE });
    expect(t.sys.write(b(wo), b(at), 88n)).toBe(88);
    // Unknown ioctls: EPERM when not O_RDWR, EINVAL from the midlayer otherwise.
    expect(t.sys.ioctl(b(ro), 0x1234n, 0n)).toBe(-Errno.EPERM);
    const rw = open(t, O_RDWR);
    expect(t.sys.ioctl(b(rw), 0x1234n, 0n)).toBe(-Errno.EINVAL);
  });
});

describe('sg: target errors reach the header (checklist 12, §1.7)', () => {
  it('READ(10) beyond capacity: the worked example of §1.7', () => {
    const { t } = world();
    const fd = open(t);
    const buf = anon(t, 512);
    const r = sgIoRaw(t, fd, { cdb: read10(16384, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: buf, mxSbLen: 32 });
    expect(r.r).toBe(0);
    expect(r.hdr).toMatchObject({ status: 2, maskedStatus: 1, hostStatus: 0, driverStatus: 8, sbLenWr: 18, info: 1, resid: 0 });
    expect([...r.sense]).toEqual([0x70, 0, 5, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0]);
  });

  it('unknown opcode 05/20/00; MODE SENSE PC=3 05/39/00; medium error 03/11/00 with VALID; data-in command with a data-out buffer: DID_ERROR', () => {
    const { t } = world({ disk: { mediumErrors: [{ lba: 0x1234, count: 10 }] } });
    const fd = open(t);
    const buf = anon(t, 4096);
    const unk = sgIoRaw(t, fd, { cdb: Uint8Array.of(0xff, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE });
    expect([unk.sense[2], unk.sense[12], unk.sense[13]]).toEqual([5, 0x20, 0]);
    const ms = sgIoRaw(t, fd, { cdb: Uint8Array.of(0x1a, 0, 0xc0 | 0x3f, 0, 255, 0), dir: S.SG_DXFER_FROM_DEV, len: 255, dxferp: buf });
    expect([ms.sense[2], ms.sense[12], ms.sense[13]]).toEqual([5, 0x39, 0]);
    const me = sgIoRaw(t, fd, { cdb: read10(0x1230, 8), dir: S.SG_DXFER_FROM_DEV, len: 4096, dxferp: buf });
    expect(me.sense[0]).toBe(0xf0);
    expect([me.sense[2], me.sense[12], me.sense[13]]).toEqual([3, 0x11, 0]);
    expect(new DataView(me.sense.buffer, me.sense.byteOffset).getUint32(3)).toBe(0x1234);
    expect(me.hdr.resid).toBe(4096);
    const de = sgIoRaw(t, fd, { cdb: read10(0, 1), dir: S.SG_DXFER_TO_DEV, len: 512, dxferp: buf });
    expect(de.hdr).toMatchObject({ status: 0, hostStatus: 7, driverStatus: 0, info: 1 });
  });

  it('no sense buffer: driver_status stays 0 on CHECK CONDITION; mx_sb_len caps sb_len_wr', () => {
    const { t } = world();
    const fd = open(t);
    const none = sgIoRaw(t, fd, { cdb: Uint8Array.of(0xff, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, mxSbLen: 0 });
    expect(none.hdr).toMatchObject({ status: 2, driverStatus: 0, sbLenWr: 0, info: 1 });
    const short = sgIoRaw(t, fd, { cdb: Uint8Array.of(0xff, 0, 0, 0, 0, 0), dir: S.SG_DXFER_NONE, mxSbLen: 8 });
    expect(short.hdr.sbLenWr).toBe(8);
  });
});

describe('sg: sharing and lifetime (checklist 13)', () => {
  it('fork: the child sees the parent\'s mmap-ed READ through the inherited mapping; the reserve is freed after the last close and munmap', () => {
    const blocks = 2048;
    const { s, t, dev } = world({ disk: { blocks, store: new PatternStore(blocks * 512) } });
    const fd = open(t);
    const a = mapSg(t, fd, 32768);
    expect(dev.stats).toMatchObject({ openFiles: 1, reserveBytes: 32768 });
    const c = t.fork() as Task;
    expect(sgIoRaw(t, fd, { cdb: read10(7, 64), dir: S.SG_DXFER_FROM_DEV, len: 32768, flags: S.SG_FLAG_MMAP_IO }).r).toBe(0);
    expect(c.mem.read(a, 32768)).toEqual(patternBytes(7 * 512, 32768));
    // The child writes through the shared mapping and sends it with its own SG_IO on the shared fd.
    c.mem.write(a, new Uint8Array(512).fill(0xee));
    expect(sgIoRaw(c, fd, { cdb: write10(1000, 1), dir: S.SG_DXFER_TO_DEV, len: 512, flags: S.SG_FLAG_MMAP_IO }).r).toBe(0);
    const back = anon(t, 512);
    expect(sgIoRaw(t, fd, { cdb: read10(1000, 1), dir: S.SG_DXFER_FROM_DEV, len: 512, dxferp: back }).r).toBe(0);
    expect(t.mem.read(back, 512)).toEqual(new Uint8Array(512).fill(0xee));
    t.sys.close(b(fd));
    c.sys.close(b(fd));
    expect(dev.stats.openFiles).toBe(1); // both mappings still hold it
    expect(t.sys.munmap(b(a), 32768n)).toBe(0);
    expect(dev.stats.openFiles).toBe(1);
    c.exit();
    expect(dev.stats).toMatchObject({ openFiles: 0, reserveBytes: 0 });
    void s;
  });

  it('dup shares the reserve; a second open has its own', () => {
    const { t, dev } = world();
    const fd = open(t);
    const d = t.sys.dup(b(fd));
    expect(setInt(t, d, S.SG_SET_RESERVED_SIZE, 65536)).toBe(0);
    expect(getInt(t, fd, S.SG_GET_RESERVED_SIZE)).toBe(65536);
    const other = open(t);
    expect(getInt(t, other, S.SG_GET_RESERVED_SIZE)).toBe(32768);
    expect(dev.stats).toMatchObject({ openFiles: 2, reserveBytes: 65536 + 32768 });
    t.sys.close(b(fd));
    expect(dev.stats.openFiles).toBe(2);
    t.sys.close(b(d));
    t.sys.close(b(other));
    expect(dev.stats).toMatchObject({ openFiles: 0, reserveBytes: 0 });
  });

  it('close with a request outstanding: it is carried out, its result dropped, then everything is freed', () => {
    const { t, dev } = world();
    const fd = open(t);
    const src = anon(t, 512);
    t.mem.write(src, new Uint8Array(512).fill(0x42));
    const { at } = hdrIn(t, { cdb: write10(9, 1), dir: S.SG_DXFER_TO_DEV, len: 512, dxferp: src });
    expect(t.sys.write(b(fd), b(at), 88n)).toBe(88);
    t.sys.close(b(fd));
    expect(dev.stats).toMatchObject({ openFiles: 0, reserveBytes: 0, commands: 1 });
    const got = new Uint8Array(512);
    dev.disk.store.read(9 * 512, got);
    expect(got).toEqual(new Uint8Array(512).fill(0x42));
  });
});

describe('sg: the typed API', () => {
  it('sgIo() takes the driver path: errors, data and sense', () => {
    const { t } = world();
    const fd = open(t);
    const data = new Uint8Array(1024).map((_, i) => i & 0xff);
    expect(sgIo(t.fds, fd, { cdb: write10(2, 2), direction: 'to-dev', data })).toMatchObject({ status: 0, resid: 0 });
    const back = new Uint8Array(1024);
    expect(sgIo(t.fds, fd, { cdb: read10(2, 2), direction: 'from-dev', data: back })).toMatchObject({ status: 0 });
    expect(back).toEqual(data);
    expect(sgIo(t.fds, fd, { cdb: read10(2, 2), direction: 'from-dev', data: back, interfaceId: 0 })).toBe(-Errno.ENOSYS);
    const bad = sgIo(t.fds, fd, { cdb: read10(99999, 1), direction: 'from-dev', data: back });
    expect(typeof bad === 'object' && [...bad.sense.subarray(0, 3)]).toEqual([0x70, 0, 5]);
    expect(sgIo(t.fds, 0, { cdb: read10(0, 1), direction: 'none' })).toBe(-Errno.ENOTTY);
    expect(() => sgIo(t.fds, fd, { cdb: [1, 2] as unknown as Uint8Array, direction: 'none' })).toThrow(TypeError);
  });
});

/**
 * `vmspace sg-dd`: sg3_utils' sgm_dd (mmap=1) and sg_dd (mmap=0) as a program in a simulated
 * process. Each `sim:SIZE` operand is a simulated SCSI disk behind its own /dev/sgN (as input it
 * holds a deterministic pattern); any other operand is a host file, read and written with Node's
 * fs as the program's read()/write() of a regular file would. Copies `count` blocks of `bs`
 * bytes, `bpt` blocks per transfer, by SG_IO:
 *   mmap=1  the input's reserved buffer is mmap-ed and READ with SG_FLAG_MMAP_IO (no copy), then
 *           written out from the mapping (an sg output with an ordinary WRITE; with an input file,
 *           the output's reserve is mapped and WRITE uses mmap-ed I/O);
 *   mmap=0  indirect I/O through a buffer in process memory (dio=1 asks for direct I/O, which
 *           the driver's allow_dio then permits).
 * verify=1 reads both sides back and compares them. Reference: sg3_utils src/sgm_dd.c, sg_dd.c.
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import * as S from '../src/abi/sg.js';
import { strerror } from '../src/abi/errno.js';
import { createSystem, type System } from '../src/kernel/system.js';
import { PatternStore, RamStore } from '../src/scsi/store.js';
import { SgUser, category, readCapacity, rwCdb } from './sg-user.js';

const PAGE = 4096;
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const PROT_RW = 3;
const MAP_SHARED = 1;

export interface SgDdOptions {
  if: string;
  of: string;
  bs: number;
  bpt: number;
  count?: number;
  mmap: boolean;
  dio: boolean;
  verify: boolean;
  /** Called after each transfer: blocks done, blocks to do. */
  progress?: (done: number, total: number) => void;
}

export interface SgDdResult {
  /** 0 success, 1 an error or a verify mismatch. */
  status: number;
  /** Report lines (the last one has records in/out and MB/s). */
  lines: string[];
  blocks: number;
  bytes: number;
  seconds: number;
  /** Transfers that asked for direct I/O and got indirect. */
  dioIncomplete: number;
}

/** `256M`, `1g`, `4096`, `8k`: a byte count (k/M/G/T are powers of 1024). */
export function parseSize(s: string): number {
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(s);
  if (m === null) throw new Error(`bad size "${s}"`);
  const mult = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30, t: 2 ** 40 }[m[2].toLowerCase()]!;
  return Number(m[1]) * mult;
}

/** One end of the copy. */
interface Endpoint {
  kind: 'sg' | 'file';
  name: string;
  /** sg: the descriptor in the process; file: the host descriptor. */
  fd: number;
  blocks: number;
  /** sg: the reserve's mapping, when mapped. */
  map: number;
}

class Copier {
  readonly sys: System = createSystem();
  readonly u = new SgUser(this.sys.task(0)!);
  private disks = 0;
  dioIncomplete = 0;

  constructor(private readonly o: SgDdOptions) {}

  open(operand: string, input: boolean): Endpoint {
    const bs = this.o.bs;
    if (operand.startsWith('sim:')) {
      const size = parseSize(operand.slice(4));
      if (size % bs !== 0 || size === 0) throw new Error(`${operand}: not a whole number of ${bs}-byte blocks`);
      const store = input ? new PatternStore(size, bs === 512 || bs === 4096 ? bs : 512) : new RamStore(size);
      this.sys.addScsiDisk({ disk: { blocks: size / bs, blockSize: bs, store }, host: { allowDio: this.o.dio } });
      const path = `/dev/sg${this.disks++}`;
      const fd = this.u.task.sys.openat(path, BigInt(O_RDWR | O_NONBLOCK), 0n);
      if (fd < 0) throw new Error(`open ${path}: ${strerror(-fd)}`);
      const v = this.u.getInt(fd, S.SG_GET_VERSION_NUM);
      if (v < 30122) throw new Error(`${path}: sg driver version ${v} too old for mmap-ed I/O`);
      const cap = readCapacity(this.u, fd);
      if (typeof cap === 'string') throw new Error(`${path}: ${cap}`);
      if (cap[1] !== bs) throw new Error(`${operand}: block size ${cap[1]}, but bs=${bs}`);
      return { kind: 'sg', name: operand, fd, blocks: cap[0], map: 0 };
    }
    // An output file is written in place from offset 0 (O_RDWR|O_CREAT, no O_APPEND: positioned
    // writes to an O_APPEND file would all go to its end), and read back by verify=1.
    const fd = openSync(operand, input ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT, 0o666);
    const size = fstatSync(fd).size;
    return { kind: 'file', name: operand, fd, blocks: input ? Math.floor(size / bs) : Number.MAX_SAFE_INTEGER, map: 0 };
  }

  /** The reserve of `ep` sized and mapped as sgm_dd does (rounded to a page when `round`). */
  mapReserve(ep: Endpoint, want: number, round: boolean): void {
    const size = round ? Math.ceil(want / PAGE) * PAGE : want;
    const have = this.u.getInt(ep.fd, S.SG_GET_RESERVED_SIZE);
    if (Math.max(have, 8192) < size) {
      const r = this.u.setInt(ep.fd, S.SG_SET_RESERVED_SIZE, size);
      if (r < 0) throw new Error(`${ep.name}: SG_SET_RESERVED_SIZE: ${strerror(-r)}`);
    }
    const a = this.u.task.fast.mmap(0, size, PROT_RW, MAP_SHARED, ep.fd, 0);
    if (a < 0) throw new Error(`${ep.name}: mmap of the reserved buffer (${size} bytes): ${strerror(-a)}`);
    ep.map = a;
  }

  /** SG_IO, retried on EBUSY/EAGAIN/EINTR and once on UNIT ATTENTION (sgm_dd's loop). */
  io(ep: Endpoint, write: boolean, lba: number, blocks: number, dxferp: number, flags: number): void {
    const cdbSize = lba + blocks > 0xffffffff || blocks > 0xffff ? 16 : 10;
    const call = { cdb: rwCdb(write, lba, blocks, cdbSize), dir: write ? S.SG_DXFER_TO_DEV : S.SG_DXFER_FROM_DEV, len: blocks * this.o.bs, dxferp, flags };
    let ua = false;
    for (let tries = 0; tries < 100; tries++) {
      const res = this.u.sgIo(ep.fd, call);
      if (res.r === -11 || res.r === -16 || res.r === -4) continue;
      if (res.r < 0) throw new Error(`${ep.name}: SG_IO ${write ? 'WRITE' : 'READ'} at LBA ${lba}: ${strerror(-res.r)}`);
      const cat = category(res);
      if (cat.startsWith('sense key 0x6') && !ua) { ua = true; continue; }
      if (cat !== 'clean') throw new Error(`${ep.name}: ${write ? 'WRITE' : 'READ'} at LBA ${lba}: ${cat}`);
      if ((flags & S.SG_FLAG_DIRECT_IO) !== 0 && (res.hdr.info & S.SG_INFO_DIRECT_IO_MASK) !== S.SG_INFO_DIRECT_IO) this.dioIncomplete++;
      return;
    }
    throw new Error(`${ep.name}: SG_IO kept failing with EBUSY/EAGAIN`);
  }

  /** Host file → process memory at `addr` (the program's read()). */
  fileRead(ep: Endpoint, pos: number, addr: number, n: number): number {
    const b = Buffer.alloc(n);
    const got = readSync(ep.fd, b, 0, n, pos);
    this.u.task.mem.write(addr, b.subarray(0, got));
    return got;
  }

  fileWrite(ep: Endpoint, pos: number, addr: number, n: number): void {
    writeSync(ep.fd, this.u.task.mem.read(addr, n), 0, n, pos);
  }

  run(): SgDdResult {
    const o = this.o;
    const inp = this.open(o.if, true);
    const out = this.open(o.of, false);
    const blocks = Math.min(o.count ?? inp.blocks, inp.blocks, out.blocks);
    const per = o.bpt;
    const dio = o.dio ? S.SG_FLAG_DIRECT_IO : 0;
    let buf = 0;
    if (o.mmap) {
      if (inp.kind === 'sg') this.mapReserve(inp, o.bs * per, true);
      else if (out.kind === 'sg') this.mapReserve(out, o.bs * per, false);
      else throw new Error('mmap=1 needs an sg input or output');
    } else {
      buf = this.u.alloc(o.bs * per);
    }
    const t0 = performance.now();
    for (let done = 0; done < blocks;) {
      const n = Math.min(per, blocks - done);
      const bytes = n * o.bs;
      // The bytes' place in process memory: the mapped reserve, or the program's buffer.
      let at = buf;
      if (o.mmap && inp.kind === 'sg') {
        this.io(inp, false, done, n, 0, S.SG_FLAG_MMAP_IO);
        at = inp.map;
      } else if (o.mmap) {
        this.fileRead(inp, done * o.bs, out.map, bytes);
        at = out.map;
      } else if (inp.kind === 'sg') {
        this.io(inp, false, done, n, buf, dio);
      } else {
        this.fileRead(inp, done * o.bs, buf, bytes);
      }
      if (out.kind === 'sg') {
        if (o.mmap && inp.kind !== 'sg') this.io(out, true, done, n, 0, S.SG_FLAG_MMAP_IO);
        else this.io(out, true, done, n, at, dio);
      } else {
        this.fileWrite(out, done * o.bs, at, bytes);
      }
      done += n;
      o.progress?.(done, blocks);
    }
    const seconds = (performance.now() - t0) / 1000;
    const bytes = blocks * o.bs;
    const lines: string[] = [];
    let status = 0;
    if (o.verify) {
      const bad = this.verify(inp, out, blocks);
      if (bad === null) lines.push(`verify: ${bytes} bytes compared, source and destination agree`);
      else {
        lines.push(`verify: MISMATCH at byte ${bad}`);
        status = 1;
      }
    }
    if (o.dio) lines.push(`dio incomplete: ${this.dioIncomplete} of ${Math.ceil(blocks / per) * 2} transfers went indirect`);
    const mbps = seconds > 0 ? bytes / 1e6 / seconds : Infinity;
    lines.push(`${blocks}+0 records in, ${blocks}+0 records out, ${bytes} bytes in ${seconds.toFixed(3)} s, ` +
      `${mbps.toFixed(1)} MB/s (${o.mmap ? 'mmap-ed' : o.dio ? 'direct' : 'indirect'} IO)`);
    for (const ep of [inp, out]) if (ep.kind === 'file') closeSync(ep.fd);
    return { status, lines, blocks, bytes, seconds, dioIncomplete: this.dioIncomplete };
  }

  /** Read `blocks` blocks of both sides back (SG_IO READ, or the host file) and compare: the first differing byte, or null. */
  verify(a: Endpoint, b: Endpoint, blocks: number): number | null {
    const per = this.o.bpt;
    const bs = this.o.bs;
    const ba = this.u.alloc(per * bs);
    const bb = this.u.alloc(per * bs);
    for (let done = 0; done < blocks; done += per) {
      const n = Math.min(per, blocks - done);
      for (const [ep, at] of [[a, ba], [b, bb]] as const) {
        if (ep.kind === 'sg') this.io(ep, false, done, n, at, 0);
        else this.fileRead(ep, done * bs, at, n * bs);
      }
      const x = this.u.task.mem.read(ba, n * bs);
      const y = this.u.task.mem.read(bb, n * bs);
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return done * bs + i;
    }
    return null;
  }
}

/** Run sg-dd; errors come back as status 1 with a message line. */
export function sgDd(o: SgDdOptions): SgDdResult {
  if (!Number.isSafeInteger(o.bs) || o.bs <= 0 || o.bs % 512 !== 0) {
    return { status: 1, lines: [`sg-dd: bs=${o.bs}: must be a positive multiple of 512`], blocks: 0, bytes: 0, seconds: 0, dioIncomplete: 0 };
  }
  if (!Number.isSafeInteger(o.bpt) || o.bpt <= 0) {
    return { status: 1, lines: [`sg-dd: bpt=${o.bpt}: must be a positive integer`], blocks: 0, bytes: 0, seconds: 0, dioIncomplete: 0 };
  }
  try {
    return new Copier(o).run();
  } catch (e) {
    return { status: 1, lines: [`sg-dd: ${e instanceof Error ? e.message : String(e)}`], blocks: 0, bytes: 0, seconds: 0, dioIncomplete: 0 };
  }
}

/** dd-style operands (`if=... of=... bs=512 ...`) to options. */
export function parseDdOperands(args: readonly string[]): SgDdOptions {
  const kv = new Map<string, string>();
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new Error(`bad operand "${a}" (expected NAME=VALUE)`);
    const k = a.slice(0, i);
    if (!['if', 'of', 'bs', 'bpt', 'count', 'mmap', 'dio', 'verify'].includes(k)) throw new Error(`unknown operand "${k}"`);
    kv.set(k, a.slice(i + 1));
  }
  const flag = (k: string): boolean => {
    const v = kv.get(k) ?? '0';
    if (v !== '0' && v !== '1') throw new Error(`${k}=${v}: expected 0 or 1`);
    return v === '1';
  };
  const int = (k: string, dflt: number): number => {
    const v = kv.get(k);
    if (v === undefined) return dflt;
    const n = parseSize(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${k}=${v}: expected a positive number`);
    return n;
  };
  const iff = kv.get('if');
  const off = kv.get('of');
  if (iff === undefined || off === undefined) throw new Error('if= and of= are required');
  const bs = int('bs', 512);
  return {
    if: iff, of: off, bs, bpt: int('bpt', bs >= 2048 ? 32 : 128),
    count: kv.has('count') ? int('count', 0) : undefined,
    mmap: flag('mmap'), dio: flag('dio'), verify: flag('verify'),
  };
}

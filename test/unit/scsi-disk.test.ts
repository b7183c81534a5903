/**
 * The simulated SCSI disk (src/scsi): every command of spec/sg.md §5.4, every error and sense
 * row of §5.2-§5.3 and checklist item 12 of §6, with exact sense bytes, residuals and data.
 * Property tests: random CDBs never throw and always answer well-formed; random READ/WRITE
 * sequences agree with a flat byte-array model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as S from '../../src/abi/scsi.js';
import { type BlockStore, PatternStore, RamStore, patternBytes } from '../../src/scsi/store.js';
import { ScsiDisk, type ScsiDiskOptions } from '../../src/scsi/disk.js';
import type { DataDirection, ScsiResponse } from '../../src/scsi/request.js';
import { describeSense, parseSense, senseInvalidField } from '../../src/scsi/sense.js';
import { sglLength } from '../../src/scsi/sglist.js';

// ---- helpers ------------------------------------------------------------------------------------

const hex = (b: Uint8Array | null): string =>
  b === null ? 'null' : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const SENTINEL = 0xee;

/** Expected fixed sense: 18 bytes, optional VALID + INFORMATION and SKS bytes 15-17. */
function fixed(key: number, asc: number, ascq: number, o: { info?: number; sks?: [number, number, number] } = {}): string {
  const s = new Uint8Array(18);
  s[0] = 0x70;
  s[2] = key;
  s[7] = 0x0a;
  s[12] = asc;
  s[13] = ascq;
  if (o.info !== undefined) {
    s[0] |= 0x80;
    new DataView(s.buffer).setUint32(3, o.info);
  }
  if (o.sks) s.set(o.sks, 15);
  return hex(s);
}

function cdb6(op: number, lba = 0, len = 0, b1 = 0): Uint8Array {
  return Uint8Array.of(op, b1 | ((lba >> 16) & 0x1f), (lba >> 8) & 0xff, lba & 0xff, len, 0);
}
function cdb10(op: number, lba: number, len: number, b1 = 0): Uint8Array {
  const c = new Uint8Array(10);
  const v = new DataView(c.buffer);
  c[0] = op;
  c[1] = b1;
  v.setUint32(2, lba);
  v.setUint16(7, len);
  return c;
}
function cdb12(op: number, lba: number, len: number): Uint8Array {
  const c = new Uint8Array(12);
  const v = new DataView(c.buffer);
  c[0] = op;
  v.setUint32(2, lba);
  v.setUint32(6, len);
  return c;
}
function cdb16(op: number, lba: bigint | number, len: number, b1 = 0): Uint8Array {
  const c = new Uint8Array(16);
  const v = new DataView(c.buffer);
  c[0] = op;
  c[1] = b1;
  v.setBigUint64(2, BigInt(lba));
  v.setUint32(10, len);
  return c;
}
const inquiryCdb = (b1: number, page: number, alloc: number) => Uint8Array.of(S.INQUIRY, b1, page, alloc >> 8, alloc & 0xff, 0);
const modeSenseCdb = (b1: number, b2: number, sub: number, alloc: number) => Uint8Array.of(S.MODE_SENSE_6, b1, b2, sub, alloc, 0);
const requestSenseCdb = (desc: boolean, alloc: number) => Uint8Array.of(S.REQUEST_SENSE, desc ? 1 : 0, 0, 0, alloc, 0);
const tur = () => new Uint8Array(6);
const startStop = (b4: number, b1 = 0) => Uint8Array.of(S.START_STOP_UNIT, b1, 0, 0, b4, 0);
function reportLunsCdb(select: number, alloc: number): Uint8Array {
  const c = new Uint8Array(12);
  c[0] = S.REPORT_LUNS;
  c[2] = select;
  new DataView(c.buffer).setUint32(6, alloc);
  return c;
}
function rc16Cdb(alloc: number, sa = S.SAI_READ_CAPACITY_16): Uint8Array {
  const c = new Uint8Array(16);
  c[0] = S.SERVICE_ACTION_IN_16;
  c[1] = sa;
  new DataView(c.buffer).setUint32(10, alloc);
  return c;
}
function readBufferCdb(mode: number, id: number, offset: number, alloc: number): Uint8Array {
  return Uint8Array.of(S.READ_BUFFER, mode, id, offset >> 16, (offset >> 8) & 0xff, offset & 0xff, alloc >> 16, (alloc >> 8) & 0xff, alloc & 0xff, 0);
}

interface Io {
  r: ScsiResponse;
  /** The data buffer after the command, segments concatenated. */
  buf: Uint8Array;
}

/**
 * Runs one command. `buffer`: a byte count (one segment), a list of segment sizes, or the
 * segments themselves. Data-in segments start filled with SENTINEL.
 */
function io(d: ScsiDisk, cdb: Uint8Array, direction: DataDirection = 'none', buffer: number | number[] | Uint8Array[] = 0, lun?: number): Io {
  let segs: Uint8Array[];
  if (typeof buffer === 'number') segs = buffer > 0 ? [new Uint8Array(buffer).fill(SENTINEL)] : [];
  else if (buffer.length > 0 && buffer[0] instanceof Uint8Array) segs = buffer as Uint8Array[];
  else segs = (buffer as number[]).map((n) => new Uint8Array(n).fill(SENTINEL));
  const r = d.execute({ cdb, direction, data: segs, lun });
  const buf = new Uint8Array(sglLength(segs));
  let at = 0;
  for (const s of segs) {
    buf.set(s, at);
    at += s.length;
  }
  return { r, buf };
}

function expectGood(r: ScsiResponse, resid = 0): void {
  expect({ status: r.status, host: r.host, sense: hex(r.sense), resid: r.resid }).toEqual({ status: 0, host: 0, sense: 'null', resid });
}
function expectCheck(r: ScsiResponse, sense: string, resid = 0): void {
  expect({ status: r.status, host: r.host, sense: hex(r.sense), resid: r.resid }).toEqual({ status: 2, host: 0, sense, resid });
}
function expectHost(r: ScsiResponse, host: number, resid = 0): void {
  expect({ status: r.status, host: r.host, sense: r.sense, resid: r.resid }).toEqual({ status: 0, host, sense: null, resid });
}

/** Writes `data` at `lba` with WRITE(10). */
function writeBlocks(d: ScsiDisk, lba: number, data: Uint8Array): ScsiResponse {
  return d.execute({ cdb: cdb10(S.WRITE_10, lba, data.length / d.blockSize), direction: 'out', data: [data] });
}
function readBlocks(d: ScsiDisk, lba: number, n: number): Uint8Array {
  const { r, buf } = io(d, cdb10(S.READ_10, lba, n), 'in', n * d.blockSize);
  expectGood(r);
  return buf;
}
function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const ILLEGAL = S.ILLEGAL_REQUEST;
const INVALID_OPCODE = fixed(ILLEGAL, 0x20, 0x00);
const LBA_OUT_OF_RANGE = fixed(ILLEGAL, 0x21, 0x00);
const NOT_READY_INIT = fixed(S.NOT_READY, 0x04, 0x02);

// ---- construction -----------------------------------------------------------------------------

describe('ScsiDisk construction', () => {
  it('has the spec §5.1 defaults', () => {
    const d = new ScsiDisk();
    expect([d.blocks, d.blockSize, d.store.size, d.vendor, d.product, d.revision]).toEqual([
      16384, 512, 8 << 20, 'VMSPACE ', 'RAM DISK        ', '0001',
    ]);
    expect([d.writeProtected, d.luns, d.readBufferSize, d.turMsToReady, d.unitState()]).toEqual([false, 1, 1 << 20, 0, 'ready']);
    expect(d.pendingUnitAttentions()).toEqual([]);
    expect(d.store).toBeInstanceOf(RamStore);
  });

  it('refuses bad options with RangeError', () => {
    const bad: ScsiDiskOptions[] = [
      { blocks: 0 },
      { blocks: 2 ** 40 + 1 },
      { blocks: 1.5 },
      { blockSize: 520 },
      { blockSize: 8192 },
      { blocks: 8, store: new RamStore(8 * 512 - 1) },
      { vendor: 'TOO LONG VENDOR' },
      { product: 'é' },
      { revision: '12345' },
      { luns: 0 },
      { luns: 257 },
      { readBufferSize: 0x1000000 },
      { mediumErrors: [{ lba: -1, count: 1 }] },
      { turMsToReady: -1 },
    ];
    for (const o of bad) expect(() => new ScsiDisk(o), JSON.stringify(o)).toThrow(RangeError);
  });

  it('takes a 2^40-block disk and a store larger than the capacity', () => {
    expect(new ScsiDisk({ blocks: 2 ** 40 }).store.size).toBe(2 ** 49);
    expect(new ScsiDisk({ blocks: 8, store: new RamStore(1 << 20) }).blocks).toBe(8);
  });
});

// ---- dispatch order (§5.2) -----------------------------------------------------------------------

describe('dispatch (§5.2)', () => {
  it('unknown opcode: ILLEGAL REQUEST 20/00, no field pointer, resid 0 (checklist 12)', () => {
    const d = new ScsiDisk();
    for (const op of [0x01, 0x04, 0x15, 0x2f, 0x3b, 0x41, 0x5a, 0x7f, 0x8f, 0xa3, 0xc0, 0xff]) {
      const c = new Uint8Array(10);
      c[0] = op;
      expectCheck(io(d, c, 'in', 512).r, INVALID_OPCODE);
    }
    expect(hex(d.execute({ cdb: Uint8Array.of(0x01, 0, 0, 0, 0, 0), direction: 'none', data: [] }).sense)).toBe(
      '70 00 05 00 00 00 00 0a 00 00 00 00 20 00 00 00 00 00',
    );
  });

  it('LUN not present: host DID_NO_CONNECT, status 0, no sense', () => {
    const d = new ScsiDisk({ luns: 2 });
    for (const lun of [2, 3, 255, -1, 0.5, 0xc100]) expectHost(io(d, tur(), 'none', 0, lun).r, S.DID_NO_CONNECT);
    expectGood(io(d, tur(), 'none', 0, 1).r);
    expectGood(io(d, tur(), 'none', 0, S.SCSI_W_LUN_REPORT_LUNS).r);
  });

  it('LUN check comes before the opcode check', () => {
    expectHost(io(new ScsiDisk(), Uint8Array.of(0xff, 0, 0, 0, 0, 0), 'none', 0, 1).r, S.DID_NO_CONNECT);
  });

  it('unsupported service action of SERVICE ACTION IN(16): 24/00 pointing at byte 1 bit 4', () => {
    const d = new ScsiDisk();
    for (const sa of [0x00, 0x11, 0x12, 0x16, 0x1f]) {
      expectCheck(io(d, rc16Cdb(32, sa), 'in', 32).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xcc, 0x00, 0x01] }));
    }
    // Bits 7-5 of byte 1 are not part of the service action.
    expectGood(io(d, rc16Cdb(32, 0xf0), 'in', 32).r);
  });

  it('unit attention: reported once, then cleared (POWER ON OCCURRED 29/01)', () => {
    const d = new ScsiDisk({ unitAttention: true });
    expect(d.pendingUnitAttentions()).toEqual(['power-on-occurred']);
    expectCheck(io(d, tur()).r, '70 00 06 00 00 00 00 0a 00 00 00 00 29 01 00 00 00 00');
    expectGood(io(d, tur()).r);
    expect(d.pendingUnitAttentions()).toEqual([]);
  });

  it('INQUIRY, REPORT LUNS and REQUEST SENSE bypass a pending UA and leave it pending (Q6)', () => {
    const d = new ScsiDisk({ unitAttention: true });
    expectGood(io(d, inquiryCdb(0, 0, 96), 'in', 96).r);
    expectGood(io(d, reportLunsCdb(0, 16), 'in', 16).r);
    const rs = io(d, requestSenseCdb(false, 18), 'in', 18);
    expectGood(rs.r);
    expect(hex(rs.buf)).toBe('70 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00');
    expect(d.pendingUnitAttentions()).toEqual(['power-on-occurred']);
    // Every other command reports it: READ CAPACITY, MODE SENSE, START STOP UNIT, READ BUFFER, READ.
    const others = [
      cdb10(S.READ_CAPACITY_10, 0, 0),
      modeSenseCdb(0, 0x3f, 0, 255),
      startStop(1),
      readBufferCdb(3, 0, 0, 4),
      cdb10(S.READ_10, 0, 1),
      cdb10(S.WRITE_10, 0, 0),
      cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0),
      rc16Cdb(32),
    ];
    for (const cdb of others) {
      d.raiseUnitAttention('power-on-occurred');
      expectCheck(io(d, cdb, 'in', 0).r, fixed(S.UNIT_ATTENTION, 0x29, 0x01));
    }
  });

  it('unit attentions come out highest priority first, one per command', () => {
    const d = new ScsiDisk();
    d.raiseUnitAttention('capacity-changed');
    d.raiseUnitAttention('mode-parameters-changed');
    d.resetLun();
    d.raiseUnitAttention('bus-reset');
    expect(d.pendingUnitAttentions()).toEqual(['power-on-reset', 'bus-reset', 'mode-parameters-changed', 'capacity-changed']);
    const got = [0, 1, 2, 3].map(() => {
      const s = parseSense(io(d, tur()).r.sense!)!;
      return [s.key, s.asc, s.ascq];
    });
    expect(got).toEqual([[6, 0x29, 0x00], [6, 0x29, 0x02], [6, 0x2a, 0x01], [6, 0x2a, 0x09]]);
    expectGood(io(d, tur()).r);
  });

  it('unit attentions are per LU', () => {
    const d = new ScsiDisk({ luns: 2 });
    d.raiseUnitAttention('bus-reset', 1);
    expectGood(io(d, tur(), 'none', 0, 0).r);
    expectCheck(io(d, tur(), 'none', 0, 1).r, fixed(6, 0x29, 0x02));
    expect(() => d.raiseUnitAttention('bus-reset', 2)).toThrow(RangeError);
  });

  it('unknown opcode is reported before a pending UA, which stays pending', () => {
    const d = new ScsiDisk({ unitAttention: true });
    expectCheck(io(d, Uint8Array.of(0x02, 0, 0, 0, 0, 0)).r, INVALID_OPCODE);
    expectCheck(io(d, tur()).r, fixed(6, 0x29, 0x01));
  });

  it('a UA is reported before NOT READY', () => {
    const d = new ScsiDisk({ unitAttention: true });
    expectCheck(io(d, startStop(0)).r, fixed(6, 0x29, 0x01));
    expectGood(io(d, startStop(0)).r);
    d.raiseUnitAttention('power-on-reset');
    expectCheck(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r, fixed(6, 0x29, 0x00));
    expectCheck(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r, NOT_READY_INIT);
  });

  it('a CDB shorter than its opcode reads as zero-padded; a longer one is cut at 32 bytes', () => {
    const d = new ScsiDisk();
    // READ(10) in 6 bytes: LBA from bytes 2-5 = 0, length bytes 7-8 = 0 ⇒ GOOD, nothing moved.
    expectGood(io(d, Uint8Array.of(S.READ_10, 0, 0, 0, 0, 0), 'in', 512).r, 512);
    const long = new Uint8Array(40);
    long.set(cdb10(S.READ_10, 1, 1));
    long.fill(0xff, 32);
    expectGood(io(d, long, 'in', 512).r);
    expectCheck(io(d, new Uint8Array(0)).r, INVALID_OPCODE);
  });
});

// ---- data direction and residuals (§5.2) ----------------------------------------------------------

describe('data direction and resid (§5.2)', () => {
  it('READ with a data-out buffer: host DID_ERROR, status 0, nothing moved (checklist 12)', () => {
    const d = new ScsiDisk({ store: new PatternStore(16384 * 512) });
    const { r, buf } = io(d, cdb10(S.READ_10, 0, 1), 'out', 512);
    expectHost(r, S.DID_ERROR);
    expect(buf.every((b) => b === SENTINEL)).toBe(true);
  });

  it('data-in commands with a data-out buffer all fail with DID_ERROR', () => {
    const d = new ScsiDisk();
    const cdbs = [
      inquiryCdb(0, 0, 96),
      requestSenseCdb(false, 18),
      cdb10(S.READ_CAPACITY_10, 0, 0),
      rc16Cdb(32),
      modeSenseCdb(0, 0x3f, 0, 255),
      reportLunsCdb(0, 16),
      readBufferCdb(2, 0, 0, 16),
      cdb6(S.READ_6, 0, 1),
      cdb16(S.READ_16, 0, 1),
      cdb12(S.READ_12, 0, 1),
    ];
    for (const c of cdbs) {
      const { r, buf } = io(d, c, 'out', 512);
      expectHost(r, S.DID_ERROR);
      expect(buf.every((b) => b === SENTINEL)).toBe(true);
    }
  });

  it('WRITE with a data-in buffer: DID_ERROR and the medium is unchanged', () => {
    const d = new ScsiDisk();
    expectHost(io(d, cdb10(S.WRITE_10, 0, 1), 'in', 512).r, S.DID_ERROR);
    expect(readBlocks(d, 0, 1).every((b) => b === 0)).toBe(true);
    expectHost(d.execute({ cdb: cdb10(S.WRITE_10, 0, 1), direction: 'none', data: [new Uint8Array(512).fill(1)] }), S.DID_ERROR);
    expect(readBlocks(d, 0, 1).every((b) => b === 0)).toBe(true);
  });

  it('a data buffer with direction none is not a data-in buffer', () => {
    expectHost(io(new ScsiDisk(), cdb10(S.READ_10, 0, 1), 'none', 512).r, S.DID_ERROR);
  });

  it('dxfer_len 0: the command runs, nothing moves, GOOD, resid 0', () => {
    const d = new ScsiDisk();
    expectGood(io(d, cdb10(S.READ_10, 0, 8), 'in', 0).r);
    expectGood(io(d, cdb10(S.WRITE_10, 0, 8), 'out', 0).r);
    expectGood(io(d, inquiryCdb(0, 0, 96), 'out', 0).r);
    expect(readBlocks(d, 0, 8).every((b) => b === 0)).toBe(true);
  });

  it('range check comes before the direction check', () => {
    expectCheck(io(new ScsiDisk(), cdb10(S.READ_10, 16384, 1), 'out', 512).r, LBA_OUT_OF_RANGE);
  });

  it('commands without a data phase ignore whatever buffer comes with them', () => {
    const d = new ScsiDisk();
    expectGood(io(d, tur(), 'in', 512).r);
    expectGood(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0), 'out', 512).r);
    expectGood(io(d, startStop(1), 'in', 64).r);
  });

  it('data-in: resid = dxfer_len − bytes copied; a short buffer truncates silently', () => {
    const d = new ScsiDisk({ store: new PatternStore(16384 * 512) });
    const long = io(d, cdb10(S.READ_10, 7, 1), 'in', 4096);
    expectGood(long.r, 3584);
    expect(hex(long.buf.subarray(0, 512))).toBe(hex(patternBytes(7 * 512, 512)));
    expect(long.buf.subarray(512).every((b) => b === SENTINEL)).toBe(true);
    const short = io(d, cdb10(S.READ_10, 7, 8), 'in', 1000);
    expectGood(short.r, 0);
    expect(hex(short.buf)).toBe(hex(patternBytes(7 * 512, 1000)));
    const inq = io(d, inquiryCdb(0, 0, 96), 'in', 20);
    expectGood(inq.r, 0);
    expect(inq.buf[2]).toBe(7);
  });

  it('READ(10) with transfer length 0 moves nothing: resid = dxfer_len', () => {
    expectGood(io(new ScsiDisk(), cdb10(S.READ_10, 5, 0), 'in', 512).r, 512);
  });

  it('WRITE stores min(blocks × block size, dxfer_len) bytes; resid 0', () => {
    const d = new ScsiDisk();
    const data = randomBytes(700, 1);
    expectGood(d.execute({ cdb: cdb10(S.WRITE_10, 2, 4), direction: 'out', data: [data] }));
    const back = readBlocks(d, 2, 4);
    expect(hex(back.subarray(0, 700))).toBe(hex(data));
    expect(back.subarray(700).every((b) => b === 0)).toBe(true);
    const more = randomBytes(1024, 2);
    expectGood(d.execute({ cdb: cdb10(S.WRITE_10, 10, 1), direction: 'out', data: [more] }));
    expect(hex(readBlocks(d, 10, 2))).toBe(hex(Uint8Array.from([...more.subarray(0, 512), ...new Uint8Array(512)])));
  });
});

// ---- READ / WRITE (§5.4.6, §5.4.7) --------------------------------------------------------------

describe('READ and WRITE', () => {
  it('READ(10) beyond capacity: the §1.7 worked example', () => {
    const { r, buf } = io(new ScsiDisk(), cdb10(S.READ_10, 16384, 1), 'in', 512);
    expect(r).toEqual({ status: 0x02, host: 0, sense: expect.any(Uint8Array), resid: 0 });
    expect(hex(r.sense)).toBe('70 00 05 00 00 00 00 0a 00 00 00 00 21 00 00 00 00 00');
    expect(buf.every((b) => b === SENTINEL)).toBe(true);
    expect(describeSense(r.sense!)).toBe('Illegal Request: Logical block address out of range');
  });

  it('LBA + length > capacity ⇒ 21/00; LBA == capacity with length 0 is accepted', () => {
    const d = new ScsiDisk();
    expectGood(io(d, cdb10(S.READ_10, 16384, 0), 'in', 512).r, 512);
    expectGood(io(d, cdb10(S.WRITE_10, 16384, 0), 'out', 512).r);
    expectCheck(io(d, cdb10(S.READ_10, 16385, 0), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb10(S.READ_10, 16383, 2), 'in', 1024).r, LBA_OUT_OF_RANGE);
    expectGood(io(d, cdb10(S.READ_10, 16383, 1), 'in', 512).r);
    expectCheck(io(d, cdb10(S.WRITE_10, 16383, 2), 'out', 1024).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb12(S.READ_12, 0, 16385), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb12(S.WRITE_12, 0xffffffff, 1), 'out', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb16(S.READ_16, 0xffffffffffffffffn, 1), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb16(S.READ_16, 0, 0xffffffff), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb16(S.WRITE_16, 2n ** 53n, 0), 'out', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb6(S.WRITE_6, 0x1fffff, 1), 'out', 512).r, LBA_OUT_OF_RANGE);
  });

  it('READ(6)/WRITE(6): 21-bit LBA, length 0 means 256 blocks', () => {
    const d = new ScsiDisk({ store: new PatternStore(16384 * 512) });
    const r = io(d, cdb6(S.READ_6, 16384 - 256, 0), 'in', 256 * 512);
    expectGood(r.r);
    expect(hex(r.buf)).toBe(hex(patternBytes((16384 - 256) * 512, 256 * 512)));
    expectCheck(io(d, cdb6(S.READ_6, 16384 - 255, 0), 'in', 512).r, LBA_OUT_OF_RANGE);
    // Bits 7-5 of byte 1 are not LBA bits.
    const data = randomBytes(512, 3);
    const c = cdb6(S.WRITE_6, 0x10203 & 0x1fff, 1, 0xe0);
    expectGood(d.execute({ cdb: c, direction: 'out', data: [data] }));
    expect(hex(readBlocks(d, 0x10203 & 0x1fff, 1))).toBe(hex(data));
  });

  it('all READ/WRITE sizes address the same blocks', () => {
    const d = new ScsiDisk();
    const lba = 300;
    const writes = [cdb6(S.WRITE_6, lba, 2), cdb10(S.WRITE_10, lba, 2), cdb12(S.WRITE_12, lba, 2), cdb16(S.WRITE_16, lba, 2)];
    const reads = [cdb6(S.READ_6, lba, 2), cdb10(S.READ_10, lba, 2), cdb12(S.READ_12, lba, 2), cdb16(S.READ_16, lba, 2)];
    writes.forEach((w, i) => {
      const data = randomBytes(1024, 10 + i);
      expectGood(d.execute({ cdb: w, direction: 'out', data: [data] }));
      for (const rd of reads) {
        const r = io(d, rd, 'in', 1024);
        expectGood(r.r);
        expect(hex(r.buf)).toBe(hex(data));
      }
    });
  });

  it('DPO/FUA bits are accepted without effect', () => {
    const d = new ScsiDisk();
    const data = randomBytes(512, 4);
    expectGood(d.execute({ cdb: cdb10(S.WRITE_10, 9, 1, 0x18), direction: 'out', data: [data] }));
    const r = io(d, cdb10(S.READ_10, 9, 1, 0x18), 'in', 512);
    expectGood(r.r);
    expect(hex(r.buf)).toBe(hex(data));
  });

  it('round trip across odd segment boundaries, 512- and 4096-byte blocks', () => {
    for (const bs of [512, 4096]) {
      const d = new ScsiDisk({ blockSize: bs, blocks: 64 });
      const n = 4 * bs;
      const data = randomBytes(n, bs);
      const wsizes = [3, 509, 1000, 1, bs === 512 ? 535 : n - 1513];
      const wsegs: Uint8Array[] = [];
      let at = 0;
      for (const s of wsizes) {
        wsegs.push(data.slice(at, at + s));
        at += s;
      }
      expect(at).toBe(n);
      expectGood(d.execute({ cdb: cdb16(S.WRITE_16, 5, 4), direction: 'out', data: wsegs }));
      const r = io(d, cdb16(S.READ_16, 5, 4), 'in', bs === 512 ? [7, 1000, 1, n - 1008] : [7, 4093, 1, n - 4101]);
      expectGood(r.r);
      expect(hex(r.buf)).toBe(hex(data));
      // Neighbours untouched.
      expect(readBlocks(d, 4, 1).every((b) => b === 0)).toBe(true);
      expect(readBlocks(d, 9, 1).every((b) => b === 0)).toBe(true);
    }
  });

  it('READ into 4096-byte page views of one frame pool (the sg reserve shape)', () => {
    const d = new ScsiDisk({ store: new PatternStore(16384 * 512) });
    const pool = new Uint8Array(64 * 4096).fill(SENTINEL);
    const segs = Array.from({ length: 16 }, (_, i) => pool.subarray((i * 3 % 64) * 4096, (i * 3 % 64) * 4096 + 4096));
    const r = d.execute({ cdb: cdb10(S.READ_10, 1000, 128), direction: 'in', data: segs });
    expectGood(r);
    const want = patternBytes(1000 * 512, 65536);
    segs.forEach((s, i) => expect(hex(s), `segment ${i}`).toBe(hex(want.subarray(i * 4096, i * 4096 + 4096))));
  });

  it('16-byte CDBs beyond 2^32 on a sparse 2^40-block disk', () => {
    const d = new ScsiDisk({ blocks: 2 ** 40 });
    const store = d.store as RamStore;
    const lbas = [2 ** 32 + 5, 2 ** 32 - 1, 2 ** 40 - 1, 0x123456789a];
    lbas.forEach((lba, i) => {
      const data = randomBytes(512, 100 + i);
      expectGood(d.execute({ cdb: cdb16(S.WRITE_16, lba, 1), direction: 'out', data: [data] }));
      const r = io(d, cdb16(S.READ_16, lba, 1), 'in', 512);
      expectGood(r.r);
      expect(hex(r.buf)).toBe(hex(data));
    });
    // The LBAs as 32-bit numbers hold nothing.
    expect(readBlocks(d, 5, 1).every((b) => b === 0)).toBe(true);
    expectCheck(io(d, cdb16(S.READ_16, 2 ** 40, 1), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb16(S.READ_16, 2 ** 40 - 1, 2), 'in', 1024).r, LBA_OUT_OF_RANGE);
    expectGood(io(d, cdb16(S.READ_16, 2 ** 40, 0), 'in', 512).r, 512);
    expect(store.allocatedChunks).toBe(4);
    expect(store.allocatedBytes).toBe(4 << 20);
  });

  it('write protect: WRITE ⇒ DATA PROTECT 27/02; READ works; range check comes first', () => {
    const d = new ScsiDisk({ writeProtected: true });
    for (const c of [cdb6(S.WRITE_6, 0, 1), cdb10(S.WRITE_10, 0, 1), cdb12(S.WRITE_12, 0, 1), cdb16(S.WRITE_16, 0, 1)]) {
      expectCheck(io(d, c, 'out', 512).r, '70 00 07 00 00 00 00 0a 00 00 00 00 27 02 00 00 00 00');
    }
    expectCheck(io(d, cdb10(S.WRITE_10, 0, 0), 'out', 0).r, fixed(7, 0x27, 0x02));
    expectCheck(io(d, cdb10(S.WRITE_10, 16384, 1), 'out', 512).r, LBA_OUT_OF_RANGE);
    expectGood(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r);
    expect(describeSense(io(d, cdb10(S.WRITE_10, 0, 1), 'out', 512).r.sense!)).toBe(
      'Data Protect: Logical unit software write protected',
    );
  });
});

describe('injected medium errors (§5.3, checklist 12)', () => {
  const disk = () => new ScsiDisk({ mediumErrors: [{ lba: 100, count: 10 }] });

  it('READ overlapping a bad range: 03/11/00, VALID + INFORMATION = first bad LBA, resid = dxfer_len', () => {
    const d = disk();
    const { r, buf } = io(d, cdb10(S.READ_10, 95, 10), 'in', 5120);
    expectCheck(r, 'f0 00 03 00 00 00 64 0a 00 00 00 00 11 00 00 00 00 00', 5120);
    expect(buf.every((b) => b === SENTINEL)).toBe(true);
    expectCheck(io(d, cdb10(S.READ_10, 105, 1), 'in', 512).r, fixed(3, 0x11, 0, { info: 105 }), 512);
    expectCheck(io(d, cdb10(S.READ_10, 109, 100), 'in', 4096).r, fixed(3, 0x11, 0, { info: 109 }), 4096);
    expect(describeSense(io(d, cdb10(S.READ_10, 109, 1), 'in', 512).r.sense!)).toBe(
      'Medium Error: Unrecovered read error (info 0x6d)',
    );
  });

  it('READs next to the range, and WRITEs over it, succeed', () => {
    const d = disk();
    expectGood(io(d, cdb10(S.READ_10, 90, 10), 'in', 5120).r);
    expectGood(io(d, cdb10(S.READ_10, 110, 10), 'in', 5120).r);
    expectGood(io(d, cdb10(S.WRITE_10, 100, 10), 'out', 5120).r);
  });

  it('several ranges: the lowest bad LBA of the READ is reported', () => {
    const d = new ScsiDisk({ mediumErrors: [{ lba: 300, count: 1 }, { lba: 200, count: 5 }, { lba: 50, count: 0 }] });
    expectCheck(io(d, cdb10(S.READ_10, 150, 200), 'in', 512).r, fixed(3, 0x11, 0, { info: 200 }), 512);
    expectCheck(io(d, cdb10(S.READ_10, 250, 100), 'in', 512).r, fixed(3, 0x11, 0, { info: 300 }), 512);
    expectGood(io(d, cdb10(S.READ_10, 40, 20), 'in', 512).r);
  });

  it('checked after the range check, before the data phase (scsi_debug order)', () => {
    const d = disk();
    expectCheck(io(d, cdb10(S.READ_10, 100, 16285), 'in', 512).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb10(S.READ_10, 100, 1), 'out', 512).r, fixed(3, 0x11, 0, { info: 100 }), 512);
    expectCheck(io(d, cdb10(S.READ_10, 100, 1), 'none', 0).r, fixed(3, 0x11, 0, { info: 100 }), 0);
    // scsi_debug's overlap test also catches a 0-block READ strictly inside the range.
    expectCheck(io(d, cdb10(S.READ_10, 105, 0), 'in', 512).r, fixed(3, 0x11, 0, { info: 105 }), 512);
    expectGood(io(d, cdb10(S.READ_10, 100, 0), 'in', 512).r, 512);
  });

  it('a bad LBA past 2^32 keeps its low 32 bits with VALID clear (scsi_set_sense_information)', () => {
    const d = new ScsiDisk({ blocks: 2 ** 40, mediumErrors: [{ lba: 2 ** 32 + 7, count: 1 }] });
    const { r } = io(d, cdb16(S.READ_16, 2 ** 32, 16), 'in', 512);
    expectCheck(r, '70 00 03 00 00 00 07 0a 00 00 00 00 11 00 00 00 00 00', 512);
  });
});

describe('store failures become MEDIUM ERROR', () => {
  class Failing extends RamStore {
    override read(): void {
      throw new Error('EIO');
    }
    override write(): void {
      throw new Error('EIO');
    }
    flush(): void {
      throw new Error('EIO');
    }
  }
  it('read ⇒ 03/11/00 (resid dxfer_len), write and flush ⇒ 03/0C/00', () => {
    const d = new ScsiDisk({ blocks: 16, store: new Failing(16 * 512) });
    expectCheck(io(d, cdb10(S.READ_10, 0, 2), 'in', 1024).r, fixed(3, 0x11, 0), 1024);
    expectCheck(io(d, cdb10(S.WRITE_10, 0, 2), 'out', 1024).r, fixed(3, 0x0c, 0));
    expectCheck(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0)).r, fixed(3, 0x0c, 0));
    expectCheck(io(d, cdb16(S.SYNCHRONIZE_CACHE_16, 0, 0)).r, fixed(3, 0x0c, 0));
  });
});

// ---- SYNCHRONIZE CACHE (§5.4.9) ----------------------------------------------------------------

describe('SYNCHRONIZE CACHE(10) and (16)', () => {
  it('GOOD within the capacity, 21/00 past it; flushes the store', () => {
    let flushes = 0;
    const store: BlockStore = Object.assign(new RamStore(16384 * 512), { flush: () => void flushes++ });
    const d = new ScsiDisk({ store });
    expectGood(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0)).r);
    expectGood(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 16000, 384, 0x02)).r);
    expectGood(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 16384, 0)).r);
    expectCheck(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 16000, 385)).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb10(S.SYNCHRONIZE_CACHE_10, 16385, 0)).r, LBA_OUT_OF_RANGE);
    expectGood(io(d, cdb16(S.SYNCHRONIZE_CACHE_16, 0, 16384)).r);
    expectCheck(io(d, cdb16(S.SYNCHRONIZE_CACHE_16, 2n ** 63n, 0)).r, LBA_OUT_OF_RANGE);
    expectCheck(io(d, cdb16(S.SYNCHRONIZE_CACHE_16, 0, 16385)).r, LBA_OUT_OF_RANGE);
    expect(flushes).toBe(4);
  });
});

// ---- START STOP UNIT, NOT READY (§5.2 step 6, §5.4.11) ----------------------------------------------

describe('START STOP UNIT and NOT READY', () => {
  it('a stopped unit refuses TUR and medium commands with 02/04/02; others still work', () => {
    const d = new ScsiDisk();
    expectGood(io(d, startStop(0x00)).r);
    expect([d.unitState(), d.isStopped()]).toEqual(['stopped', true]);
    expectCheck(io(d, tur()).r, '70 00 02 00 00 00 00 0a 00 00 00 00 04 02 00 00 00 00');
    const media = [
      cdb6(S.READ_6, 0, 1),
      cdb10(S.READ_10, 0, 1),
      cdb12(S.READ_12, 0, 1),
      cdb16(S.READ_16, 0, 1),
      cdb6(S.WRITE_6, 0, 1),
      cdb10(S.WRITE_10, 0, 1),
      cdb12(S.WRITE_12, 0, 1),
      cdb16(S.WRITE_16, 0, 1),
      cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0),
      cdb16(S.SYNCHRONIZE_CACHE_16, 0, 0),
    ];
    for (const c of media) expectCheck(io(d, c, 'in', 512).r, NOT_READY_INIT);
    // NOT READY comes before the range check.
    expectCheck(io(d, cdb10(S.READ_10, 99999, 1), 'in', 512).r, NOT_READY_INIT);
    expectGood(io(d, cdb10(S.READ_CAPACITY_10, 0, 0), 'in', 8).r);
    expectGood(io(d, rc16Cdb(32), 'in', 32).r);
    expectGood(io(d, inquiryCdb(0, 0, 96), 'in', 96).r);
    expectGood(io(d, modeSenseCdb(0, 0x3f, 0, 255), 'in', 255).r, 255 - 44);
    expectGood(io(d, reportLunsCdb(0, 16), 'in', 16).r);
    expectGood(io(d, readBufferCdb(3, 0, 0, 4), 'in', 4).r);
    const rs = io(d, requestSenseCdb(false, 18), 'in', 18);
    expectGood(rs.r);
    expect(hex(rs.buf)).toBe('70 00 02 00 00 00 00 0a 00 00 00 00 04 02 00 00 00 00');
    const rsd = io(d, requestSenseCdb(true, 255), 'in', 255);
    expectGood(rsd.r, 247);
    expect(hex(rsd.buf.subarray(0, 8))).toBe('72 02 04 02 00 00 00 00');
    // STOP again is fine; START (IMMED or not) readies it.
    expectGood(io(d, startStop(0x00, 0x01)).r);
    expectGood(io(d, startStop(0x01, 0x01)).r);
    expect(d.unitState()).toBe('ready');
    expectGood(io(d, tur()).r);
    expectGood(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r);
  });

  it('POWER CONDITION ≠ 0 ⇒ 24/00 at byte 4 bit 7, state unchanged', () => {
    const d = new ScsiDisk();
    for (const b4 of [0x10, 0x20, 0x30, 0xf1]) {
      expectCheck(io(d, startStop(b4)).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xcf, 0x00, 0x04] }));
    }
    expect(d.unitState()).toBe('ready');
  });

  it('stop/start is per LU', () => {
    const d = new ScsiDisk({ luns: 2 });
    expectGood(io(d, startStop(0), 'none', 0, 1).r);
    expectGood(io(d, tur(), 'none', 0, 0).r);
    expectCheck(io(d, tur(), 'none', 0, 1).r, NOT_READY_INIT);
    expect([d.unitState(0), d.unitState(1)]).toEqual(['ready', 'stopped']);
  });

  it('becoming ready (tur_ms_to_ready): TUR gets 04/01 with ms left; other media commands 04/02', () => {
    let now = 5000;
    const d = new ScsiDisk({ turMsToReady: 1000, now: () => now });
    expect(d.unitState()).toBe('becoming-ready');
    now = 5250;
    expectCheck(io(d, tur()).r, 'f0 00 02 00 00 02 ee 0a 00 00 00 00 04 01 00 00 00 00');
    expectCheck(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r, NOT_READY_INIT);
    expectGood(io(d, inquiryCdb(0, 0, 96), 'in', 96).r);
    const rs = io(d, requestSenseCdb(false, 18), 'in', 18);
    expect(hex(rs.buf)).toBe('70 00 02 00 00 00 00 0a 00 00 00 00 04 01 00 00 00 00');
    // START is refused while becoming ready; STOP "succeeds" without changing anything.
    expectCheck(io(d, startStop(0x01)).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc8, 0x00, 0x04] }));
    expectGood(io(d, startStop(0x00)).r);
    expect(d.unitState()).toBe('becoming-ready');
    now = 5999.5;
    expectCheck(io(d, tur()).r, fixed(2, 0x04, 0x01, { info: 0 }));
    now = 6000;
    expectGood(io(d, tur()).r);
    expect(d.unitState()).toBe('ready');
    expectGood(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r);
  });

  it('becoming ready ends at the first medium command after the time is up; REQUEST SENSE does not re-time', () => {
    let now = 0;
    const d = new ScsiDisk({ turMsToReady: 100, now: () => now });
    now = 500;
    // As scsi_debug's resp_requests(): the state is read as it stands.
    expect(hex(io(d, requestSenseCdb(false, 18), 'in', 18).buf.subarray(12, 14))).toBe('04 01');
    expectGood(io(d, cdb10(S.READ_10, 0, 1), 'in', 512).r);
    expect(hex(io(d, requestSenseCdb(false, 18), 'in', 18).buf.subarray(12, 14))).toBe('00 00');
  });

  it('START after the becoming-ready time is up readies the unit', () => {
    let now = 0;
    const d = new ScsiDisk({ turMsToReady: 100, now: () => now });
    now = 100;
    expectGood(io(d, startStop(0x00)).r);
    expect(d.unitState()).toBe('stopped');
  });
});

// ---- INQUIRY (§5.4.2) ------------------------------------------------------------------------------

describe('INQUIRY', () => {
  it('standard data, 96 bytes', () => {
    const { r, buf } = io(new ScsiDisk(), inquiryCdb(0, 0, 96), 'in', 96);
    expectGood(r);
    const want = new Uint8Array(96);
    want.set([0x00, 0x00, 0x07, 0x02, 91, 0x00, 0x10, 0x0a]);
    want.set(ascii('VMSPACE RAM DISK        0001'), 8);
    want.set(ascii('20210520'), 36);
    want.set([0x00, 0xc0, 0x05, 0xc0, 0x06, 0x00, 0x21, 0x00], 58);
    expect(hex(buf)).toBe(hex(want));
  });

  it('allocation length and buffer cut the response; resid = dxfer_len − copied', () => {
    const d = new ScsiDisk();
    const a = io(d, inquiryCdb(0, 0, 36), 'in', 96);
    expectGood(a.r, 60);
    expect(String.fromCharCode(...a.buf.subarray(8, 36))).toBe('VMSPACE RAM DISK        0001');
    expect(a.buf.subarray(36).every((b) => b === SENTINEL)).toBe(true);
    expectGood(io(d, inquiryCdb(0, 0, 255), 'in', 255).r, 255 - 96);
    expectGood(io(d, inquiryCdb(0, 0, 0), 'in', 96).r, 96);
  });

  it('vendor, product and revision are space-padded', () => {
    const { buf } = io(new ScsiDisk({ vendor: 'ACME', product: 'Disk', revision: '9' }), inquiryCdb(0, 0, 36), 'in', 36);
    expect(String.fromCharCode(...buf.subarray(8, 36))).toBe('ACME    Disk            9   ');
  });

  it('CMDDT ⇒ 24/00 at byte 1 bit 1, even with EVPD', () => {
    const d = new ScsiDisk();
    expectCheck(io(d, inquiryCdb(0x02, 0, 96), 'in', 96).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc9, 0x00, 0x01] }));
    expectCheck(io(d, inquiryCdb(0x03, 0x80, 96), 'in', 96).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc9, 0x00, 0x01] }));
  });

  it('EVPD = 0 with a page code ⇒ 24/00 at byte 2 (Q4: follow SPC)', () => {
    expectCheck(io(new ScsiDisk(), inquiryCdb(0, 0x80, 96), 'in', 96).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x02] }));
  });

  it('VPD 0x00, 0x80, 0x83', () => {
    const d = new ScsiDisk();
    const p0 = io(d, inquiryCdb(1, 0x00, 255), 'in', 255);
    expectGood(p0.r, 255 - 7);
    expect(hex(p0.buf.subarray(0, 7))).toBe('00 00 00 03 00 80 83');
    const p80 = io(d, inquiryCdb(1, 0x80, 255), 'in', 255);
    expectGood(p80.r, 255 - 8);
    expect(hex(p80.buf.subarray(0, 8))).toBe(hex(Uint8Array.from([0x00, 0x80, 0x00, 0x04, ...ascii('2000')])));
    const p83 = io(d, inquiryCdb(1, 0x83, 255), 'in', 255);
    expectGood(p83.r, 255 - 36);
    expect(hex(p83.buf.subarray(0, 36))).toBe(
      hex(Uint8Array.from([0x00, 0x83, 0x00, 0x20, 0x02, 0x01, 0x00, 0x1c, ...ascii('VMSPACE RAM DISK        2000')])),
    );
    const cut = io(d, inquiryCdb(1, 0x83, 8), 'in', 64);
    expectGood(cut.r, 56);
    expect(hex(cut.buf.subarray(0, 8))).toBe('00 83 00 20 02 01 00 1c');
  });

  it('unsupported VPD page ⇒ 24/00 at byte 2', () => {
    const d = new ScsiDisk();
    for (const page of [0x01, 0x84, 0x86, 0xb0, 0xb1, 0xff]) {
      expectCheck(io(d, inquiryCdb(1, page, 255), 'in', 255).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x02] }));
    }
  });

  it('each LU has its own serial; the well-known LU answers as type 0x1E', () => {
    const d = new ScsiDisk({ luns: 3 });
    const serial = (lun: number) => String.fromCharCode(...io(d, inquiryCdb(1, 0x80, 255), 'in', 255, lun).buf.subarray(4, 8));
    expect([serial(0), serial(1), serial(2)]).toEqual(['2000', '2001', '2002']);
    const w = io(d, inquiryCdb(0, 0, 96), 'in', 96, S.SCSI_W_LUN_REPORT_LUNS);
    expectGood(w.r);
    expect(w.buf[0]).toBe(0x1e);
  });
});

describe('the REPORT LUNS well-known LU', () => {
  it('answers INQUIRY, REPORT LUNS, REQUEST SENSE and TUR; everything else is 20/00', () => {
    const d = new ScsiDisk();
    const W = S.SCSI_W_LUN_REPORT_LUNS;
    expectGood(io(d, tur(), 'none', 0, W).r);
    expectGood(io(d, requestSenseCdb(false, 18), 'in', 18, W).r);
    const rl = io(d, reportLunsCdb(2, 24), 'in', 24, W);
    expectGood(rl.r);
    expect(hex(rl.buf)).toBe('00 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00 c1 01 00 00 00 00 00 00');
    for (const c of [cdb10(S.READ_10, 0, 1), cdb10(S.READ_CAPACITY_10, 0, 0), modeSenseCdb(0, 0x3f, 0, 255), startStop(1), rc16Cdb(32)]) {
      expectCheck(io(d, c, 'in', 512, W).r, INVALID_OPCODE);
    }
  });
});

// ---- REQUEST SENSE (§5.4.3) ----------------------------------------------------------------------

describe('REQUEST SENSE', () => {
  it('NO SENSE in fixed (18) or descriptor (8) format; allocation length cuts it', () => {
    const d = new ScsiDisk();
    const f = io(d, requestSenseCdb(false, 252), 'in', 252);
    expectGood(f.r, 234);
    expect(hex(f.buf.subarray(0, 18))).toBe('70 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00');
    const dd = io(d, requestSenseCdb(true, 252), 'in', 252);
    expectGood(dd.r, 244);
    expect(hex(dd.buf.subarray(0, 8))).toBe('72 00 00 00 00 00 00 00');
    const cut = io(d, requestSenseCdb(false, 10), 'in', 18);
    expectGood(cut.r, 8);
    expect(hex(cut.buf.subarray(0, 10))).toBe('70 00 00 00 00 00 00 0a 00 00');
    expectGood(io(d, requestSenseCdb(false, 0), 'in', 18).r, 18);
  });

  it('does not return the sense of the previous failed command', () => {
    const d = new ScsiDisk();
    expectCheck(io(d, cdb10(S.READ_10, 20000, 1), 'in', 512).r, LBA_OUT_OF_RANGE);
    expect(hex(io(d, requestSenseCdb(false, 18), 'in', 18).buf)).toBe('70 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00');
  });
});

// ---- READ CAPACITY (§5.4.4, §5.4.5) ------------------------------------------------------------

describe('READ CAPACITY(10) and (16)', () => {
  it('READ CAPACITY(10): last LBA and block length, 8 bytes', () => {
    const a = io(new ScsiDisk(), cdb10(S.READ_CAPACITY_10, 0, 0), 'in', 16);
    expectGood(a.r, 8);
    expect(hex(a.buf.subarray(0, 8))).toBe('00 00 3f ff 00 00 02 00');
    const b = io(new ScsiDisk({ blocks: 1000, blockSize: 4096 }), cdb10(S.READ_CAPACITY_10, 0, 0), 'in', 8);
    expect(hex(b.buf)).toBe('00 00 03 e7 00 00 10 00');
    // LBA/PMI fields are ignored; a short buffer truncates.
    const c = io(new ScsiDisk(), cdb10(S.READ_CAPACITY_10, 77, 0x0100), 'in', 4);
    expectGood(c.r, 0);
    expect(hex(c.buf)).toBe('00 00 3f ff');
  });

  it('READ CAPACITY(10) saturates at 0xFFFFFFFF from 0xFFFFFFFF blocks on', () => {
    const rc = (blocks: number) => hex(io(new ScsiDisk({ blocks }), cdb10(S.READ_CAPACITY_10, 0, 0), 'in', 8).buf);
    expect(rc(0xfffffffe)).toBe('ff ff ff fd 00 00 02 00');
    expect(rc(0xffffffff)).toBe('ff ff ff ff 00 00 02 00');
    expect(rc(2 ** 40)).toBe('ff ff ff ff 00 00 02 00');
  });

  it('READ CAPACITY(16): 32 bytes, cut by the allocation length', () => {
    const a = io(new ScsiDisk(), rc16Cdb(32), 'in', 32);
    expectGood(a.r);
    expect(hex(a.buf)).toBe(hex(Uint8Array.from([0, 0, 0, 0, 0, 0, 0x3f, 0xff, 0, 0, 2, 0, ...new Uint8Array(20)])));
    const b = io(new ScsiDisk({ blocks: 2 ** 40, blockSize: 4096 }), rc16Cdb(12), 'in', 64);
    expectGood(b.r, 52);
    expect(hex(b.buf.subarray(0, 12))).toBe('00 00 00 ff ff ff ff ff 00 00 10 00');
    expectGood(io(new ScsiDisk(), rc16Cdb(0), 'in', 32).r, 32);
  });
});

// ---- MODE SENSE(6) (§5.4.8) -------------------------------------------------------------------------

describe('MODE SENSE(6)', () => {
  const CACHING = '08 12 14 00 ff ff 00 00 ff ff ff ff 80 14 00 00 00 00 00 00';
  const CONTROL = '0a 0a 02 00 00 80 00 00 00 00 02 4b';

  it('all pages (0x3F), current values, with the block descriptor', () => {
    const { r, buf } = io(new ScsiDisk(), modeSenseCdb(0, 0x3f, 0, 255), 'in', 255);
    expectGood(r, 255 - 44);
    expect(hex(buf.subarray(0, 44))).toBe(`2b 00 10 08 00 00 40 00 00 00 02 00 ${CACHING} ${CONTROL}`);
  });

  it('DBD drops the block descriptor; subpage 0xFF is accepted', () => {
    const { r, buf } = io(new ScsiDisk(), modeSenseCdb(0x08, 0x3f, 0xff, 255), 'in', 36);
    expectGood(r);
    expect(hex(buf)).toBe(`23 00 10 00 ${CACHING} ${CONTROL}`);
  });

  it('single pages, page control 1 (changeable) and 2 (default)', () => {
    const d = new ScsiDisk();
    const page = (b2: number) => hex(io(d, modeSenseCdb(0x08, b2, 0, 255), 'in', 255).buf.subarray(4, 4 + ((b2 & 0x3f) === 8 ? 20 : 12)));
    expect(page(0x08)).toBe(CACHING);
    expect(page(0x0a)).toBe(CONTROL);
    expect(page(0x48)).toBe('08 12 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00');
    expect(page(0x4a)).toBe('0a 0a 06 00 00 00 00 00 00 00 00 00');
    expect(page(0x88)).toBe(CACHING);
    expect(page(0x8a)).toBe('0a 0a 02 00 00 00 00 00 00 00 02 4b');
    const one = io(d, modeSenseCdb(0, 0x0a, 0, 255), 'in', 255);
    expectGood(one.r, 255 - 24);
    expect(hex(one.buf.subarray(0, 12))).toBe('17 00 10 08 00 00 40 00 00 00 02 00');
  });

  it('PC = 3 ⇒ 05/39/00 (checklist 12), before the page check', () => {
    const d = new ScsiDisk();
    expectCheck(io(d, modeSenseCdb(0, 0xff, 0, 255), 'in', 255).r, '70 00 05 00 00 00 00 0a 00 00 00 00 39 00 00 00 00 00');
    expectCheck(io(d, modeSenseCdb(0, 0xc8, 0, 255), 'in', 255).r, fixed(ILLEGAL, 0x39, 0));
    expectCheck(io(d, modeSenseCdb(0, 0xdc, 0, 255), 'in', 255).r, fixed(ILLEGAL, 0x39, 0));
  });

  it('unsupported page ⇒ 24/00 at byte 2 bit 5; bad subpage ⇒ 24/00 at byte 3', () => {
    const d = new ScsiDisk();
    for (const p of [0x00, 0x01, 0x03, 0x1c, 0x19, 0x3e]) {
      expectCheck(io(d, modeSenseCdb(0, p, 0, 255), 'in', 255).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xcd, 0x00, 0x02] }));
    }
    for (const [p, sub] of [[0x08, 0x01], [0x0a, 0x05], [0x3f, 0xfe], [0x0a, 0x01]]) {
      expectCheck(io(d, modeSenseCdb(0, p, sub, 255), 'in', 255).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x03] }));
    }
    expectCheck(io(d, modeSenseCdb(0, 0x1c, 0x01, 255), 'in', 255).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xcd, 0x00, 0x02] }));
  });

  it('allocation length cuts the data; the header still gives the full length', () => {
    const { r, buf } = io(new ScsiDisk(), modeSenseCdb(0, 0x3f, 0, 4), 'in', 64);
    expectGood(r, 60);
    expect(hex(buf.subarray(0, 4))).toBe('2b 00 10 08');
  });

  it('write protect sets WP; the block descriptor saturates at 0xFFFFFFFF; 4096-byte blocks', () => {
    expect(hex(io(new ScsiDisk({ writeProtected: true }), modeSenseCdb(0x08, 0x08, 0, 4), 'in', 4).buf)).toBe('17 00 90 00');
    const bd = (o: ScsiDiskOptions) => hex(io(new ScsiDisk(o), modeSenseCdb(0, 0x08, 0, 12), 'in', 12).buf.subarray(4));
    expect(bd({ blocks: 0xfffffffe })).toBe('ff ff ff fe 00 00 02 00');
    expect(bd({ blocks: 0xffffffff })).toBe('ff ff ff ff 00 00 02 00');
    expect(bd({ blocks: 1000, blockSize: 4096 })).toBe('00 00 03 e8 00 00 10 00');
  });
});

// ---- REPORT LUNS (§5.4.10) ---------------------------------------------------------------------

describe('REPORT LUNS', () => {
  it('single-LUN disk, SELECT REPORT 0: 16 bytes', () => {
    const { r, buf } = io(new ScsiDisk(), reportLunsCdb(0, 16), 'in', 64);
    expectGood(r, 48);
    expect(hex(buf.subarray(0, 16))).toBe('00 00 00 08 00 00 00 00 00 00 00 00 00 00 00 00');
  });

  it('SELECT REPORT 1 and 2; several LUNs', () => {
    const d = new ScsiDisk({ luns: 3 });
    expect(hex(io(d, reportLunsCdb(1, 64), 'in', 16).buf)).toBe('00 00 00 08 00 00 00 00 c1 01 00 00 00 00 00 00');
    const all = io(d, reportLunsCdb(2, 64), 'in', 40);
    expectGood(all.r);
    expect(hex(all.buf)).toBe(
      '00 00 00 20 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 c1 01 00 00 00 00 00 00',
    );
    const last = io(new ScsiDisk({ luns: 256 }), reportLunsCdb(0, 0xffff), 'in', 8 + 256 * 8);
    expect(hex(last.buf.subarray(0, 4))).toBe('00 00 08 00');
    expect(hex(last.buf.subarray(8 + 255 * 8, 16 + 255 * 8))).toBe('00 ff 00 00 00 00 00 00');
  });

  it('bad SELECT REPORT ⇒ 24/00 at byte 2; allocation length < 4 ⇒ 24/00 at byte 6 (checked first)', () => {
    const d = new ScsiDisk();
    for (const s of [3, 0x10, 0x11, 0x12, 0xff]) {
      expectCheck(io(d, reportLunsCdb(s, 16), 'in', 16).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x02] }));
    }
    for (const a of [0, 1, 3]) {
      expectCheck(io(d, reportLunsCdb(0, a), 'in', 16).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x06] }));
      expectCheck(io(d, reportLunsCdb(7, a), 'in', 16).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x06] }));
    }
  });

  it('like scsi_debug, only the data buffer cuts the list (allocation length 4 still moves 16 bytes)', () => {
    const { r, buf } = io(new ScsiDisk(), reportLunsCdb(0, 4), 'in', 16);
    expectGood(r, 0);
    expect(hex(buf)).toBe('00 00 00 08 00 00 00 00 00 00 00 00 00 00 00 00');
    expectGood(io(new ScsiDisk(), reportLunsCdb(0, 4), 'in', 10).r, 0);
  });
});

// ---- READ BUFFER (§5.4.12) -------------------------------------------------------------------------

describe('READ BUFFER', () => {
  it('descriptor mode: offset boundary 0 and the capacity', () => {
    const d = new ScsiDisk();
    const a = io(d, readBufferCdb(0x03, 0, 0, 4), 'in', 4);
    expectGood(a.r);
    expect(hex(a.buf)).toBe('00 10 00 00');
    expect(hex(io(new ScsiDisk({ readBufferSize: 0x123456 }), readBufferCdb(0x03, 0, 0, 4), 'in', 8).buf.subarray(0, 4))).toBe('00 12 34 56');
    expectGood(io(d, readBufferCdb(0x03, 0, 0, 2), 'in', 8).r, 6);
  });

  it('data mode: the buffer from the offset, byte i = i mod 251', () => {
    const d = new ScsiDisk();
    const a = io(d, readBufferCdb(0x02, 0, 0, 1000), 'in', 1000);
    expectGood(a.r);
    expect(Array.from(a.buf).every((b, i) => b === i % 251)).toBe(true);
    const b = io(d, readBufferCdb(0x02, 0, 300, 10), 'in', 16);
    expectGood(b.r, 6);
    expect(Array.from(b.buf.subarray(0, 10))).toEqual([49, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
    const whole = io(d, readBufferCdb(0x02, 0, 0, 1 << 20), 'in', [4096, 1 << 19, (1 << 19) - 4096]);
    expectGood(whole.r);
    expect(whole.buf[(1 << 20) - 1]).toBe(((1 << 20) - 1) % 251);
  });

  it('echo buffer modes: descriptor 4096 bytes, data zeros', () => {
    const d = new ScsiDisk();
    expect(hex(io(d, readBufferCdb(0x0b, 0, 0, 4), 'in', 4).buf)).toBe('00 00 10 00');
    const e = io(d, readBufferCdb(0x0a, 0, 0, 4096), 'in', 4096);
    expectGood(e.r);
    expect(e.buf.every((b) => b === 0)).toBe(true);
    expectCheck(io(d, readBufferCdb(0x0a, 0, 0, 4097), 'in', 4097).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x06] }));
  });

  it('errors: buffer id, offset + length past the buffer, unsupported mode', () => {
    const d = new ScsiDisk({ readBufferSize: 4096 });
    expectCheck(io(d, readBufferCdb(0x02, 1, 0, 16), 'in', 16).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x02] }));
    expectCheck(io(d, readBufferCdb(0x03, 1, 0, 4), 'in', 4).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x02] }));
    expectCheck(io(d, readBufferCdb(0x02, 0, 4000, 97), 'in', 97).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x06] }));
    expectCheck(io(d, readBufferCdb(0x02, 0, 4097, 0), 'in', 16).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xc0, 0x00, 0x03] }));
    expectGood(io(d, readBufferCdb(0x02, 0, 4000, 96), 'in', 96).r);
    expectGood(io(d, readBufferCdb(0x02, 0, 4096, 0), 'in', 16).r, 16);
    for (const mode of [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x1c, 0x1f]) {
      expectCheck(io(d, readBufferCdb(mode, 0, 0, 4), 'in', 4).r, fixed(ILLEGAL, 0x24, 0, { sks: [0xcc, 0x00, 0x01] }));
    }
  });
});

// ---- sense helpers ------------------------------------------------------------------------------

describe('sense helpers', () => {
  it('field pointer without a bit and parse/describe round trip', () => {
    expect(hex(senseInvalidField(false, 0x1234))).toBe('70 00 05 00 00 00 00 0a 00 00 00 00 26 00 00 80 12 34');
    const s = parseSense(senseInvalidField(true, 4, 7))!;
    expect(s).toEqual({
      format: 'fixed', current: true, key: 5, asc: 0x24, ascq: 0, valid: false, information: 0,
      fieldPointer: { inCdb: true, byte: 4, bit: 7 },
    });
    expect(describeSense(senseInvalidField(true, 4, 7))).toBe('Illegal Request: Invalid field in cdb [cdb byte 4 bit 7]');
    expect(parseSense(Uint8Array.of(0x72, 0x02, 0x04, 0x01, 0, 0, 0, 0))).toMatchObject({ format: 'descriptor', key: 2, asc: 4, ascq: 1 });
    expect(parseSense(Uint8Array.of(0x00))).toBeNull();
    expect(S.ascAscqName(0x99, 0x01)).toBe('ASC=99 ASCQ=01');
    expect(S.SENSE_KEY_NAMES[S.UNIT_ATTENTION]).toBe('Unit Attention');
  });
});

// ---- properties ---------------------------------------------------------------------------------

describe('properties', () => {
  const SAM = new Set([0x00, 0x02, 0x04, 0x08, 0x18, 0x28, 0x40]);
  const SUPPORTED = [0x00, 0x03, 0x08, 0x0a, 0x12, 0x1a, 0x1b, 0x25, 0x28, 0x2a, 0x35, 0x3c, 0x88, 0x8a, 0x91, 0x9e, 0xa0, 0xa8, 0xaa];

  it('random CDBs, directions and buffers never throw and always answer well-formed', () => {
    const d = new ScsiDisk({ blocks: 4096, luns: 2, mediumErrors: [{ lba: 10, count: 5 }], unitAttention: true, readBufferSize: 8192 });
    const cdbArb = fc
      .tuple(fc.oneof(fc.constantFrom(...SUPPORTED), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ minLength: 31, maxLength: 31 }), fc.integer({ min: 6, max: 32 }))
      .map(([op, rest, len]) => Uint8Array.from([op, ...rest]).subarray(0, len))
      // Small LBAs/lengths often enough to reach the data paths.
      .chain((c) => fc.boolean().map((small) => (small ? c.map((b, i) => (i >= 2 && i <= 13 && i !== 4 && i !== 8 && i !== 9 && i !== 13 ? 0 : b)) : c)));
    fc.assert(
      fc.property(
        cdbArb,
        fc.constantFrom<DataDirection>('none', 'in', 'out'),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 4 }),
        fc.constantFrom(0, 0, 0, 1, 2, S.SCSI_W_LUN_REPORT_LUNS),
        (cdb, direction, sizes, lun) => {
          const data = sizes.map((n) => new Uint8Array(n));
          const dxfer = sglLength(data);
          let r: ScsiResponse;
          try {
            r = d.execute({ cdb, direction, data, lun });
          } catch (e) {
            throw new Error(`execute(${hex(cdb)}, ${direction}, [${sizes}], lun ${lun}) threw ${String(e)}`);
          }
          expect(SAM.has(r.status)).toBe(true);
          expect([0, 1, 7]).toContain(r.host);
          expect(Number.isInteger(r.resid) && r.resid >= 0 && r.resid <= dxfer).toBe(true);
          if (r.sense !== null) {
            expect(r.status).toBe(2);
            expect([18, 8]).toContain(r.sense.length);
            expect(r.sense[0] & 0x7f).toBe(0x70);
            expect(r.sense[7]).toBe(10);
          } else {
            expect(r.status).toBe(0);
          }
          if (r.host !== 0) expect([r.status, r.sense]).toEqual([0, null]);
          if (lun === 2) expect(r.host).toBe(S.DID_NO_CONNECT);
        },
      ),
      { seed: 0x5c51, numRuns: 3000 },
    );
  });

  it('random READ/WRITE sequences agree with a flat byte-array model', () => {
    const BLOCKS = 64;
    const arb = fc.array(
      fc.record({
        write: fc.boolean(),
        size: fc.constantFrom(6, 10, 12, 16),
        lba: fc.integer({ min: 0, max: BLOCKS }),
        n: fc.integer({ min: 0, max: 12 }),
        segs: fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 5 }),
        seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, (ops) => {
        const d = new ScsiDisk({ blocks: BLOCKS });
        const model = new Uint8Array(BLOCKS * 512);
        for (const op of ops) {
          const n = op.size === 6 && op.n === 0 ? 256 : op.n;
          const opc = op.write
            ? { 6: S.WRITE_6, 10: S.WRITE_10, 12: S.WRITE_12, 16: S.WRITE_16 }[op.size]!
            : { 6: S.READ_6, 10: S.READ_10, 12: S.READ_12, 16: S.READ_16 }[op.size]!;
          const cdb = op.size === 6 ? cdb6(opc, op.lba, op.n) : op.size === 10 ? cdb10(opc, op.lba, op.n) : op.size === 12 ? cdb12(opc, op.lba, op.n) : cdb16(opc, op.lba, op.n);
          const flat = randomBytes(op.segs.reduce((a, b) => a + b, 0), op.seed);
          const segs: Uint8Array[] = [];
          let at = 0;
          for (const s of op.segs) {
            segs.push(op.write ? flat.slice(at, at + s) : new Uint8Array(s).fill(SENTINEL));
            at += s;
          }
          const r = d.execute({ cdb, direction: op.write ? 'out' : 'in', data: segs });
          if (op.lba + n > BLOCKS) {
            expect(hex(r.sense)).toBe(LBA_OUT_OF_RANGE);
            continue;
          }
          const moved = Math.min(n * 512, flat.length);
          if (op.write) {
            expectGood(r);
            model.set(flat.subarray(0, moved), op.lba * 512);
          } else {
            expectGood(r, flat.length - moved);
            const got = new Uint8Array(flat.length);
            let p = 0;
            for (const s of segs) {
              got.set(s, p);
              p += s.length;
            }
            expect(hex(got.subarray(0, moved))).toBe(hex(model.subarray(op.lba * 512, op.lba * 512 + moved)));
            expect(got.subarray(moved).every((b) => b === SENTINEL)).toBe(true);
          }
        }
      }),
      { seed: 0x5c52, numRuns: 300 },
    );
  });
});

/**
 * vmspace/node HostFileStore: a simulated disk's medium in a host file. Every check looks at the
 * host file with plain node:fs: the file is created and extended (never truncated or shrunk),
 * WRITEs land at LBA × block size, SYNCHRONIZE CACHE fsyncs, the image survives a new store, and
 * host failures become MEDIUM ERROR sense instead of exceptions.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostFileStore } from '../../adapters/node/index.js';
import * as S from '../../src/abi/scsi.js';
import { ScsiDisk } from '../../src/scsi/disk.js';

let dir: string;
const open: HostFileStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmspace-scsi-'));
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});
const store = (name: string, size: number, readOnly = false) => {
  const s = new HostFileStore(join(dir, name), size, { readOnly });
  open.push(s);
  return s;
};
const hex = (b: Uint8Array | null): string => (b === null ? 'null' : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' '));
function cdb10(op: number, lba: number, len: number): Uint8Array {
  const c = new Uint8Array(10);
  c[0] = op;
  new DataView(c.buffer).setUint32(2, lba);
  new DataView(c.buffer).setUint16(7, len);
  return c;
}

describe('HostFileStore', () => {
  it('creates the file at the medium size; unwritten bytes read as zeros', () => {
    const s = store('disk.img', 1 << 20);
    expect(statSync(join(dir, 'disk.img')).size).toBe(1 << 20);
    const b = new Uint8Array(100).fill(0xee);
    s.read(12345, b);
    expect(b.every((x) => x === 0)).toBe(true);
  });

  it('writes at byte offsets the host file shows', () => {
    const s = store('disk.img', 8192);
    s.write(4095, Uint8Array.of(1, 2, 3));
    s.flush();
    const f = readFileSync(join(dir, 'disk.img'));
    expect(f.length).toBe(8192);
    expect(hex(f.subarray(4094, 4099))).toBe('00 01 02 03 00');
    const back = new Uint8Array(3);
    s.read(4095, back);
    expect(hex(back)).toBe('01 02 03');
  });

  it('keeps an existing image, extends a short one and never shrinks a long one', () => {
    writeFileSync(join(dir, 'short.img'), Uint8Array.of(9, 8, 7));
    const a = store('short.img', 4096);
    const b = new Uint8Array(4);
    a.read(0, b);
    expect(hex(b)).toBe('09 08 07 00');
    expect(statSync(join(dir, 'short.img')).size).toBe(4096);
    writeFileSync(join(dir, 'long.img'), new Uint8Array(10000).fill(5));
    store('long.img', 4096);
    expect(statSync(join(dir, 'long.img')).size).toBe(10000);
    expect(readFileSync(join(dir, 'long.img'))[9999]).toBe(5);
  });

  it('read-only: needs a file of at least the size; writes throw', () => {
    expect(() => new HostFileStore(join(dir, 'missing.img'), 512, { readOnly: true })).toThrow();
    writeFileSync(join(dir, 'small.img'), new Uint8Array(100));
    expect(() => new HostFileStore(join(dir, 'small.img'), 512, { readOnly: true })).toThrow(RangeError);
    writeFileSync(join(dir, 'ro.img'), new Uint8Array(512).fill(3));
    const s = store('ro.img', 512, true);
    const b = new Uint8Array(2);
    s.read(510, b);
    expect(hex(b)).toBe('03 03');
    expect(() => s.write(0, Uint8Array.of(1))).toThrow();
  });

  it('close() ends I/O; a cut-short file reads as zeros past its end', () => {
    const s = store('disk.img', 4096);
    expect(s.isOpen).toBe(true);
    writeFileSync(join(dir, 'disk.img'), Uint8Array.of(1, 2));
    const b = new Uint8Array(4).fill(0xee);
    s.read(0, b);
    expect(hex(b)).toBe('01 02 00 00');
    s.close();
    s.close();
    expect(s.isOpen).toBe(false);
    expect(() => s.read(0, b)).toThrow(/closed/);
    expect(() => new HostFileStore(join(dir, 'x.img'), -1)).toThrow(RangeError);
  });
});

describe('ScsiDisk on a HostFileStore', () => {
  it('WRITE(10) lands at LBA × 512 in the host file; SYNCHRONIZE CACHE; the image persists', () => {
    const path = join(dir, 'disk.img');
    const s = store('disk.img', 64 * 512);
    const d = new ScsiDisk({ blocks: 64, store: s });
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 31) & 0xff);
    expect(d.execute({ cdb: cdb10(S.WRITE_10, 10, 2), direction: 'out', data: [data.subarray(0, 100), data.subarray(100)] })).toEqual({
      status: 0, host: 0, sense: null, resid: 0,
    });
    expect(d.execute({ cdb: cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0), direction: 'none', data: [] }).status).toBe(0);
    const f = readFileSync(path);
    expect(hex(f.subarray(10 * 512, 12 * 512))).toBe(hex(data));
    expect(f.subarray(0, 10 * 512).every((b) => b === 0)).toBe(true);
    s.close();
    const again = new ScsiDisk({ blocks: 64, store: store('disk.img', 64 * 512) });
    const out = new Uint8Array(1024);
    expect(again.execute({ cdb: cdb10(S.READ_10, 10, 2), direction: 'in', data: [out] }).status).toBe(0);
    expect(hex(out)).toBe(hex(data));
  });

  it('host failures become MEDIUM ERROR: read 03/11/00 (resid dxfer_len), write and flush 03/0C/00', () => {
    writeFileSync(join(dir, 'ro.img'), new Uint8Array(64 * 512));
    const d = new ScsiDisk({ blocks: 64, store: store('ro.img', 64 * 512, true) });
    const w = d.execute({ cdb: cdb10(S.WRITE_10, 0, 1), direction: 'out', data: [new Uint8Array(512)] });
    expect([w.status, hex(w.sense)]).toEqual([2, '70 00 03 00 00 00 00 0a 00 00 00 00 0c 00 00 00 00 00']);
    const s = store('rw.img', 64 * 512);
    const d2 = new ScsiDisk({ blocks: 64, store: s });
    s.close();
    const r = d2.execute({ cdb: cdb10(S.READ_10, 0, 1), direction: 'in', data: [new Uint8Array(512)] });
    expect([r.status, hex(r.sense), r.resid]).toEqual([2, '70 00 03 00 00 00 00 0a 00 00 00 00 11 00 00 00 00 00', 512]);
    const f = d2.execute({ cdb: cdb10(S.SYNCHRONIZE_CACHE_10, 0, 0), direction: 'none', data: [] });
    expect(hex(f.sense)).toBe('70 00 03 00 00 00 00 0a 00 00 00 00 0c 00 00 00 00 00');
  });
});

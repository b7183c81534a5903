/**
 * The simulated disk's media (src/scsi/store.ts) and scatter-gather lists (src/scsi/sglist.ts):
 * RamStore is sparse and reads zeros where never written, PatternStore's pattern is the one its
 * comment defines and survives partial overwrites, and the SG copies agree with a flat array for
 * every split of the buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SgList, sglLength, sglRead, sglSegments, sglWrite } from '../../src/scsi/sglist.js';
import { PatternStore, RamStore, STORE_CHUNK, patternBytes } from '../../src/scsi/store.js';

const MiB = 1 << 20;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
/** Index of the first differing byte, -1 when equal (cheap on megabytes, unlike hex()). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Splits `flat` into views of the given sizes (the last one takes the rest). */
function split(flat: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of sizes) {
    const n = Math.min(s, flat.length - at);
    out.push(flat.subarray(at, at + n));
    at += n;
  }
  if (at < flat.length) out.push(flat.subarray(at));
  return out;
}

describe('RamStore', () => {
  it('costs nothing until written; a 4 GiB store allocates one 1 MiB chunk per touched MiB', () => {
    const s = new RamStore(4 * 1024 * MiB);
    expect([s.size, s.allocatedChunks, s.allocatedBytes]).toEqual([2 ** 32, 0, 0]);
    const z = new Uint8Array(4096).fill(0xaa);
    s.read(3 * 1024 * MiB + 12345, z);
    expect(z.every((b) => b === 0)).toBe(true);
    expect(s.allocatedChunks).toBe(0);
    s.write(3 * 1024 * MiB + 5, Uint8Array.of(1, 2, 3));
    expect([s.allocatedChunks, s.allocatedBytes]).toEqual([1, MiB]);
    s.write(2 ** 32 - 1, Uint8Array.of(9));
    expect(s.allocatedChunks).toBe(2);
    const back = new Uint8Array(4);
    s.read(3 * 1024 * MiB + 4, back);
    expect(hex(back)).toBe('00 01 02 03');
  });

  it('reads and writes across chunk boundaries', () => {
    const s = new RamStore(3 * MiB);
    const data = Uint8Array.from({ length: MiB + 100 }, (_, i) => (i * 13) & 0xff);
    s.write(MiB - 50, data);
    expect(s.allocatedChunks).toBe(3);
    const back = new Uint8Array(MiB + 200);
    s.read(MiB - 100, back);
    expect(back.subarray(0, 50).every((b) => b === 0)).toBe(true);
    expect(firstDiff(back.subarray(50, 50 + data.length), data)).toBe(-1);
    expect(back.subarray(50 + data.length).every((b) => b === 0)).toBe(true);
  });

  it('the last chunk is only as long as the store', () => {
    const s = new RamStore(MiB + 1000);
    s.write(MiB + 999, Uint8Array.of(7));
    expect(s.allocatedBytes).toBe(1000);
    const b = new Uint8Array(2);
    s.read(MiB + 998, b);
    expect(hex(b)).toBe('00 07');
  });

  it('refuses sizes that are not byte counts', () => {
    for (const n of [-1, 1.5, NaN, 2 ** 53]) expect(() => new RamStore(n)).toThrow(RangeError);
    expect(STORE_CHUNK).toBe(MiB);
  });
});

describe('PatternStore and patternBytes', () => {
  it('each 512-byte block starts with its LBA as 8 big-endian bytes, then (k + 3·lba) mod 256', () => {
    const p = patternBytes(0, 1024);
    expect(hex(p.subarray(0, 12))).toBe('00 00 00 00 00 00 00 00 08 09 0a 0b');
    expect(p[511]).toBe(511 & 0xff);
    expect(hex(p.subarray(512, 524))).toBe('00 00 00 00 00 00 00 01 0b 0c 0d 0e');
    const lba = 0x0102030405;
    const q = patternBytes(lba * 512, 512);
    expect(hex(q.subarray(0, 10))).toBe(`00 00 00 01 02 03 04 05 ${((8 + 3 * 5) & 0xff).toString(16)} ${((9 + 3 * 5) & 0xff).toString(16)}`);
    // By definition, byte for byte.
    const off = 2 ** 41 + 777;
    const r = patternBytes(off, 3000);
    for (let i = 0; i < r.length; i++) {
      const o = off + i;
      const l = Math.floor(o / 512);
      const k = o % 512;
      const want = k < 8 ? Number((BigInt(l) >> BigInt(8 * (7 - k))) & 0xffn) : (k + 3 * l) % 256;
      if (r[i] !== want) throw new Error(`byte ${o}: ${r[i]} != ${want}`);
    }
  });

  it('is deterministic and position-independent: any read equals patternBytes of its range', () => {
    const a = new PatternStore(64 * MiB);
    const b = new PatternStore(64 * MiB);
    for (const [off, len] of [[0, 1], [7, 9], [511, 2], [MiB - 3, 10], [5 * MiB + 100, 70000]]) {
      const x = new Uint8Array(len);
      const y = new Uint8Array(len);
      a.read(off, x);
      b.read(off, y);
      expect(firstDiff(x, y)).toBe(-1);
      expect(firstDiff(x, patternBytes(off, len))).toBe(-1);
    }
  });

  it('writes overlay the pattern; the rest of the chunk keeps it', () => {
    const s = new PatternStore(4 * MiB);
    s.write(MiB + 1000, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    expect(s.allocatedChunks).toBe(1);
    const got = new Uint8Array(MiB);
    s.read(MiB, got);
    const want = patternBytes(MiB, MiB);
    want.set([0xde, 0xad, 0xbe, 0xef], 1000);
    expect(firstDiff(got, want)).toBe(-1);
  });

  it('other block sizes', () => {
    const p = patternBytes(4096 * 3, 4096, 4096);
    expect(hex(p.subarray(0, 10))).toBe('00 00 00 00 00 00 00 03 11 12');
    expect(p[4095]).toBe((4095 + 9) % 256);
    const s = new PatternStore(MiB, 4096);
    const x = new Uint8Array(8192);
    s.read(4096 * 5 + 10, x);
    expect(hex(x)).toBe(hex(patternBytes(4096 * 5 + 10, 8192, 4096)));
    for (const bs of [0, 7, 1.5, 2 * MiB]) {
      expect(() => patternBytes(0, 1, bs)).toThrow(RangeError);
      expect(() => new PatternStore(MiB, bs)).toThrow(RangeError);
    }
  });
});

describe('scatter-gather lists', () => {
  it('sglLength sums the segments', () => {
    expect(sglLength([])).toBe(0);
    expect(sglLength([new Uint8Array(3), new Uint8Array(0), new Uint8Array(4096)])).toBe(4099);
  });

  it('sglWrite/sglRead copy at an offset across segments and stop at the end', () => {
    const flat = new Uint8Array(20);
    const sgl = split(flat, [3, 0, 5, 1, 11]);
    expect(sglWrite(sgl, 2, Uint8Array.of(1, 2, 3, 4, 5, 6, 7))).toBe(7);
    expect(hex(flat.subarray(0, 10))).toBe('00 00 01 02 03 04 05 06 07 00');
    expect(sglWrite(sgl, 18, Uint8Array.of(8, 9, 10))).toBe(2);
    expect(hex(flat.subarray(17))).toBe('00 08 09');
    expect(sglWrite(sgl, 20, Uint8Array.of(1))).toBe(0);
    const out = new Uint8Array(9).fill(0xee);
    expect(sglRead(sgl, 3, out)).toBe(9);
    expect(hex(out)).toBe('02 03 04 05 06 07 00 00 00');
    expect(sglRead(sgl, 15, out)).toBe(5);
    expect(hex(out.subarray(0, 6))).toBe('00 00 00 08 09 07');
    expect(sglRead(sgl, -1, out)).toBe(0);
  });

  it('sglSegments visits the pieces of a range in order, with their positions', () => {
    const sgl = split(new Uint8Array(4 * 4096), [4096, 4096, 4096, 4096]);
    const seen: Array<[number, number]> = [];
    expect(sglSegments(sgl, 4000, 5000, (v, at) => seen.push([v.length, at]))).toBe(5000);
    expect(seen).toEqual([[96, 0], [4096, 96], [808, 4192]]);
    // Whole segments are passed as themselves (no subarray).
    const whole: Uint8Array[] = [];
    sglSegments(sgl, 0, 8192, (v) => whole.push(v));
    expect(whole[0]).toBe(sgl[0]);
    expect(whole[1]).toBe(sgl[1]);
    expect(sglSegments(sgl, 16000, 1000, () => {})).toBe(384);
    expect(sglSegments(sgl, 0, 0, () => { throw new Error('visited'); })).toBe(0);
  });

  it('agrees with a flat array for any split, offset and length', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 2500 }),
        fc.integer({ min: 0, max: 2500 }),
        fc.integer({ min: 1, max: 1000 }),
        (sizes, offset, len, seed) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const flat = new Uint8Array(total);
          const sgl: SgList = split(flat, sizes);
          const src = Uint8Array.from({ length: len }, (_, i) => (i * seed + 1) & 0xff);
          const model = new Uint8Array(total);
          const n = Math.max(0, Math.min(len, total - offset));
          model.set(src.subarray(0, n), Math.min(offset, total));
          expect(sglWrite(sgl, offset, src)).toBe(n);
          expect(hex(flat)).toBe(hex(model));
          const dst = new Uint8Array(len);
          expect(sglRead(sgl, offset, dst)).toBe(n);
          expect(hex(dst.subarray(0, n))).toBe(hex(model.subarray(offset, offset + n)));
        },
      ),
      { seed: 0x5c53, numRuns: 500 },
    );
  });
});

// The floor bench/mem.mjs prints beside G17/G20 is a real TLB: its loops read the same bytes as
// the raw anchors (identity mapping), with or without the miss call having run, for both guest
// widths. (Functional checks only: timings belong to `npm run bench`.)
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmarks, without type declarations
import { DEFAULT_BASE, STREAM_LEN, makeDataView, makeStreams, tlbFloorLoop } from '../../bench/mem-anchors.mjs';

describe('tlbFloorLoop', () => {
  const dv: DataView = makeDataView();
  for (const width of [32, 64]) {
    const s4 = makeStreams(width, DEFAULT_BASE[width], 4);
    const s8 = makeStreams(width, DEFAULT_BASE[width], 8);
    for (const pattern of ['seq', 'rand64p', 'rand4096p'] as const) {
      it(`${width}-bit ${pattern}: load32 and load64 sum the bytes the raw loops read`, () => {
        const n = STREAM_LEN + 1000; // wraps the stream, as the timed loops do
        let want32 = 0;
        let want64 = 0;
        for (let i = 0; i < n; i++) {
          const o4 = s4[pattern][i & (STREAM_LEN - 1)] - DEFAULT_BASE[width];
          want32 = (want32 + dv.getUint32(o4, true)) | 0;
          const o8 = s8[pattern][i & (STREAM_LEN - 1)] - DEFAULT_BASE[width];
          want64 = (want64 + dv.getUint32(o8, true) + dv.getUint32(o8 + 4, true)) | 0;
        }
        for (const liveCall of [false, true]) {
          expect(tlbFloorLoop(s4[pattern], dv, 'load32', { liveCall })(s4[pattern], n)).toBe(want32);
          expect(tlbFloorLoop(s8[pattern], dv, 'load64', { liveCall })(s8[pattern], n)).toBe(want64);
        }
      });
    }
  }

  it('sends an address outside the table to its fault function', () => {
    const s = makeStreams(32, DEFAULT_BASE[32], 4).seq;
    const loop = tlbFloorLoop(s, dv, 'load32');
    const bad = new Uint32Array(STREAM_LEN).fill(DEFAULT_BASE[32] - 4096);
    expect(() => loop(bad, 1)).toThrow(/SIGSEGV/);
    expect(() => tlbFloorLoop(new Uint32Array(4), dv)).toThrow(TypeError);
    expect(() => tlbFloorLoop(s, dv, 'load16')).toThrow(RangeError);
  });
});

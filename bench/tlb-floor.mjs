#!/usr/bin/env node
// What a translated load can cost at best in this harness: minimal software TLBs with no
// vmspace in them, timed round-robin against the raw anchors of G17 and G20 (same streams, same
// loop shape as bench/mem.mjs). The variants differ only in what a miss does:
//
//   no miss path       a miss returns 0 (no stores, no calls in the loop): the floor of the shape
//   call never run     a miss refills the slot from a flat table, inlined; anything else goes to
//                      a function that has never been called, so TurboFan puts a deoptimization
//                      exit there instead of a call
//   live call          the same, with that function called before timing, as a real fault path
//                      will have been in any emulator: TurboFan compiles the call, and the loop
//                      keeps its index and sum in stack slots around it (mem-anchors.mjs
//                      tlbFloorLoop(); bench/mem.mjs prints this one as each G17/G20 row's floor)
//
// The last is the floor of any TLB whose miss path can run code (a page fault, a COW break):
// V8 11 gives JavaScript branches no likelihood, so the call's block is laid out as a hot one.
// Run: node --expose-gc bench/tlb-floor.mjs [--rounds N]
import {
  DEFAULT_BASE, STREAM_LEN, makeDataView, makeStreams, nsPerOp, rawLoadU32, rawU64Pair, roundRobin, tlbFloorLoop,
} from './mem-anchors.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const ACC = 1 << 20;

let loops = 0;
function noMissPath(dv, base) {
  return new Function('dv', 'BASE', `'use strict'; // no-miss loop ${loops++}
    const MASK = ${STREAM_LEN - 1};
    const tag = new Int32Array(256), fo = new Int32Array(256);
    for (let s = 0; s < 256; s++) { tag[s] = (BASE >>> 12) + s; fo[s] = s * 4096; }
    function load32(addr) {
      const vpn = addr >>> 12, s = vpn & 255, off = addr & 4095;
      if (tag[s] === vpn && off <= 4092) return dv.getUint32(fo[s] + off, true);
      return 0;
    }
    return (addrs, n) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + load32(addrs[i & MASK])) | 0; return acc; };`)(dv, base);
}

const dv = makeDataView();
const u32 = new Uint32Array(dv.buffer);
const base = DEFAULT_BASE[32];
const s4 = makeStreams(32, base, 4);
const s8 = makeStreams(32, base, 8);
const ratioOf = (rr, name, anchor) => {
  const r = rr.variants[name].samples.map((v, i) => v / rr.variants[anchor].samples[i]).sort((a, b) => a - b);
  return `${name} ${rr.variants[name].median.toFixed(2)} ns (${r[r.length >> 1].toFixed(2)}x)`;
};
for (const p of ['seq', 'rand64p']) {
  const timed = (loop, s) => () => nsPerOp(() => loop(s, ACC), ACC);
  const rr = roundRobin([
    ['raw', () => rawLoadU32(s4[p], dv, ACC)],
    ['no miss path', timed(noMissPath(dv, base), s4[p])],
    ['call never run', timed(tlbFloorLoop(s4[p], dv, 'load32', { liveCall: false }), s4[p])],
    ['live call', timed(tlbFloorLoop(s4[p], dv, 'load32'), s4[p])],
    ['raw pair', () => rawU64Pair(s8[p], u32, 'load', ACC)],
    ['u64 call never run', timed(tlbFloorLoop(s8[p], dv, 'load64', { liveCall: false }), s8[p])],
    ['u64 live call', timed(tlbFloorLoop(s8[p], dv, 'load64'), s8[p])],
  ], { rounds });
  console.log(`32-bit ${p} load32: raw ${rr.variants.raw.median.toFixed(2)} ns; ` +
    ['no miss path', 'call never run', 'live call'].map((n) => ratioOf(rr, n, 'raw')).join('; '));
  console.log(`32-bit ${p} load64: raw pair ${rr.variants['raw pair'].median.toFixed(2)} ns; ` +
    ['u64 call never run', 'u64 live call'].map((n) => ratioOf(rr, n, 'raw pair')).join('; '));
}

#!/usr/bin/env node
// What a translated u32 load can cost at best in this harness: minimal software TLBs with no
// vmspace in them, timed round-robin against the raw DataView load of G17 (same streams, same
// loop shape as bench/mem.mjs). The variants differ only in what a miss does:
//
//   no miss path     a miss returns 0 (no stores, no calls in the loop): the floor of the shape
//   inline refill    a miss refills the slot from a flat page table, inlined, no calls
//   refill + call    as above, and a miss the table cannot answer calls a function V8 does not
//                    inline (as any real fault path must)
//
// A loop that can call a function keeps its loop-carried values (the index, the sum) in stack
// slots around the call; that, not the tag compare, is most of the gap between the first and
// the last variant. vmspace's TLB hit has the last shape. A last pair of rows does the same for
// G20's u64 (two u32 loads, the high half left in a variable) against the raw u32 pair.
//
// Run: node --expose-gc --allow-natives-syntax bench/tlb-floor.mjs [--rounds N]
import { DEFAULT_BASE, GUEST_PAGES, PAGE, STREAM_LEN, makeDataView, makeStreams, nsPerOp, rawLoadU32, rawU64Pair, roundRobin, statsOf } from './mem-anchors.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const ACC = 1 << 20;

const MISS = {
  'no miss path': 'return 0;',
  'inline refill': 'const f = flat[vpn]; tag[s] = vpn; fo[s] = f; return dv.getUint32(f + off, true);',
  'refill + call': 'const f = flat[vpn]; if (f >= 0 && off <= 4092) { tag[s] = vpn; fo[s] = f; return dv.getUint32(f + off, true); } return fault(addr);',
};

function variant(miss, dv, base) {
  const flat = new Int32Array(1 << 20).fill(-1);
  for (let i = 0; i < GUEST_PAGES; i++) flat[base / PAGE + i] = i * PAGE;
  return new Function('dv', 'flat', `'use strict';
    const MASK = ${STREAM_LEN - 1};
    const tag = new Int32Array(256).fill(-1), fo = new Int32Array(256);
    function fault(addr) { throw new RangeError('SIGSEGV at ' + addr); }
    %NeverOptimizeFunction(fault);
    function load32(addr) {
      const vpn = addr >>> 12, s = vpn & 255, off = addr & 4095;
      if (tag[s] === vpn && off <= 4092) return dv.getUint32(fo[s] + off, true);
      ${miss}
    }
    return (addrs, n) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + load32(addrs[i & MASK])) | 0; return acc; };`)(dv, flat);
}

// The u64 of G20 (two u32 halves; the high one left in a variable, as Memory.hi), against the
// raw pair through a Uint32Array, with the last shape above.
function variant64(dv, base) {
  const flat = new Int32Array(1 << 20).fill(-1);
  for (let i = 0; i < GUEST_PAGES; i++) flat[base / PAGE + i] = i * PAGE;
  return new Function('dv', 'flat', `'use strict';
    const MASK = ${STREAM_LEN - 1};
    const tag = new Int32Array(256).fill(-1), fo = new Int32Array(256);
    let hi = 0;
    function fault(addr) { throw new RangeError('SIGSEGV at ' + addr); }
    %NeverOptimizeFunction(fault);
    function load64(addr) {
      const vpn = addr >>> 12, s = vpn & 255, off = addr & 4095;
      if (tag[s] === vpn && off <= 4088) { const o = fo[s] + off; hi = dv.getInt32(o + 4, true); return dv.getUint32(o, true); }
      const f = flat[vpn]; if (f >= 0 && off <= 4088) { tag[s] = vpn; fo[s] = f; hi = dv.getInt32(f + off + 4, true); return dv.getUint32(f + off, true); }
      return fault(addr);
    }
    return (addrs, n) => { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + load64(addrs[i & MASK]) + (hi >>> 0)) | 0; return acc; };`)(dv, flat);
}

const dv = makeDataView();
const base = DEFAULT_BASE[32];
const streams = makeStreams(32, base, 4);
for (const p of ['seq', 'rand64p']) {
  const s = streams[p];
  const rr = roundRobin([
    ['raw', () => rawLoadU32(s, dv, ACC)],
    ...Object.entries(MISS).map(([name, miss]) => {
      const loop = variant(miss, dv, base);
      return [name, () => nsPerOp(() => loop(s, ACC), ACC)];
    }),
  ], { rounds });
  const cells = Object.keys(MISS).map((name) => {
    const r = statsOf(rr.variants[name].samples.map((v, i) => v / rr.variants.raw.samples[i]));
    return `${name} ${rr.variants[name].median.toFixed(2)} ns (${r.median.toFixed(2)}x)`;
  });
  console.log(`32-bit ${p}: raw ${rr.variants.raw.median.toFixed(2)} ns; ${cells.join('; ')}`);
}
const streams8 = makeStreams(32, base, 8);
const u32 = new Uint32Array(dv.buffer);
for (const p of ['seq', 'rand64p']) {
  const s = streams8[p];
  const loop = variant64(dv, base);
  const rr = roundRobin([
    ['raw pair', () => rawU64Pair(s, u32, 'load', ACC)],
    ['load64', () => nsPerOp(() => loop(s, ACC), ACC)],
  ], { rounds });
  const r = statsOf(rr.variants.load64.samples.map((v, i) => v / rr.variants['raw pair'].samples[i]));
  console.log(`32-bit ${p} u64: raw pair ${rr.variants['raw pair'].median.toFixed(2)} ns; refill + call ${rr.variants.load64.median.toFixed(2)} ns (${r.median.toFixed(2)}x)`);
}

/**
 * Memory's miss path (src/kernel/memory.ts miss()) must stay out of line: when V8 inlines it
 * into an emulator's loop, the loop's own values move to stack slots and a TLB hit costs about
 * 0.3x raw more (bench/mem.mjs, G17-G20). V8 does not inline a function of more than 460 bytes
 * of bytecode (--max-inlined-bytecode-size). These checks run the built library (dist) in a
 * child Node with V8's tracing flags: the function's bytecode length, and that a hot loop of
 * loads and stores compiled by TurboFan calls it rather than inlining it. They skip when dist is
 * missing (npm test builds it first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '../../dist/src/index.js');
const INLINE_LIMIT = 460;

/** A hot loop over both Memory classes: misses (fresh pages) and hits, loads and stores. */
const script = `
  const vm = await import(${JSON.stringify(pathToFileURL(dist).href)});
  const t = vm.createSystem().task(0);
  const a = t.fast.mmap(0xc0000000, 64 * 4096, 3, 0x22 | 0x100000, -1, 0);
  for (const m of [t.mem, t.mem32]) {
    let acc = 0;
    for (let r = 0; r < 40; r++) {
      for (let i = 0; i < 64 * 1024; i++) {
        const x = a + ((i * 2654435761) >>> 0) % (64 * 4096 - 8);
        m.store32(x, i);
        acc = (acc + m.load32(x) + m.load64(x - (x & 7)) + m.hi) | 0;
      }
      if (r % 8 === 0) t.sys.madvise(BigInt(a), 64n * 4096n, 4n); // MADV_DONTNEED: flushes, so misses recur
    }
    console.log('acc', acc);
  }
`;

function runTraced(flags: string[]): string {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 256 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!existsSync(dist))('Memory.miss stays out of line', () => {
  it(`its bytecode is longer than V8's inlining limit (${INLINE_LIMIT} bytes)`, () => {
    const out = runTraced(['--print-bytecode', '--print-bytecode-filter=miss']);
    const m = /function: miss \(.*\)\]\nBytecode length: (\d+)/.exec(out);
    expect(m, 'no bytecode printed for miss()').not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(INLINE_LIMIT);
  });

  it('TurboFan inlines the hit paths into a hot loop and calls miss()', { timeout: 60_000 }, () => {
    const out = runTraced(['--trace-turbo-inlining']);
    const inlined = (fn: string): RegExp => new RegExp(`^Inlining \\S+ \\{\\S+ <SharedFunctionInfo ${fn}>\\} into`, 'm');
    expect(out).toMatch(inlined('load32'));
    expect(out).toMatch(inlined('store32'));
    expect(out).not.toMatch(inlined('miss'));
  });
});

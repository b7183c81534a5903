/**
 * The kernel oracle's refusals over its executor's own memory, at their edges. The recorded
 * fixture (test/conformance/scenarios/harness/refused-ops) shows them against the kernel; these
 * cases pin down the arithmetic the fixture does not reach (wrapping, the last byte, the flags).
 */
import { describe, expect, it } from 'vitest';
import { HarnessGuard } from '../../scenario/harness-guard.js';
import { parseScenario } from '../../scenario/parse.js';
import { evalExpr } from '../../scenario/values.js';

const INIT = {
  harness: [
    { start: '0x400000', end: '0x515000', what: 'executor image' },
    { start: '0x7ffffffde000', end: '0x7ffffffff000', what: 'stack' },
  ],
};
const guard = HarnessGuard.fromInit(INIT)!;

/** The guard's answer for one scenario line (operands without references). */
function refusal(line: string): string | undefined {
  const op = parseScenario(`${line}\n`).ops[0];
  const a: Record<string, bigint> = {};
  for (const [k, e] of Object.entries(op.args)) {
    const v = evalExpr(e, () => undefined);
    if ('missing' in v) throw new Error('no references here');
    a[k] = v.value;
  }
  return guard.refusal(op, a)?.error;
}

describe('HarnessGuard', () => {
  it('exists only for a start state with both harness ranges', () => {
    expect(HarnessGuard.fromInit({})).toBeUndefined();
    expect(HarnessGuard.fromInit({ harness: [INIT.harness[0]] })).toBeUndefined();
    expect(HarnessGuard.fromInit({ harness: 'x' })).toBeUndefined();
  });

  it('page ranges: any overlap of the pages, unless the kernel rejects the range first', () => {
    expect(refusal('{"op":"munmap","addr":"0x3ff000","len":"0x1001"}')).toBe('harness: refused: munmap would change the executor image');
    expect(refusal('{"op":"munmap","addr":"0x3ff000","len":"0x1000"}')).toBeUndefined(); // ends where the image starts
    expect(refusal('{"op":"munmap","addr":"0x515000","len":"0x1000"}')).toBeUndefined();
    expect(refusal('{"op":"munmap","addr":"0x3ff001","len":"0x2000"}')).toBeUndefined(); // EINVAL: unaligned
    expect(refusal('{"op":"munmap","addr":"0x400000","len":"0x0"}')).toBeUndefined(); // EINVAL: empty
    expect(refusal('{"op":"munmap","addr":"0x400000","len":"0xfffffffffffff001"}')).toBeUndefined(); // wraps
    // past TASK_SIZE: munmap, mremap and MAP_FIXED fail before they change anything; mprotect
    // and madvise work through the mapped part first
    expect(refusal('{"op":"munmap","addr":"0x7fffffffe000","len":"0x2000"}')).toBeUndefined();
    expect(refusal('{"op":"mprotect","addr":"0x7fffffffe000","len":"0x2000","prot":"PROT_READ"}')).toBe('harness: refused: mprotect would change the executor stack');
    expect(refusal('{"op":"madvise","addr":"0x7fffffffe000","len":"0x2000","advice":"MADV_DONTNEED"}')).toBe('harness: refused: madvise would change the executor stack');
  });

  it('which mmap, madvise and mremap calls count', () => {
    expect(refusal('{"op":"mmap","addr":"0x400000","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}')).toBeUndefined(); // a hint
    expect(refusal('{"op":"mmap","addr":"0x400000","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_FIXED_NOREPLACE"}')).toBeUndefined();
    expect(refusal('{"op":"mmap","addr":"0x400000","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED"}')).toBe('harness: refused: mmap would change the executor image');
    for (const advice of ['MADV_WILLNEED', 'MADV_COLD', 'MADV_PAGEOUT', 'MADV_NORMAL', 'MADV_DODUMP']) {
      expect(refusal(`{"op":"madvise","addr":"0x400000","len":"0x1000","advice":"${advice}"}`)).toBeUndefined();
    }
    for (const advice of ['MADV_DONTNEED', 'MADV_FREE', 'MADV_REMOVE', 'MADV_DONTFORK', 'MADV_WIPEONFORK', 'MADV_DONTNEED_LOCKED', 'MADV_GUARD_INSTALL']) {
      expect(refusal(`{"op":"madvise","addr":"0x400000","len":"0x1000","advice":"${advice}"}`)).toBe('harness: refused: madvise would change the executor image');
    }
    // anywhere at all
    expect(refusal('{"op":"madvise","addr":"0x10000000","len":"0x1000","advice":"MADV_HWPOISON"}')).toBe('harness: refused: MADV_HWPOISON/SOFT_OFFLINE harm the host');
    expect(refusal('{"op":"madvise","addr":"0x10000000","len":"0x1000","advice":"MADV_SOFT_OFFLINE"}')).toBe('harness: refused: MADV_HWPOISON/SOFT_OFFLINE harm the host');
    // the target of a move counts only with MREMAP_FIXED
    expect(refusal('{"op":"mremap","old_addr":"0x10000000","old_len":"0x1000","new_len":"0x1000","flags":"MREMAP_MAYMOVE","new_addr":"0x7ffffffde000"}')).toBeUndefined();
    expect(refusal('{"op":"mremap","old_addr":"0x10000000","old_len":"0x1000","new_len":"0x1000","flags":"MREMAP_MAYMOVE|MREMAP_FIXED","new_addr":"0x7ffffffde000"}')).toBe('harness: refused: mremap would change the executor stack');
  });

  it('byte ranges: stores, write touches and preads into process memory', () => {
    expect(refusal('{"op":"store","addr":"0x3fffff","data":"01"}')).toBeUndefined();
    expect(refusal('{"op":"store","addr":"0x3fffff","data":"0102"}')).toBe('harness: refused: store would change the executor image');
    expect(refusal('{"op":"store","addr":"0x7ffffffff000","data":"01"}')).toBeUndefined();
    expect(refusal('{"op":"store","addr":"0x7fffffffefff","data":"01"}')).toBe('harness: refused: store would change the executor stack');
    expect(refusal('{"op":"touch","addr":"0x514fff","len":"0x2"}')).toBeUndefined(); // a read touch
    expect(refusal('{"op":"touch","addr":"0x514fff","len":"0x2","write":true}')).toBe('harness: refused: touch would change the executor image');
    expect(refusal('{"op":"touch","addr":"0xffffffffffff0000","len":"0xffffffffffff0000","write":true}')).toBeUndefined(); // wraps: clamped, then far above
    expect(refusal('{"op":"pread","fd":"0x3","len":"0x10"}')).toBeUndefined(); // into the runner's buffer
    expect(refusal('{"op":"pread","fd":"0x3","len":"0x10","buf":"0x514ff0"}')).toBe('harness: refused: pread would change the executor image');
    expect(refusal('{"op":"pwrite","fd":"0x3","len":"0x10","buf":"0x404000"}')).toBeUndefined(); // only reads it
    expect(refusal('{"op":"load","addr":"0x404000","len":"0x10"}')).toBeUndefined();
  });
});

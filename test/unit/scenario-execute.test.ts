/**
 * The op executor against a tiny fake system: what each op passes to the kernel facade, and how
 * results, skips, refusals and broken invariants come out.
 */
import { describe, expect, it } from 'vitest';
import type { ProcView, RawSyscalls } from '../../src/kernel/api.js';
import type { System, Task } from '../../src/kernel/system.js';
import { OpExecutor, ScenarioRunError } from '../../scenario/execute.js';
import { formatResult } from '../../scenario/format.js';
import { parseScenario } from '../../scenario/parse.js';

interface Call { name: string; args: unknown[] }

/** A fake task: records syscalls; `answers` gives return values by syscall name (default 0). */
function fakeSystem(answers: Partial<Record<keyof RawSyscalls, (...a: never[]) => number>> = {}) {
  const calls: Call[] = [];
  let broken: string | undefined;
  const sys = new Proxy({} as RawSyscalls, {
    get: (_t, name: string) => (...args: unknown[]) => {
      calls.push({ name, args });
      const f = (answers as Record<string, (...a: unknown[]) => number>)[name];
      return f ? f(...args) : 0;
    },
  });
  const proc: ProcView = {
    maps: () => ['00400000-00401000 r--p 00000000 00:00 0 '],
    smaps: () => [{ line: 'L', fields: { Size: 4, Rss: '4 kB', VmFlags: 'rd mr ' } }],
    smapsRollup: () => ({ Rss: 4, Pss: '4 kB' }),
    status: () => ({ VmPeak: 8, VmSize: 8 }),
  };
  const task = {
    sys, proc,
    fork: () => -12,
    checkInvariants: () => { if (broken) throw new Error(broken); },
  } as unknown as Task;
  const system = {
    initRecord: () => ({ version: 1, maps: proc.maps() }),
    task: (label: number) => (label === 0 ? task : undefined),
  } as unknown as System;
  return { system, calls, breakInvariant: (m: string) => { broken = m; } };
}

function run(text: string, fake = fakeSystem(), check = true) {
  const exec = new OpExecutor(fake.system, check);
  const results = parseScenario(text).ops.map((op) => formatResult(exec.run(op)));
  return { results, calls: fake.calls, output: exec.output };
}

const M = 2n ** 64n;

describe('OpExecutor', () => {
  it('passes operands unchanged as u64 and prints ret / errno', () => {
    const fake = fakeSystem({ mmap: () => 0x7ffff7ff4000, munmap: () => -22 });
    const { results, calls, output } = run(
      '{"op":"mmap","len":"0x3000","prot":"PROT_READ|PROT_WRITE","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}\n' +
        '{"op":"munmap","addr":"$0+0x1","len":"-0x1000"}\n',
      fake,
    );
    expect(results).toEqual(['{"ret":"0x7ffff7ff4000"}', '{"errno":"EINVAL"}']);
    expect(calls[0]).toEqual({ name: 'mmap', args: [0n, 0x3000n, 3n, 0x22n, M - 1n, 0n] });
    expect(calls[1]).toEqual({ name: 'munmap', args: [0x7ffff7ff4001n, M - 0x1000n] });
    expect(output[0]).toBe('{"init":{"version":1,"maps":["00400000-00401000 r--p 00000000 00:00 0 "]}}');
  });

  it('skips ops that refer to an op without a ret, or run in a pid that does not exist', () => {
    const fake = fakeSystem({ mmap: () => -12 });
    const { results, calls } = run(
      '{"op":"mmap","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}\n' +
        '{"op":"munmap","addr":"0x1000","len":"$0"}\n' +
        '{"op":"fork"}\n{"op":"maps","pid":1}\n{"op":"pread","fd":"0x3","len":"0x200000"}\n' +
        '{"op":"close","fd":"$4"}\n',
      fake,
    );
    expect(results).toEqual([
      '{"errno":"ENOMEM"}', '{"skip":"$0 has no ret"}',
      '{"errno":"ENOMEM"}', '{"skip":"pid 1 does not exist"}',
      '{"error":"harness: pread of more than 1048576 bytes without buf"}', '{"skip":"$4 has no ret"}',
    ]);
    expect(calls.map((c) => c.name)).toEqual(['mmap']);
  });

  it('calls mlock2 only when flags are given, and brk/msync/mseal/madvise with their operands', () => {
    const { calls } = run(
      '{"op":"mlock","addr":"0x1000","len":"0x1000"}\n{"op":"mlock","addr":"0x1000","len":"0x1000","flags":0}\n' +
        '{"op":"brk"}\n{"op":"msync","addr":"0x1000","len":"0x1000","flags":"MS_SYNC"}\n' +
        '{"op":"mseal","addr":"0x1000","len":"0x1000"}\n{"op":"madvise","addr":"0x1000","len":"0x1000","advice":"MADV_DONTNEED"}\n' +
        '{"op":"mremap","old_addr":"0x1000","old_len":"0x1000","new_len":"0x2000","flags":"MREMAP_MAYMOVE"}\n' +
        '{"op":"setrlimit","resource":"RLIMIT_STACK","cur":"0x800000","max":"-0x1"}\n' +
        '{"op":"anon_name","addr":"0x1000","len":"0x1000","name":"x"}\n{"op":"mlockall","flags":"MCL_CURRENT"}\n{"op":"munlockall"}\n',
    );
    expect(calls).toEqual([
      { name: 'mlock', args: [0x1000n, 0x1000n] },
      { name: 'mlock2', args: [0x1000n, 0x1000n, 0n] },
      { name: 'brk', args: [0n] },
      { name: 'msync', args: [0x1000n, 0x1000n, 4n] },
      { name: 'mseal', args: [0x1000n, 0x1000n, 0n] },
      { name: 'madvise', args: [0x1000n, 0x1000n, 4n] },
      { name: 'mremap', args: [0x1000n, 0x1000n, 0x2000n, 1n, 0n] },
      { name: 'prlimit64', args: [3n, 0x800000n, M - 1n] },
      { name: 'setVmaAnonName', args: [0x1000n, 0x1000n, 'x'] },
      { name: 'mlockall', args: [1n] },
      { name: 'munlockall', args: [] },
    ]);
  });

  it('gives mincore a vector of ceil(len/4096) bytes and prints it', () => {
    const fake = fakeSystem({
      mincore: ((_a: bigint, _l: bigint, vec: Uint8Array) => { vec.fill(1); return 0; }) as never,
    });
    const { results, calls } = run(
      '{"op":"mincore","addr":"0x1000","len":"0x2001"}\n{"op":"mincore","addr":"0x1000","len":0}\n' +
        '{"op":"mincore","addr":"0x0","len":"0x200000000"}\n{"op":"mincore","addr":"0x1000","len":"-0x1000"}\n',
      fake,
    );
    expect(results).toEqual([
      '{"ret":"0x0","data":"010101"}', '{"ret":"0x0"}',
      '{"error":"harness: refused: mincore of more than 4 GiB"}', '{"ret":"0x0"}',
    ]);
    expect(calls.map((c) => (c.args[2] as Uint8Array).length)).toEqual([3, 0, 0]);
  });

  it('maps scenario fds outside 3..255 to a closed fd, and moves opened files with "fd"', () => {
    let next = 3;
    const fake = fakeSystem({ openat: () => next++, dup3: ((_o: bigint, n: bigint) => Number(n)) as never });
    const { results, calls } = run(
      '{"op":"close","fd":1}\n{"op":"close","fd":300}\n{"op":"close","fd":-5}\n{"op":"close","fd":7}\n' +
        '{"op":"open","path":"f","flags":"O_RDWR|O_CREAT|O_CLOEXEC"}\n{"op":"open","path":"g","fd":9}\n' +
        '{"op":"open","path":"h","fd":400}\n{"op":"ftruncate","fd":"$4","len":"0x1000"}\n',
      fake,
    );
    expect(results).toEqual([
      '{"ret":"0x0"}', '{"ret":"0x0"}', '{"ret":"0x0"}', '{"ret":"0x0"}',
      '{"ret":"0x3"}', '{"ret":"0x9"}', '{"errno":"EBADF"}', '{"ret":"0x0"}',
    ]);
    expect(calls.map((c) => [c.name, ...c.args])).toEqual([
      ['close', 0x7fffffffn], ['close', 0x7fffffffn], ['close', M - 5n], ['close', 7n],
      ['openat', 'f', 0o2000102n, 0o644n],
      ['openat', 'g', 0n, 0o644n], ['dup3', 4n, 9n, 0n], ['close', 4n],
      ['openat', 'h', 0n, 0o644n], ['close', 5n],
      ['ftruncate', 3n, 0x1000n],
    ]);
  });

  it('prints /proc dumps with the oracle rules', () => {
    const { results } = run('{"op":"maps"}\n{"op":"smaps","fields":["VmFlags"]}\n{"op":"smaps"}\n{"op":"smaps_rollup"}\n{"op":"status"}\n');
    expect(results).toEqual([
      '{"maps":["00400000-00401000 r--p 00000000 00:00 0 "]}',
      '{"smaps":[{"line":"L","VmFlags":"rd mr"}]}',
      '{"smaps":[{"line":"L","Size":4,"Rss":4,"VmFlags":"rd mr"}]}',
      '{"smaps_rollup":{"Rss":4,"Pss":4}}',
      '{"status":{"VmPeak":8,"VmSize":8}}',
    ]);
  });

  it('stops with an error naming the op when an invariant breaks', () => {
    const fake = fakeSystem();
    fake.breakInvariant('vma[2]: overlap');
    let err: unknown;
    try {
      run('{"op":"maps"}\n{"op":"brk"}\n', fake);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioRunError);
    const e = err as ScenarioRunError;
    expect(e.message).toBe('invariant broken after op 0 (maps, line 1, pid 0): vma[2]: overlap');
    expect(e.partialOutput).toHaveLength(2);
    expect(() => run('{"op":"brk"}\n', fake, false)).not.toThrow();
  });

  it('stops with an error naming the op when the kernel throws or returns a non-integer', () => {
    const fake = fakeSystem({ brk: () => { throw new RangeError('boom'); }, mlockall: () => 0.5 });
    expect(() => run('{"op":"maps"}\n{"op":"brk"}\n', fake)).toThrow('exception in op 1 (brk, line 2, pid 0): boom');
    expect(() => run('{"op":"mlockall","flags":0}\n', fake)).toThrow(/mlockall returned 0.5/);
  });
});

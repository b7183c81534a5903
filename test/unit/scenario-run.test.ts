/**
 * runScenario / runScenarioText / ScenarioStream (with a fake system), and the CLI end to end
 * on the real simulated kernel.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RawSyscalls } from '../../src/kernel/api.js';
import type { System, Task } from '../../src/kernel/system.js';
import { main } from '../../cli/main.js';
import { ScenarioError, parseScenario } from '../../scenario/parse.js';
import { ScenarioStream, runScenario, runScenarioText } from '../../scenario/run.js';

function fakeSystem(init: Record<string, unknown> = { version: 1, maps: [] }): System {
  let next = 0x7ffff7ff0000;
  const sys = new Proxy({} as RawSyscalls, {
    get: (_t, name) => (...args: unknown[]) => {
      if (name === 'mmap') return (args[1] as bigint) === 0n ? -22 : (next -= 0x1000);
      return 0;
    },
  });
  const task = {
    sys,
    proc: { maps: () => ['m '], smaps: () => [], smapsRollup: () => ({}), status: () => ({}) },
    checkInvariants: () => {},
  } as unknown as Task;
  return { initRecord: () => init, task: (l: number) => (l === 0 ? task : undefined) } as unknown as System;
}

const MMAP = (len: string) => `{"op":"mmap","len":"${len}","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}`;

describe('runScenarioText', () => {
  it('prints the init record, then one newline-terminated line per op', () => {
    const out = runScenarioText(`# c\n${MMAP('0x1000')}\n${MMAP('0x0')}\n{"op":"munmap","addr":"$1","len":"0x1000"}\n{"op":"maps"}\n`, {
      system: fakeSystem(),
    });
    expect(out).toBe(
      '{"init":{"version":1,"maps":[]}}\n{"ret":"0x7ffff7fef000"}\n{"errno":"EINVAL"}\n{"skip":"$1 has no ret"}\n{"maps":["m "]}\n',
    );
  });

  it('throws ScenarioError for a bad scenario, before running anything', () => {
    expect(() => runScenarioText(`${MMAP('0x1000')}\n{"op":"nope"}\n`, { system: fakeSystem() })).toThrow(ScenarioError);
  });

  it('stops with a ScenarioRunError naming the op when an invariant breaks', () => {
    const sys = fakeSystem();
    (sys.task(0) as { checkInvariants: () => void }).checkInvariants = () => { throw new Error('broken'); };
    expect(() => runScenarioText(`${MMAP('0x1000')}\n`, { system: sys })).toThrow(
      'invariant broken after op 0 (mmap, line 1, pid 0): broken',
    );
    expect(() => runScenarioText(`${MMAP('0x1000')}\n`, { system: sys, checkInvariants: false })).not.toThrow();
  });

  it('checks invariants after every op, or every n-th op and at the end with a stride', () => {
    const count = (stride?: number) => {
      const sys = fakeSystem();
      let n = 0;
      (sys.task(0) as { checkInvariants: () => void }).checkInvariants = () => { n++; };
      runScenarioText(`${MMAP('0x1000')}\n`.repeat(7), { system: sys, invariantStride: stride });
      return n;
    };
    expect(count()).toBe(7);
    expect(count(3)).toBe(3 + 1); // ops 0, 3, 6, then the end
  });

  it('runScenario returns the init record and the results', () => {
    const r = runScenario(parseScenario(`${MMAP('0x1000')}\n`), { system: fakeSystem() });
    expect(r.init).toEqual({ version: 1, maps: [] });
    expect(r.results).toEqual([{ ret: '0x7ffff7fef000' }]);
  });
});

describe('ScenarioStream', () => {
  it('reports a bad line as an error result and goes on; the bad line takes an index', () => {
    const bad: Array<[number, string]> = [];
    const s = new ScenarioStream({ system: fakeSystem(), onBadLine: (l, m) => bad.push([l, m]) });
    const out = [
      ...s.push('# comment\n'),
      ...s.push(`${MMAP('0x1000')}\n`),
      ...s.push('{"op":"bogus"}\n'),
      ...s.push('{"op":"munmap","addr":"$1","len":"0x1000"}\n'),
      ...s.push('{"op":"munmap","addr":"$0","len":"0x1000"}\n'),
      ...s.end(),
    ];
    expect(out).toEqual([
      '{"init":{"version":1,"maps":[]}}',
      '{"ret":"0x7ffff7fef000"}',
      '{"error":"scenario: line 3: unknown op \\"bogus\\""}',
      '{"error":"scenario: line 4: \\"addr\\": $1 refers to an op that never yields a \\"ret\\""}',
      '{"ret":"0x0"}',
    ]);
    expect(bad.map(([l]) => l)).toEqual([3, 4]);
  });

  it('prints the init record even for an empty input', () => {
    const s = new ScenarioStream({ system: fakeSystem() });
    expect([...s.pushText('\n# nothing\n'), ...s.end()]).toEqual(['{"init":{"version":1,"maps":[]}}']);
  });
});

function io(input: string) {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => { out += String(d); });
  stderr.on('data', (d) => { err += String(d); });
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err };
}

const argv = (...a: string[]) => ['node', 'vmspace', ...a];

describe('vmspace CLI (real simulated kernel)', () => {
  it('runs a scenario from stdin', async () => {
    const t = io(`${MMAP('0x3000')}\n{"op":"maps"}\n`);
    expect(await main(argv('run', '-'), t.io)).toBe(0);
    const lines = t.out().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\{"init":\{/);
    expect(lines[1]).toMatch(/^\{"ret":"0x[0-9a-f]+"\}$/);
    expect(lines[2]).toMatch(/^\{"maps":\[/);
  });

  it('exits 2 with FILE:LINE: message on a bad scenario, running nothing', async () => {
    const t = io(`${MMAP('0x3000')}\n{"op":"mmap","len":"4096","prot":"PROT_READ","flags":"MAP_PRIVATE"}\n`);
    expect(await main(argv('run', '--json'), t.io)).toBe(2);
    expect(t.out()).toBe('');
    expect(t.err()).toBe('<stdin>:2: "len": expected 0x-hex or $N in "4096" (numbers in strings are hex with 0x)\n');
  });

  it('streams, reporting bad lines as results', async () => {
    const t = io(`${MMAP('0x3000')}\n{"op":"nope"}\n{"op":"brk"}\n`);
    expect(await main(argv('run', '--stream', '--no-check', '-'), t.io)).toBe(0);
    const lines = t.out().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('{"error":"scenario: line 2: unknown op \\"nope\\""}');
    expect(t.err()).toBe('<stdin>:2: unknown op "nope"\n');
  });

  it('prints its version and help', async () => {
    const t = io('');
    expect(await main(argv('--version'), t.io)).toBe(0);
    expect(t.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = io('');
    expect(await main(argv('run', '--help'), h.io)).toBe(0);
    expect(h.out()).toContain('--no-check');
  });

});

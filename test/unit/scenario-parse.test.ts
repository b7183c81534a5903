import { describe, expect, it } from 'vitest';
import { ScenarioError, ScenarioParser, parseJson, parseScenario, splitLines } from '../../scenario/parse.js';
import { evalExpr } from '../../scenario/values.js';

const MMAP = '{"op":"mmap","len":"0x3000","prot":"PROT_READ|PROT_WRITE","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}';

/** The error a one-scenario text gives: "line N: message". */
function errorOf(text: string): string {
  try {
    parseScenario(text);
  } catch (e) {
    if (e instanceof ScenarioError) return `${e.line}: ${e.detail}`;
    throw e;
  }
  return 'ok';
}

describe('parseScenario: good input', () => {
  it('numbers ops from 0, skipping blank lines, comments and init', () => {
    const s = parseScenario(
      `# a comment\n{"op":"init","version":1,"maps":[]}\n\n   # indented comment\n${MMAP}\n{"op":"maps","note":"x","expect":{"maps_has":["y"]}}\n`,
    );
    expect(s.init).toEqual({ version: 1, maps: [] });
    expect(s.ops.map((o) => [o.op, o.index, o.line])).toEqual([['mmap', 0, 5], ['maps', 1, 6]]);
  });

  it('fills defaults and keeps operands as expressions in field order', () => {
    const { ops } = parseScenario(`${MMAP}\n{"op":"munmap","addr":"$0+0x1000","len":4096}\n`);
    const mmap = ops[0];
    expect(Object.keys(mmap.args)).toEqual(['addr', 'len', 'prot', 'flags', 'fd', 'offset']);
    const v = (k: string) => evalExpr(mmap.args[k], () => undefined);
    expect(v('fd')).toEqual({ value: 2n ** 64n - 1n });
    expect(v('prot')).toEqual({ value: 3n });
    expect(v('flags')).toEqual({ value: 0x22n });
    expect([...mmap.given]).toEqual(['len', 'prot', 'flags']);
    expect(evalExpr(ops[1].args.addr, (i) => (i === 0 ? 0x7000n : undefined))).toEqual({ value: 0x8000n });
  });

  it('reads per-op extras: open mode default, mlock flags given, smaps fields, touch write, anon_name null', () => {
    const { ops } = parseScenario([
      '{"op":"open","path":"f","flags":"O_RDWR|O_CREAT","dev":"fe:00","ino":5}',
      '{"op":"mlock","addr":"0x1000","len":"0x1000","flags":0}',
      '{"op":"smaps","fields":["Rss","VmFlags"]}',
      '{"op":"touch","addr":"0x1000","len":"0x1000","write":true}',
      '{"op":"anon_name","addr":"0x1000","len":"0x1000","name":null}',
      '{"op":"store","addr":"0x1000","data":"0102"}',
      '{"op":"close","fd":-1}',
    ].join('\n'));
    expect(evalExpr(ops[0].args.mode, () => undefined)).toEqual({ value: 0o644n });
    expect(ops[0].path).toBe('f');
    expect(ops[1].given.has('flags')).toBe(true);
    expect(ops[2].fields).toEqual(['Rss', 'VmFlags']);
    expect(ops[3].write).toBe(true);
    expect(ops[4].name).toBeNull();
    expect([...ops[5].data!]).toEqual([1, 2]);
    expect(evalExpr(ops[6].args.fd, () => undefined)).toEqual({ value: 2n ** 64n - 1n });
  });

  it('gives fork the next label by default and tracks pids', () => {
    const { ops } = parseScenario('{"op":"fork"}\n{"op":"fork","child":5}\n{"op":"maps","pid":5}\n{"op":"exit","pid":1}\n');
    expect(ops.map((o) => o.child)).toEqual([1, 5, undefined, undefined]);
    expect(ops[2].pid).toBe(5);
  });
});

describe('parseScenario: bad input (the kernel oracle\'s messages)', () => {
  const cases: Array<[string, string, string]> = [
    ['unknown op', '{"op":"mmapx"}', '1: unknown op "mmapx"'],
    ['unknown field', `${MMAP.slice(0, -1)},"lenght":"0x1000"}`, '1: op "mmap" has no field "lenght"'],
    ['missing field', '{"op":"munmap","addr":"0x1000"}', '1: op "munmap" needs "len"'],
    ['decimal in a string', '{"op":"munmap","addr":"0x1000","len":"4096"}',
      '1: "len": expected 0x-hex or $N in "4096" (numbers in strings are hex with 0x)'],
    ['integer out of range', '{"op":"munmap","addr":"0x1000","len":-1}',
      '1: "len": -1 is not an integer in range (use a "0x.." string for 64-bit values)'],
    ['integer not exact', '{"op":"munmap","addr":"0x1000","len":4096.0}',
      '1: "len": 4096.0 is not an integer in range (use a "0x.." string for 64-bit values)'],
    ['forward reference', `${MMAP}\n{"op":"munmap","addr":"$1","len":"0x1000"}`,
      '2: "addr": $1 refers to an op that is not before this one'],
    ['reference to itself', '{"op":"munmap","addr":"$0","len":"0x1000"}',
      '1: "addr": $0 refers to an op that is not before this one'],
    ['reference to a load', '{"op":"load","addr":"0x1000","len":1}\n{"op":"munmap","addr":"$0","len":"0x1000"}',
      '2: "addr": $0 refers to an op that never yields a "ret"'],
    ['reference to maps', '{"op":"maps"}\n{"op":"munmap","addr":"$0","len":"0x1000"}',
      '2: "addr": $0 refers to an op that never yields a "ret"'],
    ['bad constant', '{"op":"mprotect","addr":"0x1000","len":"0x1000","prot":"PROT_RAED"}',
      `1: "prot": unknown prot value 'PROT_RAED' in "PROT_RAED"`],
    ['two advices', '{"op":"madvise","addr":"0x1000","len":"0x1000","advice":"MADV_DONTNEED|MADV_FREE"}',
      '1: "advice": madvise advice takes a single value, not "MADV_DONTNEED|MADV_FREE"'],
    ['constant of the wrong type', '{"op":"mprotect","addr":"0x1000","len":"0x1000","prot":true}',
      '1: "prot": expected a string like "PROT_NONE" or an integer'],
    ['pid after exit', '{"op":"fork"}\n{"op":"exit","pid":1}\n{"op":"maps","pid":1}',
      '3: pid 1 is not running here (no earlier fork created it, or it exited)'],
    ['pid never forked', '{"op":"maps","pid":2}', '1: pid 2 is not running here (no earlier fork created it, or it exited)'],
    ['pid out of range', '{"op":"maps","pid":32}', '1: "pid": expected a label from 0 to 31'],
    ['fork child reused', '{"op":"fork","child":3}\n{"op":"fork","child":2}',
      '2: fork: label 2 was already used (labels are never reused)'],
    ['fork child 0', '{"op":"fork","child":0}', '1: "child": expected a pid label from 1 to 31'],
    ['init not first', `${MMAP}\n{"op":"init"}`, '2: "init" may only be the first line'],
    ['not an object', '[1]', '1: a scenario line must be a JSON object {"op": ...}'],
    ['no op', '{"opp":"maps"}', '1: missing "op" (a string)'],
    ['bad JSON', '{"op":"maps",}', '1: JSON: expected a string key at column 14'],
    ['duplicate key', '{"op":"maps","op":"maps"}', '1: JSON: duplicate key "op" at column 18'],
    ['trailing text', '{"op":"maps"} x', '1: JSON: trailing characters after the value at column 15'],
    ['odd data', '{"op":"store","addr":"0x1000","data":"abc"}', '1: "data": odd number of hex digits'],
    ['absolute path for writing', '{"op":"open","path":"/etc/x","flags":"O_RDWR"}',
      '1: absolute paths may only be opened read-only (write to files in the scratch dir)'],
    ['.. in a path', '{"op":"open","path":"a/../b"}',
      `1: "path": '..' is not allowed (paths are relative to the scratch dir)`],
    ['unlink absolute', '{"op":"unlink","path":"/x"}', '1: unlink takes a path relative to the scratch dir'],
    ['pwrite without data or buf', '{"op":"pwrite","fd":3}', '1: pwrite takes either "data", or "buf" and "len"'],
    ['pwrite buf without len', '{"op":"pwrite","fd":3,"buf":"0x1000"}', '1: pwrite with "buf" needs "len"'],
    ['touch write not bool', '{"op":"touch","addr":"0x1000","len":"0x1000","write":1}', '1: "write": expected true or false'],
    ['smaps fields not a list', '{"op":"smaps","fields":"Rss"}', '1: "fields": expected an array of strings'],
    ['fd out of 32 bits', '{"op":"close","fd":2147483648}',
      '1: "fd": 2147483648 is not an integer in range (use a "0x.." string for 64-bit values)'],
  ];
  for (const [what, text, want] of cases) {
    it(what, () => expect(errorOf(text)).toBe(want));
  }

  it('reports the first bad line only and counts every line', () => {
    expect(errorOf(`\n# c\n${MMAP}\n{"op":"nope"}\n{"op":"nope2"}\n`)).toBe('4: unknown op "nope"');
  });
});

describe('ScenarioParser in stream mode', () => {
  it('lets a bad line take an index that yields no ret', () => {
    const p = new ScenarioParser();
    expect(p.parseLine(MMAP, 1).kind).toBe('op');
    const bad = p.parseLine('{"op":"bogus"}', 2);
    expect(bad).toEqual({ kind: 'error', message: 'unknown op "bogus"' });
    expect(p.skipIndex()).toBe(1);
    const ref = p.parseLine('{"op":"munmap","addr":"$1","len":"0x1000"}', 3);
    expect(ref).toEqual({ kind: 'error', message: '"addr": $1 refers to an op that never yields a "ret"' });
    p.skipIndex();
    const ok = p.parseLine('{"op":"munmap","addr":"$0","len":"0x1000"}', 4);
    expect(ok.kind === 'op' && ok.op.index).toBe(3);
  });
});

describe('parseJson', () => {
  it('keeps numbers as text and decodes escapes', () => {
    expect(parseJson('{"a":18446744073709551615,"b":"x\\u0041\\n","c":[true,null]}')).toEqual({
      type: 'obj', keys: ['a', 'b', 'c'],
      values: [
        { type: 'num', text: '18446744073709551615' }, { type: 'str', value: 'xA\n' },
        { type: 'arr', items: [{ type: 'bool', value: true }, { type: 'null' }] },
      ],
    });
  });
});

describe('splitLines', () => {
  it('splits as getline does', () => {
    expect(splitLines('a\nb')).toEqual(['a\n', 'b']);
    expect(splitLines('a\n')).toEqual(['a\n']);
    expect(splitLines('')).toEqual([]);
  });
});

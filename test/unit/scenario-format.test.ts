import { describe, expect, it } from 'vitest';
import {
  formatInit, formatOutput, formatResult, jsonString, jsonValue, procRecord, procValue, smapsRecord,
} from '../../scenario/format.js';

describe('jsonString', () => {
  it('escapes as the oracle does', () => {
    expect(jsonString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(jsonString('x\ny\tz')).toBe('"x\\ny\\tz"');
    expect(jsonString('\r\b\x7f\x01')).toBe('"\\u000d\\u0008\\u007f\\u0001"');
    expect(jsonString('/scratch/é')).toBe('"/scratch/é"');
  });
});

describe('formatResult', () => {
  it('prints members in the oracle order, compactly', () => {
    expect(formatResult({ data: '000100', ret: '0x0' })).toBe('{"ret":"0x0","data":"000100"}');
    expect(formatResult({ addr: '0x7ffff7ff5000', code: 'SEGV_ACCERR', signal: 'SIGSEGV' })).toBe(
      '{"signal":"SIGSEGV","code":"SEGV_ACCERR","addr":"0x7ffff7ff5000"}',
    );
    expect(formatResult({ errno: 'ENOMEM' })).toBe('{"errno":"ENOMEM"}');
    expect(formatResult({ skip: '$3 has no ret' })).toBe('{"skip":"$3 has no ret"}');
    expect(formatResult({ maps: ['a ', 'b'] })).toBe('{"maps":["a ","b"]}');
    expect(formatResult({ maps: [] })).toBe('{"maps":[]}');
  });

  it('prints /proc dumps with numbers as integers', () => {
    expect(formatResult({ status: { VmPeak: 1272, VmSize: 1272 } })).toBe('{"status":{"VmPeak":1272,"VmSize":1272}}');
    expect(formatResult({ smaps: [{ line: 'l', Size: 4, VmFlags: 'rd wr' }] })).toBe(
      '{"smaps":[{"line":"l","Size":4,"VmFlags":"rd wr"}]}',
    );
  });
});

describe('init and whole output', () => {
  it('wraps the init record and terminates every line', () => {
    expect(formatInit({ version: 1, maps: [], cpu: { pku: false }, kconfig: null })).toBe(
      '{"init":{"version":1,"maps":[],"cpu":{"pku":false},"kconfig":null}}',
    );
    expect(formatOutput({ version: 1 }, [{ ret: '0x0' }, { errno: 'EINVAL' }])).toBe(
      '{"init":{"version":1}}\n{"ret":"0x0"}\n{"errno":"EINVAL"}\n',
    );
  });

  it('prints any JSON-like value', () => {
    expect(jsonValue([1, 'a', true, null, 5n, { x: undefined, y: 2 }])).toBe('[1,"a",true,null,5,{"y":2}]');
  });
});

describe('/proc values', () => {
  it('turns "N kB" and integers into numbers, keeps other text', () => {
    expect(procValue('12 kB')).toBe(12);
    expect(procValue('0')).toBe(0);
    expect(procValue(4)).toBe(4);
    expect(procValue('rd wr mr mw me ac ', true)).toBe('rd wr mr mw me ac');
    expect(procValue('12 kB ', true)).toBe(12);
    expect(procValue('12 kB ')).toBe('12 kB ');
    expect(procValue('12 MB')).toBe('12 MB');
  });

  it('keeps line first and only the asked-for fields', () => {
    const fields = { Size: 4, Rss: '0 kB', VmFlags: 'rd mr ' };
    expect(smapsRecord('L', fields)).toEqual({ line: 'L', Size: 4, Rss: 0, VmFlags: 'rd mr' });
    expect(Object.keys(smapsRecord('L', fields, ['VmFlags', 'Size']))).toEqual(['line', 'Size', 'VmFlags']);
    expect(smapsRecord('L', fields, [])).toEqual({ line: 'L' });
    expect(procRecord({ Rss: '8 kB', THPeligible: 'x' })).toEqual({ Rss: 8, THPeligible: 'x' });
  });
});

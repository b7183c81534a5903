import { describe, expect, it } from 'vitest';
import {
  TABLES, ValueError, constExpr, evalExpr, hex, hexBytes, parseExpr, parseHexData, parseIntText,
  parseNames, utf8Length, type RefContext,
} from '../../scenario/values.js';

/** Ops 0..n-1 exist; those in `noRet` never yield a ret. */
const ctx = (n: number, noRet: number[] = []): RefContext => ({ nops: n, yieldsRet: (i) => !noRet.includes(i) });
const rets = (m: Record<number, bigint>) => (i: number) => m[i];

describe('parseExpr / evalExpr', () => {
  it('reads hex constants of 1 to 16 digits in any case', () => {
    expect(evalExpr(parseExpr('0x7FFFf7ff4000', 'addr', ctx(0)), rets({}))).toEqual({ value: 0x7ffff7ff4000n });
    expect(evalExpr(parseExpr('0xffffffffffffffff', 'addr', ctx(0)), rets({}))).toEqual({ value: 2n ** 64n - 1n });
    expect(() => parseExpr('0x', 'addr', ctx(0))).toThrow('"addr": bad hex number in "0x" (1 to 16 hex digits after 0x)');
    expect(() => parseExpr('0x12345678901234567', 'addr', ctx(0))).toThrow(/1 to 16 hex digits/);
  });

  it('sums terms modulo 2^64, with a leading minus', () => {
    const e = parseExpr('$3 - 0x20 + $5', 'addr', ctx(6));
    expect(evalExpr(e, rets({ 3: 0x1000n, 5: 0x10n }))).toEqual({ value: 0xff0n });
    expect(evalExpr(parseExpr('-0x1', 'addr', ctx(0)), rets({}))).toEqual({ value: 2n ** 64n - 1n });
    expect(evalExpr(parseExpr('0xffffffffffffffff+0x2', 'len', ctx(0)), rets({}))).toEqual({ value: 1n });
    expect(evalExpr(parseExpr('  $0+0x1000 ', 'len', ctx(1)), rets({ 0: 0x7000n }))).toEqual({ value: 0x8000n });
  });

  it('reports the first reference without a ret', () => {
    const e = parseExpr('$1+$0', 'addr', ctx(2));
    expect(evalExpr(e, rets({ 0: 1n }))).toEqual({ missing: 1 });
  });

  it('rejects decimal digits, forward references, and references to ops without a ret', () => {
    expect(() => parseExpr('4096', 'len', ctx(0))).toThrow(
      '"len": expected 0x-hex or $N in "4096" (numbers in strings are hex with 0x)',
    );
    expect(() => parseExpr('$2', 'addr', ctx(2))).toThrow('"addr": $2 refers to an op that is not before this one');
    expect(() => parseExpr('$1', 'addr', ctx(2, [1]))).toThrow(
      '"addr": $1 refers to an op that never yields a "ret"',
    );
    expect(() => parseExpr('$x', 'addr', ctx(2))).toThrow(`"addr": '$' must be followed by an op index in "$x"`);
    expect(() => parseExpr('0x1*2', 'addr', ctx(0))).toThrow(`"addr": unexpected '*' in "0x1*2"`);
    expect(() => parseExpr(Array(9).fill('0x1').join('+'), 'addr', ctx(0))).toThrow(/too many terms/);
  });

  it('throws ValueError (the parser adds the line)', () => {
    expect(() => parseExpr('', 'addr', ctx(0))).toThrow(ValueError);
  });

  it('constExpr wraps modulo 2^64', () => {
    expect(evalExpr(constExpr(-1n), rets({}))).toEqual({ value: 2n ** 64n - 1n });
  });
});

describe('parseIntText', () => {
  it('accepts integers in range only', () => {
    expect(parseIntText('4096', 0n, 2n ** 53n)).toBe(4096n);
    expect(parseIntText('-1', -(2n ** 31n), 2n ** 31n - 1n)).toBe(-1n);
    expect(parseIntText('-1', 0n, 10n)).toBeUndefined();
    expect(parseIntText('1.0', 0n, 10n)).toBeUndefined();
    expect(parseIntText('1e3', 0n, 10000n)).toBeUndefined();
    expect(parseIntText('9007199254740993', 0n, 2n ** 53n)).toBeUndefined();
  });
});

describe('parseNames', () => {
  it('ors names and hex tokens', () => {
    expect(parseNames(TABLES.prot, 'PROT_READ|PROT_WRITE')).toBe(3n);
    expect(parseNames(TABLES.mmapFlags, 'MAP_PRIVATE | MAP_ANON|0x80000000')).toBe(0x80000022n);
    expect(parseNames(TABLES.mmapFlags, 'MAP_HUGE_2MB')).toBe(21n << 26n);
    expect(parseNames(TABLES.openFlags, 'O_RDWR|O_CREAT')).toBe(0o102n);
    expect(parseNames(TABLES.prot, '0xffffffffffffffff')).toBe(2n ** 64n - 1n);
  });

  it('rejects unknown names and several values where one is expected', () => {
    expect(() => parseNames(TABLES.prot, 'PROT_RAED')).toThrow(`unknown prot value 'PROT_RAED' in "PROT_RAED"`);
    expect(() => parseNames(TABLES.prot, 'PROT_READ||PROT_WRITE')).toThrow(`unknown prot value ''`);
    expect(() => parseNames(TABLES.prot, 'PROT_READ PROT_WRITE')).toThrow('bad prot expression "PROT_READ PROT_WRITE"');
    expect(() => parseNames(TABLES.advice, 'MADV_DONTNEED|MADV_FREE')).toThrow(
      'madvise advice takes a single value, not "MADV_DONTNEED|MADV_FREE"',
    );
    expect(() => parseNames(TABLES.prot, 'PROT_read')).toThrow(ValueError);
  });
});

describe('bytes and hex', () => {
  it('parses plain hex data', () => {
    expect([...parseHexData('00ffA0')]).toEqual([0, 255, 160]);
    expect(() => parseHexData('abc')).toThrow('"data": odd number of hex digits');
    expect(() => parseHexData('0xab')).toThrow(`"data": 'x' is not a hex digit (plain hex, no 0x)`);
    expect(() => parseHexData('00'.repeat((1 << 20) + 1))).toThrow('"data": more than 1048576 bytes');
  });

  it('prints values as 0x%llx and bytes as lowercase hex', () => {
    expect(hex(0)).toBe('0x0');
    expect(hex(0x7ffff7ff4000)).toBe('0x7ffff7ff4000');
    expect(hex(-1n)).toBe('0xffffffffffffffff');
    expect(hexBytes(new Uint8Array([1, 0xab, 0]))).toBe('01ab00');
  });

  it('counts UTF-8 bytes', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('😀')).toBe(4);
  });
});

/**
 * The sg demo programs end to end: `vmspace sg-dd` (sgm_dd / sg_dd, spec/sg.md §4.7) and
 * `vmspace sg-rbuf` (sg_rbuf) through the CLI's main() with in-memory streams, and sgDd() /
 * parseDdOperands() / sgRbuf() directly. Simulated disks are kept to a few MiB so every case is
 * quick; host files live in a fresh directory under os.tmpdir().
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { type SgDdOptions, parseDdOperands, parseSize, sgDd } from '../../cli/sg-dd.js';
import { sgRbuf } from '../../cli/sg-rbuf.js';
import { patternBytes } from '../../src/scsi/store.js';

function io() {
  const stdin = new PassThrough();
  stdin.end('');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => { out += String(d); });
  stderr.on('data', (d) => { err += String(d); });
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err };
}

async function run(...args: string[]): Promise<{ status: number; out: string[]; err: string }> {
  const t = io();
  const status = await main(['node', 'vmspace', ...args], t.io);
  const out = t.out().split('\n');
  if (out[out.length - 1] === '') out.pop();
  return { status, out, err: t.err() };
}

const dir = mkdtempSync(join(tmpdir(), 'vmspace-cli-sg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function tmpFile(contents?: Uint8Array): string {
  const p = join(dir, `f${files++}.bin`);
  if (contents !== undefined) writeFileSync(p, contents);
  return p;
}

/** Deterministic, non-pattern bytes (so a copy from the wrong place cannot pass). */
function noise(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

function opts(o: Partial<SgDdOptions> & Pick<SgDdOptions, 'if' | 'of'>): SgDdOptions {
  return { bs: 512, bpt: 128, mmap: false, dio: false, verify: false, ...o };
}

const SUMMARY_4M = /^8192\+0 records in, 8192\+0 records out, 4194304 bytes in [\d.]+ s, [\d.]+ MB\/s \((mmap-ed|indirect|direct) IO\)$/;

describe('vmspace sg-dd: sim → sim', () => {
  it('mmap=1 verify=1: exit 0, a verify line, then the records line (mmap-ed IO)', async () => {
    const r = await run('sg-dd', 'if=sim:4M', 'of=sim:4M', 'mmap=1', 'verify=1');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toBe('verify: 4194304 bytes compared, source and destination agree');
    expect(r.out[1]).toMatch(SUMMARY_4M);
    expect(r.out[1]).toMatch(/\(mmap-ed IO\)$/);
  });

  it('mmap=0 verify=1: indirect IO', async () => {
    const r = await run('sg-dd', 'if=sim:4M', 'of=sim:4M', 'mmap=0', 'verify=1');
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toMatch(/^verify: .* agree$/);
    expect(r.out[1]).toMatch(SUMMARY_4M);
    expect(r.out[1]).toMatch(/\(indirect IO\)$/);
  });

  it('count=N copies exactly N blocks (through main and sgDd)', async () => {
    const r = await run('sg-dd', 'if=sim:1M', 'of=sim:1M', 'count=300', 'mmap=1', 'verify=1');
    expect(r.status).toBe(0);
    expect(r.out[r.out.length - 1]).toMatch(/^300\+0 records in, 300\+0 records out, 153600 bytes in /);
    for (const mmap of [true, false]) {
      const d = sgDd(opts({ if: 'sim:1M', of: 'sim:1M', count: 300, mmap, verify: true }));
      expect(d.status).toBe(0);
      expect(d.blocks).toBe(300);
      expect(d.bytes).toBe(300 * 512);
      expect(d.lines[0]).toBe('verify: 153600 bytes compared, source and destination agree');
    }
    // count larger than the disk: the disk's size wins.
    const big = sgDd(opts({ if: 'sim:64k', of: 'sim:1M', count: 100000 }));
    expect(big.status).toBe(0);
    expect(big.blocks).toBe(128);
  });

  it('bs=4096 bpt=16 against sim disks (4096-byte blocks)', async () => {
    for (const mmap of ['1', '0']) {
      const r = await run('sg-dd', 'if=sim:2M', 'of=sim:2M', 'bs=4096', 'bpt=16', `mmap=${mmap}`, 'verify=1');
      expect(r.status).toBe(0);
      expect(r.out[0]).toMatch(/agree$/);
      expect(r.out[1]).toMatch(/^512\+0 records in, 512\+0 records out, 2097152 bytes in /);
    }
  });

  it('mmap=1 dio=1: the WRITE\'s dxferp is the input\'s VM_IO mapping, so pinning fails: exit 1, Bad address (§4.3, §4.7)', async () => {
    const r = await run('sg-dd', 'if=sim:1M', 'of=sim:1M', 'mmap=1', 'dio=1');
    expect(r.status).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toMatch(/WRITE/);
    expect(r.err).toContain('Bad address');
    const d = sgDd(opts({ if: 'sim:1M', of: 'sim:1M', mmap: true, dio: true }));
    expect(d.status).toBe(1);
    expect(d.lines.join('\n')).toContain('Bad address');
  });

  it('mmap=0 dio=1 verify=1: direct IO, nothing falls back (dio incomplete: 0)', async () => {
    const r = await run('sg-dd', 'if=sim:4M', 'of=sim:4M', 'mmap=0', 'dio=1', 'verify=1');
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(3);
    expect(r.out[0]).toMatch(/^verify: .* agree$/);
    expect(r.out[1]).toMatch(/^dio incomplete: 0 of \d+ transfers went indirect$/);
    expect(r.out[2]).toMatch(SUMMARY_4M);
    const d = sgDd(opts({ if: 'sim:1M', of: 'sim:1M', dio: true, verify: true }));
    expect(d.status).toBe(0);
    expect(d.dioIncomplete).toBe(0);
  });

  it('a sim: size that is not a whole number of blocks is an error (status 1)', () => {
    const d = sgDd(opts({ if: 'sim:1000', of: 'sim:1M' }));
    expect(d.status).toBe(1);
    expect(d.lines[0]).toMatch(/sim:1000: not a whole number of 512-byte blocks/);
  });
});

describe('vmspace sg-dd: host files', () => {
  it('sim → host file with verify=1: the file holds the disk\'s pattern', async () => {
    const out = tmpFile();
    const r = await run('sg-dd', 'if=sim:1M', `of=${out}`, 'verify=1');
    expect(r.status).toBe(0);
    expect(r.out[0]).toBe('verify: 1048576 bytes compared, source and destination agree');
    expect(r.out[1]).toMatch(/^2048\+0 records in, 2048\+0 records out, 1048576 bytes in .* \(indirect IO\)$/);
    const got = new Uint8Array(readFileSync(out));
    expect(got.length).toBe(1 << 20);
    expect(Buffer.compare(got, patternBytes(0, 1 << 20))).toBe(0);
  });

  it('sim → host file with mmap=1 (the input mapped, written out from the mapping)', async () => {
    const out = tmpFile();
    const r = await run('sg-dd', 'if=sim:512k', `of=${out}`, 'mmap=1', 'verify=1');
    expect(r.status).toBe(0);
    expect(r.out[1]).toMatch(/\(mmap-ed IO\)$/);
    expect(Buffer.compare(new Uint8Array(readFileSync(out)), patternBytes(0, 512 << 10))).toBe(0);
  });

  it('host file → sim with mmap=1 and mmap=0, verified', async () => {
    const src = noise(256 << 10, 7);
    const inp = tmpFile(src);
    for (const mmap of ['1', '0']) {
      const r = await run('sg-dd', `if=${inp}`, 'of=sim:1M', `mmap=${mmap}`, 'verify=1');
      expect(r.status).toBe(0);
      expect(r.out[0]).toBe('verify: 262144 bytes compared, source and destination agree');
      expect(r.out[1]).toMatch(/^512\+0 records in, 512\+0 records out, 262144 bytes in /);
      expect(r.out[1]).toMatch(mmap === '1' ? /\(mmap-ed IO\)$/ : /\(indirect IO\)$/);
    }
  });

  it('a host input file\'s partial last block is not copied', () => {
    const inp = tmpFile(noise(10 * 512 + 100, 3));
    const d = sgDd(opts({ if: inp, of: 'sim:1M', verify: true }));
    expect(d.status).toBe(0);
    expect(d.blocks).toBe(10);
  });

  it('file → file without an sg side cannot use mmap=1', () => {
    const inp = tmpFile(noise(4096));
    const d = sgDd(opts({ if: inp, of: tmpFile(), mmap: true }));
    expect(d.status).toBe(1);
    expect(d.lines[0]).toContain('mmap=1 needs an sg input or output');
  });

  it('sgm_dd\'s page-rounding trap (§4.7): file → sim, bs=512 bpt=127 mmap=1 maps 65024 bytes of a 65024-byte reserve: ENOMEM', async () => {
    const inp = tmpFile(noise(127 * 512 * 2, 5));
    const r = await run('sg-dd', `if=${inp}`, 'of=sim:1M', 'bs=512', 'bpt=127', 'mmap=1');
    expect(r.status).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toContain('mmap');
    expect(r.err).toContain('65024');
    expect(r.err).toContain('Cannot allocate memory');
    // The same copy with a page multiple (bpt=128: 65536 bytes) works.
    const ok = await run('sg-dd', `if=${inp}`, 'of=sim:1M', 'bs=512', 'bpt=128', 'mmap=1', 'verify=1');
    expect(ok.status).toBe(0);
    expect(ok.out[0]).toMatch(/agree$/);
    // The input side rounds up to a page, so bpt=127 is fine with an sg input.
    const sgIn = await run('sg-dd', 'if=sim:1M', `of=${tmpFile()}`, 'bs=512', 'bpt=127', 'mmap=1', 'verify=1');
    expect(sgIn.status).toBe(0);
  });

  // sg_dd/sgm_dd open the output O_WRONLY|O_CREAT and write at the block offset; an O_APPEND
  // output (as once here) would get every positioned write at its end.
  it('an existing host output file is written from offset 0, not appended to', async () => {
    const out = tmpFile(new Uint8Array(1 << 20).fill(0xff));
    const r = await run('sg-dd', 'if=sim:256k', `of=${out}`, 'verify=1');
    expect(r.status).toBe(0);
    expect(readFileSync(out).length).toBe(1 << 20);
    const got = new Uint8Array(readFileSync(out));
    expect(Buffer.compare(got.subarray(0, 256 << 10), patternBytes(0, 256 << 10))).toBe(0);
  });
});

describe('vmspace sg-dd: operands', () => {
  it('parse errors exit 2 with a message on stderr, running nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['if=sim:1M', 'of=sim:1M', 'foo=1'], /unknown operand "foo"/],
      [['of=sim:1M'], /if= and of= are required/],
      [['if=sim:1M'], /if= and of= are required/],
      [['if=sim:1M', 'of=sim:1M', 'mmap=2'], /mmap=2: expected 0 or 1/],
      [['if=sim:1M', 'of=sim:1M', 'verify=yes'], /verify=yes: expected 0 or 1/],
      [['if=sim:1M', 'of=sim:1M', 'dio=-1'], /dio=-1: expected 0 or 1/],
      [['if=sim:1M', 'of=sim:1M', 'bs=abc'], /bad size "abc"/],
      [['if=sim:1M', 'of=sim:1M', 'bpt=0'], /bpt=0: expected a positive number/],
      [['if=sim:1M', 'of=sim:1M', 'count=0'], /count=0: expected a positive number/],
      [['if=sim:1M', 'of=sim:1M', 'noequals'], /bad operand "noequals"/],
      [['if=sim:1M', 'of=sim:1M', '=x'], /bad operand "=x"/],
    ];
    for (const [args, msg] of cases) {
      const r = await run('sg-dd', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toMatch(/^vmspace sg-dd: /);
      expect(r.err).toMatch(msg);
    }
  });

  it('no operands at all is a usage error (commander): 2', async () => {
    const r = await run('sg-dd');
    expect(r.status).toBe(2);
    expect(r.err).not.toBe('');
  });

  it('bs not a multiple of 512 parses, then sg-dd fails with status 1', async () => {
    const r = await run('sg-dd', 'if=sim:1M', 'of=sim:1M', 'bs=100');
    expect(r.status).toBe(1);
    expect(r.err).toBe('sg-dd: bs=100: must be a positive multiple of 512\n');
    expect(sgDd(opts({ if: 'sim:1M', of: 'sim:1M', bpt: 0 })).status).toBe(1);
    expect(sgDd(opts({ if: 'sim:1M', of: 'sim:1M', bs: 0 })).status).toBe(1);
  });

  it('parseDdOperands: defaults, bpt 32 for bs ≥ 2048, sizes with suffixes', () => {
    expect(parseDdOperands(['if=a', 'of=b'])).toEqual({
      if: 'a', of: 'b', bs: 512, bpt: 128, count: undefined, mmap: false, dio: false, verify: false,
    });
    expect(parseDdOperands(['if=a', 'of=b', 'bs=4k']).bpt).toBe(32);
    expect(parseDdOperands(['if=a', 'of=b', 'bs=1024']).bpt).toBe(128);
    expect(parseDdOperands(['if=a', 'of=b', 'count=2k', 'mmap=1', 'dio=1', 'verify=1'])).toMatchObject({
      count: 2048, mmap: true, dio: true, verify: true,
    });
    // A later operand wins; the value may itself contain '='.
    expect(parseDdOperands(['if=a', 'if=c=d', 'of=b']).if).toBe('c=d');
    expect(parseSize('1g')).toBe(1 << 30);
    expect(parseSize('3M')).toBe(3 << 20);
    expect(() => parseSize('1.5M')).toThrow(/bad size/);
  });
});

describe('vmspace sg-rbuf', () => {
  it('--total 8M: an indirect and an mmap line, 8 MiB each', async () => {
    const r = await run('sg-rbuf', '--total', '8M');
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toHaveLength(2);
    expect(r.out[0]).toMatch(/^indirect read 8 MiB .* MB\/s$/);
    expect(r.out[1]).toMatch(/^mmap +read 8 MiB .* MB\/s$/);
    for (const l of r.out) expect(l).toMatch(/\(actual 8388608 bytes\), buffer size 1024 KiB/);
  });

  it('--dio --size 65536 --total 4M: direct IO, dio incomplete 0', async () => {
    const r = await run('sg-rbuf', '--dio', '--size', '65536', '--total', '4M');
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(/^dio +read 4 MiB \(actual 4194304 bytes\), buffer size 64 KiB, .* MB\/s, dio incomplete 0$/);
  });

  it('--size larger than the 1 MiB buffer fails with status 1', async () => {
    const r = await run('sg-rbuf', '--size', '2000000');
    expect(r.status).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toMatch(/size 2000000: the buffer holds 1048576 bytes/);
  });

  it('a bad size is a usage error (2)', async () => {
    expect((await run('sg-rbuf', '--size', '12q')).status).toBe(2);
    expect((await run('sg-rbuf', '--total', '')).status).toBe(2);
  });

  it('sgRbuf() directly: each mode reads total/size loops of size bytes', () => {
    for (const mode of ['indirect', 'mmap', 'dio'] as const) {
      const r = sgRbuf({ mode, size: 65536, total: 1 << 20 });
      expect(r.status, mode).toBe(0);
      expect(r.bytes).toBe(1 << 20);
      expect(r.line.startsWith(mode)).toBe(true);
    }
    // An mmap size that is not a page multiple is rounded up for the reserve and the mapping.
    const odd = sgRbuf({ mode: 'mmap', size: 5000, total: 50000 });
    expect(odd.status).toBe(0);
    expect(odd.bytes).toBe(10 * 5000);
    expect(sgRbuf({ mode: 'indirect', size: 0 }).status).toBe(1);
  });
});

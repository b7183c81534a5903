/**
 * The state commands (maps, smaps, status, pmap) and diff, through cli/main.ts as a user runs them.
 */
import { Writable, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { runScenario } from '../../scenario/run.js';
import { parseScenario } from '../../scenario/parse.js';
import { diffMaps } from '../../scenario/replay.js';

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void): Writable => new Writable({ write(c, _e, cb) { f(String(c)); cb(); } });
  const status = await main(['node', 'vmspace', ...args], {
    stdin: Readable.from([]), stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }),
  });
  return { status, out, err };
}

// A recorded mremap scenario with unhinted mmaps (results at 0x7...), named so that new fixtures
// in the directory do not change what these tests read.
const path = new URL('../conformance/scenarios/mremap/dontunmap-shared.jsonl', import.meta.url).pathname;

describe('vmspace maps|smaps|status|pmap', () => {
  it('maps prints the final maps of pid 0, as the engine has them', async () => {
    const r = await run('maps', path);
    expect(r.status).toBe(0);
    const t = runScenario(parseScenario(readFileSync(path, 'utf8'))).system.task(0)!;
    expect(r.out).toBe(t.proc.maps().join('\n') + '\n');
    expect(JSON.parse((await run('maps', '--json', path)).out)).toEqual(t.proc.maps());
  });

  it('smaps and status in the kernel\'s text layout', async () => {
    const s = (await run('smaps', path)).out.split('\n');
    expect(s[1]).toMatch(/^Size: {11}[ \d]{8} kB$/);
    expect(s.find((l) => l.startsWith('THPeligible:'))).toMatch(/^THPeligible: {4}[ \d]{8}$/);
    expect(s.find((l) => l.startsWith('VmFlags:'))).toMatch(/^VmFlags:( [a-z]{2})+ $/);
    const st = (await run('status', path)).out.split('\n');
    expect(st[0]).toMatch(/^VmPeak:\t[ \d]{8} kB$/);
  });

  it('pmap, -x and -X over a replayed program', async () => {
    const log = new URL('../replay/ls.strace', import.meta.url).pathname;
    const d = (await run('pmap', log)).out.split('\n');
    expect(d[1]).toMatch(/^0000555555554000 +16K r---- ls$/);
    expect(d[d.length - 2]).toMatch(/^ total +\d+K$/);
    const x = (await run('pmap', '-x', log)).out.split('\n');
    expect(x[1]).toBe('Address           Kbytes     RSS   Dirty Mode  Mapping');
    const X = (await run('pmap', '-X', log)).out.split('\n');
    expect(X[1]).toMatch(/^ +Address Perm +Offset Device +Inode Size +Rss +Pss/);
    expect(X[X.length - 2]).toMatch(/ KB $/);
  });

  it('maps over a log whose program runs another: the state of the program it ran last', async () => {
    // cargo-build: rustup's cargo proxy execs the real cargo; the capture copied its start state.
    const log = new URL('../replay/cargo-build.strace', import.meta.url).pathname;
    const kernel = readFileSync(new URL('../replay/cargo-build.final-maps', import.meta.url), 'utf8').split('\n');
    const mine = (await run('maps', log)).out.trimEnd().split('\n');
    expect(diffMaps(kernel, mine)).toEqual([]);
  });

  it('a missing pid or file is an error with status 2', async () => {
    expect((await run('maps', '--pid', '7', path)).status).toBe(2);
    expect((await run('maps', '/nonexistent')).status).toBe(2);
  });
});

describe('the kernel text layouts', () => {
  it('smaps text round-trips a real /proc/<pid>/smaps byte for byte', async () => {
    const { parseSmaps } = await import('../../src/proc/pmap.js');
    const { smapsText } = await import('../../cli/state.js');
    const real = readFileSync(new URL('../pmap/sleep.smaps', import.meta.url), 'utf8');
    expect(smapsText(parseSmaps(real))).toBe(real);
  });
});

describe('vmspace diff', () => {
  it('a recorded scenario against its kernel recording: 0 divergences, status 0', async () => {
    const r = await run('diff', path, path.replace(/\.jsonl$/, '.expected.jsonl'));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/ ops, 0 divergences\n$/);
  });

  it('--rss exact compares the whole-process figures too; an unknown mode is refused', async () => {
    const h = fileURLToPath(new URL('../conformance/scenarios/harness/first-op-reads-rodata.jsonl', import.meta.url));
    const ok = await run('diff', '--rss', 'exact', h, h.replace(/\.jsonl$/, '.expected.jsonl'));
    expect(ok.status).toBe(0);
    expect(ok.out).toMatch(/ 0 divergences\n$/);
    const bad = await run('diff', '--rss', 'bogus', h, h.replace(/\.jsonl$/, '.expected.jsonl'));
    expect(bad.status).not.toBe(0);
    expect(bad.err).toMatch(/bogus/);
  });

  it('a changed recording: the divergence is reported, status 1', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const exp = readFileSync(path.replace(/\.jsonl$/, '.expected.jsonl'), 'utf8').split('\n');
    const i = exp.findIndex((l, k) => k > 0 && l.includes('"ret":"0x7'));
    exp[i] = exp[i].replace('"ret":"0x7', '"ret":"0x6');
    const tmp = mkdtempSync(os.tmpdir() + '/vmspace-diff-');
    writeFileSync(tmp + '/e.jsonl', exp.join('\n'));
    const r = await run('diff', path, tmp + '/e.jsonl');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/1 divergences\n$/);
  });
});

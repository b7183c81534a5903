import { describe, expect, it } from 'vitest';
import { compareOutputs, formatDivergence, isRssLike } from '../../scenario/compare.js';
import { parseScenario } from '../../scenario/parse.js';

const MAPS = ['00400000-00401000 r--p 00000000 00:01 1 x', '7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]'];
const init = (extra: Record<string, unknown> = {}) => JSON.stringify({ init: { version: 1, oracle: 'kernel-oracle 1.0', maps: MAPS, ...extra } });
const out = (...lines: unknown[]) => [init(), ...lines.map((l) => JSON.stringify(l))].join('\n') + '\n';

describe('compareOutputs', () => {
  it('finds no divergence in equal outputs', () => {
    const o = out({ ret: '0x7ffff7ff4000' }, { errno: 'EINVAL' }, { maps: MAPS });
    expect(compareOutputs(o, o)).toEqual([]);
  });

  it('compares ret, errno, signal and data exactly', () => {
    const d = compareOutputs(out({ ret: '0x1000' }, { errno: 'EINVAL' }, { data: '00' }), out({ ret: '0x2000' }, { ret: '0x0' }, { data: '01' }));
    expect(d.map((x) => [x.index, x.key])).toEqual([[0, 'ret'], [1, 'result'], [2, 'data']]);
    expect(formatDivergence(d[1])).toBe('op 1: expected {"errno":"EINVAL"}, got {"ret":"0x0"}');
    const sig = { signal: 'SIGSEGV', code: 'SEGV_MAPERR', addr: '0x1000' };
    expect(compareOutputs(out(sig), out({ ...sig, code: 'SEGV_ACCERR' }))[0]).toMatchObject({ key: 'code' });
  });

  it('compares maps line by line, and the init record on maps only', () => {
    const act = [JSON.stringify({ init: { version: 2, maps: MAPS } }), JSON.stringify({ maps: [MAPS[0]] })].join('\n');
    const d = compareOutputs(out({ maps: MAPS }), act);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ index: 0, key: 'maps[1]' });
    expect(formatDivergence(d[0])).toContain(`- ${MAPS[1]}`);
    const d2 = compareOutputs(out(), JSON.stringify({ init: { maps: [MAPS[1]] } }));
    expect(d2[0]).toMatchObject({ index: -1, key: 'init.maps[0]' });
  });

  it('ignores the [stack] start address for a start state of another origin', () => {
    const other = { oracle: 'strace-capture' };
    const moved = ['00400000-00401000 r--p 00000000 00:01 1 x', '7ffffffdd000-7ffffffff000 rw-p 00000000 00:00 0 [stack]'];
    const exp = [init(other), JSON.stringify({ maps: MAPS })].join('\n');
    const act = [JSON.stringify({ init: { maps: moved } }), JSON.stringify({ maps: moved })].join('\n');
    expect(compareOutputs(exp, act)).toEqual([]);
    expect(compareOutputs(out({ maps: MAPS }), act)).toHaveLength(2);
  });

  it('compares RSS-like values only when strict', () => {
    const e = out({ status: { VmSize: 100, VmRSS: 10 } }, { smaps: [{ line: 'a', Size: 4, Rss: 4, VmFlags: 'rd' }] });
    const a = out({ status: { VmSize: 100, VmRSS: 12 } }, { smaps: [{ line: 'a', Size: 4, Rss: 0, VmFlags: 'rd' }] });
    expect(compareOutputs(e, a)).toEqual([]);
    expect(compareOutputs(e, a, { strictRss: true }).map((x) => x.key)).toEqual(['status.VmRSS', 'smaps[0].Rss']);
    const missing = out({ status: { VmSize: 100 } });
    expect(compareOutputs(e, missing)[0]).toMatchObject({ key: 'status.VmRSS', expected: 10, actual: undefined });
    expect(isRssLike('Pss_Anon') && isRssLike('Private_Dirty') && !isRssLike('Size')).toBe(true);
  });

  it("compares everything but VmHWM in 'exact' mode, and never the sharing of [vdso] pages", () => {
    const vdso = '7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]';
    const e = out(
      { status: { VmHWM: 20, VmRSS: 10 } }, { smaps_rollup: { Rss: 10, Pss: 10 } },
      { smaps: [{ line: vdso, Rss: 8, Pss: 2, Shared_Clean: 8, Private_Clean: 0, Referenced: 8 }] },
    );
    const a = out(
      { status: { VmHWM: 24, VmRSS: 12 } }, { smaps_rollup: { Rss: 10, Pss: 11 } },
      { smaps: [{ line: vdso, Rss: 8, Pss: 8, Shared_Clean: 0, Private_Clean: 8, Referenced: 4 }] },
    );
    expect(compareOutputs(e, a, { rss: 'exact' }).map((x) => x.key))
      .toEqual(['status.VmRSS', 'smaps_rollup.Pss', 'smaps[0].Referenced']);
    expect(compareOutputs(e, a, { rss: 'strict' }).map((x) => x.key))
      .toEqual(['status.VmHWM', 'status.VmRSS', 'smaps_rollup.Pss', 'smaps[0].Referenced']);
  });

  it('requires both sides to skip, whatever the reason', () => {
    expect(compareOutputs(out({ skip: '$0 has no ret' }), out({ skip: 'pid 1 does not exist' }))).toEqual([]);
    expect(compareOutputs(out({ skip: '$0 has no ret' }), out({ ret: '0x0' }))[0]).toMatchObject({ key: 'result' });
    expect(compareOutputs(out({ ret: '0x0' }), out({ error: 'unsupported: store' }))[0]).toMatchObject({ key: 'result' });
  });

  it('stops at an expected error', () => {
    expect(compareOutputs(out({ error: 'harness: refused' }, { ret: '0x1' }), out({ ret: '0x0' }, { ret: '0x2' }))).toEqual([]);
  });

  it('reports missing and extra results', () => {
    expect(compareOutputs(out({ ret: '0x0' }, { ret: '0x0' }), out({ ret: '0x0' }))[0]).toMatchObject({ index: 1, key: 'result' });
    expect(compareOutputs(out({ ret: '0x0' }), out({ ret: '0x0' }, { ret: '0x0' }))[0]).toMatchObject({ index: 1, key: 'result' });
  });

  it('does not compare the bytes of a load from [vvar] or the harness', () => {
    const vvar = '7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]';
    const { ops } = parseScenario('{"op":"load","addr":"0x7ffff7ff7000","len":8}\n{"op":"load","addr":"0x7ffff7ff0000","len":1}\n');
    const e = [init({ maps: [vvar] }), '{"data":"0102030405060708"}', '{"data":"00"}'].join('\n');
    const a = [init({ maps: [vvar] }), '{"data":"0000000000000000"}', '{"data":"01"}'].join('\n');
    expect(compareOutputs(e, a, { ops }).map((x) => x.index)).toEqual([1]);
    expect(compareOutputs(e, a).map((x) => x.index)).toEqual([0, 1]);
  });

  it('honours a limit', () => {
    expect(compareOutputs(out({ ret: '0x1' }, { ret: '0x2' }), out({ ret: '0x0' }, { ret: '0x0' }), { limit: 1 })).toHaveLength(1);
  });

  it('names the input line when the ops are given', () => {
    const { ops } = parseScenario('# c\n{"op":"brk"}\n');
    const d = compareOutputs(out({ ret: '0x1000' }), out({ ret: '0x2000' }), { ops });
    expect(d[0]).toMatchObject({ index: 0, line: 2 });
    expect(formatDivergence(d[0])).toBe('op 0 (line 2): ret: expected "0x1000", got "0x2000"');
  });

  it('formats a divergence', () => {
    expect(formatDivergence({ index: 3, key: 'errno', expected: 'EINVAL', actual: undefined })).toBe(
      'op 3: errno: expected "EINVAL", got (none)',
    );
  });
});

/**
 * A start state built from an init record (src/kernel/init-record.ts): a shmem file the program
 * had written (a memfd) holds dirty pages, made only as they are used.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INIT } from '../../src/kernel/default-init.js';
import { createSystem } from '../../src/kernel/system.js';

const BIG = '200000000-240000000 r--s 00000000 00:01 7                                  /memfd:big (deleted)';

function withBigMemfd(): Record<string, unknown> {
  const init = structuredClone(DEFAULT_INIT) as Record<string, unknown> & { maps: string[]; smaps: Record<string, unknown>[] };
  init.maps = [...init.maps.slice(0, 5), BIG, ...init.maps.slice(5)];
  init.smaps = [...init.smaps.slice(0, 5), { line: BIG, Rss: 4, Anonymous: 0 }, ...init.smaps.slice(5)];
  return init;
}

describe('init record: shmem files', () => {
  it('a 1 GiB memfd mapping costs frames only for the pages in use, and they are dirty', () => {
    const system = createSystem({ init: withBigMemfd() });
    const t = system.task(0)!;
    const frames = system.mmSystem.frames;
    expect(frames.inUse).toBeLessThan(2000); // the executor's ~300 pages, not 262,144
    const big = () => t.proc.smaps().find((e) => e.line.endsWith('/memfd:big (deleted)'))!.fields;
    expect(big()).toMatchObject({ Rss: 4, Private_Dirty: 4, Private_Clean: 0 });
    // A read of pages cached before the start state: fault-around maps 16 of them, all dirty.
    t.mem.load8(0x200000000 + 0x5000);
    expect(big()).toMatchObject({ Rss: 64, Private_Dirty: 64, Private_Clean: 0 });
    t.checkInvariants();
    system.checkFrames();
  });
});

describe('init record: zero pages', () => {
  // A read of one page of a fresh private mapping, and the Rss it leaves.
  const readRss = (init: Record<string, unknown>, hugepage: boolean): { rss: number; sysctl: { useZeroPage: boolean; thpUseZeroPage: boolean } } => {
    const system = createSystem({ init });
    const t = system.task(0)!;
    const a = t.fast.mmap(0x200000000, 0x200000, 3, 0x22 | 0x10, -1, 0);
    if (hugepage) expect(t.sys.madvise(BigInt(a), 0x200000n, 14n)).toBe(0); // MADV_HUGEPAGE
    t.mem.load8(a + 0x1000);
    const rss = t.proc.smaps().find((e) => e.line.startsWith('200000000-'))!.fields.Rss as number;
    t.checkInvariants();
    system.checkFrames();
    return { rss, sysctl: system.mmSystem.sysctl };
  };

  it('without zero_page (records from the fixtures\' kernel) a read fault allocates', () => {
    const init = structuredClone(DEFAULT_INIT) as Record<string, unknown>;
    delete init.zero_page;
    expect(readRss(init, false)).toMatchObject({ rss: 4, sysctl: { useZeroPage: false } });
  });

  it('zero_page true maps the zero page; thp.use_zero_page 0 keeps the huge one out', () => {
    const init = { ...structuredClone(DEFAULT_INIT), zero_page: true } as Record<string, unknown>;
    expect(readRss(init, false)).toMatchObject({ rss: 0, sysctl: { useZeroPage: true, thpUseZeroPage: true } });
    expect(readRss(init, true).rss).toBe(0); // the huge zero page
    const noHuge = { ...init, thp: { ...(init.thp as object), use_zero_page: 0 } };
    expect(readRss(noHuge, true)).toMatchObject({ rss: 2048, sysctl: { thpUseZeroPage: false } });
  });
});

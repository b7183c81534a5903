/**
 * strace logs in every shape strace prints, fed back through the parser and the replay: random
 * memory syscalls run on one system give the "kernel" answers; the calls are printed as strace
 * would (raw or decoded flags, pid prefixes of -f on a terminal or with -o, -t/-tt/-ttt
 * timestamps, -T durations, calls split into <unfinished ...> / <... resumed> around a signal),
 * and the replay on a second system must find no divergence and end with the same maps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAMES } from '../../src/abi/mman.js';
import { errnoName } from '../../src/abi/errno.js';
import { DEFAULT_INIT } from '../../src/kernel/default-init.js';
import { createSystem } from '../../src/kernel/system.js';
import { replayStrace } from '../../scenario/replay.js';
import { parseStrace } from '../../scenario/strace.js';

type Call =
  | { k: 'mmap'; addr: number; pages: number; prot: number; flags: number }
  | { k: 'munmap'; at: number; pages: number }
  | { k: 'mprotect'; at: number; pages: number; prot: number }
  | { k: 'brk'; delta: number };

const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ k: fc.constant('mmap' as const), addr: fc.constantFrom(0, 0x10000000, 0x7ffff7000000), pages: fc.integer({ min: 0, max: 40 }),
    prot: fc.integer({ min: 0, max: 7 }), flags: fc.constantFrom(0x22, 0x22 | 0x4000, 0x22 | 0x100000, 0x22 | 0x10, 0x21, 0x23) }),
  fc.record({ k: fc.constant('munmap' as const), at: fc.nat(200), pages: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ k: fc.constant('mprotect' as const), at: fc.nat(200), pages: fc.integer({ min: 0, max: 20 }), prot: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('brk' as const), delta: fc.integer({ min: -8, max: 40 }) }),
);

interface Style {
  prefix: 'none' | 'pid' | 'o';
  time: 'none' | 't' | 'tt' | 'ttt';
  durations: boolean;
  decoded: boolean;
  split: number[];
}

/** A union of flag names as strace decodes it (bits without a name in hex). */
function names(v: number, table: Record<string, number>, zero: string): string {
  if (v === 0) return zero;
  const parts: string[] = [];
  let rest = v;
  for (const [n, b] of Object.entries(table)) {
    if (b !== 0 && (rest & b) === b && (b & (b - 1)) === 0) { parts.push(n); rest &= ~b; }
  }
  if (rest !== 0) parts.push('0x' + rest.toString(16));
  return parts.join('|');
}

function run(calls: Call[], style: Style): void {
  const sys = createSystem();
  const t = sys.task(0)!;
  const base = 0x7ffff0000000;
  const lines: string[] = [];
  const pid = 4242;
  let clock = 0;
  const head = (): string => {
    clock += 1234;
    const p = style.prefix === 'pid' ? `[pid ${pid}] ` : style.prefix === 'o' ? `${pid}  ` : '';
    const s = Math.floor(clock / 1e6);
    const ts = style.time === 't' ? `12:00:${String(s % 60).padStart(2, '0')} ` : style.time === 'tt' ? `12:00:${String(s % 60).padStart(2, '0')}.${String(clock % 1e6).padStart(6, '0')} ` : style.time === 'ttt' ? `1700000000.${String(clock % 1e6).padStart(6, '0')} ` : '';
    return p + ts;
  };
  const prot = (v: number): string => (style.decoded ? names(v, NAMES.prot, 'PROT_NONE') : '0x' + v.toString(16));
  const flags = (v: number): string => (style.decoded ? names(v, { MAP_SHARED: 1, MAP_PRIVATE: 2, MAP_FIXED: 0x10, MAP_ANONYMOUS: 0x20, MAP_NORESERVE: 0x4000, MAP_FIXED_NOREPLACE: 0x100000 }, '0') : '0x' + v.toString(16));
  let brk = t.sys.brk(0n);
  lines.push(`${head()}brk(NULL) = 0x${brk.toString(16)}`);
  calls.forEach((c, i) => {
    let text: string;
    let r: number;
    switch (c.k) {
      case 'mmap':
        r = t.sys.mmap(BigInt(c.addr), BigInt(c.pages * 4096), BigInt(c.prot), BigInt(c.flags), (1n << 64n) - 1n, 0n);
        text = `mmap(${c.addr === 0 ? 'NULL' : '0x' + c.addr.toString(16)}, ${c.pages * 4096}, ${prot(c.prot)}, ${flags(c.flags)}, -1, 0)`;
        break;
      case 'munmap':
        r = t.sys.munmap(BigInt(base + c.at * 4096 * 1024), BigInt(c.pages * 4096));
        text = `munmap(0x${(base + c.at * 4096 * 1024).toString(16)}, ${c.pages * 4096})`;
        break;
      case 'mprotect':
        r = t.sys.mprotect(BigInt(base + c.at * 4096 * 1024), BigInt(c.pages * 4096), BigInt(c.prot));
        text = `mprotect(0x${(base + c.at * 4096 * 1024).toString(16)}, ${c.pages * 4096}, ${prot(c.prot)})`;
        break;
      default: {
        const want = brk + c.delta * 4096;
        r = t.sys.brk(BigInt(want < 0 ? 0 : want));
        text = `brk(0x${(want < 0 ? 0 : want).toString(16)})`;
        brk = r;
      }
    }
    const result = r < 0 ? `-1 ${errnoName(-r)} (Some text)` : `0x${r.toString(16)}`;
    const dur = style.durations ? ' <0.000012>' : '';
    if (style.split.includes(i)) {
      const cut = text.lastIndexOf(', ');
      const open = cut > 0 ? text.slice(0, cut + 1) : text.slice(0, -1);
      const rest = cut > 0 ? text.slice(cut + 1) : ')';
      lines.push(`${head()}${open} <unfinished ...>`);
      lines.push(`${head()}--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---`);
      lines.push(`${head()}<... ${c.k} resumed>${rest} = ${result}${dur}`);
    } else {
      lines.push(`${head()}${text} = ${result}${dur}`);
    }
  });
  lines.push(`${head()}+++ exited with 0 +++`);
  const maps = DEFAULT_INIT.maps as string[];
  // The "program" here writes nothing: the replay must not assume the writes a real one makes.
  const r = replayStrace(parseStrace(lines.join('\n')), { startMaps: maps, assumeWrites: false });
  expect(r.divergences).toEqual([]);
  expect(r.replayed).toBe(calls.length + 1);
  expect(r.main.proc.maps()).toEqual(t.proc.maps());
}

describe('strace logs of every shape replay without divergence', () => {
  it('random memory calls, random log styles', () => {
    const style = fc.record({
      prefix: fc.constantFrom('none' as const, 'pid' as const, 'o' as const),
      time: fc.constantFrom('none' as const, 't' as const, 'tt' as const, 'ttt' as const),
      durations: fc.boolean(),
      decoded: fc.boolean(),
      split: fc.array(fc.nat(30), { maxLength: 5 }),
    });
    fc.assert(fc.property(fc.array(callArb, { minLength: 1, maxLength: 30 }), style, (calls, st) => run(calls, st)), { numRuns: 200, seed: 0x5354 });
  });
});

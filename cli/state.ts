/**
 * `vmspace maps|smaps|status|pmap FILE`: the state a scenario (or a replayed strace log) leaves,
 * in the kernel's text formats and procps' pmap formats; `vmspace diff SCENARIO EXPECTED`: where
 * a scenario's output differs from a recorded one (the kernel oracle's .expected.jsonl).
 */
import { readFileSync } from 'node:fs';
import { compareOutputs, formatDivergence } from '../scenario/compare.js';
import { parseScenario } from '../scenario/parse.js';
import { replayStrace } from '../scenario/replay.js';
import { runScenario, runScenarioText } from '../scenario/run.js';
import { parseStrace } from '../scenario/strace.js';
import { replayOptions, startState } from './replay.js';
import type { Task } from '../src/kernel/system.js';
import { type PmapFormat, renderPmap } from '../src/proc/pmap.js';
import type { SmapsRecord } from '../src/proc/smaps.js';

export interface StateFlags {
  pid?: string;
  json?: boolean;
  startMaps?: string;
  startSmaps?: string;
}

/** The process `pid` after running FILE: a scenario (JSON lines) or, for *.strace, a replay. */
export function stateOf(file: string, flags: StateFlags): Task {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.strace')) {
    const records = parseStrace(text);
    const start = startState(file, records, flags);
    if (typeof start === 'string') throw new Error(start.replace(/^vmspace replay: /, '').trimEnd());
    // The first process's final state: after an execve the capture (or the ELF file) gives a
    // start state for, the program it ran then.
    return replayStrace(records, replayOptions(file, start)).main;
  }
  const run = runScenario(parseScenario(text));
  const pid = flags.pid === undefined ? 0 : Number(flags.pid);
  const t = run.system.task(pid);
  if (t === undefined) throw new Error(`no live process ${flags.pid ?? 0} at the end of ${file}`);
  return t;
}

/** smaps records as the kernel prints them (fs/proc/task_mmu.c: name column 16, value 8). */
export function smapsText(recs: SmapsRecord[]): string {
  let out = '';
  for (const r of recs) {
    out += r.line + '\n';
    for (const [k, v] of Object.entries(r.fields)) {
      if (k === 'VmFlags') out += `VmFlags: ${String(v).trim()} \n`;
      else if (k === 'THPeligible' || k === 'ProtectionKey') out += `${(k + ':').padEnd(16)}${String(v).padStart(8)}\n`;
      else out += `${(k + ':').padEnd(16)}${String(v).padStart(8)} kB\n`;
    }
  }
  return out;
}

/** /proc/<pid>/status's memory lines as the kernel prints them (task_mem()). */
export function statusText(st: Record<string, number>): string {
  return Object.entries(st).map(([k, v]) => `${k}:\t${String(v).padStart(8)} kB\n`).join('');
}

export function stateCommand(what: 'maps' | 'smaps' | 'status' | 'pmap', file: string, flags: StateFlags & { format?: PmapFormat }): string {
  const t = stateOf(file, flags);
  switch (what) {
    case 'maps':
      return flags.json ? JSON.stringify(t.proc.maps()) + '\n' : t.proc.maps().join('\n') + '\n';
    case 'smaps': {
      const recs = t.proc.smaps().map((e) => ({ line: e.line, fields: e.fields }));
      return flags.json ? JSON.stringify(recs) + '\n' : smapsText(recs);
    }
    case 'status':
      return flags.json ? JSON.stringify(t.proc.status()) + '\n' : statusText(t.proc.status());
    case 'pmap': {
      const recs = t.proc.smaps().map((e) => ({ line: e.line, fields: e.fields }));
      return renderPmap(recs, { pid: t.label, cmdline: file, startStack: t.mm.startStack }, flags.format ?? 'default');
    }
  }
}

/** Run SCENARIO and compare with EXPECTED: the differences, one per line (empty when equal). */
export function diffCommand(scenario: string, expected: string, flags: { json?: boolean; rss?: 'loose' | 'user' | 'exact' | 'strict' }): { out: string; diverged: boolean } {
  const text = readFileSync(scenario, 'utf8');
  const exp = readFileSync(expected, 'utf8');
  const parsed = parseScenario(text);
  const init = exp.split('\n')[0];
  const withInit = init.startsWith('{"init"') && parsed.init === undefined
    ? `{"op":"init",${init.slice('{"init":{'.length, -1)}\n${text}`
    : text;
  const actual = runScenarioText(withInit);
  const ds = compareOutputs(exp, actual, { ops: parsed.ops, rss: flags.rss ?? 'loose' });
  if (flags.json) return { out: JSON.stringify(ds) + '\n', diverged: ds.length > 0 };
  const lines = ds.map(formatDivergence);
  lines.push(`${parsed.ops.length} ops, ${ds.length} divergences`);
  return { out: lines.join('\n') + '\n', diverged: ds.length > 0 };
}

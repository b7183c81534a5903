/**
 * `vmspace replay LOG`: replay a real program's strace log on vmspace and report where vmspace
 * answers differently (scenario/replay.ts does the work; this reads the files and prints).
 *
 *   vmspace replay PREFIX.strace [--start-maps F] [--start-smaps F] [--kernel-final-maps F]
 *                                [--final-maps] [--json]
 *
 * Beside PREFIX.strace, PREFIX.maps, PREFIX.smaps and PREFIX.final-maps (what
 * tools/capture/vmspace-capture writes) are used when present. The last line says
 * `N syscalls replayed, M divergences`; the kernel's final maps, when given, count as one more
 * divergence if they differ. Exit status 0 only when M is 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { diffMaps, replayStrace } from '../scenario/replay.js';
import { parseStrace } from '../scenario/strace.js';

export interface ReplayFlags {
  startMaps?: string;
  startSmaps?: string;
  kernelFinalMaps?: string;
  finalMaps?: boolean;
  json?: boolean;
}

export interface ReplayReport {
  status: number;
  out: string;
}

function beside(log: string, ext: string): string | undefined {
  const base = log.endsWith('.strace') ? log.slice(0, -'.strace'.length) : log;
  const p = `${base}.${ext}`;
  return existsSync(p) ? p : undefined;
}

export function replayCommand(log: string, flags: ReplayFlags): ReplayReport {
  const mapsPath = flags.startMaps ?? beside(log, 'maps');
  if (mapsPath === undefined) {
    return { status: 2, out: `vmspace replay: no start maps (give --start-maps, or put ${log.replace(/\.strace$/, '')}.maps beside the log)\n` };
  }
  const smapsPath = flags.startSmaps ?? beside(log, 'smaps');
  const finalPath = flags.kernelFinalMaps ?? beside(log, 'final-maps');
  const records = parseStrace(readFileSync(log, 'utf8'));
  const r = replayStrace(records, {
    startMaps: readFileSync(mapsPath, 'utf8').split('\n'),
    startSmaps: smapsPath === undefined ? undefined : readFileSync(smapsPath, 'utf8'),
  });
  const finalMaps = r.main.proc.maps();
  const diff = finalPath === undefined ? null : diffMaps(readFileSync(finalPath, 'utf8').split('\n'), finalMaps);
  const m = r.divergences.length + (diff !== null && diff.length > 0 ? 1 : 0);
  if (flags.json) {
    const doc = {
      replayed: r.replayed, divergences: r.divergences, untracked: r.untracked,
      unsupported: Object.fromEntries(r.unsupported),
      finalMaps: diff === null ? null : { equal: diff.length === 0, diff },
      ...(flags.finalMaps ? { maps: finalMaps } : {}),
    };
    return { status: m === 0 ? 0 : 1, out: JSON.stringify(doc) + '\n' };
  }
  let out = '';
  for (const d of r.divergences) out += `line ${d.line} pid ${d.pid}: ${d.call} = ${d.kernel} on the kernel, ${d.vmspace} on vmspace\n`;
  if (diff !== null && diff.length > 0) out += `final maps differ (- kernel, + vmspace):\n${diff.map((l) => '  ' + l).join('\n')}\n`;
  if (flags.finalMaps) out += finalMaps.join('\n') + '\n';
  const notes: string[] = [];
  if (r.untracked > 0) notes.push(`${r.untracked} calls of processes after a new execve not followed`);
  for (const [name, n] of r.unsupported) notes.push(`${n} ${name} not replayed`);
  if (diff !== null && diff.length === 0) notes.push('final maps equal the kernel\'s');
  out += `${r.replayed} syscalls replayed, ${m} divergences${notes.length ? ` (${notes.join('; ')})` : ''}\n`;
  return { status: m === 0 ? 0 : 1, out };
}

/**
 * `vmspace replay LOG`: replay a real program's strace log on vmspace and report where vmspace
 * answers differently (scenario/replay.ts does the work; this reads the files and prints).
 *
 *   vmspace replay PREFIX.strace [--start-maps F] [--start-smaps F] [--kernel-final-maps F]
 *                                [--final-maps] [--infer-execs] [--json]
 *
 * Beside PREFIX.strace, PREFIX.maps, PREFIX.smaps, PREFIX.final-maps and the start states after
 * later execves in PREFIX.execs/ (what tools/capture/vmspace-capture writes) are used when
 * present; without maps, a log that starts
 * with the program's execve (`setarch -R strace -f -v -X raw -y -o LOG program`) gets the start
 * state inferred from the program's ELF file (scenario/elf-start.ts). The last line says
 * `N syscalls replayed, M divergences`; the kernel's final maps, when given, count as one more
 * divergence if they differ. Exit status 0 only when M is 0.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { devMajor, devMinor } from '../adapters/node/host-identity.js';
import { type ElfHost, inferStart } from '../scenario/elf-start.js';
import { type ExecStart, type ReplayOptions, diffMaps, unknownIdentity, replayStrace, replayToScenario } from '../scenario/replay.js';
import { type StraceRecord, parseStrace } from '../scenario/strace.js';

export interface ReplayFlags {
  /** Print the replay as a scenario (JSON lines) instead of comparing. */
  scenario?: boolean;
  startMaps?: string;
  startSmaps?: string;
  kernelFinalMaps?: string;
  finalMaps?: boolean;
  /** Infer the start state of an execve the capture did not copy (default: when the first one is inferred). */
  inferExecs?: boolean;
  json?: boolean;
}

export interface ReplayReport {
  status: number;
  out: string;
}

/** A log's prefix: what the capture's other files are named after (PREFIX.strace → PREFIX). */
function prefixOf(log: string): string {
  return log.endsWith('.strace') ? log.slice(0, -'.strace'.length) : log;
}

function beside(log: string, ext: string): string | undefined {
  const p = `${prefixOf(log)}.${ext}`;
  return existsSync(p) ? p : undefined;
}

/**
 * What the capture copied into DIR for the processes after the first one's start: the start
 * state after each later execve (PID-N.maps, .smaps, .cmdline for process PID's N-th successful
 * execve) and each process's maps at exit_group (PID-N.final-maps), both by `PID-N`.
 */
export function capturedExecs(dir: string): { execs: Map<string, ExecStart>; finalMaps: Map<string, string[]> } {
  const execs = new Map<string, ExecStart>();
  const finalMaps = new Map<string, string[]>();
  if (!existsSync(dir)) return { execs, finalMaps };
  const at = (key: string, ext: string): string | undefined => {
    const p = `${dir}/${key}.${ext}`;
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  };
  for (const f of readdirSync(dir)) {
    const m = /^(\d+-\d+)\.(maps|final-maps)$/.exec(f);
    if (m === null) continue;
    const text = readFileSync(`${dir}/${f}`, 'utf8');
    if (m[2] === 'final-maps') {
      finalMaps.set(m[1], text.split('\n'));
      continue;
    }
    const cmdline = at(m[1], 'cmdline');
    execs.set(m[1], {
      maps: text.split('\n'),
      smaps: at(m[1], 'smaps'),
      argv: cmdline === undefined || cmdline === '' ? undefined : cmdline.replace(/\0$/, '').split('\0'),
    });
  }
  return { execs, finalMaps };
}

/**
 * A program's start state after execve, inferred from its file on this machine (undefined when
 * it cannot be read or is no ELF executable): a script (#!) is its interpreter's, as
 * binfmt_script loads it.
 */
export function inferExecStart(path: string, host: ElfHost = hostElf): ExecStart | undefined {
  // A relative path was the traced program's, from its working directory: not followed.
  if (!path.startsWith('/')) return undefined;
  try {
    const s = inferStart(loadedFile(path, host), host);
    return { maps: s.maps, smaps: s.smaps };
  } catch {
    return undefined;
  }
}

/** The file execve loads for `path`: a script's (#!) interpreter, as binfmt_script does. */
function loadedFile(path: string, host: ElfHost): string {
  const head = host.read(path);
  if (head[0] !== 0x23 || head[1] !== 0x21) return path; // #!
  const interp = new TextDecoder().decode(head.subarray(2, 258)).split('\n')[0].trim().split(/[ \t]+/)[0];
  if (!interp.startsWith('/')) throw new Error(`${path}: a script whose interpreter is not an absolute path`);
  return interp;
}

/** The host's files for ELF inference: headers by positional read, identity by stat. */
export const hostElf: ElfHost = {
  read(p) {
    const fd = openSync(p, 'r');
    try {
      const b = new Uint8Array(1 << 16);
      return b.subarray(0, readSync(fd, b, 0, b.length, 0));
    } finally {
      closeSync(fd);
    }
  },
  identity(p) {
    const real = realpathSync(p);
    const st = statSync(real, { bigint: true });
    return { path: real, major: devMajor(st.dev), minor: devMinor(st.dev), ino: Number(st.ino) };
  },
};

/**
 * The start state: the maps (and smaps) files when there are any; else, for a log that begins
 * with the program's own execve (strace started it), the state inferred from its ELF file.
 */
/** A log's first start state: maps, smaps, and the program it was inferred from (null: copied). */
export interface StartState {
  maps: string[];
  smaps?: string;
  inferred: string | null;
}

export function startState(log: string, records: StraceRecord[], flags: ReplayFlags): StartState | string {
  const mapsPath = flags.startMaps ?? beside(log, 'maps');
  if (mapsPath !== undefined) {
    const smapsPath = flags.startSmaps ?? beside(log, 'smaps');
    return {
      maps: readFileSync(mapsPath, 'utf8').split('\n'),
      smaps: smapsPath === undefined ? undefined : readFileSync(smapsPath, 'utf8'),
      inferred: null,
    };
  }
  const first = records.find((r) => r.type === 'call');
  if (first?.type === 'call' && first.name === 'execve' && first.errno === null) {
    const path = /^"(.*)"$/.exec(first.args[0] ?? '')?.[1];
    if (path !== undefined) {
      const s = inferStart(loadedFile(path, hostElf), hostElf);
      return { maps: s.maps, smaps: s.smaps, inferred: path };
    }
  }
  return `vmspace replay: no start maps (give --start-maps, put ${log.replace(/\.strace$/, '')}.maps beside the log, ` +
    'or capture the log from the execve on, e.g. setarch -R strace -f -v -X raw -y -o LOG program)\n';
}

/**
 * The replay's options for a log: its start state, the start states after later execves and the
 * processes' final maps the capture copied beside it (PREFIX.execs/), and ELF inference for
 * the execves it did not copy — always for a plain strace log, whose first start state was
 * inferred too; for a capture, when asked (--infer-execs).
 */
export function replayOptions(log: string, start: StartState, flags: { inferExecs?: boolean } = {}): ReplayOptions {
  return {
    startMaps: start.maps, startSmaps: start.smaps, ...capturedExecs(`${prefixOf(log)}.execs`),
    inferExec: (flags.inferExecs ?? start.inferred !== null) ? (p) => inferExecStart(p) : undefined,
  };
}

export function replayCommand(log: string, flags: ReplayFlags): ReplayReport {
  const finalPath = flags.kernelFinalMaps ?? beside(log, 'final-maps');
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch (e) {
    return { status: 2, out: `vmspace replay: ${e instanceof Error ? e.message : String(e)}\n` };
  }
  const records = parseStrace(text);
  const start = startState(log, records, flags);
  if (typeof start === 'string') return { status: 2, out: start };
  if (flags.scenario) return { status: 0, out: replayToScenario(records, { startMaps: start.maps, startSmaps: start.smaps }) };
  const r = replayStrace(records, replayOptions(log, start, flags));
  const finalMaps = r.mainMapsAtExit ?? r.main.proc.maps();
  // After the program itself ran another (execve), the kernel's final maps are of a program the
  // replay did not follow: nothing to compare them with.
  const diff = finalPath === undefined || r.mainReplaced ? null : diffMaps(readFileSync(finalPath, 'utf8').split('\n'), finalMaps);
  const m = r.divergences.length + (diff !== null && diff.length > 0 ? 1 : 0);
  if (flags.json) {
    const doc = {
      replayed: r.replayed, divergences: r.divergences, untracked: r.untracked, execsFollowed: r.execsFollowed,
      execsInferred: r.execsInferred, finalMapsCompared: r.finalMapsCompared, reordered: r.reordered,
      mainReplaced: r.mainReplaced,
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
  if (r.execsFollowed > 0) {
    notes.push(`${r.execsFollowed} execve${r.execsFollowed > 1 ? 's' : ''} followed into the new program` +
      (r.execsInferred > 0 ? ` (${r.execsInferred} from the start state inferred from its ELF file)` : ''));
  }
  if (r.reordered > 0) {
    notes.push(`${r.reordered} group${r.reordered > 1 ? 's' : ''} of concurrent calls replayed in the order that gives the kernel's answers`);
  }
  if (r.finalMapsCompared > 0) notes.push(`the maps of ${r.finalMapsCompared} other process${r.finalMapsCompared > 1 ? 'es' : ''} at exit_group compared`);
  if (r.untracked > 0) notes.push(`${r.untracked} calls of processes after a new execve not followed`);
  if (r.mainReplaced && finalPath !== undefined) notes.push('final maps not compared: the program ran another with execve');
  for (const [name, n] of r.unsupported) notes.push(`${n} ${name} not replayed`);
  if (start.inferred !== null) notes.push(`start state inferred from ${start.inferred}`);
  if (diff !== null && diff.length === 0) notes.push('final maps equal the kernel\'s');
  const blind = diff === null ? 0 : finalMaps.filter(unknownIdentity).length;
  if (blind > 0) notes.push(`${blind} of them without device and inode, which the log does not show`);
  out += `${r.replayed} syscalls replayed, ${m} divergences${notes.length ? ` (${notes.join('; ')})` : ''}\n`;
  return { status: m === 0 ? 0 : 1, out };
}

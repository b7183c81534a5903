/**
 * The `vmspace` command line. Argument parsing and terminal I/O only: reading, checking and
 * running scenarios is scenario/'s job.
 *
 *   vmspace run [FILE|-] [--json] [--no-check] [--stream]
 *
 * Exit status (as the kernel oracle's): 0 the scenario ran (ops may have failed: that is their
 * result); 2 a bad scenario (`FILE:LINE: message` on stderr, nothing ran) or bad usage; 1 an
 * invariant broke or the simulator threw (a vmspace bug).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { ScenarioError } from '../scenario/parse.js';
import { ScenarioRunError, ScenarioStream, runScenarioText } from '../scenario/run.js';
import { type ReplayFlags, replayCommand } from './replay.js';
import { serve } from './serve.js';
import { type StateFlags, diffCommand, stateCommand } from './state.js';
import { parseDdOperands, parseSize, sgDd } from './sg-dd.js';
import { type RbufMode, sgRbuf } from './sg-rbuf.js';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** The package version, from the nearest package.json above this module (source or dist). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vmspace') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes text, resolving once it is handed to the stream (keeps memory flat on big outputs). */
function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', resolve);
  });
}

interface RunFlags {
  json?: boolean;
  check: boolean;
  stream?: boolean;
}

async function runCommand(file: string | undefined, flags: RunFlags, io: CliIo): Promise<number> {
  const fromStdin = file === undefined || file === '-';
  const name = fromStdin ? '<stdin>' : file;
  const opts = { checkInvariants: flags.check };
  const fail = async (e: unknown): Promise<number> => {
    if (e instanceof ScenarioError) {
      await write(io.stderr, `${name}:${e.line}: ${e.detail}\n`);
      return 2;
    }
    if (e instanceof ScenarioRunError) {
      await write(io.stderr, `vmspace: ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  };

  if (flags.stream) {
    const input = fromStdin ? io.stdin : createReadStream(file);
    const stream = new ScenarioStream({
      ...opts,
      onBadLine: (line, message) => { io.stderr.write(`${name}:${line}: ${message}\n`); },
    });
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        const out = stream.push(line + '\n');
        if (out.length) await write(io.stdout, out.join('\n') + '\n');
      }
      const out = stream.end();
      if (out.length) await write(io.stdout, out.join('\n') + '\n');
    } catch (e) {
      if (e instanceof Error && 'code' in e && e.code === 'ENOENT') {
        await write(io.stderr, `vmspace: ${name}: no such file\n`);
        return 2;
      }
      return fail(e);
    }
    return 0;
  }

  let text: string;
  try {
    text = fromStdin ? await readAll(io.stdin) : readFileSync(file, 'utf8');
  } catch (e) {
    await write(io.stderr, `vmspace: ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    await write(io.stdout, runScenarioText(text, opts));
    return 0;
  } catch (e) {
    if (e instanceof ScenarioRunError && e.partialOutput.length) {
      await write(io.stdout, e.partialOutput.join('\n') + '\n');
    }
    return fail(e);
  }
}

/** Runs the command line; resolves to the exit status. */
export async function main(
  argv: readonly string[] = process.argv,
  io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('vmspace')
    .description(
      'The Linux virtual-memory subsystem in TypeScript: runs scenarios and answers as Linux 6.18 x86-64 does.',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { io.stdout.write(s); },
      writeErr: (s) => { io.stderr.write(s); },
    });
  program
    .command('run')
    .description(
      'run a scenario (JSON lines, spec/scenario.md) and print the init record, then one result line per op',
    )
    .argument('[file]', 'scenario file, or - for stdin', '-')
    .option('--json', 'print JSON lines (the default and only format)')
    .option('--no-check', 'do not check invariants after every op')
    .option('--stream', 'run each line as soon as it is read; a bad line gets {"error": ...} and the run goes on')
    .addHelpText(
      'after',
      '\nExit status: 0 the scenario ran (ops may fail), 2 a bad scenario (FILE:LINE: message on stderr),\n' +
        '1 an invariant broke or the simulator failed.',
    )
    .action(async (file: string, flags: RunFlags) => {
      status = await runCommand(file, flags, io);
    });
  program
    .command('sg-dd')
    .description(
      'copy between simulated SCSI disks (sim:SIZE) and host files through the sg driver, like sg3_utils\' ' +
        'sgm_dd (mmap=1: mmap-ed IO) and sg_dd (mmap=0: indirect IO)',
    )
    .argument('<operands...>', 'if=IN of=OUT [bs=512] [bpt=128] [count=N] [mmap=0|1] [dio=0|1] [verify=0|1]')
    .option('--json', 'the result as one JSON document')
    .action((operands: string[], flags: { json?: boolean }) => {
      let opts;
      try {
        opts = parseDdOperands(operands);
      } catch (e) {
        io.stderr.write(`vmspace sg-dd: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
        return;
      }
      const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && !flags.json;
      let shown = -1;
      if (tty) {
        opts.progress = (done, total) => {
          const pct = Math.floor((done * 100) / total);
          if (pct === shown) return;
          shown = pct;
          const bar = '='.repeat(Math.floor(pct / 2.5)).padEnd(40);
          io.stderr.write(`\r[${bar}] ${String(pct).padStart(3)}%`);
        };
      }
      const r = sgDd(opts);
      if (tty && shown >= 0) io.stderr.write('\n');
      if (flags.json) {
        const { status: st, lines, ...rest } = r;
        io.stdout.write(JSON.stringify({ status: st, ...rest, mbps: r.seconds > 0 ? r.bytes / 1e6 / r.seconds : null, lines }) + '\n');
      } else {
        (r.status === 0 ? io.stdout : io.stderr).write(r.lines.join('\n') + '\n');
      }
      status = r.status;
    });
  program
    .command('sg-rbuf')
    .description('READ BUFFER throughput of a simulated disk through the sg driver, like sg3_utils\' sg_rbuf')
    .option('--mmap', 'mmap-ed IO only')
    .option('--dio', 'direct IO only (the driver\'s allow_dio on)')
    .option('--indirect', 'indirect IO only')
    .option('--size <bytes>', 'bytes per READ BUFFER (default: the buffer capacity, 1 MiB)')
    .option('--total <bytes>', 'bytes to read per mode (default 200M)')
    .option('--json', 'the results as JSON lines, one per mode')
    .action((flags: { mmap?: boolean; dio?: boolean; indirect?: boolean; size?: string; total?: string; json?: boolean }) => {
      const modes: RbufMode[] = [];
      if (flags.indirect) modes.push('indirect');
      if (flags.mmap) modes.push('mmap');
      if (flags.dio) modes.push('dio');
      if (modes.length === 0) modes.push('indirect', 'mmap');
      let size: number | undefined;
      let total: number | undefined;
      try {
        size = flags.size === undefined ? undefined : parseSize(flags.size);
        total = flags.total === undefined ? undefined : parseSize(flags.total);
      } catch (e) {
        io.stderr.write(`vmspace sg-rbuf: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
        return;
      }
      for (const mode of modes) {
        const r = sgRbuf({ mode, size, total });
        if (flags.json) io.stdout.write(JSON.stringify({ mode, ...r, mbps: r.seconds > 0 ? r.bytes / 1e6 / r.seconds : null }) + '\n');
        else (r.status === 0 ? io.stdout : io.stderr).write(r.line + '\n');
        if (r.status !== 0) status = r.status;
      }
    });
  program
    .command('replay')
    .description(
      'replay a real program\'s strace log (strace -f -v -X raw -y) from its maps after execve, and report every ' +
        'memory syscall whose answer differs from the kernel\'s',
    )
    .argument('<log>', 'the strace log (PREFIX.strace; PREFIX.maps, .smaps and .final-maps beside it are used)')
    .option('--start-maps <file>', '/proc/<pid>/maps right after execve (default: PREFIX.maps)')
    .option('--start-smaps <file>', '/proc/<pid>/smaps at the same moment (default: PREFIX.smaps, if present)')
    .option('--kernel-final-maps <file>', 'the kernel\'s maps at exit, to compare (default: PREFIX.final-maps, if present)')
    .option('--final-maps', 'print vmspace\'s final maps')
    .option('--infer-execs', 'follow a later execve without a captured start state (PREFIX.execs/) from the program\'s ELF ' +
      'file on this machine (the default when the first start state is inferred too)')
    .option('--scenario', 'print the replay as a scenario (JSON lines, the kernel\'s results as "expect"), e.g. for the inspector')
    .option('--json', 'one JSON document instead of text')
    .addHelpText('after', '\nCapture a log: node scripts/capture.mjs PREFIX program [args...] (ASLR off), or\n' +
      'setarch -R strace -f -v -X raw -y -o PREFIX.strace program (the start states are then inferred from the\n' +
      'ELF files, which must be this machine\'s).\n' +
      'Exit status: 0 no divergence, 1 divergences, 2 bad usage.')
    .action((log: string, flags: ReplayFlags) => {
      try {
        const r = replayCommand(log, flags);
        (r.status === 2 ? io.stderr : io.stdout).write(r.out);
        status = r.status;
      } catch (e) {
        io.stderr.write(`vmspace replay: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
      }
    });
  for (const what of ['maps', 'smaps', 'status', 'pmap'] as const) {
    const cmd = program
      .command(what)
      .description(`the ${what === 'pmap' ? 'pmap (procps-ng) listing' : `/proc/<pid>/${what}`} of a process at the end of a scenario, or of a replayed strace log (FILE.strace)`)
      .argument('<file>', 'a scenario (JSON lines) or PREFIX.strace')
      .option('--pid <n>', 'the process (scenario pid label; default 0)')
      .option('--json', 'JSON instead of the kernel\'s text');
    if (what === 'pmap') {
      cmd.option('-x, --extended', 'pmap -x').option('-X', 'pmap -X').option('--XX', 'pmap -XX (every smaps field)');
    }
    cmd.action((file: string, flags: StateFlags & { extended?: boolean; X?: boolean; XX?: boolean }) => {
      try {
        const format = flags.XX ? 'XX' : flags.X ? 'X' : flags.extended ? 'x' : 'default';
        io.stdout.write(stateCommand(what, file, { ...flags, format }));
      } catch (e) {
        io.stderr.write(`vmspace ${what}: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
      }
    });
  }
  program
    .command('diff')
    .description('run a scenario and compare its output with a recorded one (e.g. the kernel oracle\'s .expected.jsonl)')
    .argument('<scenario>', 'the scenario (JSON lines)')
    .argument('<expected>', 'the recorded output')
    .addOption(new Option('--rss <mode>', 'how RSS-like /proc values are compared (exact: all but VmHWM, as the fixtures)')
      .choices(['loose', 'user', 'exact', 'strict']).default('loose'))
    .option('--json', 'the divergences as JSON')
    .action((scenario: string, expected: string, flags: { json?: boolean; rss?: 'loose' | 'user' | 'exact' | 'strict' }) => {
      try {
        const r = diffCommand(scenario, expected, flags);
        io.stdout.write(r.out);
        status = r.diverged ? 1 : 0;
      } catch (e) {
        io.stderr.write(`vmspace diff: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
      }
    });
  program
    .command('fuzz')
    .description('seeded random scenarios run on the live kernel (the kernel oracle) and on vmspace, divergences shrunk ' +
      '(scripts/fuzz.mjs of a source checkout; needs Linux and gcc)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', 'passed to scripts/fuzz.mjs (--seed S --seeds K --ops N --files --memory ...; --help for all)')
    .action((args: string[]) => {
      const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'fuzz.mjs');
      if (!existsSync(script)) {
        io.stderr.write('vmspace fuzz: needs a source checkout (scripts/fuzz.mjs and tools/kernel-oracle)\n');
        status = 2;
        return;
      }
      const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
      status = r.status ?? 1;
    });
  program
    .command('serve')
    .description('the web inspector on a local port, optionally over a scenario or a replayed strace log')
    .argument('[file]', 'a scenario (JSON lines) or PREFIX.strace to open')
    .option('--port <n>', 'the port (default 5173; 0 for any free one)', '5173')
    .action(async (file: string | undefined, flags: { port: string }) => {
      try {
        await serve(file, Number(flags.port), (s) => io.stdout.write(s));
      } catch (e) {
        io.stderr.write(`vmspace serve: ${e instanceof Error ? e.message : String(e)}\n`);
        status = 2;
      }
    });
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    // --help and --version end with status 0; usage errors with 2, as the kernel oracle's.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return status;
}

/**
 * Replay of a real program's strace log on vmspace: the start state is the program's
 * /proc/<pid>/maps (and smaps, for each VMA's flags) taken right after execve; every memory
 * syscall of the log is made again in the simulated process, with the files it maps given the
 * identity the log shows (the `-y` path, and st_dev/st_ino/st_size from `-v` fstat output);
 * each answer is compared with what the kernel returned, and the final maps with the kernel's.
 *
 * Threads (clone with CLONE_VM) share their process's address space; fork-like clones fork it.
 * A successful execve starts the new program from the start state the capture copied at that
 * moment (ReplayOptions.execs: tools/capture's PREFIX.execs/PID-N.*), or else one inferred from
 * the program's file (ReplayOptions.inferExec), in a new process that keeps the descriptors;
 * without either, the process's later calls are left out (counted). Calls that do
 * not touch memory are not compared; the descriptor calls (open, close, dup, memfd_create) are
 * mirrored so that mmap finds the same files.
 */
import { errnoName } from '../src/abi/errno.js';
import { NAMES } from '../src/abi/mman.js';
import { DEFAULT_INIT } from '../src/kernel/default-init.js';
import { createSystem, type System, type Task } from '../src/kernel/system.js';
import { VM_DONTCOPY, type Vma } from '../src/mm/vma.js';
import { type StraceCall, type StraceRecord, argPath } from './strace.js';
import {
  CLONE_FILES, CLONE_THREAD, CLONE_VM, CLONES, F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD, FCNTL_NAMES, FD_CALLS, type Identity,
  LAYOUT_CALLS, NUM, O_CLOEXEC, argvMatches, changesFd, cloneFlags, directories, identities, mappedFd, openFlags,
  placement,
} from './replay-facts.js';
import { diffMaps, layoutOf, parseSmapsText, programOf, unknownIdentity } from './replay-maps.js';

export { diffMaps, parseSmapsText, unknownIdentity };

/** One syscall whose answer differed from the kernel's. */
export interface Divergence {
  line: number;
  pid: number;
  call: string;
  kernel: string;
  vmspace: string;
}

export interface ReplayResult {
  /** Memory syscalls made again and compared. */
  replayed: number;
  divergences: Divergence[];
  /** Calls of processes vmspace could not follow (after an execve without a start state). */
  untracked: number;
  /** The execves followed into the new program (a start state was given or inferred for them). */
  execsFollowed: number;
  /** Of those, the ones whose start state was inferred (ReplayOptions.inferExec). */
  execsInferred: number;
  /** Processes other than the first whose maps at exit_group were compared (opts.finalMaps). */
  finalMapsCompared: number;
  /**
   * Groups of concurrent calls (threads of one process, each call begun before another's end)
   * replayed in another order than the log prints them, because only that order gives the
   * kernel's answers (the log does not fix which took the mmap lock first).
   */
  reordered: number;
  /** Memory calls vmspace does not implement (shmat, pkey_mprotect ...), by name. */
  unsupported: Map<string, number>;
  system: System;
  /** The first process's task (its final state; after an execve followed, the new program's). */
  main: Task;
  /**
   * The first process's maps where its exit_group began, which is when the capture copies the
   * kernel's (its other threads may map more while strace holds that call); null without one.
   */
  mainMapsAtExit: string[] | null;
  /**
   * The first process ran another program (a successful execve after its first call, as a shell
   * wrapper's `exec` does) without a start state for it: the kernel's final maps are that
   * program's, which vmspace did not follow.
   */
  mainReplaced: boolean;
}

/** A program's start state copied right after an execve (maps, smaps, and its argv if known). */
export interface ExecStart {
  maps: string[];
  smaps?: string;
  /** /proc/<pid>/cmdline split at NULs: checked against the execve's argv in the log. */
  argv?: string[];
}

export interface ReplayOptions {
  /** /proc/<pid>/maps lines right after execve. */
  startMaps: string[];
  /** /proc/<pid>/smaps text from the same moment (VmFlags, Rss, Anonymous per VMA), if captured. */
  startSmaps?: string;
  /** Start states after later execves, by `PID-N`: process PID's N-th successful execve in the log. */
  execs?: ReadonlyMap<string, ExecStart>;
  /**
   * For an execve without a start state in `execs`: the new program's start state inferred
   * another way (the CLI reads the program's ELF file on this machine: elf-start.ts), or
   * undefined when it cannot be. Given the path the execve names.
   */
  inferExec?: (path: string) => ExecStart | undefined;
  /**
   * The writes a real program makes that a log does not show, and that decide later merges
   * (default true): the heap's first byte once the break grows, and the first byte of a
   * MAP_FIXED writable anonymous mapping over a PROT_NONE reservation (a JVM's commit). False
   * replays the calls alone (a synthetic log, whose "program" writes nothing).
   */
  assumeWrites?: boolean;
  /**
   * Other processes' maps at their exit_group, by `PID-N` (N: the execves of PID before it, 0 for
   * a process that ran no new program): compared with vmspace's when the log reaches that call.
   */
  finalMaps?: ReadonlyMap<string, string[]>;
}

/** Put the descriptor the replay got (`got`, or -errno) at the number the kernel gave (`fd`). */
function moveFd(t: Task, got: number, fd: number): void {
  if (got < 0 || got === fd) return;
  t.sys.dup3(BigInt(got), BigInt(fd), 0n);
  t.sys.close(BigInt(got));
}

/**
 * An mmap that commits part of a reservation: MAP_FIXED, private, anonymous and writable, over
 * a range that PROT_NONE mappings cover whole (how a JVM grows its heaps and code cache: it
 * writes there at once, and the kernel then keeps each such chunk's anon_vma apart from a
 * neighbour's). A commit by mprotect is not taken so: V8 commits several chunks before it
 * writes any (recorded: chromium's kernel maps had them merged).
 */
function isCommit(t: Task, a: string[]): boolean {
  const flags = NUM(a[3], NAMES.mmapFlags);
  if ((flags & 0x33n) !== 0x32n || (NUM(a[2], NAMES.prot) & 2n) === 0n) return false; // FIXED|PRIVATE|ANONYMOUS, not SHARED
  const start = Number(NUM(a[0]));
  return reservedAnon(t, start, start + Number((NUM(a[1]) + 4095n) & ~4095n));
}

/** Whether PROT_NONE anonymous private mappings cover [start, end) whole (a reservation). */
function reservedAnon(t: Task, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    const v = t.mm.tree.findNext(at);
    if (v === undefined || v.start > at || (v.flags & 7) !== 0 || v.file !== null || (v.flags & 8) !== 0) return false;
    at = v.end;
  }
  return at > start;
}

/**
 * A fork of `t` with every VMA in it, for trying calls on: fork leaves out VM_DONTCOPY ones
 * (MADV_DONTFORK), and a placement tried without them could land in their holes.
 */
function scratchCopy(t: Task): Task | number {
  const dontcopy: Vma[] = [];
  t.mm.tree.forEach((v) => {
    if ((v.flags & VM_DONTCOPY) !== 0) dontcopy.push(v);
  });
  for (const v of dontcopy) v.flags &= ~VM_DONTCOPY;
  try {
    return t.fork();
  } finally {
    for (const v of dontcopy) v.flags |= VM_DONTCOPY;
  }
}

/** `list` first, then its other orders. */
function* permutations(list: number[]): Generator<number[]> {
  yield list;
  const rec = function* (rest: number[], acc: number[]): Generator<number[]> {
    if (rest.length === 0) {
      if (acc.some((x, k) => x !== list[k])) yield acc;
      return;
    }
    for (let k = 0; k < rest.length; k++) yield* rec([...rest.slice(0, k), ...rest.slice(k + 1)], [...acc, rest[k]]);
  };
  yield* rec(list, []);
}

class Replayer {
  readonly system: System;
  main: Task;
  private readonly tasks = new Map<number, Task>();
  private readonly untrackedPids = new Set<number>();
  private readonly ids: Map<string, Identity>;
  private readonly dirs: Set<string>;
  readonly divergences: Divergence[] = [];
  readonly unsupported = new Map<string, number>();
  replayed = 0;
  untracked = 0;
  execsFollowed = 0;
  execsInferred = 0;
  finalMapsCompared = 0;
  private readonly inferExec: ((path: string) => ExecStart | undefined) | undefined;
  private readonly assumeWrites: boolean;
  mainReplaced = false;
  private readonly finalMaps: ReadonlyMap<string, string[]>;
  /** Successful execves seen per pid (after the log's first call). */
  private readonly execCounts = new Map<number, number>();
  /** Processes made by CLONE_VM without CLONE_THREAD (vfork, posix_spawn): they share a task until execve. */
  private readonly vmShared = new Set<number>();
  private readonly execs: ReadonlyMap<string, ExecStart>;
  /** The index of the record being replayed. */
  private at = 0;
  /** While trying an order of concurrent calls on a scratch copy: the answers that differed. */
  private trial: { mismatches: number } | null = null;
  /** Records already carried out, earlier than their place in the log (concurrentOrder()). */
  private readonly doneEarly = new Set<number>();
  /** Concurrent calls carried out in another order than the log's, to get the kernel's answers. */
  reordered = 0;
  /** exit_group calls begun, whose process's maps are compared before its next call. */
  private readonly pendingExits: { task: Task; call: StraceCall }[] = [];
  /** The first process's maps where its exit_group began (null: it did not call it). */
  mainMapsAtExit: string[] | null = null;
  /** Processes that share a task's mm (CLONE_VM) but have descriptors of their own (no CLONE_FILES). */
  private readonly ownFds = new Set<number>();
  /**
   * Their descriptor tables, made at their first descriptor call: a fork of the task they share
   * (its address space unused), whose table is the parent's as it was (vfork: the parent waits).
   * Their execve carries these descriptors to the new program.
   */
  private readonly fdTasks = new Map<number, Task>();
  /** Clone calls already carried out at their child's first call (run()). */
  private readonly clonedEarly = new Set<StraceCall>();
  /** The thread ids of the first process (not the vfork/posix_spawn children sharing its mm). */
  private readonly mainThreads = new Set<number>();
  /** The replay as scenario ops (replayToScenario()), or null when not wanted. */
  ops: Record<string, unknown>[] | null = null;
  /** Scenario pid labels of the processes (threads share their process's). */
  private readonly labels = new Map<Task, number>();
  /** Per process label: descriptor → the path it was opened on (for dup as a new open). */
  private readonly fdPaths = new Map<number, Map<number, string>>();
  /** Calls seen so far (all kinds). */
  private calls = 0;
  private readonly firstPid: number;
  /** The start state as the scenario's init record. */
  readonly init: Record<string, unknown>;

  constructor(private readonly records: StraceRecord[], opts: ReplayOptions) {
    this.execs = opts.execs ?? new Map();
    this.finalMaps = opts.finalMaps ?? new Map();
    this.inferExec = opts.inferExec;
    this.assumeWrites = opts.assumeWrites ?? true;
    this.ids = identities(records);
    this.dirs = directories(records);
    const firstCall = records.find((r) => r.type === 'call') as StraceCall | undefined;
    this.firstPid = firstCall?.pid ?? 0;
    this.mainThreads.add(this.firstPid);
    const init: Record<string, unknown> = { ...DEFAULT_INIT, ...layoutOf(opts.startMaps), maps: opts.startMaps.filter((l) => l.trim() !== '') };
    init.smaps = opts.startSmaps !== undefined ? parseSmapsText(opts.startSmaps) : [];
    init.oracle = 'vmspace replay: the start state of an strace log (its maps after execve)';
    delete init.status;
    // The break: what the program's first brk(NULL) saw (ELF loading put it past the bss).
    const brk = records.find((r) => r.type === 'call' && r.name === 'brk' && r.pid === this.firstPid && r.ret !== null);
    if (brk !== undefined && brk.type === 'call') init.start_brk = init.brk = '0x' + brk.ret!.toString(16);
    this.system = createSystem({ init });
    this.main = this.system.task(0)!;
    this.tasks.set(this.firstPid, this.main);
    this.labels.set(this.main, 0);
    this.init = init;
    // Files the start state maps keep the identity their maps lines give (init-record.ts).
  }

  private taskOf(pid: number): Task | undefined {
    if (this.untrackedPids.has(pid)) return undefined;
    return this.tasks.get(pid);
  }

  run(): void {
    // The call that made each thread or process: strace may print a new thread's first calls
    // before its creator's clone() returns (recorded: a rustc thread's first mmap), and that
    // clone has happened by then.
    const creators = new Map<number, StraceCall>();
    for (const r of this.records) {
      if (r.type === 'call' && CLONES.has(r.name) && r.errno === null && r.ret !== null && r.ret > 0n) creators.set(Number(r.ret), r);
    }
    // exit_group calls by where they began: the capture copies a process's maps while strace
    // holds the call there, so calls of its other threads that begin after it are not in them.
    const exits = this.records.filter((r): r is StraceRecord & StraceCall => r.type === 'call' && r.name === 'exit_group')
      .sort((a, b) => (a.start ?? a.line) - (b.start ?? b.line));
    let nextExit = 0;
    for (this.at = 0; this.at < this.records.length; this.at++) {
      const r = this.records[this.at];
      const began = r.type === 'call' ? r.start ?? r.line : r.line;
      while (nextExit < exits.length && (exits[nextExit].start ?? exits[nextExit].line) <= began) {
        const e = exits[nextExit++];
        const t = this.taskOf(e.pid);
        if (t !== undefined) this.pendingExits.push({ task: t, call: e });
      }
      // A call of an exiting process that began after its exit_group: compare the maps first.
      if (r.type === 'call' && this.pendingExits.length > 0) {
        const t = this.taskOf(r.pid);
        for (const p of this.pendingExits.filter((x) => x.task === t || x.call === r)) this.exitMaps(p);
      }
      if (r.type === 'event') {
        if (r.kind === 'exit' || r.kind === 'killed') this.exited(r.pid);
        continue;
      }
      this.calls++;
      const c = this.tasks.has(r.pid) ? undefined : creators.get(r.pid);
      if (c !== undefined && !this.clonedEarly.has(c)) {
        const parent = this.taskOf(c.pid);
        if (parent !== undefined) {
          this.clonedEarly.add(c);
          this.cloned(parent, c);
        }
      }
      if (r.name === 'execve' || r.name === 'execveat') {
        this.execve(r);
        continue;
      }
      const t = this.taskOf(r.pid);
      if (t === undefined) {
        this.untracked++;
        continue;
      }
      if (this.doneEarly.has(this.at)) continue;
      const order = LAYOUT_CALLS.has(r.name) ? this.concurrentOrder(t, this.at) : null;
      if (order === null) {
        this.call(t, r);
      } else {
        for (const k of order) {
          this.doneEarly.add(k);
          this.call(t, this.records[k] as StraceCall);
        }
      }
    }
  }

  /**
   * Calls of one address space that ran at the same time (each began before another one's end:
   * strace printed them `<unfinished ...>`) took the mmap lock in an order the log does not fix,
   * and a placement depends on it: two threads' mmaps get each other's address, an mmap the
   * range a concurrent munmap frees. From the call at index `i`: the calls of the same task
   * after it that overlap the group in time — none with a call of its own thread or a
   * descriptor call between (those keep their place). When the group has a placement, its
   * orders are tried on a scratch fork of the task, the log's first; the first order in which
   * every call gets the kernel's answer is returned when it is not the log's (null otherwise:
   * the log's order, and its divergences, stand).
   */
  private concurrentOrder(t: Task, i: number): number[] | null {
    const first = this.records[i] as StraceCall;
    const group = [i];
    let end = first.line;
    const between = new Set<number>([first.pid]);
    const fdCalls: StraceCall[] = [];
    for (let j = i + 1; j < this.records.length && j <= i + 64 && group.length < 4; j++) {
      const r = this.records[j];
      if (r.type !== 'call') continue;
      if (CLONES.has(r.name)) break;
      const overlaps = (r.start ?? r.line) < end;
      const fd = mappedFd(r);
      if (overlaps && LAYOUT_CALLS.has(r.name) && !this.doneEarly.has(j) && this.taskOf(r.pid) === t &&
          !between.has(r.pid) && !(fd !== null && fdCalls.some((c) => changesFd(c, fd)))) {
        group.push(j);
        end = r.line;
      }
      between.add(r.pid);
      if (FD_CALLS.has(r.name)) fdCalls.push(r);
    }
    if (group.length < 2 || !group.some((k) => placement(this.records[k] as StraceCall))) return null;
    for (const order of permutations(group)) {
      const trial = scratchCopy(t);
      if (typeof trial === 'number') return null;
      this.trial = { mismatches: 0 };
      let mismatches: number;
      try {
        for (const k of order) this.call(trial, this.records[k] as StraceCall);
      } finally {
        mismatches = this.trial.mismatches;
        this.trial = null;
        trial.exit();
      }
      if (mismatches === 0) {
        if (order === group) return null;
        this.reordered++;
        return order;
      }
    }
    return null;
  }

  /**
   * At the point of the log where a process called exit_group (pendingExits): its maps against
   * the kernel's copy (opts.finalMaps), and the first process's kept for the final comparison.
   */
  private exitMaps(p: { task: Task; call: StraceCall }): void {
    this.pendingExits.splice(this.pendingExits.indexOf(p), 1);
    if (p.task.exited) return;
    // A vfork child that exits without running a program (posix_spawn's failure path) shares
    // the first process's task: its maps are compared, and the first process goes on.
    if (this.mainThreads.has(p.call.pid)) this.mainMapsAtExit = p.task.proc.maps();
    else this.compareFinalMaps(p.task, p.call);
  }

  /** A process's maps at its exit_group against the kernel's, when the capture copied them. */
  private compareFinalMaps(t: Task, r: StraceCall): void {
    const kernel = this.finalMaps.get(`${r.pid}-${this.execCounts.get(r.pid) ?? 0}`);
    if (kernel === undefined) return;
    this.finalMapsCompared++;
    const diff = diffMaps(kernel, t.proc.maps());
    if (diff.length === 0) return;
    this.divergences.push({
      line: r.line, pid: r.pid, call: 'maps at exit_group',
      kernel: diff.filter((l) => l.startsWith('-')).map((l) => l.slice(2)).join('; ') || '(no other lines)',
      vmspace: diff.filter((l) => l.startsWith('+')).map((l) => l.slice(2)).join('; ') || '(no other lines)',
    });
  }

  /**
   * A new program. With its start state (opts.execs), the process goes on in a new task built
   * from it, with the old one's descriptors; a vfork child's execve leaves its parent's task as
   * it was, a process's own is released. Without one, vmspace cannot follow it: the process's
   * later calls are counted as untracked (the log's very first call excepted, when strace
   * started the program itself: the start maps describe the state after it).
   */
  private execve(r: StraceCall): void {
    if (r.errno !== null || (r.pid === this.firstPid && this.calls === 1)) return;
    const n = (this.execCounts.get(r.pid) ?? 0) + 1;
    this.execCounts.set(r.pid, n);
    const copied = this.execs.get(`${r.pid}-${n}`);
    let start = copied !== undefined && argvMatches(r, copied.argv) ? copied : undefined;
    let inferred = false;
    const old = this.taskOf(r.pid);
    if (copied === undefined && this.inferExec !== undefined && this.ops === null) {
      let path = /^"(.*)"$/.exec(r.args[r.name === 'execveat' ? 1 : 0] ?? '')?.[1];
      // /proc/self/exe (how chromium starts its helpers) is the program the process runs now.
      if (path !== undefined && /^\/proc\/(?:self|\d+)\/exe$/.test(path)) path = old === undefined ? undefined : programOf(old);
      start = path === undefined || path.includes('\\') ? undefined : this.inferExec(path);
      inferred = start !== undefined;
    }
    const isMain = this.mainThreads.has(r.pid);
    if (start === undefined || this.ops !== null) {
      this.untrackedPids.add(r.pid);
      // A vfork child shares the first process's task until its execve: that leaves the
      // parent as it was. A thread of the first process replaces the whole program.
      if (isMain) this.mainReplaced = true;
      return;
    }
    const init: Record<string, unknown> = { ...DEFAULT_INIT, ...layoutOf(start.maps), maps: start.maps.filter((l) => l.trim() !== '') };
    init.smaps = start.smaps !== undefined ? parseSmapsText(start.smaps) : [];
    delete init.status;
    // The break: what the new program's first brk(NULL) saw (before any later execve of it).
    for (let i = this.at + 1; i < this.records.length; i++) {
      const b = this.records[i];
      if (b.type !== 'call' || b.pid !== r.pid) continue;
      if (b.name === 'execve' || b.name === 'execveat') break;
      if (b.name === 'brk' && b.ret !== null) {
        init.start_brk = init.brk = '0x' + b.ret.toString(16);
        break;
      }
    }
    const shared = this.vmShared.has(r.pid);
    const fdTask = this.fdTasks.get(r.pid);
    this.fdTasks.delete(r.pid);
    const t = old === undefined ? this.system.spawn(init)
      : fdTask !== undefined ? this.system.spawn(init, { execing: fdTask })
        : this.system.spawn(init, { execing: old, keepOld: shared });
    // Its other threads are gone with the old program (de_thread()); a thread other than the
    // leader that calls execve goes on under the leader's pid, so every pid of the old
    // process names the new one (the dead threads make no more calls).
    if (old !== undefined && !shared) for (const [pid, task] of this.tasks) if (task === old) this.tasks.set(pid, t);
    this.tasks.set(r.pid, t);
    this.untrackedPids.delete(r.pid);
    this.vmShared.delete(r.pid);
    this.ownFds.delete(r.pid);
    this.labels.set(t, this.labels.size);
    this.execsFollowed++;
    if (inferred) this.execsInferred++;
    if (isMain) {
      this.main = t;
      this.mainThreads.clear();
      for (const [pid, task] of this.tasks) if (task === t) this.mainThreads.add(pid);
    }
  }

  private exited(pid: number): void {
    const t = this.tasks.get(pid);
    this.tasks.delete(pid);
    this.fdTasks.get(pid)?.exit();
    this.fdTasks.delete(pid);
    // The process is gone when no thread of it is left (the main task stays for the final maps).
    if (t !== undefined && t !== this.main && ![...this.tasks.values()].includes(t) && !t.exited) {
      this.emit(t, { op: 'exit' });
      t.exit();
    }
  }

  /** Record `op` (a scenario op of task t) when the replay is being written as a scenario. */
  private emit(t: Task, op: Record<string, unknown>): void {
    if (this.ops === null || this.trial !== null) return;
    const pid = this.labels.get(t) ?? 0;
    this.ops.push(pid === 0 ? op : { ...op, pid });
  }

  /** A memory call as a scenario op, expecting the kernel's result. */
  private emitCall(t: Task, r: StraceCall, op: string, fields: Record<string, bigint>): void {
    if (this.ops === null || this.trial !== null) return;
    const o: Record<string, unknown> = { op };
    for (const [k, v] of Object.entries(fields)) o[k] = '0x' + v.toString(16);
    if (r.errno !== null) o.expect = { errno: r.errno };
    else if (r.ret !== null) o.expect = { ret: '0x' + BigInt.asUintN(64, r.ret).toString(16) };
    o.note = `strace line ${r.line}: ${r.name}(${r.args.join(', ')})`;
    this.emit(t, o);
  }

  private compare(r: StraceCall, got: number): void {
    const kernel = r.errno !== null ? r.errno : r.ret === null ? '?' : '0x' + BigInt.asUintN(64, r.ret).toString(16);
    const mine = got < 0 && got >= -4095 ? errnoName(-got) : '0x' + got.toString(16);
    if (this.trial !== null) {
      if (kernel !== '?' && kernel !== mine) this.trial.mismatches++;
      return;
    }
    this.replayed++;
    if (kernel !== '?' && kernel !== mine) {
      this.divergences.push({ line: r.line, pid: r.pid, call: `${r.name}(${r.args.join(', ')})`, kernel, vmspace: mine });
    }
  }

  /** The log's descriptor number `fd` opened in `t` on `path` (openat, then dup3 to the same number). */
  /**
   * Descriptors received with SCM_RIGHTS (another process's files, mostly not followed): a memfd
   * becomes a new memfd of the same name, a file an open of its path (read-write: the sender's
   * access mode is not in the log). Sockets, pipes and the like are not mirrored: nothing maps them.
   */
  private mirrorReceivedFds(t: Task, r: StraceCall): void {
    const text = r.args.join(', ');
    // The list ends at the cmsg's `]}`: a socket's name has brackets of its own (socket:[1755364]).
    for (const m of text.matchAll(/cmsg_type=(?:0x1|SCM_RIGHTS), cmsg_data=\[(.*?)\]\}/g)) {
      for (const d of m[1].matchAll(/(\d+)<([^<>]*)>(?:\(deleted\))?/g)) {
        const fd = Number(d[1]);
        const target = d[2];
        if (target.startsWith('/memfd:')) {
          moveFd(t, t.sys.memfdCreate(target.slice('/memfd:'.length).replace(/ \(deleted\)$/, ''), 0n), fd);
        } else if (target.startsWith('/')) {
          this.mirrorOpen(t, fd, target, 2);
        }
      }
    }
  }

  /**
   * Mirror an open of `path` at `fd`, with the access mode (O_ACCMODE bits) the program asked for
   * and its close-on-exec flag (the descriptor must be gone in a program started by execve).
   */
  private mirrorOpen(t: Task, fd: number, path: string, accmode = 0, cloexec = false): void {
    const id = this.ids.get(path);
    // Directories are made on the way to the files under them; a file the log never fstat()s
    // gets no device or inode number (its maps lines will say so).
    if ((id !== undefined && (id.mode & 0o170000) === 0o40000) || this.dirs.has(path)) return;
    if (this.ops !== null && path.startsWith('/')) this.mirrorOpenOp(t, fd, path, cloexec);
    if (path.startsWith('/')) this.system.fs.addTraceFile(path, id?.major ?? 0, id?.minor ?? 0, id?.ino ?? 0, id?.size ?? 2 ** 40);
    // The access mode decides what mmap allows (MAP_SHARED with PROT_WRITE needs O_RDWR).
    moveFd(t, t.sys.openat(path, BigInt(accmode), 0n), fd);
    if (cloexec) t.fds.setCloexec(fd, true);
  }

  private call(t: Task, r: StraceCall): void {
    const a = r.args;
    const sys = t.sys;
    // A vfork/posix_spawn child shares its parent's task (the mm) but not its descriptors: its
    // dup2()s and close()s before execve go to a table of its own.
    if (this.ownFds.has(r.pid) && FD_CALLS.has(r.name) && !this.fdTasks.has(r.pid)) {
      if (this.ops !== null) return;
      const own = t.fork();
      if (typeof own === 'number') return;
      this.fdTasks.set(r.pid, own);
    }
    const fdTask = this.fdTasks.get(r.pid);
    if (fdTask !== undefined && FD_CALLS.has(r.name) && fdTask !== t) return this.call(fdTask, r);
    switch (r.name) {
      case 'mmap': {
        this.emitCall(t, r, 'mmap', { addr: NUM(a[0]), len: NUM(a[1]), prot: NUM(a[2], NAMES.prot), flags: NUM(a[3], NAMES.mmapFlags), fd: NUM(a[4]), offset: NUM(a[5]) });
        const commit = this.assumeWrites && this.trial === null && isCommit(t, a);
        const got = sys.mmap(NUM(a[0]), NUM(a[1]), NUM(a[2], NAMES.prot), NUM(a[3], NAMES.mmapFlags), NUM(a[4]), NUM(a[5]));
        this.compare(r, got);
        if (commit && got === Number(NUM(a[0]))) this.written(t, got);
        return;
      }
      case 'munmap':
        this.emitCall(t, r, 'munmap', { addr: NUM(a[0]), len: NUM(a[1]) });
        return this.compare(r, sys.munmap(NUM(a[0]), NUM(a[1])));
      case 'mprotect':
        this.emitCall(t, r, 'mprotect', { addr: NUM(a[0]), len: NUM(a[1]), prot: NUM(a[2], NAMES.prot) });
        return this.compare(r, sys.mprotect(NUM(a[0]), NUM(a[1]), NUM(a[2], NAMES.prot)));
      case 'mremap':
        this.emitCall(t, r, 'mremap', { old_addr: NUM(a[0]), old_len: NUM(a[1]), new_len: NUM(a[2]), flags: NUM(a[3], NAMES.mremapFlags), new_addr: NUM(a[4]) });
        return this.compare(r, sys.mremap(NUM(a[0]), NUM(a[1]), NUM(a[2]), NUM(a[3], NAMES.mremapFlags), NUM(a[4])));
      case 'brk': {
        this.emitCall(t, r, 'brk', { addr: NUM(a[0]) });
        const old = t.mm.brk;
        const got = sys.brk(NUM(a[0]));
        this.compare(r, got);
        // The heap is written as soon as the break grows: malloc puts its top chunk's header at
        // the heap's start at once (glibc, musl). A log has no page faults, but that write
        // decides whether the heap VMA has an anon_vma, which later merges depend on (a forked
        // child's heap inherits it, and brk then cannot merge into it: recorded, tmux's daemon).
        if (got > old && this.assumeWrites && this.trial === null) this.written(t, t.mm.startBrk);
        return;
      }
      case 'madvise':
        this.emitCall(t, r, 'madvise', { addr: NUM(a[0]), len: NUM(a[1]), advice: NUM(a[2], NAMES.advice) });
        return this.compare(r, sys.madvise(NUM(a[0]), NUM(a[1]), NUM(a[2], NAMES.advice)));
      case 'msync':
        this.emitCall(t, r, 'msync', { addr: NUM(a[0]), len: NUM(a[1]), flags: NUM(a[2], NAMES.msyncFlags) });
        return this.compare(r, sys.msync(NUM(a[0]), NUM(a[1]), NUM(a[2], NAMES.msyncFlags)));
      case 'mlock':
        this.emitCall(t, r, 'mlock', { addr: NUM(a[0]), len: NUM(a[1]) });
        return this.compare(r, sys.mlock(NUM(a[0]), NUM(a[1])));
      case 'mlock2':
        return this.compare(r, sys.mlock2(NUM(a[0]), NUM(a[1]), NUM(a[2], NAMES.mlockFlags)));
      case 'munlock':
        this.emitCall(t, r, 'munlock', { addr: NUM(a[0]), len: NUM(a[1]) });
        return this.compare(r, sys.munlock(NUM(a[0]), NUM(a[1])));
      case 'mlockall':
        return this.compare(r, sys.mlockall(NUM(a[0], NAMES.mlockallFlags)));
      case 'munlockall':
        return this.compare(r, sys.munlockall());
      case 'mseal':
        return this.compare(r, sys.mseal(NUM(a[0]), NUM(a[1]), NUM(a[2])));
      case 'mincore': {
        const len = NUM(a[1]);
        const vec = new Uint8Array(Math.min(Number((len + 4095n) / 4096n), 1 << 20));
        return this.compare(r, sys.mincore(NUM(a[0]), len, vec));
      }
      case 'shmat': case 'shmdt': case 'pkey_mprotect': case 'remap_file_pages': case 'process_madvise':
        this.unsupported.set(r.name, (this.unsupported.get(r.name) ?? 0) + 1);
        return;
      case 'open': case 'openat': case 'openat2': case 'creat':
        if (r.errno === null && r.ret !== null && r.retPath !== null) {
          // /proc/self/fd/N reopens the file of descriptor N (a new description: chromium makes
          // read-only handles of its shared memory that way). The replay shares N's description
          // instead, which differs only in its access mode.
          const self = /^"\/proc\/(?:self|\d+)\/fd\/(\d+)"$/.exec(a[r.name === 'openat' || r.name === 'openat2' ? 1 : 0] ?? '');
          if (self !== null && sys.dup3(BigInt(self[1]), r.ret, 0n) >= 0) return;
          const flags = openFlags(r);
          this.mirrorOpen(t, Number(r.ret), r.retPath, Number(flags & 3n), (flags & O_CLOEXEC) !== 0n);
        }
        return;
      case 'recvmsg': case 'recvmmsg':
        if (r.errno === null) this.mirrorReceivedFds(t, r);
        return;
      case 'memfd_create':
        if (r.errno === null && r.ret !== null) {
          const name = /^"(.*)"$/.exec(a[0] ?? '')?.[1] ?? 'memfd';
          moveFd(t, sys.memfdCreate(name, NUM(a[1])), Number(r.ret));
        }
        return;
      case 'unlink': case 'unlinkat': {
        // A file the program mapped and then removed shows as `(deleted)` in its maps. A relative
        // name is followed only under a dirfd whose directory -y printed.
        if (r.errno !== null) return;
        const at = r.name === 'unlinkat';
        const name = /^"(.*)"$/.exec((at ? a[1] : a[0]) ?? '')?.[1];
        if (name === undefined || (at && (NUM(a[2]) & 0x200n) !== 0n)) return; // AT_REMOVEDIR
        const dir = at ? argPath(a[0] ?? '') : null;
        const p = name.startsWith('/') ? name : dir !== null ? `${dir}/${name}` : null;
        if (p !== null && !this.dirs.has(p)) this.system.fs.removeTraceFile(p);
        return;
      }
      case 'close':
        if (r.errno === null) {
          sys.close(NUM(a[0]));
          if (this.fdPaths.get(this.labels.get(t) ?? 0)?.delete(Number(NUM(a[0])))) this.emit(t, { op: 'close', fd: Number(NUM(a[0])) });
        }
        return;
      case 'dup': case 'dup2': case 'dup3':
        if (r.errno === null && r.ret !== null && BigInt(r.ret) !== NUM(a[0])) {
          sys.dup3(NUM(a[0]), r.ret, r.name === 'dup3' ? NUM(a[2], { O_CLOEXEC: 0o2000000 }) & O_CLOEXEC : 0n);
          // The scenario format has no dup: a second open of the same file stands in for it.
          const path = this.fdPaths.get(this.labels.get(t) ?? 0)?.get(Number(NUM(a[0])));
          if (path !== undefined) this.mirrorOpenOp(t, Number(r.ret), path);
        }
        return;
      case 'fcntl': {
        if (r.errno !== null || r.ret === null) return;
        const cmd = NUM(a[1], FCNTL_NAMES);
        if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC) sys.dup3(NUM(a[0]), r.ret, cmd === F_DUPFD_CLOEXEC ? O_CLOEXEC : 0n);
        else if (cmd === F_SETFD) t.fds.setCloexec(Number(NUM(a[0])), (NUM(a[2], { FD_CLOEXEC: 1 }) & 1n) !== 0n);
        return;
      }
      case 'ftruncate':
        if (r.errno === null) sys.ftruncate(NUM(a[0]), NUM(a[1]));
        return;
      case 'clone': case 'clone3': case 'fork': case 'vfork':
        if (this.clonedEarly.has(r)) return; // done at the child's first call
        return this.cloned(t, r);
      default:
        return;
    }
  }

  /** Write the byte at `addr` (its own value) when its VMA has no anon_vma yet. */
  private written(t: Task, addr: number): void {
    const v = t.mm.tree.findNext(addr);
    if (v === undefined || v.start > addr || v.anonVma !== null) return;
    try {
      const b = t.mem.load8(addr);
      t.mem.store8(addr, b);
      this.emit(t, { op: 'store', addr: '0x' + addr.toString(16), data: b.toString(16).padStart(2, '0'), note: 'the write the program makes there (assumed)' });
    } catch {
      // not writable (a program that mprotect()ed it): nothing is written then either
    }
  }

  /** A new thread shares `t`; a new process is its fork. */
  private cloned(t: Task, r: StraceCall): void {
    if (r.errno !== null || r.ret === null || r.ret <= 0n) return;
    const child = Number(r.ret);
    const flags = cloneFlags(r);
    if ((flags & CLONE_VM) !== 0n) {
      this.tasks.set(child, t);
      if ((flags & CLONE_FILES) === 0n) this.ownFds.add(child);
      if ((flags & CLONE_THREAD) === 0n) this.vmShared.add(child);
      if ((flags & CLONE_THREAD) !== 0n && this.mainThreads.has(r.pid)) this.mainThreads.add(child);
      return;
    }
    const c = t.fork();
    if (typeof c === 'number') return;
    this.tasks.set(child, c);
    const label = this.labels.size;
    this.labels.set(c, label);
    this.fdPaths.set(label, new Map(this.fdPaths.get(this.labels.get(t) ?? 0) ?? []));
    this.emit(t, { op: 'fork', child: label });
  }

  /**
   * The open op of a scenario for `path` at descriptor `fd` (the replay itself opened it, or a
   * dup did): read-only, as the scenario format opens absolute paths, with the close-on-exec
   * flag, and the identity the log gave the file, or none (00:00 0, as the replay shows it) for
   * a file the log never fstat()s.
   */
  private mirrorOpenOp(t: Task, fd: number, path: string, cloexec = false): void {
    if (this.ops === null) return;
    const id = this.ids.get(path);
    const label = this.labels.get(t) ?? 0;
    if (!this.fdPaths.has(label)) this.fdPaths.set(label, new Map());
    this.fdPaths.get(label)!.set(fd, path);
    const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
    this.emit(t, {
      op: 'open', path, flags: cloexec ? 'O_RDONLY|O_CLOEXEC' : 'O_RDONLY', fd,
      dev: `${hex2(id?.major ?? 0)}:${hex2(id?.minor ?? 0)}`, ino: '0x' + (id?.ino ?? 0).toString(16), size: '0x' + (id?.size ?? 2 ** 40).toString(16),
    });
  }
}

export function replayStrace(records: StraceRecord[], opts: ReplayOptions): ReplayResult {
  const r = new Replayer(records, opts);
  r.run();
  return {
    replayed: r.replayed, divergences: r.divergences, untracked: r.untracked, execsFollowed: r.execsFollowed,
    execsInferred: r.execsInferred, finalMapsCompared: r.finalMapsCompared, reordered: r.reordered,
    unsupported: r.unsupported, system: r.system, main: r.main, mainReplaced: r.mainReplaced,
    mainMapsAtExit: r.mainMapsAtExit,
  };
}

/**
 * The replay written as a scenario (spec/scenario.md): the start state as the init line, then
 * one op per replayed call — the memory calls with the kernel's result as "expect" and the
 * strace line as "note", the opens of mapped files with their identity, forks and exits — so the
 * runner, the oracle's checker and the inspector can step through a real program.
 */
export function replayToScenario(records: StraceRecord[], opts: ReplayOptions): string {
  const r = new Replayer(records, opts);
  r.ops = [];
  r.run();
  const init = { op: 'init', ...r.init };
  return [init, ...r.ops].map((o) => JSON.stringify(o)).join('\n') + '\n';
}

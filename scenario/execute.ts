/**
 * Executing checked scenario ops on a simulated system (spec/scenario.md §2.1, §3.1, §4, §5):
 * the part of the runner that knows the ops, independent of which kernel implementation runs
 * them (it sees only the System/Task contract).
 *
 * Operands are evaluated just before their op runs; an op whose operand refers to an op without
 * a ret is skipped (`{"skip":"$3 has no ret"}`), as is an op of a pid that does not exist. Every
 * syscall gets its operands unchanged as u64 values, so the simulated kernel's own checks see
 * exactly what Linux's see. With invariant checking on, the task's invariants are checked after
 * every op, and a broken one stops the run with a ScenarioRunError.
 * Oracle: tools/kernel-oracle/src/controller.c:run_op().
 */
import { errnoName } from '../src/abi/errno.js';
import { O_CLOEXEC } from '../src/abi/mman.js';
import { ACCESS_READ, ACCESS_WRITE, faultToSignal } from '../src/kernel/memory.js';
import type { System, Task } from '../src/kernel/system.js';
import type { Access } from '../src/mm/fault.js';
import { poll, scsiDisk, sgIo, sgReceive, sgSubmit } from './execute-devices.js';
import { ExecutorModel } from './executor-model.js';
import { HarnessGuard } from './harness-guard.js';
import { formatInit, formatResult, procRecord, smapsRecord, type OpResult } from './format.js';
import type { Op } from './parse.js';
import { EXEC_BUF_SIZE, MAX_PIDS, evalExpr, hex, hexBytes } from './values.js';

/** Top of the 47-bit user address space (the oracle's TASK_SIZE_47). */
const TASK_SIZE = 0x7ffffffff000n;
/** Scenario fds are 3 .. FD_NAMESPACE-1 (spec 3.2). */
const FD_NAMESPACE = 256n;
/** An fd number that is never open: what fds outside the scenario's namespace become. */
const CLOSED_FD = 0x7fffffffn;
const EBADF = 9;

/** Lowest non-user address (47-bit user space), and the kernel half's start. */
const USER_TOP = 0x800000000000n;
const KERNEL_HALF = 0xffff800000000000n;
const U64 = 1n << 64n;
/** The most bytes a load may read (spec 7.3). */
const MAX_LOAD = 16n << 20n;

/** A run that had to stop: an invariant broke, or the simulated kernel threw. */
export class ScenarioRunError extends Error {
  override name = 'ScenarioRunError';
  constructor(
    readonly kind: 'invariant' | 'crash',
    readonly op: Op,
    readonly detail: string,
    /** The output lines produced before the failure (init record first). */
    readonly partialOutput: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      `${kind === 'invariant' ? 'invariant broken after' : 'exception in'} op ${op.index} ` +
        `(${op.op}, line ${op.line}, pid ${op.pid}): ${detail}`,
      options,
    );
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Scenario fds outside 3..255 behave as closed; negative ones pass as they are. */
function realFd(v: bigint): bigint {
  const fd = BigInt.asIntN(32, v);
  if (fd < 0n) return v;
  if (fd < 3n || fd >= FD_NAMESPACE) return CLOSED_FD;
  return v;
}

/**
 * Runs ops one at a time against a system and remembers each op's ret for `$N` references.
 * Oracle: controller.c:run_op().
 */
export class OpExecutor {
  private readonly rets: (bigint | undefined)[] = [];
  /** Output lines so far (for ScenarioRunError.partialOutput). */
  readonly output: string[] = [];

  /** The start state's init record, taken before any op ran. */
  readonly init: Record<string, unknown>;
  /** The last op that ran (finish() blames it). */
  private last: Op | undefined;
  /** The kernel oracle's executor's own memory effects, when the start state is that executor. */
  private readonly executor: ExecutorModel | undefined;
  /** The ops the kernel oracle refuses over its executor's memory, when the start state is that executor. */
  private readonly guard: HarnessGuard | undefined;

  /**
   * @param checkInvariants check the task's invariants after ops
   * @param stride check after every `stride`-th op only (1: every op); `finish()` checks once more
   */
  constructor(
    readonly system: System,
    private readonly checkInvariants = true,
    private readonly stride = 1,
  ) {
    this.init = system.initRecord();
    this.executor = ExecutorModel.fromInit(this.init);
    this.guard = HarnessGuard.fromInit(this.init);
    this.output.push(formatInit(this.init));
  }

  /** An op index that produced no ret (stream mode: a bad line). */
  noRet(index: number): void {
    this.rets[index] = undefined;
  }

  run(op: Op): OpResult {
    const r = this.execute(op);
    this.output.push(formatResult(r));
    return r;
  }

  private execute(op: Op): OpResult {
    this.rets[op.index] = undefined;
    const a: Record<string, bigint> = {};
    for (const [k, e] of Object.entries(op.args)) {
      const v = evalExpr(e, (i) => this.rets[i]);
      if ('missing' in v) return { skip: `$${v.missing} has no ret` };
      a[k] = v.value;
    }
    const task = this.system.task(op.pid);
    if (!task) return { skip: `pid ${op.pid} does not exist` };
    // refused before the executor wakes: nothing happens in the process
    const refused = this.guard?.refusal(op, a);
    if (refused !== undefined) return refused;
    let result: OpResult;
    try {
      const model = this.executor !== undefined && ExecutorModel.wakes(op) ? this.executor : undefined;
      model?.beforeOp(task);
      result = this.perform(op, a, task);
      if (model !== undefined) {
        model.afterOp(op, a, result, task);
        const child = op.op === 'fork' && result.ret !== undefined ? this.system.task(op.child!) : undefined;
        if (child !== undefined) model.afterFork(task, child);
      }
    } catch (e) {
      throw new ScenarioRunError('crash', op, messageOf(e), this.output.slice(), { cause: e });
    }
    if (result.ret !== undefined) this.rets[op.index] = BigInt(result.ret);
    if (this.checkInvariants && op.index % this.stride === 0) {
      try {
        this.system.task(op.pid)?.checkInvariants();
        // fork and exit change other processes' frames: check every frame's counts too.
        this.system.checkFrames?.();
      } catch (e) {
        this.output.push(formatResult(result));
        throw new ScenarioRunError('invariant', op, messageOf(e), this.output.slice(), { cause: e });
      }
    }
    this.last = op;
    return result;
  }

  /** The end of the run: with a stride, the invariants of every live task are checked once more. */
  finish(): void {
    if (!this.checkInvariants || this.stride === 1 || !this.last) return;
    for (let label = 0; label < MAX_PIDS; label++) {
      try {
        this.system.task(label)?.checkInvariants();
      } catch (e) {
        throw new ScenarioRunError('invariant', this.last, `pid ${label}: ${messageOf(e)}`, this.output.slice(), { cause: e });
      }
    }
  }

  /** {"ret"} or {"errno"} from a raw syscall return. */
  private sysret(op: Op, r: number): OpResult {
    if (!Number.isSafeInteger(r)) throw new TypeError(`${op.op} returned ${String(r)}, not an integer`);
    if (r < 0 && r >= -4095) return { errno: errnoName(-r) };
    return { ret: hex(r) };
  }

  private perform(op: Op, a: Record<string, bigint>, task: Task): OpResult {
    const sys = task.sys;
    switch (op.op) {
      case 'mmap':
        return this.sysret(op, sys.mmap(a.addr, a.len, a.prot, a.flags, realFd(a.fd), a.offset));
      case 'munmap':
        return this.sysret(op, sys.munmap(a.addr, a.len));
      case 'mprotect':
        return this.sysret(op, sys.mprotect(a.addr, a.len, a.prot));
      case 'mremap':
        return this.sysret(op, sys.mremap(a.old_addr, a.old_len, a.new_len, a.flags, a.new_addr));
      case 'brk':
        return this.sysret(op, sys.brk(a.addr));
      case 'madvise':
        return this.sysret(op, sys.madvise(a.addr, a.len, a.advice));
      case 'msync':
        return this.sysret(op, sys.msync(a.addr, a.len, a.flags));
      case 'mlock':
        return this.sysret(op, op.given.has('flags') ? sys.mlock2(a.addr, a.len, a.flags) : sys.mlock(a.addr, a.len));
      case 'munlock':
        return this.sysret(op, sys.munlock(a.addr, a.len));
      case 'mlockall':
        return this.sysret(op, sys.mlockall(a.flags));
      case 'munlockall':
        return this.sysret(op, sys.munlockall());
      case 'mseal':
        return this.sysret(op, sys.mseal(a.addr, a.len, a.flags));
      case 'mincore':
        return this.mincore(op, a, task);
      case 'open':
        return this.open(op, a, task);
      case 'close':
        return this.sysret(op, sys.close(realFd(a.fd)));
      case 'ftruncate':
        return this.sysret(op, sys.ftruncate(realFd(a.fd), a.len));
      case 'setrlimit':
        return this.sysret(op, sys.prlimit64(a.resource, a.cur, a.max));
      case 'anon_name':
        return this.sysret(op, sys.setVmaAnonName(a.addr, a.len, op.name ?? null));
      case 'maps':
        return { maps: task.proc.maps() };
      case 'smaps':
        return { smaps: task.proc.smaps().map((e) => smapsRecord(e.line, e.fields, op.fields)) };
      case 'smaps_rollup':
        return { smaps_rollup: procRecord(task.proc.smapsRollup()) };
      case 'status':
        return { status: procRecord(task.proc.status()) };
      case 'store':
        return this.store(a.addr, op.data!, task);
      case 'load':
        return this.load(a.addr, a.len, task);
      case 'touch':
        return this.touch(a.addr, a.len, op.write, task);
      case 'fork': {
        const child = task.fork(op.child);
        if (typeof child === 'number') return { errno: errnoName(-child) };
        return { ret: hex(child.label) };
      }
      case 'exit':
        task.exit();
        return { ret: '0x0' };
      case 'pread':
        return this.pread(op, a, task);
      case 'pwrite':
        return op.data !== undefined
          ? this.sysret(op, sys.pwriteBuffer(realFd(a.fd), op.data, a.offset))
          : this.sysret(op, sys.pwrite64(realFd(a.fd), a.buf, a.len, a.offset));
      case 'unlink':
        return this.sysret(op, sys.unlinkat(op.path!, 0n));
      case 'scsi_disk':
        return scsiDisk(this.system, a);
      case 'ioctl':
        return this.sysret(op, sys.ioctl(realFd(a.fd), a.cmd, a.arg));
      case 'sg_io':
        return sgIo(op, a, task, realFd(a.fd));
      case 'sg_submit':
        return sgSubmit(op, a, task, realFd(a.fd));
      case 'sg_receive':
        return sgReceive(op, a, task, realFd(a.fd));
      case 'poll':
        return poll(a, task, realFd(a.fd));
      default:
        throw new Error(`no handler for op "${op.op}"`);
    }
  }

  /**
   * mincore with a vector of ceil(len/4096) bytes. Like the oracle, a vector of more than 1 MiB
   * (4 GiB of range) is refused unless the range is invalid anyway (then the kernel rejects it
   * before writing, and an empty vector is passed).
   */
  private mincore(op: Op, a: Record<string, bigint>, task: Task): OpResult {
    const pages = (a.len >> 12n) + ((a.len & 4095n) !== 0n ? 1n : 0n);
    const max = BigInt(EXEC_BUF_SIZE);
    if (pages > max && a.len <= TASK_SIZE && a.addr <= TASK_SIZE - a.len) {
      return { error: 'harness: refused: mincore of more than 4 GiB' };
    }
    const vec = new Uint8Array(pages <= max ? Number(pages) : 0);
    const r = this.sysret(op, task.sys.mincore(a.addr, a.len, vec));
    if (r.ret !== undefined && vec.length > 0) r.data = hexBytes(vec);
    return r;
  }

  /**
   * pread64: with `buf` into process memory; without, into a runner buffer whose bytes are the
   * result's `data` (at most the oracle's buffer size, as it refuses more).
   */
  private pread(op: Op, a: Record<string, bigint>, task: Task): OpResult {
    if (op.given.has('buf')) return this.sysret(op, task.sys.pread64(realFd(a.fd), a.buf, a.len, a.offset));
    if (a.len > BigInt(EXEC_BUF_SIZE)) return { error: `harness: pread of more than ${EXEC_BUF_SIZE} bytes without buf` };
    const dst = new Uint8Array(Number(a.len));
    const r = this.sysret(op, task.sys.preadBuffer(realFd(a.fd), dst, a.offset));
    if (r.ret !== undefined && r.ret !== '0x0') r.data = hexBytes(dst.subarray(0, Number(BigInt(r.ret))));
    return r;
  }

  /**
   * The slab offset of the byte at `addr` for an access, or the signal it raises. Addresses
   * outside user space fault without reaching the MMU: the kernel half with SEGV_MAPERR, a
   * non-canonical one with SI_KERNEL and si_addr 0 (a #GP).
   */
  private access(task: Task, addr: bigint, access: Access): number | OpResult {
    if (addr >= USER_TOP) {
      if (addr < KERNEL_HALF) return { signal: 'SIGSEGV', code: 'SI_KERNEL', addr: '0x0' };
      return { signal: 'SIGSEGV', code: 'SEGV_MAPERR', addr: hex(addr) };
    }
    const o = task.mem.translate(Number(addr), access);
    if (o >= 0) return o;
    const f = faultToSignal(-o, Number(addr), access);
    return { signal: f.signal, code: f.code, addr: f.code === 'SI_KERNEL' ? '0x0' : hex(addr) };
  }

  /** Byte stores in ascending order; the first fault stops them (spec 3.4). */
  private store(addr: bigint, data: Uint8Array, task: Task): OpResult {
    const frames = task.mm.frames;
    let i = 0;
    while (i < data.length) {
      const a = (addr + BigInt(i)) % U64;
      const o = this.access(task, a, ACCESS_WRITE);
      if (typeof o !== 'number') return o;
      const n = Math.min(data.length - i, 4096 - Number(a % 4096n));
      frames.u8.set(data.subarray(i, i + n), o);
      i += n;
    }
    return { ret: '0x0' };
  }

  private load(addr: bigint, len: bigint, task: Task): OpResult {
    if (len > MAX_LOAD) return { error: 'harness: refused: load of more than 16 MiB' };
    const out = new Uint8Array(Number(len));
    let i = 0;
    while (i < out.length) {
      const a = (addr + BigInt(i)) % U64;
      const o = this.access(task, a, ACCESS_READ);
      if (typeof o !== 'number') return o;
      const n = Math.min(out.length - i, 4096 - Number(a % 4096n));
      out.set(task.mm.frames.u8.subarray(o, o + n), i);
      i += n;
    }
    return { data: hexBytes(out) };
  }

  /** One access at addr, then at each following page boundary below addr+len (spec 3.4). */
  private touch(addr: bigint, len: bigint, write: boolean, task: Task): OpResult {
    let end = addr + len;
    if (end >= U64) end = U64 - 1n;
    for (let p = addr; p < end; p = (p & ~4095n) + 4096n) {
      const o = this.access(task, p, write ? ACCESS_WRITE : ACCESS_READ);
      if (typeof o !== 'number') return o;
    }
    return { ret: '0x0' };
  }

  /** openat, then (with "fd") dup3 to the wanted number and close the original. */
  private open(op: Op, a: Record<string, bigint>, task: Task): OpResult {
    const sys = task.sys;
    // A trace's absolute path comes with the identity it had where it was recorded.
    const m = op.dev !== undefined && op.given.has('ino') ? /^([0-9a-f]+):([0-9a-f]+)$/i.exec(op.dev) : null;
    if (m !== null && op.path!.startsWith('/')) {
      const size = op.given.has('size') && a.size < 2n ** 53n ? Number(a.size) : 2 ** 40;
      this.system.fs.addTraceFile(op.path!, parseInt(m[1], 16), parseInt(m[2], 16), Number(a.ino & 0x1fffffffffffffn), size);
    }
    let fd = sys.openat(op.path!, a.flags, a.mode);
    if (!Number.isSafeInteger(fd)) throw new TypeError(`openat returned ${String(fd)}, not an integer`);
    if (fd >= 0 && op.given.has('fd') && BigInt.asIntN(64, a.fd) !== BigInt(fd)) {
      const want = BigInt.asIntN(32, a.fd);
      const d = want >= 3n && want < FD_NAMESPACE
        ? sys.dup3(BigInt(fd), BigInt.asUintN(64, want), a.flags & BigInt(O_CLOEXEC))
        : -EBADF;
      sys.close(BigInt(fd));
      fd = d;
    }
    if (fd >= Number(FD_NAMESPACE)) {
      sys.close(BigInt(fd));
      return { error: `harness: more than ${Number(FD_NAMESPACE) - 3} fds open` };
    }
    return this.sysret(op, fd);
  }
}

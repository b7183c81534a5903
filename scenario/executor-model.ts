/**
 * What the kernel oracle's executor does to its own memory while it performs a scenario's ops,
 * so that a run from its start state ends up with the kernel's whole-process figures (`status`,
 * `smaps_rollup`) and the kernel's smaps entries for the executor's own VMAs, not just for the
 * scenario's. Oracle: tools/kernel-oracle/src/executor.c (a static, freestanding program; every
 * page it uses is faulted in before the start state is recorded).
 *
 * Between ops it is idle (blocked in read(2) on its command pipe), and the dump ops (maps, smaps,
 * smaps_rollup, status) are answered by the controller from /proc without waking it. Every other
 * op wakes it, and then (recorded: test/conformance/scenarios/harness/):
 *
 * - it dispatches through a jump table in its .rodata page (`switch (c.kind)`): a read fault the
 *   first time, in each process, since that page is not part of the start state;
 * - it writes its stack (the frames of its command loop, all in the page of the initial stack
 *   pointer) and, for a guarded store/load/touch, its jmp_buf (the first .bss page); a fault in a
 *   guarded access also writes the fault state there and a signal frame at the top of its
 *   alternate signal stack;
 * - it copies an op's data (a store's bytes, a path, pwrite data, a name, an rlimit) into its
 *   static buffer g_buf, and so do a load and the kernel for mincore's vector and a pread's bytes.
 *
 * None of this shows before a fork: those pages are the executor's alone and already dirty. After
 * a fork, each of these writes breaks copy-on-write sharing with the other process (Pss,
 * Shared/Private_Dirty), and the child, which returns from fork() into the executor, maps the
 * executor's code and writes its .data (its pipe fds) and its stack at once.
 *
 * The executor's layout follows from the start state: [start_code, end_code) is its text, the
 * r--p VMA after it its .rodata, start_data's page its .data, the page after end_data the first
 * of its .bss, which ends at the executor image's end with the 64 KiB alternate signal stack and
 * the 1 MiB g_buf (executor.c's g_altstack, g_buf).
 */
import type { Task } from '../src/kernel/system.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from '../src/kernel/memory.js';
import type { Access } from '../src/mm/fault.js';
import type { OpResult } from './format.js';
import type { Op } from './parse.js';
import { EXEC_BUF_SIZE } from './values.js';

const PAGE = 4096;
/** executor.c ALTSTACK_SIZE. */
const ALTSTACK_SIZE = 64 * 1024;
/**
 * The pages at the top of the alternate signal stack a SIGSEGV/SIGBUS frame covers on this
 * machine (the frame with the xsave area of an AVX-512 CPU: under 4 KiB).
 */
const SIGNAL_FRAME_PAGES = 1;
/**
 * Ops that wake the executor: the oracle's op set (spec/scenario.md §4) less the dumps (maps,
 * smaps, smaps_rollup, status), which the controller answers from /proc.
 */
const EXECUTOR_OPS = new Set([
  'mmap', 'munmap', 'mprotect', 'mremap', 'brk', 'madvise', 'msync', 'mlock', 'munlock', 'mlockall', 'munlockall',
  'mincore', 'mseal', 'open', 'close', 'ftruncate', 'pwrite', 'pread', 'unlink', 'store', 'load', 'touch', 'fork',
  'exit', 'setrlimit', 'anon_name',
]);

const MAPS_RE = /^([0-9a-f]+)-([0-9a-f]+) (r)(-)(-)(p) /;
/** Paths and names reach the executor as C strings: their UTF-8 bytes and a NUL. */
const UTF8 = new TextEncoder();

function hexOf(v: unknown): number | undefined {
  return typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? Number(BigInt(v)) : undefined;
}

const pageOf = (a: number): number => a - (a % PAGE);

export class ExecutorModel {
  private constructor(
    private readonly text: readonly [number, number],
    private readonly rodata: number,
    private readonly data: number,
    private readonly bssState: number,
    private readonly signalFrame: number,
    private readonly buf: number,
    private readonly stack: number,
  ) {}

  /**
   * The model of the start state's executor, or undefined when the start state is not the
   * kernel oracle's executor (a traced program, a hand-written record without its harness).
   */
  static fromInit(init: Record<string, unknown>): ExecutorModel | undefined {
    const harness = Array.isArray(init.harness) ? (init.harness as Record<string, unknown>[]) : [];
    const image = harness.find((h) => h !== null && typeof h === 'object' && h.what === 'executor image');
    const imgStart = hexOf(image?.start);
    const imgEnd = hexOf(image?.end);
    const startCode = hexOf(init.start_code);
    const endCode = hexOf(init.end_code);
    const startData = hexOf(init.start_data);
    const endData = hexOf(init.end_data);
    const startStack = hexOf(init.start_stack);
    if (imgStart === undefined || imgEnd === undefined || startCode === undefined || endCode === undefined
      || startData === undefined || endData === undefined || startStack === undefined) return undefined;
    const textEnd = Math.ceil(endCode / PAGE) * PAGE;
    // .rodata: the read-only private VMA of the image between the text and the data.
    let rodata: number | undefined;
    for (const l of Array.isArray(init.maps) ? init.maps : []) {
      const m = typeof l === 'string' ? MAPS_RE.exec(l) : null;
      if (m === null) continue;
      const s = parseInt(m[1], 16);
      if (s >= textEnd && s < startData && s >= imgStart && (rodata === undefined || s < rodata)) rodata = s;
    }
    const bss = Math.ceil(endData / PAGE) * PAGE;
    const buf = imgEnd - EXEC_BUF_SIZE;
    if (rodata === undefined || buf - ALTSTACK_SIZE <= bss) return undefined;
    return new ExecutorModel([pageOf(startCode), textEnd], rodata, pageOf(startData), bss,
      buf - SIGNAL_FRAME_PAGES * PAGE, buf, pageOf(startStack));
  }

  /** Whether `op` is one the executor performs (the dumps are not). */
  static wakes(op: Op): boolean {
    return EXECUTOR_OPS.has(op.op);
  }

  /** The executor takes a command: its dispatch reads .rodata, its command loop writes the stack. */
  beforeOp(task: Task): void {
    touch(task, this.rodata, PAGE, ACCESS_READ);
    touch(task, this.stack, PAGE, ACCESS_WRITE);
  }

  /** What the executor wrote performing `op` (which returned `result`). */
  afterOp(op: Op, args: Record<string, bigint>, result: OpResult, task: Task): void {
    if ('error' in result || 'skip' in result) return;
    let bufBytes = 0;
    switch (op.op) {
      case 'store':
        bufBytes = op.data?.length ?? 0; // read into g_buf before the guarded store runs
        break;
      case 'load': {
        // guarded_load() copies into g_buf (1 MiB at a time) up to the first fault.
        const loaded = result.signal !== undefined ? faultOffset(result, args.addr) : Number(args.len);
        bufBytes = Math.min(loaded, EXEC_BUF_SIZE);
        break;
      }
      case 'open':
      case 'unlink':
        bufBytes = op.path !== undefined ? UTF8.encode(op.path).length + 1 : 0;
        break;
      case 'anon_name':
        bufBytes = op.name !== undefined && op.name !== null ? UTF8.encode(op.name).length + 1 : 0;
        break;
      case 'setrlimit':
        bufBytes = 16;
        break;
      case 'pwrite':
        bufBytes = op.data?.length ?? 0;
        break;
      case 'pread':
        if (!op.given.has('buf') && result.ret !== undefined) bufBytes = Number(BigInt(result.ret));
        break;
      case 'mincore':
        // sys_mincore() copies the vector out a chunk at a time, each up to the end of a VMA:
        // an ENOMEM for a hole still leaves the bytes of the mapped pages before it.
        if (result.data !== undefined) bufBytes = result.data.length / 2;
        else if (result.errno === 'ENOMEM') bufBytes = mappedPagesFrom(task, args.addr, args.len);
        break;
      default:
    }
    if (bufBytes > 0) touch(task, this.buf, Math.min(bufBytes, EXEC_BUF_SIZE), ACCESS_WRITE);
    if (op.op === 'store' || op.op === 'load' || op.op === 'touch') {
      touch(task, this.bssState, PAGE, ACCESS_WRITE); // xsetjmp(g_jb), g_in_access
      if (result.signal !== undefined) touch(task, this.signalFrame, SIGNAL_FRAME_PAGES * PAGE, ACCESS_WRITE);
    }
  }

  /**
   * After fork(): the child runs the executor's code, stores its own pipe fds in .data and
   * writes its stack; the parent writes its stack sending the result.
   */
  afterFork(parent: Task, child: Task): void {
    touch(child, this.text[0], this.text[1] - this.text[0], ACCESS_EXEC);
    touch(child, this.data, PAGE, ACCESS_WRITE);
    touch(child, this.stack, PAGE, ACCESS_WRITE);
    touch(parent, this.stack, PAGE, ACCESS_WRITE);
  }
}

/** The pages of [addr, addr+len) mapped without a hole from `addr` on (0 for a bad range). */
function mappedPagesFrom(task: Task, addr: bigint, len: bigint): number {
  if (addr % BigInt(PAGE) !== 0n || addr + len > 2n ** 47n) return 0;
  const start = Number(addr);
  const end = start + Number(len);
  let a = start;
  for (let v = task.mm.tree.find(a); v !== undefined && a < end; v = task.mm.tree.find(a)) a = v.end;
  return Math.ceil((Math.min(a, end) - start) / PAGE);
}

/** How many bytes from `start` a load got through before the fault it reports. */
function faultOffset(result: OpResult, start: bigint): number {
  const at = result.addr !== undefined ? BigInt(result.addr) : start;
  return at > start ? Number(at - start) : 0;
}

/**
 * The executor's own access to each page of [addr, addr+len). A page the scenario made
 * inaccessible is left alone: the kernel's executor would have crashed there, which the oracle
 * reports as an error that ends the comparison.
 */
function touch(task: Task, addr: number, len: number, access: Access): void {
  for (let p = addr; p < addr + len; p += PAGE) task.mem.translate(p, access);
}

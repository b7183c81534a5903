/**
 * A simulated system: the shared settings and the processes (tasks) labelled as the scenario
 * format labels them. Each task owns an address space, an fd table and the raw syscall facade.
 */
import { Errno } from '../abi/errno.js';
import type { FramePoolOptions } from '../mem/frames.js';
import { AddressSpace } from '../mm/address-space.js';
import { MmSystem, defaultSysctl } from '../mm/config.js';
import { dupMm, exitMm } from '../mm/fork.js';
import { checkFrames, checkInvariants } from '../mm/invariants.js';
import { snapshot } from '../mm/snapshot.js';
import { renderMaps } from '../proc/maps.js';
import { renderSmaps, renderSmapsRollup } from '../proc/smaps.js';
import { renderStatus } from '../proc/status.js';
import type { ProcView, RawSyscalls, SmapsEntry } from './api.js';
import { DEFAULT_INIT } from './default-init.js';
import { FdTable } from '../fs/fd-table.js';
import { FileSystem } from '../fs/namespace.js';
import { fput } from '../fs/open-file.js';
import { type InitRecord, applySysctl, buildFromInit } from './init-record.js';
import { Syscalls } from './syscalls.js';
import { type CheckedSyscalls, checkedSyscalls } from './errors.js';
import { FastSyscalls } from './fast.js';
import { Memory, Memory32 } from './memory.js';
import { vdsoImage } from './vdso-image.js';
import { ScsiDisk, type ScsiDiskOptions } from '../scsi/disk.js';
import { SgDevice, type SgHostParams } from '../devices/sg/sg-device.js';

export type { InitRecord };

export interface Task {
  readonly label: number;
  readonly mm: AddressSpace;
  readonly fds: FdTable;
  readonly sys: RawSyscalls;
  /** The same calls in Node's style: a failure throws ErrnoError (code, errno, syscall). */
  readonly syscalls: CheckedSyscalls;
  /** The VMA calls with number arguments, no BigInt: the emulator's fast path. */
  readonly fast: FastSyscalls;
  readonly proc: ProcView;
  /** Loads, stores, fetches and bulk copies through this process's page tables. */
  readonly mem: Memory;
  /**
   * The same as `mem`, tuned for a 32-bit guest whose addresses all lie below 2^32 (its own
   * TLB, with integer tags: faster hits there, the same results everywhere).
   */
  readonly mem32: Memory32;
  /** Whether the process has exited (its label is gone). */
  readonly exited: boolean;
  /** fork(): a child with a copy-on-write copy of this address space, or -ENOMEM. */
  fork(label?: number): Task | number;
  /** exit_group(): release the address space; the label is gone afterwards. */
  exit(): void;
  checkInvariants(): void;
}

export interface System {
  readonly mmSystem: MmSystem;
  readonly fs: FileSystem;
  initRecord(): Record<string, unknown>;
  task(label: number): Task | undefined;
  /** Live tasks, by label. */
  tasks(): Task[];
  /**
   * A process running a new program whose start state is `init` (an init record, as for
   * createSystem: maps, smaps, brk...), as after execve: with `execing`, that process's
   * descriptors carry over (those marked close-on-exec are closed) and its own address space is
   * released unless another task still uses it (`keepOld`: a vfork child's execve leaves its
   * parent's); without, the new process has descriptors 0-2 on /dev/null. The system-wide
   * settings of `init` (sysctl) are not applied again. Returns the new task (a new label).
   */
  spawn(init: InitRecord, opts?: { execing?: Task; keepOld?: boolean }): Task;
  /** Check the frame reference counts of the whole system against every page table. */
  checkFrames(): void;
  /**
   * Attach a simulated SCSI disk behind a new sg device, /dev/sgN (N = 0, 1, ...): returns the
   * device (its disk, its host parameters, the driver's accounting).
   */
  addScsiDisk(opts?: { disk?: ScsiDisk | ScsiDiskOptions; host?: Partial<SgHostParams> }): SgDevice;
}

class TaskImpl implements Task {
  readonly sys: RawSyscalls;
  readonly syscalls: CheckedSyscalls;
  readonly fast: FastSyscalls;
  readonly proc: ProcView;
  exited = false;
  private memory: Memory | null = null;
  private memory32: Memory32 | null = null;

  constructor(
    readonly label: number, readonly mm: AddressSpace, readonly fds: FdTable, private readonly fs: FileSystem,
    private readonly system: SystemImpl,
  ) {
    const ctx = { mm, fds, fs, mem: (): Memory => this.mem };
    this.sys = new Syscalls(ctx);
    this.syscalls = checkedSyscalls(this.sys);
    this.fast = new FastSyscalls(ctx);
    this.proc = {
      maps: () => renderMaps(snapshot(mm)),
      smaps: (): SmapsEntry[] => renderSmaps(snapshot(mm)),
      smapsRollup: () => renderSmapsRollup(snapshot(mm)),
      status: () => renderStatus(snapshot(mm)),
    };
  }

  get mem(): Memory {
    if (this.exited) throw new Error(`process ${this.label} has exited`);
    return (this.memory ??= new Memory(this.mm));
  }

  get mem32(): Memory32 {
    if (this.exited) throw new Error(`process ${this.label} has exited`);
    return (this.memory32 ??= new Memory32(this.mm));
  }

  fork(label?: number): Task | number {
    if (this.exited) throw new Error(`process ${this.label} has exited`);
    const child = label ?? this.system.nextLabel();
    if (!Number.isSafeInteger(child) || child < 0) throw new RangeError(`bad process label ${String(label)}`);
    if (this.system.task(child) !== undefined || this.system.usedLabels.has(child)) {
      throw new RangeError(`process label ${child} is already used`);
    }
    const mm = dupMm(this.mm);
    if (typeof mm === 'number') return -Errno.ENOMEM;
    const t = new TaskImpl(child, mm, this.fds.clone(), this.fs, this.system);
    this.system.add(t);
    return t;
  }

  exit(): void {
    if (this.exited) return;
    this.memory?.detach();
    this.memory = null;
    this.memory32?.detach();
    this.memory32 = null;
    exitMm(this.mm);
    this.fds.closeAll();
    this.exited = true;
    this.system.remove(this.label);
  }

  checkInvariants(): void {
    checkInvariants(this.mm);
  }
}

class SystemImpl implements System {
  readonly mmSystem: MmSystem;
  readonly fs: FileSystem;
  private readonly live = new Map<number, TaskImpl>();
  readonly usedLabels = new Set<number>();
  private readonly init: InitRecord;
  private readonly given: boolean;

  constructor(init: InitRecord | undefined, memory: FramePoolOptions) {
    this.given = init !== undefined;
    this.init = init ?? DEFAULT_INIT;
    const sysctl = defaultSysctl();
    applySysctl(sysctl, this.init);
    this.mmSystem = new MmSystem(sysctl, memory);
    this.mmSystem.vdsoImage = vdsoImage();
    this.fs = new FileSystem(this.mmSystem);
    const mm = new AddressSpace(this.mmSystem);
    buildFromInit(mm, this.fs, this.init);
    this.add(new TaskImpl(0, mm, this.stdioFds(), this.fs, this));
  }

  /** Descriptors 0-2 open on /dev/null, as for a daemon: new files get 3 and up. */
  private stdioFds(): FdTable {
    const fds = new FdTable((f) => fput(this.mmSystem, f));
    const stdio = this.fs.open('/dev/null', 2, 0);
    if (typeof stdio !== 'number') for (let fd = 0; fd < 3; fd++) fds.installAt(fd, stdio, false);
    return fds;
  }

  spawn(init: InitRecord, opts: { execing?: Task; keepOld?: boolean } = {}): Task {
    const old = opts.execing;
    if (old !== undefined && (!(old instanceof TaskImpl) || old.exited || this.live.get(old.label) !== old)) {
      throw new RangeError('spawn: execing must be a live task of this system');
    }
    if (typeof init !== 'object' || init === null) throw new TypeError('spawn: init must be an init record (an object)');
    const mm = new AddressSpace(this.mmSystem);
    try {
      buildFromInit(mm, this.fs, init);
    } catch (e) {
      // A bad record leaves nothing behind: the pages its good lines installed go back.
      exitMm(mm);
      throw e;
    }
    let fds: FdTable;
    if (old === undefined) {
      fds = this.stdioFds();
    } else {
      // Linux: begin_new_exec() unshares the table (a vfork child's own, here a copy), then
      // do_close_on_exec().
      fds = old.fds.clone();
      fds.closeOnExec();
      if (!opts.keepOld) old.exit();
    }
    const t = new TaskImpl(this.nextLabel(), mm, fds, this.fs, this);
    this.add(t);
    return t;
  }

  initRecord(): Record<string, unknown> {
    const t = this.live.get(0) ?? [...this.live.values()][0];
    const rec: Record<string, unknown> = { ...this.init };
    delete rec.op;
    if (!this.given) rec.oracle = 'vmspace (default start state: the kernel oracle executor)';
    rec.maps = t.proc.maps();
    return rec;
  }

  task(label: number): Task | undefined {
    return this.live.get(label);
  }

  tasks(): Task[] {
    return [...this.live.values()];
  }

  add(t: TaskImpl): void {
    this.live.set(t.label, t);
    this.usedLabels.add(t.label);
  }

  remove(label: number): void {
    this.live.delete(label);
  }

  /** One more than the highest label used so far (scenario.md §3.1). */
  nextLabel(): number {
    let max = -1;
    for (const l of this.usedLabels) if (l > max) max = l;
    return max + 1;
  }

  checkFrames(): void {
    checkFrames(this.mmSystem);
  }

  private sgDevices = 0;

  addScsiDisk(opts: { disk?: ScsiDisk | ScsiDiskOptions; host?: Partial<SgHostParams> } = {}): SgDevice {
    const disk = opts.disk instanceof ScsiDisk ? opts.disk : new ScsiDisk(opts.disk);
    const dev = new SgDevice(this.sgDevices++, disk, this.mmSystem.frames, opts.host);
    this.fs.addDevice(dev.name, dev);
    return dev;
  }
}

export interface SystemOptions {
  /** Start state of process 0 (default: the kernel oracle executor's). */
  init?: InitRecord;
  /** Physical memory: the most frames (4 KiB) the system holds, SharedArrayBuffer backing. */
  memory?: FramePoolOptions;
}

/** A system whose process 0 starts from `init` (or the oracle executor's state). */
export function createSystem(opts: SystemOptions = {}): System {
  return new SystemImpl(opts.init, opts.memory ?? {});
}

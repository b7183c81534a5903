/**
 * A simulated system: the shared settings and the processes (tasks) labelled as the scenario
 * format labels them. Each task owns an address space, an fd table and the raw syscall facade.
 */
import { AddressSpace } from '../mm/address-space.js';
import { MmSystem, defaultSysctl } from '../mm/config.js';
import { checkInvariants } from '../mm/invariants.js';
import { snapshot } from '../mm/snapshot.js';
import { renderMaps } from '../proc/maps.js';
import { renderSmaps, renderSmapsRollup } from '../proc/smaps.js';
import { renderStatus } from '../proc/status.js';
import type { ProcView, RawSyscalls, SmapsEntry } from './api.js';
import { DEFAULT_INIT } from './default-init.js';
import { FdTable, FileSystem } from './files.js';
import { type InitRecord, applySysctl, buildFromInit } from './init-record.js';
import { Syscalls } from './syscalls.js';
import { FastSyscalls } from './fast.js';

export type { InitRecord };

export interface Task {
  readonly label: number;
  readonly mm: AddressSpace;
  readonly fds: FdTable;
  readonly sys: RawSyscalls;
  /** The VMA calls with number arguments, no BigInt: the emulator's fast path. */
  readonly fast: FastSyscalls;
  readonly proc: ProcView;
  checkInvariants(): void;
}

export interface System {
  readonly mmSystem: MmSystem;
  readonly fs: FileSystem;
  initRecord(): Record<string, unknown>;
  task(label: number): Task | undefined;
}

class TaskImpl implements Task {
  readonly sys: RawSyscalls;
  readonly fast: FastSyscalls;
  readonly proc: ProcView;

  constructor(readonly label: number, readonly mm: AddressSpace, readonly fds: FdTable, fs: FileSystem) {
    this.sys = new Syscalls({ mm, fds, fs });
    this.fast = new FastSyscalls({ mm, fds, fs });
    this.proc = {
      maps: () => renderMaps(snapshot(mm)),
      smaps: (): SmapsEntry[] => renderSmaps(snapshot(mm)),
      smapsRollup: () => renderSmapsRollup(snapshot(mm)),
      status: () => renderStatus(snapshot(mm)),
    };
  }

  checkInvariants(): void {
    checkInvariants(this.mm);
  }
}

class SystemImpl implements System {
  readonly mmSystem: MmSystem;
  readonly fs: FileSystem;
  private readonly tasks = new Map<number, TaskImpl>();
  private readonly init: InitRecord;
  private readonly given: boolean;

  constructor(init: InitRecord | undefined) {
    this.given = init !== undefined;
    this.init = init ?? DEFAULT_INIT;
    const sysctl = defaultSysctl();
    applySysctl(sysctl, this.init);
    this.mmSystem = new MmSystem(sysctl);
    this.fs = new FileSystem(this.mmSystem);
    const mm = new AddressSpace(this.mmSystem);
    buildFromInit(mm, this.fs, this.init);
    this.tasks.set(0, new TaskImpl(0, mm, new FdTable(), this.fs));
  }

  initRecord(): Record<string, unknown> {
    const t = this.tasks.get(0)!;
    const rec: Record<string, unknown> = { ...this.init };
    delete rec.op;
    if (!this.given) rec.oracle = 'vmspace (default start state: the kernel oracle executor)';
    rec.maps = t.proc.maps();
    return rec;
  }

  task(label: number): Task | undefined {
    return this.tasks.get(label);
  }
}

/** A system whose process 0 starts from `init` (or the oracle executor's state). */
export function createSystem(opts: { init?: InitRecord } = {}): System {
  return new SystemImpl(opts.init);
}

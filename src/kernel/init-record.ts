/**
 * Rebuild an address space from a scenario init record (scenario.md §6): every VMA of `maps`
 * with its `smaps` VmFlags, the layout, limits, sysctls and credentials.
 */
import { PAGE_SIZE } from '../abi/layout.js';
import type { AddressSpace } from '../mm/address-space.js';
import { installInitialPage } from '../mm/fault.js';
import type { Sysctl } from '../mm/config.js';
import type { FsKind, MmFile } from '../mm/vma.js';
import { Vma, parseVmFlags } from '../mm/vma.js';
import { S_IFREG, newInode } from '../fs/inode.js';
import type { FileSystem } from '../fs/namespace.js';

export type InitRecord = Record<string, unknown>;

const MAPS_RE = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([sp]) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+) ?(?: +(.*))?$/;

function hexNum(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw new Error(`init: ${what} must be a hex string, got ${JSON.stringify(v)}`);
  return Number(BigInt(v));
}

function hexBig(v: unknown, what: string): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw new Error(`init: ${what} must be a hex string`);
  return BigInt(v);
}

const RLIMIT_INDEX: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Apply the machine-wide part of an init record to the sysctls. */
export function applySysctl(s: Sysctl, init: InitRecord): void {
  const sc = (init.sysctl ?? {}) as Record<string, number>;
  const set = (k: string, f: (v: number) => void): void => { if (typeof sc[k] === 'number') f(sc[k]); };
  set('vm.max_map_count', (v) => { s.maxMapCount = v; });
  set('vm.mmap_min_addr', (v) => { s.mmapMinAddr = v; });
  set('vm.overcommit_memory', (v) => { s.overcommitMemory = v; });
  set('vm.overcommit_ratio', (v) => { s.overcommitRatio = v; });
  set('vm.overcommit_kbytes', (v) => { s.overcommitKbytes = v; });
  set('vm.admin_reserve_kbytes', (v) => { s.adminReserveKbytes = v; });
  set('vm.user_reserve_kbytes', (v) => { s.userReserveKbytes = v; });
  set('vm.legacy_va_layout', (v) => { s.legacyVaLayout = v; });
  set('vm.nr_hugepages', (v) => { s.nrHugepages = v; });
  if (init.stack_guard_gap !== undefined) s.stackGuardGap = hexNum(init.stack_guard_gap, 'stack_guard_gap');
  if (typeof init.mem_total_kb === 'number') s.memTotalKb = init.mem_total_kb;
  if (typeof init.swap_total_kb === 'number') s.swapTotalKb = init.swap_total_kb;
  const kc = (init.kconfig ?? {}) as Record<string, string>;
  if (kc.CONFIG_ANON_VMA_NAME !== undefined) s.anonVmaName = kc.CONFIG_ANON_VMA_NAME === 'y';
  // The oracle probes whether its kernel maps the zero page on an anonymous read fault; records
  // made before it did (every fixture, from a kernel that allocated) keep the default.
  if (typeof init.zero_page === 'boolean') s.useZeroPage = init.zero_page;
  const thp = (init.thp ?? {}) as Record<string, unknown>;
  if (typeof thp.use_zero_page === 'number') s.thpUseZeroPage = thp.use_zero_page !== 0;
}

/** Fill `mm` (empty) from the record. Files named in maps become known read-only paths in `fs`. */
export function buildFromInit(mm: AddressSpace, fs: FileSystem, init: InitRecord): void {
  if (init.task_size !== undefined) mm.taskSize = hexNum(init.task_size, 'task_size');
  if (init.mmap_base !== undefined) mm.mmapBase = hexNum(init.mmap_base, 'mmap_base');
  if (init.mmap_legacy_base !== undefined) mm.mmapLegacyBase = hexNum(init.mmap_legacy_base, 'mmap_legacy_base');
  if (init.mmap_layout !== undefined) mm.topdown = init.mmap_layout !== 'legacy';
  if (init.personality !== undefined) mm.personality = hexNum(init.personality, 'personality');
  const g = (k: string): number => (init[k] === undefined ? 0 : hexNum(init[k], k));
  mm.startCode = g('start_code');
  mm.endCode = g('end_code');
  mm.startData = g('start_data');
  mm.endData = g('end_data');
  mm.startBrk = g('start_brk');
  mm.brk = init.brk === undefined ? mm.startBrk : g('brk');
  mm.startStack = g('start_stack');
  const rl = (init.rlimits ?? {}) as Record<string, [string, string]>;
  for (const [name, pair] of Object.entries(rl)) {
    const i = RLIMIT_INDEX[name];
    if (i === undefined || !Array.isArray(pair)) continue;
    mm.rlim[i] = [hexBig(pair[0], name), hexBig(pair[1], name)];
  }
  const cap = init.cap_eff === undefined ? 0n : hexBig(init.cap_eff, 'cap_eff');
  mm.creds = {
    capIpcLock: ((cap >> 14n) & 1n) === 1n,
    capSysRawio: ((cap >> 17n) & 1n) === 1n,
    capSysAdmin: ((cap >> 21n) & 1n) === 1n,
    capSysResource: ((cap >> 24n) & 1n) === 1n,
  };
  const scratch = init.scratch as { fs?: string } | null | undefined;
  if (scratch && scratch.fs === 'tmpfs') fs.scratchKind = 'tmpfs';

  const maps = init.maps;
  if (!Array.isArray(maps)) throw new Error('init: maps must be an array of lines');
  const smaps = Array.isArray(init.smaps) ? (init.smaps as Record<string, unknown>[]) : [];
  const files = new Map<string, MmFile>();
  let maxShmem = 1;
  for (let i = 0; i < maps.length; i++) {
    const line = maps[i] as string;
    const m = MAPS_RE.exec(line);
    if (m === null) throw new Error(`init: bad maps line ${JSON.stringify(line)}`);
    const name = m[11] ?? '';
    if (name === '[vsyscall]') continue;
    const start = parseInt(m[1], 16);
    const end = parseInt(m[2], 16);
    const offset = parseInt(m[7], 16);
    const major = parseInt(m[8], 16);
    const minor = parseInt(m[9], 16);
    const ino = parseInt(m[10], 10);
    const sm = smaps.find((s) => s.line === line) ?? smaps[i];
    let flags: number;
    let flagsHi = 0;
    if (sm && typeof sm.VmFlags === 'string') {
      ({ flags, flagsHi } = parseVmFlags(sm.VmFlags));
    } else {
      flags = (m[3] === 'r' ? 1 : 0) | (m[4] === 'w' ? 2 : 0) | (m[5] === 'x' ? 4 : 0) | 0x70 | (m[6] === 's' ? 0x88 : 0);
    }
    let file: MmFile | null = null;
    const isFile = ino !== 0 || (name.startsWith('/') && !name.startsWith('['));
    if (isFile) {
      const deleted = name.endsWith(' (deleted)');
      const path = deleted ? name.slice(0, -' (deleted)'.length) : name;
      const key = `${major}:${minor}:${ino}:${name}`;
      let f = files.get(key);
      if (f === undefined) {
        const kind: FsKind = major === 0 && minor === 1 ? 'shmem' : 'ext4';
        if (kind === 'shmem') maxShmem = Math.max(maxShmem, ino);
        // A file the system knows already by this path and identity (another process's start
        // state mapped it: System.spawn()) is that inode, with its page cache.
        const r = deleted || !path.startsWith('/') ? null : fs.resolve(path);
        const known = r !== null && typeof r !== 'number' ? r.inode : undefined;
        const same = known !== undefined && known.major === major && known.minor === minor && known.ino === ino;
        const inode = same ? known : newInode({ major, minor, ino, path, fs: kind, mode: S_IFREG | 0o555, size: 2 ** 40 });
        inode.deleted = deleted;
        f = {
          id: mm.sys.newFileId(), inode, readable: true, writable: (flags & 0x20) !== 0 && (flags & 0x80) !== 0,
          append: false, mmapable: true, refusesSync: kind === 'ext4', fopMmapSync: kind === 'ext4',
        };
        files.set(key, f);
        if (!same && !deleted && path.startsWith('/')) fs.addKnownFile(path, inode);
      }
      file = f;
    }
    const pgoff = file !== null ? offset / PAGE_SIZE : start / PAGE_SIZE;
    // A running program's mapped file pages are in the page cache (mincore reports them).
    if (file !== null) for (let k = 0; k < (end - start) / PAGE_SIZE; k++) file.inode.cached.add(pgoff + k);
    // A shmem file's pages (a memfd the program was written into) have no backing store: they
    // are dirty from the write that filled them (shmem_write_end()) on. smaps shows them so.
    if (file !== null && file.inode.fs === 'shmem') file.inode.writtenBefore = true;
    const v = new Vma(start, end, flags, flagsHi, pgoff, file);
    if (name === '[vvar]') v.special = 'vvar';
    else if (name === '[vvar_vclock]') v.special = 'vvar_vclock';
    else if (name === '[vdso]') v.special = 'vdso';
    else if (name.startsWith('[anon:')) v.anonName = name.slice(6, -1);
    const anonKb = sm && typeof sm.Anonymous === 'number' ? sm.Anonymous : 0;
    const rssKb = sm && typeof sm.Rss === 'number' ? sm.Rss : 0;
    if (anonKb > 0) v.anonVma = mm.sys.newAnonVmaId();
    mm.insertVma(v);
    if ((flags & 0x2000) !== 0) mm.lockedVm += v.pages;
    if ((flags & 0x100000) !== 0) mm.charge(v.pages);
    // Residency from the record: anonymous pages first, then file pages; a stack's are at its top.
    const n = Math.min(rssKb / 4, v.pages);
    const anonPages = Math.min(anonKb / 4, n);
    const top = name === '[stack]';
    for (let k = 0; k < n; k++) {
      const page = top ? end / PAGE_SIZE - 1 - k : start / PAGE_SIZE + k;
      installInitialPage(mm, v, page, k < anonPages);
    }
  }
  mm.sys.nextShmemIno = Math.max(mm.sys.nextShmemIno, maxShmem + 1);
  const st = (init.status ?? {}) as Record<string, number>;
  mm.hiwaterVm = typeof st.VmPeak === 'number' ? st.VmPeak / 4 : mm.totalVm;
  mm.hiwaterRss = typeof st.VmHWM === 'number' ? st.VmHWM / 4 : 0;
  // VmPTE: the page tables rebuilt above with the pages are counted by pgtablesBytes(); what the
  // record says beyond them (0 for the kernel oracle's executor, whose tables are all under
  // its resident pages) is kept as a constant.
  if (typeof st.VmPTE === 'number') mm.ptBytesBase = st.VmPTE * 1024 - mm.pgtablesBytes();
}

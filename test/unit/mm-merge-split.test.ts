/**
 * VMA merge and split through the syscalls, in the style of Linux tools/testing/vma: every case
 * draws the window before and after, one character per page, relative to the window base B.
 *
 *   letters = VMAs (same letter = same VMA), '*' = the range the operation touches,
 *   '.' or ' ' = unmapped.
 *
 * Expectations come from docs linux-mm.md §3 and the experiment that verified each rule on
 * Linux 6.18 (ids such as e03:M1 name the check in spec/experiments/results/e03.out). The layout
 * strings use that experiment's own format: "start-end:perms" in pages from B, ';'-separated.
 *
 * "touch" (a write fault) is MADV_POPULATE_WRITE here: the syscall facade has no load/store, and
 * populate-write is the fault the kernel would take. MAP_POPULATE and READ populates assign an
 * anon_vma too, because the recording kernel does not map the zero page (Sysctl.useZeroPage).
 */
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';
import { createSystem, type Task } from '../../src/kernel/system.js';

const PG = 0x1000;
const B = 0x10000000;
const NOFD = 0xffffffffffffffffn;
const RW = M.PROT_READ | M.PROT_WRITE;
const R = M.PROT_READ;
const PA = M.MAP_PRIVATE | M.MAP_ANONYMOUS;
const SA = M.MAP_SHARED | M.MAP_ANONYMOUS;

/** A fresh task whose syscalls run checkInvariants() after every call. */
function fresh(): Task {
  const t = createSystem().task(0)!;
  const sys = t.sys;
  const checked = new Proxy(sys, {
    get(target, name, recv) {
      const f = Reflect.get(target, name, recv);
      if (typeof f !== 'function') return f;
      return (...args: unknown[]) => {
        const r = (f as (...a: unknown[]) => unknown).apply(target, args);
        t.checkInvariants();
        return r;
      };
    },
  });
  return Object.assign(Object.create(Object.getPrototypeOf(t)), t, { sys: checked }) as Task;
}

/** e03's lay(): the VMAs meeting [B, B+n pages) as "s-e:perms;..." in pages from B. */
function lay(t: Task, n = 16): string {
  const out: string[] = [];
  for (const line of t.proc.maps()) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4})/.exec(line)!;
    const s = parseInt(m[1], 16);
    const e = parseInt(m[2], 16);
    if (e <= B || s >= B + n * PG) continue;
    out.push(`${(s - B) / PG}-${(e - B) / PG}:${m[3]}`);
  }
  return out.join(';');
}

/** MAP_FIXED at page `pg` of the window (e03's fx()). */
function fx(t: Task, pg: number, npg: number, prot: number, flags: number, fd = NOFD, off = 0): number {
  return t.sys.mmap(BigInt(B + pg * PG), BigInt(npg * PG), BigInt(prot), BigInt(flags | M.MAP_FIXED), fd, BigInt(off));
}

/** A write fault on every page (MADV_POPULATE_WRITE). */
function touch(t: Task, pg: number, npg: number): void {
  expect(t.sys.madvise(BigInt(B + pg * PG), BigInt(npg * PG), BigInt(M.MADV_POPULATE_WRITE))).toBe(0);
}

function mprotect(t: Task, pg: number, npg: number, prot: number): number {
  return t.sys.mprotect(BigInt(B + pg * PG), BigInt(npg * PG), BigInt(prot));
}

function madvise(t: Task, pg: number, npg: number, advice: number): number {
  return t.sys.madvise(BigInt(B + pg * PG), BigInt(npg * PG), BigInt(advice));
}

function mremapFixed(t: Task, from: number, npg: number, to: number): number {
  return t.sys.mremap(BigInt(B + from * PG), BigInt(npg * PG), BigInt(npg * PG),
    BigInt(M.MREMAP_MAYMOVE | M.MREMAP_FIXED), BigInt(B + to * PG));
}

/** The VmFlags codes of the VMA containing page `pg`. */
function vmflags(t: Task, pg: number): string[] {
  const a = B + pg * PG;
  for (const e of t.proc.smaps()) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(e.line)!;
    if (parseInt(m[1], 16) <= a && a < parseInt(m[2], 16)) return String(e.fields.VmFlags).split(' ');
  }
  throw new Error(`no VMA at page ${pg}`);
}

function mapCount(t: Task): number {
  return t.proc.maps().length - 1; // [vsyscall] is listed but not counted
}

function openFile(t: Task, pages: number): bigint {
  const fd = t.sys.openat('f', BigInt(M.O_RDWR | M.O_CREAT), 0o644n);
  expect(fd).toBeGreaterThanOrEqual(3);
  expect(t.sys.ftruncate(BigInt(fd), BigInt(pages * PG))).toBe(0);
  return BigInt(fd);
}

describe('§3.2 new ranges: merge with prev / next / both / none', () => {
  it('e03:M1 two adjacent unfaulted private anon RW → one VMA (prev grows)', () => {
    //  0123
    //  AA**  →  AAAA
    const t = fresh();
    expect(fx(t, 0, 2, RW, PA)).toBe(B);
    expect(fx(t, 2, 2, RW, PA)).toBe(B + 2 * PG);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:M2 prev faulted (has anon_vma), new unfaulted → merges', () => {
    //  0123
    //  AA**  →  AAAA    A has an anon_vma, '*' has none: compatible
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:M2b next faulted, new range placed before it → merges (next grows down)', () => {
    //  0123
    //  **BB  →  BBBB
    const t = fresh();
    fx(t, 2, 2, RW, PA);
    touch(t, 2, 2);
    fx(t, 0, 2, RW, PA);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:F8 filling a hole between two anon VMAs → all three merge', () => {
    //  012345
    //  AA**BB  →  AAAAAA
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 4, 2, RW, PA);
    const before = mapCount(t);
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-6:rw-p');
    expect(mapCount(t)).toBe(before - 1);
  });

  it('e03:M3 RW next to R → two VMAs (flags differ: none)', () => {
    //  0123
    //  AA**  →  AABB
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, R, PA);
    expect(lay(t)).toBe('0-2:rw-p;2-4:r--p');
  });

  it('e03:M4/M4b MAP_NORESERVE leaves VM_NORESERVE → no merge (RW and R)', () => {
    //  0123
    //  AA**  →  AABB   (B has nr)
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, RW, PA | M.MAP_NORESERVE);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    expect(vmflags(t, 2)).toContain('nr');
    expect(vmflags(t, 2)).not.toContain('ac');
    const u = fresh();
    fx(u, 0, 2, R, PA);
    fx(u, 2, 2, R, PA | M.MAP_NORESERVE);
    expect(lay(u)).toBe('0-2:r--p;2-4:r--p');
  });

  it('e03:M5 normal next to MAP_GROWSDOWN → two', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, RW, PA | M.MAP_GROWSDOWN);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    expect(vmflags(t, 2)).toContain('gd');
  });

  it('e03:M5b normal next to MAP_STACK (VM_NOHUGEPAGE) → two', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, RW, PA | M.MAP_STACK);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    expect(vmflags(t, 2)).toContain('nh');
  });

  it('e03:M5c normal next to MAP_POPULATE (no VMA flag; anon_vma only on one side) → one', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, RW, PA | M.MAP_POPULATE);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:M6 two adjacent shared anon (distinct shmem objects) → two', () => {
    //  0123
    //  AA**  →  AABB
    const t = fresh();
    fx(t, 0, 2, RW, SA);
    fx(t, 2, 2, RW, SA);
    expect(lay(t)).toBe('0-2:rw-s;2-4:rw-s');
  });

  it('e03:F9 MAP_FIXED over the middle of a faulted anon VMA (same flags) → still one VMA', () => {
    //  012345
    //  AA**AA  →  AAAAAA
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    touch(t, 0, 6);
    expect(fx(t, 2, 2, RW, PA)).toBe(B + 2 * PG);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:F9 variant: MAP_FIXED over the middle with other flags → three', () => {
    //  012345
    //  AA**AA  →  AABBCC
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    fx(t, 2, 2, R, PA);
    expect(lay(t)).toBe('0-2:rw-p;2-4:r--p;4-6:rw-p');
  });

  it('§3.2 MAP_FIXED over the whole of a VMA with its neighbours equal → all one', () => {
    //  012345
    //  AABBCC  '*' over BB with A's flags  →  AAAAAA
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, R, PA);
    fx(t, 4, 2, RW, PA);
    expect(lay(t)).toBe('0-2:rw-p;2-4:r--p;4-6:rw-p');
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-6:rw-p');
  });
});

describe('§3.4 VM_ACCOUNT changed by mprotect (it takes part in merging)', () => {
  it('e03:M7 RW unfaulted then mprotect(R) drops VM_ACCOUNT → merges with an R neighbour', () => {
    //  0123
    //  AABB  B: rw ac, unfaulted; mprotect(B, R)  →  AAAA
    const t = fresh();
    fx(t, 0, 2, R, PA);
    fx(t, 2, 2, RW, PA);
    expect(vmflags(t, 2)).toContain('ac');
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-4:r--p');
    expect(vmflags(t, 0)).not.toContain('ac');
  });

  it('e03:M7b RW faulted then mprotect(R) keeps VM_ACCOUNT → no merge', () => {
    //  0123
    //  AABB  B faulted  →  AABB (both r--p, B keeps ac)
    const t = fresh();
    fx(t, 0, 2, R, PA);
    fx(t, 2, 2, RW, PA);
    touch(t, 2, 2);
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-2:r--p;2-4:r--p');
    expect(vmflags(t, 2)).toContain('ac');
    expect(vmflags(t, 0)).not.toContain('ac');
  });

  it('§3.4 a READ populate also assigns the anon_vma here, so mprotect(R) keeps ac', () => {
    //  0123
    //  AABB  B: rw, populated for read only (no zero page on the recording kernel)
    const t = fresh();
    fx(t, 0, 2, R, PA);
    fx(t, 2, 2, RW, PA);
    expect(madvise(t, 2, 2, M.MADV_POPULATE_READ)).toBe(0);
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-2:r--p;2-4:r--p');
    expect(vmflags(t, 2)).toContain('ac');
  });

  it('e03:M7c/M7d R → RW gains VM_ACCOUNT (split), R again (unfaulted) drops it (merge)', () => {
    //  0123
    //  AA**  mprotect RW  →  AABB ;  mprotect R  →  AAAA
    const t = fresh();
    fx(t, 0, 2, R, PA);
    fx(t, 2, 2, R, PA);
    expect(lay(t)).toBe('0-4:r--p');
    expect(mprotect(t, 2, 2, RW)).toBe(0);
    expect(lay(t)).toBe('0-2:r--p;2-4:rw-p');
    expect(vmflags(t, 2)).toContain('ac');
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-4:r--p');
  });

  it('§3.4 mprotect adding write to a NORESERVE mapping does not charge it (no ac)', () => {
    const t = fresh();
    fx(t, 0, 2, R, PA | M.MAP_NORESERVE);
    expect(mprotect(t, 0, 2, RW)).toBe(0);
    expect(vmflags(t, 0)).toContain('nr');
    expect(vmflags(t, 0)).not.toContain('ac');
  });
});

describe('§3.3 anon_vma compatibility', () => {
  it('e03:A1 two VMAs faulted apart (different anon_vmas) moved adjacent → two', () => {
    //  0123456789ab         0123456789ab
    //  AA        BB   →     AABB
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    fx(t, 10, 2, RW, PA);
    touch(t, 10, 2);
    expect(mremapFixed(t, 10, 2, 2)).toBe(B + 2 * PG);
    expect(lay(t, 64)).toBe('0-2:rw-p;2-4:rw-p');
  });

  it('e03:A1 with MAP_POPULATE of writable private mappings → two', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA | M.MAP_POPULATE);
    fx(t, 10, 2, RW, PA | M.MAP_POPULATE);
    mremapFixed(t, 10, 2, 2);
    expect(lay(t, 64)).toBe('0-2:rw-p;2-4:rw-p');
  });

  it('e03:A1 with READ MAP_POPULATE (no zero page on the recording kernel) → two', () => {
    const t = fresh();
    fx(t, 0, 2, R, PA | M.MAP_POPULATE);
    fx(t, 10, 2, R, PA | M.MAP_POPULATE);
    mremapFixed(t, 10, 2, 2);
    expect(lay(t, 64)).toBe('0-2:r--p;2-4:r--p');
  });

  it('§3.3 control: without any populate the same moves merge (e03:A2)', () => {
    //  0123456789ab         0123456789ab
    //  AA        BB   →     AAAA         (B's pgoff reset to its new address)
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 10, 2, RW, PA);
    mremapFixed(t, 10, 2, 2);
    expect(lay(t, 64)).toBe('0-4:rw-p');
  });

  it('e03:A3 unfaulted moved next to a faulted VMA → merges', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    fx(t, 10, 2, RW, PA);
    mremapFixed(t, 10, 2, 2);
    expect(lay(t, 64)).toBe('0-4:rw-p');
  });

  it('e03:A4 a faulted VMA moved keeps its old pgoff; a new anon right after it → no merge', () => {
    //  0123456789ab         0123456789ab
    //            AA   →     AA**      → AABB
    const t = fresh();
    fx(t, 10, 2, RW, PA);
    touch(t, 10, 2);
    mremapFixed(t, 10, 2, 0);
    fx(t, 2, 2, RW, PA);
    expect(lay(t, 64)).toBe('0-2:rw-p;2-4:rw-p');
  });

  it('e03:A5 split by mprotect then restored: the pieces share the anon_vma → re-merge', () => {
    //  0123         0123         0123
    //  AAAA   →     AABB   →     AAAA
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    touch(t, 0, 4);
    mprotect(t, 2, 2, R);
    expect(lay(t)).toBe('0-2:rw-p;2-4:r--p');
    mprotect(t, 2, 2, RW);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:A6 a neighbour faulted later reuses the adjacent anon_vma → re-merges', () => {
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    fx(t, 2, 2, R, PA);
    mprotect(t, 2, 2, RW);
    touch(t, 2, 2);
    mprotect(t, 2, 2, R);
    mprotect(t, 2, 2, RW);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:A10 filling a hole between two VMAs with different anon_vmas → merges with prev only', () => {
    //  012345
    //  AA**BB  →  AAAABB
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    fx(t, 4, 2, RW, PA);
    touch(t, 4, 2);
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-4:rw-p;4-6:rw-p');
  });

  it('e03:A11 filling a hole: prev unfaulted, next faulted → all three merge', () => {
    //  012345
    //  AA**BB  →  AAAAAA
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 4, 2, RW, PA);
    touch(t, 4, 2);
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:A7/A9 (fork simulated by marking the VMA inherited): next to a forked faulted VMA → no merge', () => {
    // RawSyscalls has no fork; the state fork would leave is set directly on the VMA.
    //  0123
    //  AA**  A: anon_vma inherited through fork  →  AABB
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    touch(t, 0, 2);
    const a = t.mm.tree.find(B)!;
    a.anonForked = true;
    fx(t, 2, 2, RW, PA);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    // e03:A9: an inherited VMA without anon_vma is not "forked" and merges.
    const u = fresh();
    fx(u, 0, 2, RW, PA);
    fx(u, 2, 2, RW, PA);
    expect(lay(u)).toBe('0-4:rw-p');
  });
});

describe('§3.1 file VMAs: same open file description and contiguous offsets', () => {
  it('e03:F1 same struct file, contiguous offsets → one VMA', () => {
    //  0123
    //  AA**  (file pages 0-1, then 2-3)  →  AAAA
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    fx(t, 2, 2, R, M.MAP_SHARED, fd, 2 * PG);
    expect(lay(t)).toBe('0-4:r--s');
  });

  it('e03:F2 same file, offset gap → two', () => {
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    fx(t, 2, 2, R, M.MAP_SHARED, fd, 4 * PG);
    expect(lay(t)).toBe('0-2:r--s;2-4:r--s');
  });

  it('e03:F3 same inode via a second open() (different struct file) → two', () => {
    const t = fresh();
    const fd = openFile(t, 64);
    const fd2 = BigInt(t.sys.openat('f', BigInt(M.O_RDWR), 0n));
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    fx(t, 2, 2, R, M.MAP_SHARED, fd2, 2 * PG);
    expect(lay(t)).toBe('0-2:r--s;2-4:r--s');
  });

  it('e03:F4 shared next to private of the same file → two', () => {
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    fx(t, 2, 2, R, M.MAP_PRIVATE, fd, 2 * PG);
    expect(lay(t)).toBe('0-2:r--s;2-4:r--p');
  });

  it('e03:F5 new file VMA placed before an existing one → merges with next', () => {
    //  0123
    //  **BB  →  BBBB  (maps offset of the merged VMA is 0)
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 2, 2, R, M.MAP_SHARED, fd, 2 * PG);
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    expect(lay(t)).toBe('0-4:r--s');
    const line = t.proc.maps().find((l) => l.startsWith(B.toString(16)))!;
    expect(line.split(' ')[2]).toBe('00000000');
  });

  it('e03:F6 private file, prev COW-faulted, new contiguous → merges', () => {
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 2, RW, M.MAP_PRIVATE, fd, 0);
    touch(t, 0, 2);
    fx(t, 2, 2, RW, M.MAP_PRIVATE, fd, 2 * PG);
    expect(lay(t)).toBe('0-4:rw-p');
  });

  it('e03:F7 filling a hole between two compatible file VMAs → all three merge', () => {
    //  012345
    //  AA**BB  →  AAAAAA
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 2, R, M.MAP_SHARED, fd, 0);
    fx(t, 4, 2, R, M.MAP_SHARED, fd, 4 * PG);
    fx(t, 2, 2, R, M.MAP_SHARED, fd, 2 * PG);
    expect(lay(t)).toBe('0-6:r--s');
  });

  it('§3.1 a split file VMA shows the offset of its own start (e10:MF14) and re-merges', () => {
    //  0123
    //  AAAA  mprotect(2-3, RW)  →  AABB  (B at file offset 0x2000)  → back → AAAA
    const t = fresh();
    const fd = openFile(t, 64);
    fx(t, 0, 4, R, M.MAP_SHARED, fd, 0);
    expect(mprotect(t, 2, 2, RW)).toBe(0);
    expect(lay(t)).toBe('0-2:r--s;2-4:rw-s');
    const line = t.proc.maps().find((l) => l.startsWith((B + 2 * PG).toString(16)))!;
    expect(line.split(' ')[2]).toBe('00002000');
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-4:r--s');
  });
});

describe('§3.5 attribute changes: merge into a neighbour, else split head / tail / middle', () => {
  it('e11:PM1 tail of A takes B\'s protection → B grows down (next merge), still 2 VMAs', () => {
    //  012345         012345
    //  AAAB BB  →     AABBBB     mprotect(2-3, R)
    const t = fresh();
    fx(t, 0, 3, RW, PA);
    fx(t, 3, 3, R, PA);
    expect(mprotect(t, 2, 1, R)).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-6:r--p');
  });

  it('e11:PM2 head of B takes A\'s protection → A grows (prev merge)', () => {
    //  012345         012345
    //  AABBBB  →      AAABBB     mprotect(2-3, RW)
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 4, R, PA);
    expect(mprotect(t, 2, 1, RW)).toBe(0);
    expect(lay(t)).toBe('0-3:rw-p;3-6:r--p');
  });

  it('e11:PM3 mprotect spanning both → one', () => {
    const t = fresh();
    fx(t, 0, 3, RW, PA);
    fx(t, 3, 3, R, PA);
    expect(mprotect(t, 0, 6, RW)).toBe(0);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:S1/S2 mprotect middle → three; back → one (merge both sides)', () => {
    //  012345          012345          012345
    //  AA**AA   →      AABBCC   →      AAAAAA
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    expect(mprotect(t, 2, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-4:r--p;4-6:rw-p');
    expect(mprotect(t, 2, 2, RW)).toBe(0);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('§3.5 mprotect head → split off the tail; mprotect tail → split off the head', () => {
    //  012345          012345
    //  **AAAA   →      BBAAAA
    //  AAAA**   →      AAAABB
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    expect(mprotect(t, 0, 2, R)).toBe(0);
    expect(lay(t)).toBe('0-2:r--p;2-6:rw-p');
    const u = fresh();
    fx(u, 0, 6, RW, PA);
    expect(mprotect(u, 4, 2, R)).toBe(0);
    expect(lay(u)).toBe('0-4:rw-p;4-6:r--p');
  });

  it('e03:S3 munmap middle → two; head and tail cuts shrink the VMA', () => {
    //  012345          012345
    //  AA**AA   →      AA  BB
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    expect(t.sys.munmap(BigInt(B + 2 * PG), BigInt(2 * PG))).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;4-6:rw-p');
    expect(t.sys.munmap(BigInt(B), BigInt(PG))).toBe(0);
    expect(t.sys.munmap(BigInt(B + 5 * PG), BigInt(PG))).toBe(0);
    expect(lay(t)).toBe('1-2:rw-p;4-5:rw-p');
  });

  it('e03:S4/S4b/S5 MADV_DONTFORK middle → three (dc); MADV_DOFORK → one', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    expect(madvise(t, 2, 2, M.MADV_DONTFORK)).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('dc');
    expect(madvise(t, 2, 2, M.MADV_DOFORK)).toBe(0);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:S6 DONTNEED / WILLNEED / FREE / COLD / PAGEOUT / guards never split', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    touch(t, 0, 6);
    for (const a of [M.MADV_DONTNEED, M.MADV_WILLNEED, M.MADV_FREE, M.MADV_COLD, M.MADV_PAGEOUT,
      M.MADV_GUARD_INSTALL, M.MADV_GUARD_REMOVE, M.MADV_POPULATE_READ]) {
      expect(madvise(t, 2, 2, a)).toBe(0);
      expect(lay(t)).toBe('0-6:rw-p');
    }
  });

  it('e03:S7–S7d MADV_RANDOM splits (rr), SEQUENTIAL replaces it (sr), NORMAL merges', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    madvise(t, 2, 2, M.MADV_RANDOM);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('rr');
    madvise(t, 2, 2, M.MADV_SEQUENTIAL);
    expect(vmflags(t, 2)).toContain('sr');
    expect(vmflags(t, 2)).not.toContain('rr');
    madvise(t, 2, 2, M.MADV_NORMAL);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:S8–S8c HUGEPAGE splits (hg), NOHUGEPAGE swaps it (nh), NOHUGEPAGE over all → one', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    madvise(t, 2, 2, M.MADV_HUGEPAGE);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('hg');
    madvise(t, 2, 2, M.MADV_NOHUGEPAGE);
    expect(vmflags(t, 2)).toContain('nh');
    expect(vmflags(t, 2)).not.toContain('hg');
    madvise(t, 0, 6, M.MADV_NOHUGEPAGE);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:S9/S9b DONTDUMP splits (dd); DODUMP merges', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    madvise(t, 2, 2, M.MADV_DONTDUMP);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('dd');
    madvise(t, 2, 2, M.MADV_DODUMP);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('e03:S10/S10b WIPEONFORK splits (wf); KEEPONFORK merges', () => {
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    madvise(t, 2, 2, M.MADV_WIPEONFORK);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('wf');
    madvise(t, 2, 2, M.MADV_KEEPONFORK);
    expect(lay(t)).toBe('0-6:rw-p');
  });

  it('§4.6 madvise over two VMAs that both change and end equal → merged into one', () => {
    //  012345
    //  AABBCC   (B is dd)   madvise(0-6, DONTDUMP)  →  AAAAAA
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    madvise(t, 2, 2, M.MADV_DONTDUMP);
    expect(madvise(t, 0, 6, M.MADV_DONTDUMP)).toBe(0);
    expect(lay(t)).toBe('0-6:rw-p');
    expect(vmflags(t, 0)).toContain('dd');
  });

  it('e03:S11/S11b mlock middle splits (lo, VmLck); munlock merges', () => {
    //  012345          012345
    //  AA**AA   →      AABBCC   →  AAAAAA
    const t = fresh();
    fx(t, 0, 6, RW, PA);
    const lck0 = t.proc.status().VmLck;
    expect(t.sys.mlock(BigInt(B + 2 * PG), BigInt(2 * PG))).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p;4-6:rw-p');
    expect(vmflags(t, 2)).toContain('lo');
    expect(t.proc.status().VmLck).toBe(lck0 + 8);
    expect(t.sys.munlock(BigInt(B + 2 * PG), BigInt(2 * PG))).toBe(0);
    expect(lay(t)).toBe('0-6:rw-p');
    expect(t.proc.status().VmLck).toBe(lck0);
  });

  it('e08:L1/L1b mlock of an unaligned start rounds to one page: head split', () => {
    //  0123
    //  *AAA  →  BAAA
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    expect(t.sys.mlock(BigInt(B + 0x10), 1n)).toBe(0);
    expect(lay(t)).toBe('0-1:rw-p;1-4:rw-p');
    expect(t.proc.status().VmLck).toBe(4);
  });

  it('e08:L9b mlock2(ONFAULT) tail split: lo lf, VmLck counts, nothing populated', () => {
    //  0123
    //  AA**  →  AABB
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    expect(t.sys.mlock2(BigInt(B + 2 * PG), BigInt(2 * PG), BigInt(M.MLOCK_ONFAULT))).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    expect(vmflags(t, 2)).toEqual(expect.arrayContaining(['lo', 'lf']));
    expect(t.proc.status().VmLck).toBe(8);
    const vec = new Uint8Array(4);
    expect(t.sys.mincore(BigInt(B), BigInt(4 * PG), vec)).toBe(0);
    expect([...vec]).toEqual([0, 0, 0, 0]);
  });

  it('e04:SE1/SE1b mseal splits (sl); sealing the rest merges the sealed pieces (mseal_apply → vma_modify_flags)', () => {
    //  0123          0123         0123
    //  **AA   →      BBAA   →     BBBB (all sealed)
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    expect(t.sys.mseal(BigInt(B), BigInt(2 * PG), 0n)).toBe(0);
    expect(lay(t)).toBe('0-2:rw-p;2-4:rw-p');
    expect(vmflags(t, 0)).toContain('sl');
    expect(vmflags(t, 2)).not.toContain('sl');
    expect(t.sys.mseal(BigInt(B + 2 * PG), BigInt(2 * PG), 0n)).toBe(0);
    expect(lay(t)).toBe('0-4:rw-p');
    expect(vmflags(t, 0)).toContain('sl');
  });

  it('e04:SE3/SE3b munmap covering sealed + unsealed → EPERM and nothing unmapped', () => {
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    t.sys.mseal(BigInt(B), BigInt(2 * PG), 0n);
    const maps = t.proc.maps();
    expect(t.sys.munmap(BigInt(B), BigInt(4 * PG))).toBe(-Errno.EPERM);
    expect(t.proc.maps()).toEqual(maps);
  });

  it('e04:P16/P16b PROT_GROWSDOWN from the middle applies from the VMA start: head split', () => {
    //  0123456789abcdef
    //          GGGGGGGG  mprotect(0xc, 1, R|GROWSDOWN)  →  8-13 r--p, 13-16 rw-p
    const t = fresh();
    fx(t, 8, 8, RW, PA | M.MAP_GROWSDOWN);
    expect(t.sys.mprotect(BigInt(B + 12 * PG), BigInt(PG), BigInt(R | M.PROT_GROWSDOWN))).toBe(0);
    expect(lay(t)).toBe('8-13:r--p;13-16:rw-p');
  });
});

describe('counters follow splits and merges (e10:ST1–ST5, ST10)', () => {
  it('VmSize / VmData / VmLck / VmLib move with mprotect, mlock and munmap', () => {
    const t = fresh();
    const s0 = t.proc.status();
    fx(t, 0, 8, RW, PA);
    let s = t.proc.status();
    expect(s.VmSize - s0.VmSize).toBe(32);
    expect(s.VmData - s0.VmData).toBe(32);
    // middle to read-only: 8 kB leave VmData (ST2: data = wr && !sh && !gd)
    mprotect(t, 2, 2, R);
    s = t.proc.status();
    expect(s.VmData - s0.VmData).toBe(24);
    expect(s.VmSize - s0.VmSize).toBe(32);
    // r-x anonymous counts in VmLib (ST9), rwx back in VmData (ST10)
    mprotect(t, 2, 2, R | M.PROT_EXEC);
    s = t.proc.status();
    expect(s.VmLib - s0.VmLib).toBe(8);
    mprotect(t, 2, 2, RW | M.PROT_EXEC);
    s = t.proc.status();
    expect(s.VmLib - s0.VmLib).toBe(0);
    expect(s.VmData - s0.VmData).toBe(32);
    // lock 3 pages across the rwx/rw boundary
    expect(t.sys.mlock(BigInt(B + 3 * PG), BigInt(3 * PG))).toBe(0);
    expect(t.proc.status().VmLck - s0.VmLck).toBe(12);
    // unmapping locked pages lowers VmLck and VmSize; VmPeak keeps the peak (ST7)
    expect(t.sys.munmap(BigInt(B + 4 * PG), BigInt(4 * PG))).toBe(0);
    s = t.proc.status();
    expect(s.VmLck - s0.VmLck).toBe(4);
    expect(s.VmSize - s0.VmSize).toBe(16);
    expect(s.VmPeak - s0.VmSize).toBe(32);
    expect(lay(t)).toBe('0-2:rw-p;2-3:rwxp;3-4:rwxp');
  });

  it('shared anon counts in VmSize but not VmData; MAP_GROWSDOWN in VmStk', () => {
    const t = fresh();
    const s0 = t.proc.status();
    fx(t, 0, 4, RW, SA);
    fx(t, 8, 4, RW, PA | M.MAP_GROWSDOWN);
    const s = t.proc.status();
    expect(s.VmSize - s0.VmSize).toBe(32);
    expect(s.VmData - s0.VmData).toBe(0);
    expect(s.VmStk - s0.VmStk).toBe(16);
  });
});

describe('§3.6 map_count and vm.max_map_count (tiny limit)', () => {
  /** Raise map_count to exactly `max` by mprotecting every other page of a fresh region. */
  function atLimit(max: number): Task {
    const t = fresh();
    t.mm.sys.sysctl.maxMapCount = max;
    fx(t, 0, 64, RW, PA);
    for (let pg = 1; mapCount(t) < max; pg += 2) expect(mprotect(t, pg, 1, R)).toBe(0);
    expect(mapCount(t)).toBe(max); // e03:MC1
    return t;
  }
  const MAX = 20;
  const T = 200; // page of a test VMA, far from the striped region

  it('e03:MC2/MC3 mmap at map_count == max succeeds (max+1); the next one → ENOMEM', () => {
    const t = atLimit(MAX);
    expect(t.sys.mmap(0n, BigInt(64 * PG), 0n, BigInt(PA | M.MAP_NORESERVE), NOFD, 0n)).toBeGreaterThan(0);
    expect(mapCount(t)).toBe(MAX + 1);
    const maps = t.proc.maps();
    expect(t.sys.mmap(0n, BigInt(PG), BigInt(RW), BigInt(PA), NOFD, 0n)).toBe(-Errno.ENOMEM);
    expect(t.proc.maps()).toEqual(maps);
  });

  it('e03:MC4 munmap of a whole VMA at max+1 works', () => {
    const t = atLimit(MAX);
    const far = t.sys.mmap(0n, BigInt(64 * PG), 0n, BigInt(PA | M.MAP_NORESERVE), NOFD, 0n);
    expect(t.sys.munmap(BigInt(far), BigInt(64 * PG))).toBe(0);
    expect(mapCount(t)).toBe(MAX);
  });

  it('e03:MC5–MC7 munmap strictly inside a VMA → ENOMEM (unchanged); head and tail cuts work', () => {
    //  T+0..7: AAAAAAAA
    //  munmap(T+2, 2)  AA**AAAA  → ENOMEM (net +1 VMA)
    //  munmap(T+0, 1)  *AAAAAAA  → ok;  munmap(T+7, 1) → ok
    const t = atLimit(MAX);
    fx(t, T, 8, RW, PA);
    expect(mapCount(t)).toBe(MAX + 1);
    const maps = t.proc.maps();
    expect(t.sys.munmap(BigInt(B + (T + 2) * PG), BigInt(2 * PG))).toBe(-Errno.ENOMEM);
    expect(t.proc.maps()).toEqual(maps);
    expect(t.sys.munmap(BigInt(B + T * PG), BigInt(PG))).toBe(0);
    expect(t.sys.munmap(BigInt(B + (T + 7) * PG), BigInt(PG))).toBe(0);
    expect(mapCount(t)).toBe(MAX + 1);
  });

  it('e03:MC8–MC12 splits for mprotect / mlock / madvise refuse at the limit (madvise: EAGAIN); DONTNEED works', () => {
    const t = atLimit(MAX);
    fx(t, T, 8, RW, PA);
    const maps = t.proc.maps();
    expect(mprotect(t, T + 3, 1, R)).toBe(-Errno.ENOMEM); // MC8 middle: 2 splits
    expect(mprotect(t, T, 1, R)).toBe(-Errno.ENOMEM); // MC9 head: 1 split, split_vma checks >=
    expect(mprotect(t, T + 7, 1, R)).toBe(-Errno.ENOMEM); // tail: 1 split
    expect(t.sys.mlock(BigInt(B + (T + 3) * PG), BigInt(PG))).toBe(-Errno.ENOMEM); // MC10
    expect(madvise(t, T + 3, 1, M.MADV_DONTFORK)).toBe(-Errno.EAGAIN); // MC11
    expect(t.sys.mseal(BigInt(B + (T + 3) * PG), BigInt(PG), 0n)).toBe(-Errno.ENOMEM); // §3.6 split rule applies to mseal
    expect(t.proc.maps()).toEqual(maps);
    expect(madvise(t, T + 3, 1, M.MADV_DONTNEED)).toBe(0); // MC12
    expect(mprotect(t, T, 8, R)).toBe(0); // whole VMA: no split needed
  });

  it('e03:MC13–MC16 a merging mprotect works at the limit; NOREPLACE at max+1 → ENOMEM even if it would merge', () => {
    const t = atLimit(MAX);
    fx(t, T, 8, RW, PA);
    expect(mprotect(t, 1, 1, RW)).toBe(0); // MC13: 3 → 1
    expect(mapCount(t)).toBe(MAX - 1);
    expect(fx(t, T + 20, 1, M.PROT_NONE, PA)).toBe(B + (T + 20) * PG); // MC14
    expect(fx(t, T + 30, 4, M.PROT_NONE, PA)).toBe(B + (T + 30) * PG);
    expect(mapCount(t)).toBe(MAX + 1); // MC15
    const maps = t.proc.maps();
    // MC16: [T+34, T+38) would merge with [T+30, T+34), but map_count > max is checked first.
    const r = t.sys.mmap(BigInt(B + (T + 34) * PG), BigInt(4 * PG), 0n, BigInt(PA | M.MAP_FIXED_NOREPLACE), NOFD, 0n);
    expect(r).toBe(-Errno.ENOMEM);
    expect(t.proc.maps()).toEqual(maps);
  });

  it('§3.6 brk obeys the mmap rule: at max+1 growth is refused (old brk returned)', () => {
    const t = atLimit(MAX);
    t.sys.mmap(0n, BigInt(PG), 0n, BigInt(PA), NOFD, 0n);
    expect(mapCount(t)).toBe(MAX + 1);
    const brk0 = t.sys.brk(0n);
    expect(t.sys.brk(BigInt(brk0 + 4 * PG))).toBe(brk0);
  });

  it('§3.6 mremap move: ENOMEM when map_count >= max - 3 (source: mm/mremap.c move_vma), nothing changed', () => {
    //  T..T+2: AAB   mremap(A, 2 → 4 pages, MAYMOVE): cannot grow in place, must move
    const make = (slack: number): Task => {
      const t = fresh();
      expect(fx(t, T, 2, RW, PA)).toBe(B + T * PG);
      expect(fx(t, T + 2, 1, R, PA)).toBe(B + (T + 2) * PG);
      t.mm.sys.sysctl.maxMapCount = mapCount(t) + slack;
      return t;
    };
    const grow = (t: Task): number =>
      t.sys.mremap(BigInt(B + T * PG), BigInt(2 * PG), BigInt(4 * PG), BigInt(M.MREMAP_MAYMOVE), 0n);
    const t = make(3);
    const maps = t.proc.maps();
    expect(grow(t)).toBe(-Errno.ENOMEM);
    expect(t.proc.maps()).toEqual(maps);
    const u = make(4);
    const r = grow(u);
    expect(r).toBeGreaterThan(0);
    expect(r).not.toBe(B + T * PG);
  });

  it('§4.3 row 5b mremap FIXED: ENOMEM when map_count + 2 >= max - 3 (check_mremap_params), nothing changed', () => {
    const make = (slack: number): Task => {
      const t = fresh();
      expect(fx(t, T, 2, RW, PA)).toBe(B + T * PG);
      t.mm.sys.sysctl.maxMapCount = mapCount(t) + slack;
      return t;
    };
    const t = make(5);
    const maps = t.proc.maps();
    expect(mremapFixed(t, T, 2, T + 10)).toBe(-Errno.ENOMEM);
    expect(t.proc.maps()).toEqual(maps);
    expect(mremapFixed(make(6), T, 2, T + 10)).toBe(B + (T + 10) * PG);
  });
});

describe('§4.3 mremap growth and moves merge like new ranges', () => {
  it('e05:G3/G3b grow exactly up to the next VMA → merged with it', () => {
    //  0123456789ab
    //  AAAA****BBBB  →  AAAAAAAAAAAA
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    fx(t, 8, 4, RW, PA);
    expect(t.sys.mremap(BigInt(B), BigInt(4 * PG), BigInt(8 * PG), 0n, 0n)).toBe(B);
    expect(lay(t)).toBe('0-12:rw-p');
  });

  it('e05:G5/G5b grow right up to a GROWSDOWN VMA (no guard gap, no merge)', () => {
    const t = fresh();
    fx(t, 0, 4, RW, PA);
    fx(t, 8, 4, RW, PA | M.MAP_GROWSDOWN);
    expect(t.sys.mremap(BigInt(B), BigInt(4 * PG), BigInt(8 * PG), 0n, 0n)).toBe(B);
    expect(lay(t)).toBe('0-8:rw-p;8-12:rw-p');
  });

  it('e05:S1/S2 shrink unmaps the tail, even across a hole and another VMA', () => {
    //  0123456789
    //  AAAAA  BBB   mremap(0, 10 → 2)  →  AA
    const t = fresh();
    fx(t, 0, 5, RW, PA);
    fx(t, 7, 3, R, PA);
    expect(t.sys.mremap(BigInt(B), BigInt(10 * PG), BigInt(2 * PG), 0n, 0n)).toBe(B);
    expect(lay(t)).toBe('0-2:rw-p');
  });

  it('e05:MM1/MM1b FIXED same-size move over 3 VMAs with a hole keeps the holes', () => {
    //  0123456789      0123456789...   30-32 rw, 32-34 r, 36-38 rw
    //  AABB  CC    →
    const t = fresh();
    fx(t, 0, 2, RW, PA);
    fx(t, 2, 2, R, PA);
    fx(t, 6, 2, RW, PA);
    expect(mremapFixed(t, 0, 8, 30)).toBe(B + 30 * PG);
    expect(lay(t, 64)).toBe('30-32:rw-p;32-34:r--p;36-38:rw-p');
  });
});

/**
 * Rules the kernel oracle cannot record (it cannot change sysctls or make 32-bit calls), checked
 * against linux-mm.md directly: overcommit modes 0/1/2 (§1.5), RLIMIT_AS/DATA (§1.2 step 19),
 * MAP_LOCKED vs RLIMIT_MEMLOCK (steps 14-15), the compat mmap2 entry (§1.1), the legacy layout (§2.1).
 */
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../src/index.js';
import { Errno } from '../../src/abi/errno.js';
import * as M from '../../src/abi/mman.js';

const ANON = BigInt(M.MAP_PRIVATE | M.MAP_ANONYMOUS);
const RW = BigInt(M.PROT_READ | M.PROT_WRITE);
const NOFD = 0xffffffffffffffffn;
const GiB = 1n << 30n;

function fresh() {
  const s = createSystem();
  const t = s.task(0)!;
  return { s, t, mm: t.mm };
}

describe('overcommit (linux-mm.md §1.5)', () => {
  it('mode 0: a single private writable request larger than RAM+swap fails (e01:OC1), 16 GiB fits (OC8)', () => {
    const { t } = fresh();
    expect(t.sys.mmap(0n, 64n * GiB, RW, ANON, NOFD, 0n)).toBe(-Errno.ENOMEM);
    expect(t.sys.mmap(0n, 16n * GiB, RW, ANON, NOFD, 0n)).toBeGreaterThan(0);
    t.checkInvariants();
  });
  it('mode 0: MAP_NORESERVE and read-only mappings are not charged (OC2, OC3); mprotect(RW) then is (OC4)', () => {
    const { t } = fresh();
    expect(t.sys.mmap(0n, 64n * GiB, RW, ANON | BigInt(M.MAP_NORESERVE), NOFD, 0n)).toBeGreaterThan(0);
    const ro = t.sys.mmap(0n, 64n * GiB, BigInt(M.PROT_READ), ANON, NOFD, 0n);
    expect(ro).toBeGreaterThan(0);
    expect(t.sys.mprotect(BigInt(ro), 64n * GiB, RW)).toBe(-Errno.ENOMEM);
    t.checkInvariants();
  });
  it('mode 1: anything goes (e11:OC1)', () => {
    const { t, mm } = fresh();
    mm.sys.sysctl.overcommitMemory = 1;
    expect(t.sys.mmap(0n, 64n * 1024n * GiB, RW, ANON, NOFD, 0n)).toBeGreaterThan(0);
  });
  it('mode 2: the commit limit holds, MAP_NORESERVE is ignored, read-only is free (e11:OC2-OC5)', () => {
    const { t, mm } = fresh();
    mm.sys.sysctl.overcommitMemory = 2;
    const ramKb = BigInt(mm.sys.sysctl.memTotalKb);
    expect(t.sys.mmap(0n, ramKb * 1024n, RW, ANON, NOFD, 0n)).toBe(-Errno.ENOMEM);
    expect(t.sys.mmap(0n, ramKb * 1024n, RW, ANON | BigInt(M.MAP_NORESERVE), NOFD, 0n)).toBe(-Errno.ENOMEM);
    const half = t.sys.mmap(0n, (ramKb * 1024n) / 4n, RW, ANON, NOFD, 0n);
    expect(half).toBeGreaterThan(0);
    expect(t.sys.mmap(0n, ramKb * 1024n, BigInt(M.PROT_READ), ANON, NOFD, 0n)).toBeGreaterThan(0);
    // Unmapping returns the charge: the same request fits again.
    expect(t.sys.munmap(BigInt(half), (ramKb * 1024n) / 4n)).toBe(0);
    expect(t.sys.mmap(0n, (ramKb * 1024n) / 4n, RW, ANON, NOFD, 0n)).toBeGreaterThan(0);
    t.checkInvariants();
  });
});

describe('rlimits (linux-mm.md §1.2 steps 14, 15, 19)', () => {
  it('RLIMIT_AS counts total_vm minus the pages a MAP_FIXED replaces', () => {
    const { t, mm } = fresh();
    const total = BigInt(mm.totalVm) * 4096n;
    expect(t.sys.prlimit64(BigInt(M.RLIMIT_AS), total + 0x3000n, total + 0x3000n)).toBe(0);
    const a = t.sys.mmap(0n, 0x3000n, RW, ANON, NOFD, 0n);
    expect(a).toBeGreaterThan(0);
    expect(t.sys.mmap(0n, 0x1000n, RW, ANON, NOFD, 0n)).toBe(-Errno.ENOMEM);
    // Replacing mapped pages does not grow total_vm.
    expect(t.sys.mmap(BigInt(a), 0x3000n, BigInt(M.PROT_READ), ANON | BigInt(M.MAP_FIXED), NOFD, 0n)).toBe(a);
    t.checkInvariants();
  });
  it('RLIMIT_DATA counts private writable mappings only', () => {
    const { t, mm } = fresh();
    const data = BigInt(mm.dataVm) * 4096n;
    expect(t.sys.prlimit64(BigInt(M.RLIMIT_DATA), data, data)).toBe(0);
    expect(t.sys.mmap(0n, 0x1000n, RW, ANON, NOFD, 0n)).toBe(-Errno.ENOMEM);
    expect(t.sys.mmap(0n, 0x1000n, BigInt(M.PROT_READ), ANON, NOFD, 0n)).toBeGreaterThan(0);
    expect(t.sys.mmap(0n, 0x1000n, RW, BigInt(M.MAP_SHARED | M.MAP_ANONYMOUS), NOFD, 0n)).toBeGreaterThan(0);
  });
  it('MAP_LOCKED: EPERM with a zero memlock limit (e01:B3), EAGAIN past it (B4), ok at it (B5)', () => {
    const { t } = fresh();
    expect(t.sys.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0x2000n, 0x800000n)).toBe(0);
    const L = ANON | BigInt(M.MAP_LOCKED);
    expect(t.sys.mmap(0n, 0x3000n, RW, L, NOFD, 0n)).toBe(-Errno.EAGAIN);
    expect(t.sys.mmap(0n, 0x2000n, RW, L, NOFD, 0n)).toBeGreaterThan(0);
    expect(t.proc.status().VmLck).toBe(8);
    expect(t.sys.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0n, 0x800000n)).toBe(0);
    expect(t.sys.mmap(0n, 0x1000n, RW, L, NOFD, 0n)).toBe(-Errno.EPERM);
    // Raising the hard limit needs CAP_SYS_RESOURCE.
    expect(t.sys.prlimit64(BigInt(M.RLIMIT_MEMLOCK), 0n, 0x1000000n)).toBe(-Errno.EPERM);
    t.checkInvariants();
  });
});

describe('compat mmap2 (linux-mm.md §1.1)', () => {
  it('takes the offset in pages, places below 4 GiB top-down from mmap_compat_base, never THP-aligns (e01:C1,C2, e12:TX2,TX3)', () => {
    const { t } = fresh();
    const a = t.sys.mmap2(0n, 0x1000n, RW, ANON, NOFD, 0n);
    expect(a).toBe(0xf7ffe000 - 0x1000);
    const b = t.sys.mmap2(0n, 0x200000n, RW, ANON, NOFD, 0n);
    expect(b).toBe(a - 0x200000);
    expect(b % 0x200000).not.toBe(0);
    const fd = BigInt(t.sys.openat('f', BigInt(M.O_RDWR | M.O_CREAT), 0o644n));
    expect(t.sys.ftruncate(fd, 0x10000n)).toBe(0);
    const c = t.sys.mmap2(0n, 0x1000n, BigInt(M.PROT_READ), BigInt(M.MAP_PRIVATE), fd, 3n);
    expect(c).toBeGreaterThan(0);
    expect(t.proc.maps().find((l) => l.startsWith(c.toString(16).padStart(8, '0')))).toContain(' 00003000 ');
    t.checkInvariants();
  });
});

describe('legacy layout (linux-mm.md §2.1, §2.5)', () => {
  it('places bottom-up from mmap_legacy_base, 2 MiB lengths rounded up to 2 MiB (e02 legacy P0; §2.6)', () => {
    const { t, mm } = fresh();
    mm.topdown = false;
    expect(t.sys.mmap(0n, 0x1000n, RW, ANON, NOFD, 0n)).toBe(0x2aaaaaaab000);
    expect(t.sys.mmap(0n, 0x1000n, BigInt(M.PROT_READ), ANON, NOFD, 0n)).toBe(0x2aaaaaaac000);
    // The padded search finds 0x2aaaaaaad000; bottom-up rounds it up to the next 2 MiB boundary.
    expect(t.sys.mmap(0n, 0x200000n, RW, ANON, NOFD, 0n)).toBe(0x2aaaaac00000);
    t.checkInvariants();
  });
});

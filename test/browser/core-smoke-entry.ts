/**
 * The core's browser smoke test program: build a system, map, split, fault and unmap memory, and
 * return the maps lines. core-smoke.test.ts bundles it for Chromium and also runs it in Node;
 * identical lines prove the core needs nothing from Node.
 */
import { createSystem, mman } from '../../src/index.js';

export function run(): string[] {
  const system = createSystem();
  const t = system.task(0)!;
  const rw = BigInt(mman.PROT_READ | mman.PROT_WRITE);
  const anon = BigInt(mman.MAP_PRIVATE | mman.MAP_ANONYMOUS);
  const noFd = (1n << 64n) - 1n; // -1 as the u64 the syscall sees
  const a = t.sys.mmap(0n, 0x10000n, rw, anon, noFd, 0n);
  const base = BigInt(a);
  t.sys.mprotect(base + 0x4000n, 0x2000n, BigInt(mman.PROT_READ));
  t.sys.munmap(base + 0xc000n, 0x1000n);
  t.mem.store8(a, 0x5a);
  t.mem.store8(a + 0x8000, 0xa5);
  const child = t.fork();
  if (typeof child === 'number') throw new Error(`fork failed: ${child}`);
  child.mem.store8(a, 1);
  const bad = t.sys.mmap(0n, 0n, rw, anon, noFd, 0n);
  return [...t.proc.maps(), `byte ${t.mem.load8(a)} child ${child.mem.load8(a)} mmap(len 0) ${bad}`, ...child.proc.maps()];
}

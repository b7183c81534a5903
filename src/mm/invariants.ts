/**
 * checkInvariants(mm): recompute everything an address space keeps and name the broken rule.
 * Linux: mm/vma.c validate_mm() and the counters of vm_stat_account().
 */
import type { AddressSpace } from './address-space.js';
import { VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

export class InvariantError extends Error {
  override name = 'InvariantError';
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function where(i: number, v: Vma): string {
  return `vma[${i}] ${hex(v.start)}-${hex(v.end)}`;
}

export function checkInvariants(mm: AddressSpace): void {
  try {
    mm.tree.checkValid();
  } catch (e) {
    throw new InvariantError(`tree: ${(e as Error).message}`);
  }
  const vmas = mm.tree.toArray();
  if (vmas.length !== mm.mapCount) throw new InvariantError(`map_count ${mm.mapCount} != ${vmas.length} VMAs`);
  let total = 0;
  let data = 0;
  let exec = 0;
  let stack = 0;
  let locked = 0;
  let prevEnd = 0;
  for (let i = 0; i < vmas.length; i++) {
    const v = vmas[i];
    if (!(v.start < v.end)) throw new InvariantError(`${where(i, v)}: start >= end`);
    if (v.start % 4096 !== 0 || v.end % 4096 !== 0) throw new InvariantError(`${where(i, v)}: not page aligned`);
    if (v.end > mm.taskSize) throw new InvariantError(`${where(i, v)}: beyond TASK_SIZE`);
    if (v.start < prevEnd) throw new InvariantError(`${where(i, v)}: overlaps or is out of order (previous end ${hex(prevEnd)})`);
    if ((v.flags | 0) !== v.flags) throw new InvariantError(`${where(i, v)}: flags not an int32`);
    if (!Number.isSafeInteger(v.pgoff) || v.pgoff < 0) throw new InvariantError(`${where(i, v)}: bad pgoff ${v.pgoff}`);
    if ((v.flags & VM_SHARED) !== 0 && (v.flags & 0x80) === 0) throw new InvariantError(`${where(i, v)}: VM_SHARED without VM_MAYSHARE`);
    if ((v.flags & VM_ACCOUNT) !== 0 && (v.flags & VM_SHARED) !== 0) throw new InvariantError(`${where(i, v)}: VM_ACCOUNT on a shared VMA`);
    if (v.anonForked && v.anonVma === null) throw new InvariantError(`${where(i, v)}: forked without anon_vma`);
    prevEnd = v.end;
    const n = v.pages;
    total += n;
    if ((v.flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) === VM_EXEC) exec += n;
    else if ((v.flags & VM_GROWSDOWN) !== 0) stack += n;
    else if ((v.flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE) data += n;
    if ((v.flags & VM_LOCKED) !== 0) locked += n;
  }
  const check = (name: string, stored: number, recount: number): void => {
    if (stored !== recount) throw new InvariantError(`${name}: recount ${recount} != stored ${stored}`);
  };
  check('total_vm', mm.totalVm, total);
  check('data_vm', mm.dataVm, data);
  check('exec_vm', mm.execVm, exec);
  check('stack_vm', mm.stackVm, stack);
  check('locked_vm', mm.lockedVm, locked + mm.lockedVmSkew);
  if (mm.brk < mm.startBrk) throw new InvariantError(`brk ${hex(mm.brk)} < start_brk ${hex(mm.startBrk)}`);
  for (const vpn of mm.ptes.keys()) {
    const a = vpn * 4096;
    const v = mm.tree.find(a);
    if (v === undefined) throw new InvariantError(`pte ${hex(a)}: outside every VMA`);
  }
}

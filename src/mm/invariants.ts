/**
 * checkInvariants(mm): recompute everything an address space keeps and name the broken rule;
 * checkFrames(sys): the frame reference counts against every page table.
 * Linux: mm/vma.c validate_mm(), the counters of vm_stat_account(), mm/debug_vm_pgtable.c.
 */
import {
  KIND_ANON, KIND_FILE, KIND_SHMEM, KIND_ZERO, PTE_EXEC, PTE_GUARD, PTE_KIND, PTE_PRESENT, PTE_READ, PTE_WRITE,
  pteFrame,
} from '../mem/page-table.js';
import { ZERO_FRAME } from '../mem/frames.js';
import type { AddressSpace } from './address-space.js';
import type { MmSystem } from './config.js';
import { vmaPtePerms } from './fault.js';
import { VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SHARED, VM_WRITE, type Vma } from './vma.js';
import { rmapFiled } from './vma-tree.js';

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
    if (v.file !== null && v.file.inode.mappings?.get(v) !== mm) throw new InvariantError(`${where(i, v)}: missing from its file's reverse map`);
    if (v.file !== null && !rmapFiled(v)) throw new InvariantError(`${where(i, v)}: not filed under its pages in the file's interval tree`);
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
  checkPageTable(mm);
}

/**
 * Every PTE against its VMA (inside one, permissions no wider than the VMA's, a guard marker
 * alone, a writable private page mapped only there) and the RSS counters against a recount.
 */
function checkPageTable(mm: AddressSpace): void {
  const frames = mm.frames;
  let anon = 0;
  let file = 0;
  let shmem = 0;
  let entries = 0;
  let v: Vma | undefined;
  mm.pt.forEach((vpn, pte) => {
    entries++;
    const a = vpn * 4096;
    if (v === undefined || a >= v.end || a < v.start) v = mm.tree.find(a);
    if (v === undefined) throw new InvariantError(`pte ${hex(a)}: outside every VMA`);
    if ((pte & PTE_PRESENT) === 0) {
      if (pte !== PTE_GUARD) throw new InvariantError(`pte ${hex(a)}: not present and not a guard marker (${hex(pte)})`);
      return;
    }
    const f = pteFrame(pte);
    if (f >= frames.highWater || !frames.isAllocated(f)) throw new InvariantError(`pte ${hex(a)}: frame ${f} is not allocated`);
    if (frames.map[f] < 1 && f !== 0) throw new InvariantError(`pte ${hex(a)}: frame ${f} has map count ${frames.map[f]}`);
    const perms = vmaPtePerms(v.flags);
    if ((pte & (PTE_READ | PTE_EXEC) & ~perms) !== 0) throw new InvariantError(`pte ${hex(a)}: permissions ${hex(pte & 0xf)} wider than the VMA's`);
    const kind = pte & PTE_KIND;
    if ((pte & PTE_WRITE) !== 0) {
      if ((v.flags & VM_WRITE) === 0) throw new InvariantError(`pte ${hex(a)}: writable in a VMA without VM_WRITE`);
      if (kind === KIND_ZERO) throw new InvariantError(`pte ${hex(a)}: the zero page mapped writable`);
      // (A pin for direct I/O is a reference that does not share the page.)
      if ((v.flags & VM_SHARED) === 0 && (kind !== KIND_ANON || frames.ref[f] - (frames.pins.get(f) ?? 0) !== 1)) {
        throw new InvariantError(`pte ${hex(a)}: writable private page not exclusive (ref ${frames.ref[f]})`);
      }
    }
    if (kind === KIND_FILE && v.vmOps !== null) {
      // A device page is the frame the driver's fault handler names for it.
      const want = v.vmOps.fault(v.pgoff + (vpn - v.start / 4096));
      if (want !== f) throw new InvariantError(`pte ${hex(a)}: maps frame ${f}, the driver has ${want} for it`);
    } else if ((kind === KIND_FILE || kind === KIND_SHMEM) && v.file !== null && v.special === null) {
      // The page cache and the page tables agree: a file page maps the cache's frame for its
      // index, and never a page wholly past EOF.
      const index = v.pgoff + (vpn - v.start / 4096);
      const cached = v.file.inode.pages.get(index);
      if (cached !== f) throw new InvariantError(`pte ${hex(a)}: maps frame ${f}, the page cache has ${cached} for page ${index} of ${v.file.inode.path}`);
      if (index * 4096 >= v.file.inode.size && v.file.inode.anonShared === undefined) {
        throw new InvariantError(`pte ${hex(a)}: page ${index} of ${v.file.inode.path} lies past EOF (${v.file.inode.size})`);
      }
      // A mapped page is an up-to-date page-cache page (what mincore reports as resident).
      if (!v.file.inode.cached.has(index) || v.file.inode.stale?.has(index)) {
        throw new InvariantError(`pte ${hex(a)}: page ${index} of ${v.file.inode.path} is mapped but not resident and up to date`);
      }
    }
    if (kind === KIND_ANON) anon++;
    else if (kind === KIND_FILE) file++;
    else if (kind === KIND_SHMEM) shmem++;
    else if (f !== 0) throw new InvariantError(`pte ${hex(a)}: zero-page kind with frame ${f}`);
  });
  if (entries !== mm.pt.size) throw new InvariantError(`page table size ${mm.pt.size} != ${entries} entries`);
  if (anon !== mm.rssAnon || file !== mm.rssFile || shmem !== mm.rssShmem) {
    throw new InvariantError(`rss anon/file/shmem ${mm.rssAnon}/${mm.rssFile}/${mm.rssShmem} != recount ${anon}/${file}/${shmem}`);
  }
}

/**
 * System-wide frame accounting: each frame's map count equals the PTEs mapping it in every live
 * address space, and its references exceed that by at most the page cache's one.
 */
export function checkFrames(sys: MmSystem): void {
  const frames = sys.frames;
  const maps = new Int32Array(frames.highWater);
  for (const mm of sys.mms) {
    mm.pt.forEach((_vpn, pte) => {
      if ((pte & PTE_PRESENT) !== 0) maps[pteFrame(pte)]++;
    });
  }
  let inUse = 0;
  const members = new Map<number, number>(); // large folio → its frames
  for (let f = 1; f < frames.highWater; f++) {
    if (frames.map[f] !== maps[f]) throw new InvariantError(`frame ${f}: map count ${frames.map[f]} != ${maps[f]} PTEs`);
    const extra = frames.ref[f] - frames.map[f] - (frames.pins.get(f) ?? 0);
    if (extra < 0 || extra > 1) throw new InvariantError(`frame ${f}: ref ${frames.ref[f]} with map count ${frames.map[f]}`);
    if (frames.ref[f] > 0) inUse++;
    const folio = frames.folio[f];
    if (folio === 0) continue;
    if (frames.ref[f] === 0) throw new InvariantError(`free frame ${f} still in folio ${folio}`);
    members.set(folio, (members.get(folio) ?? 0) + 1);
  }
  if (inUse !== frames.inUse) throw new InvariantError(`frames in use ${frames.inUse} != recount ${inUse}`);
  // Every frame of a large folio is found from its folio (FramePool.forEachFolioFrame()).
  for (const [folio, n] of members) {
    let listed = 0;
    frames.forEachFolioFrame(folio, () => { listed++; });
    if (listed !== n) throw new InvariantError(`folio ${folio}: ${n} frames, ${listed} listed`);
  }
  if (frames.foliosWithFrames !== members.size) {
    throw new InvariantError(`${frames.foliosWithFrames} folios listed, ${members.size} with frames`);
  }
  checkLargeMapcounts(sys);
}

/**
 * Each anonymous huge PMD maps the 512 pages of one folio. Each anonymous large folio's mapcount
 * is the number of PTEs mapping its pages in every live address space; a slot never counts more
 * than its mm maps; the shared bit is set whenever
 * mappings exist outside one slot (it may stay set longer: that is its point).
 */
function checkLargeMapcounts(sys: MmSystem): void {
  const frames = sys.frames;
  const perMm = new Map<number, Map<number, number>>(); // folio → mm id → pages
  const pmds = new Map<number, number>();
  for (const mm of sys.mms) {
    for (const [r, kind] of mm.hugePmds) {
      if (kind === KIND_ZERO) {
        // The huge zero page: all 512 entries map the zero frame.
        for (let p = r * 512; p < r * 512 + 512; p++) {
          const pte = mm.pt.get(p);
          if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ZERO || pteFrame(pte) !== ZERO_FRAME) {
            throw new InvariantError(`huge zero PMD at ${hex(r * 0x200000)}: page ${hex(p * 4096)} is not the zero page`);
          }
        }
        continue;
      }
      if (kind !== KIND_ANON) continue;
      const folio = frames.folio[pteFrame(mm.pt.get(r * 512))];
      // A huge PMD maps one whole folio: every path that changes a page of it splits it first.
      for (let p = r * 512; p < r * 512 + 512; p++) {
        const pte = mm.pt.get(p);
        if ((pte & PTE_PRESENT) === 0 || (pte & PTE_KIND) !== KIND_ANON || folio === 0 || frames.folio[pteFrame(pte)] !== folio) {
          throw new InvariantError(`huge PMD at ${hex(r * 0x200000)}: page ${hex(p * 4096)} is not of its folio`);
        }
      }
      pmds.set(folio, (pmds.get(folio) ?? 0) + 1);
    }
    mm.pt.forEach((_vpn, pte) => {
      if ((pte & PTE_PRESENT) === 0) return;
      const folio = frames.folio[pteFrame(pte)];
      if (folio === 0) return;
      let m = perMm.get(folio);
      if (m === undefined) perMm.set(folio, (m = new Map()));
      m.set(mm.mmId, (m.get(mm.mmId) ?? 0) + 1);
    });
  }
  if (perMm.size !== frames.large.size) {
    throw new InvariantError(`${frames.large.size} large folios tracked, ${perMm.size} mapped`);
  }
  for (const [folio, c] of frames.large.entries()) {
    const m = perMm.get(folio);
    let total = 0;
    for (const n of m?.values() ?? []) total += n;
    if (c.total !== total) throw new InvariantError(`large folio ${folio}: mapcount ${c.total} != ${total} PTEs`);
    if (c.pmds !== (pmds.get(folio) ?? 0)) throw new InvariantError(`large folio ${folio}: ${c.pmds} PMDs counted, ${pmds.get(folio) ?? 0} mapped`);
    if (c.mm0 !== 0 && c.n0 > (m?.get(c.mm0) ?? 0)) throw new InvariantError(`large folio ${folio}: slot 0 counts ${c.n0}`);
    if (c.mm1 !== 0 && c.n1 > (m?.get(c.mm1) ?? 0)) throw new InvariantError(`large folio ${folio}: slot 1 counts ${c.n1}`);
    if (!c.shared && c.n0 !== total && c.n1 !== total) throw new InvariantError(`large folio ${folio}: mapped outside one slot, shared bit clear`);
  }
}

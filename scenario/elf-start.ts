/**
 * The address space right after execve, inferred from the program's ELF file when no maps
 * snapshot was taken: what Linux 6.x's load_elf_binary() builds with address-space
 * randomization off — a PIE executable at ELF_ET_DYN_BASE (2/3 of the 47-bit space, page
 * aligned, or aligned to its segments' p_align), its PT_LOAD segments (file pages up to p_filesz,
 * anonymous bss pages up to p_memsz), the interpreter placed top-down below mmap_base, then
 * [vvar], [vvar_vclock] and [vdso] below it, the initial [stack] and [vsyscall]. With smaps-style
 * VmFlags per VMA, so later merges see the flags the kernel set (VM_ACCOUNT on private writable
 * mappings, VM_GROWSDOWN on the stack).
 * Linux: fs/binfmt_elf.c load_elf_binary(), elf_load(), load_elf_interp(); arch/x86/entry/vdso.
 */

export interface ElfHost {
  /** The file's bytes (only the headers are read). */
  read(path: string): Uint8Array;
  /** The path maps shows (symlinks resolved), its device (major, minor) and inode. */
  identity(path: string): { path: string; major: number; minor: number; ino: number };
}

export interface InferredStart {
  maps: string[];
  /** smaps text with VmFlags per VMA (no page counts: nothing is resident yet that matters). */
  smaps: string;
  startBrk: number;
}

const PAGE = 0x1000;
/** DEFAULT_MAP_WINDOW / 3 * 2 on x86-64 with 47-bit user space. */
const ELF_ET_DYN_BASE = Math.floor(0x7ffffffff000 / 3) * 2;
/** mmap_base with ASLR off and an 8 MiB stack limit (the recording machine's). */
const MMAP_BASE = 0x7ffff7fff000;
/** The vDSO of the reference kernel: [vvar] 4 pages, [vvar_vclock] 2, [vdso] 2. */
const VDSO_PARTS: [string, number, string, string][] = [
  ['[vvar]', 4, 'r--p', 'rd mr pf io de dd'],
  ['[vvar_vclock]', 2, 'r--p', 'rd mr pf io de dd'],
  ['[vdso]', 2, 'r-xp', 'rd ex mr mw me de'],
];

interface Segment {
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

interface Elf {
  type: number;
  loads: Segment[];
  interp: string | null;
}

function parseElf(b: Uint8Array, path: string): Elf {
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new Error(`${path}: not an ELF file`);
  if (b[4] !== 2 || b[5] !== 1) throw new Error(`${path}: not a little-endian 64-bit ELF file`);
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const num = (o: number): number => Number(d.getBigUint64(o, true));
  const type = d.getUint16(16, true);
  const phoff = num(32);
  const phentsize = d.getUint16(54, true);
  const phnum = d.getUint16(56, true);
  const loads: Segment[] = [];
  let interp: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const ptype = d.getUint32(o, true);
    if (ptype === 1) {
      loads.push({ flags: d.getUint32(o + 4, true), offset: num(o + 8), vaddr: num(o + 16), filesz: num(o + 32), memsz: num(o + 40), align: num(o + 48) });
    } else if (ptype === 3) {
      const off = num(o + 8);
      const sz = num(o + 32);
      interp = new TextDecoder().decode(b.subarray(off, off + sz)).replace(/\0.*$/s, '');
    }
  }
  return { type, loads, interp };
}

const down = (x: number): number => x - (x % PAGE);
const up = (x: number): number => down(x + PAGE - 1);
const hex = (x: number, w = 8): string => x.toString(16).padStart(w, '0');

interface Vma {
  start: number;
  end: number;
  perms: string;
  offset: number;
  dev: string;
  ino: number;
  name: string;
  vmFlags: string;
}

/** VmFlags the loader's mappings get (private file or anonymous, from the segment's p_flags). */
function segmentFlags(f: number): { perms: string; vmFlags: string } {
  const r = (f & 4) !== 0;
  const w = (f & 2) !== 0;
  const x = (f & 1) !== 0;
  const perms = `${r ? 'r' : '-'}${w ? 'w' : '-'}${x ? 'x' : '-'}p`;
  const vm = [r && 'rd', w && 'wr', x && 'ex', 'mr', 'mw', 'me', w && 'ac'].filter(Boolean).join(' ');
  return { perms, vmFlags: vm };
}

/** The loader's VMAs for one ELF image placed with `bias`. */
function imageVmas(e: Elf, bias: number, id: { path: string; major: number; minor: number; ino: number }): { vmas: Vma[]; end: number } {
  const vmas: Vma[] = [];
  const dev = `${hex(id.major, 2)}:${hex(id.minor, 2)}`;
  let end = 0;
  for (const s of e.loads) {
    const { perms, vmFlags } = segmentFlags(s.flags);
    const start = down(bias + s.vaddr);
    const fileEnd = up(bias + s.vaddr + s.filesz);
    const memEnd = up(bias + s.vaddr + s.memsz);
    if (s.filesz > 0) vmas.push({ start, end: fileEnd, perms, offset: down(s.offset), dev, ino: id.ino, name: id.path, vmFlags });
    if (memEnd > fileEnd) vmas.push({ start: s.filesz > 0 ? fileEnd : start, end: memEnd, perms, offset: 0, dev: '00:00', ino: 0, name: '', vmFlags });
    end = Math.max(end, memEnd);
  }
  return { vmas, end };
}

/** load_elf_binary()'s result for `path`, ASLR off. */
export function inferStart(path: string, host: ElfHost): InferredStart {
  const exe = parseElf(host.read(path), path);
  if (exe.loads.length === 0) throw new Error(`${path}: no PT_LOAD segment`);
  const first = Math.min(...exe.loads.map((s) => s.vaddr));
  let bias = 0;
  if (exe.type === 3) {
    // ET_DYN: at ELF_ET_DYN_BASE, aligned to the largest segment alignment (maximum_alignment()).
    const align = Math.max(PAGE, ...exe.loads.map((s) => (s.align & (s.align - 1)) === 0 ? s.align : PAGE));
    const base = ELF_ET_DYN_BASE - (ELF_ET_DYN_BASE % align);
    bias = down(base - first);
  }
  const img = imageVmas(exe, bias, host.identity(path));
  const vmas = [...img.vmas];
  let top = MMAP_BASE;
  if (exe.interp !== null) {
    const ld = parseElf(host.read(exe.interp), exe.interp);
    const lo = down(Math.min(...ld.loads.map((s) => s.vaddr)));
    const hi = up(Math.max(...ld.loads.map((s) => s.vaddr + s.memsz)));
    const base = top - (hi - lo);
    const li = imageVmas(ld, base - lo, host.identity(exe.interp));
    vmas.push(...li.vmas);
    top = base;
  }
  let at = top - VDSO_PARTS.reduce((n, p) => n + p[1] * PAGE, 0);
  for (const [name, pages, perms, vmFlags] of VDSO_PARTS) {
    vmas.push({ start: at, end: at + pages * PAGE, perms, offset: 0, dev: '00:00', ino: 0, name, vmFlags });
    at += pages * PAGE;
  }
  vmas.push({ start: 0x7ffffffde000, end: 0x7ffffffff000, perms: 'rw-p', offset: 0, dev: '00:00', ino: 0, name: '[stack]', vmFlags: 'rd wr mr mw me gd ac' });
  vmas.sort((a, b) => a.start - b.start);
  const line = (v: Vma): string => {
    const head = `${hex(v.start)}-${hex(v.end)} ${v.perms} ${hex(v.offset)} ${v.dev} ${v.ino}`;
    return v.name === '' ? head + ' ' : head.padEnd(73) + v.name;
  };
  const maps = vmas.map(line);
  maps.push('ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]');
  const smaps = vmas.map((v) => `${line(v)}\nRss:                   0 kB\nAnonymous:             0 kB\nVmFlags: ${v.vmFlags} \n`).join('');
  return { maps, smaps, startBrk: img.end };
}

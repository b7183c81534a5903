#!/usr/bin/env node
// `npm start`: make sure the project is installed and built, then run a short narrated demo of
// the built library (dist/src/kernel/system.js): a simulated process maps, protects, replaces,
// unmaps, remaps and grows memory, and after each step we print what Linux would show in
// /proc/<pid>/maps. Lines that changed are marked (+ new, - gone), in colour on a terminal
// (set NO_COLOR to turn colour off).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SYSTEM_JS = join(ROOT, 'dist', 'src', 'kernel', 'system.js');
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s) => paint('1', s);
const green = (s) => paint('32', s);
const red = (s) => paint('31', s);
const dim = (s) => paint('2', s);

function sh(cmd, args) {
  console.log(dim(`$ ${cmd} ${args.join(' ')}`));
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  return r.status === 0;
}

// ---- 1. install and build when needed --------------------------------------------------------

if (!existsSync(join(ROOT, 'node_modules'))) {
  const lock = existsSync(join(ROOT, 'package-lock.json'));
  console.log(`node_modules/ is missing: installing dependencies with npm ${lock ? 'ci' : 'install'} ...`);
  if (!sh('npm', [lock ? 'ci' : 'install'])) {
    console.error('npm start: installing the dependencies failed (see above)');
    process.exit(1);
  }
}
if (!existsSync(join(ROOT, 'dist')) || !existsSync(SYSTEM_JS)) {
  console.log('dist/ is missing or incomplete: building with npm run build ...');
  if (!sh('npm', ['run', 'build'])) {
    if (!existsSync(SYSTEM_JS)) {
      console.error('npm start: the build failed (see above)');
      process.exit(1);
    }
    console.log(dim('(the build reported errors, but the library was emitted: going on)'));
  }
}

// ---- 2. the demo ---------------------------------------------------------------------------------

const { createSystem } = await import(pathToFileURL(SYSTEM_JS).href);

const PROT_READ = 1n, PROT_WRITE = 2n, PROT_EXEC = 4n;
const MAP_PRIVATE = 0x02n, MAP_FIXED = 0x10n, MAP_ANONYMOUS = 0x20n;
const MREMAP_MAYMOVE = 1n;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
// Syscall arguments are raw u64 values: fd -1 is 2^64-1.
const NO_FD = (1n << 64n) - 1n;

const system = createSystem();
const task = system.task(0);
const sys = task.sys;
let previous = task.proc.maps();
let step = 0;

const hex = (v) => `0x${BigInt(v).toString(16)}`;
const show = (r) => (r < 0 && r >= -4095 ? `-${-r} (errno)` : hex(r));

const startOf = (line) => BigInt(`0x${line.slice(0, line.indexOf('-'))}`);

/** Prints the current maps in address order, marking lines that appeared (+) and went away (-). */
function printMaps() {
  const now = task.proc.maps();
  const before = new Set(previous);
  const after = new Set(now);
  const rows = [
    ...previous.filter((l) => !after.has(l)).map((l) => ({ l, mark: '-' })),
    ...now.map((l) => ({ l, mark: before.has(l) ? ' ' : '+' })),
  ].sort((x, y) => {
    const d = startOf(x.l) - startOf(y.l);
    return d !== 0n ? (d < 0n ? -1 : 1) : x.mark === '-' ? -1 : 1;
  });
  for (const { l, mark } of rows) {
    if (mark === '+') console.log(green(`  + ${l}`));
    else if (mark === '-') console.log(red(`  - ${l}`));
    else console.log(`    ${l}`);
  }
  previous = now;
  task.checkInvariants();
}

/** One demo step: run it, say what it did and why, show the address space. */
function demo(call, explanation, run) {
  const r = run();
  console.log(`\n${bold(`${++step}. ${call}`)} = ${bold(show(r))}`);
  console.log(`   ${explanation}`);
  printMaps();
  return BigInt(r);
}

console.log(bold('\nvmspace: the Linux virtual-memory subsystem, simulated'));
console.log('A fresh simulated process, as the kernel oracle starts it (ASLR off). /proc/self/maps:');
printMaps();

const a = demo('mmap(NULL, 0x10000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)',
  'A 64 KiB anonymous region: top-down placement puts it just below the lowest mapping under mmap_base.',
  () => sys.mmap(0n, 0x10000n, RW, ANON, NO_FD, 0n));
const b = demo('mmap(NULL, 0x4000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS)',
  'A read-only region lands right below it; different permissions keep it a VMA of its own.',
  () => sys.mmap(0n, 0x4000n, PROT_READ, ANON, NO_FD, 0n));
const c = demo('mmap(NULL, 0x8000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)',
  'A third region, read-write, below the read-only one: three VMAs side by side.',
  () => sys.mmap(0n, 0x8000n, RW, ANON, NO_FD, 0n));
void b;
demo(`mprotect(${hex(a + 0x4000n)}, 0x4000, PROT_READ)`,
  'Making the middle of the first region read-only splits its VMA into three.',
  () => sys.mprotect(a + 0x4000n, 0x4000n, PROT_READ));
demo(`mprotect(${hex(a + 0x4000n)}, 0x4000, PROT_READ|PROT_WRITE)`,
  'Restoring the permissions makes the three pieces compatible again: they merge back into one VMA.',
  () => sys.mprotect(a + 0x4000n, 0x4000n, RW));
demo(`mmap(${hex(c + 0x2000n)}, 0x2000, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED)`,
  'MAP_FIXED replaces whatever was there: the third region is cut around the new executable mapping.',
  () => sys.mmap(c + 0x2000n, 0x2000n, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, NO_FD, 0n));
demo(`munmap(${hex(a + 0x8000n)}, 0x4000)`,
  'Unmapping the middle of the first region punches a hole: one VMA becomes two.',
  () => sys.munmap(a + 0x8000n, 0x4000n));
demo(`mremap(${hex(a)}, 0x8000, 0xc000, MREMAP_MAYMOVE)`,
  'Growing the lower piece: the hole above it is free, so it grows in place, fills the hole and merges with the upper piece.',
  () => sys.mremap(a, 0x8000n, 0xc000n, MREMAP_MAYMOVE, 0n));
const brk0 = BigInt(sys.brk(0n));
demo(`brk(${hex(brk0 + 0x21000n)})`,
  `brk(0) said the break is at ${hex(brk0)}; moving it up 132 KiB creates the [heap] VMA right there.`,
  () => sys.brk(brk0 + 0x21000n));

// ---- 3. memory: faults, copy-on-write, signals ----------------------------------------------------

const mem = task.mem;
const rssOf = (t, addr) => {
  const e = t.proc.smaps().find((x) => startOf(x.line) <= addr && addr < BigInt(`0x${x.line.slice(x.line.indexOf('-') + 1, x.line.indexOf(' '))}`));
  return e ? `Rss ${e.fields.Rss} kB, Pss ${e.fields.Pss} kB` : '(unmapped)';
};
console.log(`\n${bold(`${++step}. Memory: stores fault pages in, fork shares them copy-on-write`)}`);
const p = Number(a);
mem.store32(p, 0x11111111);
mem.store32(p + 0x1000, 0x22222222);
console.log(`   Two stores into the first region fault in two zeroed pages: ${rssOf(task, a)}.`);
const child = task.fork();
console.log(`   fork() = ${child.label}: the child shares both pages read-only; each process now has ${rssOf(task, a)}.`);
child.mem.store32(p, 0xcccccccc);
console.log(`   The child stores 0xcccccccc at ${hex(a)}: a COW fault gives it a private copy.`);
console.log(`   parent reads ${hex(mem.load32(p))}, child reads ${hex(child.mem.load32(p))}; parent ${rssOf(task, a)}, child ${rssOf(child, a)}.`);
try {
  mem.store8(Number(b) + 0x10, 1);
} catch (e) {
  console.log(`   A store to the read-only region raises ${e.signal} ${e.code} at ${hex(e.addr)}, as Linux would deliver it.`);
}
child.exit();
system.checkFrames();
console.log(`   The child exits; its private copy returns to the free list (every frame's counts checked).`);

// ---- 4. files: one page cache for read, write and mappings -------------------------------------

console.log(`\n${bold(`${++step}. Files: read(), write() and mappings share one page cache`)}`);
const text = (u8) => JSON.stringify(new TextDecoder().decode(u8));
const fd = sys.openat('notes', 0o102n, 0o644n); // O_RDWR|O_CREAT, in the scratch directory
sys.pwriteBuffer(BigInt(fd), new TextEncoder().encode('hello, page cache'), 0n);
const shared = task.fast.mmap(0, 0x2000, 3, 0x01, fd, 0); // PROT_READ|PROT_WRITE, MAP_SHARED
const priv = task.fast.mmap(0, 0x2000, 3, 0x02, fd, 0); // MAP_PRIVATE
console.log(`   open("notes") = ${fd}; pwrite wrote ${text(mem.read(shared, 17))}, which the MAP_SHARED mapping at ${hex(shared)} reads.`);
mem.store8(shared, 0x48);
const back = new Uint8Array(17);
sys.preadBuffer(BigInt(fd), back, 0n);
console.log(`   A store of 'H' through the mapping is what pread returns: ${text(back)}.`);
mem.store8(priv + 1, 0x45);
sys.pwriteBuffer(BigInt(fd), new TextEncoder().encode('!'), 17n);
console.log(`   The MAP_PRIVATE mapping copied its page at its first store ('E'), so a later write() of '!' reaches the file,`);
console.log(`   ${text(mem.read(shared, 18))}, and not the private copy, ${text(mem.read(priv, 17))}.`);
try {
  mem.load8(shared + 0x1000);
} catch (e) {
  console.log(`   The file is 18 bytes: its second page lies past EOF, so a load there raises ${e.signal} ${e.code} at ${hex(e.addr)}.`);
}
sys.unlinkat('notes', 0n);
console.log(`   unlink("notes") while mapped: ${task.proc.maps().find((l) => l.includes('notes')).slice(73)}`);
task.checkInvariants();
system.checkFrames();

// ---- 5. a device: the sg driver's mmap-ed IO over a simulated SCSI disk -----------------------

console.log(`\n${bold(`${++step}. A device: /dev/sg0, SCSI commands with mmap-ed IO (no copy)`)}`);
const { PatternStore, sgIo } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href);
const dev = system.addScsiDisk({ disk: { blocks: 2048, store: new PatternStore(2048 * 512) } });
const sg = sys.openat('/dev/sg0', 2n, 0n); // O_RDWR
const rsv = task.fast.mmap(0, 0x8000, 3, 0x01, sg, 0); // the 32 KiB reserved buffer, MAP_SHARED
const read10 = (lba, n) => Uint8Array.of(0x28, 0, 0, 0, lba >> 8, lba & 0xff, 0, 0, n, 0);
const r1 = sgIo(task.fds, sg, { cdb: read10(5, 8), direction: 'from-dev', dxferLen: 4096, flags: 4 }); // SG_FLAG_MMAP_IO
const lbaSeen = new DataView(mem.read(rsv, 8).buffer).getBigUint64(0);
console.log(`   mmap of the reserve: ${task.proc.maps().find((l) => l.endsWith('/dev/sg0'))}`);
console.log(`   READ(10) of blocks 5-12 with SG_FLAG_MMAP_IO: status ${r1.status}; the device wrote them into the mapped`);
console.log(`   reserve, whose first bytes now hold the pattern's LBA, ${lbaSeen} (no copy into the process's memory).`);
const r2 = sgIo(task.fds, sg, { cdb: read10(4000, 1), direction: 'from-dev', dxferLen: 512, flags: 4 });
console.log(`   Past the end of the 2048-block disk: status ${r2.status} (CHECK CONDITION), sense ${Buffer.from(r2.sense.subarray(0, 18)).toString('hex')}`);
console.log(`   (ILLEGAL REQUEST, LBA out of range). The mapping is VM_IO|VM_DONTEXPAND: mremap cannot grow it (${sys.mremap(BigInt(rsv), 0x8000n, 0x10000n, 1n, 0n)} = -EFAULT).`);
sys.close(BigInt(sg));
task.fast.munmap(rsv, 0x8000);
console.log(`   After close and munmap the driver freed the reserve: ${JSON.stringify(dev.stats)}.`);
console.log(`   Copy disks the way sg3_utils' sgm_dd does: ${dim('bin/vmspace sg-dd if=sim:256M of=sim:256M mmap=1 verify=1')}`);
task.checkInvariants();
system.checkFrames();

console.log(`\nEvery step above checked the address space's invariants. Run scenarios (spec/scenario.md) with`);
console.log(`  echo '{"op":"mmap","len":"0x3000","prot":"PROT_READ|PROT_WRITE","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}' | bin/vmspace run -`);

// ---- 6. the inspector over a real program's startup ------------------------------------------

const HTML = join(ROOT, 'inspector', 'dist', 'index.html');
if (!existsSync(HTML)) {
  console.log(dim('\nbuilding the inspector (npm run build:inspector) ...'));
  if (!sh('npm', ['run', 'build:inspector', '--silent'])) {
    console.error('npm start: building the inspector failed (see above)');
    process.exit(1);
  }
}
const page = '#example=replay-ls';
console.log(`\n${bold(`${++step}. The inspector: ls's startup, replayed from its strace log, step by step`)}`);
if (process.stdout.isTTY && !process.env.CI && !process.argv.includes('--no-serve')) {
  const { serve } = await import(pathToFileURL(join(ROOT, 'dist', 'cli', 'serve.js')).href);
  const say = (line) => {
    const url = line.match(/http:\/\/\S+/)?.[0] ?? '';
    console.log(`   Open ${bold(url + page)} in a browser (Ctrl-C to stop).`);
  };
  // The usual port, or any free one when it is taken.
  await serve(undefined, Number(process.env.PORT ?? 5173), say).catch(() => serve(undefined, 0, say));
} else {
  console.log(`   Open ${bold(pathToFileURL(HTML).href + page)} in a browser (one self-contained file),`);
  console.log(`   or serve it: ${dim('bin/vmspace serve')}`);
}

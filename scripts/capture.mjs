#!/usr/bin/env node
// Capture a real program for `vmspace replay`: builds tools/capture/vmspace-capture.c with the
// system cc (into .capture-build/), then runs it.
//
//   npm run capture -- OUT-PREFIX program [args...]
//
// writes OUT-PREFIX.strace, .maps, .smaps and .final-maps (see the C file's header). Needs Linux,
// a C compiler and strace; ptrace must be allowed (root, or kernel.yama.ptrace_scope 0).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'tools/capture/vmspace-capture.c');
const bin = path.join(root, '.capture-build/vmspace-capture');
const args = process.argv.slice(2);
if (args.length < 2) {
  process.stderr.write('usage: npm run capture -- OUT-PREFIX program [args...]\n');
  process.exit(2);
}
if (process.platform !== 'linux') {
  process.stderr.write('capture: needs Linux (ptrace, /proc, strace)\n');
  process.exit(2);
}
if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
  mkdirSync(path.dirname(bin), { recursive: true });
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
}
const r = spawnSync(bin, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);

#!/usr/bin/env node
// Writes src/kernel/vdso-image.ts: the [vdso] pages of this machine's kernel, read from this
// process's own mapping (/proc/self/mem). vmspace maps them where a start state has a [vdso], so
// loads and fetches there see the reference kernel's bytes (scenario fixtures compare them).
//
//   node scripts/dump-vdso.mjs        (on the reference machine: Linux 6.18 x86-64)
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[vdso]'));
if (!line) throw new Error('no [vdso] in /proc/self/maps');
const [start, end] = line.split(' ')[0].split('-').map((h) => BigInt('0x' + h));
const buf = Buffer.alloc(Number(end - start));
const fd = openSync('/proc/self/mem', 'r');
readSync(fd, buf, 0, buf.length, start);
closeSync(fd);
const b64 = buf.toString('base64');
const chunks = b64.match(/.{1,96}/g).map((c) => `  '${c}',`).join('\n');
writeFileSync(new URL('../src/kernel/vdso-image.ts', import.meta.url), `/**
 * The [vdso] image of the reference kernel (${os.release()}, ${os.arch()}), ${buf.length} bytes,
 * dumped by scripts/dump-vdso.mjs. Generated: do not edit.
 */
export const VDSO_KERNEL = '${os.release()}';

const BASE64 = [
${chunks}
].join('');

/** The vdso pages' bytes (decoded on first use). */
export function vdsoImage(): Uint8Array {
  const bin = atob(BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
`);
console.log(`wrote src/kernel/vdso-image.ts: ${buf.length} bytes from ${line}`);

/**
 * What a VMA is for, derived from its maps name and permissions the way pwndbg's `vmmap` colours
 * regions (stack, heap, executable code, writable data), and the palettes the views draw with.
 * Colours are the Okabe-Ito set, which stays distinguishable with the common colour-vision
 * deficiencies; every view also prints the role or perms as text, so colour is never the only cue.
 */

export type Role = 'code' | 'data' | 'heap' | 'stack' | 'anon' | 'file' | 'shared' | 'special';

export const ROLES: readonly Role[] = ['code', 'data', 'file', 'heap', 'stack', 'anon', 'shared', 'special'];

export const ROLE_COLOR: Readonly<Record<Role, string>> = {
  code: '#D55E00',
  data: '#CC79A7',
  file: '#009E73',
  heap: '#0072B2',
  stack: '#E69F00',
  anon: '#56B4E9',
  shared: '#F0E442',
  special: '#8c8c8c',
};

export const ROLE_TITLE: Readonly<Record<Role, string>> = {
  code: 'code (executable)',
  data: 'file data (writable private)',
  file: 'file, read-only',
  heap: '[heap]',
  stack: '[stack]',
  anon: 'anonymous',
  shared: 'shared (MAP_SHARED)',
  special: '[vdso] [vvar] [vsyscall]',
};

const SPECIAL = new Set(['[vdso]', '[vvar]', '[vvar_vclock]', '[vsyscall]']);

/**
 * The role of a VMA from its maps name and perms (`rw-p`). `fileBacked`: the line has a device
 * or inode, which tells a file from an anonymous VMA whose name is `[anon:...]` or empty.
 * Shared wins over code: a MAP_SHARED region is first of all shared between processes.
 */
export function roleOf(name: string, perms: string, fileBacked: boolean): Role {
  if (SPECIAL.has(name)) return 'special';
  if (name === '[stack]') return 'stack';
  if (name === '[heap]') return 'heap';
  if (perms[3] === 's') return 'shared';
  if (perms[2] === 'x') return 'code';
  if (fileBacked) return perms[1] === 'w' ? 'data' : 'file';
  return 'anon';
}

/** Permission lane colours: access rights only, `s`/`p` aside. W+X is the alarming red. */
export function permColor(perms: string): string {
  const r = perms[0] === 'r';
  const w = perms[1] === 'w';
  const x = perms[2] === 'x';
  if (w && x) return '#a50f15';
  if (x) return '#fd8d3c';
  if (w) return '#3182bd';
  if (r) return '#9ecae1';
  return '#e5e5e5';
}

export const PERM_LEGEND: readonly [string, string][] = [
  ['r--', permColor('r--')], ['rw-', permColor('rw-')], ['r-x', permColor('r-x')], ['rwx', permColor('rwx')],
  ['---', permColor('---')],
];

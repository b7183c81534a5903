/**
 * What identifies a host file in maps lines: st_dev split into major and minor as glibc's
 * gnu_dev_major()/gnu_dev_minor() do (64-bit dev_t: minor bits 0-7 and 20-43, major bits 8-19
 * and 44-63; a Linux kernel dev_t, as new_encode_dev() writes it, uses only bits 0-31), and the
 * inode number. Computed on bigint stats: `>> 32` on a JS number would shift by 0.
 */
import type { BigIntStats } from 'node:fs';

export interface HostIdentity {
  major: number;
  minor: number;
  ino: number;
  /** "dev:ino", the cache key of one host file. */
  key: string;
}

/** gnu_dev_major(): bits 8-19, and bits 44-63 above them. */
export function devMajor(dev: bigint): number {
  return Number(((dev & 0xfff00n) >> 8n) | ((dev & 0xfffff00000000000n) >> 32n));
}

/** gnu_dev_minor(): bits 0-7, and bits 20-43 above them. */
export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev & 0xffffff00000n) >> 12n));
}

export function hostIdentity(st: BigIntStats): HostIdentity {
  return { major: devMajor(st.dev), minor: devMinor(st.dev), ino: Number(st.ino), key: `${st.dev}:${st.ino}` };
}

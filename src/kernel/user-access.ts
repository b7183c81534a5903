/**
 * Process memory as drivers see it: copy_from_user()/copy_to_user() through the process's page
 * tables (faulting pages in as the kernel would), and pin_user_pages() for direct I/O, which
 * refuses VM_IO and VM_PFNMAP mappings (check_vma_flags(): EFAULT) and holds a reference on each
 * frame until it is unpinned. Also a host-memory stand-in, so the typed API drives the very same
 * driver code with Uint8Arrays.
 * Linux: include/linux/uaccess.h, mm/gup.c pin_user_pages_fast(), check_vma_flags().
 */
import { Errno } from '../abi/errno.js';
import type { UserAccess } from '../memmap/chardev.js';
import type { AddressSpace } from '../mm/address-space.js';
import { FAULT_NONE, unshareAnonPage } from '../mm/fault.js';
import { VM_IO, VM_PFNMAP, VM_READ, VM_SHARED, VM_WRITE } from '../mm/vma.js';
import { ACCESS_READ, ACCESS_WRITE, type Memory } from './memory.js';
import { sglRead, sglWrite } from '../scsi/sglist.js';

/** The top of user space (access_ok()). */
const TASK_SIZE = 0x7ffffffff000n;

function inUser(addr: bigint, len: number): boolean {
  return addr <= TASK_SIZE && BigInt(len) <= TASK_SIZE - addr;
}

/** A process's memory as a driver's UserAccess. */
export function guestUserAccess(mem: Memory, mm: AddressSpace): UserAccess {
  return {
    copyFrom(addr, len) {
      if (!inUser(addr, len)) return null;
      const out = new Uint8Array(len);
      const base = Number(addr);
      for (let done = 0; done < len;) {
        const a = base + done;
        const o = mem.translate(a, ACCESS_READ);
        if (o < 0) return null;
        const k = Math.min(len - done, 4096 - (a % 4096));
        out.set(mm.frames.u8.subarray(o, o + k), done);
        done += k;
      }
      return out;
    },
    copyTo(addr, src) {
      if (!inUser(addr, src.length)) return false;
      const base = Number(addr);
      for (let done = 0; done < src.length;) {
        const a = base + done;
        const o = mem.translate(a, ACCESS_WRITE);
        if (o < 0) return false;
        const k = Math.min(src.length - done, 4096 - (a % 4096));
        mm.frames.u8.set(src.subarray(done, done + k), o);
        done += k;
      }
      return true;
    },
    readToList(addr, len, list, at) {
      return listCopy(mem, mm, addr, len, list, at, false);
    },
    writeFromList(addr, len, list, at) {
      return listCopy(mem, mm, addr, len, list, at, true);
    },
    pin(addr, len, write) {
      if (!inUser(addr, len)) return -Errno.EFAULT;
      const base = Number(addr);
      const pages: [frame: number, off: number, n: number][] = [];
      const frames = mm.frames;
      const release = (): void => { for (const [f] of pages) frames.unpin(f); };
      for (let done = 0; done < len;) {
        const a = base + done;
        const v = mm.tree.find(a);
        const need = write ? VM_WRITE : VM_READ;
        // check_vma_flags(): no VMA, I/O or PFN mappings, or missing permission: EFAULT.
        if (v === undefined || (v.flags & (VM_IO | VM_PFNMAP)) !== 0 || (v.flags & need) === 0) {
          release();
          return -Errno.EFAULT;
        }
        let o = mem.translate(a, write ? ACCESS_WRITE : ACCESS_READ);
        // A read pin of a page this process shares copy-on-write unshares it first.
        if (o >= 0 && !write && (v.flags & VM_SHARED) === 0) {
          if (unshareAnonPage(mm, Math.floor(a / 4096)) !== FAULT_NONE) {
            release();
            return -Errno.ENOMEM;
          }
          o = mem.translate(a, ACCESS_READ);
        }
        if (o < 0) {
          release();
          return -Errno.EFAULT;
        }
        const k = Math.min(len - done, 4096 - (a % 4096));
        const f = Math.floor(o / 4096);
        frames.pin(f);
        pages.push([f, o % 4096, k]);
        done += k;
      }
      return {
        // Views are made at use: the frame slab may have grown since the pin.
        views: () => pages.map(([f, off, n]) => frames.u8.subarray(f * 4096 + off, f * 4096 + off + n)),
        unpin: release,
      };
    },
  };
}

/**
 * Copy between process memory [addr, addr+len) and a scatter-gather list: every page is faulted
 * in first (translate), then the list's views are made and the bytes move page by page.
 */
function listCopy(
  mem: Memory, mm: AddressSpace, addr: bigint, len: number, list: () => readonly Uint8Array[], at: number, toUser: boolean,
): boolean {
  if (!inUser(addr, len)) return false;
  const base = Number(addr);
  const offs: number[] = [];
  let ok = true;
  for (let done = 0; done < len;) {
    const a = base + done;
    const o = mem.translate(a, toUser ? ACCESS_WRITE : ACCESS_READ);
    if (o < 0) { ok = false; break; }
    offs.push(o);
    done += Math.min(len - done, 4096 - (a % 4096));
  }
  const l = list();
  const u8 = mm.frames.u8;
  let done = 0;
  for (const o of offs) {
    const k = Math.min(len - done, 4096 - ((base + done) % 4096));
    const page = u8.subarray(o, o + k);
    if (toUser) sglRead(l, at + done, page);
    else sglWrite(l, at + done, page);
    done += k;
  }
  return ok;
}

/**
 * Host buffers as "user memory": each buffer registered gets a pseudo address (slot << 40), so a
 * typed call can hand the driver addresses and see its copies and EFAULTs exactly as a process
 * would. Address 0 is NULL; anything outside a registered buffer faults.
 */
export class HostUserAccess implements UserAccess {
  private readonly bufs: Uint8Array[] = [];

  /** The pseudo address of `buf` (its byte 0). */
  register(buf: Uint8Array): bigint {
    this.bufs.push(buf);
    return BigInt(this.bufs.length) << 40n;
  }

  private locate(addr: bigint, len: number): [Uint8Array, number] | null {
    const slot = Number(addr >> 40n) - 1;
    const off = Number(addr & 0xffffffffffn);
    const b = this.bufs[slot];
    if (b === undefined || off + len > b.length) return null;
    return [b, off];
  }

  copyFrom(addr: bigint, len: number): Uint8Array | null {
    const l = this.locate(addr, len);
    return l === null ? null : l[0].slice(l[1], l[1] + len);
  }

  copyTo(addr: bigint, src: Uint8Array): boolean {
    const l = this.locate(addr, src.length);
    if (l === null) return false;
    l[0].set(src, l[1]);
    return true;
  }

  readToList(addr: bigint, len: number, list: () => readonly Uint8Array[], at: number): boolean {
    const l = this.locate(addr, len);
    if (l === null) return false;
    sglWrite(list(), at, l[0].subarray(l[1], l[1] + len));
    return true;
  }

  writeFromList(addr: bigint, len: number, list: () => readonly Uint8Array[], at: number): boolean {
    const l = this.locate(addr, len);
    if (l === null) return false;
    sglRead(list(), at, l[0].subarray(l[1], l[1] + len));
    return true;
  }

  pin(addr: bigint, len: number): { views(): Uint8Array[]; unpin(): void } | number {
    const l = this.locate(addr, len);
    if (l === null) return -Errno.EFAULT;
    const [b, off] = l;
    return { views: () => [b.subarray(off, off + len)], unpin: () => {} };
  }
}

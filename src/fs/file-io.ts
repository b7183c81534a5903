/**
 * read and write through the page cache: the same frames every mapping of the file maps, so a
 * write() is visible in MAP_SHARED mappings and in private pages not yet copied at once, and a
 * store through a shared mapping is what the next read() returns (spec §5.3, §5.7).
 * Linux: mm/filemap.c filemap_read(), filemap_get_pages(); mm/filemap.c generic_perform_write(),
 * generic_write_checks(); mm/shmem.c shmem_file_read_iter() for the RAM file systems.
 */
import { Errno } from '../abi/errno.js';
import { FRAME_DIRTY, type FramePool } from '../mem/frames.js';
import type { MmSystem } from '../mm/config.js';
import { addFolio, markFolioDirty } from '../mm/folio.js';
import { inodeFrame, raGeometry } from '../mm/page-cache.js';
import { asyncReadahead, markerAt, newRaState, syncReadahead } from '../mm/readahead.js';
import { truncatePagecache, zeroPastEof } from '../mm/truncate.js';
import { type Inode, MAX_FILE_SIZE } from './inode.js';
import type { OpenFile } from './open-file.js';

/**
 * The caller's side of a copy: a host buffer, or process memory (copy_to_user/copy_from_user:
 * a copy stops short at the first byte that faults). Page-cache bytes are given as offsets into
 * the frame slab, read after any fault the copy takes (a fault may grow the slab).
 */
export interface UserBuffer {
  /** Copy `n` bytes at slab offset `src` (zeroes when `src` < 0) to the buffer at byte `at`; the bytes copied. */
  copyOut(frames: FramePool, src: number, n: number, at: number): number;
  /**
   * Copy `n` bytes from the buffer at byte `at` to slab offset `dst` without taking a fault (a
   * page not mapped readable ends the copy): the bytes copied. (copy_folio_from_iter_atomic(): the
   * write path holds the folio lock and cannot fault.)
   */
  copyInAtomic(frames: FramePool, dst: number, n: number, at: number): number;
  /** Fault in the buffer's [at, at+n) for reading: the bytes now readable from `at` on. */
  faultIn(at: number, n: number): number;
}

/** A host Uint8Array as a UserBuffer (never faults); `buf` is set per use. */
export class HostBuffer implements UserBuffer {
  buf: Uint8Array;

  constructor(buf: Uint8Array = new Uint8Array(0)) {
    this.buf = buf;
  }

  copyOut(frames: FramePool, src: number, n: number, at: number): number {
    if (src < 0) this.buf.fill(0, at, at + n);
    else this.buf.set(frames.u8.subarray(src, src + n), at);
    return n;
  }

  copyInAtomic(frames: FramePool, dst: number, n: number, at: number): number {
    frames.u8.set(this.buf.subarray(at, at + n), dst);
    return n;
  }

  faultIn(_at: number, n: number): number {
    return n;
  }
}

/** Most pages one filemap_get_pages() batch holds (PAGEVEC_SIZE). */
const BATCH_PAGES = 31;

/**
 * Read up to `count` bytes at `pos` into `buf` (count already checked and clamped). Returns the
 * bytes read, or -EFAULT when the first copy faulted.
 */
export function fileRead(sys: MmSystem, file: OpenFile, pos: number, count: number, buf: UserBuffer): number {
  const inode = file.inode;
  if (inode.chardev !== undefined) return inode.chardev === 'zero' ? readZeroes(sys.frames, count, buf) : 0;
  if (count === 0 || pos >= MAX_FILE_SIZE) return 0;
  count = Math.min(count, MAX_FILE_SIZE - pos);
  const frames = sys.frames;
  const disk = inode.fs === 'ext4';
  const ra = disk ? (file.ra ??= newRaState()) : null;
  const g = raGeometry(sys, inode);
  let done = 0;
  let fault = false;
  while (done < count && !fault) {
    const p = pos + done;
    if (p >= inode.size) break;
    const index = Math.floor(p / 4096);
    const lastIndex = Math.ceil((pos + count) / 4096);
    let runEnd = index + 1;
    let staleAt = -1;
    if (ra !== null) {
      // filemap_get_pages(): a miss reads ahead; the batch is the run of cached pages from
      // `index`, ending after a page that is not up to date; its last folio may carry the
      // read-ahead marker.
      if (!inode.cached.has(index) && !inode.stale?.has(index)) syncReadahead(inode, ra, g, index, lastIndex - index);
      // filemap_get_read_batch() ends the batch after a page that is not up to date and after
      // the PG_readahead folio, so the marker is always the batch's last folio.
      runEnd = index;
      let marker: [number, number] | undefined;
      while (runEnd < lastIndex && runEnd - index < BATCH_PAGES && (inode.cached.has(runEnd) || inode.stale?.has(runEnd))) {
        const stale = inode.stale?.has(runEnd) ?? false;
        if (stale) staleAt = runEnd;
        marker = markerAt(inode, runEnd);
        runEnd++;
        if (stale || marker !== undefined) break;
      }
      if (runEnd === index) {
        inode.cached.add(index); // filemap_create_folio()
        runEnd = index + 1;
      }
      if (marker !== undefined) asyncReadahead(inode, ra, g, marker[0], marker[1], marker[0], lastIndex - marker[0]);
    } else if (inode.pages.has(index) || inode.backing !== undefined) {
      inode.cached.add(index);
    }
    // Copy the batch, one copy per run of pages whose bytes lie back to back in the slab (a file
    // written in order usually has consecutive frames) or per run of holes.
    let runSrc = 0;
    let runLen = 0;
    let at = done;
    let oom = false;
    for (let i = index; i < runEnd && at < count; i++) {
      const q = pos + at;
      if (q >= inode.size) break;
      if (i === staleAt) {
        // The page that is not up to date is read when the copy gets to it: a copy that faulted
        // before leaves it as it was (recorded: fuzz seed 70587).
        if (runLen > 0) {
          const c = buf.copyOut(frames, runSrc, runLen, done);
          done += c;
          runLen = 0;
          if (done < at) { fault = true; break; }
        }
        inode.stale?.delete(i);
        inode.cached.add(i);
      }
      const off = q % 4096;
      const n = Math.min(4096 - off, count - at, inode.size - q);
      // A hole of a file without a backing store reads as zeroes without taking a frame.
      let f = inode.pages.get(i);
      if (f === undefined && inode.backing !== undefined) {
        f = inodeFrame(sys, inode, i);
        if (f < 0) { oom = true; break; }
      }
      const src = f === undefined ? -1 : f * 4096 + off;
      if (runLen > 0 && (src < 0 ? runSrc < 0 : runSrc >= 0 && runSrc + runLen === src)) {
        runLen += n;
      } else {
        if (runLen > 0) {
          const c = buf.copyOut(frames, runSrc, runLen, done);
          done += c;
          if (c < runLen) { fault = true; runLen = 0; break; }
        }
        runSrc = src;
        runLen = n;
      }
      at += n;
    }
    if (runLen > 0 && !fault) {
      const c = buf.copyOut(frames, runSrc, runLen, done);
      done += c;
      if (c < runLen) fault = true;
    }
    if (oom && !fault) return done > 0 ? done : -Errno.ENOMEM; // a backing page had no memory
  }
  // filemap_read(): prev_pos is the position after the last copy tried, a failed one included
  // (fuzz seed 960110).
  if (ra !== null && (done > 0 || fault)) ra.prevPos = pos + done;
  if (done === 0 && fault) return -Errno.EFAULT;
  return done;
}

function readZeroes(frames: FramePool, count: number, buf: UserBuffer): number {
  let done = 0;
  while (done < count) {
    const n = Math.min(4096, count - done);
    const c = buf.copyOut(frames, -1, n, done);
    done += c;
    if (c < n) return done > 0 ? done : -Errno.EFAULT;
  }
  return done;
}

/**
 * Write `count` bytes from `buf` at `pos` (the caller puts an O_APPEND write at the end). Returns
 * the bytes written, -EFBIG past the largest file size, -EFAULT when nothing could be copied.
 * Linux: generic_write_checks(), generic_perform_write().
 */
export function fileWrite(sys: MmSystem, file: OpenFile, pos: number, count: number, buf: UserBuffer): number {
  const inode = file.inode;
  if (inode.chardev !== undefined) return count;
  if (count === 0) return 0;
  if (pos >= MAX_FILE_SIZE) return -Errno.EFBIG;
  count = Math.min(count, MAX_FILE_SIZE - pos);
  const frames = sys.frames;
  if (pos > inode.size) zeroPastEof(sys, inode, inode.size, pos);
  let done = 0;
  let retried = -1;
  while (done < count) {
    const p = pos + done;
    const index = Math.floor(p / 4096);
    const off = p % 4096;
    const n = Math.min(4096 - off, count - done);
    // write_begin: the page-cache folio is there (and stays, even if nothing gets copied).
    let f: number;
    if (inode.fs === 'ext4') {
      f = writeBegin(sys, inode, index, count - done);
    } else {
      f = inodeFrame(sys, inode, index);
      inode.stale?.delete(index);
      inode.cached.add(index);
    }
    if (f < 0) return done > 0 ? done : -Errno.ENOMEM;
    const c = buf.copyInAtomic(frames, f * 4096 + off, n, done);
    if (c === 0) {
      // block_write_end() of nothing still commits [pos, pos): __block_commit_write() dirties a
      // block that range lies inside of, so a failed write starting off a block boundary dirties
      // its page (recorded: files-io/efault-write-dirties-block, fuzz seed 4600058).
      if (inode.fs === 'ext4' && off !== 0) {
        frames.flags[f] |= FRAME_DIRTY;
        markFolioDirty(frames, inode, index);
      }
      // write_end with nothing copied: ext4 still moves i_size up to the write position
      // (ext4_da_do_write_end(): new_i_size = pos + copied). Then the source is faulted in, with
      // that size (recorded: a pwrite from a mapping of the same file's pages past the old EOF
      // succeeds after a failed one moved the size), and the copy is retried.
      if (inode.fs === 'ext4' && p > inode.size) {
        zeroPastEof(sys, inode, inode.size, p);
        inode.size = p;
        inode.backing?.setSize(p);
      }
      // (A page that faults in but still cannot be copied from ends the write, not the loop.)
      if (retried === done || buf.faultIn(done, n) === 0) break;
      retried = done;
      continue;
    }
    frames.flags[f] |= FRAME_DIRTY;
    markFolioDirty(frames, inode, index);
    done += c;
    if (p + c > inode.size) {
      inode.size = p + c;
      inode.backing?.setSize(inode.size);
    }
    if (inode.backing !== undefined) {
      // The host sees write()s at once, as other processes see Linux's page cache.
      const m = Math.min(4096, inode.size - index * 4096);
      inode.backing.writePage(index, frames.u8.subarray(f * 4096, f * 4096 + m));
    }
  }
  return done > 0 ? done : -Errno.EFAULT;
}

/**
 * ext4's write_begin for a write of `bytes` more bytes at page `index`: a folio sized by the
 * write (fgf_set_order(): the largest power of two in it, aligned at `index`, never over a page
 * already cached) enters the page cache; the holes it covers get blocks, and their new buffers
 * are dirty even if the copy then fails (__block_write_begin_int(), folio_zero_new_buffers();
 * recorded: fuzz seeds 1015, 40606). Page `index` is then cached (up to date): its frame, or -1
 * without memory.
 * Linux: mm/filemap.c __filemap_get_folio(FGP_WRITEBEGIN), fs/ext4/inode.c ext4_da_write_begin().
 */
function writeBegin(sys: MmSystem, inode: Inode, index: number, bytes: number): number {
  if (inode.cached.has(index)) {
    markNewBlock(sys, inode, index);
    return inodeFrame(sys, inode, index);
  }
  if (inode.stale?.has(index)) {
    markNewBlock(sys, inode, index);
    const f = inodeFrame(sys, inode, index);
    if (f >= 0) {
      inode.stale.delete(index);
      inode.cached.add(index);
    }
    return f;
  }
  // The write chunk stops at the next 2 MiB boundary (mapping_max_folio_size()).
  const inChunk = Math.min(bytes, 0x200000 - (index % 512) * 4096);
  let order = Math.max(0, Math.floor(Math.log2(inChunk)) - 12);
  while (order > 0 && index % 2 ** order !== 0) order--;
  for (; order > 0; order--) {
    let clash = false;
    for (let i = index + 1; i < index + 2 ** order; i++) if (inode.cached.has(i) || inode.stale?.has(i)) { clash = true; break; }
    if (!clash) break;
  }
  for (let i = index; i < index + 2 ** order; i++) {
    if (inodeFrame(sys, inode, i) < 0) return -1;
    inode.stale?.delete(i);
    inode.cached.add(i);
    markNewBlock(sys, inode, i);
  }
  addFolio(inode, index, 2 ** order);
  return inode.pages.get(index)!;
}

/** A hole under a write gets its block, and its page is dirty from then on. */
function markNewBlock(sys: MmSystem, inode: Inode, index: number): void {
  const blocks = (inode.blocks ??= new Set());
  if (blocks.has(index)) return;
  blocks.add(index);
  const f = inodeFrame(sys, inode, index);
  if (f >= 0) sys.frames.flags[f] |= FRAME_DIRTY;
  markFolioDirty(sys.frames, inode, index);
}

/** ftruncate/O_TRUNC: the new size, applied to the page cache, every mapping and the backing store. */
export function truncateFile(sys: MmSystem, inode: Inode, size: number): void {
  truncatePagecache(sys, inode, size);
  // ext4_truncate() (run even when the size stays 0) arms the flush on close (auto_da_alloc).
  if (size === 0 && inode.fs === 'ext4') inode.daAllocClose = true;
  inode.backing?.setSize(size);
}

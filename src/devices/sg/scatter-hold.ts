/**
 * A kernel-side data buffer of the sg driver (Sg_scatter_hold): the per-fd reserved buffer, or a
 * temporary buffer a request builds when the reserve is busy or too small. Its bytes live in page
 * frames of the system's frame pool, so an mmap of the reserve maps the very frames the simulated
 * device reads and writes — mmap-ed I/O moves no byte through a copy. `bufflen` is the size the
 * driver reports (a multiple of 512); the frames cover it rounded up to a page.
 * Linux: drivers/scsi/sg.c sg_build_indirect(), sg_remove_scat(), sg_build_reserve().
 */
import type { FramePool } from '../../mem/frames.js';

const PAGE = 4096;

export class ScatterHold {
  /** The frames, in buffer order (one reference each is the buffer's). */
  private frames: number[] = [];
  /** The buffer's size in bytes (a multiple of 512); 0 when empty. */
  bufflen = 0;

  constructor(private readonly pool: FramePool) {}

  /**
   * Build a zero-filled buffer of `size` bytes rounded up to 512 (sg_build_indirect()); false
   * when frames run out (nothing is kept then).
   */
  build(size: number): boolean {
    this.free();
    const bufflen = Math.ceil(size / 512) * 512;
    const pages = Math.ceil(bufflen / PAGE);
    const got: number[] = [];
    for (let i = 0; i < pages; i++) {
      const f = this.pool.allocZeroed();
      if (f < 0) {
        for (const g of got) this.pool.put(g);
        return false;
      }
      got.push(f);
    }
    this.frames = got;
    this.bufflen = bufflen;
    return true;
  }

  /** Give the frames back (sg_remove_scat()). */
  free(): void {
    for (const f of this.frames) this.pool.put(f);
    this.frames = [];
    this.bufflen = 0;
  }

  /** The frame behind byte `offset`'s page, or -1 past the buffer (the mmap fault handler's lookup). */
  frameAt(offset: number): number {
    if (offset < 0 || offset >= this.bufflen) return -1;
    return this.frames[Math.floor(offset / PAGE)];
  }

  /**
   * The buffer's first `len` bytes as views of its frames (a scatter-gather list). Views are
   * made anew for each use: the frame slab they point into may have grown since.
   */
  views(len: number): Uint8Array[] {
    const u8 = this.pool.u8;
    const out: Uint8Array[] = [];
    for (let i = 0, at = 0; at < len; i++, at += PAGE) {
      const o = this.frames[i] * PAGE;
      out.push(u8.subarray(o, o + Math.min(PAGE, len - at)));
    }
    return out;
  }
}

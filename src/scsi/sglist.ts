/**
 * Scatter-gather data buffers: the target sees a command's data buffer as a list of byte
 * segments, as a Linux low-level driver sees `scsi_sglist()`. The sg driver passes 4096-byte views
 * of the page frames of its reserve, or one view of a host buffer; segments may have any length.
 *
 * Every copy is a TypedArray.set over subarrays, one per touched segment, never a byte loop: the
 * READ path copies megabytes through here. Linux: lib/scatterlist.c sg_copy_buffer(),
 * sg_pcopy_from_buffer().
 */

/** A data buffer as segments; byte `i` of the buffer is found by walking them in order. */
export type SgList = readonly Uint8Array[];

/** Total bytes of the list (scsi_bufflen()). */
export function sglLength(sgl: SgList): number {
  let n = 0;
  for (let i = 0; i < sgl.length; i++) n += sgl[i].length;
  return n;
}

/**
 * Calls `visit(view, at)` for each piece of the list that holds bytes [offset, offset + length),
 * in order; `view` is a subarray of one segment and `at` its position relative to `offset`.
 * Stops at the end of the list. Returns the bytes visited (less than `length` when the list is
 * shorter). This is the zero-copy walk: the disk reads its medium straight into `view`.
 */
export function sglSegments(
  sgl: SgList,
  offset: number,
  length: number,
  visit: (view: Uint8Array, at: number) => void,
): number {
  if (length <= 0 || offset < 0) return 0;
  let skip = offset;
  let done = 0;
  for (let i = 0; i < sgl.length && done < length; i++) {
    const seg = sgl[i];
    const len = seg.length;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, length - done);
    visit(skip === 0 && n === len ? seg : seg.subarray(skip, skip + n), done);
    done += n;
    skip = 0;
  }
  return done;
}

/**
 * Copies `src` into the list starting at byte `offset` of the list (data-in: device to buffer).
 * Copies what fits; returns the bytes copied. Linux: sg_pcopy_from_buffer().
 */
export function sglWrite(sgl: SgList, offset: number, src: Uint8Array): number {
  return sglSegments(sgl, offset, src.length, (view, at) => {
    view.set(view.length === src.length ? src : src.subarray(at, at + view.length));
  });
}

/**
 * Copies bytes of the list starting at byte `offset` of the list into `dst` (data-out: buffer
 * to device). Copies what the list holds; returns the bytes copied. Linux: sg_pcopy_to_buffer().
 */
export function sglRead(sgl: SgList, offset: number, dst: Uint8Array): number {
  return sglSegments(sgl, offset, dst.length, (view, at) => dst.set(view, at));
}

/**
 * The medium behind the simulated disk: a byte-addressed store the target reads blocks from and
 * writes blocks to. scsi_debug keeps one vzalloc'ed array (sdeb_store_info.storep); a simulated
 * disk may be terabytes, so the stores here are sparse and cost nothing until written.
 *
 * Linux: drivers/scsi/scsi_debug.c sdebug_add_store(), do_device_access().
 */

/**
 * A medium of `size` bytes. Offsets and lengths passed in are always within `size` (the target
 * checks LBAs first). A store signals a host I/O failure by throwing; the target turns that into
 * MEDIUM ERROR sense and never lets it escape.
 */
export interface BlockStore {
  readonly size: number;
  /** Fills `dst` with bytes [offset, offset + dst.length). */
  read(offset: number, dst: Uint8Array): void;
  /** Stores `src` at [offset, offset + src.length). */
  write(offset: number, src: Uint8Array): void;
  /** Makes written bytes durable (SYNCHRONIZE CACHE). */
  flush?(): void;
}

/** Allocation unit of the sparse stores. */
export const STORE_CHUNK = 1 << 20;

function checkSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`store size ${size}: not a byte count`);
  return size;
}

/**
 * Calls `fn(chunk index, offset within it, position in the transfer, bytes)` for each chunk the
 * byte range [offset, offset + length) touches, in order.
 */
function eachChunk(offset: number, length: number, fn: (idx: number, within: number, pos: number, n: number) => void): void {
  for (let pos = 0; pos < length;) {
    const o = offset + pos;
    const idx = Math.floor(o / STORE_CHUNK);
    const within = o - idx * STORE_CHUNK;
    const n = Math.min(STORE_CHUNK - within, length - pos);
    fn(idx, within, pos, n);
    pos += n;
  }
}

/**
 * A sparse RAM medium: 1 MiB chunks allocated on their first write; bytes never written read as
 * zero, like scsi_debug's zero-filled store. A 4 GiB disk costs nothing until written.
 */
export class RamStore implements BlockStore {
  readonly size: number;
  /** Chunk index -> its bytes (the last chunk may be shorter than STORE_CHUNK). */
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(size: number) {
    this.size = checkSize(size);
  }

  /** Bytes of backing memory allocated so far (chunks × their length). */
  get allocatedBytes(): number {
    let n = 0;
    for (const c of this.chunks.values()) n += c.length;
    return n;
  }

  /** Number of chunks allocated so far. */
  get allocatedChunks(): number {
    return this.chunks.size;
  }

  read(offset: number, dst: Uint8Array): void {
    eachChunk(offset, dst.length, (idx, within, pos, n) => {
      const chunk = this.chunks.get(idx);
      if (chunk !== undefined) dst.set(chunk.subarray(within, within + n), pos);
      else this.fillUnwritten(n === dst.length ? dst : dst.subarray(pos, pos + n), offset + pos);
    });
  }

  write(offset: number, src: Uint8Array): void {
    eachChunk(offset, src.length, (idx, within, pos, n) => {
      let chunk = this.chunks.get(idx);
      if (chunk === undefined) {
        const base = idx * STORE_CHUNK;
        chunk = new Uint8Array(Math.min(STORE_CHUNK, this.size - base));
        this.initChunk(chunk, base);
        this.chunks.set(idx, chunk);
      }
      chunk.set(n === src.length ? src : src.subarray(pos, pos + n), within);
    });
  }

  /** What never-written bytes [offset, offset + dst.length) read as. */
  protected fillUnwritten(dst: Uint8Array, offset: number): void {
    void offset;
    dst.fill(0);
  }

  /** Gives a newly allocated chunk (zeroed) the contents never-written bytes have. */
  protected initChunk(chunk: Uint8Array, offset: number): void {
    void chunk;
    void offset;
  }
}

// ---- The deterministic pattern ---------------------------------------------------------------

/** ramp[i] = i mod 256, long enough for any tail start (blockSize + 256 bytes), per block size. */
const ramps = new Map<number, Uint8Array>();
function rampFor(blockSize: number): Uint8Array {
  let r = ramps.get(blockSize);
  if (r === undefined) {
    r = new Uint8Array(blockSize + 256);
    for (let i = 0; i < r.length; i++) r[i] = i & 0xff;
    ramps.set(blockSize, r);
  }
  return r;
}

function checkPatternBlockSize(blockSize: number): number {
  if (!Number.isInteger(blockSize) || blockSize < 8 || blockSize > STORE_CHUNK) {
    throw new RangeError(`pattern block size ${blockSize}: must be an integer in 8..${STORE_CHUNK}`);
  }
  return blockSize;
}

/**
 * Writes the pattern of bytes [offset, offset + dst.length) into `dst`. With B = blockSize, the
 * byte at medium offset o has lba = floor(o / B) and k = o mod B, and holds
 *   k < 8:  byte k of lba as a 64-bit big-endian number (so every block starts with its LBA);
 *   k ≥ 8:  (k + 3 × lba) mod 256.
 * Each block piece is a header loop of at most 8 bytes and one set() from a ramp.
 */
function patternFill(dst: Uint8Array, offset: number, blockSize: number): void {
  const ramp = rampFor(blockSize);
  const len = dst.length;
  let p = 0;
  while (p < len) {
    const o = offset + p;
    const lba = Math.floor(o / blockSize);
    const k = o - lba * blockSize;
    const n = Math.min(blockSize - k, len - p);
    const stop = k + n;
    let j = k;
    if (j < 8) {
      const hi = Math.floor(lba / 0x100000000);
      const lo = lba % 0x100000000;
      for (; j < 8 && j < stop; j++) {
        dst[p + j - k] = j < 4 ? (hi >>> (8 * (3 - j))) & 0xff : (lo >>> (8 * (7 - j))) & 0xff;
      }
    }
    if (j < stop) {
      const s = (3 * (lba % 256)) % 256;
      dst.set(ramp.subarray(j + s, stop + s), p + j - k);
    }
    p += n;
  }
}

/**
 * The pattern bytes [offset, offset + length) of a PatternStore with this block size, recomputed
 * (for verifiers). See patternFill for the definition.
 */
export function patternBytes(offset: number, length: number, blockSize = 512): Uint8Array {
  checkPatternBlockSize(blockSize);
  const out = new Uint8Array(length);
  patternFill(out, offset, blockSize);
  return out;
}

/**
 * A medium pre-filled with a deterministic pattern (patternFill: each `blockSize` block starts
 * with its LBA as 8 big-endian bytes, then (k + 3 × lba) mod 256 at byte k), so a reader can
 * check it got the right blocks without writing them first. Writes go to a sparse overlay of
 * 1 MiB chunks, each materialised with the pattern on its first write.
 */
export class PatternStore extends RamStore {
  readonly blockSize: number;

  constructor(size: number, blockSize = 512) {
    super(size);
    this.blockSize = checkPatternBlockSize(blockSize);
  }

  protected override fillUnwritten(dst: Uint8Array, offset: number): void {
    patternFill(dst, offset, this.blockSize);
  }

  protected override initChunk(chunk: Uint8Array, offset: number): void {
    patternFill(chunk, offset, this.blockSize);
  }
}

/**
 * A simulated SCSI disk's medium kept in a host file: the image persists across runs and can be
 * inspected with ordinary tools. Positional I/O only (no file offset to keep in step); the file is
 * created if missing and extended to the medium size (sparse where the host filesystem allows),
 * never shrunk. SYNCHRONIZE CACHE reaches it as flush() → fsync.
 *
 * Host failures throw from read/write/flush; the target turns them into MEDIUM ERROR sense.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { BlockStore } from '../../src/scsi/store.js';

export interface HostFileStoreOptions {
  /** Open read-only (the file must exist and be at least `size` bytes); writes then throw. */
  readOnly?: boolean;
}

export class HostFileStore implements BlockStore {
  readonly size: number;
  readonly path: string;
  readonly readOnly: boolean;
  private fd: number;

  constructor(path: string, size: number, opts: HostFileStoreOptions = {}) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`HostFileStore: size ${size} is not a byte count`);
    this.path = path;
    this.size = size;
    this.readOnly = opts.readOnly ?? false;
    // O_CREAT without O_TRUNC: an existing image is kept, a missing one created.
    this.fd = openSync(path, this.readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      const have = fstatSync(this.fd).size;
      if (have < size) {
        if (this.readOnly) throw new RangeError(`HostFileStore: ${path} has ${have} bytes, the medium needs ${size}`);
        ftruncateSync(this.fd, size);
      }
    } catch (e) {
      closeSync(this.fd);
      this.fd = -1;
      throw e;
    }
  }

  /** Whether close() has not been called yet. */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  read(offset: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = readSync(this.openFd(), dst, done, dst.length - done, offset + done);
      if (n === 0) {
        // The file was cut short behind our back: what is missing reads as zeros.
        dst.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    let done = 0;
    while (done < src.length) {
      done += writeSync(this.openFd(), src, done, src.length - done, offset + done);
    }
  }

  flush(): void {
    fsyncSync(this.openFd());
  }

  /** Closes the host descriptor; later I/O throws. */
  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private openFd(): number {
    if (this.fd < 0) throw new Error(`HostFileStore: ${this.path} is closed`);
    return this.fd;
  }
}


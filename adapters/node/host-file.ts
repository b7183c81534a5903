/**
 * The page backing of one host regular file: the store a simulated inode's page cache reads on a
 * miss and writes dirty pages back to. One host descriptor per inode, opened on first use
 * (O_RDWR, or O_RDONLY where the host refuses writing or the mount is read-only), used with
 * positional reads and writes only, so it has no file offset to keep in step.
 *
 * PageBacking has no way to return an error to the core (a Linux read error would be SIGBUS or
 * EIO, a write-back error EIO from the next fsync). A failed host call therefore never throws
 * into the middle of a fault, a write or an exit: it is reported (HostMount.errors, onError), a
 * failed read leaves the page zeroed, a failed write-back leaves the host file as it was.
 */
import { closeSync, constants, ftruncateSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import type { PageBacking } from '../../src/index.js';

const PAGE = 4096;

/** A host I/O failure the core could not be told about. */
export interface HostIoError {
  op: 'open' | 'read' | 'write' | 'truncate';
  /** The simulated path (as maps shows it) and the host path. */
  path: string;
  hostPath: string;
  /** The page, for reads and writes. */
  index?: number;
  error: Error;
}

export class HostFile implements PageBacking {
  private fd = -1;
  private fdWritable = false;

  constructor(
    /** Where the data is on the host (the first name it was found under). */
    readonly hostPath: string,
    /** The simulated path, for error reports. */
    readonly path: string,
    private readonly readOnly: boolean,
    private readonly report: (e: HostIoError) => void,
  ) {}

  /** Whether a host descriptor is open. */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Take over a descriptor opened elsewhere (the O_CREAT|O_EXCL open that made the file). */
  adopt(fd: number, writable: boolean): void {
    this.close();
    this.fd = fd;
    this.fdWritable = writable;
  }

  /**
   * The host descriptor, opened if need be; -1 (reported) when the host refuses. With `write`
   * a read-only descriptor is reopened read-write.
   */
  open(write = false): number {
    if (this.fd >= 0 && (this.fdWritable || !write)) return this.fd;
    if (this.fd >= 0 && this.readOnly) return this.fd; // the write itself reports EROFS
    this.close();
    if (!this.readOnly) {
      try {
        this.fd = openSync(this.hostPath, constants.O_RDWR);
        this.fdWritable = true;
        return this.fd;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS' && code !== 'ETXTBSY') {
          this.report({ op: 'open', path: this.path, hostPath: this.hostPath, error: e as Error });
          return -1;
        }
      }
    }
    try {
      this.fd = openSync(this.hostPath, constants.O_RDONLY);
      this.fdWritable = false;
    } catch (e) {
      this.report({ op: 'open', path: this.path, hostPath: this.hostPath, error: e as Error });
      return -1;
    }
    return this.fd;
  }

  /** Close the host descriptor (the next use reopens it by path). */
  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.fdWritable = false;
    try {
      closeSync(fd);
    } catch {
      // EBADF/EIO at close: nothing left to do with the descriptor.
    }
  }

  readPage(index: number, dst: Uint8Array): void {
    const fd = this.open();
    if (fd < 0) return;
    try {
      let done = 0;
      while (done < PAGE) {
        const n = readSync(fd, dst, done, PAGE - done, index * PAGE + done);
        if (n === 0) break; // end of the host file: the rest stays zero
        done += n;
      }
    } catch (e) {
      dst.fill(0);
      this.report({ op: 'read', path: this.path, hostPath: this.hostPath, index, error: e as Error });
    }
  }

  writePage(index: number, src: Uint8Array): void {
    if (!this.writable('write', index)) return;
    try {
      let done = 0;
      while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, index * PAGE + done);
    } catch (e) {
      this.report({ op: 'write', path: this.path, hostPath: this.hostPath, index, error: e as Error });
    }
  }

  setSize(size: number): void {
    if (!this.writable('truncate')) return;
    try {
      ftruncateSync(this.fd, size);
    } catch (e) {
      this.report({ op: 'truncate', path: this.path, hostPath: this.hostPath, error: e as Error });
    }
  }

  /** MADV_REMOVE: the pages read zero from now on (node:fs has no fallocate: zeroes are written). */
  punchHole(first: number, n: number): void {
    if (!this.writable('write', first)) return;
    try {
      const size = fstatSync(this.fd).size;
      const end = Math.min(size, (first + n) * PAGE);
      const zero = new Uint8Array(PAGE);
      for (let at = first * PAGE; at < end; at += PAGE) writeSync(this.fd, zero, 0, Math.min(PAGE, end - at), at);
    } catch (e) {
      this.report({ op: 'write', path: this.path, hostPath: this.hostPath, index: first, error: e as Error });
    }
  }

  /** Nothing holds the file open or mapped: the host descriptor closes (reopened on demand). */
  release(): void {
    this.close();
  }

  /** Open for writing, or report why not. */
  private writable(op: 'write' | 'truncate', index?: number): boolean {
    if (this.readOnly) {
      const error = Object.assign(new Error(`EROFS: read-only host mount, ${op} '${this.hostPath}'`), { code: 'EROFS' });
      this.report({ op, path: this.path, hostPath: this.hostPath, ...(index !== undefined ? { index } : {}), error });
      return false;
    }
    if (this.open(true) < 0) return false;
    if (!this.fdWritable) {
      const error = Object.assign(new Error(`EACCES: host file opened read-only, ${op} '${this.hostPath}'`), { code: 'EACCES' });
      this.report({ op, path: this.path, hostPath: this.hostPath, ...(index !== undefined ? { index } : {}), error });
      return false;
    }
    return true;
  }
}

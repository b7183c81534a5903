/**
 * The data path for emulators: loads, stores and instruction fetches through a software TLB, bulk
 * copies, and direct views of guest pages. One Memory per process (Task.mem), and a Memory32
 * (Task.mem32) whose TLB hit test is tuned for 32-bit guests.
 *
 * The hot path is what perf.md §4.4 measured as the fastest shape: `off = addr & 4095`, a slot
 * `(addr >>> 12) & 255`, one compare of the slot's tag against the page base `addr - off` (no
 * page-number division for 64-bit addresses), one Int32Array load of the frame's byte offset and
 * one DataView access into the single frame slab. A first-level miss asks a second-level TLB of
 * 4096 entries inline (a CPU's STLB; a refill from it costs about what a raw load does that
 * misses the host's caches); anything else — a page-table walk through a cache of its leaves, a
 * page-crossing access, an invalid address, a fault — is one out-of-line call, miss(). Only a
 * PTE without the needed bits takes the page fault as Linux would (src/mm/fault.ts).
 *
 * Separate read, write and exec TLBs: a slot enters the write TLB only once its PTE is writable
 * and dirty, so a store that hits never needs to track dirtiness or copy-on-write (Unicorn's
 * lesson). The mm flushes every TLB whenever a PTE is removed, downgraded or replaced.
 *
 * Faults throw GuestFault (signal, si_code, si_addr). Addresses are numbers: integers in
 * [0, 2^64); above 2^53 only page-aligned-ish values are exact, which only matters for kernel-half
 * addresses that fault anyway.
 */
import type { SiCodeName, SignalName } from '../abi/signal.js';
import type { FramePool } from '../mem/frames.js';
import {
  PTE_DIRTY, PTE_EXEC, PTE_FRAME_SHIFT, PTE_PRESENT, PTE_READ, PTE_WRITE, PTE_YOUNG,
} from '../mem/page-table.js';
import type { AddressSpace, TlbHolder } from '../mm/address-space.js';
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, type Access, FAULT_ACCERR, FAULT_MAPERR, FAULT_NONCANONICAL, FAULT_NONE,
  FAULT_OOM, FAULT_SIGBUS, handleUserFault,
} from '../mm/fault.js';

const SLOTS = 256;
/**
 * Second-level TLB entries (a CPU's STLB): page bases and their PTEs, looked up when the
 * first-level TLB misses. 4096 entries cover 16 MiB.
 */
const L2_SLOTS = 4096;
/** Page-table leaves (2 MiB regions) cached for TLB refills. */
const LEAF_SLOTS = 64;
// The PTE bits a TLB entry needs, as module constants: TurboFan folds these, while an imported
// binding is re-read from its module cell (with a TDZ check) on every refill.
const NEED_READ = PTE_PRESENT | PTE_READ | PTE_YOUNG;
const NEED_WRITE = PTE_PRESENT | PTE_WRITE | PTE_YOUNG | PTE_DIRTY;
const NEED_EXEC = PTE_PRESENT | PTE_EXEC | PTE_YOUNG;
// The access codes likewise: an imported one passed to miss() from a hot method left a TDZ
// check in the caller's loop, and a TLB-hit load32 measured 1.8x raw instead of 1.6x.
const READ = ACCESS_READ;
const WRITE = ACCESS_WRITE;
const EXEC = ACCESS_EXEC;
const FRAME_SHIFT = PTE_FRAME_SHIFT;
/** Slab views cached for copies. */
const VIEW_SLOTS = 64;
const TWO_32 = 4294967296;
const TWO_64 = 18446744073709551616;
/** The page number of page base `base` for the integer tags (rVpn, l2Vpn), -1 at or above 2^32. */
function vpn32Of(base: number): number {
  return base < TWO_32 ? base / 4096 : -1;
}
/** Addresses at or above this are not user addresses: faults, whatever the access. */
const USER_TOP = 0x800000000000;

/** A memory access that raised a signal, as the kernel would deliver it. */
export class GuestFault extends Error {
  override name = 'GuestFault';
  constructor(
    readonly signal: SignalName,
    readonly code: SiCodeName,
    /** si_addr: the faulting byte (0 for SI_KERNEL). */
    readonly addr: number,
    readonly access: 'read' | 'write' | 'exec',
  ) {
    super(`${signal} (${code}) at 0x${addr.toString(16)} on ${access}`);
  }
}

const ACCESS_NAMES = ['read', 'write', 'exec'] as const;

/** The signal a FAULT_* code raises for an access at `addr`. */
export function faultToSignal(fault: number, addr: number, access: Access): GuestFault {
  const a = ACCESS_NAMES[access];
  switch (fault) {
    case FAULT_MAPERR: return new GuestFault('SIGSEGV', 'SEGV_MAPERR', addr, a);
    case FAULT_ACCERR: return new GuestFault('SIGSEGV', 'SEGV_ACCERR', addr, a);
    case FAULT_SIGBUS: return new GuestFault('SIGBUS', 'BUS_ADRERR', addr, a);
    case FAULT_NONCANONICAL: return new GuestFault('SIGSEGV', 'SI_KERNEL', 0, a);
    case FAULT_OOM: return new GuestFault('SIGKILL', 'SI_KERNEL', addr, a);
    default: throw new Error(`unknown fault ${fault}`);
  }
}

/**
 * The bytes of a buffer argument: a Uint8Array itself, any other typed array or DataView as the
 * bytes it covers (as Node's fs.write takes them: a Uint32Array of one element is 4 bytes).
 * Anything else — a string, a plain array — is a TypeError rather than bytes made up by
 * TypedArray.set()'s coercion.
 */
function bytesOf(buf: ArrayBufferView, what: string): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  throw new TypeError(`${what} must be a Uint8Array, another typed array or a DataView, got ${buf === null ? 'null' : typeof buf}`);
}

function checkAddr(addr: number): void {
  if (typeof addr !== 'number' || !Number.isInteger(addr) || addr < 0 || addr >= TWO_64) {
    throw new RangeError(`guest address must be an integer in [0, 2^64), got ${String(addr)}`);
  }
}

export class Memory implements TlbHolder {
  /**
   * High 32 bits of the last load64() (its low half is the return value). Kept signed in a small-
   * integer field: a number field that has held 2^31 or more turns into a boxed double (storing
   * into the box cost a TLB-hit load64 5.2 ns instead of 2.9), and a typed-array cell cost a
   * missing load64 23 ns instead of 9 (measured with random guest data); V8 forwards a field's
   * store to the getter's load.
   */
  get hi(): number {
    return this.hiBits >>> 0;
  }
  protected hiBits = 0;
  // `declare`: no field initializer is emitted, so the constructor's store is the field's first.
  // V8 then tracks `dv` as a constant field while no slab growth replaces it, and folds it into
  // the code of a loop over a known Memory (an emitted `dv;` stores undefined first: 2.5x raw
  // instead of ~1.5x for a TLB-hit load).
  protected declare dv: DataView;
  private declare u8: Uint8Array;
  protected readonly rTag = new Float64Array(SLOTS).fill(-1);
  protected readonly rOff = new Int32Array(SLOTS);
  protected readonly wTag = new Float64Array(SLOTS).fill(-1);
  protected readonly wOff = new Int32Array(SLOTS);
  protected readonly xTag = new Float64Array(SLOTS).fill(-1);
  protected readonly xOff = new Int32Array(SLOTS);
  /**
   * The same entries' page numbers while their page lies below 2^32, else -1: Memory32's tags,
   * kept by its refills and by miss() (Memory's own refill() leaves them: it never reads them).
   * An integer compare against `addr >>> 12` costs less than the float compare against
   * `addr - off`: a 32-bit guest's TLB-hit load32 measured 2.4x raw with the float tags, 2.0x
   * with these.
   */
  protected readonly rVpn = new Int32Array(SLOTS).fill(-1);
  protected readonly wVpn = new Int32Array(SLOTS).fill(-1);
  protected readonly xVpn = new Int32Array(SLOTS).fill(-1);
  /** The leaf cache of refill(): region numbers, their leaves, and the table's leafGen then. */
  private readonly leafTag = new Float64Array(LEAF_SLOTS).fill(-1);
  private readonly leafRef: Int32Array[] = new Array<Int32Array>(LEAF_SLOTS).fill(new Int32Array(0));
  private leafGen = -1;
  /**
   * The second-level TLB: page base and its PTE when cached. A flush clears only the slots filled
   * since the last one (`l2Filled`, `l2Live`): munmap and mprotect flush, and a 32 KiB fill each
   * time would cost more than the syscall. (A generation number per slot did the same job, but
   * its check is one more load in the refill that every hot method inlines: a TLB miss on random
   * pages cost 2.2-2.3x a raw load with it, 2.0-2.1x without.)
   */
  protected readonly l2Tag = new Float64Array(L2_SLOTS).fill(-1);
  /** The same entries' page numbers below 2^32, else -1 (Memory32's integer compare). */
  protected readonly l2Vpn = new Int32Array(L2_SLOTS).fill(-1);
  protected readonly l2Pte = new Int32Array(L2_SLOTS);
  private readonly l2Live = new Uint8Array(L2_SLOTS);
  private readonly l2Filled = new Int32Array(L2_SLOTS);
  private l2FilledCount = 0;
  private declare readonly frames: FramePool;
  private readonly onGrow = (): void => {
    this.dv = this.frames.dv;
    this.u8 = this.frames.u8;
    this.flush();
  };

  private declare readonly mm: AddressSpace;

  constructor(mm: AddressSpace) {
    this.mm = mm;
    this.frames = mm.frames;
    this.dv = this.frames.dv;
    this.u8 = this.frames.u8;
    mm.tlbs.add(this);
    this.frames.onGrow.add(this.onGrow);
  }

  /** Stop caching (the process exited). */
  detach(): void {
    this.mm.tlbs.delete(this);
    this.frames.onGrow.delete(this.onGrow);
    this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.l2FilledCount; i++) {
      const s2 = this.l2Filled[i];
      this.l2Tag[s2] = -1;
      this.l2Vpn[s2] = -1;
      this.l2Live[s2] = 0;
    }
    this.l2FilledCount = 0;
    this.leafTag.fill(-1);
    this.viewOff.fill(-1);
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
    this.rVpn.fill(-1);
    this.wVpn.fill(-1);
    this.xVpn.fill(-1);
  }

  flushPage(vpn: number): void {
    const s = vpn % SLOTS;
    this.l2Tag[vpn % L2_SLOTS] = -1;
    this.l2Vpn[vpn % L2_SLOTS] = -1;
    this.rTag[s] = -1;
    this.wTag[s] = -1;
    this.xTag[s] = -1;
    this.rVpn[s] = -1;
    this.wVpn[s] = -1;
    this.xVpn[s] = -1;
  }

  // ---- translation (slow path) ----

  /**
   * The slab byte offset of `addr` for `access` (READ, WRITE or EXEC),
   * faulting the page in as Linux would and filling the TLB slot; or -FAULT_* when the access
   * raises a signal. A bad address or access code is a RangeError.
   */
  translate(addr: number, access: Access): number {
    checkAddr(addr);
    if (access !== READ && access !== WRITE && access !== EXEC) {
      throw new RangeError(`access must be ACCESS_READ (0), ACCESS_WRITE (1) or ACCESS_EXEC (2), got ${String(access)}`);
    }
    return this.translateValid(addr, access);
  }

  /** translate() of an address and access already checked. */
  private translateValid(addr: number, access: Access): number {
    if (addr >= USER_TOP) return -handleUserFault(this.mm, addr, access);
    // Below 2^47 the low bits survive ToInt32: bitwise offsets, no float modulus.
    const off = addr & 4095;
    const base = addr - off;
    const vpn = base / 4096;
    const need = access === WRITE ? PTE_PRESENT | PTE_WRITE : access === EXEC ? PTE_PRESENT | PTE_EXEC : PTE_PRESENT | PTE_READ;
    const pt = this.mm.pt;
    for (let tries = 0; tries < 3; tries++) {
      let pte = pt.get(vpn);
      if ((pte & need) === need) {
        // The access sets the accessed bit, a store the dirty bit (as the MMU does).
        const set = access === WRITE ? PTE_YOUNG | PTE_DIRTY : PTE_YOUNG;
        if ((pte & set) !== set) {
          pte |= set;
          pt.set(vpn, pte);
        }
        const fo = (pte >>> PTE_FRAME_SHIFT) * 4096;
        const s = (addr >>> 12) & 255;
        const vpn32 = vpn32Of(base);
        if (access === WRITE) { this.wTag[s] = base; this.wOff[s] = fo; this.wVpn[s] = vpn32; }
        else if (access === EXEC) { this.xTag[s] = base; this.xOff[s] = fo; this.xVpn[s] = vpn32; }
        if ((pte & PTE_READ) !== 0) { this.rTag[s] = base; this.rOff[s] = fo; this.rVpn[s] = vpn32; }
        return fo + off;
      }
      const r = handleUserFault(this.mm, addr, access);
      if (r !== FAULT_NONE) return -r;
    }
    throw new Error(`vmspace: fault at 0x${addr.toString(16)} did not resolve`);
  }

  /**
   * The first-level TLB slot `s` refilled from the second level, inline in the hot methods: when
   * that level holds the page at `addr - off` with every bit of `need` (present, the permission,
   * accessed, for stores dirty) and the access ends within the page (`off` at most `last`), the
   * slot of `tags`/`offs` takes it and the frame's slab offset is returned; else -1 and the
   * caller goes to miss(). It is inlined into the caller's loop, so every instruction here costs
   * the hits too (the loop's registers): it does no more than that. A TLB miss served here costs
   * 2.0-2.1x a raw load (G19), one through miss() 5-6x.
   */
  protected refill(addr: number, off: number, s: number, last: number, need: number, tags: Float64Array, offs: Int32Array): number {
    const base = addr - off;
    const s2 = (addr >>> 12) & (L2_SLOTS - 1);
    if (this.l2Tag[s2] !== base || typeof addr !== 'number' || off > last) return -1;
    const pte = this.l2Pte[s2];
    if ((pte & need) !== need) return -1;
    const fo = (pte >>> FRAME_SHIFT) << 12;
    tags[s] = base;
    offs[s] = fo;
    return fo;
  }

  /**
   * Every load, store and fetch that misses the first-level TLB, crosses a page or has an
   * invalid address: the `size`-byte access at `addr` (`lo`, `hi`: a store's value as two 32-bit
   * halves). Returns a load's low 32 bits as a signed int32 (the caller applies `>>> 0`: a
   * small integer crosses the call without a heap number, which a value of 2^31 or more would
   * need), leaving a u64's high half in `hiBits`; a fault throws.
   *
   * First a refill without the fault path: when the page's PTE already has every bit the access
   * needs (present, the permission, accessed, for stores dirty), the slot is filled from the
   * second-level TLB or the page table. Otherwise the full path: validation, a page-crossing
   * access, or translateValid() with its faults and bit updates.
   *
   * One function, kept out of line on purpose. A miss path that V8 inlines into an emulator's
   * loop brings its own registers into the loop, and the loop's values (index, sum) then live in
   * stack slots on every iteration: a TLB-hit load32 of a 64-bit guest measured 1.9x raw with
   * the miss path inlined, 1.6x with it called. V8 inlines no function whose bytecode exceeds
   * 460 bytes (--max-inlined-bytecode-size); this one does, and test/unit/memory-miss.test.ts
   * keeps it so. Callers coerce the result (`>>> 0`) so that the hit and miss paths meet as
   * 32-bit integers: an untyped call result would turn every hit's value into a tagged number.
   */
  protected miss(addr: number, size: number, access: Access, lo: number, hi: number): number {
    const last = 4096 - size;
    let o = -1;
    if (typeof addr === 'number' && addr >= 0 && addr < USER_TOP && Number.isInteger(addr) && (addr & 4095) <= last) {
      const off = addr & 4095;
      const base = addr - off;
      const need = access === READ ? NEED_READ : access === WRITE ? NEED_WRITE : NEED_EXEC;
      // The second-level TLB first. Its PTE may predate bits the mm has set since (accessed,
      // dirty, writable after a COW fault): then the page table is read again. It is never more
      // permissive than the page table: every removal or downgrade of a PTE flushes (as the TLBs).
      const vpn32 = vpn32Of(base);
      const s2 = (addr >>> 12) & (L2_SLOTS - 1);
      let pte = this.l2Tag[s2] === base ? this.l2Pte[s2] : 0;
      if ((pte & need) !== need) {
        pte = this.pteOf(addr, base);
        if ((pte & need) === need) {
          this.l2Tag[s2] = base;
          this.l2Vpn[s2] = vpn32;
          this.l2Pte[s2] = pte;
          if (this.l2Live[s2] === 0) {
            this.l2Live[s2] = 1;
            this.l2Filled[this.l2FilledCount++] = s2;
          }
        }
      }
      if ((pte & need) === need) {
        // Frame offsets stay below 2^31 (MAX_FRAMES), so the shift cannot overflow.
        const fo = (pte >>> FRAME_SHIFT) << 12;
        const s = (addr >>> 12) & 255;
        if (access === READ) { this.rTag[s] = base; this.rOff[s] = fo; this.rVpn[s] = vpn32; }
        else if (access === WRITE) { this.wTag[s] = base; this.wOff[s] = fo; this.wVpn[s] = vpn32; }
        else { this.xTag[s] = base; this.xOff[s] = fo; this.xVpn[s] = vpn32; }
        o = fo + off;
      }
    }
    if (o < 0) {
      checkAddr(addr);
      if ((addr & 4095) > last) return this.cross(addr, size, access, lo, hi);
      o = this.offsetOf(addr, access);
    }
    // Read `this.dv` only now: the fault above may have grown the slab.
    const dv = this.dv;
    if (access === WRITE) {
      switch (size) {
        case 1: dv.setUint8(o, lo); break;
        case 2: dv.setUint16(o, lo, true); break;
        case 4: dv.setUint32(o, lo, true); break;
        default: dv.setUint32(o, lo, true); dv.setUint32(o + 4, hi, true);
      }
      return 0;
    }
    switch (size) {
      case 1: return dv.getUint8(o);
      case 2: return dv.getUint16(o, true);
      case 4: return dv.getInt32(o, true);
      default:
        this.hiBits = dv.getInt32(o + 4, true);
        return dv.getInt32(o, true);
    }
  }

  /** The PTE of the page at `base` (0 when it has none), through the leaf cache. */
  private pteOf(addr: number, base: number): number {
    // The page-table leaf from a small cache of leaves by 2 MiB region (like the paging-structure
    // caches of an x86 MMU): the PTE is then one load instead of a four-level walk.
    const pt = this.mm.pt;
    const region = Math.floor(addr / 2097152);
    const ls = region & (LEAF_SLOTS - 1);
    let leaf: Int32Array | undefined;
    if (this.leafTag[ls] === region && this.leafGen === pt.leafGen) {
      leaf = this.leafRef[ls];
    } else {
      leaf = pt.leafIfAny(base / 4096);
      if (leaf === undefined) return 0;
      if (this.leafGen !== pt.leafGen) {
        this.leafTag.fill(-1);
        this.leafGen = pt.leafGen;
      }
      this.leafTag[ls] = region;
      this.leafRef[ls] = leaf;
    }
    return leaf[(addr >>> 12) & 511];
  }

  /** translate(), throwing the fault. */
  // Callers must translate before reading `this.dv`/`this.u8`: a fault may grow the slab.
  private offsetOf(addr: number, access: Access): number {
    checkAddr(addr);
    const o = this.translateValid(addr, access);
    if (o < 0) throw faultToSignal(-o, addr, access);
    return o;
  }

  /**
   * Offsets of the `size` bytes at `addr` for an access that crosses a page: both pages are
   * checked before any byte moves (an x86 instruction faults whole). Returns the two offsets.
   */
  private splitOffsets(addr: number, size: number, access: Access): [number, number, number] {
    checkAddr(addr);
    const first = 4096 - (addr & 4095);
    const o1 = this.translateValid(addr, access);
    if (o1 < 0) throw faultToSignal(-o1, addr, access);
    const a2 = addr + first;
    const o2 = a2 >= TWO_64 ? -FAULT_MAPERR : this.translateValid(a2, access);
    if (o2 < 0) throw faultToSignal(-o2, a2, access);
    return [o1, o2, first];
  }

  /**
   * miss() for an access that crosses into the next page, byte by byte once both pages are
   * translated: returns a load's low 32 bits as miss() does (a u64's high half in `hiBits`).
   */
  private cross(addr: number, size: number, access: Access, lo: number, hi: number): number {
    const [o1, o2, first] = this.splitOffsets(addr, size, access);
    const u8 = this.u8;
    if (access === WRITE) {
      for (let i = 0; i < size; i++) u8[i < first ? o1 + i : o2 + i - first] = i < 4 ? lo >>> (8 * i) : hi >>> (8 * (i - 4));
      return 0;
    }
    let low = 0;
    let high = 0;
    for (let i = size - 1; i >= 0; i--) {
      const b = u8[i < first ? o1 + i : o2 + i - first];
      if (i >= 4) high = (high << 8) | b;
      else low = (low << 8) | b;
    }
    if (size === 8) this.hiBits = high;
    return low;
  }

  // ---- loads, stores and fetches (little-endian, unsigned) ----
  // Each: the first-level TLB's hit test (the slot's page base equals the address's, a float
  // compare as the address may lie anywhere below 2^64; the access stays within the page; the
  // address is a number), then a refill from the second level, then miss().

  load8(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rTag[s] === addr - off && typeof addr === 'number') return this.dv.getUint8(this.rOff[s] + off);
    const fo = this.refill(addr, off, s, 4095, NEED_READ, this.rTag, this.rOff);
    if (fo >= 0) return this.dv.getUint8(fo + off);
    return this.miss(addr, 1, READ, 0, 0) >>> 0;
  }

  load16(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rTag[s] === addr - off && typeof addr === 'number' && off <= 4094) return this.dv.getUint16(this.rOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4094, NEED_READ, this.rTag, this.rOff);
    if (fo >= 0) return this.dv.getUint16(fo + off, true);
    return this.miss(addr, 2, READ, 0, 0) >>> 0;
  }

  load32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rTag[s] === addr - off && typeof addr === 'number' && off <= 4092) return this.dv.getUint32(this.rOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4092, NEED_READ, this.rTag, this.rOff);
    if (fo >= 0) return this.dv.getUint32(fo + off, true);
    return this.miss(addr, 4, READ, 0, 0) >>> 0;
  }

  // load64: the three paths meet before the one store of `hiBits`, so V8 forwards the stored
  // value (a phi) to the caller's read of `hi`. With a store on each path, the read after the
  // paths met was a load from the object just stored to: a TLB-hit load64 cost 2.2-2.6x the raw
  // pair of u32 loads that way, 2.1-2.4x this way. (Memory32.load64 has the same shape.)

  /** A u64 without BigInt: returns the low 32 bits, leaves the high 32 bits in `this.hi`. */
  load64(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    let lo: number;
    let hi: number;
    if (this.rTag[s] === addr - off && typeof addr === 'number' && off <= 4088) {
      const o = this.rOff[s] + off;
      hi = this.dv.getInt32(o + 4, true);
      lo = this.dv.getUint32(o, true);
    } else {
      const fo = this.refill(addr, off, s, 4088, NEED_READ, this.rTag, this.rOff);
      if (fo >= 0) {
        hi = this.dv.getInt32(fo + off + 4, true);
        lo = this.dv.getUint32(fo + off, true);
      } else {
        lo = this.miss(addr, 8, READ, 0, 0) >>> 0;
        hi = this.hiBits;
      }
    }
    this.hiBits = hi;
    return lo;
  }

  /** A u64 as a bigint (convenience; allocates). */
  load64n(addr: number): bigint {
    const lo = this.load64(addr);
    return (BigInt(this.hi) << 32n) | BigInt(lo);
  }

  loadF32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rTag[s] === addr - off && typeof addr === 'number' && off <= 4092) return this.dv.getFloat32(this.rOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4092, NEED_READ, this.rTag, this.rOff);
    if (fo >= 0) return this.dv.getFloat32(fo + off, true);
    return bitsToF32(this.miss(addr, 4, READ, 0, 0));
  }

  loadF64(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rTag[s] === addr - off && typeof addr === 'number' && off <= 4088) return this.dv.getFloat64(this.rOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4088, NEED_READ, this.rTag, this.rOff);
    if (fo >= 0) return this.dv.getFloat64(fo + off, true);
    return bitsToF64(this.miss(addr, 8, READ, 0, 0), this.hiBits);
  }

  store8(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number') { this.dv.setUint8(this.wOff[s] + off, value); return; }
    const fo = this.refill(addr, off, s, 4095, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) { this.dv.setUint8(fo + off, value); return; }
    this.miss(addr, 1, WRITE, value, 0);
  }

  store16(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number' && off <= 4094) { this.dv.setUint16(this.wOff[s] + off, value, true); return; }
    const fo = this.refill(addr, off, s, 4094, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) { this.dv.setUint16(fo + off, value, true); return; }
    this.miss(addr, 2, WRITE, value, 0);
  }

  store32(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number' && off <= 4092) { this.dv.setUint32(this.wOff[s] + off, value, true); return; }
    const fo = this.refill(addr, off, s, 4092, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) { this.dv.setUint32(fo + off, value, true); return; }
    this.miss(addr, 4, WRITE, value, 0);
  }

  /** A u64 from two u32 halves. */
  store64(addr: number, lo: number, hi: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number' && off <= 4088) {
      const o = this.wOff[s] + off;
      this.dv.setUint32(o, lo, true);
      this.dv.setUint32(o + 4, hi, true);
      return;
    }
    const fo = this.refill(addr, off, s, 4088, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) {
      const o = fo + off;
      this.dv.setUint32(o, lo, true);
      this.dv.setUint32(o + 4, hi, true);
      return;
    }
    this.miss(addr, 8, WRITE, lo, hi);
  }

  /** A u64 from a bigint (convenience). */
  store64n(addr: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.store64(addr, Number(v & 0xffffffffn), Number(v >> 32n));
  }

  storeF32(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number' && off <= 4092) { this.dv.setFloat32(this.wOff[s] + off, value, true); return; }
    const fo = this.refill(addr, off, s, 4092, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) { this.dv.setFloat32(fo + off, value, true); return; }
    F32[0] = value;
        this.miss(addr, 4, WRITE, F32_BITS[0], 0);
  }

  storeF64(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wTag[s] === addr - off && typeof addr === 'number' && off <= 4088) { this.dv.setFloat64(this.wOff[s] + off, value, true); return; }
    const fo = this.refill(addr, off, s, 4088, NEED_WRITE, this.wTag, this.wOff);
    if (fo >= 0) { this.dv.setFloat64(fo + off, value, true); return; }
    F64[0] = value;
        this.miss(addr, 8, WRITE, F64_BITS[0], F64_BITS[1]);
  }

  fetch8(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xTag[s] === addr - off && typeof addr === 'number') return this.dv.getUint8(this.xOff[s] + off);
    const fo = this.refill(addr, off, s, 4095, NEED_EXEC, this.xTag, this.xOff);
    if (fo >= 0) return this.dv.getUint8(fo + off);
    return this.miss(addr, 1, EXEC, 0, 0) >>> 0;
  }

  fetch16(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xTag[s] === addr - off && typeof addr === 'number' && off <= 4094) return this.dv.getUint16(this.xOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4094, NEED_EXEC, this.xTag, this.xOff);
    if (fo >= 0) return this.dv.getUint16(fo + off, true);
    return this.miss(addr, 2, EXEC, 0, 0) >>> 0;
  }

  fetch32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xTag[s] === addr - off && typeof addr === 'number' && off <= 4092) return this.dv.getUint32(this.xOff[s] + off, true);
    const fo = this.refill(addr, off, s, 4092, NEED_EXEC, this.xTag, this.xOff);
    if (fo >= 0) return this.dv.getUint32(fo + off, true);
    return this.miss(addr, 4, EXEC, 0, 0) >>> 0;
  }

  // ---- bulk ----

  /**
   * Copy `dst.length` guest bytes at `addr` into `dst`, page run by page run. A fault throws
   * after the bytes before it were copied.
   */
  readInto(addr: number, dst: ArrayBufferView): void {
    checkAddr(addr);
    const bytes = bytesOf(dst, 'dst');
    const len = bytes.length;
    let done = 0;
    while (done < len) {
      // One copy per run of physically contiguous frames (fresh frames usually are).
      const o = this.run(addr + done, len - done, READ);
      const n = this.runLength;
      bytes.set(this.slabView(o, n), done);
      done += n;
    }
  }

  /**
   * A view of the `n` slab bytes at offset `o`, from a small cache: a subarray costs an
   * allocation as large as a quarter of a 4 KiB copy (measured: a cached view made a 4 KiB copy
   * at a page offset 140 -> 75 ns), and copies (an emulator's disk and DMA buffers) keep going to
   * the same places. Views stay valid for the slab they were cut from; flush() (also run when
   * the slab grows) drops them.
   */
  private slabView(o: number, n: number): Uint8Array {
    const s = (o >>> 12) & (VIEW_SLOTS - 1);
    if (this.viewOff[s] === o && this.viewLen[s] === n) return this.views[s];
    const v = this.u8.subarray(o, o + n);
    this.viewOff[s] = o;
    this.viewLen[s] = n;
    this.views[s] = v;
    return v;
  }
  private readonly viewOff = new Int32Array(VIEW_SLOTS).fill(-1);
  private readonly viewLen = new Int32Array(VIEW_SLOTS);
  private readonly views: Uint8Array[] = new Array<Uint8Array>(VIEW_SLOTS).fill(new Uint8Array(0));

  /** Length of the run the last run() found (a field: no tuple allocated per run). */
  private runLength = 0;

  /**
   * The longest run of guest bytes from `a` (at most `max`) that sits contiguously in the slab,
   * every page translated for `access`: its slab offset, its length in `runLength`. Throws the
   * first fault.
   */
  private run(a: number, max: number, access: Access): number {
    if (a >= TWO_64) throw faultToSignal(FAULT_MAPERR, a, access);
    // The TLB first (a hit costs a compare), then the page table and the fault path.
    const off = a & 4095;
    const s = (a >>> 12) & 255;
    let o: number;
    if (access === READ && this.rTag[s] === a - off) o = this.rOff[s] + off;
    else if (access === WRITE && this.wTag[s] === a - off) o = this.wOff[s] + off;
    else {
      o = this.translateValid(a, access);
      if (o < 0) throw faultToSignal(-o, a, access);
    }
    let n = Math.min(max, 4096 - (a & 4095));
    const tags = access === WRITE ? this.wTag : this.rTag;
    const offs = access === WRITE ? this.wOff : this.rOff;
    while (n < max) {
      const next = a + n; // page aligned
      if (next >= USER_TOP) break;
      const t = (next >>> 12) & 255;
      const o2 = tags[t] === next ? offs[t] : this.translateValid(next, access);
      if (o2 !== o + n) break; // a fault or a discontiguous frame: the next run starts there
      n = Math.min(max, n + 4096);
    }
    this.runLength = n;
    return o;
  }

  /** `len` guest bytes at `addr`, copied. */
  read(addr: number, len: number): Uint8Array {
    if (!Number.isInteger(len) || len < 0 || len > 2 ** 31) throw new RangeError(`length must be an integer in [0, 2^31], got ${String(len)}`);
    const out = new Uint8Array(len);
    this.readInto(addr, out);
    return out;
  }

  /** Copy `src` to guest memory at `addr`; a fault throws after the bytes before it were stored. */
  write(addr: number, src: ArrayBufferView): void {
    checkAddr(addr);
    const bytes = bytesOf(src, 'src');
    const len = bytes.length;
    let done = 0;
    while (done < len) {
      const o = this.run(addr + done, len - done, WRITE);
      const n = this.runLength;
      this.u8.set(n === len ? bytes : bytes.subarray(done, done + n), o);
      done += n;
    }
  }

  /**
   * A direct view of guest memory from `addr` to the end of its page, faulted in for reading or
   * (with `write`) for writing. Valid until the next call that changes mappings (munmap,
   * mprotect, mremap, madvise, fork, exit) or allocates memory (the slab may move): re-take it
   * after any of those.
   */
  pageView(addr: number, write = false): Uint8Array {
    const o = this.offsetOf(addr, write ? WRITE : READ);
    return new Uint8Array(this.frames.buffer, o, 4096 - (addr & 4095));
  }

  /**
   * A direct view of the guest bytes from `addr` on, at most `maxLen` of them, that sit in
   * consecutive frames (pages faulted in for reading or, with `write`, writing; fresh anonymous
   * memory usually is one run): a tight loop over a buffer can index it without a translation
   * per access. Shorter than `maxLen` where the next page is not the next frame; a fault on the
   * first page throws, a fault further on ends the view before that page. Valid as long as a
   * pageView() is.
   */
  runView(addr: number, maxLen: number, write = false): Uint8Array {
    checkAddr(addr);
    if (!Number.isInteger(maxLen) || maxLen < 1 || maxLen > 2 ** 31) {
      throw new RangeError(`length must be an integer in [1, 2^31], got ${String(maxLen)}`);
    }
    const o = this.run(addr, maxLen, write ? WRITE : READ);
    return new Uint8Array(this.frames.buffer, o, this.runLength);
  }

  /** The high 32 bits of a number as an unsigned value (a helper for 64-bit guests). */
  static high32(x: number): number {
    return Math.floor(x / TWO_32) >>> 0;
  }
}

/**
 * A Memory for a 32-bit guest (an i386 or arm32 emulator's: every address below 2^32), from
 * Task.mem32. The same operations with the same results and faults; only the first-level TLB's
 * hit test differs: it compares page numbers as integers (`addr >>> 12`) where Memory compares
 * page bases as floats (`addr - off`). The guard `addr >>> 0 === addr` (an integer in
 * [0, 2^32)) costs nothing once V8 knows the address is a uint32, as it does for values read
 * from a Uint32Array or made by `>>> 0`. Any other address still works, through the miss path.
 *
 * Each method repeats its Memory twin except for the hit test and the refill: a hot method is
 * what V8 inlines into the emulator's loop, so its test has to be written out in it, and a
 * shared method calling an overridden test would keep one type-feedback vector for both classes.
 */
export class Memory32 extends Memory {
  /**
   * refill() with integer compares, for an address V8 knows to be a uint32 (the guard then costs
   * nothing), keeping the slot's page number for the hit tests below.
   */
  protected refill32(addr: number, off: number, s: number, last: number, need: number, tags: Float64Array, offs: Int32Array, vpns: Int32Array): number {
    const vpn = addr >>> 12;
    const s2 = vpn & (L2_SLOTS - 1);
    if (this.l2Vpn[s2] !== vpn || off > last || addr >>> 0 !== addr) return -1;
    const pte = this.l2Pte[s2];
    if ((pte & need) !== need) return -1;
    const fo = (pte >>> FRAME_SHIFT) << 12;
    tags[s] = addr - off;
    offs[s] = fo;
    vpns[s] = vpn;
    return fo;
  }

  override load8(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rVpn[s] === addr >>> 12 && addr >>> 0 === addr) return this.dv.getUint8(this.rOff[s] + off);
    const fo = this.refill32(addr, off, s, 4095, NEED_READ, this.rTag, this.rOff, this.rVpn);
    if (fo >= 0) return this.dv.getUint8(fo + off);
    return this.miss(addr, 1, READ, 0, 0) >>> 0;
  }

  override load16(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rVpn[s] === addr >>> 12 && off <= 4094 && addr >>> 0 === addr) return this.dv.getUint16(this.rOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4094, NEED_READ, this.rTag, this.rOff, this.rVpn);
    if (fo >= 0) return this.dv.getUint16(fo + off, true);
    return this.miss(addr, 2, READ, 0, 0) >>> 0;
  }

  override load32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rVpn[s] === addr >>> 12 && off <= 4092 && addr >>> 0 === addr) return this.dv.getUint32(this.rOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4092, NEED_READ, this.rTag, this.rOff, this.rVpn);
    if (fo >= 0) return this.dv.getUint32(fo + off, true);
    return this.miss(addr, 4, READ, 0, 0) >>> 0;
  }

  override load64(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    let lo: number;
    let hi: number;
    if (this.rVpn[s] === addr >>> 12 && off <= 4088 && addr >>> 0 === addr) {
      const o = this.rOff[s] + off;
      hi = this.dv.getInt32(o + 4, true);
      lo = this.dv.getUint32(o, true);
    } else {
      const fo = this.refill32(addr, off, s, 4088, NEED_READ, this.rTag, this.rOff, this.rVpn);
      if (fo >= 0) {
        hi = this.dv.getInt32(fo + off + 4, true);
        lo = this.dv.getUint32(fo + off, true);
      } else {
        lo = this.miss(addr, 8, READ, 0, 0) >>> 0;
        hi = this.hiBits;
      }
    }
    this.hiBits = hi;
    return lo;
  }

  override loadF32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rVpn[s] === addr >>> 12 && off <= 4092 && addr >>> 0 === addr) return this.dv.getFloat32(this.rOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4092, NEED_READ, this.rTag, this.rOff, this.rVpn);
    if (fo >= 0) return this.dv.getFloat32(fo + off, true);
    return bitsToF32(this.miss(addr, 4, READ, 0, 0));
  }

  override loadF64(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.rVpn[s] === addr >>> 12 && off <= 4088 && addr >>> 0 === addr) return this.dv.getFloat64(this.rOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4088, NEED_READ, this.rTag, this.rOff, this.rVpn);
    if (fo >= 0) return this.dv.getFloat64(fo + off, true);
    return bitsToF64(this.miss(addr, 8, READ, 0, 0), this.hiBits);
  }

  override store8(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && addr >>> 0 === addr) { this.dv.setUint8(this.wOff[s] + off, value); return; }
    const fo = this.refill32(addr, off, s, 4095, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) { this.dv.setUint8(fo + off, value); return; }
    this.miss(addr, 1, WRITE, value, 0);
  }

  override store16(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && off <= 4094 && addr >>> 0 === addr) { this.dv.setUint16(this.wOff[s] + off, value, true); return; }
    const fo = this.refill32(addr, off, s, 4094, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) { this.dv.setUint16(fo + off, value, true); return; }
    this.miss(addr, 2, WRITE, value, 0);
  }

  override store32(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && off <= 4092 && addr >>> 0 === addr) { this.dv.setUint32(this.wOff[s] + off, value, true); return; }
    const fo = this.refill32(addr, off, s, 4092, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) { this.dv.setUint32(fo + off, value, true); return; }
    this.miss(addr, 4, WRITE, value, 0);
  }

  override store64(addr: number, lo: number, hi: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && off <= 4088 && addr >>> 0 === addr) {
      const o = this.wOff[s] + off;
      this.dv.setUint32(o, lo, true);
      this.dv.setUint32(o + 4, hi, true);
      return;
    }
    const fo = this.refill32(addr, off, s, 4088, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) {
      const o = fo + off;
      this.dv.setUint32(o, lo, true);
      this.dv.setUint32(o + 4, hi, true);
      return;
    }
    this.miss(addr, 8, WRITE, lo, hi);
  }

  override storeF32(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && off <= 4092 && addr >>> 0 === addr) { this.dv.setFloat32(this.wOff[s] + off, value, true); return; }
    const fo = this.refill32(addr, off, s, 4092, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) { this.dv.setFloat32(fo + off, value, true); return; }
    F32[0] = value;
        this.miss(addr, 4, WRITE, F32_BITS[0], 0);
  }

  override storeF64(addr: number, value: number): void {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.wVpn[s] === addr >>> 12 && off <= 4088 && addr >>> 0 === addr) { this.dv.setFloat64(this.wOff[s] + off, value, true); return; }
    const fo = this.refill32(addr, off, s, 4088, NEED_WRITE, this.wTag, this.wOff, this.wVpn);
    if (fo >= 0) { this.dv.setFloat64(fo + off, value, true); return; }
    F64[0] = value;
        this.miss(addr, 8, WRITE, F64_BITS[0], F64_BITS[1]);
  }

  override fetch8(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xVpn[s] === addr >>> 12 && addr >>> 0 === addr) return this.dv.getUint8(this.xOff[s] + off);
    const fo = this.refill32(addr, off, s, 4095, NEED_EXEC, this.xTag, this.xOff, this.xVpn);
    if (fo >= 0) return this.dv.getUint8(fo + off);
    return this.miss(addr, 1, EXEC, 0, 0) >>> 0;
  }

  override fetch16(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xVpn[s] === addr >>> 12 && off <= 4094 && addr >>> 0 === addr) return this.dv.getUint16(this.xOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4094, NEED_EXEC, this.xTag, this.xOff, this.xVpn);
    if (fo >= 0) return this.dv.getUint16(fo + off, true);
    return this.miss(addr, 2, EXEC, 0, 0) >>> 0;
  }

  override fetch32(addr: number): number {
    const off = addr & 4095;
    const s = (addr >>> 12) & 255;
    if (this.xVpn[s] === addr >>> 12 && off <= 4092 && addr >>> 0 === addr) return this.dv.getUint32(this.xOff[s] + off, true);
    const fo = this.refill32(addr, off, s, 4092, NEED_EXEC, this.xTag, this.xOff, this.xVpn);
    if (fo >= 0) return this.dv.getUint32(fo + off, true);
    return this.miss(addr, 4, EXEC, 0, 0) >>> 0;
  }
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);
const F64 = new Float64Array(1);
const F64_BITS = new Uint32Array(F64.buffer);

/** The float32 whose bits are `bits`. */
function bitsToF32(bits: number): number {
  F32_BITS[0] = bits;
  return F32[0];
}

/** The float64 whose bits are `lo` and `hi`. */
function bitsToF64(lo: number, hi: number): number {
  F64_BITS[0] = lo;
  F64_BITS[1] = hi;
  return F64[0];
}

export { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE };

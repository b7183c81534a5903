/**
 * A driver's vm operations (vm_operations_struct), installed by its mmap hook on the VMAs it
 * maps: the mm layer calls the fault handler without knowing the device. Shared by mm (which
 * calls it), the VFS and the drivers (which provide it).
 * Linux: include/linux/mm.h struct vm_operations_struct.
 */

/** The VMA as vm operations see it. */
export interface VmRange {
  readonly start: number;
  readonly end: number;
  readonly pgoff: number;
}

export interface VmOperations {
  /**
   * A new VMA now uses these operations: the upper half of a split, a fork's copy, the
   * destination of a moving mremap (Linux: vm_ops->open from __split_vma(), dup_mmap(), copy_vma()).
   */
  open?(v: VmRange): void;
  /** A VMA using these operations went away (munmap, exit: vma_close() from remove_vma()). */
  close?(v: VmRange): void;
  /**
   * The frame behind page `pgoff` of the file (the VMA's pgoff plus the page's index in it), or
   * -1 for SIGBUS. The frame stays the driver's; a mapping takes its own reference.
   */
  fault(pgoff: number): number;
}

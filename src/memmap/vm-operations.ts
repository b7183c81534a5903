/**
 * A driver's vm operations (vm_operations_struct), installed by its mmap hook on the VMAs it
 * maps: the mm layer calls the fault handler without knowing the device. Shared by mm (which
 * calls it), the VFS and the drivers (which provide it).
 * Linux: include/linux/mm.h struct vm_operations_struct.
 */

export interface VmOperations {
  /**
   * The frame behind page `pgoff` of the file (the VMA's pgoff plus the page's index in it), or
   * -1 for SIGBUS. The frame stays the driver's; a mapping takes its own reference.
   */
  fault(pgoff: number): number;
}

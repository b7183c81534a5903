/**
 * Short explanations of failed ops: why Linux returns this errno for this syscall, or raises this
 * signal for this access, naming the kernel function that decides (Linux 6.18). A small data
 * table, keyed by "op errno"; an errno the table does not know for an op falls back to its
 * strerror text.
 */
import { Errno, strerror } from '../../../src/index.js';
import type { OpResult } from '../../../scenario/format.js';

export interface Explanation {
  /** The errno name or signal code explained. */
  what: string;
  /** One line per cause, each ending with the kernel function that decides it. */
  causes: string[];
}

/** "op ERRNO" → causes. `*` stands for any op. */
const ERRNO: Readonly<Record<string, readonly string[]>> = {
  'mmap EINVAL': [
    'len 0, or an offset that is not page-aligned: do_mmap(), ksys_mmap_pgoff()',
    'a map type that is none of MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_DROPPABLE (e.g. 0): do_mmap()',
    'MAP_FIXED with an address that is not page-aligned: __get_unmapped_area()',
    'a combination the mapping type refuses (MAP_GROWSDOWN with shared memory or a file; MAP_DROPPABLE with a file, MAP_LOCKED, MAP_HUGETLB or MAP_GROWSDOWN): do_mmap()',
  ],
  'mmap ENOMEM': [
    'no free range large enough below mmap_base, or a hint/MAP_FIXED range outside the address space: vm_unmapped_area(), __get_unmapped_area()',
    'len rounds up past the top of the address space (PAGE_ALIGN wraps to 0): do_mmap()',
    'map_count already above vm.max_map_count: do_mmap()',
    'over RLIMIT_AS or RLIMIT_DATA: may_expand_vm(); or refused by the overcommit policy: __vm_enough_memory()',
  ],
  'mmap EACCES': [
    'the fd is not open for reading, or MAP_SHARED with PROT_WRITE on a fd not open for writing: do_mmap()',
    'PROT_EXEC of a file on a noexec mount: do_mmap() (VM_MAYEXEC cleared)',
  ],
  'mmap EBADF': ['no MAP_ANONYMOUS and the fd is not open: ksys_mmap_pgoff()'],
  'mmap ENODEV': ['the file cannot be mapped (no mmap method: a directory, O_PATH, a pipe): do_mmap()'],
  'mmap EOVERFLOW': ['offset + len overflows the file page index (pgoff wraps): do_mmap()'],
  'mmap EEXIST': ['MAP_FIXED_NOREPLACE and the range overlaps an existing VMA: do_mmap()'],
  'mmap EPERM': [
    'address below vm.mmap_min_addr without CAP_SYS_RAWIO: cap_mmap_addr()',
    'MAP_FIXED over a sealed range (mseal): do_vmi_munmap() via can_modify_vma()',
  ],
  'mmap EAGAIN': ['MAP_LOCKED over RLIMIT_MEMLOCK: mlock_future_ok()'],
  'mmap EOPNOTSUPP': ['MAP_SHARED_VALIDATE with a flag the file does not support: do_mmap()'],
  'munmap EINVAL': ['addr not page-aligned, len 0, or a range beyond TASK_SIZE: do_vmi_munmap()'],
  'munmap ENOMEM': ['the unmap would split a VMA while map_count is at vm.max_map_count: vms_gather_munmap_vmas()'],
  'munmap EPERM': ['the range is sealed (mseal): vms_gather_munmap_vmas() via can_modify_vma()'],
  'mprotect EINVAL': [
    'start not page-aligned, or unknown prot bits: do_mprotect_pkey()',
    'PROT_GROWSDOWN/PROT_GROWSUP on a VMA that does not grow that way: do_mprotect_pkey()',
  ],
  'mprotect ENOMEM': [
    'part of the range is not mapped (a hole), or it runs past TASK_SIZE: do_mprotect_pkey()',
    'a split would take map_count past vm.max_map_count: mprotect_fixup() → split_vma()',
  ],
  'mprotect EACCES': [
    'PROT_WRITE on a shared file mapping whose fd was read-only (no VM_MAYWRITE), or PROT_EXEC without VM_MAYEXEC: do_mprotect_pkey()',
  ],
  'mprotect EPERM': ['the range is sealed (mseal): do_mprotect_pkey() via can_modify_vma()'],
  'mremap EINVAL': [
    'old_addr not page-aligned, new_len 0, unknown flags, or MREMAP_FIXED/DONTUNMAP without MREMAP_MAYMOVE: check_mremap_params()',
    'source and destination overlap, or DONTUNMAP on a mapping it cannot apply to: mremap_to(), remap_is_valid()',
  ],
  'mremap EFAULT': ['the old range is not mapped, or spans more than one VMA: resize_is_valid()'],
  'mremap ENOMEM': [
    'cannot grow in place and MREMAP_MAYMOVE was not given, or no free range for the move: expand_vma(), mremap_to()',
    'over RLIMIT_AS or vm.max_map_count: may_expand_vm(), do_mremap()',
  ],
  'mremap EPERM': ['the range is sealed (mseal): can_modify_vma()'],
  'mremap EAGAIN': ['growing a locked mapping past RLIMIT_MEMLOCK: resize_is_valid() → mlock_future_ok()'],
  'madvise EINVAL': [
    'start not page-aligned, or unknown advice: do_madvise()',
    'advice the VMA refuses (e.g. MADV_DONTNEED on VM_LOCKED or VM_PFNMAP, MADV_REMOVE on a non-shared mapping without a file): madvise_vma_behavior()',
  ],
  'madvise ENOMEM': ['part of the range is not mapped (the mapped part was still advised): madvise_walk_vmas()'],
  'madvise EACCES': ['MADV_REMOVE on a mapping that is not shared and writable: madvise_remove()'],
  'madvise EPERM': ['a discarding advice on a sealed read-only anonymous range: can_madvise_modify()'],
  'madvise EAGAIN': ['a split would take map_count past vm.max_map_count: madvise_update_vma()'],
  'madvise ENODEV': ['MADV_REMOVE on a file that cannot punch holes (vfs_fallocate): madvise_remove()'],
  'msync EINVAL': ['start not page-aligned, unknown flags, or MS_ASYNC with MS_SYNC: SYSCALL_DEFINE3(msync) (mm/msync.c)'],
  'msync ENOMEM': ['part of the range is not mapped: SYSCALL_DEFINE3(msync) (mm/msync.c)'],
  'msync EBUSY': ['MS_INVALIDATE on a locked mapping: SYSCALL_DEFINE3(msync) (mm/msync.c)'],
  'mlock ENOMEM': [
    'part of the range is not mapped: apply_vma_lock_flags()',
    'the locked total would pass RLIMIT_MEMLOCK without CAP_IPC_LOCK: do_mlock()',
  ],
  'mlock EPERM': ['RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK: can_do_mlock()'],
  'mlock EINVAL': ['mlock2 with unknown flags: SYSCALL_DEFINE3(mlock2)'],
  'mlock EAGAIN': ['some pages could not be locked: __mm_populate()'],
  'munlock ENOMEM': ['part of the range is not mapped: apply_vma_lock_flags()'],
  'mlockall EINVAL': ['flags 0, unknown, or MCL_ONFAULT alone: SYSCALL_DEFINE1(mlockall)'],
  'mlockall ENOMEM': ['MCL_CURRENT and the total would pass RLIMIT_MEMLOCK: SYSCALL_DEFINE1(mlockall)'],
  'mlockall EPERM': ['RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK: can_do_mlock()'],
  'mseal EINVAL': ['start not page-aligned, flags not 0, or start + len overflows: do_mseal()'],
  'mseal ENOMEM': ['part of the range is not mapped: range_contains_unmapped() in do_mseal()'],
  'mincore EINVAL': ['start not page-aligned: SYSCALL_DEFINE3(mincore)'],
  'mincore ENOMEM': ['part of the range is not mapped, or it runs past TASK_SIZE: do_mincore()'],
  'mincore EFAULT': ['the vector is not writable memory: SYSCALL_DEFINE3(mincore)'],
  'open ENOENT': ['no such file and no O_CREAT: path_openat()'],
  'open EEXIST': ['O_CREAT|O_EXCL and the file exists: open_last_lookups()'],
  'open EISDIR': ['a directory opened for writing: do_open()'],
  'open EACCES': ['the file mode refuses the access: may_open()'],
  'open EINVAL': ['a flag combination open refuses (O_TMPFILE without write access, O_PATH with others): build_open_flags()'],
  'open ENOTDIR': ['O_DIRECTORY on a file that is not a directory: do_open()'],
  'close EBADF': ['the fd is not open: close_fd()'],
  'ftruncate EINVAL': ['length negative, or the fd is not a regular file open for writing: do_sys_ftruncate(), do_ftruncate()'],
  'ftruncate EBADF': ['the fd is not open: do_sys_ftruncate()'],
  'ftruncate EFBIG': ['length beyond the file system\'s maximum file size or RLIMIT_FSIZE: inode_newsize_ok()'],
  'ftruncate EPERM': ['the file is append-only: do_ftruncate()'],
  'pread EBADF': ['the fd is not open, or not open for reading: ksys_pread64()'],
  'pread EFAULT': ['the buffer is not mapped writable: copy_to_user() in the file\'s read_iter'],
  'pread EINVAL': ['a negative offset: ksys_pread64(); or O_DIRECT misalignment: generic_file_read_iter()'],
  'pread EISDIR': ['the fd is a directory: vfs_read()'],
  'pwrite EBADF': ['the fd is not open, or not open for writing: ksys_pwrite64()'],
  'pwrite EFAULT': ['the buffer is not mapped readable: copy_from_user() in the file\'s write_iter'],
  'pwrite EINVAL': ['a negative offset: ksys_pwrite64()'],
  'pwrite EFBIG': ['the write would pass the maximum file size or RLIMIT_FSIZE: generic_write_check_limits()'],
  'unlink ENOENT': ['no such file: do_unlinkat()'],
  'unlink EISDIR': ['the name is a directory: do_unlinkat()'],
  'setrlimit EINVAL': ['cur above max, or an unknown resource: do_prlimit()'],
  'setrlimit EPERM': ['raising the hard limit without CAP_SYS_RESOURCE: do_prlimit()'],
  'anon_name EINVAL': ['a name longer than 80 bytes or with unprintable characters, or an unaligned start: prctl_set_vma()'],
  'anon_name ENOMEM': ['part of the range is not mapped: madvise_walk_vmas()'],
  'anon_name EBADF': ['a file-backed VMA (only anonymous and shmem memory can be named): madvise_vma_behavior()'],
  'fork ENOMEM': ['the address space could not be copied (no memory for the page tables or pages): dup_mmap()'],
  '* EBADF': ['the fd is not open: fdget()'],
};

/** Signal codes of a faulting access. */
const SIGNAL: Readonly<Record<string, readonly string[]>> = {
  SEGV_MAPERR: [
    'no VMA covers the address (a hole, or below the stack\'s guard gap): do_user_addr_fault() → bad_area_nosemaphore() (lock_mm_and_find_vma() found nothing)',
    'or a guard marker installed by MADV_GUARD_INSTALL: handle_pte_marker()',
  ],
  SEGV_ACCERR: ['a VMA covers the address but forbids the access (read of PROT_NONE, write to read-only, fetch from non-exec): do_user_addr_fault() → access_error() → bad_area_access_error()'],
  SEGV_PKUERR: ['the protection key forbids the access: bad_area_access_error()'],
  BUS_ADRERR: ['the page of a file mapping lies past the end of the file: filemap_fault() / shmem_fault() return VM_FAULT_SIGBUS → do_sigbus()'],
  BUS_OBJERR: ['the object behind the mapping cannot supply the page: do_sigbus()'],
  SI_KERNEL: ['a non-canonical address: a general-protection fault (#GP), not a page fault; si_addr is 0: exc_general_protection()'],
};

export function explain(opName: string, r: OpResult): Explanation | undefined {
  if (r.errno !== undefined) {
    const causes = ERRNO[`${opName} ${r.errno}`] ?? ERRNO[`* ${r.errno}`];
    if (causes) return { what: r.errno, causes: [...causes] };
    const n = (Errno as Readonly<Record<string, number>>)[r.errno];
    return { what: r.errno, causes: [n === undefined ? 'an errno the inspector has no text for' : `${strerror(n)} (no explanation in the table for ${opName})`] };
  }
  if (r.code !== undefined && r.signal !== undefined) {
    const causes = SIGNAL[r.code];
    return { what: `${r.signal}/${r.code} at ${r.addr ?? '?'}`, causes: causes ? [...causes] : ['a signal code the inspector has no text for'] };
  }
  if (r.skip !== undefined) {
    return { what: 'skip', causes: [`not run: ${r.skip} (spec/scenario.md §2.1, §3.1: a runner skips it too)`] };
  }
  if (r.error !== undefined) return { what: 'error', causes: [`a runner limit, not a Linux answer: ${r.error}`] };
  return undefined;
}

/** Every key of the errno table (for tests: each cites a function). */
export const ERRNO_KEYS: readonly string[] = Object.keys(ERRNO);
export const ERRNO_TABLE = ERRNO;

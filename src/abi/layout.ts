/**
 * x86-64 (4-level paging) layout constants and the defaults of the reference machine
 * (spec linux-mm.md §0).
 */
export const PAGE_SIZE = 0x1000;
export const PAGE_SHIFT = 12;
export const PMD_SIZE = 0x200000;
/** TASK_SIZE = DEFAULT_MAP_WINDOW = 2^47 - 4096 on 4-level paging. */
export const TASK_SIZE = 0x7ffffffff000;
export const DEFAULT_MAP_WINDOW = TASK_SIZE;
export const TASK_SIZE_MAX = TASK_SIZE;
/** The 32-bit (compat) task size. */
export const IA32_PAGE_OFFSET = 0xffffe000;
/** stack_guard_gap default: 256 pages. */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
export const DEFAULT_MAX_MAP_COUNT = 65530;
/** vm.mmap_min_addr (the DAC value: checked against MAP_FIXED addresses without CAP_SYS_RAWIO). */
export const DEFAULT_MMAP_MIN_ADDR = 4096;
/** CONFIG_LSM_MMAP_MIN_ADDR: the effective floor for hints and searches is the max of both. */
export const DEFAULT_LSM_MMAP_MIN_ADDR = 65536;
/** 2^64 - 1 as a bigint: RLIM_INFINITY and the top of the u64 domain. */
export const U64_MAX = 0xffffffffffffffffn;
export const RLIM_INFINITY = U64_MAX;
/** `[vsyscall]` gate area: a fixed maps line outside the user range. */
export const VSYSCALL_START = 0xffffffffff600000n;
export const VSYSCALL_END = 0xffffffffff601000n;

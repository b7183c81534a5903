/**
 * The start state used when a scenario has no init record: the kernel oracle's executor as
 * recorded on the reference machine (Linux 6.18 x86-64, ASLR off, the oracle's fixed rlimits).
 */
export const DEFAULT_INIT: Record<string, unknown> = {
 "version": 1,
 "oracle": "kernel-oracle 1.0",
 "kernel": "6.18.44-fc-v782",
 "arch": "x86_64",
 "page_size": 4096,
 "task_size": "0x7ffffffff000",
 "mmap_layout": "topdown",
 "mmap_base": "0x7ffff7fff000",
 "mmap_legacy_base": "0x2aaaaaaab000",
 "stack_guard_gap": "0x100000",
 "start_code": "0x401000",
 "end_code": "0x401a40",
 "start_stack": "0x7fffffffee20",
 "start_data": "0x403038",
 "end_data": "0x403044",
 "start_brk": "0x515000",
 "brk": "0x515000",
 "arg_start": "0x7fffffffefde",
 "arg_end": "0x7fffffffefec",
 "env_start": "0x7fffffffefec",
 "env_end": "0x7fffffffefec",
 "maps": [
  "00400000-00401000 r--p 00000000 00:01 1                                  /memfd:oracle-exec (deleted)",
  "00401000-00402000 r-xp 00001000 00:01 1                                  /memfd:oracle-exec (deleted)",
  "00402000-00403000 r--p 00002000 00:01 1                                  /memfd:oracle-exec (deleted)",
  "00403000-00404000 rw-p 00002000 00:01 1                                  /memfd:oracle-exec (deleted)",
  "00404000-00515000 rw-p 00000000 00:00 0 ",
  "7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]",
  "7ffff7ffb000-7ffff7ffd000 r--p 00000000 00:00 0                          [vvar_vclock]",
  "7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]",
  "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
  "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]"
 ],
 "smaps": [
  {
   "line": "00400000-00401000 r--p 00000000 00:01 1                                  /memfd:oracle-exec (deleted)",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd mr mw me"
  },
  {
   "line": "00401000-00402000 r-xp 00001000 00:01 1                                  /memfd:oracle-exec (deleted)",
   "Rss": 4,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd ex mr mw me"
  },
  {
   "line": "00402000-00403000 r--p 00002000 00:01 1                                  /memfd:oracle-exec (deleted)",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd mr mw me"
  },
  {
   "line": "00403000-00404000 rw-p 00002000 00:01 1                                  /memfd:oracle-exec (deleted)",
   "Rss": 4,
   "Anonymous": 4,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd wr mr mw me ac"
  },
  {
   "line": "00404000-00515000 rw-p 00000000 00:00 0 ",
   "Rss": 1092,
   "Anonymous": 1092,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd wr mr mw me ac"
  },
  {
   "line": "7ffff7ff7000-7ffff7ffb000 r--p 00000000 00:00 0                          [vvar]",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd mr pf io de dd"
  },
  {
   "line": "7ffff7ffb000-7ffff7ffd000 r--p 00000000 00:00 0                          [vvar_vclock]",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd mr pf io de dd"
  },
  {
   "line": "7ffff7ffd000-7ffff7fff000 r-xp 00000000 00:00 0                          [vdso]",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd ex mr mw me de"
  },
  {
   "line": "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
   "Rss": 52,
   "Anonymous": 52,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "rd wr mr mw me gd ac"
  },
  {
   "line": "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
   "Rss": 0,
   "Anonymous": 0,
   "Locked": 0,
   "THPeligible": 0,
   "VmFlags": "ex"
  }
 ],
 "status": {
  "VmPeak": 1272,
  "VmSize": 1272,
  "VmLck": 0,
  "VmPin": 0,
  "VmHWM": 1152,
  "VmRSS": 1152,
  "RssAnon": 1148,
  "RssFile": 0,
  "RssShmem": 4,
  "VmData": 1096,
  "VmStk": 132,
  "VmExe": 4,
  "VmLib": 8,
  "VmPTE": 24,
  "VmSwap": 0
 },
 "sysctl": {
  "vm.max_map_count": 65530,
  "vm.mmap_min_addr": 4096,
  "vm.overcommit_memory": 0,
  "vm.overcommit_ratio": 50,
  "vm.overcommit_kbytes": 0,
  "vm.admin_reserve_kbytes": 8192,
  "vm.user_reserve_kbytes": 100453,
  "vm.legacy_va_layout": 0,
  "vm.nr_hugepages": 0,
  "kernel.randomize_va_space": 2
 },
 "thp": {
  "enabled": "madvise",
  "defrag": "madvise",
  "shmem_enabled": "never",
  "hpage_pmd_size": 2097152
 },
 "rlimits": {
  "RLIMIT_AS": [
   "0xffffffffffffffff",
   "0xffffffffffffffff"
  ],
  "RLIMIT_DATA": [
   "0xffffffffffffffff",
   "0xffffffffffffffff"
  ],
  "RLIMIT_STACK": [
   "0x800000",
   "0xffffffffffffffff"
  ],
  "RLIMIT_MEMLOCK": [
   "0x800000",
   "0x800000"
  ],
  "RLIMIT_NOFILE": [
   "0x400",
   "0x400"
  ],
  "RLIMIT_FSIZE": [
   "0xffffffffffffffff",
   "0xffffffffffffffff"
  ]
 },
 "uid": 0,
 "cap_eff": "0x0",
 "mem_total_kb": 24683620,
 "swap_total_kb": 0,
 "personality": "0x40000",
 "cpu": {
  "pku": false,
  "la57": false
 },
 "kconfig": {
  "CONFIG_ANON_VMA_NAME": "n",
  "CONFIG_TRANSPARENT_HUGEPAGE": "y",
  "CONFIG_READ_ONLY_THP_FOR_FS": "n",
  "CONFIG_HUGETLBFS": "y",
  "CONFIG_KSM": "y",
  "CONFIG_USERFAULTFD": "y",
  "CONFIG_MEMORY_FAILURE": "n",
  "CONFIG_MSEAL_SYSTEM_MAPPINGS": "n",
  "CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS": "y",
  "CONFIG_X86_5LEVEL": "n",
  "CONFIG_PGTABLE_LEVELS": "5",
  "CONFIG_MEM_SOFT_DIRTY": "n",
  "CONFIG_COMPAT_BRK": "n",
  "CONFIG_LEGACY_VSYSCALL_XONLY": "y",
  "CONFIG_LEGACY_VSYSCALL_EMULATE": "n",
  "CONFIG_LEGACY_VSYSCALL_NONE": "n",
  "CONFIG_PER_VMA_LOCK": "y",
  "CONFIG_ARCH_HAS_PKEYS": "y",
  "CONFIG_SHMEM": "y",
  "CONFIG_NUMA": "y"
 },
 "scratch": {
  "path": "/scratch",
  "fs": "ext4",
  "dev": "00:00",
  "inodes": "creation order from 1"
 },
 "fds": {
  "first": 3,
  "limit": 256
 },
 "harness": [
  {
   "start": "0x400000",
   "end": "0x515000",
   "what": "executor image"
  },
  {
   "start": "0x7ffffffde000",
   "end": "0x7ffffffff000",
   "what": "stack"
  }
 ]
};

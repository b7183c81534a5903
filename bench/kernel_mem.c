/* The host kernel's page-fault, zap, fork and memcpy costs: the kernel anchors of the memory
 * benchmarks (goals G9-G16 and G21 of shared/research/perf.md §6; method in §3, reference
 * figures in §4.2). Compiled by bench/mem-anchors.mjs with the system `cc -O2` at bench time.
 *
 * Adapted from the perf anchors (shared/research/perf-anchors/kernel_fault.c for the faults and
 * fork, native_mem.c for memcpy, common.h for the helpers); self-contained.
 *
 * Faults: a 64 MiB anonymous private region (16,384 pages, MADV_NOHUGEPAGE so every fault is a
 * 4 KiB one whatever THP says), one access per page, so each page takes exactly one fault;
 * getrusage's minor-fault count is reported beside each figure (faultsPerPage, expect 1.00).
 *   faultWrite           first-touch store per page (do_anonymous_page: allocate + zero)
 *   populate             the same allocation via MAP_POPULATE (no trap; for scale)
 *   faultZeroRead        first-touch load per page (maps the shared zero page)
 *   faultWriteAfterZero  store to a page that maps the zero page (wp fault: allocate + zero)
 *   faultCow             store in the child after fork to a page populated by the parent
 *                        (wp fault: allocate + copy 4 KiB); timed in the child, sent by a pipe
 *   madvDontneed         MADV_DONTNEED of the populated region, per page
 *   munmap               munmap of the populated region, per page
 * fork: time from fork() to its return in the parent (copying VMAs and page tables,
 * write-protecting private PTEs) and, separately (key + "RoundTrip"), fork + the child's
 * _exit + waitpid (adds the teardown), with the bare process, 64 MiB and 1 GiB populated
 * anonymous memory, and 10,000 single-page populated VMAs (alternating RW/R, so none merge).
 * memcpy: glibc memcpy of 4 KiB, 64 KiB and 1 MiB between two 32 MiB buffers (both at offset
 * 0, as js_copy.mjs's prebuilt views), ~256 MiB moved per run; ns per copy.
 *
 * Every figure is the median (and min, max) over RUNS runs, each run one batch divided by its
 * size; one untimed warm-up run precedes the timed runs of every case. The process pins itself
 * to its current CPU.
 *
 * Output: one JSON object on stdout, nothing else:
 *   {"clock":"wall","runs":9,"quick":false,"pageSize":4096,"faultRegionBytes":67108864,
 *    "baseVmas":N,"seconds":S,"ops":{"<key>":{"name":"...","unit":"ns/page","median":..,
 *    "min":..,"max":..,"runs":9[,"faultsPerPage":1.00][,"vmas":N][,"bytes":N]},...},
 *    "zeroPage":true}
 * zeroPage false: the read fault did not map the zero page but allocated a page (the store after
 * it then takes no fault: faultWriteAfterZero measures a plain store, faultsPerPage 0.00).
 * Units: ns/page (faults, zaps), ns/fork (fork keys), ns/copy (memcpy keys).
 *
 * Usage: kernel_mem [--runs N] [--quick]
 *   --runs N   timed runs per case (default 9; 5 with --quick)
 *   --quick    5 runs and 64 MiB moved per memcpy run (about half the time)
 *   env BENCH_CLOCK=cpu: the process's CPU time instead of CLOCK_MONOTONIC (the fork round
 *   trips, which wait for the child, are always wall-clock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define KiB 1024UL
#define MiB (1024UL * 1024UL)
#define REGION (64 * MiB)
#define NPAGES (REGION / PAGE)
#define MAX_RUNS 64

static int RUNS = 9;
static int QUICK = 0;
static size_t COPY_BYTES = 256 * MiB;
static clockid_t bench_clock = CLOCK_MONOTONIC;

#define BENCH_JSON
#include "bench_util.h"
static uint64_t now_ns(void) { return clock_ns(bench_clock); }
static uint64_t wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static void die(const char *what)
{
	fprintf(stderr, "kernel_mem: %s: %s\n", what, strerror(errno));
	exit(1);
}

static volatile uint64_t bench_sink;

static char *map_region(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void touch_write(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE)
		((volatile char *)p)[off] = 1;
}

static uint64_t touch_read(const char *p, size_t len)
{
	uint64_t s = 0;
	for (size_t off = 0; off < len; off += PAGE)
		s += ((const volatile char *)p)[off];
	return s;
}

/* ---- JSON output ------------------------------------------------------------------------ */

/* Returns the median faults per page. */
static double emit_fault(const char *key, const char *name, double *t, double *f)
{
	char extra[64];
	qsort(f, (size_t)RUNS, sizeof *f, cmp_double);
	double fpp = median_sorted(f, RUNS);
	snprintf(extra, sizeof extra, "\"faultsPerPage\":%.2f", fpp);
	emit(key, name, "ns/page", t, extra);
	return fpp;
}

/* ---- page faults and zaps ----------------------------------------------------------------
 * Run r = 0 is the warm-up: every loop below runs RUNS + 1 times and keeps runs 1..RUNS. */

static double t[MAX_RUNS], f[MAX_RUNS];

/* Whether a read fault mapped the shared zero page: then the store after it faults again. Some
 * kernels (e.g. guests booted with pvm_no_zero_page=1) allocate a real page on the read fault,
 * and the store after it takes no fault at all. */
static int zero_page = -1;

static void bench_first_touch(void)
{
	double zap[MAX_RUNS], unmap[MAX_RUNS];
	for (int r = 0; r <= RUNS; r++) {
		char *p = map_region(REGION);
		long f0 = minor_faults();
		uint64_t t0 = now_ns();
		touch_write(p, REGION);
		uint64_t t1 = now_ns();
		long f1 = minor_faults();
		/* MADV_DONTNEED frees the pages but keeps the VMA ... */
		uint64_t t2 = now_ns();
		madvise(p, REGION, MADV_DONTNEED);
		uint64_t t3 = now_ns();
		/* ... munmap of the repopulated region frees the pages and the VMA. */
		touch_write(p, REGION);
		uint64_t t4 = now_ns();
		munmap(p, REGION);
		uint64_t t5 = now_ns();
		if (r == 0)
			continue;
		t[r - 1] = (double)(t1 - t0) / NPAGES;
		f[r - 1] = (double)(f1 - f0) / NPAGES;
		zap[r - 1] = (double)(t3 - t2) / NPAGES;
		unmap[r - 1] = (double)(t5 - t4) / NPAGES;
	}
	emit_fault("faultWrite", "write fault, first touch (anon private)", t, f);
	emit("madvDontneed", "madvise(MADV_DONTNEED), populated", "ns/page", zap, NULL);
	emit("munmap", "munmap, populated", "ns/page", unmap, NULL);
}

/* The same allocation and zeroing without the trap: MAP_POPULATE walks the range with
 * get_user_pages, which calls handle_mm_fault per page (so getrusage still counts one fault
 * per page) but takes no exception. faultWrite - populate ~ the trap's own cost. */
static void bench_populate(void)
{
	for (int r = 0; r <= RUNS; r++) {
		long f0 = minor_faults();
		uint64_t t0 = now_ns();
		char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		uint64_t t1 = now_ns();
		long f1 = minor_faults();
		if (p == MAP_FAILED)
			die("mmap populate");
		munmap(p, REGION);
		if (r == 0)
			continue;
		t[r - 1] = (double)(t1 - t0) / NPAGES;
		f[r - 1] = (double)(f1 - f0) / NPAGES;
	}
	emit_fault("populate", "MAP_POPULATE (allocate + zero, no trap)", t, f);
}

static void bench_zero_page(void)
{
	for (int r = 0; r <= RUNS; r++) {
		char *p = map_region(REGION);
		long f0 = minor_faults();
		uint64_t t0 = now_ns();
		bench_sink += touch_read(p, REGION);
		uint64_t t1 = now_ns();
		long f1 = minor_faults();
		munmap(p, REGION);
		if (r == 0)
			continue;
		t[r - 1] = (double)(t1 - t0) / NPAGES;
		f[r - 1] = (double)(f1 - f0) / NPAGES;
	}
	emit_fault("faultZeroRead", "read fault mapping the zero page", t, f);
	/* A store to a page that maps the zero page: a write-protect fault that allocates a fresh
	 * zeroed page (do_wp_page -> wp_page_copy). */
	for (int r = 0; r <= RUNS; r++) {
		char *p = map_region(REGION);
		bench_sink += touch_read(p, REGION);
		long f0 = minor_faults();
		uint64_t t0 = now_ns();
		touch_write(p, REGION);
		uint64_t t1 = now_ns();
		long f1 = minor_faults();
		munmap(p, REGION);
		if (r == 0)
			continue;
		t[r - 1] = (double)(t1 - t0) / NPAGES;
		f[r - 1] = (double)(f1 - f0) / NPAGES;
	}
	zero_page = emit_fault("faultWriteAfterZero", "write fault after a zero-page read", t, f) >= 0.5;
}

/* COW: the parent populates the region and forks; the child stores to every page (each store
 * copies a 4 KiB page still mapped by the parent) and sends its timing through a pipe. */
static void bench_cow(void)
{
	char *p = map_region(REGION);
	touch_write(p, REGION);
	for (int r = 0; r <= RUNS; r++) {
		int fd[2];
		double msg[2];
		if (pipe(fd))
			die("pipe");
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			long f0 = minor_faults();
			uint64_t t0 = now_ns();
			touch_write(p, REGION);
			uint64_t t1 = now_ns();
			msg[0] = (double)(t1 - t0) / NPAGES;
			msg[1] = (double)(minor_faults() - f0) / NPAGES;
			if (write(fd[1], msg, sizeof msg) != (ssize_t)sizeof msg)
				_exit(1);
			_exit(0);
		}
		if (read(fd[0], msg, sizeof msg) != (ssize_t)sizeof msg)
			die("read from child");
		waitpid(pid, NULL, 0);
		close(fd[0]);
		close(fd[1]);
		if (r == 0)
			continue;
		t[r - 1] = msg[0];
		f[r - 1] = msg[1];
	}
	munmap(p, REGION);
	emit_fault("faultCow", "COW write fault in the child after fork", t, f);
}

/* ---- fork ---------------------------------------------------------------------------------- */

static void bench_fork(const char *key, const char *name)
{
	double call[MAX_RUNS], round[MAX_RUNS];
	char rkey[64], rname[160], extra[64];
	long vmas = vma_count();
	for (int r = 0; r <= RUNS; r++) {
		uint64_t w0 = wall_ns(), t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		uint64_t t1 = now_ns();
		if (pid < 0)
			die("fork");
		waitpid(pid, NULL, 0);
		uint64_t w2 = wall_ns();
		if (r == 0)
			continue;
		call[r - 1] = (double)(t1 - t0);
		round[r - 1] = (double)(w2 - w0);
	}
	snprintf(extra, sizeof extra, "\"vmas\":%ld", vmas);
	emit(key, name, "ns/fork", call, extra);
	snprintf(rkey, sizeof rkey, "%sRoundTrip", key);
	snprintf(rname, sizeof rname, "%s: fork + child _exit + waitpid", name);
	emit(rkey, rname, "ns/fork", round, extra);
}

/* ---- memcpy ---------------------------------------------------------------------------------
 * Copies `size` bytes until COPY_BYTES have moved, src and dst at the start of two 32 MiB
 * buffers (the layout of js_copy.mjs's "set (prebuilt views)"). */
static void bench_memcpy(const char *key, const char *name, size_t size)
{
	static char *a, *b;
	double ns[MAX_RUNS];
	char extra[64];
	size_t reps = COPY_BYTES / size;
	if (!a) {
		a = map_region(32 * MiB);
		b = map_region(32 * MiB);
		memset(a, 1, 32 * MiB);
		memset(b, 2, 32 * MiB);
	}
	for (int r = 0; r <= RUNS; r++) {
		uint64_t t0 = now_ns();
		for (size_t i = 0; i < reps; i++) {
			memcpy(b, a, size);
			__asm__ volatile("" ::: "memory");
		}
		uint64_t dt = now_ns() - t0;
		if (r == 0)
			continue;
		ns[r - 1] = (double)dt / (double)reps;
	}
	snprintf(extra, sizeof extra, "\"bytes\":%zu", size);
	emit(key, name, "ns/copy", ns, extra);
}

int main(int argc, char **argv)
{
	int runs = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			QUICK = 1;
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: kernel_mem [--runs N (1..%d)] [--quick]\n", MAX_RUNS);
			return 2;
		}
	}
	RUNS = runs > 0 ? runs : QUICK ? 5 : 9;
	if (RUNS > MAX_RUNS) {
		fprintf(stderr, "kernel_mem: --runs at most %d\n", MAX_RUNS);
		return 2;
	}
	if (QUICK)
		COPY_BYTES = 64 * MiB;
	if (getenv("BENCH_CLOCK") && strcmp(getenv("BENCH_CLOCK"), "cpu") == 0)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	uint64_t start = wall_ns();
	pin_to_current_cpu();

	printf("{\"clock\":\"%s\",\"runs\":%d,\"quick\":%s,\"pageSize\":%lu,\"faultRegionBytes\":%lu,"
	       "\"baseVmas\":%ld,\"ops\":{",
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu", RUNS, QUICK ? "true" : "false", PAGE,
	       REGION, vma_count());

	bench_first_touch();
	bench_populate();
	bench_zero_page();
	bench_cow();

	bench_fork("forkBase", "fork(), bare process");

	char *m64 = map_region(64 * MiB);
	touch_write(m64, 64 * MiB);
	bench_fork("fork64m", "fork(), 64 MiB resident");
	munmap(m64, 64 * MiB);

	char *g1 = map_region(1024 * MiB);
	touch_write(g1, 1024 * MiB);
	bench_fork("fork1g", "fork(), 1 GiB resident");
	munmap(g1, 1024 * MiB);

	const long nv = 10000;
	char *v = map_region((size_t)nv * PAGE);
	touch_write(v, (size_t)nv * PAGE);
	for (long i = 1; i < nv; i += 2)
		if (mprotect(v + i * PAGE, PAGE, PROT_READ))
			die("mprotect");
	bench_fork("fork10kVmas", "fork(), 10,000 VMAs of one populated page");
	munmap(v, (size_t)nv * PAGE);

	bench_memcpy("memcpy4k", "memcpy 4 KiB", 4 * KiB);
	bench_memcpy("memcpy64k", "memcpy 64 KiB", 64 * KiB);
	bench_memcpy("memcpy1m", "memcpy 1 MiB", 1 * MiB);

	printf("},\"zeroPage\":%s,\"seconds\":%.2f}\n", zero_page ? "true" : "false",
	       (double)(wall_ns() - start) / 1e9);
	return 0;
}

/* The host kernel's VMA syscalls, timed on exactly the round trips bench/vma.mjs runs on
 * vmspace. Adapted from the perf anchor (shared/research/perf-anchors/kernel_vma.c, see
 * perf.md §3 and §4.1); compiled by bench/run.mjs with the system `cc -O2` at bench time.
 *
 * Every timed iteration is a round trip that leaves the address space as it found it, so all
 * iterations do the same work. Nothing is touched. The address space is filled with "filler"
 * VMAs - one mapping whose pages alternate PROT_READ|PROT_WRITE / PROT_READ, so no two
 * neighbours merge - to each level (the process's own VMAs, then ~1,000, ~10,000 and ~60,000).
 *
 * Placement controls (as in the anchor): the small gaps the loader leaves between libraries are
 * filled with PROT_NONE placeholders and a PROT_NONE "fence" page is kept as the lowest mapping,
 * so an unhinted mapping lands right below the lowest mapping as a new VMA (checked once per
 * level: +1 VMA; the "merging" variant: +0). Maple-leaf occupancy: every operation is timed at
 * 16 neighbouring positions (one more single-page "shim" VMA below the fence each time), 3 runs
 * each: 48 samples per (operation, level); median, min and max over all of them.
 *
 * Output: one JSON document on stdout (nothing else). VMA counts are map_count, i.e. the lines
 * of /proc/self/maps without [vsyscall] - what vmspace's mapCount counts.
 *
 * Usage: kernel_vma [iterations-per-run [levels...]]   (default 1000; 0 1000 10000 60000)
 *        env BENCH_CLOCK=cpu: CPU time instead of CLOCK_MONOTONIC
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define KiB 1024UL
#define MiB (1024UL * 1024UL)
#define GiB (1024UL * MiB)

static int ITERS = 1000;

static const int RW = PROT_READ | PROT_WRITE;
static const int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/* BENCH_CLOCK=cpu times with the process's CPU time instead of the wall clock: steadier when
 * other processes compete for the CPUs (time spent descheduled is not counted). */
static clockid_t bench_clock = CLOCK_MONOTONIC;
#include "bench_util.h"

static uint64_t now_ns(void) { return clock_ns(bench_clock); }

static void die(const char *what)
{
	fprintf(stderr, "kernel_vma: %s: %s\n", what, strerror(errno));
	exit(1);
}

static volatile uint64_t bench_sink;

static char *map_anon(void *addr, size_t len, int prot, int extra)
{
	char *p = mmap(addr, len, prot, ANON | extra, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* A free hole of `len` bytes where the next unhinted mapping would go. */
static char *free_hole(size_t len)
{
	char *p = map_anon(NULL, len, PROT_NONE, 0);
	munmap(p, len);
	return p;
}

static void fill_small_gaps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, prev_hi = 0;
	char line[512];
	if (!f)
		die("open /proc/self/maps");
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (strstr(line, "[stack]") || strstr(line, "[vsyscall]"))
			break;
		/* gaps up to 1 GiB: between libraries, not the heap-to-mmap gap */
		if (prev_hi && lo > prev_hi && lo - prev_hi < (1UL << 30) &&
		    prev_hi > (1UL << 40))
			if (mmap((void *)prev_hi, lo - prev_hi, PROT_NONE,
				 ANON | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED)
				die("fill gap");
		prev_hi = hi;
	}
	fclose(f);
}

static char *lowest; /* the lowest mapping: the fence, then the latest shim */

static char *region_a, *region_b;
static size_t region_len;
static unsigned long brk_start;

static void body_getppid(int n)
{
	for (int i = 0; i < n; i++)
		bench_sink += (uint64_t)syscall(SYS_getppid);
}

static void body_mmap_munmap(int n)
{
	for (int i = 0; i < n; i++) {
		char *p = mmap(NULL, region_len, RW, ANON, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		munmap(p, region_len);
	}
}

/* Placement checks, once per level (position 0): VMAs added by one unhinted mapping of
 * region_len, and where it landed relative to the lowest mapping (vmspace must agree). */
static int check_placement;
static long check_delta = -99;
static long check_offset;
static long check_align;
static void verify_placement(long delta)
{
	long before;
	char *p;
	if (!check_placement)
		return;
	before = vma_count();
	p = map_anon(NULL, region_len, RW, 0);
	check_delta = vma_count() - before;
	check_offset = (long)(p - lowest);
	check_align = (long)((unsigned long)p & (2 * MiB - 1));
	if (check_delta != delta)
		fprintf(stderr, "kernel_vma: mapping at %p added %ld VMAs, expected %ld\n",
			(void *)p, check_delta, delta);
	munmap(p, region_len);
}
static void setup_4k(void)
{
	region_len = 4 * KiB;
	verify_placement(1);
}
static char *merge_neighbour;
static void setup_4k_merging(void)
{
	region_len = 4 * KiB;
	merge_neighbour = map_anon(NULL, PAGE, RW, 0);
	verify_placement(0);
}
static void teardown_merge_neighbour(void) { munmap(merge_neighbour, PAGE); }
static void setup_1m(void)
{
	region_len = 1 * MiB;
	verify_placement(1);
}
static void setup_1g(void)
{
	region_len = 1 * GiB;
	verify_placement(1);
}

static void setup_mprotect(void)
{
	region_len = 16 * MiB;
	region_a = map_anon(NULL, region_len, RW, 0);
}
static void body_mprotect(int n)
{
	char *mid = region_a + region_len / 2;
	for (int i = 0; i < n; i++) {
		if (mprotect(mid, PAGE, PROT_READ) || mprotect(mid, PAGE, RW))
			die("mprotect");
	}
}
static void teardown_a(void) { munmap(region_a, region_len); }

static void body_hole(int n)
{
	char *mid = region_a + region_len / 2;
	for (int i = 0; i < n; i++) {
		if (munmap(mid, PAGE))
			die("munmap");
		map_anon(mid, PAGE, RW, MAP_FIXED);
	}
}

static void setup_grow(void)
{
	region_len = 64 * KiB;
	region_a = map_anon(free_hole(4 * region_len), region_len, RW, MAP_FIXED);
}
static void body_grow(int n)
{
	for (int i = 0; i < n; i++) {
		if (mremap(region_a, region_len, 2 * region_len, 0) != region_a ||
		    mremap(region_a, 2 * region_len, region_len, 0) != region_a)
			die("mremap in place");
	}
}

static void setup_move(void)
{
	char *hole = free_hole(3 * 64 * KiB);
	region_len = 64 * KiB;
	region_a = map_anon(hole, region_len, RW, MAP_FIXED);
	region_b = hole + 2 * region_len;
}
static void body_move(int n)
{
	const int f = MREMAP_MAYMOVE | MREMAP_FIXED;
	for (int i = 0; i < n; i++) {
		if (mremap(region_a, region_len, region_len, f, region_b) != region_b ||
		    mremap(region_b, region_len, region_len, f, region_a) != region_a)
			die("mremap move");
	}
}

/* brk +4 KiB and back, at the end of the existing [heap] VMA (glibc's malloc has made one
 * by now: stdio allocated its buffers); the grow expands that VMA, the shrink splits it. */
static void setup_brk(void)
{
	brk_start = (unsigned long)syscall(SYS_brk, 0);
	if (check_placement) {
		unsigned long grown = ((brk_start + PAGE - 1) & ~(PAGE - 1)) + PAGE;
		long before = vma_count();
		syscall(SYS_brk, grown);
		check_delta = vma_count() - before;
		check_offset = 0;
		check_align = 0;
		syscall(SYS_brk, brk_start);
		if (check_delta != 0)
			fprintf(stderr, "kernel_vma: brk grow added %ld VMAs, expected 0\n", check_delta);
	}
}
static void body_brk(int n)
{
	unsigned long grown = ((brk_start + PAGE - 1) & ~(PAGE - 1)) + PAGE;
	for (int i = 0; i < n; i++) {
		if ((unsigned long)syscall(SYS_brk, grown) != grown)
			die("brk grow");
		syscall(SYS_brk, brk_start);
	}
}

static void nothing(void) {}

struct op {
	const char *id; /* shared with bench/vma.mjs */
	const char *name;
	void (*setup)(void);
	void (*body)(int);
	void (*teardown)(void);
};

static const struct op ops[] = {
	{ "getppid", "getppid (null syscall, one call)", nothing, body_getppid, nothing },
	{ "mmap4k", "mmap+munmap 4 KiB (new VMA)", setup_4k, body_mmap_munmap, nothing },
	{ "mmap4k_merge", "mmap+munmap 4 KiB merging with neighbour", setup_4k_merging, body_mmap_munmap, teardown_merge_neighbour },
	{ "mmap1m", "mmap+munmap 1 MiB untouched", setup_1m, body_mmap_munmap, nothing },
	{ "mmap1g", "mmap+munmap 1 GiB untouched", setup_1g, body_mmap_munmap, nothing },
	{ "mprotect", "mprotect 1 page in 16 MiB and back (split+merge)", setup_mprotect, body_mprotect, teardown_a },
	{ "hole", "munmap middle page + MAP_FIXED refill", setup_mprotect, body_hole, teardown_a },
	{ "mremap_grow", "mremap grow+shrink in place 64 KiB", setup_grow, body_grow, teardown_a },
	{ "mremap_move", "mremap move there+back 64 KiB", setup_move, body_move, teardown_a },
	{ "brk", "brk +4 KiB and back", setup_brk, body_brk, nothing },
};
#define NOPS (sizeof ops / sizeof *ops)

static void grow_filler_to(long target)
{
	long have;
	while ((have = vma_count()) < target) {
		long need = target - have;
		char *p = map_anon(NULL, (size_t)need * PAGE, RW, MAP_NORESERVE);
		for (long i = 1; i < need; i += 2)
			if (mprotect(p + i * PAGE, PAGE, PROT_READ))
				die("mprotect filler");
	}
}

#define POSITIONS 16
#define RUNS_PER_POSITION 3
#define NSAMPLES (POSITIONS * RUNS_PER_POSITION)
static double samples[NOPS][NSAMPLES];
static long checks[NOPS][3]; /* delta, offset from the lowest mapping, address mod 2 MiB */

static void time_op_at_position(size_t o, int pos)
{
	const struct op *op = &ops[o];
	check_delta = -99;
	check_offset = check_align = 0;
	op->setup();
	if (check_placement) {
		checks[o][0] = check_delta;
		checks[o][1] = check_offset;
		checks[o][2] = check_align;
	}
	op->body(ITERS / 10 + 1); /* warm caches and the paths taken */
	for (int r = 0; r < RUNS_PER_POSITION; r++) {
		uint64_t t0 = now_ns();
		op->body(ITERS);
		samples[o][pos * RUNS_PER_POSITION + r] = (double)(now_ns() - t0) / ITERS;
	}
	op->teardown();
}

int main(int argc, char **argv)
{
	long levels[8] = { 0, 1000, 10000, 60000 };
	size_t nlevels = 4;
	if (argc > 1)
		ITERS = atoi(argv[1]);
	if (argc > 2) {
		nlevels = 0;
		for (int i = 2; i < argc && nlevels < 8; i++)
			levels[nlevels++] = atol(argv[i]);
	}
	if (ITERS < 1) {
		fprintf(stderr, "usage: kernel_vma [iterations-per-run [levels...]]\n");
		return 2;
	}
	if (getenv("BENCH_CLOCK") && strcmp(getenv("BENCH_CLOCK"), "cpu") == 0)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	pin_to_current_cpu();
	fill_small_gaps();
	printf("{\"clock\":\"%s\",\"iters\":%d,\"positions\":%d,\"runsPerPosition\":%d,\"baseVmas\":%ld,\"levels\":[",
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu", ITERS, POSITIONS, RUNS_PER_POSITION,
	       vma_count());
	for (size_t l = 0; l < nlevels; l++) {
		long before_fence, after_shims;
		grow_filler_to(levels[l] - POSITIONS);
		before_fence = vma_count();
		lowest = map_anon(NULL, PAGE, PROT_NONE, 0);
		for (int pos = 0; pos < POSITIONS; pos++) {
			check_placement = pos == 0;
			lowest = map_anon(NULL, PAGE, (pos & 1) ? PROT_READ : PROT_NONE, 0);
			for (size_t o = 0; o < NOPS; o++)
				time_op_at_position(o, pos);
		}
		after_shims = vma_count();
		printf("%s{\"level\":%ld,\"vmasBeforeFence\":%ld,\"vmasAfterShims\":%ld,\"ops\":{",
		       l ? "," : "", levels[l], before_fence, after_shims);
		for (size_t o = 0; o < NOPS; o++) {
			double *v = samples[o];
			qsort(v, NSAMPLES, sizeof *v, cmp_double);
			printf("%s\"%s\":{\"name\":\"%s\",\"median\":%.1f,\"min\":%.1f,\"max\":%.1f,"
			       "\"samples\":%d,\"checkDelta\":%ld,\"checkOffset\":%ld,\"checkAlign2M\":%ld}",
			       o ? "," : "", ops[o].id, ops[o].name,
			       (v[NSAMPLES / 2 - 1] + v[NSAMPLES / 2]) / 2, v[0], v[NSAMPLES - 1],
			       NSAMPLES, checks[o][0], checks[o][1], checks[o][2]);
		}
		printf("}}");
		fflush(stdout);
	}
	printf("]}\n");
	return 0;
}

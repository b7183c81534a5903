/*
 * Helpers the kernel-anchor programs (kernel_vma.c, kernel_mem.c, kernel_files.c) share:
 * clocks, sorting and medians, CPU pinning, VMA and fault counts. Include after the system
 * headers, with `bench_clock` defined and `die()` declared by the program.
 */
#ifndef VMSPACE_BENCH_UTIL_H
#define VMSPACE_BENCH_UTIL_H

static void die(const char *what);

#define BENCH_UTIL __attribute__((unused)) static

BENCH_UTIL uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

BENCH_UTIL int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

BENCH_UTIL double median_sorted(const double *v, int n)
{
	return (n & 1) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

BENCH_UTIL void pin_to_current_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof set, &set);
}

/* map_count: one line of /proc/self/maps per VMA, [vsyscall] (not a VMA) excepted. */
BENCH_UTIL long vma_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long n = 0;
	if (!f)
		die("open /proc/self/maps");
	while (fgets(line, sizeof line, f))
		if (strchr(line, '\n') && !strstr(line, "[vsyscall]"))
			n++;
	fclose(f);
	return n;
}

BENCH_UTIL long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

#ifdef BENCH_JSON
/* The JSON "ops" entries (a program defining BENCH_JSON has `RUNS` samples per figure). */
static int emitted;

/* One entry of "ops": median/min/max of v[0..RUNS) (sorted in place), plus `extra` (already
 * formatted JSON members, or NULL). */
static void emit(const char *key, const char *name, const char *unit, double *v, const char *extra)
{
	qsort(v, (size_t)RUNS, sizeof *v, cmp_double);
	printf("%s\"%s\":{\"name\":\"%s\",\"unit\":\"%s\",\"median\":%.2f,\"min\":%.2f,\"max\":%.2f,\"runs\":%d%s%s}",
	       emitted++ ? "," : "", key, name, unit, median_sorted(v, RUNS), v[0], v[RUNS - 1], RUNS,
	       extra ? "," : "", extra ? extra : "");
	fflush(stdout);
}
#endif

#endif

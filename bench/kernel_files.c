/* The host kernel's file-mapping and file-I/O costs: the kernel anchors of the file benchmarks
 * (goals F1-F4, issue 4 item 7; bench/README-files.md). Compiled by bench/files.mjs with the
 * system `cc -O2` at bench time. Self-contained; the structure (runs, warm-up, JSON) is
 * bench/kernel_mem.c's.
 *
 * Every case runs on two files of FILE_BYTES (64 MiB = 16,384 pages), both fully written with
 * pwrite first so all their pages are in the page cache:
 *   tmpfs   <tmpfs dir>/vmspace-bench-files-<pid>  (default /dev/shm)
 *   ext4    <disk dir>/vmspace-bench-files-<pid>   (default /tmp; a disk file system)
 * The file system type of each directory is reported (statfs) in "fs". Key suffixes: Tmpfs, Ext4
 * (named after the expected type; "fs" says what the directory really was).
 *
 *   f1Vma1*     read fault of a cached page, one fault per page: the file mapped as 16,384
 *               one-page MAP_SHARED PROT_READ VMAs whose file pages are swapped in pairs
 *               (address page i maps file page i^1), so no two neighbours merge and
 *               fault-around, which never crosses a VMA, maps nothing more; one load per page.
 *               (MADV_RANDOM does not do this: Linux's should_fault_around() ignores
 *               VM_RAND_READ, it only turns off read-ahead; see f1Random's faultsPerPage.)
 *   f1Random*   one 64 MiB MAP_SHARED PROT_READ mapping with madvise(MADV_RANDOM), one load per
 *               page (fault-around still maps the cached neighbours)
 *   f1Around*   the same without advice (the default: fault-around, 64 KiB windows; ext4's large
 *               folios may be mapped whole)
 *   f2Write*    first store to each page of a fresh MAP_SHARED PROT_READ|PROT_WRITE mapping of
 *               the cached file (do_shared_fault: no fault-around for writes, but a large ext4
 *               folio may be mapped whole: see faultsPerPage); the ext4 file is made clean with
 *               fdatasync before every run (untimed), so each store meets a clean cached page
 *               (page_mkwrite); tmpfs pages have no clean state
 *   f2WriteVma1*  the same over f1Vma1's layout of one-page VMAs (PROT_READ|PROT_WRITE): one
 *               write fault per page whatever the folio size
 *   f3Msync*    msync(MS_SYNC) of a 1 MiB MAP_SHARED mapping of the file's first MiB whose 256
 *               pages were all just stored to (untimed): ns per msync call, the mean over
 *               MSYNC_ITERS calls per run (tmpfs: nothing to write back; ext4: 1 MiB written to
 *               the disk and waited for)
 *   f3MsyncWhole*  the same 1 MiB (dirty) msync'ed inside a mapping of the whole 64 MiB file
 *   f3MsyncSmall*  the same with a 1 MiB file mapped whole (the cost must not depend on the file)
 *   f4Pread<S>* / f4Pwrite<S>*   pread / pwrite of S (4k, 64k) bytes at file offset 0 into / from
 *               a populated user buffer, ~64 MiB moved per run; ns per call
 *   f4MapRead<S>* / f4MapWrite<S>*  memcpy of S bytes from / to a MAP_SHARED mapping of the file
 *               whose pages are already mapped (read, resp. written, once first): the mapped
 *               access an application would use instead; ns per copy
 *
 * Faults are counted with getrusage (faultsPerPage beside each fault figure). Every figure is the
 * median (and min, max) over RUNS runs, one batch per run divided by its size; one untimed
 * warm-up run precedes the timed runs of every case. The process pins itself to its current CPU.
 *
 * Output: one JSON object on stdout, nothing else:
 *   {"clock":"wall","runs":9,"quick":false,"pageSize":4096,"fileBytes":67108864,
 *    "fs":{"tmpfs":{"dir":"/dev/shm","type":"tmpfs"},"ext4":{"dir":"/tmp","type":"ext4"}},
 *    "ops":{"<key>":{"name":"...","unit":"ns/page","median":..,"min":..,"max":..,"runs":9
 *    [,"faultsPerPage":1.00][,"bytes":N]},...},"seconds":S}
 * Units: ns/page (f1, f2), ns/msync (f3), ns/call or ns/copy (f4).
 *
 * Usage: kernel_files [--runs N] [--quick] [--tmpfs DIR] [--disk DIR] [--no-disk]
 *   --runs N    timed runs per case (default 9; 5 with --quick)
 *   --quick     5 runs, fewer msync calls and 16 MiB moved per f4 run
 *   --no-disk   skip the ext4 (disk) file
 *   env BENCH_CLOCK=cpu: the process's CPU time instead of CLOCK_MONOTONIC (for ext4 msync, which
 *   waits for the disk, that leaves the wait out).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define KiB 1024UL
#define MiB (1024UL * 1024UL)
#define FILE_BYTES (64 * MiB)
#define NPAGES (FILE_BYTES / PAGE)
#define MSYNC_BYTES (1 * MiB)
#define MAX_RUNS 64

#define TMPFS_MAGIC 0x01021994
#define EXT4_MAGIC 0xEF53
#define BTRFS_MAGIC 0x9123683E
#define XFS_MAGIC 0x58465342

static int RUNS = 9;
static int QUICK = 0;
static int MSYNC_ITERS_TMPFS = 2000;
static int MSYNC_ITERS_DISK = 20;
static size_t COPY_BYTES = 64 * MiB;
static clockid_t bench_clock = CLOCK_MONOTONIC;

#define BENCH_JSON
#include "bench_util.h"
static uint64_t now_ns(void) { return clock_ns(bench_clock); }
static uint64_t wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static const char *cleanup_paths[4];

static void cleanup(void)
{
	for (int i = 0; i < 4; i++)
		if (cleanup_paths[i])
			unlink(cleanup_paths[i]);
}

static void die(const char *what)
{
	fprintf(stderr, "kernel_files: %s: %s\n", what, strerror(errno));
	cleanup();
	exit(1);
}

static const char *fs_name(const char *dir)
{
	struct statfs s;
	if (statfs(dir, &s))
		return "unknown";
	switch ((unsigned long)s.f_type) {
	case TMPFS_MAGIC: return "tmpfs";
	case EXT4_MAGIC: return "ext4";
	case BTRFS_MAGIC: return "btrfs";
	case XFS_MAGIC: return "xfs";
	default: return "other";
	}
}

static volatile uint64_t bench_sink;

static uint64_t touch_read(const char *p, size_t len)
{
	uint64_t s = 0;
	for (size_t off = 0; off < len; off += PAGE)
		s += ((const volatile char *)p)[off];
	return s;
}

static void touch_write(char *p, size_t len, char v)
{
	for (size_t off = 0; off < len; off += PAGE)
		((volatile char *)p)[off] = v;
}

/* ---- JSON output ------------------------------------------------------------------------ */

static void emit_fault(const char *key, const char *name, double *t, double *f)
{
	char extra[64];
	qsort(f, (size_t)RUNS, sizeof *f, cmp_double);
	snprintf(extra, sizeof extra, "\"faultsPerPage\":%.3f", median_sorted(f, RUNS));
	emit(key, name, "ns/page", t, extra);
}

/* ---- the files ----------------------------------------------------------------------------- */

struct bfile {
	const char *suffix; /* "Tmpfs", "Ext4" */
	const char *label;  /* "tmpfs", "ext4" */
	char path[4096];
	int fd;
	int disk;
	char small_path[4096]; /* a 1 MiB file (f3MsyncSmall) */
	int small_fd;
};

static void make_file(struct bfile *b, const char *dir)
{
	static char block[1 * MiB];
	snprintf(b->path, sizeof b->path, "%s/vmspace-bench-files-%ld", dir, (long)getpid());
	b->fd = open(b->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (b->fd < 0)
		die(b->path);
	memset(block, 7, sizeof block);
	for (size_t off = 0; off < FILE_BYTES; off += sizeof block)
		if (pwrite(b->fd, block, sizeof block, (off_t)off) != (ssize_t)sizeof block)
			die("pwrite (filling the file)");
	if (b->disk && fdatasync(b->fd))
		die("fdatasync");
	/* Read it all once: every page is in the page cache from here on. */
	char *p = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED | MAP_POPULATE, b->fd, 0);
	if (p == MAP_FAILED)
		die("mmap (populate)");
	bench_sink += touch_read(p, FILE_BYTES);
	munmap(p, FILE_BYTES);
	snprintf(b->small_path, sizeof b->small_path, "%s/vmspace-bench-files-small-%ld", dir, (long)getpid());
	b->small_fd = open(b->small_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (b->small_fd < 0)
		die(b->small_path);
	if (pwrite(b->small_fd, block, MSYNC_BYTES, 0) != (ssize_t)MSYNC_BYTES)
		die("pwrite (filling the small file)");
	if (b->disk && fdatasync(b->small_fd))
		die("fdatasync");
}

static char *map_file(struct bfile *b, size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* ---- F1: read faults ------------------------------------------------------------------------ */

static double t[MAX_RUNS], f[MAX_RUNS];

/* 16,384 one-page VMAs, file page i^1 at address page i (no merges); checked once. */
static char *map_one_page_vmas(struct bfile *b, int prot, int check)
{
	long v0 = check ? vma_count() : 0;
	char *base = mmap(NULL, FILE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		die("mmap (reservation)");
	for (size_t i = 0; i < NPAGES; i++)
		if (mmap(base + i * PAGE, PAGE, prot, MAP_SHARED | MAP_FIXED, b->fd, (off_t)((i ^ 1) * PAGE)) == MAP_FAILED)
			die("mmap (one page)");
	if (check && vma_count() - v0 != (long)NPAGES) {
		fprintf(stderr, "kernel_files: one-page VMAs merged: %ld VMAs instead of %lu\n", vma_count() - v0, NPAGES);
		cleanup();
		exit(1);
	}
	return base;
}

static void bench_f1(struct bfile *b)
{
	char key[64], name[160];
	/* vma1 */
	for (int r = 0; r <= RUNS; r++) {
		char *p = map_one_page_vmas(b, PROT_READ, r == 0);
		long f0 = minor_faults();
		uint64_t t0 = now_ns();
		bench_sink += touch_read(p, FILE_BYTES);
		uint64_t t1 = now_ns();
		long f1 = minor_faults();
		munmap(p, FILE_BYTES);
		if (r == 0)
			continue;
		t[r - 1] = (double)(t1 - t0) / NPAGES;
		f[r - 1] = (double)(f1 - f0) / NPAGES;
	}
	snprintf(key, sizeof key, "f1Vma1%s", b->suffix);
	snprintf(name, sizeof name, "read fault, cached page, one-page VMAs (%s)", b->label);
	emit_fault(key, name, t, f);
	/* random, around */
	for (int adv = 0; adv < 2; adv++) {
		for (int r = 0; r <= RUNS; r++) {
			char *p = map_file(b, FILE_BYTES, PROT_READ);
			if (adv == 0 && madvise(p, FILE_BYTES, MADV_RANDOM))
				die("madvise(MADV_RANDOM)");
			long f0 = minor_faults();
			uint64_t t0 = now_ns();
			bench_sink += touch_read(p, FILE_BYTES);
			uint64_t t1 = now_ns();
			long f1 = minor_faults();
			munmap(p, FILE_BYTES);
			if (r == 0)
				continue;
			t[r - 1] = (double)(t1 - t0) / NPAGES;
			f[r - 1] = (double)(f1 - f0) / NPAGES;
		}
		snprintf(key, sizeof key, "%s%s", adv == 0 ? "f1Random" : "f1Around", b->suffix);
		snprintf(name, sizeof name, "read touch, cached file, %s (%s)",
			 adv == 0 ? "MADV_RANDOM" : "default fault-around", b->label);
		emit_fault(key, name, t, f);
	}
}

/* ---- F2: first write to a shared page --------------------------------------------------------- */

static void bench_f2(struct bfile *b)
{
	char key[64], name[160];
	for (int vma1 = 0; vma1 < 2; vma1++) {
		for (int r = 0; r <= RUNS; r++) {
			if (b->disk && fdatasync(b->fd))
				die("fdatasync");
			char *p = vma1 ? map_one_page_vmas(b, PROT_READ | PROT_WRITE, r == 0)
				       : map_file(b, FILE_BYTES, PROT_READ | PROT_WRITE);
			long f0 = minor_faults();
			uint64_t t0 = now_ns();
			touch_write(p, FILE_BYTES, (char)r);
			uint64_t t1 = now_ns();
			long f1 = minor_faults();
			munmap(p, FILE_BYTES);
			if (r == 0)
				continue;
			t[r - 1] = (double)(t1 - t0) / NPAGES;
			f[r - 1] = (double)(f1 - f0) / NPAGES;
		}
		if (b->disk && fdatasync(b->fd))
			die("fdatasync");
		snprintf(key, sizeof key, "%s%s", vma1 ? "f2WriteVma1" : "f2Write", b->suffix);
		snprintf(name, sizeof name, "first store to a cached page, fresh MAP_SHARED mapping%s (%s)",
			 vma1 ? ", one-page VMAs" : "", b->label);
		emit_fault(key, name, t, f);
	}
}

/* ---- F3: msync ------------------------------------------------------------------------------ */

/* which: 0 = 1 MiB mapping of the 64 MiB file, 1 = the same 1 MiB in a mapping of the whole
 * file, 2 = a 1 MiB file mapped whole. */
static void bench_f3(struct bfile *b, int which)
{
	static const char *keys[] = { "f3Msync", "f3MsyncWhole", "f3MsyncSmall" };
	static const char *names[] = { "1 MiB mapping of a 64 MiB file", "in a 64 MiB mapping",
				       "a 1 MiB file mapped whole" };
	char key[64], name[160];
	int iters = b->disk ? MSYNC_ITERS_DISK : MSYNC_ITERS_TMPFS;
	size_t maplen = which == 1 ? FILE_BYTES : MSYNC_BYTES;
	char *p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, which == 2 ? b->small_fd : b->fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (int r = 0; r <= RUNS; r++) {
		uint64_t sum = 0;
		for (int i = 0; i < iters; i++) {
			touch_write(p, MSYNC_BYTES, (char)(r + i));
			uint64_t t0 = now_ns();
			if (msync(p, MSYNC_BYTES, MS_SYNC))
				die("msync");
			sum += now_ns() - t0;
		}
		if (r == 0)
			continue;
		t[r - 1] = (double)sum / iters;
	}
	munmap(p, maplen);
	snprintf(key, sizeof key, "%s%s", keys[which], b->suffix);
	snprintf(name, sizeof name, "msync(MS_SYNC) of 1 MiB just dirtied, %s (%s)", names[which], b->label);
	emit(key, name, "ns/msync", t, "\"bytes\":1048576");
}

/* ---- F4: pread/pwrite vs mapped access ------------------------------------------------------ */

static void bench_f4(struct bfile *b, size_t size, const char *sname)
{
	static char *buf;
	char key[64], name[160], extra[64];
	size_t reps = COPY_BYTES / size;
	if (!buf) {
		buf = mmap(NULL, 1 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			die("mmap (buffer)");
		memset(buf, 3, 1 * MiB);
	}
	snprintf(extra, sizeof extra, "\"bytes\":%zu", size);
	double rd[MAX_RUNS], wr[MAX_RUNS], mr[MAX_RUNS], mw[MAX_RUNS];
	char *m = map_file(b, FILE_BYTES, PROT_READ | PROT_WRITE);
	touch_write(m, 1 * MiB, 5); /* mapped and writable: no fault in the timed copies */
	for (int r = 0; r <= RUNS; r++) {
		uint64_t t0 = now_ns();
		for (size_t i = 0; i < reps; i++)
			if (pread(b->fd, buf, size, 0) != (ssize_t)size)
				die("pread");
		uint64_t t1 = now_ns();
		for (size_t i = 0; i < reps; i++)
			if (pwrite(b->fd, buf, size, 0) != (ssize_t)size)
				die("pwrite");
		uint64_t t2 = now_ns();
		for (size_t i = 0; i < reps; i++) {
			memcpy(buf, m, size);
			__asm__ volatile("" ::: "memory");
		}
		uint64_t t3 = now_ns();
		for (size_t i = 0; i < reps; i++) {
			memcpy(m, buf, size);
			__asm__ volatile("" ::: "memory");
		}
		uint64_t t4 = now_ns();
		if (r == 0)
			continue;
		rd[r - 1] = (double)(t1 - t0) / reps;
		wr[r - 1] = (double)(t2 - t1) / reps;
		mr[r - 1] = (double)(t3 - t2) / reps;
		mw[r - 1] = (double)(t4 - t3) / reps;
	}
	munmap(m, FILE_BYTES);
	snprintf(key, sizeof key, "f4Pread%s%s", sname, b->suffix);
	snprintf(name, sizeof name, "pread %s (%s)", sname, b->label);
	emit(key, name, "ns/call", rd, extra);
	snprintf(key, sizeof key, "f4Pwrite%s%s", sname, b->suffix);
	snprintf(name, sizeof name, "pwrite %s (%s)", sname, b->label);
	emit(key, name, "ns/call", wr, extra);
	snprintf(key, sizeof key, "f4MapRead%s%s", sname, b->suffix);
	snprintf(name, sizeof name, "memcpy %s from a MAP_SHARED mapping (%s)", sname, b->label);
	emit(key, name, "ns/copy", mr, extra);
	snprintf(key, sizeof key, "f4MapWrite%s%s", sname, b->suffix);
	snprintf(name, sizeof name, "memcpy %s to a MAP_SHARED mapping (%s)", sname, b->label);
	emit(key, name, "ns/copy", mw, extra);
}

static void bench_file(struct bfile *b)
{
	bench_f1(b);
	bench_f2(b);
	bench_f3(b, 0);
	bench_f3(b, 1);
	bench_f3(b, 2);
	bench_f4(b, 4 * KiB, "4k");
	bench_f4(b, 64 * KiB, "64k");
}

int main(int argc, char **argv)
{
	int runs = -1, disk = 1;
	const char *tmpfs_dir = "/dev/shm", *disk_dir = "/tmp";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			QUICK = 1;
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--tmpfs") == 0 && i + 1 < argc)
			tmpfs_dir = argv[++i];
		else if (strcmp(argv[i], "--disk") == 0 && i + 1 < argc)
			disk_dir = argv[++i];
		else if (strcmp(argv[i], "--no-disk") == 0)
			disk = 0;
		else {
			fprintf(stderr, "usage: kernel_files [--runs N (1..%d)] [--quick] [--tmpfs DIR] [--disk DIR] [--no-disk]\n", MAX_RUNS);
			return 2;
		}
	}
	RUNS = runs > 0 ? runs : QUICK ? 5 : 9;
	if (RUNS > MAX_RUNS) {
		fprintf(stderr, "kernel_files: --runs at most %d\n", MAX_RUNS);
		return 2;
	}
	if (QUICK) {
		COPY_BYTES = 16 * MiB;
		MSYNC_ITERS_TMPFS = 1000;
		MSYNC_ITERS_DISK = 10;
	}
	if (getenv("BENCH_CLOCK") && strcmp(getenv("BENCH_CLOCK"), "cpu") == 0)
		bench_clock = CLOCK_PROCESS_CPUTIME_ID;
	uint64_t start = wall_ns();
	pin_to_current_cpu();

	struct bfile tf = { .suffix = "Tmpfs", .label = "tmpfs", .disk = 0 };
	struct bfile df = { .suffix = "Ext4", .label = "ext4", .disk = 1 };
	cleanup_paths[0] = tf.path;
	cleanup_paths[1] = tf.small_path;
	make_file(&tf, tmpfs_dir);
	if (disk) {
		cleanup_paths[2] = df.path;
		cleanup_paths[3] = df.small_path;
		make_file(&df, disk_dir);
	}

	printf("{\"clock\":\"%s\",\"runs\":%d,\"quick\":%s,\"pageSize\":%lu,\"fileBytes\":%lu,"
	       "\"fs\":{\"tmpfs\":{\"dir\":\"%s\",\"type\":\"%s\"}",
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "cpu", RUNS, QUICK ? "true" : "false", PAGE,
	       FILE_BYTES, tmpfs_dir, fs_name(tmpfs_dir));
	if (disk)
		printf(",\"ext4\":{\"dir\":\"%s\",\"type\":\"%s\"}", disk_dir, fs_name(disk_dir));
	printf("},\"ops\":{");

	bench_file(&tf);
	if (disk)
		bench_file(&df);

	cleanup();
	printf("},\"seconds\":%.2f}\n", (double)(wall_ns() - start) / 1e9);
	return 0;
}

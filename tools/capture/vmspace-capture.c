/*
 * vmspace-capture: record a real program's memory syscalls and its address space right after
 * execve, for `vmspace replay`.
 *
 *   vmspace-capture OUT-PREFIX program [args...]
 *
 * writes OUT-PREFIX.maps and OUT-PREFIX.smaps (/proc/<pid>/maps and smaps taken when execve has
 * returned, before the program's first instruction), OUT-PREFIX.strace (`strace -f -v -X raw -y
 * -tt` of everything after it: -v prints each fstat's st_dev and st_ino, which give mapped files
 * their identity) and OUT-PREFIX.final-maps (/proc/<pid>/maps when the program calls exit_group:
 * strace holds that call for a moment, -e inject=exit_group:delay_enter, while the maps are read).
 * Address-space randomization is off for the program (personality ADDR_NO_RANDOMIZE, as
 * `setarch -R` does), so the replay's start state and placement are reproducible.
 *
 * Every later successful execve (a child's, or the program's own) is held for a moment at its
 * return too (-e inject=execve:delay_exit), and the new program's start state is copied then:
 * OUT-PREFIX.execs/PID-N.maps, .smaps and .cmdline for process PID's N-th execve in the log
 * (N = 1, 2, ...), so that the replay can follow the programs a shell, make or gcc runs; and
 * each process's maps at its exit_group, PID-N.final-maps (N: the execves before it, 0 for a
 * process that ran no new program).
 *
 * How: the child asks to be traced and stops at execve (PTRACE_TRACEME); the parent copies its
 * maps, then detaches leaving it stopped (SIGSTOP), starts strace attached to it (-p), waits
 * until strace is its tracer, and lets it run (SIGCONT).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "r");
  if (!in) return -1;
  FILE *out = fopen(to, "w");
  if (!out) { fclose(in); return -1; }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
  fclose(in);
  return fclose(out);
}

/** The pid tracing `pid` (its status's TracerPid), 0 for none or when it cannot be read. */
static int tracer_of(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int tracer = 0;
  while (fgets(line, sizeof line, f)) if (sscanf(line, "TracerPid: %d", &tracer) == 1) break;
  fclose(f);
  return tracer;
}

static int traced_by_other(pid_t pid) {
  int tracer = tracer_of(pid);
  return tracer != 0 && tracer != getpid();
}

/** The first line of /proc/<pid>/<what> into buf ("" when it cannot be read). */
static void read_proc_line(pid_t pid, const char *what, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
  buf[0] = '\0';
  FILE *f = fopen(path, "r");
  if (!f) return;
  if (!fgets(buf, (int)size, f)) buf[0] = '\0';
  fclose(f);
}

/** Whether `pid` is in a tracing stop (state 't'). */
static int trace_stopped(pid_t pid) {
  char buf[512];
  read_proc_line(pid, "stat", buf, sizeof buf);
  // pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ')'.
  char *p = strrchr(buf, ')');
  return p != NULL && p[1] == ' ' && p[2] == 't';
}

/** The pids (thread-group leaders) under /proc from `from` up. */
static int list_pids(pid_t *out, int max, pid_t from) {
  DIR *d = opendir("/proc");
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while (n < max && (e = readdir(d)) != NULL) {
    char *end;
    long v = strtol(e->d_name, &end, 10);
    if (*end == '\0' && v >= from) out[n++] = (pid_t)v;
  }
  closedir(d);
  return n;
}

/**
 * Per process (pid): how many of its execves were copied, and which hold it is in now (0 none,
 * 1 at an execve's return, 2 at exit_group's entry), so that one hold is copied once.
 */
#define MAX_TRACKED 4194304
static int *exec_count;
static char *in_hold;

static void copy_proc(pid_t pid, const char *what, const char *prefix, int k, const char *ext) {
  char from[64], to[4096];
  snprintf(from, sizeof from, "/proc/%d/%s", pid, what);
  snprintf(to, sizeof to, "%s.execs/%d-%d.%s", prefix, pid, k, ext);
  if (copy_file(from, to) != 0) fprintf(stderr, "vmspace-capture: %s: %s\n", to, strerror(errno));
}

/**
 * Copy what the processes of the trace (pids from `from` up, traced by `tracer`) show in their
 * holds: after a successful execve (59) or execveat (322), the new program's start state
 * (PID-N.maps, .smaps, .cmdline for its N-th execve; the call's argument registers are the new
 * program's, all zero, where a failed call keeps its arguments); at exit_group (231), its final
 * maps (PID-N.final-maps, N = the execves copied before: 0 for a process still running the
 * program it was forked with), except the first process's (`from`).
 */
static void copy_holds(const char *prefix, pid_t tracer, pid_t from) {
  static pid_t pids[65536];
  int n = list_pids(pids, 65536, from);
  for (int i = 0; i < n; i++) {
    pid_t p = pids[i];
    if (p <= 0 || p >= MAX_TRACKED) continue;
    char sc[128];
    read_proc_line(p, "syscall", sc, sizeof sc);
    int hold = strncmp(sc, "59 0x0 0x0 0x0 0x0 0x0 0x0 ", 27) == 0 || strncmp(sc, "322 0x0 0x0 0x0 0x0 0x0 0x0 ", 28) == 0 ? 1
             : strncmp(sc, "231 ", 4) == 0 ? 2 : 0;
    if (hold == 0) { in_hold[p] = 0; continue; }
    if (in_hold[p] == hold || !trace_stopped(p) || tracer_of(p) != tracer) continue;
    in_hold[p] = (char)hold;
    if (hold == 1) {
      int k = ++exec_count[p];
      copy_proc(p, "maps", prefix, k, "maps");
      copy_proc(p, "smaps", prefix, k, "smaps");
      copy_proc(p, "cmdline", prefix, k, "cmdline");
    } else if (p != from) {
      // (The first process's are PREFIX.final-maps, copied by the main loop.)
      copy_proc(p, "maps", prefix, exec_count[p], "final-maps");
    }
  }
}

/** Whether some thread of `pid` is stopped at the entry of exit_group (231). */
static int exit_group_held(pid_t pid) {
  char dir[64], path[384], buf[64];
  snprintf(dir, sizeof dir, "/proc/%d/task", pid);
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int held = 0;
  while (!held && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s/syscall", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    if (fgets(buf, sizeof buf, f) && strncmp(buf, "231 ", 4) == 0) held = 1;
    fclose(f);
  }
  closedir(d);
  return held;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s OUT-PREFIX program [args...]\n", argv[0]);
    return 2;
  }
  const char *prefix = argv[1];
  pid_t child = fork();
  if (child < 0) { perror("fork"); return 1; }
  if (child == 0) {
    personality(ADDR_NO_RANDOMIZE);
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) { perror("PTRACE_TRACEME"); _exit(127); }
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int st;
  if (waitpid(child, &st, 0) < 0 || !WIFSTOPPED(st)) { fprintf(stderr, "the program did not stop at execve\n"); return 1; }
  char maps[64], out[4096];
  snprintf(maps, sizeof maps, "/proc/%d/maps", child);
  snprintf(out, sizeof out, "%s.maps", prefix);
  if (copy_file(maps, out) != 0) { perror(out); return 1; }
  snprintf(maps, sizeof maps, "/proc/%d/smaps", child);
  snprintf(out, sizeof out, "%s.smaps", prefix);
  if (copy_file(maps, out) != 0) { perror(out); return 1; }
  // Leave it stopped: strace attaches to a stopped process and we continue it after.
  if (ptrace(PTRACE_DETACH, child, 0, SIGSTOP) < 0) { perror("PTRACE_DETACH"); return 1; }
  char pidarg[32], log[4096];
  snprintf(pidarg, sizeof pidarg, "%d", child);
  snprintf(log, sizeof log, "%s.strace", prefix);
  pid_t tracer = fork();
  if (tracer == 0) {
    execlp("strace", "strace", "-f", "-v", "-X", "raw", "-y", "-tt", "-e", "inject=exit_group:delay_enter=100000",
           "-e", "inject=execve,execveat:delay_exit=50000",
           "-o", log, "-p", pidarg, (char *)NULL);
    perror("strace");
    _exit(127);
  }
  for (int i = 0; i < 500 && !traced_by_other(child); i++) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!traced_by_other(child)) { fprintf(stderr, "strace did not attach\n"); kill(child, SIGKILL); return 1; }
  kill(child, SIGCONT);
  // Watch every thread for exit_group (syscall 231) held at entry, and copy the maps then.
  snprintf(out, sizeof out, "%s.final-maps", prefix);
  snprintf(maps, sizeof maps, "/proc/%d/maps", child);
  int have_final = 0;
  char execs[4096];
  exec_count = calloc(MAX_TRACKED, sizeof *exec_count);
  in_hold = calloc(MAX_TRACKED, 1);
  if (!exec_count || !in_hold) { perror("calloc"); kill(child, SIGKILL); return 1; }
  snprintf(execs, sizeof execs, "%s.execs", prefix);
  if (mkdir(execs, 0755) != 0 && errno != EEXIST) { perror(execs); kill(child, SIGKILL); return 1; }
  for (;;) {
    pid_t w = waitpid(tracer, &st, WNOHANG);
    if (w == tracer) break;
    if (!have_final && exit_group_held(child)) have_final = copy_file(maps, out) == 0;
    copy_holds(prefix, tracer, child);
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!have_final) fprintf(stderr, "vmspace-capture: the final maps were not caught (no exit_group?)\n");
  // The program was our child: reap it for its exit status.
  int cst = 0;
  waitpid(child, &cst, 0);
  return WIFEXITED(cst) ? WEXITSTATUS(cst) : 1;
}

// rss.cpp — runs a command and prints its peak resident set size.
//
//   gradc-bench-rss COMMAND [ARGS...]
//
// Prints "peak_rss_kib N" on stderr after the command's own output and exits
// with its status. A small launcher, so that the peak is the command's own:
// a child's peak counts what it held before exec, and a fork of a large
// process (a Python interpreter with arrays loaded) would inflate it.
#include <cstdio>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gradc-bench-rss COMMAND [ARGS...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("gradc-bench-rss: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    std::perror("gradc-bench-rss: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) < 0) {
    std::perror("gradc-bench-rss: wait4");
    return 2;
  }
  std::fprintf(stderr, "peak_rss_kib %ld\n", usage.ru_maxrss);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The machine's interruption floor: one thread reads the monotonic clock in a tight loop for a while and counts
 * the gaps (the moments it did not run: timer ticks, interrupts, the hypervisor, other work). A call that lasts
 * T µs is hit by one with probability about rate × T, and then takes a gap's length longer: on a machine with
 * many gaps, that alone puts a floor under the p99 of short calls. Prints one JSON line.
 * Usage: clock-gaps <milliseconds> */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv) {
  uint64_t ms = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
  uint64_t start = now_ns(), prev = start, end = start + ms * 1000000ull;
  uint64_t gaps = 0, over20 = 0, over50 = 0, lost = 0, worst = 0;
  for (;;) {
    uint64_t t = now_ns(), d = t - prev;
    if (d > 5000) {
      gaps++;
      lost += d;
      if (d > 20000) over20++;
      if (d > 50000) over50++;
      if (d > worst) worst = d;
    }
    prev = t;
    if (t > end) break;
  }
  double sec = (double)(prev - start) / 1e9;
  printf("{\"seconds\":%.3f,\"gapsPerSec\":%.1f,\"over20usPerSec\":%.1f,\"over50usPerSec\":%.1f,\"meanGapUs\":%.2f,\"worstGapUs\":%.1f,\"lostShare\":%.5f}\n",
         sec, gaps / sec, over20 / sec, over50 / sec, gaps ? (double)lost / gaps / 1000.0 : 0.0, worst / 1000.0, (double)lost / 1e9 / sec);
  return 0;
}

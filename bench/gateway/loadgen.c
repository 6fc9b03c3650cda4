// Open-loop HTTP/1.1 load generator at a fixed rate, corrected for coordinated omission (Warden's bench).
//
// Why C: on a 2-core machine a JavaScript generator competes with the server for the cores and its
// timers fire on a 1 ms grid, so it adds its own milliseconds to every latency it reports. Here one
// thread waits in epoll on the sockets and a timerfd armed for the next request's due time (timer slack
// set to 1 ns), sends every request that is due, and stamps it with its DUE time: a late wake-up or a
// slow server is charged to the latency, never hidden. Connections pipeline, so a slow response does not
// hold back the schedule.
//
// usage: loadgen HOST PORT PATH RATE DURATION_MS WARMUP_MS CONNECTIONS BODIES_FILE OUT_FILE [HEADER...]
//   BODIES_FILE: one request body per line. OUT_FILE: float64 latencies in ns (measured window).
//   stdout: one JSON line {sent, errors, achievedPerSec, maxLagNs, p99LagNs, firstStatus, firstBody}.
// usage: loadgen --timer PERIOD_US COUNT
//   The machine's own floor: how late a thread sleeping to an absolute deadline wakes up (no network, no
//   server). stdout: {p50Ns, p99Ns, p999Ns, maxNs}.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  char *data;
  size_t len;
} Req;

typedef struct {
  int fd;
  long *inflight; /* ring of request indexes */
  size_t head, count, cap;
  char *out;
  size_t out_len, out_off, out_cap;
  char *in;
  size_t in_len, in_cap;
  int want_out;
} Conn;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) die("realloc");
  return q;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int timer_floor(long period_us, long n) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  double *late = calloc(n, sizeof(double));
  int64_t t = now_ns();
  for (long i = 0; i < n; i++) {
    t += period_us * 1000;
    struct timespec ts = {t / 1000000000LL, t % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    late[i] = (double)(now_ns() - t);
  }
  qsort(late, n, sizeof(double), cmp_double);
  printf("{\"p50Ns\":%.0f,\"p99Ns\":%.0f,\"p999Ns\":%.0f,\"maxNs\":%.0f}\n", late[n / 2], late[(long)(0.99 * (n - 1))], late[(long)(0.999 * (n - 1))], late[n - 1]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--timer") == 0) return timer_floor(atol(argv[2]), atol(argv[3]));
  if (argc < 10) {
    fprintf(stderr, "usage: loadgen HOST PORT PATH RATE DURATION_MS WARMUP_MS CONNECTIONS BODIES_FILE OUT_FILE [HEADER...]\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  const char *path = argv[3];
  double rate = atof(argv[4]);
  long duration_ms = atol(argv[5]), warmup_ms = atol(argv[6]);
  int nconn = atoi(argv[7]);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  /* Requests: prebuilt bytes, one per body line. */
  FILE *bf = fopen(argv[8], "r");
  if (!bf) die("bodies");
  Req *reqs = NULL;
  size_t nreq = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t ll;
  char extra[4096] = "";
  for (int i = 10; i < argc; i++) {
    strncat(extra, argv[i], sizeof extra - strlen(extra) - 3);
    strcat(extra, "\r\n");
  }
  while ((ll = getline(&line, &lcap, bf)) > 0) {
    if (line[ll - 1] == '\n') line[--ll] = 0;
    if (ll == 0) continue;
    reqs = xrealloc(reqs, (nreq + 1) * sizeof(Req));
    char head[8192];
    int hl = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %zd\r\n%s\r\n", path, host, port, ll, extra);
    reqs[nreq].data = malloc(hl + ll);
    memcpy(reqs[nreq].data, head, hl);
    memcpy(reqs[nreq].data + hl, line, ll);
    reqs[nreq].len = hl + ll;
    nreq++;
  }
  fclose(bf);
  if (nreq == 0) {
    fprintf(stderr, "no bodies\n");
    return 2;
  }

  long total = (long)(rate * (duration_ms + warmup_ms) / 1000.0);
  long warm = (long)(rate * warmup_ms / 1000.0);
  double interval = 1e9 / rate;
  double *lat = calloc(total - warm, sizeof(double));
  double *lag = calloc(total, sizeof(double));
  int64_t *due = calloc(total, sizeof(int64_t));
  if (!lat || !lag || !due) die("calloc");

  int ep = epoll_create1(0);
  Conn *conns = calloc(nconn, sizeof(Conn));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("inet_pton (HOST must be an IPv4 address)");
  for (int i = 0; i < nconn; i++) {
    Conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->cap = 1024;
    c->inflight = malloc(c->cap * sizeof(long));
    c->in_cap = 65536;
    c->in = malloc(c->in_cap);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

  long next = 0, done = 0, errors = 0, rr = 0;
  int first_status = 0;
  char first_body[512] = "";
  int64_t last_end = 0;
  int64_t t0 = now_ns() + 1000000; /* start 1 ms from now */
  int64_t deadline = t0 + (int64_t)(duration_ms + warmup_ms + 30000) * 1000000LL;

#define ARM(at)                                                                      \
  do {                                                                               \
    struct itimerspec its = {0};                                                     \
    its.it_value.tv_sec = (at) / 1000000000LL;                                       \
    its.it_value.tv_nsec = (at) % 1000000000LL;                                      \
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);                             \
  } while (0)

  ARM(t0);
  struct epoll_event evs[256];
  while (done < total) {
    int n = epoll_wait(ep, evs, 256, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    if (now_ns() > deadline) {
      errors += total - done; /* never answered */
      break;
    }
    for (int k = 0; k < n; k++) {
      uint32_t id = evs[k].data.u32;
      if (id == UINT32_MAX) {
        uint64_t exp;
        if (read(tfd, &exp, sizeof exp) < 0 && errno != EAGAIN) die("timerfd");
        int64_t t = now_ns();
        while (next < total && t0 + (int64_t)(next * interval) <= t) {
          int64_t d = t0 + (int64_t)(next * interval);
          due[next] = d;
          lag[next] = (double)(t - d);
          Conn *a = &conns[rr % nconn], *b = &conns[(rr + 1) % nconn];
          rr++;
          Conn *c = b->count < a->count ? b : a;
          if (c->count == c->cap) {
            long *bigger = malloc(2 * c->cap * sizeof(long));
            for (size_t j = 0; j < c->count; j++) bigger[j] = c->inflight[(c->head + j) % c->cap];
            free(c->inflight);
            c->inflight = bigger;
            c->head = 0;
            c->cap *= 2;
          }
          c->inflight[(c->head + c->count++) % c->cap] = next;
          Req *r = &reqs[next % nreq];
          if (c->out_len - c->out_off + r->len > c->out_cap) {
            c->out_cap = (c->out_len - c->out_off + r->len) * 2;
            char *o = malloc(c->out_cap);
            memcpy(o, c->out + c->out_off, c->out_len - c->out_off);
            free(c->out);
            c->out = o;
            c->out_len -= c->out_off;
            c->out_off = 0;
          }
          memcpy(c->out + c->out_len, r->data, r->len);
          c->out_len += r->len;
          next++;
        }
        /* Flush what was queued this tick. */
        for (int i = 0; i < nconn; i++) {
          Conn *c = &conns[i];
          while (c->out_off < c->out_len) {
            ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
            if (w < 0) {
              if (errno == EAGAIN) break;
              die("write");
            }
            c->out_off += w;
          }
          if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
          int want = c->out_len > 0;
          if (want != c->want_out) {
            struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            c->want_out = want;
          }
        }
        if (next < total) ARM(t0 + (int64_t)(next * interval));
        continue;
      }
      Conn *c = &conns[id];
      if (evs[k].events & EPOLLOUT) {
        while (c->out_off < c->out_len) {
          ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
          if (w < 0) break;
          c->out_off += w;
        }
        if (c->out_off == c->out_len) {
          c->out_off = c->out_len = 0;
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          c->want_out = 0;
        }
      }
      if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      for (;;) {
        if (c->in_cap - c->in_len < 16384) {
          c->in_cap *= 2;
          c->in = xrealloc(c->in, c->in_cap);
        }
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          fprintf(stderr, "server %s a connection with %zu requests in flight\n", r == 0 ? "closed" : "reset", c->count);
          errors += c->count;
          done += c->count;
          c->count = 0;
          epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
          break;
        }
        c->in_len += r;
        int64_t end = now_ns();
        size_t off = 0;
        for (;;) {
          char *base = c->in + off;
          size_t avail = c->in_len - off;
          char *he = memmem(base, avail, "\r\n\r\n", 4);
          if (!he) break;
          size_t hlen = (size_t)(he - base) + 4;
          long clen = -1;
          for (char *p = base; p < he; p++) {
            if ((p == base || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) clen = atol(p + 15);
          }
          if (clen < 0) {
            fprintf(stderr, "response without Content-Length\n");
            return 2;
          }
          if (avail < hlen + (size_t)clen) break;
          int status = atoi(base + 9);
          if (c->count == 0) {
            fprintf(stderr, "response without a request\n");
            return 2;
          }
          long i = c->inflight[c->head];
          c->head = (c->head + 1) % c->cap;
          c->count--;
          if (status < 200 || status > 299) errors++;
          if (done == 0) {
            first_status = status;
            size_t bl = (size_t)clen < sizeof first_body - 1 ? (size_t)clen : sizeof first_body - 1;
            memcpy(first_body, base + hlen, bl);
            first_body[bl] = 0;
          }
          if (i >= warm) {
            lat[i - warm] = (double)(end - due[i]);
            if (end > last_end) last_end = end;
          }
          done++;
          off += hlen + clen;
        }
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
      }
    }
  }

  FILE *of = fopen(argv[9], "wb");
  if (!of) die("out");
  fwrite(lat, sizeof(double), total - warm, of);
  fclose(of);
  qsort(lag, total, sizeof(double), cmp_double);
  double achieved = (double)(total - warm) * 1e9 / (double)(last_end - (t0 + (int64_t)(warm * interval)));
  printf("{\"sent\":%ld,\"errors\":%ld,\"achievedPerSec\":%.1f,\"maxLagNs\":%.0f,\"p99LagNs\":%.0f,\"firstStatus\":%d,\"firstBody\":\"", total, errors, achieved, lag[total - 1], lag[(long)(0.99 * (total - 1))], first_status);
  for (char *p = first_body; *p; p++) {
    if (*p == '"' || *p == '\\') putchar('\\');
    if ((unsigned char)*p >= 0x20) putchar(*p);
  }
  printf("\"}\n");
  return 0;
}

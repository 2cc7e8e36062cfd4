/*
 * avps-c2c: one-way core-to-core latency between CPU A and CPU B (default 0
 * and 1): a cache line bounced between two pinned threads, round trip / 2,
 * median of 5 rounds of N round trips. Printed as one number (ns).
 *
 *   avps-c2c [CPU_A CPU_B [N]]
 *
 * bench/vhost_net.sh records it next to every cross-core result
 * (shared/BENCH.md §3.5: this VM changes placement regime for minutes).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct c2c_ball {
    _Alignas(64) _Atomic uint32_t v;
    _Alignas(64) uint32_t iters;
    int cpu;
};

static void c2c_pin(int cpu)
{
    cpu_set_t s;

    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    (void)sched_setaffinity(0, sizeof s, &s);
}

static uint64_t c2c_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void c2c_wait(_Atomic uint32_t *v, uint32_t want)
{
    unsigned int spins = 0;

    while (atomic_load_explicit(v, memory_order_acquire) != want) {
        __builtin_ia32_pause();
        if (++spins > 1000000u) { /* the other thread was descheduled */
            (void)sched_yield();
            spins = 0;
        }
    }
}

static void *c2c_peer(void *arg)
{
    struct c2c_ball *b = arg;

    c2c_pin(b->cpu);
    for (uint32_t i = 0; i < b->iters; i++) {
        c2c_wait(&b->v, 2u * i + 1u);
        atomic_store_explicit(&b->v, 2u * i + 2u, memory_order_release);
    }
    return NULL;
}

static int c2c_cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int ca = argc > 2 ? atoi(argv[1]) : 0;
    int cb = argc > 2 ? atoi(argv[2]) : 1;
    uint32_t n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 20000u;
    double r[5];

    for (int k = 0; k < 5; k++) {
        static struct c2c_ball b;
        pthread_t th;
        uint64_t t0, t1;

        atomic_store(&b.v, 0u);
        b.iters = n;
        b.cpu = cb;
        if (pthread_create(&th, NULL, c2c_peer, &b) != 0)
            return 1;
        c2c_pin(ca);
        t0 = c2c_now();
        for (uint32_t i = 0; i < n; i++) {
            atomic_store_explicit(&b.v, 2u * i + 1u, memory_order_release);
            c2c_wait(&b.v, 2u * i + 2u);
        }
        t1 = c2c_now();
        (void)pthread_join(th, NULL);
        r[k] = (double)(t1 - t0) / (double)n / 2.0;
    }
    qsort(r, 5, sizeof r[0], c2c_cmp);
    printf("%.0f\n", r[2]);
    return 0;
}

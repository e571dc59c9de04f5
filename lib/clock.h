/*
 * clock.h: the clocks every command reads, in the units they use.
 * Wall-clock time for what is stored and shown (epoch milliseconds), the
 * monotonic clock for intervals, deadlines and latencies.  The detectors
 * never read a clock (SPEC §3.1: a verdict is a function of the points).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <time.h>

/* The wall clock in epoch milliseconds. */
static inline int64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The monotonic clock in microseconds (from an arbitrary origin). */
static inline int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The monotonic clock in milliseconds. */
static inline int64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

/* The monotonic clock in seconds, to the nanosecond. */
static inline double
clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif

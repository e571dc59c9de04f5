/*
 * rng.h: a small deterministic pseudo-random generator (SplitMix64).
 *
 * Every random choice of a detector comes from here, seeded from the client,
 * the point's ordinal and the tree index, never from time or addresses, so a
 * detector rebuilt from stored points makes the same choices (SPEC §3.1).
 * Integer arithmetic only: the same seed gives the same stream on every
 * machine.
 */
#ifndef ANOMALY_RNG_H
#define ANOMALY_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t state;
};

/* Returns the next 64 random bits and advances the generator. */
static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Returns a uniform double in [0, 1) with 53 random bits. */
static inline double
rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Returns a uniform integer in [0, bound), bound >= 1, without bias
 * (Lemire's multiply-and-reject). */
static inline uint32_t
rng_below(struct rng *r, uint32_t bound)
{
	uint64_t m = (uint64_t)(uint32_t)(rng_next(r) >> 32) * bound;
	uint32_t low = (uint32_t)m;

	if (low < bound) {
		uint32_t floor = (uint32_t)-bound % bound;

		while (low < floor) {
			m = (uint64_t)(uint32_t)(rng_next(r) >> 32) * bound;
			low = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* Returns a seed that depends on all of key, a and b and on nothing else. */
static inline uint64_t
rng_seed(uint64_t key, uint64_t a, uint64_t b)
{
	struct rng r = { key };
	uint64_t s = rng_next(&r);

	r.state = s ^ a;
	s = rng_next(&r);
	r.state = s ^ (b * 0xd1b54a32d192ed03ULL);
	return rng_next(&r);
}

/* Returns the 64-bit FNV-1a hash of the len bytes at p: a stable key for a
 * client_id. */
static inline uint64_t
rng_hash(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif

/*
 * rng.h - a small, fast, explicitly passed random number generator.
 *
 * xoshiro256** seeded through splitmix64. Streams are derived from
 * (seed, stream, index), so a task's permutation or an epoch's batch order can
 * be regenerated without replaying anything before it: matched seeds across
 * methods and resumable runs follow from that.
 */
#ifndef PLASTICITY_RNG_H
#define PLASTICITY_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

enum rng_stream {
	RNG_STREAM_INIT = 1, /* initial weights */
	RNG_STREAM_PERM,     /* task t's pixel permutation */
	RNG_STREAM_ORDER,    /* task t's batch order, all epochs */
	RNG_STREAM_SUBSET,   /* task t's training subset */
	RNG_STREAM_TASKS,    /* order of class-incremental pairs */
	RNG_STREAM_PROBE,    /* task t's probe: Hessian start and Hutchinson vectors */
	RNG_STREAM_PERTURB,  /* shrink & perturb's noise at step (or task) i */
	RNG_STREAM_RESET /* weights of units ReDo or continual backprop reset at step i */
};

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1) with 24 random bits (exact in float). */
float rng_uniform(struct rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Fisher-Yates shuffles. */
void rng_shuffle_u32(struct rng *r, uint32_t *a, uint32_t n);
void rng_shuffle_u16(struct rng *r, uint16_t *a, uint32_t n);

#endif

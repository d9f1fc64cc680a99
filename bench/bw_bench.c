/*
 * bw_bench.c - the memory-traffic limit of a small-batch training step: the
 * bandwidth this machine gives a working set of the network's size, turned
 * into the samples per second a step could reach if moving its weights
 * were all it did.
 *
 *   bw_bench BATCH IN H1 ... OUT    prints: gbytes_per_s samples_per_s
 *
 * A step must read every weight for the forward pass and read and write it
 * once for the backward pass and the update: 12 bytes per float32
 * parameter, shared by the batch's examples. The kernel is STREAM's triad
 * (McCalpin), a[i] = b[i] + s c[i], over three arrays of one parameter
 * count each, which moves exactly those 12 bytes per parameter; the best of
 * repeated passes is taken, as STREAM does.
 */
#include <stdio.h>
#include <stdlib.h>

#include "plasticity/util.h"

#define MAXL   12
#define PASSES 200
#define ROUNDS 5

/* One triad pass; PL_HOT so it is vectorized as the engine's loops are. */
PL_HOT static void triad(float *restrict a, const float *restrict b,
                         const float *restrict c, float s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] + s * c[i];
}

int main(int argc, char **argv)
{
	size_t params = 0;
	float *a, *b, *c;
	double best = 1e30, sink = 0.0;
	int B;

	if (argc < 4 || argc - 2 > MAXL + 1) {
		fprintf(stderr, "usage: bw_bench BATCH IN H1 ... OUT\n");
		return 64;
	}
	B = atoi(argv[1]);
	for (int i = 2; i + 1 < argc; i++)
		params += (size_t)atoi(argv[i]) * (size_t)atoi(argv[i + 1]) +
		          (size_t)atoi(argv[i + 1]);
	a = xalloc_floats(params);
	b = xalloc_floats(params);
	c = xalloc_floats(params);
	for (size_t i = 0; i < params; i++) {
		b[i] = (float)(i % 97) * 0.01f;
		c[i] = (float)(i % 89) * 0.01f;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = pl_now(), dt;

		for (int p = 0; p < PASSES; p++)
			triad(a, b, c, 1e-3f * (float)(p + 1), params);
		dt = (pl_now() - t0) / PASSES;
		best = dt < best ? dt : best;
		sink += a[params / 2];
	}
	/* 12 bytes per parameter per step, one step per B examples. */
	printf("%.1f %.0f\n", 12.0 * (double)params / best / 1e9, B / best);
	free(a);
	free(b);
	free(c);
	return sink == 12345.678 ? 1 : 0; /* keeps the passes from being optimized out */
}

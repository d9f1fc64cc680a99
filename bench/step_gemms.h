/*
 * step_gemms.h - the sgemm calls of one SGD training step, as the engine's
 * GEMM path makes them (mlp_loss_apply; weights input-major, mlp.h), and
 * their best time: shared by gemm_bench (through blas.h) and smallgemm
 * (through each library it compares), so both time the same calls.
 */
#ifndef PLASTICITY_STEP_GEMMS_H
#define PLASTICITY_STEP_GEMMS_H

#include <time.h>

/* Row-major C (m, n) = alpha op(A) op(B) + beta C, as blas.h's gemm. */
typedef void (*step_gemm_fn)(int trans_a, int trans_b, int m, int n, int k, float alpha,
                             const float *a, int lda, const float *b, int ldb, float beta,
                             float *c, int ldc);

/* One step on B examples of the network sizes[0..n]: w[l] (sizes[l],
 * sizes[l + 1]), act[l] (B, sizes[l]), delta[2] (B, widest). */
static void step_gemms(step_gemm_fn sgemm, int B, int n, const int *sizes,
                       float *const *w, float *const *act, float *const *delta)
{
	for (int l = 0; l < n; l++)
		sgemm(0, 0, B, sizes[l + 1], sizes[l], 1.0f, act[l], sizes[l], w[l],
		      sizes[l + 1], 1.0f, act[l + 1], sizes[l + 1]);
	/* The input gradient, then the weight gradient applied into the weights
	 * (beta = 1; a tiny alpha keeps them as they are). */
	for (int l = n - 1; l >= 0; l--) {
		if (l > 0)
			sgemm(0, 1, B, sizes[l], sizes[l + 1], 1.0f, delta[l & 1],
			      sizes[l + 1], w[l], sizes[l + 1], 0.0f, delta[(l + 1) & 1],
			      sizes[l]);
		sgemm(1, 0, sizes[l], sizes[l + 1], B, -1e-9f, act[l], sizes[l],
		      delta[l & 1], sizes[l + 1], 1.0f, w[l], sizes[l + 1]);
	}
}

static double step_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per step: the best of 5 rounds of at least 0.5 s each. */
static double step_seconds(step_gemm_fn sgemm, int B, int n, const int *sizes,
                           float *const *w, float *const *act, float *const *delta)
{
	double best = 1e30;

	for (int rep = 0; rep < 5; rep++) {
		int steps = 0;
		double t0 = step_now(), t;

		do {
			step_gemms(sgemm, B, n, sizes, w, act, delta);
			steps++;
			t = step_now() - t0;
		} while (t < 0.5);
		if (t / steps < best)
			best = t / steps;
	}
	return best;
}

#endif

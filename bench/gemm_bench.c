/*
 * gemm_bench.c - the machine's sgemm rate at exactly the shapes of one
 * training step of an MLP, turned into a "GEMM-only limit": the samples per
 * second a trainer would reach if everything but the GEMMs were free.
 *
 *   gemm_bench BATCH IN H1 ... OUT    prints: corename gflops samples_per_s
 *
 * Single-threaded OpenBLAS, the same library and calls as the engine
 * (through blas.h). Each shape runs in the order a step runs them, so
 * cache effects between GEMMs are those of real training.
 */
#include <stdio.h>
#include <stdlib.h>

#include "plasticity/blas.h"
#include "plasticity/util.h"
#include "step_gemms.h"

#define MAXL 12

int main(int argc, char **argv)
{
	int sizes[MAXL + 1], n = argc - 2, B;
	float *w[MAXL], *act[MAXL + 1], *delta[2];
	double flops = 0.0, best = 1e30;
	int widest = 0;

	if (argc < 4 || n > MAXL) {
		fprintf(stderr, "usage: gemm_bench BATCH IN H1 ... OUT\n");
		return 64;
	}
	B = atoi(argv[1]);
	n = argc - 3; /* layers: one fewer than sizes */
	for (int i = 0; i <= n; i++) {
		sizes[i] = atoi(argv[i + 2]);
		widest = sizes[i] > widest ? sizes[i] : widest;
	}
	blas_init();
	for (int l = 0; l <= n; l++)
		act[l] = xalloc_floats((size_t)B * sizes[l]);
	for (int l = 0; l < n; l++) {
		w[l] = xalloc_floats((size_t)sizes[l] * sizes[l + 1]);
		for (size_t i = 0; i < (size_t)sizes[l] * sizes[l + 1]; i++)
			w[l][i] = 0.01f * (float)((i * 7919) % 201 - 100);
		flops += 2.0 * B * sizes[l] * sizes[l + 1] * (l > 0 ? 3 : 2);
	}
	for (size_t i = 0; i < (size_t)B * sizes[0]; i++)
		act[0][i] = (float)(i % 255) / 255.0f;
	delta[0] = xalloc_floats((size_t)B * widest);
	delta[1] = xalloc_floats((size_t)B * widest);
	best = step_seconds(gemm, B, n, sizes, w, act, delta);
	printf("%s %.2f %.0f\n", blas_corename(), flops / best * 1e-9, B / best);
	return 0;
}

/*
 * smallgemm.c - the sgemm calls of one training step (step_gemms.h, the
 * same calls gemm_bench times) through one BLAS, for bench/smallgemm.sh,
 * which builds it once per library:
 * OpenBLAS and BLIS through their CBLAS interface, libxsmm through
 * libxsmm_sgemm (column-major, so each row-major call is made as its
 * transpose; libxsmm JIT-compiles the shapes it deems small and hands the
 * others to the BLAS it is linked with).
 *
 *   smallgemm BATCH IN H1 ... OUT   ->  "samples_per_s"
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef USE_XSMM
#include <libxsmm.h>
#else
#include <cblas.h>
#endif

#include "step_gemms.h"

#define MAXL 12

/* Row-major C (m, n) = alpha op(A) op(B) + beta C. */
static void sgemm_rm(int ta, int tb, int m, int n, int k, float alpha, const float *a,
                     int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
#ifdef USE_XSMM
	/* Row-major C = A B is column-major C^T = B^T A^T. */
	char tA = tb ? 'T' : 'N', tB = ta ? 'T' : 'N';

	libxsmm_sgemm(&tA, &tB, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &ldc);
#else
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
	            tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
	            c, ldc);
#endif
}

static float *floats(size_t n)
{
	float *p = calloc(n, sizeof(float));

	if (p == NULL)
		exit(71);
	return p;
}

int main(int argc, char **argv)
{
	int sizes[MAXL + 1], n = argc - 3, B, widest = 0;
	float *w[MAXL], *act[MAXL + 1], *delta[2];
	double best;

	if (argc < 4 || n > MAXL) {
		fprintf(stderr, "usage: smallgemm BATCH IN H1 ... OUT\n");
		return 64;
	}
	B = atoi(argv[1]);
	for (int i = 0; i <= n; i++) {
		sizes[i] = atoi(argv[i + 2]);
		widest = sizes[i] > widest ? sizes[i] : widest;
	}
	for (int l = 0; l <= n; l++)
		act[l] = floats((size_t)B * sizes[l]);
	for (int l = 0; l < n; l++) {
		w[l] = floats((size_t)sizes[l] * sizes[l + 1]);
		for (size_t i = 0; i < (size_t)sizes[l] * sizes[l + 1]; i++)
			w[l][i] = 0.01f * (float)((i * 7919) % 201 - 100);
	}
	for (size_t i = 0; i < (size_t)B * sizes[0]; i++)
		act[0][i] = (float)(i % 255) / 255.0f;
	delta[0] = floats((size_t)B * widest);
	delta[1] = floats((size_t)B * widest);
	best = step_seconds(sgemm_rm, B, n, sizes, w, act, delta);
	printf("%.0f\n", B / best);
	return 0;
}

/*
 * blas.c - the only file that calls CBLAS, and the naive GEMM the tests
 * check it against.
 */
#include <cblas.h>

#include "plasticity/blas.h"

/* OpenBLAS extensions, declared here so other CBLAS headers still build. */
extern void openblas_set_num_threads(int num_threads);
extern char *openblas_get_corename(void);

void blas_init(void)
{
	openblas_set_num_threads(1);
}

const char *blas_corename(void)
{
	return openblas_get_corename();
}

void gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
	  int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
		    trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta,
		    c, ldc);
}

void gemm_naive(int trans_a, int trans_b, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c,
		int ldc)
{
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < n; j++) {
			double acc = 0.0;

			for (int p = 0; p < k; p++) {
				float av = trans_a ? a[p * lda + i] : a[i * lda + p];
				float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];

				acc += (double)av * bv;
			}
			c[i * ldc + j] = alpha * (float)acc + (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
		}
	}
}

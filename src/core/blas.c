/*
 * blas.c - the only file that calls CBLAS, and the naive GEMM the tests
 * check it against.
 */
#include <cblas.h>
#include <stdlib.h>

#include "plasticity/blas.h"

/* LAPACK's divide-and-conquer SVD (OpenBLAS ships LAPACK; no LAPACKE needed). */
extern void sgesdd_(const char *jobz, const int *m, const int *n, float *a,
                    const int *lda, float *s, float *u, const int *ldu, float *vt,
                    const int *ldvt, float *work, const int *lwork, int *iwork,
                    int *info);

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
	            trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
	            beta, c, ldc);
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
			c[i * ldc + j] = alpha * (float)acc +
			                 (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
		}
	}
}

int svd_values(float *a, int m, int n, float *s)
{
	/* Row-major (m, n) is column-major (n, m): the same singular values. */
	int k = m < n ? m : n, one = 1, lwork = -1, info = 0, *iwork;
	float query, dummy = 0.0f, *work;

	sgesdd_("N", &n, &m, a, &n, s, &dummy, &one, &dummy, &one, &query, &lwork, NULL,
	        &info);
	if (info != 0)
		return info;
	lwork = (int)query + 1;
	work = malloc((size_t)lwork * sizeof(float));
	iwork = malloc((size_t)8 * (size_t)k * sizeof(int));
	if (work == NULL || iwork == NULL)
		info = -100;
	else
		sgesdd_("N", &n, &m, a, &n, s, &dummy, &one, &dummy, &one, work, &lwork,
		        iwork, &info);
	free(work);
	free(iwork);
	return info;
}

/*
 * blas.h - the engine's only door to BLAS, plus the naive reference.
 *
 * Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C with
 * op(A) (m, k) and op(B) (k, n). blas.c is the only file that calls cblas_*;
 * tests compare the two paths.
 */
#ifndef PLASTICITY_BLAS_H
#define PLASTICITY_BLAS_H

/* Make BLAS single-threaded: parallelism comes from running runs side by side. */
void blas_init(void);
/* The OpenBLAS kernel family in use ("Haswell", "SkylakeX"). */
const char *blas_corename(void);

void gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
          int lda, const float *b, int ldb, float beta, float *c, int ldc);
void gemm_naive(int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c,
                int ldc);

/*
 * Singular values of the row-major (m, n) matrix a, largest first, into s
 * (min(m, n) values), by LAPACK's sgesdd; a is overwritten. Returns 0, or
 * LAPACK's info (a negative value for a bad argument or no memory).
 */
int svd_values(float *a, int m, int n, float *s);

#endif

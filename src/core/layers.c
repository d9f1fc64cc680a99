/*
 * layers.c - linear, ReLU and softmax cross-entropy, forward and backward.
 *
 * The GEMMs go through blas.h. Bias is folded into the forward GEMM by
 * filling the output with it first (beta = 1), so the output is touched once.
 */
#include <math.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/layers.h"
#include "plasticity/util.h"

void linear_forward(float *out, const float *in, const float *w, const float *b, int B,
                    int nin, int nout)
{
	for (int i = 0; i < B; i++)
		memcpy(out + (size_t)i * nout, b, (size_t)nout * sizeof(float));
	gemm(0, 0, B, nout, nin, 1.0f, in, nin, w, nout, 1.0f, out, nout);
}

PL_HOT static void column_sums(float *db, const float *dout, int B, int nout)
{
	memcpy(db, dout, (size_t)nout * sizeof(float));
	for (int i = 1; i < B; i++) {
		const float *row = dout + (size_t)i * nout;

		for (int j = 0; j < nout; j++)
			db[j] += row[j];
	}
}

void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int nin, int nout)
{
	/* Overwrite, not accumulate: saves zeroing the whole gradient per step. */
	gemm(1, 0, nin, nout, B, 1.0f, in, nin, dout, nout, 0.0f, dw, nout);
	column_sums(db, dout, B, nout);
	if (din != NULL)
		gemm(0, 1, B, nin, nout, 1.0f, dout, nout, w, nout, 0.0f, din, nin);
}

void linear_backward_apply(float *din, float *w, float *b, const float *dout,
                           const float *in, int B, int nin, int nout, float alpha)
{
	/* The input gradient first: it needs the weights before they move. */
	if (din != NULL)
		gemm(0, 1, B, nin, nout, 1.0f, dout, nout, w, nout, 0.0f, din, nin);
	gemm(1, 0, nin, nout, B, alpha, in, nin, dout, nout, 1.0f, w, nout);
	for (int i = 0; i < B; i++) {
		const float *row = dout + (size_t)i * nout;

		for (int j = 0; j < nout; j++)
			b[j] += alpha * row[j];
	}
}

PL_HOT void relu_forward(float *x, int n)
{
	for (int i = 0; i < n; i++)
		x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

PL_HOT void relu_backward(float *d, const float *y, int n)
{
	for (int i = 0; i < n; i++)
		d[i] = y[i] > 0.0f ? d[i] : 0.0f;
}

float softmax_xent_forward(float *probs, const float *logits, const uint8_t *y, int B,
                           int C)
{
	double loss = 0.0;

	for (int i = 0; i < B; i++) {
		const float *z = logits + (size_t)i * C;
		float *p = probs + (size_t)i * C;
		float max = z[0], sum = 0.0f;

		for (int j = 1; j < C; j++)
			max = z[j] > max ? z[j] : max;
		for (int j = 0; j < C; j++) {
			p[j] = expf(z[j] - max);
			sum += p[j];
		}
		for (int j = 0; j < C; j++)
			p[j] /= sum;
		/* log-sum-exp form: exact even when p[y] underflows to 0. */
		loss += (double)(logf(sum) + max - z[y[i]]);
	}
	return (float)(loss / B);
}

void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *y, int B,
                           int C)
{
	float inv = 1.0f / (float)B;

	for (int i = 0; i < B; i++) {
		const float *p = probs + (size_t)i * C;
		float *d = dlogits + (size_t)i * C;

		for (int j = 0; j < C; j++)
			d[j] = p[j] * inv;
		d[y[i]] -= inv;
	}
}

void softmax_xent_rbackward(float *rd, const float *probs, const float *rz, int B, int C)
{
	for (int i = 0; i < B; i++) {
		const float *p = probs + (size_t)i * C, *z = rz + (size_t)i * C;
		float *r = rd + (size_t)i * C, pz = 0.0f;

		for (int j = 0; j < C; j++)
			pz += p[j] * z[j];
		for (int j = 0; j < C; j++)
			r[j] = p[j] * (z[j] - pz) / (float)B;
	}
}

/*
 * mlp.c - a multilayer perceptron on one flat parameter buffer.
 *
 * Layout of params: for each layer l, weights (in, out), input-major, then
 * biases (out).
 * Activations of every layer are kept from the forward pass for the backward
 * pass; all buffers are allocated once in mlp_new for max_batch examples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/layers.h"
#include "plasticity/mlp.h"
#include "plasticity/util.h"
#include "mlp_impl.h"

struct mlp *mlp_new(int nlayers, const int *sizes, int max_batch)
{
	return mlp_new_norm(nlayers, sizes, max_batch, 0);
}

struct mlp *mlp_new_norm(int nlayers, const int *sizes, int max_batch, int norm)
{
	struct mlp *m = xcalloc(1, sizeof(*m));
	size_t off = 0;
	int widest = 0;

	m->nlayers = nlayers;
	m->norm = norm;
	m->max_batch = max_batch;
	for (int i = 0; i <= nlayers; i++) {
		m->sizes[i] = sizes[i];
		widest = sizes[i] > widest ? sizes[i] : widest;
	}
	for (int l = 0; l < nlayers; l++) {
		/* Keep every block 16-float aligned so each starts on a cache line. */
		m->woff[l] = off;
		off += ((size_t)sizes[l] * sizes[l + 1] + 15) & ~(size_t)15;
		m->boff[l] = off;
		off += ((size_t)sizes[l + 1] + 15) & ~(size_t)15;
	}
	for (int l = 1; norm && l < nlayers; l++) {
		m->goff[l] = off;
		off += ((size_t)2 * sizes[l] + 15) & ~(size_t)15;
		m->zhat[l] = xalloc_floats((size_t)max_batch * sizes[l]);
		m->rstd[l] = xalloc_floats((size_t)max_batch);
	}
	m->nparams = off;
	m->params = xalloc_floats(off);
	for (int l = 1; l <= nlayers; l++)
		m->act[l] = xalloc_floats((size_t)max_batch * sizes[l]);
	m->probs = xalloc_floats((size_t)max_batch * sizes[nlayers]);
	m->delta[0] = xalloc_floats((size_t)max_batch * widest);
	m->delta[1] = xalloc_floats((size_t)max_batch * widest);
	/* The small-batch path knows no layer norm: it never takes such a net. */
	m->fused_batch = norm ? 0 : max_batch < MLP_FUSED_MAX ? max_batch : MLP_FUSED_MAX;
	m->rows = xcalloc((size_t)widest, sizeof(int));
	for (int l = 0; l < nlayers; l++) {
		m->act2[l + 1] = xalloc_floats((size_t)m->fused_batch * sizes[l + 1]);
		m->dl[0][l] = xalloc_floats((size_t)m->fused_batch * sizes[l + 1]);
		m->dl[1][l] = xalloc_floats((size_t)m->fused_batch * sizes[l + 1]);
		m->live[0][l] = xcalloc((size_t)sizes[l], sizeof(int));
		m->live[1][l] = xcalloc((size_t)sizes[l], sizeof(int));
	}
	return m;
}

void mlp_free(struct mlp *m)
{
	if (m == NULL)
		return;
	free(m->params);
	for (int l = 1; l <= m->nlayers; l++)
		free(m->act[l]);
	free(m->probs);
	free(m->delta[0]);
	free(m->delta[1]);
	free(m->rows);
	for (int l = 0; l < m->nlayers; l++) {
		free(m->act2[l + 1]);
		free(m->dl[0][l]);
		free(m->dl[1][l]);
		free(m->live[0][l]);
		free(m->live[1][l]);
		free(m->ract[l + 1]);
	}
	free(m->rdelta[0]);
	free(m->rdelta[1]);
	for (int l = 1; l < m->nlayers; l++) {
		free(m->zhat[l]);
		free(m->rstd[l]);
	}
	free(m);
}

int mlp_norm(const struct mlp *m)
{
	return m->norm;
}

size_t mlp_norm_offset(const struct mlp *m, int l)
{
	return m->goff[l];
}

size_t mlp_nparams(const struct mlp *m)
{
	return m->nparams;
}

float *mlp_params(struct mlp *m)
{
	return m->params;
}

int mlp_nlayers(const struct mlp *m)
{
	return m->nlayers;
}

size_t mlp_weight_offset(const struct mlp *m, int l)
{
	return m->woff[l];
}

size_t mlp_weight_index(const struct mlp *m, int l, int out, int in)
{
	return m->woff[l] + (size_t)in * m->sizes[l + 1] + (size_t)out;
}

size_t mlp_bias_offset(const struct mlp *m, int l)
{
	return m->boff[l];
}

int mlp_size(const struct mlp *m, int i)
{
	return m->sizes[i];
}

void mlp_init(struct mlp *m, struct rng *r)
{
	/* Padding between blocks stays zero, so it never moves. */
	memset(m->params, 0, m->nparams * sizeof(float));
	for (int l = 0; l < m->nlayers; l++) {
		float bound = 1.0f / sqrtf((float)m->sizes[l]);
		size_t nin = (size_t)m->sizes[l], nout = (size_t)m->sizes[l + 1],
		       nw = nin * nout;
		float *w = m->params + m->woff[l], *b = m->params + m->boff[l];

		/* Drawn in nn.Linear's (out, in) order, stored input-major. */
		for (size_t k = 0; k < nw; k++)
			w[(k % nin) * nout + k / nin] =
			        (2.0f * rng_uniform(r) - 1.0f) * bound;
		for (int i = 0; i < m->sizes[l + 1]; i++)
			b[i] = (2.0f * rng_uniform(r) - 1.0f) * bound;
	}
	/* Layer norm as torch.nn.LayerNorm starts: gain 1, bias 0. */
	for (int l = 1; m->norm && l < m->nlayers; l++)
		for (int j = 0; j < m->sizes[l]; j++)
			m->params[m->goff[l] + (size_t)j] = 1.0f;
}

/* The number of rows of logits z (B, C) whose argmax is the label. */
static int count_correct(const float *z, const uint8_t *y, int B, int C)
{
	int correct = 0;

	for (int i = 0; i < B; i++) {
		const float *zi = z + (size_t)i * C;
		int best = 0;

		for (int j = 1; j < C; j++)
			best = zi[j] > zi[best] ? j : best;
		correct += best == y[i];
	}
	return correct;
}

/*
 * Layer normalization of hidden layer l's pre-activations z (B, n) in
 * place (Ba et al. 2016, as torch.nn.LayerNorm with eps 1e-5):
 * zhat = (z - mean) / sqrt(var + eps) over the layer's n units of each
 * example, var the biased variance; z <- gain zhat + bias.
 */
static void norm_forward(struct mlp *m, int l, float *z, int B)
{
	int n = m->sizes[l];
	const float *g = m->params + m->goff[l], *beta = g + n;

	for (int b = 0; b < B; b++) {
		float *zb = z + (size_t)b * n, *zh = m->zhat[l] + (size_t)b * n;
		double mean = 0.0, var = 0.0;
		float r;

		for (int j = 0; j < n; j++)
			mean += zb[j];
		mean /= n;
		for (int j = 0; j < n; j++)
			var += (zb[j] - mean) * (zb[j] - mean);
		r = (float)(1.0 / sqrt(var / n + 1e-5));
		m->rstd[l][b] = r;
		for (int j = 0; j < n; j++) {
			zh[j] = (float)(zb[j] - mean) * r;
			zb[j] = g[j] * zh[j] + beta[j];
		}
	}
}

/*
 * Back through it: d (B, n) the gradient at gain zhat + bias becomes the
 * gradient at z, (r/n)(n e - sum e - zhat sum e zhat) with e = gain d, per
 * example; the gain's and bias's gradients, sum_b d zhat and sum_b d, are
 * written to dg (2n), or applied as params += alpha grad when dg is NULL.
 */
static void norm_backward(struct mlp *m, int l, float *d, int B, float *dg, float alpha)
{
	int n = m->sizes[l];
	float *g = m->params + m->goff[l], *acc = dg;

	if (acc == NULL)
		acc = xcalloc((size_t)2 * n, sizeof(float));
	else
		memset(acc, 0, (size_t)2 * n * sizeof(float));
	for (int b = 0; b < B; b++) {
		float *db = d + (size_t)b * n;
		const float *zh = m->zhat[l] + (size_t)b * n;
		double se = 0.0, sez = 0.0;
		float r = m->rstd[l][b];

		for (int j = 0; j < n; j++) {
			float e = g[j] * db[j];

			acc[j] += db[j] * zh[j];
			acc[n + j] += db[j];
			se += e;
			sez += (double)e * zh[j];
		}
		for (int j = 0; j < n; j++)
			db[j] = r * (g[j] * db[j] - (float)(se / n) -
			             zh[j] * (float)(sez / n));
	}
	if (dg == NULL) {
		for (int j = 0; j < 2 * n; j++)
			g[j] += alpha * acc[j];
		free(acc);
	}
}

/* Forward pass of x (B, sizes[0]); leaves logits in act[nlayers]. */
static void mlp_forward(struct mlp *m, const float *x, int B)
{
	const float *in = x;

	for (int l = 0; l < m->nlayers; l++) {
		float *out = m->act[l + 1];

		linear_forward(out, in, m->params + m->woff[l], m->params + m->boff[l], B,
		               m->sizes[l], m->sizes[l + 1]);
		if (m->norm && l + 1 < m->nlayers)
			norm_forward(m, l + 1, out, B);
		if (l + 1 < m->nlayers)
			relu_forward(out, B * m->sizes[l + 1]);
		in = out;
	}
}

/*
 * Forward and backward on x; with grad, the gradient written there, else
 * applied to the weights as w += alpha grad (linear_backward_apply).
 */
static float loss_pass(struct mlp *m, const float *x, const uint8_t *y, int B,
                       float *grad, float alpha)
{
	int L = m->nlayers, C = m->sizes[L];
	float loss, *d = m->delta[0];

	mlp_forward(m, x, B);
	mlp_take_count(m, m->act[L], y, B);
	loss = softmax_xent_forward(m->probs, m->act[L], y, B, C);
	softmax_xent_backward(d, m->probs, y, B, C);
	/* Every weight and bias block is overwritten below; padding stays 0. */
	for (int l = L - 1; l >= 0; l--) {
		const float *in = l > 0 ? m->act[l] : x;
		float *din = l > 0 ? m->delta[(L - l) & 1] : NULL;
		float *w = m->params + m->woff[l], *b = m->params + m->boff[l];

		if (grad != NULL)
			linear_backward(din, grad + m->woff[l], grad + m->boff[l], d, in,
			                w, B, m->sizes[l], m->sizes[l + 1]);
		else
			linear_backward_apply(din, w, b, d, in, B, m->sizes[l],
			                      m->sizes[l + 1], alpha);
		if (din != NULL)
			relu_backward(din, m->act[l], B * m->sizes[l]);
		if (din != NULL && m->norm)
			norm_backward(m, l, din, B, grad ? grad + m->goff[l] : NULL,
			              alpha);
		d = din;
	}
	return loss;
}

float mlp_loss_grad(struct mlp *m, const float *x, const uint8_t *y, int B, float *grad)
{
	return loss_pass(m, x, y, B, grad, 0.0f);
}

float mlp_loss_apply(struct mlp *m, const float *x, const uint8_t *y, int B, float alpha)
{
	return loss_pass(m, x, y, B, NULL, alpha);
}

/*
 * R{.} is the derivative along v. Forward, with z_l = h_{l-1} W_l + b_l and
 * h_l = relu(z_l):
 *   R z_l = R h_{l-1} W_l + h_{l-1} V_l + v_b,  R h_l = [z_l > 0] R z_l,
 * R h_0 = 0 (the input does not move). At the logits, for softmax p:
 *   delta_L = (p - onehot)/B,  R delta_L = p (R z_L - p . R z_L)/B.
 * Back through each layer, the gradient and its derivative:
 *   grad W_l = h_{l-1}^T delta_l,
 *     Hv_W = R h_{l-1}^T delta_l + h_{l-1}^T R delta_l;
 *   grad b_l = sum delta_l,  Hv_b = sum R delta_l;
 *   delta_{l-1} = [z > 0] delta_l W_l^T,
 *     R delta_{l-1} = [z > 0] (R delta_l W_l^T + delta_l V_l^T).
 */
float mlp_hvp(struct mlp *m, const float *x, const uint8_t *y, int B, const float *v,
              float *hv)
{
	int L = m->nlayers, C = m->sizes[L], widest = 0;
	float loss, *d, *rd;

	if (m->norm)
		abort(); /* not derived through layer norm: the preset refuses it */
	if (m->rdelta[0] == NULL) {
		for (int l = 0; l <= L; l++)
			widest = m->sizes[l] > widest ? m->sizes[l] : widest;
		for (int l = 1; l <= L; l++)
			m->ract[l] = xalloc_floats((size_t)m->max_batch * m->sizes[l]);
		m->rdelta[0] = xalloc_floats((size_t)m->max_batch * widest);
		m->rdelta[1] = xalloc_floats((size_t)m->max_batch * widest);
	}
	/* The padding between blocks is not a parameter: it stays 0. */
	memset(hv, 0, m->nparams * sizeof(float));
	mlp_forward(m, x, B);
	for (int l = 0; l < L; l++) {
		int nin = m->sizes[l], nout = m->sizes[l + 1];
		const float *h = l > 0 ? m->act[l] : x;
		float *rz = m->ract[l + 1];

		for (int b = 0; b < B; b++)
			memcpy(rz + (size_t)b * nout, v + m->boff[l],
			       (size_t)nout * sizeof(float));
		gemm(0, 0, B, nout, nin, 1.0f, h, nin, v + m->woff[l], nout, 1.0f, rz,
		     nout);
		if (l > 0)
			gemm(0, 0, B, nout, nin, 1.0f, m->ract[l], nin,
			     m->params + m->woff[l], nout, 1.0f, rz, nout);
		if (l + 1 < L)
			relu_backward(rz, m->act[l + 1], B * nout);
	}
	loss = softmax_xent_forward(m->probs, m->act[L], y, B, C);
	d = m->delta[0];
	rd = m->rdelta[0];
	softmax_xent_backward(d, m->probs, y, B, C);
	softmax_xent_rbackward(rd, m->probs, m->ract[L], B, C);
	for (int l = L - 1; l >= 0; l--) {
		int nin = m->sizes[l], nout = m->sizes[l + 1], k = (L - l) & 1;
		const float *h = l > 0 ? m->act[l] : x, *w = m->params + m->woff[l];
		float *hw = hv + m->woff[l], *hb = hv + m->boff[l];

		gemm(1, 0, nin, nout, B, 1.0f, h, nin, rd, nout, 0.0f, hw, nout);
		if (l > 0)
			gemm(1, 0, nin, nout, B, 1.0f, m->ract[l], nin, d, nout, 1.0f, hw,
			     nout);
		memset(hb, 0, (size_t)nout * sizeof(float));
		for (int b = 0; b < B; b++)
			for (int j = 0; j < nout; j++)
				hb[j] += rd[(size_t)b * nout + j];
		if (l == 0)
			break;
		gemm(0, 1, B, nin, nout, 1.0f, rd, nout, w, nout, 0.0f, m->rdelta[k],
		     nin);
		gemm(0, 1, B, nin, nout, 1.0f, d, nout, v + m->woff[l], nout, 1.0f,
		     m->rdelta[k], nin);
		gemm(0, 1, B, nin, nout, 1.0f, d, nout, w, nout, 0.0f, m->delta[k], nin);
		relu_backward(m->rdelta[k], m->act[l], B * nin);
		relu_backward(m->delta[k], m->act[l], B * nin);
		d = m->delta[k];
		rd = m->rdelta[k];
	}
	return loss;
}

int mlp_evaluate(struct mlp *m, const float *x, const uint8_t *y, int B, double *loss)
{
	int L = m->nlayers, C = m->sizes[L], correct = 0;

	mlp_forward(m, x, B);
	if (loss != NULL)
		*loss += (double)softmax_xent_forward(m->probs, m->act[L], y, B, C) * B;
	correct = count_correct(m->act[L], y, B, C);
	return correct;
}

double mlp_flops_per_example(const struct mlp *m)
{
	double f = 0.0;

	/* forward 2·in·out; backward 2·in·out for dW and, past layer 0, 2·in·out for din
	 */
	for (int l = 0; l < m->nlayers; l++)
		f += (l > 0 ? 6.0 : 4.0) * m->sizes[l] * m->sizes[l + 1];
	return f;
}

void mlp_take_count(struct mlp *m, const float *logits, const uint8_t *y, int B)
{
	if (!m->count_next)
		return;
	m->correct = count_correct(logits, y, B, m->sizes[m->nlayers]);
	m->count_next = 0;
}

void mlp_count_next(struct mlp *m)
{
	m->count_next = 1;
	m->correct = 0;
}

int mlp_counted(const struct mlp *m)
{
	return m->correct;
}

void mlp_forward_only(struct mlp *m, const float *x, int B)
{
	mlp_forward(m, x, B);
}

const float *mlp_activation(const struct mlp *m, int l)
{
	return m->act[l];
}

int mlp_max_batch(const struct mlp *m)
{
	return m->max_batch;
}

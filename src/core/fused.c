/*
 * fused.c - the small-batch path: a step on up to MLP_FUSED_MAX examples
 * without GEMMs, without a gradient buffer and without an update pass.
 *
 * For a batch X (B, in), a linear layer's weight gradient is X^T D, a sum of
 * B outer products (D (B, out) is the gradient at the layer's output). So:
 *
 *  - the step never forms a gradient: row i of the weights (the weights
 *    input i feeds, input-major, mlp.h) moves by sum_b X[b,i] D[b,:] times
 *    the method's coefficient, applied while the backward pass reads that
 *    row for the input gradient D W^T: backward and update are one pass
 *    over each weight matrix (the GEMM path makes three: dW, din, update);
 *  - a row whose input is zero in every example is skipped forward and
 *    backward: its input gradient is masked by the ReLU anyway (the input is
 *    the ReLU's output) and its update is zero. That is 81% of an MNIST
 *    image's pixels and about half of a ReLU layer. Weight decay and
 *    momentum move every weight, so with them every row is visited, the
 *    skipped ones only for that;
 *  - SAM's and GNP's second gradient is taken at w + c g1 without moving
 *    the weights. With g1 = X0^T D0 in each layer,
 *      the forward pass   X (W + c X0^T D0)   = X W + c (X X0^T) D0
 *      the input gradient D (W + c X0^T D0)^T = D W^T + c (D D0^T) X0
 *    (the bias as the weight of an input fixed at 1), so the perturbation
 *    costs B x B Gram matrices, and so does the norm:
 *      ||g1||^2 = sum_l sum_ab (X0 X0^T)_ab (D0 D0^T)_ab + ||sum_b D0[b,:]||^2.
 *
 * What a method does with its two gradients comes from its descriptor's
 * plan (optim.h); the base update is optim.c's, written out per row.
 */
#include <math.h>
#include <string.h>

#include "mlp_impl.h"
#include "optim_impl.h"
#include "plasticity/layers.h"
#include "plasticity/util.h"

#define FB MLP_FUSED_MAX

static int fused_max = MLP_FUSED_MAX;

void optim_fused_limit(int max)
{
	fused_max = max < 0 ? 0 : max > MLP_FUSED_MAX ? MLP_FUSED_MAX : max;
}

int optim_fused_batch(const struct optim *o, const struct mlp *m, int B)
{
	return o->fused && B <= fused_max && B <= m->fused_batch;
}

/* Eight float lanes, added pairwise: vectorizes, and the order is fixed. */
static inline __attribute__((always_inline)) float dot(const float *restrict a,
                                                       const float *restrict b, int n)
{
	float lane[8] = {0}, s;
	int i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			lane[j] += a[i + j] * b[i + j];
	s = ((lane[0] + lane[4]) + (lane[1] + lane[5])) +
	    ((lane[2] + lane[6]) + (lane[3] + lane[7]));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static inline __attribute__((always_inline)) void axpy(float *restrict y, float a,
                                                       const float *restrict x, int n)
{
	for (int i = 0; i < n; i++)
		y[i] += a * x[i];
}

/* A layer's view of one pass: its input X (B, nin) and output gradient D. */
struct side {
	const float *X, *D;
};

/*
 * out (B, nout) = bias + X W, over the rows of nonzero inputs only; with
 * c != 0 at the weights W + c X0^T D0 of pass 0 (p0), the bias + c sum D0.
 */
PL_HOT static void forward_layer(float *restrict out, const float *restrict X, int B,
                                 int nin, int nout, const float *restrict W,
                                 const float *restrict bias, float c, struct side p0)
{
	for (int b = 0; b < B; b++)
		memcpy(out + (size_t)b * nout, bias, (size_t)nout * sizeof(float));
	for (int i = 0; i < nin; i++) {
		const float *w = W + (size_t)i * nout;

		for (int b = 0; b < B; b++) {
			float xv = X[(size_t)b * nin + i];

			if (xv != 0.0f)
				axpy(out + (size_t)b * nout, xv, w, nout);
		}
	}
	if (c == 0.0f)
		return;
	for (int b = 0; b < B; b++)
		for (int a = 0; a < B; a++) {
			float g = dot(p0.X + (size_t)a * nin, X + (size_t)b * nin, nin);

			axpy(out + (size_t)b * nout, c * (g + 1.0f),
			     p0.D + (size_t)a * nout, nout);
		}
}

/* What the final pass's backward applies: up to two sources of outer
 * products, each with its coefficient (the plan's mix), and the base update. */
struct update {
	int nsrc;
	struct side src[2];
	float coef[2];
	float lr, wd, mu;
	float *vel; /* NULL without momentum */
	int dense;  /* weight decay or momentum: every row moves */
};

/*
 * The base update of one row of n weights w (velocity v) along
 * g = sum_t k[t] d[t] (nt terms, 0 for a row only weight decay or momentum
 * moves): d = g + wd w; v = mu v + d; w -= lr v.
 */
static inline __attribute__((always_inline)) void
update_row(float *restrict w, float *restrict v, float *restrict g, int n, const float *k,
           const float *const *d, int nt, const struct update *u)
{
	if (nt == 1 && !u->dense) {
		for (int j = 0; j < n; j++)
			w[j] -= u->lr * (k[0] * d[0][j]);
		return;
	}
	if (nt == 0) {
		memset(g, 0, (size_t)n * sizeof(float));
	} else {
		for (int j = 0; j < n; j++)
			g[j] = k[0] * d[0][j];
		for (int t = 1; t < nt; t++)
			axpy(g, k[t], d[t], n);
	}
	if (v == NULL) {
		for (int j = 0; j < n; j++)
			w[j] -= u->lr * (g[j] + u->wd * w[j]);
		return;
	}
	for (int j = 0; j < n; j++) {
		v[j] = u->mu * v[j] + (g[j] + u->wd * w[j]);
		w[j] -= u->lr * v[j];
	}
}

/*
 * Layer l's backward pass for one pass p (input X, output gradient D):
 * the input gradient into Dprev (B, nin), masked by the ReLU (NULL for the
 * first layer), at W + c X0^T D0 when c != 0 (H[a*B+b] = D0[a] . D[b]); with
 * u, the update of W and the bias, each row as it is read.
 */
PL_HOT static void backward_layer(float *restrict Dprev, struct side p, int B, int nin,
                                  int nout, float *restrict W, float *restrict bias,
                                  float *restrict vw, float *restrict vb, float c,
                                  struct side p0, const float *H, const struct update *u,
                                  float *restrict g)
{
	float k[2 * FB];
	const float *d[2 * FB];
	int nt;

	for (int i = 0; i < nin; i++) {
		float *w = W + (size_t)i * nout;

		nt = 0;

		if (Dprev != NULL)
			for (int b = 0; b < B; b++) {
				float xv = p.X[(size_t)b * nin + i], s = 0.0f;

				if (xv != 0.0f) {
					s = dot(w, p.D + (size_t)b * nout, nout);
					for (int a = 0; c != 0.0f && a < B; a++)
						s += c * p0.X[(size_t)a * nin + i] *
						     H[a * B + b];
				}
				Dprev[(size_t)b * nin + i] = s;
			}
		if (u == NULL)
			continue;
		for (int s = 0; s < u->nsrc; s++)
			for (int b = 0; b < B; b++) {
				float xv = u->src[s].X[(size_t)b * nin + i];

				if (xv != 0.0f) {
					k[nt] = u->coef[s] * xv;
					d[nt++] = u->src[s].D + (size_t)b * nout;
				}
			}
		if (nt > 0 || u->dense)
			update_row(w, vw ? vw + (size_t)i * nout : NULL, g, nout, k, d,
			           nt, u);
	}
	if (u == NULL)
		return;
	/* The bias: the weights of an input that is always 1. */
	nt = 0;
	for (int s = 0; s < u->nsrc; s++)
		for (int b = 0; b < B; b++) {
			k[nt] = u->coef[s];
			d[nt++] = u->src[s].D + (size_t)b * nout;
		}
	if (nt > 0 || u->dense)
		update_row(bias, vb, g, nout, k, d, nt, u);
}

/* Pass p's forward through every layer: logits in acts[L]; c, p0 as in
 * forward_layer, with pass 0's inputs in0 and gradients m->dl[0]. */
static void forward(struct mlp *m, const float *const *in, float *const *acts, int B,
                    float c, const float *const *in0)
{
	for (int l = 0; l < m->nlayers; l++) {
		struct side p0 = {in0[l], m->dl[0][l]};

		forward_layer(acts[l + 1], in[l], B, m->sizes[l], m->sizes[l + 1],
		              m->params + m->woff[l], m->params + m->boff[l], c, p0);
		if (l + 1 < m->nlayers)
			relu_forward(acts[l + 1], B * m->sizes[l + 1]);
	}
}

/*
 * Pass p's backward from its logits' gradient in m->dl[p][L-1], at
 * W + c X0^T D0 when c != 0 (pass 0's inputs in0, gradients m->dl[0]).
 * With mix, it also applies the update: mix[0] times pass 0's gradient plus
 * mix[1] times pass p's (for p = 0, mix[0] alone).
 */
static void backward(struct mlp *m, int p, const float *const *in,
                     const float *const *in0, int B, float c, const float *mix,
                     const struct update *u)
{
	for (int l = m->nlayers - 1; l >= 0; l--) {
		int nout = m->sizes[l + 1];
		struct side cur = {in[l], m->dl[p][l]}, p0 = {in0[l], m->dl[0][l]};
		struct update ul = *u;
		float H[FB * FB];

		ul.nsrc = 0;
		for (int s = 0; mix != NULL && s < (p > 0 ? 2 : 1); s++)
			if (mix[s] != 0.0f) {
				ul.src[ul.nsrc] = s == 0 ? p0 : cur;
				ul.coef[ul.nsrc++] = mix[s];
			}
		for (int a = 0; c != 0.0f && a < B; a++)
			for (int b = 0; b < B; b++)
				H[a * B + b] = dot(p0.D + (size_t)a * nout,
				                   cur.D + (size_t)b * nout, nout);
		backward_layer(l > 0 ? m->dl[p][l - 1] : NULL, cur, B, m->sizes[l], nout,
		               m->params + m->woff[l], m->params + m->boff[l],
		               u->vel ? u->vel + m->woff[l] : NULL,
		               u->vel ? u->vel + m->boff[l] : NULL, c, p0, H,
		               mix != NULL ? &ul : NULL, m->delta[0]);
	}
}

/* ||g||^2 of pass 0's gradient, from its factors (the header). */
static double grad_norm2(const struct mlp *m, const float *const *in, int B)
{
	double s = 0.0;

	for (int l = 0; l < m->nlayers; l++) {
		int nin = m->sizes[l], nout = m->sizes[l + 1];
		const float *X = in[l], *D = m->dl[0][l];

		for (int a = 0; a < B; a++)
			for (int b = 0; b < B; b++)
				s += (double)dot(X + (size_t)a * nin, X + (size_t)b * nin,
				                 nin) *
				     dot(D + (size_t)a * nout, D + (size_t)b * nout,
				         nout);
		for (int j = 0; j < nout; j++) {
			double db = 0.0;

			for (int b = 0; b < B; b++)
				db += D[(size_t)b * nout + j];
			s += db * db;
		}
	}
	return s;
}

float fused_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y, int B)
{
	const int L = m->nlayers, C = m->sizes[L];
	const struct optim_desc *desc = o->desc;
	const float *in0[MLP_MAX_LAYERS + 1], *in1[MLP_MAX_LAYERS + 1];
	struct step_plan plan = {0};
	struct update u = {.lr = (float)o->cfg.lr,
	                   .wd = (float)o->cfg.weight_decay,
	                   .mu = (float)o->cfg.momentum,
	                   .vel = o->vel,
	                   .dense = o->cfg.weight_decay != 0.0 || o->vel != NULL};
	float loss;

	in0[0] = in1[0] = x;
	for (int l = 1; l <= L; l++) {
		in0[l] = m->act[l];
		in1[l] = m->act2[l];
	}
	forward(m, in0, m->act, B, 0.0f, in0);
	if (m->count_next) {
		int correct = 0;

		for (int b = 0; b < B; b++) {
			const float *z = m->act[L] + (size_t)b * C;
			int best = 0;

			for (int j = 1; j < C; j++)
				best = z[j] > z[best] ? j : best;
			correct += best == y[b];
		}
		m->correct = correct;
		m->count_next = 0;
	}
	loss = softmax_xent_forward(m->probs, m->act[L], y, B, C);
	softmax_xent_backward(m->dl[0][L - 1], m->probs, y, B, C);
	if (desc->passes == 1) {
		desc->plan(&o->cfg, 0.0, &plan);
		backward(m, 0, in0, in0, B, 0.0f, plan.mix, &u);
		return loss;
	}
	backward(m, 0, in0, in0, B, 0.0f, NULL, &u);
	desc->plan(&o->cfg, sqrt(grad_norm2(m, in0, B)), &plan);
	forward(m, in1, m->act2, B, plan.probe, in0);
	softmax_xent_forward(m->probs, m->act2[L], y, B, C);
	softmax_xent_backward(m->dl[1][L - 1], m->probs, y, B, C);
	backward(m, 1, in1, in0, B, plan.probe, plan.mix, &u);
	return loss;
}

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
 *    image's pixels and about half of a ReLU layer. Weight decay,
 *    momentum and L2-init move every weight, so with them every row is
 *    visited, the skipped ones only for that;
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
	return o->planned && B <= fused_max && B <= m->fused_batch;
}

/*
 * Eight floats as one value (GCC's vector extension): a 256-bit register
 * in the x86-64-v3 clones, two SSE registers in the baseline. Loads and
 * stores through it may be unaligned (rows of 10 outputs are).
 */
typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));

#define AI static inline __attribute__((always_inline))

/* Macros, not functions: a vector argument or result would change the ABI
 * of the baseline clone (-Wpsabi). */
#define LD(p)    (*(const v8 *)(p))
#define ST(p, v) (*(v8 *)(p) = (v))
/* The eight lanes of a variable v, added pairwise in a fixed order. */
#define HSUM(v)                                                                          \
	((((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) +                                       \
	 (((v)[2] + (v)[6]) + ((v)[3] + (v)[7])))

/* Four doubles as one value, and four floats to load them from. */
typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));

/* a . b in double: each product of two floats is exact there. */
AI double dotd(const float *restrict a, const float *restrict b, int n)
{
	v4d s0 = {0}, s1 = {0};
	int i = 0;
	double s;

	for (; i + 8 <= n; i += 8) {
		s0 += __builtin_convertvector(*(const v4f *)(a + i), v4d) *
		      __builtin_convertvector(*(const v4f *)(b + i), v4d);
		s1 += __builtin_convertvector(*(const v4f *)(a + i + 4), v4d) *
		      __builtin_convertvector(*(const v4f *)(b + i + 4), v4d);
	}
	for (; i + 4 <= n; i += 4)
		s0 += __builtin_convertvector(*(const v4f *)(a + i), v4d) *
		      __builtin_convertvector(*(const v4f *)(b + i), v4d);
	s0 += s1;
	s = (s0[0] + s0[2]) + (s0[1] + s0[3]);
	for (; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/* a . b; two accumulators, a fixed order. */
AI float dot(const float *restrict a, const float *restrict b, int n)
{
	v8 s0 = {0}, s1 = {0};
	int i = 0;
	float s;

	for (; i + 16 <= n; i += 16) {
		s0 += LD(a + i) * LD(b + i);
		s1 += LD(a + i + 8) * LD(b + i + 8);
	}
	for (; i + 8 <= n; i += 8)
		s0 += LD(a + i) * LD(b + i);
	s0 += s1;
	s = HSUM(s0);
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

AI void axpy(float *restrict y, float a, const float *restrict x, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8)
		ST(y + i, LD(y + i) + a * LD(x + i));
	for (; i < n; i++)
		y[i] += a * x[i];
}

/* y += a0 x0 + a1 x1 + a2 x2 + a3 x3: four weight rows per pass over y. */
AI void axpy4(float *restrict y, const float *a, const float *const *x, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		v8 v = LD(y + i);

		v += a[0] * LD(x[0] + i);
		v += a[1] * LD(x[1] + i);
		v += a[2] * LD(x[2] + i);
		v += a[3] * LD(x[3] + i);
		ST(y + i, v);
	}
	for (; i < n; i++)
		y[i] += a[0] * x[0][i] + a[1] * x[1][i] + a[2] * x[2][i] + a[3] * x[3][i];
}

/* y += sum_t a[t] x[t] over nt terms, four per pass over y (then three,
 * two, one). */
AI void axpyn(float *restrict y, const float *a, const float *const *x, int nt, int n)
{
	int t = 0;

	for (; t + 4 <= nt; t += 4)
		axpy4(y, a + t, x + t, n);
	if (nt - t == 3) {
		const float a4[4] = {a[t], a[t + 1], a[t + 2], 0.0f};
		const float *x4[4] = {x[t], x[t + 1], x[t + 2], x[t]};

		axpy4(y, a4, x4, n);
	} else if (nt - t == 2) {
		int i = 0;

		for (; i + 8 <= n; i += 8)
			ST(y + i,
			   LD(y + i) + a[t] * LD(x[t] + i) + a[t + 1] * LD(x[t + 1] + i));
		for (; i < n; i++)
			y[i] += a[t] * x[t][i] + a[t + 1] * x[t + 1][i];
	} else if (nt - t == 1) {
		axpy(y, a[t], x[t], n);
	}
}

/* s[b] = w . dc[b] for nd examples (the old w), and w += sum_t k[t] d[t]
 * over nk terms, in one pass over w; nd and nk are constants at each call,
 * so the accumulators stay in registers. */
AI void dots_update(float *restrict w, const float *const *dc, float *s, const float *k,
                    const float *const *d, int n, const int nd, const int nk)
{
	v8 acc[4] = {{0}, {0}, {0}, {0}};
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		v8 wv = LD(w + i), v = wv;

		for (int b = 0; b < nd; b++)
			acc[b] += wv * LD(dc[b] + i);
		for (int t = 0; t < nk; t++)
			v += k[t] * LD(d[t] + i);
		ST(w + i, v);
	}
	for (int b = 0; b < nd; b++)
		s[b] = HSUM(acc[b]);
	for (; i < n; i++) {
		float v = w[i];

		for (int b = 0; b < nd; b++)
			s[b] += v * dc[b][i];
		for (int t = 0; t < nk; t++)
			v += k[t] * d[t][i];
		w[i] = v;
	}
}

/* One example's row in one pass: returns w . dc (the old w), and moves
 * w -= k0 d0 as it goes. */
AI float dot_update1(float *restrict w, const float *dc, float k0, const float *d0, int n)
{
	v8 s0 = {0};
	int i = 0;
	float s;

	for (; i + 8 <= n; i += 8) {
		v8 wv = LD(w + i);

		s0 += wv * LD(dc + i);
		ST(w + i, wv - k0 * LD(d0 + i));
	}
	s = HSUM(s0);
	for (; i < n; i++) {
		s += w[i] * dc[i];
		w[i] -= k0 * d0[i];
	}
	return s;
}

/* The same with two sources: w -= k0 d0 + k1 d1. */
AI float dot_update2(float *restrict w, const float *dc, float k0, const float *d0,
                     float k1, const float *d1, int n)
{
	v8 s0 = {0};
	int i = 0;
	float s;

	for (; i + 8 <= n; i += 8) {
		v8 wv = LD(w + i);

		s0 += wv * LD(dc + i);
		ST(w + i, wv - (k0 * LD(d0 + i) + k1 * LD(d1 + i)));
	}
	s = HSUM(s0);
	for (; i < n; i++) {
		s += w[i] * dc[i];
		w[i] -= k0 * d0[i] + k1 * d1[i];
	}
	return s;
}

/* A layer's view of one pass: its input X (B, nin) and output gradient D. */
struct side {
	const float *X, *D;
};

/*
 * out (B, nout) = bias + X W, over the rows of nonzero inputs only; with
 * c != 0 plus c (Xg X0^T + 1) D0, pass 0's factors p0: for Xg = X, the
 * weights W + c X0^T D0 and the bias + c sum D0. bias NULL: none.
 */
PL_HOT static void forward_layer(float *restrict out, const float *restrict X, int B,
                                 int nin, int nout, const float *restrict W,
                                 const float *restrict bias, float c, struct side p0,
                                 const float *Xg, const int *restrict rows, int n)
{
	for (int b = 0; b < B; b++)
		if (bias != NULL)
			memcpy(out + (size_t)b * nout, bias,
			       (size_t)nout * sizeof(float));
		else
			memset(out + (size_t)b * nout, 0, (size_t)nout * sizeof(float));
	/* The rows of the inputs nonzero in some example, four at a time. */
	for (int r = 0; r < n; r += 4) {
		const float *w[4];
		int q = n - r < 4 ? n - r : 4;

		for (int t = 0; t < 4; t++)
			w[t] = W + (size_t)rows[r + (t < q ? t : 0)] * nout;
		for (int b = 0; b < B; b++) {
			const float *x = X + (size_t)b * nin;
			float a[4];

			for (int t = 0; t < 4; t++)
				a[t] = t < q ? x[rows[r + t]] : 0.0f;
			axpy4(out + (size_t)b * nout, a, w, nout);
		}
	}
	if (c == 0.0f)
		return;
	for (int b = 0; b < B; b++)
		for (int a = 0; a < B; a++) {
			float g = dot(p0.X + (size_t)a * nin, Xg + (size_t)b * nin, nin);

			axpy(out + (size_t)b * nout, c * (g + 1.0f),
			     p0.D + (size_t)a * nout, nout);
		}
}

/* What the final pass's backward applies: up to three sources of outer
 * products, each with its coefficient (the plan's mix), and the base update.
 * The bias moves with the first nbias sources only. */
struct update {
	int nsrc, nbias;
	struct side src[3];
	float coef[3];
	float lr, wd, mu, l2;
	float *vel; /* NULL without momentum */
	/* L2-init's theta_0 (NULL without it), at the same offsets as the
	 * weights from params */
	const float *w0, *params;
	int dense; /* weight decay, momentum or L2-init: every row moves */
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
	if (u->w0 != NULL) {
		/* L2-init: d += l2 (w - w_0) */
		const float *restrict z = u->w0 + (w - u->params);

		for (int j = 0; j < n; j++)
			g[j] += u->l2 * (w[j] - z[j]);
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
 * The rows of a batch of up to four examples with up to four update terms
 * (ns sources times B examples), no weight decay or momentum: the terms are
 * the same for every row (a dead input's coefficient is zero, which leaves
 * the weight as it is), so each row is one loop with its accumulators in
 * registers: the input gradients (Dprev, when not NULL) and the update.
 */
static inline __attribute__((always_inline)) void
fixed_terms(float *restrict Dprev, struct side p, int B, int nin, int nout,
            float *restrict W, const struct update *u, const int *restrict rows, int n)
{
	const float *dc[4], *dt[4], *xt[4];
	float kt[4], kk[4], sum[4];
	int nk = u->nsrc * B, wide = nk > 2, nd = Dprev == NULL ? 0 : B > 2 ? 4 : 2;

	for (int b = 0; b < 4; b++)
		dc[b] = p.D + (size_t)(b < B ? b : 0) * nout;
	for (int t = 0; t < 4; t++) {
		int s = t < nk ? t / B : 0, b = t < nk ? t % B : 0;

		dt[t] = u->src[s].D + (size_t)b * nout;
		xt[t] = u->src[s].X + (size_t)b * nin;
		kt[t] = t < nk ? -u->lr * u->coef[s] : 0.0f;
	}
	for (int r = 0; r < n; r++) {
		int i = rows[r];
		float *w = W + (size_t)i * nout;

		for (int t = 0; t < 4; t++)
			kk[t] = kt[t] * xt[t][i];
		if (nd == 0 && !wide)
			dots_update(w, dc, sum, kk, dt, nout, 0, 2);
		else if (nd == 0)
			dots_update(w, dc, sum, kk, dt, nout, 0, 4);
		else if (nd == 2 && !wide)
			dots_update(w, dc, sum, kk, dt, nout, 2, 2);
		else if (nd == 2)
			dots_update(w, dc, sum, kk, dt, nout, 2, 4);
		else
			dots_update(w, dc, sum, kk, dt, nout, 4, 4);
		for (int b = 0; nd > 0 && b < B; b++)
			Dprev[(size_t)b * nin + i] =
			        p.X[(size_t)b * nin + i] != 0.0f ? sum[b] : 0.0f;
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
                                  float *restrict g, const int *restrict rows, int n)
{
	float k[3 * FB + 3];
	const float *d[3 * FB + 3];
	int nt;

	/* One example, no weight decay or momentum: each live row in one loop,
	 * over a list of them (a branch per row would mispredict: which ReLU
	 * units are active is close to random). */
	if (B == 1 && (u == NULL || (!u->dense && u->nsrc <= 2))) {
		int ns = u != NULL ? u->nsrc : 0;
		float l0 = ns > 0 ? u->lr * u->coef[0] : 0.0f;
		float l1 = ns > 1 ? u->lr * u->coef[1] : 0.0f;
		const float *x0 = ns > 0 ? u->src[0].X : p.X,
		            *x1 = ns > 1 ? u->src[1].X : x0;
		const float *d0 = ns > 0 ? u->src[0].D : p.D,
		            *d1 = ns > 1 ? u->src[1].D : d0;

		if (Dprev != NULL)
			memset(Dprev, 0, (size_t)nin * sizeof(float));
		for (int r = 0; r < n; r++) {
			int i = rows[r];
			float *w = W + (size_t)i * nout, s;

			if (ns == 0)
				s = dot(w, p.D, nout);
			else if (ns == 1 && d0 == p.D)
				s = dot_update1(w, p.D, l0 * x0[i], p.D, nout);
			else if (ns == 1)
				s = dot_update1(w, p.D, l0 * x0[i], d0, nout);
			else
				s = dot_update2(w, p.D, l0 * x0[i], d0, l1 * x1[i], d1,
				                nout);
			if (Dprev != NULL && p.X[i] != 0.0f)
				Dprev[i] = c == 0.0f ? s : s + c * p0.X[i] * H[0];
		}
		if (ns > 0) {
			const float *db[2] = {d0, d1};

			update_row(bias, NULL, g, nout, u->coef, db, u->nbias, u);
		}
		return;
	}
	/* Several examples, no weight decay or momentum: each row some
	 * example's input feeds, once: its input gradients for the examples it
	 * is live in (the weights as they were), then its update, up to four
	 * outer-product terms per pass over it. */
	if (u == NULL || !u->dense) {
		int ns = u != NULL ? u->nsrc : 0;

		if (Dprev != NULL)
			memset(Dprev, 0, (size_t)B * nin * sizeof(float));
		if (ns > 0 && ns * B <= 4)
			fixed_terms(Dprev, p, B, nin, nout, W, u, rows, n);
		for (int r = 0; !(ns > 0 && ns * B <= 4) && r < n; r++) {
			int i = rows[r];
			float *w = W + (size_t)i * nout;

			nt = 0;
			for (int s = 0; s < ns; s++)
				for (int b = 0; b < B; b++) {
					float xv = u->src[s].X[(size_t)b * nin + i];

					k[nt] = -u->lr * (u->coef[s] * xv);
					d[nt] = u->src[s].D + (size_t)b * nout;
					nt += xv != 0.0f;
				}
			for (int b = 0; Dprev != NULL && b < B; b++)
				if (p.X[(size_t)b * nin + i] != 0.0f)
					Dprev[(size_t)b * nin + i] =
					        dot(w, p.D + (size_t)b * nout, nout);
			axpyn(w, k, d, nt, nout);
		}
		/* The perturbation's share, c (D D0^T) X0, where the ReLU lets it. */
		for (int b = 0; Dprev != NULL && c != 0.0f && b < B; b++) {
			float *out = Dprev + (size_t)b * nin;
			const float *x = p.X + (size_t)b * nin;

			for (int a = 0; a < B; a++)
				axpy(out, c * H[a * B + b], p0.X + (size_t)a * nin, nin);
			for (int i = 0; i < nin; i++)
				out[i] = x[i] != 0.0f ? out[i] : 0.0f;
		}
		if (u == NULL)
			return;
		nt = 0;
		for (int s = 0; s < u->nbias; s++)
			for (int b = 0; b < B; b++) {
				k[nt] = -u->lr * u->coef[s];
				d[nt++] = u->src[s].D + (size_t)b * nout;
			}
		axpyn(bias, k, d, nt, nout);
		return;
	}
	/* Weight decay or momentum: every row moves, through the base update. */
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
	for (int s = 0; s < u->nbias; s++)
		for (int b = 0; b < B; b++) {
			k[nt] = u->coef[s];
			d[nt++] = u->src[s].D + (size_t)b * nout;
		}
	if (nt > 0 || u->dense)
		update_row(bias, vb, g, nout, k, d, nt, u);
}

/* Pass p's forward through every layer: logits in acts[L]; c, p0 as in
 * forward_layer, with pass 0's inputs in0 and gradients m->dl[0]. */
/* The inputs x (B, n) nonzero in some example, into list; their count.
 * The flags are gathered example by example (vectorized) in list itself,
 * then compacted in place: list[k] is written only after list[i >= k] was
 * read. */
PL_HOT static int live_inputs(const float *restrict x, int B, int n, int *restrict list)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		list[i] = x[i] != 0.0f;
	for (int b = 1; b < B; b++)
		for (int i = 0; i < n; i++)
			list[i] |= x[(size_t)b * n + i] != 0.0f;
	for (int i = 0; i < n; i++) {
		int f = list[i];

		list[k] = i;
		k += f;
	}
	return k;
}

/* x = max(x, 0) in place (B, n), and the live list of the result, as
 * live_inputs. */
PL_HOT static int relu_live(float *restrict x, int B, int n, int *restrict list)
{
	for (size_t i = 0; i < (size_t)B * n; i++)
		x[i] = x[i] > 0.0f ? x[i] : 0.0f;
	return live_inputs(x, B, n, list);
}

/* The live list of layer l's input in pass p; both passes share the
 * network's input. */
static const int *live_list(const struct mlp *m, int p, int l, int *n)
{
	p = l == 0 ? 0 : p;
	*n = m->nlive[p][l];
	return m->live[p][l];
}

/* Pass p's forward through every layer: logits in acts[L], the live lists
 * of every layer's input in m->live[p]; c, p0 as in forward_layer, with
 * pass 0's inputs in0 and gradients m->dl[0]. */
static void forward(struct mlp *m, int p, const float *const *in, float *const *acts,
                    int B, float c, const float *const *in0)
{
	if (p == 0)
		m->nlive[0][0] = live_inputs(in[0], B, m->sizes[0], m->live[0][0]);
	for (int l = 0; l < m->nlayers; l++) {
		struct side p0 = {in0[l], m->dl[0][l]};
		int n;
		const int *list = live_list(m, p, l, &n);

		forward_layer(acts[l + 1], in[l], B, m->sizes[l], m->sizes[l + 1],
		              m->params + m->woff[l], m->params + m->boff[l], c, p0,
		              in[l], list, n);
		if (l + 1 < m->nlayers)
			m->nlive[p][l + 1] = relu_live(acts[l + 1], B, m->sizes[l + 1],
			                               m->live[p][l + 1]);
	}
}

/* The union of two sorted lists into out; its count. */
static int merge_lists(const int *a, int na, const int *b, int nb, int *out)
{
	int i = 0, j = 0, k = 0;

	while (i < na && j < nb) {
		int v = a[i] < b[j] ? a[i] : b[j];

		i += a[i] == v;
		j += b[j] == v;
		out[k++] = v;
	}
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
	return k;
}

/*
 * Pass p's backward from its logits' gradient in m->dl[p][L-1], at
 * W + c X0^T D0 when c != 0 (pass 0's inputs in0, gradients m->dl[0]).
 * With mix, it also applies the update: mix[0] times pass 0's gradient plus
 * mix[1] times pass p's (for p = 0, mix[0] alone).
 */
PL_HOT static void backward(struct mlp *m, int p, const float *const *in,
                            const float *const *in0, int B, float c, const float *mix,
                            const struct update *u)
{
	for (int l = m->nlayers - 1; l >= 0; l--) {
		int nout = m->sizes[l + 1];
		struct side cur = {in[l], m->dl[p][l]}, p0 = {in0[l], m->dl[0][l]};
		struct update ul = *u;
		float H[FB * FB];
		const int *list;
		int n;

		ul.nsrc = 0;
		for (int s = 0; mix != NULL && s < (p > 0 ? 2 : 1); s++)
			if (mix[s] != 0.0f) {
				ul.src[ul.nsrc] = s == 0 ? p0 : cur;
				ul.coef[ul.nsrc++] = mix[s];
			}
		ul.nbias = ul.nsrc;
		for (int a = 0; c != 0.0f && l > 0 && a < B; a++)
			for (int b = 0; b < B; b++)
				H[a * B + b] = dot(p0.D + (size_t)a * nout,
				                   cur.D + (size_t)b * nout, nout);
		/* The rows to visit: those live in this pass, and in pass 0 too
		 * when its gradient is part of the update. */
		n = 0;
		list = live_list(m, p, l, &n);
		for (int s = 0; s < ul.nsrc && mix != NULL; s++)
			if (ul.src[s].X != cur.X) {
				int n0;
				const int *l0 = live_list(m, 0, l, &n0);

				n = merge_lists(list, n, l0, n0, m->rows);
				list = m->rows;
				break;
			}
		backward_layer(l > 0 ? m->dl[p][l - 1] : NULL, cur, B, m->sizes[l], nout,
		               m->params + m->woff[l], m->params + m->boff[l],
		               u->vel ? u->vel + m->woff[l] : NULL,
		               u->vel ? u->vel + m->boff[l] : NULL, c, p0, H,
		               mix != NULL ? &ul : NULL, m->delta[0], list, n);
	}
}

/*
 * Exact GNP's second half (plan.hvp): the R-operator of mlp_hvp along
 * v = g1, whose weights are X_l^T D_l in every layer, in Gram form, and the
 * update w -= lr (g1 + c H g1) applied on the way back:
 *   R z_{l+1} = R h_l W_l + (X_l X_l^T + 1) D_l,  R h_l = [X_l > 0] R z_l,
 *   R h_0 = 0;  at the logits R delta = p (R z - p . R z)/B (pass 0's p);
 *   R delta_{l-1} = [X_l > 0] (R delta_l W_l^T + (D_l D_l^T) X_l);
 *   H g1 = (R h_l^T D_l + X_l^T R delta_l, sum R delta_l) per layer.
 * R h_l is zero wherever X_l is, so pass 0's live lists serve; R h goes in
 * act2, R delta in dl[1].
 */
PL_HOT static void hvp_pass(struct mlp *m, const float *const *in0, int B, float c,
                            const struct update *u)
{
	const int L = m->nlayers, C = m->sizes[L];
	float *const *rh = m->act2;

	for (int l = 0; l < L; l++) {
		struct side p0 = {in0[l], m->dl[0][l]};
		int n;
		const int *list = live_list(m, 0, l, &n);

		forward_layer(rh[l + 1], l > 0 ? rh[l] : in0[0], B, m->sizes[l],
		              m->sizes[l + 1], m->params + m->woff[l], NULL, 1.0f, p0,
		              in0[l], list, l > 0 ? n : 0);
		if (l + 1 < L)
			relu_backward(rh[l + 1], in0[l + 1], B * m->sizes[l + 1]);
	}
	softmax_xent_rbackward(m->dl[1][L - 1], m->probs, rh[L], B, C);
	for (int l = L - 1; l >= 0; l--) {
		int nin = m->sizes[l], nout = m->sizes[l + 1], n;
		struct side xd = {in0[l], m->dl[0][l]}, xrd = {in0[l], m->dl[1][l]};
		struct update ul = *u;
		const int *list = live_list(m, 0, l, &n);
		float H[FB * FB];

		ul.nsrc = ul.nbias = 2;
		ul.src[0] = xd;
		ul.coef[0] = 1.0f;
		ul.src[1] = xrd;
		ul.coef[1] = c;
		if (l > 0) {
			/* R h^T D moves the weights, not the bias. */
			ul.src[2] = (struct side){rh[l], m->dl[0][l]};
			ul.coef[2] = c;
			ul.nsrc = 3;
		}
		for (int a = 0; l > 0 && a < B; a++)
			for (int b = 0; b < B; b++)
				H[a * B + b] = dot(xd.D + (size_t)a * nout,
				                   xd.D + (size_t)b * nout, nout);
		backward_layer(l > 0 ? m->dl[1][l - 1] : NULL, xrd, B, nin, nout,
		               m->params + m->woff[l], m->params + m->boff[l], NULL, NULL,
		               1.0f, xd, H, &ul, m->delta[0], list, n);
	}
}

/* ||g||^2 of pass 0's gradient, from its factors (the header). */
PL_HOT static double grad_norm2(const struct mlp *m, const float *const *in, int B)
{
	double s = 0.0;

	/*
	 * The B^2 terms are each as large as one example's gradient, while
	 * their sum can be far smaller (examples whose gradients cancel): in
	 * float its rounding could swamp it or make it negative (then NAN
	 * weights). Each Gram entry is summed in double from exact products,
	 * and by symmetry each pair a != b is counted once, twice over.
	 */
	for (int l = 0; l < m->nlayers; l++) {
		int nin = m->sizes[l], nout = m->sizes[l + 1];
		const float *X = in[l], *D = m->dl[0][l];

		for (int a = 0; a < B; a++)
			for (int b = a; b < B; b++)
				s += (a == b ? 1.0 : 2.0) *
				     dotd(X + (size_t)a * nin, X + (size_t)b * nin, nin) *
				     dotd(D + (size_t)a * nout, D + (size_t)b * nout,
				          nout);
		for (int j = 0; j < nout; j++) {
			double db = 0.0;

			for (int b = 0; b < B; b++)
				db += D[(size_t)b * nout + j];
			s += db * db;
		}
	}
	return s > 0.0 ? s : 0.0;
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
	                   .l2 = (float)o->cfg.l2_init,
	                   .vel = o->vel,
	                   .w0 = o->w0,
	                   .params = m->params,
	                   .dense = o->cfg.weight_decay != 0.0 || o->vel != NULL ||
	                            o->w0 != NULL};
	float loss;

	in0[0] = in1[0] = x;
	for (int l = 1; l <= L; l++) {
		in0[l] = m->act[l];
		in1[l] = m->act2[l];
	}
	forward(m, 0, in0, m->act, B, 0.0f, in0);
	mlp_take_count(m, m->act[L], y, B);
	loss = softmax_xent_forward(m->probs, m->act[L], y, B, C);
	softmax_xent_backward(m->dl[0][L - 1], m->probs, y, B, C);
	if (desc->passes == 1) {
		desc->plan(&o->cfg, 0.0, &plan);
		backward(m, 0, in0, in0, B, 0.0f, plan.mix, &u);
		return loss;
	}
	backward(m, 0, in0, in0, B, 0.0f, NULL, &u);
	desc->plan(&o->cfg, sqrt(grad_norm2(m, in0, B)), &plan);
	if (plan.hvp) {
		hvp_pass(m, in0, B, plan.probe, &u);
		return loss;
	}
	forward(m, 1, in1, m->act2, B, plan.probe, in0);
	softmax_xent_forward(m->probs, m->act2[L], y, B, C);
	softmax_xent_backward(m->dl[1][L - 1], m->probs, y, B, C);
	backward(m, 1, in1, in0, B, plan.probe, plan.mix, &u);
	return loss;
}

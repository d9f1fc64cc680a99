/*
 * cure_cbp.c - continual backprop (Dohare et al. 2024, "Loss of plasticity
 * in deep continual learning", Nature 632; their generate-and-test, GnT).
 *
 * After every step, per hidden layer, on the step's mini-batch (h after the
 * step, one forward pass):
 *   age_i += 1;  f_i = eta f_i + (1 - eta) mean_x h_i(x);
 *   u_i = eta u_i + (1 - eta) mean_x |h_i(x)| mean_k |w_ik|  (outgoing w),
 * Dohare's "contribution" utility, ranked bias-corrected: u_i / (1 - eta^age_i)
 * (ranking the raw average is the bug of SlopDotCash/asi#2346). Units with
 * age_i > maturity are eligible; the layer's carry c += rate x eligible, and
 * the floor(c) eligible units of lowest corrected utility (ties: the lower
 * index) are replaced, c keeping the fraction (GnT's "accumulate" form:
 * deterministic, so a resumed run replaces what the whole one did). A
 * replaced unit: the next layer's bias absorbs its mean contribution,
 * b_k += w_ik f_i / (1 - eta^age_i); then fresh incoming weights, bias 0,
 * zero outgoing weights (unit_reset), its optimizer state zeroed, and age,
 * u and f set to 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/cures.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

enum { UTIL, MEAN, AGE, CARRY };

static void cbp_init(struct hook *h, struct mlp *m)
{
	size_t H = (size_t)unit_first(m, mlp_nlayers(m));

	hook_state_add(h, "cbp_util", H);
	hook_state_add(h, "cbp_mean", H);
	hook_state_add(h, "cbp_age", H);
	hook_state_add(h, "cbp_carry", (size_t)mlp_nlayers(m) - 1);
}

static void cbp_begin(struct hook *h, struct hook_ctx *c)
{
	(void)h;
	c->res->cbp_replaced = 0;
}

/* The n lowest of key[] among the units with ok[] set, into pick (in order). */
static int lowest(const double *key, const unsigned char *ok, int w, int n, int *pick)
{
	int k = 0;

	for (; k < n; k++) {
		int best = -1;

		for (int j = 0; j < w; j++) {
			int taken = 0;

			for (int q = 0; q < k && !taken; q++)
				taken = pick[q] == j;
			if (ok[j] && !taken && (best < 0 || key[j] < key[best]))
				best = j;
		}
		if (best < 0)
			break;
		pick[k] = best;
	}
	return k;
}

/* Layer l's utilities from the activations h (B, w) of the last pass, then
 * its replacements; returns how many. */
static int cbp_layer(const struct method *cfg, struct hook *h, struct hook_ctx *c, int l,
                     struct rng *rng)
{
	struct mlp *m = c->mlp;
	int w = mlp_size(m, l), nnext = mlp_size(m, l + 1), first = unit_first(m, l),
	    B = c->B;
	float *util = h->state[UTIL].data + first, *mean = h->state[MEAN].data + first;
	float *age = h->state[AGE].data + first, *carry = h->state[CARRY].data + (l - 1);
	const float *act = mlp_activation(m, l),
	            *wout = mlp_params(m) + mlp_weight_offset(m, l);
	float *bnext = mlp_params(m) + mlp_bias_offset(m, l);
	double eta = cfg->cbp_decay, *key = xcalloc((size_t)w, sizeof(double));
	unsigned char *ok = xcalloc((size_t)w, 1);
	int *pick, eligible = 0, n;

	for (int j = 0; j < w; j++) {
		double sum = 0.0, abs = 0.0, out = 0.0;

		for (int b = 0; b < B; b++) {
			sum += act[(size_t)b * w + j];
			abs += fabs((double)act[(size_t)b * w + j]);
		}
		for (int k = 0; k < nnext; k++)
			out += fabs((double)wout[(size_t)j * nnext + k]);
		age[j] += 1.0f;
		mean[j] = (float)(eta * mean[j] + (1.0 - eta) * (sum / B));
		util[j] =
		        (float)(eta * util[j] + (1.0 - eta) * (abs / B) * (out / nnext));
		key[j] = util[j] / (1.0 - pow(eta, age[j]));
		ok[j] = age[j] > (float)cfg->cbp_maturity;
		eligible += ok[j];
	}
	*carry += (float)(cfg->cbp_rate * eligible);
	n = (int)floorf(*carry);
	*carry -= (float)n;
	pick = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
	n = lowest(key, ok, w, n, pick);
	for (int q = 0; q < n; q++) {
		int j = pick[q];
		double f = mean[j] / (1.0 - pow(eta, age[j]));

		for (int k = 0; k < nnext; k++)
			bnext[k] += (float)(wout[(size_t)j * nnext + k] * f);
		unit_reset(m, c->optim, l, j, rng, 0);
		util[j] = mean[j] = age[j] = 0.0f;
	}
	free(key);
	free(ok);
	free(pick);
	return n;
}

static void cbp_step(struct hook *h, struct hook_ctx *c)
{
	const struct method *cfg = h->arg;
	struct mlp *m = c->mlp;
	struct rng rng;
	int n = 0;

	rng_seed(&rng, c->seed, RNG_STREAM_RESET, (uint64_t)c->step);
	mlp_forward_only(m, c->x, c->B);
	/* Layer by layer from the first: a replacement in layer l changes no
	 * activation of the pass the later layers' utilities read (it ran
	 * before), as in GnT, which updates every layer from one forward. */
	for (int l = 1; l < mlp_nlayers(m); l++)
		n += cbp_layer(cfg, h, c, l, &rng);
	c->res->cbp_replaced += n;
}

const struct hook_desc cure_cbp = {
        .name = "cbp",
        .init = cbp_init,
        .before_task = cbp_begin,
        .after_step = cbp_step,
};

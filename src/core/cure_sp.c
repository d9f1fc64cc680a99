/*
 * cure_sp.c - shrink & perturb: theta <- shrink theta + perturb eps.
 *
 * After every optimizer step (Kumar et al. 2023, "Maintaining plasticity in
 * continual learning via regenerative regularization", their per-step
 * form), or once before every task but the first (Ash & Adams 2020, "On
 * warm-starting neural network training", where it was introduced). eps is
 * drawn like the initial parameters, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
 * every weight and bias of a layer, or N(0, 1) (Box-Muller), from
 * (seed, step) or (seed, task): every method and a resumed run draw the
 * same noise at the same step.
 */
#include <math.h>

#include "plasticity/cures.h"
#include "plasticity/train.h"

/* The stream index of task t's draw, apart from every step's. */
#define TASK_DRAW (UINT64_C(1) << 62)

/*
 * x <- p x + s eps for n parameters of a layer whose init bound is bound,
 * in one pass: eps = bound (2u - 1) from two 24-bit uniforms of each 64-bit
 * draw, or N(0, 1) from each draw's pair by Box-Muller (both of the pair:
 * cos and sin). The draws are the cost: at batch 16 they are most of it.
 */
static void shrink_perturb_n(float *restrict x, size_t n, float p, float s, float bound,
                             int normal, struct rng *rng)
{
	const float k = 1.0f / 16777216.0f;
	size_t i = 0;

	for (; i + 2 <= n; i += 2) {
		uint64_t r = rng_next(rng);
		float u1 = (float)(r >> 40) * k, u2 = (float)((r >> 16) & 0xffffff) * k;

		if (!normal) {
			x[i] = p * x[i] + s * (bound * (2.0f * u1 - 1.0f));
			x[i + 1] = p * x[i + 1] + s * (bound * (2.0f * u2 - 1.0f));
		} else {
			double rad = sqrt(-2.0 * log(1.0 - u1)), a = 2.0 * M_PI * u2;

			x[i] = p * x[i] + s * (float)(rad * cos(a));
			x[i + 1] = p * x[i + 1] + s * (float)(rad * sin(a));
		}
	}
	for (; i < n; i++) {
		float u1 = rng_uniform(rng), u2 = rng_uniform(rng);

		x[i] = p * x[i] + s * (normal ? (float)(sqrt(-2.0 * log(1.0 - u1)) *
		                                        cos(2.0 * M_PI * u2))
		                              : bound * (2.0f * u1 - 1.0f));
	}
}

static void shrink_perturb(const struct method *c, struct mlp *m, uint64_t seed,
                           uint64_t index)
{
	float *w = mlp_params(m), p = (float)c->shrink, s = (float)c->perturb;
	int normal = c->perturb_dist == PERTURB_NORMAL;
	struct rng rng;

	rng_seed(&rng, seed, RNG_STREAM_PERTURB, index);
	for (int l = 0; l < mlp_nlayers(m); l++) {
		size_t nin = (size_t)mlp_size(m, l), nout = (size_t)mlp_size(m, l + 1);
		float *wl = w + mlp_weight_offset(m, l), *bl = w + mlp_bias_offset(m, l);
		float bound = 1.0f / sqrtf((float)nin);

		if (s == 0.0f) {
			/* Shrink alone: no draws (and perturb 0 is exactly none). */
			for (size_t i = 0; p != 1.0f && i < nin * nout; i++)
				wl[i] *= p;
			for (size_t i = 0; p != 1.0f && i < nout; i++)
				bl[i] *= p;
			continue;
		}
		shrink_perturb_n(wl, nin * nout, p, s, bound, normal, &rng);
		shrink_perturb_n(bl, nout, p, s, bound, normal, &rng);
	}
}

static void sp_step(struct hook *h, struct hook_ctx *c)
{
	const struct method *cfg = h->arg;

	if (cfg->shrink_perturb_at == CURE_AT_STEP)
		shrink_perturb(cfg, c->mlp, c->seed, (uint64_t)c->step);
}

static void sp_task(struct hook *h, struct hook_ctx *c)
{
	const struct method *cfg = h->arg;

	if (cfg->shrink_perturb_at == CURE_AT_TASK && c->task > 0)
		shrink_perturb(cfg, c->mlp, c->seed, TASK_DRAW | (uint64_t)c->task);
}

const struct hook_desc cure_shrink_perturb = {
        .name = "shrink_perturb",
        .before_task = sp_task,
        .after_step = sp_step,
};

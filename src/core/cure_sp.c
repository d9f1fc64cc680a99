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

/* x += s eps for n parameters of a layer whose init bound is bound. */
static void perturb(float *x, size_t n, float s, float bound, int normal, struct rng *rng)
{
	if (!normal) {
		for (size_t i = 0; i < n; i++)
			x[i] += s * ((2.0f * rng_uniform(rng) - 1.0f) * bound);
		return;
	}
	/* One normal of each Box-Muller pair: simpler than keeping the other,
	 * and still N(0, 1). */
	for (size_t i = 0; i < n; i++) {
		double u1 = 1.0 - rng_uniform(rng), u2 = rng_uniform(rng);

		x[i] += s * (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
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

		if (p != 1.0f) {
			for (size_t i = 0; i < nin * nout; i++)
				wl[i] *= p;
			for (size_t i = 0; i < nout; i++)
				bl[i] *= p;
		}
		if (s != 0.0f) {
			perturb(wl, nin * nout, s, bound, normal, &rng);
			perturb(bl, nout, s, bound, normal, &rng);
		}
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

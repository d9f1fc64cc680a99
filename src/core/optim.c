/*
 * optim.c - the base update every optimizer shares, and flat-vector helpers.
 *
 * An optimizer's table entry only computes a direction (optim_sgd.c,
 * optim_sam.c, optim_gnp.c); momentum, weight decay and the learning rate are
 * applied here, once, the same way for all of them.
 */
#include <math.h>
#include <stdlib.h>

#include "plasticity/optim.h"
#include "plasticity/util.h"

struct optim *optim_new(const struct method *cfg, size_t nparams)
{
	static const struct optim_ops *const table[] = {
		[OPTIM_SGD] = &optim_sgd_ops,
		[OPTIM_SAM] = &optim_sam_ops,
		[OPTIM_GNP] = &optim_gnp_ops,
	};
	struct optim *o = xcalloc(1, sizeof(*o));

	o->ops = table[cfg->optimizer];
	o->cfg = *cfg;
	o->n = nparams;
	o->grad = xalloc_floats(nparams);
	/* SGD and GNP step along the first gradient (GNP mixes in grad2 during
	 * the update); SAM steps along the gradient at w + e. */
	o->dir = o->grad;
	if (cfg->optimizer == OPTIM_SAM)
		o->dir = xalloc_floats(nparams);
	if (cfg->optimizer == OPTIM_SAM && cfg->adaptive)
		o->save = xalloc_floats(nparams);
	if (cfg->optimizer == OPTIM_GNP)
		o->grad2 = xalloc_floats(nparams);
	if (cfg->momentum > 0.0)
		o->vel = xalloc_floats(nparams);
	return o;
}

void optim_free(struct optim *o)
{
	if (o == NULL)
		return;
	free(o->grad);
	free(o->grad2);
	free(o->save);
	if (o->dir != o->grad)
		free(o->dir);
	free(o->vel);
	free(o);
}

/* The base update; the flags are constants at each call site, so every
 * combination compiles to its own branch-free, vectorized loop. */
static inline void update(struct optim *o, float *restrict w, int has_dir2, int has_undo,
			  int has_vel)
{
	const float *restrict d = o->dir, *restrict d2 = o->dir2, *restrict u = o->undo;
	float *restrict v = o->vel;
	float lr = (float)o->cfg.lr, wd = (float)o->cfg.weight_decay;
	float mu = (float)o->cfg.momentum, a = o->alpha, us = o->undo_scale;

	for (size_t i = 0; i < o->n; i++) {
		float wi = has_undo ? w[i] - us * u[i] : w[i];
		float di = has_dir2 ? (1.0f - a) * d[i] + a * d2[i] : d[i];

		di += wd * wi;
		if (has_vel) {
			v[i] = mu * v[i] + di;
			di = v[i];
		}
		w[i] = wi - lr * di;
	}
}

PL_HOT float optim_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y,
			int B)
{
	float *w = mlp_params(m), loss;

	o->dir2 = o->undo = NULL;
	loss = o->ops->direction(o, m, x, y, B);
	switch ((o->dir2 != NULL) << 2 | (o->undo != NULL) << 1 | (o->vel != NULL)) {
	case 0: update(o, w, 0, 0, 0); break;
	case 1: update(o, w, 0, 0, 1); break;
	case 2: update(o, w, 0, 1, 0); break;
	case 3: update(o, w, 0, 1, 1); break;
	case 4: update(o, w, 1, 0, 0); break;
	case 5: update(o, w, 1, 0, 1); break;
	case 6: update(o, w, 1, 1, 0); break;
	default: update(o, w, 1, 1, 1); break;
	}
	return loss;
}

PL_HOT double vec_norm(const float *a, size_t n)
{
	/* Eight independent float lanes let the compiler vectorize; each lane
	 * sums about n/8 terms, and the lanes are added in double. */
	float lane[8] = { 0 };
	double s = 0.0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++)
			lane[j] += a[i + j] * a[i + j];
	for (int j = 0; j < 8; j++)
		s += lane[j];
	for (; i < n; i++)
		s += (double)a[i] * a[i];
	return sqrt(s);
}

PL_HOT void vec_axpy(float *y, float a, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += a * x[i];
}

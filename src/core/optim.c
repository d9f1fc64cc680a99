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
	/* SGD steps along its gradient; the others need a direction of their own. */
	o->dir = o->grad;
	if (cfg->optimizer != OPTIM_SGD) {
		o->save = xalloc_floats(nparams);
		o->dir = xalloc_floats(nparams);
	}
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

float optim_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y, int B)
{
	float loss = o->ops->direction(o, m, x, y, B);
	float *w = mlp_params(m), *d = o->dir;
	float lr = (float)o->cfg.lr, wd = (float)o->cfg.weight_decay;
	float mu = (float)o->cfg.momentum;
	size_t n = o->n;

	if (o->vel != NULL) {
		for (size_t i = 0; i < n; i++) {
			o->vel[i] = mu * o->vel[i] + (d[i] + wd * w[i]);
			w[i] -= lr * o->vel[i];
		}
	} else if (wd != 0.0f) {
		for (size_t i = 0; i < n; i++)
			w[i] -= lr * (d[i] + wd * w[i]);
	} else {
		vec_axpy(w, -lr, d, n);
	}
	return loss;
}

double vec_norm(const float *a, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * a[i];
	return sqrt(s);
}

void vec_axpy(float *y, float a, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += a * x[i];
}

/*
 * optim_sam.c - sharpness-aware minimization (Foret et al. 2021).
 *
 * g = grad L(w); e = rho g/||g|| (adaptive: e_i = rho w_i^2 g_i / ||w * g||);
 * the direction is grad L(w + e) on the same mini-batch. The weights are
 * restored from a copy, not by subtracting e, so rho = 0 is exactly SGD.
 */
#include <math.h>
#include <string.h>

#include "plasticity/optim.h"

static float sam_direction(struct optim *o, struct mlp *m, const float *x,
			   const uint8_t *y, int B)
{
	float *w = mlp_params(m), *g = o->grad;
	size_t n = o->n;
	float loss = mlp_loss_grad(m, x, y, B, g);
	double norm;

	memcpy(o->save, w, n * sizeof(float));
	if (o->cfg.adaptive) {
		double s = 0.0;

		for (size_t i = 0; i < n; i++)
			s += (double)(w[i] * g[i]) * (w[i] * g[i]);
		norm = sqrt(s);
		float scale = (float)(o->cfg.rho / (norm + 1e-12));
		for (size_t i = 0; i < n; i++)
			w[i] += scale * w[i] * w[i] * g[i];
	} else {
		norm = vec_norm(g, n);
		vec_axpy(w, (float)(o->cfg.rho / (norm + 1e-12)), g, n);
	}
	mlp_loss_grad(m, x, y, B, o->dir);
	memcpy(w, o->save, n * sizeof(float));
	return loss;
}

const struct optim_ops optim_sam_ops = { "sam", sam_direction };

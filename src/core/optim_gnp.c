/*
 * optim_gnp.c - gradient norm penalty (Zhao et al. 2022), finite-difference form.
 *
 * Objective L + lambda ||grad L||. Its gradient g + lambda H g/||g|| is
 * estimated with one extra gradient at w + r g/||g||:
 *   direction = (1 - lambda/r) g1 + (lambda/r) g2.
 * lambda = 0 gives exactly g1, that is SGD.
 */
#include <math.h>
#include <string.h>

#include "plasticity/optim.h"

static float gnp_direction(struct optim *o, struct mlp *m, const float *x,
			   const uint8_t *y, int B)
{
	float *w = mlp_params(m), *g1 = o->grad, *g2 = o->grad2, *d = o->dir;
	size_t n = o->n;
	float loss = mlp_loss_grad(m, x, y, B, g1);
	double norm = vec_norm(g1, n);
	float alpha = (float)(o->cfg.lambda / o->cfg.r);

	memcpy(o->save, w, n * sizeof(float));
	vec_axpy(w, (float)(o->cfg.r / (norm + 1e-12)), g1, n);
	mlp_loss_grad(m, x, y, B, g2);
	memcpy(w, o->save, n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		d[i] = (1.0f - alpha) * g1[i] + alpha * g2[i];
	return loss;
}

const struct optim_ops optim_gnp_ops = { "gnp", gnp_direction };

/*
 * optim_sam.c - sharpness-aware minimization (Foret et al. 2021).
 *
 * g = grad L(w); e = rho g/||g|| (adaptive: e_i = rho w_i^2 g_i / ||w * g||);
 * the direction is grad L(w + e) on the same mini-batch. The base update
 * subtracts e in the same pass that applies the step, so rho = 0 is exactly
 * SGD and one pass over the weights is saved.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optim_impl.h"
#include "plasticity/util.h"

static float sam_direction(struct optim *o, struct mlp *m, const float *x,
                           const uint8_t *y, int B)
{
	float *w = mlp_params(m), *g = o->grad;
	size_t n = o->n;
	float loss = mlp_loss_grad(m, x, y, B, g);

	if (o->cfg.adaptive) {
		/* e_i = rho w_i^2 g_i / ||w * g||: restored from a copy, since
		 * subtracting e after w moved would not undo it. */
		double s = 0.0;
		float scale;

		memcpy(o->save, w, n * sizeof(float));
		for (size_t i = 0; i < n; i++)
			s += (double)(w[i] * g[i]) * (w[i] * g[i]);
		scale = (float)(o->cfg.rho / (sqrt(s) + 1e-12));
		for (size_t i = 0; i < n; i++)
			w[i] += scale * w[i] * w[i] * g[i];
		mlp_loss_grad(m, x, y, B, o->dir);
		memcpy(w, o->save, n * sizeof(float));
		return loss;
	}
	/* w + e with e = rho g/||g||; the base update subtracts e again in its
	 * own pass (exact for rho = 0, within rounding otherwise). */
	o->undo_scale = (float)(o->cfg.rho / (vec_norm(g, n) + 1e-12));
	vec_axpy(w, o->undo_scale, g, n);
	mlp_loss_grad(m, x, y, B, o->dir);
	o->undo = g;
	return loss;
}

/* The second gradient at w + rho g/||g|| is the direction; adaptive SAM's
 * perturbation is not a multiple of g, so it keeps the generic path. */
static int sam_plan(const struct method *m, double gnorm, struct step_plan *p)
{
	if (m->adaptive)
		return -1;
	*p = (struct step_plan){(float)(m->rho / (gnorm + 1e-12)), {0.0f, 1.0f}, 0};
	return 0;
}

static void sam_setup(struct optim *o)
{
	o->dir = xalloc_floats(o->n);
	if (o->cfg.adaptive)
		o->save = xalloc_floats(o->n);
}

static void sam_label(const struct method *m, char *buf, size_t len)
{
	snprintf(buf, len, " rho=%g%s", m->rho, m->adaptive ? " adaptive" : "");
}

static const char *const sam_keys[] = {"rho", "adaptive", NULL};

const struct optim_desc optim_sam = {
        .name = "sam",
        .passes = 2,
        .title = "e = rho g/||g||;  w -= lr grad L(w + e)            (Foret et al. 2021)",
        .keys = sam_keys,
        .label = sam_label,
        .setup = sam_setup,
        .direction = sam_direction,
        .plan = sam_plan,
};

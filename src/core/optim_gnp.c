/*
 * optim_gnp.c - gradient norm penalty (Zhao et al. 2022).
 *
 * Objective L + lambda ||grad L||, whose gradient is g + lambda H g/||g||.
 * The finite-difference form (the default, and Zhao et al.'s) estimates
 * H g/||g|| with one extra gradient at w + r g/||g||:
 *   direction = (1 - lambda/r) g1 + (lambda/r) g2.
 * The exact form (key exact) takes H g through mlp_hvp, Pearlmutter's
 * R-operator, as autograd's double backward does:
 *   direction = g + (lambda/||g||) H g.
 * lambda = 0 gives exactly g1, that is SGD, in both.
 */
#include <stdio.h>

#include "optim_impl.h"
#include "plasticity/util.h"

static float gnp_direction(struct optim *o, struct mlp *m, const float *x,
                           const uint8_t *y, int B)
{
	float *w = mlp_params(m), *g1 = o->grad;
	size_t n = o->n;
	float loss = mlp_loss_grad(m, x, y, B, g1);
	double norm = vec_norm(g1, n);
	float step = (float)(o->cfg.r / (norm + 1e-12));

	if (o->cfg.exact) {
		if (o->cfg.lambda != 0.0) {
			mlp_hvp(m, x, y, B, g1, o->grad2);
			vec_axpy(g1, (float)(o->cfg.lambda / (norm + 1e-12)), o->grad2,
			         n);
		}
		return loss;
	}
	/* Probe at w + r g1/||g1||; the base update undoes the probe and mixes
	 * (1 - lambda/r) g1 + (lambda/r) g2 in one pass over the weights. */
	vec_axpy(w, step, g1, n);
	mlp_loss_grad(m, x, y, B, o->grad2);
	o->dir2 = o->grad2;
	o->alpha = (float)(o->cfg.lambda / o->cfg.r);
	o->undo = g1;
	o->undo_scale = step;
	return loss;
}

/* g2 at w + r g1/||g1||; (1 - lambda/r) g1 + (lambda/r) g2. The exact
 * form, g1 + (lambda/||g1||) H g1, is planned without momentum or weight
 * decay (and then only on the small-batch path); with them it takes the
 * generic path. */
static int gnp_plan(const struct method *m, double gnorm, struct step_plan *p)
{
	float a = (float)(m->lambda / m->r);
	/* At lambda = 0 both forms are SGD's step: the finite-difference plan
	 * with no second-gradient share takes it exactly. */
	int exact = m->exact && m->lambda != 0.0;

	if (exact && (m->momentum != 0.0 || m->weight_decay != 0.0 || m->l2_init != 0.0))
		return -1;
	if (exact)
		*p = (struct step_plan){
		        (float)(m->lambda / (gnorm + 1e-12)), {1.0f, 0.0f}, 1};
	else
		*p = (struct step_plan){
		        (float)(m->r / (gnorm + 1e-12)), {1.0f - a, a}, 0};
	return 0;
}

static void gnp_setup(struct optim *o)
{
	o->grad2 = xalloc_floats(o->n);
}

static void gnp_label(const struct method *m, char *buf, size_t len)
{
	if (m->exact)
		snprintf(buf, len, " lambda=%g exact", m->lambda);
	else
		snprintf(buf, len, " lambda=%g r=%g", m->lambda, m->r);
}

static const char *const gnp_keys[] = {"lambda", "r", "exact", NULL};

const struct optim_desc optim_gnp = {
        .name = "gnp",
        .passes = 2,
        .title = "objective L + lambda ||grad L||, finite-difference form:\n"
                 "       g2 = grad L(w + r g/||g||);  w -= lr ((1 - lambda/r) g + "
                 "(lambda/r) g2)\n"
                 "       exact form (exact: true): w -= lr (g + lambda H g/||g||),\n"
                 "       H g by Pearlmutter's R-operator     (Zhao et al. 2022)",
        .keys = gnp_keys,
        .label = gnp_label,
        .setup = gnp_setup,
        .direction = gnp_direction,
        .plan = gnp_plan,
};

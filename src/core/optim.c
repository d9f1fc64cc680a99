/*
 * optim.c - the base update every optimizer shares, and flat-vector helpers.
 *
 * An optimizer's table entry only computes a direction (optim_sgd.c,
 * optim_sam.c, optim_gnp.c); momentum, weight decay and the learning rate are
 * applied here, once, the same way for all of them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim_impl.h"
#include "plasticity/util.h"

/* Adding an optimizer: its file, its enum constant, and one line here. */
const struct optim_desc *const optim_descs[] = {
        [OPTIM_SGD] = &optim_sgd,
        [OPTIM_SAM] = &optim_sam,
        [OPTIM_GNP] = &optim_gnp,
};
const int optim_count = sizeof(optim_descs) / sizeof(optim_descs[0]);

char optim_choices[128];

/* The preset schema's choices come from the table, before main runs. */
__attribute__((constructor)) static void optim_choices_init(void)
{
	size_t at = 0;

	for (int i = 0; i < optim_count; i++)
		at += (size_t)snprintf(optim_choices + at, sizeof(optim_choices) - at,
		                       "%s%s", i ? "|" : "", optim_descs[i]->name);
}

const struct optim_desc *optim_desc(enum optimizer o)
{
	return (int)o >= 0 && (int)o < optim_count ? optim_descs[o] : NULL;
}

static int listed(const char *const *keys, const char *key)
{
	for (; keys != NULL && *keys != NULL; keys++)
		if (strcmp(*keys, key) == 0)
			return 1;
	return 0;
}

int optim_takes(enum optimizer o, const char *key)
{
	const struct optim_desc *d = optim_desc(o);

	if (d != NULL && listed(d->keys, key))
		return 1;
	for (int i = 0; i < optim_count; i++)
		if (listed(optim_descs[i]->keys, key))
			return 0;
	return 1;
}

struct optim *optim_new(const struct method *cfg, size_t nparams)
{
	struct optim *o = xcalloc(1, sizeof(*o));

	o->desc = optim_desc(cfg->optimizer);
	o->cfg = *cfg;
	o->n = nparams;
	o->grad = xalloc_floats(nparams);
	/* The base update steps along dir: the first gradient unless the
	 * optimizer's setup gives it a buffer of its own (SAM). */
	o->dir = o->grad;
	for (const char *const *s = o->desc->state; s != NULL && *s != NULL; s++)
		o->state[o->nstate++] = xalloc_floats(nparams);
	if (o->desc->setup != NULL)
		o->desc->setup(o);
	if (cfg->momentum > 0.0)
		o->vel = xalloc_floats(nparams);
	if (cfg->base == BASE_ADAM) {
		o->adam_m = xalloc_floats(nparams);
		o->adam_v = xalloc_floats(nparams);
	}
	if (cfg->l2_init != 0.0)
		o->w0 = xalloc_floats(nparams);
	{
		struct step_plan probe;

		/* Adam's update is the generic path's only. */
		o->planned = cfg->base == BASE_SGD && o->desc->plan != NULL &&
		             o->desc->plan(cfg, 1.0, &probe) == 0;
		o->hvp = o->planned && probe.hvp;
	}
	return o;
}

void optim_set_init(struct optim *o, const float *w0)
{
	if (o->w0 != NULL)
		memcpy(o->w0, w0, o->n * sizeof(float));
}

void optim_reset(struct optim *o)
{
	struct state_buf st[OPTIM_MAX_BUFS];
	int n = optim_state(o, st, OPTIM_MAX_BUFS);

	for (int i = 0; i < n; i++)
		memset(st[i].data, 0, st[i].n * sizeof(float));
	o->t = 0;
}

void optim_set_steps(struct optim *o, long t)
{
	o->t = t;
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
	free(o->adam_m);
	free(o->adam_v);
	free(o->w0);
	for (int i = 0; i < o->nstate; i++)
		free(o->state[i]);
	free(o);
}

int optim_state(struct optim *o, struct state_buf *out, int max)
{
	int n = 0;

	if (o->vel != NULL && n < max)
		out[n] = (struct state_buf){"velocity", o->vel, o->n};
	n += o->vel != NULL;
	for (int i = 0; i < o->nstate; i++, n++)
		if (n < max)
			out[n] = (struct state_buf){o->desc->state[i], o->state[i], o->n};
	if (o->adam_m != NULL) {
		if (n + 1 < max) {
			out[n] = (struct state_buf){"adam_m", o->adam_m, o->n};
			out[n + 1] = (struct state_buf){"adam_v", o->adam_v, o->n};
		}
		n += 2;
	}
	return n;
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

	const float *restrict z = o->w0;
	float l2 = (float)o->cfg.l2_init;

	for (size_t i = 0; i < o->n; i++) {
		float wi = has_undo ? w[i] - us * u[i] : w[i];
		float di = has_dir2 ? (1.0f - a) * d[i] + a * d2[i] : d[i];

		di += wd * wi;
		if (z != NULL)
			di += l2 * (wi - z[i]);
		if (has_vel) {
			v[i] = mu * v[i] + di;
			di = v[i];
		}
		w[i] = wi - lr * di;
	}
}

/*
 * Adam's base update (torch.optim.Adam, L2 in the gradient, not AdamW):
 * d as update() forms it, then m = b1 m + (1-b1) d, v = b2 v + (1-b2) d^2,
 * w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 */
static void adam_update(struct optim *o, float *restrict w)
{
	const float *restrict d = o->dir, *restrict d2 = o->dir2, *restrict u = o->undo;
	const float *restrict z = o->w0;
	float *restrict mm = o->adam_m, *restrict vv = o->adam_v;
	float wd = (float)o->cfg.weight_decay, l2 = (float)o->cfg.l2_init;
	float b1 = (float)o->cfg.beta1, b2 = (float)o->cfg.beta2, eps = (float)o->cfg.eps;
	float a = o->alpha, us = o->undo_scale;
	double t = (double)o->t;
	float step = (float)(o->cfg.lr / (1.0 - pow(o->cfg.beta1, t)));
	float bc2 = (float)sqrt(1.0 - pow(o->cfg.beta2, t));

	for (size_t i = 0; i < o->n; i++) {
		float wi = u != NULL ? w[i] - us * u[i] : w[i];
		float di = d2 != NULL ? (1.0f - a) * d[i] + a * d2[i] : d[i];

		di += wd * wi;
		if (z != NULL)
			di += l2 * (wi - z[i]);
		mm[i] = b1 * mm[i] + (1.0f - b1) * di;
		vv[i] = b2 * vv[i] + (1.0f - b2) * di * di;
		w[i] = wi - step * mm[i] / (sqrtf(vv[i]) / bc2 + eps);
	}
}

/*
 * A step with a plan and no momentum or weight decay, through sgemm: the
 * last gradient is applied to the weights by the GEMM that computes it
 * (beta = 1), so it is never written and there is no update pass; SAM's
 * and GNP's probe is undone together with the first gradient's share.
 */
static float applied_step(struct optim *o, struct mlp *m, const float *x,
                          const uint8_t *y, int B)
{
	float *w = mlp_params(m), lr = (float)o->cfg.lr, loss, undo;
	struct step_plan plan;

	if (o->desc->passes == 1) {
		o->desc->plan(&o->cfg, 0.0, &plan);
		return mlp_loss_apply(m, x, y, B, -lr * plan.mix[0]);
	}
	loss = mlp_loss_grad(m, x, y, B, o->grad);
	o->desc->plan(&o->cfg, vec_norm(o->grad, o->n), &plan);
	if (plan.mix[1] == 0.0f) {
		/* The second gradient would not count (GNP at lambda 0): the
		 * step is the first gradient's, taken as SGD takes it. */
		mlp_loss_apply(m, x, y, B, -lr * plan.mix[0]);
		return loss;
	}
	if (plan.probe != 0.0f)
		vec_axpy(w, plan.probe, o->grad, o->n);
	mlp_loss_apply(m, x, y, B, -lr * plan.mix[1]);
	undo = -plan.probe - lr * plan.mix[0];
	if (undo != 0.0f)
		vec_axpy(w, undo, o->grad, o->n);
	return loss;
}

PL_HOT float optim_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y,
                        int B)
{
	float *w = mlp_params(m), loss;

	o->t++;
	if (optim_fused_batch(o, m, B))
		return fused_step(o, m, x, y, B);
	if (o->planned && !o->hvp && o->vel == NULL && o->cfg.weight_decay == 0.0 &&
	    o->w0 == NULL)
		return applied_step(o, m, x, y, B);
	o->dir2 = o->undo = NULL;
	loss = o->desc->direction(o, m, x, y, B);
	if (o->adam_m != NULL) {
		adam_update(o, w);
		return loss;
	}
	switch ((o->dir2 != NULL) << 2 | (o->undo != NULL) << 1 | (o->vel != NULL)) {
	case 0:
		update(o, w, 0, 0, 0);
		break;
	case 1:
		update(o, w, 0, 0, 1);
		break;
	case 2:
		update(o, w, 0, 1, 0);
		break;
	case 3:
		update(o, w, 0, 1, 1);
		break;
	case 4:
		update(o, w, 1, 0, 0);
		break;
	case 5:
		update(o, w, 1, 0, 1);
		break;
	case 6:
		update(o, w, 1, 1, 0);
		break;
	default:
		update(o, w, 1, 1, 1);
		break;
	}
	return loss;
}

PL_HOT double vec_norm(const float *a, size_t n)
{
	/* Eight independent float lanes let the compiler vectorize; each lane
	 * sums about n/8 terms, and the lanes are added in double. */
	float lane[8] = {0};
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

float optim_direction(struct optim *o, struct mlp *m, const float *x, const uint8_t *y,
                      int B, float *dir)
{
	float *w = mlp_params(m), loss;

	o->dir2 = o->undo = NULL;
	loss = o->desc->direction(o, m, x, y, B);
	for (size_t i = 0; i < o->n; i++)
		dir[i] = o->dir2 ? (1.0f - o->alpha) * o->dir[i] + o->alpha * o->dir2[i]
		                 : o->dir[i];
	if (o->undo != NULL)
		vec_axpy(w, -o->undo_scale, o->undo, o->n);
	return loss;
}

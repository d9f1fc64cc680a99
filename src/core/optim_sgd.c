/*
 * optim_sgd.c - plain SGD: the direction is the mini-batch gradient.
 */
#include "optim_impl.h"

static float sgd_direction(struct optim *o, struct mlp *m, const float *x,
                           const uint8_t *y, int B)
{
	return mlp_loss_grad(m, x, y, B, o->grad);
}

static int sgd_plan(const struct method *m, double gnorm, struct step_plan *p)
{
	(void)m;
	(void)gnorm;
	*p = (struct step_plan){0.0f, {1.0f, 0.0f}, 0};
	return 0;
}

static const char *const sgd_keys[] = {NULL};

const struct optim_desc optim_sgd = {
        .name = "sgd",
        .passes = 1,
        .title = "w -= lr g",
        .keys = sgd_keys,
        .direction = sgd_direction,
        .plan = sgd_plan,
};

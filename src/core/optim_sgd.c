/*
 * optim_sgd.c - plain SGD: the direction is the mini-batch gradient.
 */
#include "plasticity/optim.h"

static float sgd_direction(struct optim *o, struct mlp *m, const float *x,
			   const uint8_t *y, int B)
{
	return mlp_loss_grad(m, x, y, B, o->grad);
}

const struct optim_ops optim_sgd_ops = { "sgd", sgd_direction };

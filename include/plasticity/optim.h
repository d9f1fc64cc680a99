/*
 * optim.h - SGD, SAM and GNP as steps on the MLP's flat parameter vector.
 *
 * Each optimizer is a row in a table of operations (optim_sgd.c,
 * optim_sam.c, optim_gnp.c). All share the base update
 *   d = g + weight_decay * w;  v = momentum * v + d;  w -= lr * v
 * (v is used only when momentum > 0). SAM and GNP differ only in which
 * direction g they hand to it:
 *   SAM  e = rho * g / ||g||  (adaptive: e_i = rho * w_i^2 g_i / ||w * g||),
 *        g <- grad L(w + e) on the same mini-batch;
 *   GNP  g1 = grad L(w), g2 = grad L(w + r g1/||g1||),
 *        g <- (1 - lambda/r) g1 + (lambda/r) g2   (finite-difference form of the
 *        gradient of L + lambda ||grad L||).
 * All scratch memory is allocated in optim_new.
 */
#ifndef PLASTICITY_OPTIM_H
#define PLASTICITY_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "plasticity/mlp.h"
#include "plasticity/preset.h"

struct optim;

struct optim_ops {
	const char *name;
	/* Fill o->dir with the update direction for this batch; return the loss at w. */
	float (*direction)(struct optim *o, struct mlp *m, const float *x, const uint8_t *y,
			   int B);
};

struct optim {
	const struct optim_ops *ops;
	struct method cfg;
	size_t n;
	float *grad;  /* (n) first gradient */
	float *grad2; /* (n) second gradient (GNP) */
	float *save;  /* (n) weights before an adaptive SAM perturbation */
	float *dir;   /* (n) direction handed to the base update (SGD: grad) */
	float *vel;   /* (n) momentum buffer, NULL without momentum */
	/*
	 * Set by a direction function, consumed by the base update in the same
	 * pass over the weights (each pass over all parameters costs as much as
	 * a small GEMM): the direction is (1 - alpha) dir + alpha dir2 when dir2
	 * is set, and the weights are first moved back by -undo_scale * undo
	 * when undo is set (SAM's perturbation, undone by subtraction).
	 */
	const float *dir2, *undo;
	float alpha, undo_scale;
};

extern const struct optim_ops optim_sgd_ops, optim_sam_ops, optim_gnp_ops;

struct optim *optim_new(const struct method *cfg, size_t nparams);
void optim_free(struct optim *o);

/* One step on a mini-batch; returns the loss at the weights before the step. */
float optim_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y, int B);

/* Flat-vector helpers shared by the optimizers. */
double vec_norm(const float *a, size_t n);
void vec_axpy(float *y, float a, const float *x, size_t n);

#endif

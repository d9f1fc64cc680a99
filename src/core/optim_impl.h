/*
 * optim_impl.h - the inside of struct optim, for the optimizer files only.
 */
#ifndef PLASTICITY_OPTIM_IMPL_H
#define PLASTICITY_OPTIM_IMPL_H

#include "plasticity/optim.h"

struct optim {
	const struct optim_desc *desc;
	struct method cfg;
	size_t n;
	float *grad;  /* (n) first gradient */
	float *grad2; /* (n) second gradient (GNP) */
	float *save;  /* (n) weights before an adaptive SAM perturbation */
	float *dir;   /* (n) direction handed to the base update (SGD: grad) */
	float *vel;   /* (n) momentum buffer, NULL without momentum */
	float *state[OPTIM_MAX_STATE]; /* (n) each: the descriptor's declared state */
	int nstate;
	float *adam_m, *adam_v; /* (n) Adam's moments, NULL with base sgd */
	long t;                 /* steps since the state was last zeroed (Adam) */
	float *w0;              /* (n) L2-init's theta_0, NULL when l2_init is 0 */
	/*
	 * Set by a direction function, consumed by the base update in the same
	 * pass over the weights (each pass over all parameters costs as much as
	 * a small GEMM): the direction is (1 - alpha) dir + alpha dir2 when dir2
	 * is set, and the weights are first moved back by -undo_scale * undo
	 * when undo is set (SAM's perturbation, undone by subtraction).
	 */
	const float *dir2, *undo;
	float alpha, undo_scale;
	int planned; /* the descriptor has a plan for this method (optim.h) */
	int hvp;     /* ... one with hvp: for the small-batch path only */
};

/* A step through the small-batch path (fused.c): optim_step's contract. */
float fused_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y, int B);

#endif

/*
 * mlp_impl.h - the inside of struct mlp, for mlp.c and the small-batch
 * path (fused.c) only.
 */
#ifndef PLASTICITY_MLP_IMPL_H
#define PLASTICITY_MLP_IMPL_H

#include "plasticity/mlp.h"

/* Examples the small-batch path's workspace holds (optim.h). */
#define MLP_FUSED_MAX 16

struct mlp {
	int nlayers; /* linear layers */
	int sizes[MLP_MAX_LAYERS + 1];
	int max_batch;
	size_t nparams;
	size_t woff[MLP_MAX_LAYERS], boff[MLP_MAX_LAYERS];
	float *params;                  /* (nparams) */
	float *act[MLP_MAX_LAYERS + 1]; /* act[l] (max_batch, sizes[l]), l >= 1 */
	float *probs;                   /* (max_batch, outputs) */
	float *delta[2];                /* (max_batch, widest) ping-pong gradients */
	int count_next;                 /* count the next loss_grad's correct answers */
	int correct;                    /* ... here */
	/*
	 * The small-batch path's workspace, for fused_batch examples: a second
	 * pass's activations (act2[l], l >= 1), each pass's gradient at every
	 * layer's output (dl[pass][l], (fused_batch, sizes[l + 1])), each
	 * pass's list of the inputs of every layer nonzero in some example
	 * (live[pass][l], nlive of them, sorted), and room for a union of two
	 * (rows, widest).
	 */
	int fused_batch;
	int *live[2][MLP_MAX_LAYERS], nlive[2][MLP_MAX_LAYERS];
	int *rows;
	float *act2[MLP_MAX_LAYERS + 1];
	float *dl[2][MLP_MAX_LAYERS];
	/* mlp_hvp's directional derivatives (ract[l], (max_batch, sizes[l]),
	 * l >= 1; rdelta[2] as delta), allocated on its first call. */
	float *ract[MLP_MAX_LAYERS + 1];
	float *rdelta[2];
	/* Layer normalization before each hidden ReLU (mlp_new_norm): its gain
	 * and bias at goff[l] (sizes[l] each, then as many for the bias) for
	 * hidden layer l, 0 < l < nlayers; the normalized pre-activations
	 * zhat[l] (max_batch, sizes[l]) and each example's 1/sigma rstd[l]
	 * (max_batch) kept from the forward pass. */
	int norm;
	size_t goff[MLP_MAX_LAYERS];
	float *zhat[MLP_MAX_LAYERS], *rstd[MLP_MAX_LAYERS];
};

/* After a training pass's forward: when mlp_count_next asked for it, count
 * the examples of logits (B, outputs) whose argmax is the label. */
void mlp_take_count(struct mlp *m, const float *logits, const uint8_t *y, int B);

#endif

/*
 * cures.h - remedies for plasticity loss, as hooks (hook.h) a method's keys
 * switch on, and what they share: drawing a unit afresh.
 *
 * L2-init and Adam change the base update (optim.h); the from-scratch
 * baseline re-initializes the whole run (train.c). The others act on the
 * network between steps, each in its own file:
 *   cure_sp.c    shrink & perturb (Ash & Adams 2020; Kumar et al. 2023)
 *   cure_redo.c  ReDo, recycling dormant units (Sokar et al. 2023)
 *   cure_cbp.c   continual backprop (Dohare et al. 2024)
 * Every random draw comes from (run seed, stream, step or task), so a
 * resumed run draws what the uninterrupted one did.
 */
#ifndef PLASTICITY_CURES_H
#define PLASTICITY_CURES_H

#include "plasticity/hook.h"
#include "plasticity/preset.h"

struct cure {
	const struct hook_desc *hook;
	int (*wants)(const struct method *m); /* whether m's keys switch it on */
};

extern const struct hook_desc cure_shrink_perturb, cure_redo, cure_cbp;
/* In the order they act after a step. */
extern const struct cure cures[];
extern const int ncures;

/*
 * Give hidden unit j of hidden layer l (1 .. nlayers - 1, mlp_activation's
 * numbering) fresh incoming weights drawn as mlp_init draws them,
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), its bias so too (fresh_bias) or 0,
 * and zero outgoing weights; with layer norm, its gain 1 and bias 0. The
 * optimizer state of all those parameters is zeroed.
 */
void unit_reset(struct mlp *m, struct optim *o, int l, int j, struct rng *rng,
                int fresh_bias);

/* Hidden units are numbered layer after layer: unit j of hidden layer l is
 * number unit_first(m, l) + j; unit_first(m, nlayers) is their count. */
int unit_first(const struct mlp *m, int l);
/* Mean |h| of every hidden unit over n examples x (n, inputs), in forward
 * passes of at most mlp_max_batch: into a (unit_first(m, nlayers)). */
void unit_mean_abs(struct mlp *m, const float *x, int n, double *a);

#endif

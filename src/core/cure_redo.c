/*
 * cure_redo.c - ReDo, recycling dormant units (Sokar et al. 2023, "The
 * dormant neuron phenomenon in deep reinforcement learning").
 *
 * At each task's end, or every redo_every steps: every hidden unit's score
 * s_i = mean_x |h_i(x)| / (mean over its layer of the same + 1e-9) on the
 * task's probe set (probe_scores, the dormant column's definition); every
 * unit with s_i <= redo_tau, in every hidden layer, scored before any is
 * reset, gets fresh incoming weights and bias drawn as at initialization and
 * zero outgoing weights (unit_reset), so the network's output is unchanged;
 * the optimizer state of those weights is zeroed. The output layer is never
 * reset. Right after, the scores are taken again: how many reset units
 * left dormancy and what fraction of all hidden units is still dormant go
 * into the task's result (the complaint of timoklein/redo#1 and
 * google/dopamine#226 that a reset does not always revive a unit).
 */
#include <math.h>
#include <stdlib.h>

#include "plasticity/cures.h"
#include "plasticity/probe.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

/* Every hidden unit's score on the probe set, into s. */
static void scores(struct mlp *m, const struct hook_ctx *c, double *s)
{
	unit_mean_abs(m, c->probe_x, c->nprobe, s);
	for (int l = 1; l < mlp_nlayers(m); l++)
		probe_scores(s + unit_first(m, l), mlp_size(m, l));
}

static void redo(const struct method *cfg, struct hook_ctx *c)
{
	struct mlp *m = c->mlp;
	int L = mlp_nlayers(m), H = unit_first(m, L), nreset = 0, revived = 0,
	    dormant = 0;
	double *s = xcalloc((size_t)H, sizeof(double));
	unsigned char *reset = xcalloc((size_t)H, 1);
	struct rng rng;

	if (c->nprobe <= 0)
		goto out;
	scores(m, c, s);
	rng_seed(&rng, c->seed, RNG_STREAM_RESET, (uint64_t)c->step);
	for (int l = 1; l < L; l++)
		for (int j = 0; j < mlp_size(m, l); j++)
			if (s[unit_first(m, l) + j] <= cfg->redo_tau) {
				unit_reset(m, c->optim, l, j, &rng, 1);
				reset[unit_first(m, l) + j] = 1;
				nreset++;
			}
	if (nreset > 0)
		scores(m, c, s);
	for (int k = 0; k < H; k++) {
		dormant += s[k] <= cfg->redo_tau;
		revived += reset[k] && s[k] > cfg->redo_tau;
	}
	c->res->redo_reset += nreset;
	c->res->redo_revived += revived;
	c->res->redo_dormant = (double)dormant / H;
out:
	free(s);
	free(reset);
}

static void redo_begin(struct hook *h, struct hook_ctx *c)
{
	(void)h;
	c->res->redo_reset = 0;
	c->res->redo_revived = 0;
	c->res->redo_dormant = NAN;
}

static void redo_step(struct hook *h, struct hook_ctx *c)
{
	const struct method *cfg = h->arg;

	if (cfg->redo == REDO_STEPS && c->step % cfg->redo_every == 0)
		redo(cfg, c);
}

static void redo_task(struct hook *h, struct hook_ctx *c)
{
	const struct method *cfg = h->arg;

	if (cfg->redo == REDO_TASK)
		redo(cfg, c);
}

const struct hook_desc cure_redo = {
        .name = "redo",
        .probe = 1,
        .before_task = redo_begin,
        .after_step = redo_step,
        .after_task = redo_task,
};

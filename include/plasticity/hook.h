/*
 * hook.h - what acts on the network around the optimizer step.
 *
 * A hook is a descriptor (its own file, like an optimizer) whose functions
 * run after every optimizer step and after every task of a run: where
 * remedies for plasticity loss act (L2-init, shrink & perturb, ReDo,
 * continual backprop). Whatever a hook must remember is declared as named
 * state buffers (hook_state_add), which checkpoints save and restore with
 * the optimizer's, without knowing what they are. A run without hooks pays
 * nothing: the optimizer's fused update stays the whole step.
 */
#ifndef PLASTICITY_HOOK_H
#define PLASTICITY_HOOK_H

#include <stddef.h>

#include "plasticity/mlp.h"
#include "plasticity/optim.h"

#define HOOK_MAX_STATE 4

struct hook;

struct hook_desc {
	const char *name;
	/* Once, when added to a run (after the network's initialization):
	 * declare state with hook_state_add. Optional. */
	void (*init)(struct hook *h, struct mlp *m);
	/* After every optimizer step, with the step's count in the run (from 1).
	 * Optional. */
	void (*after_step)(struct hook *h, struct mlp *m, long step);
	/* After training on task t (before it is evaluated). Optional. */
	void (*after_task)(struct hook *h, struct mlp *m, int t);
};

struct hook {
	const struct hook_desc *desc;
	void *arg; /* the hook's configuration, owned by the caller */
	struct state_buf state[HOOK_MAX_STATE];
	int nstate;
};

/* A zeroed state buffer of n floats named name (a string that outlives h),
 * saved in checkpoints; at most HOOK_MAX_STATE per hook. */
float *hook_state_add(struct hook *h, const char *name, size_t n);
/* Free the hook's state buffers. */
void hook_release(struct hook *h);

#endif

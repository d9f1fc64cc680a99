/*
 * hook.h - what acts on the network around the optimizer step.
 *
 * A hook is a descriptor (its own file, like an optimizer) whose functions
 * run before every task, after every optimizer step and after every task of
 * a run: where remedies for plasticity loss act (shrink & perturb, ReDo,
 * continual backprop, the from-scratch baseline; cures.h lists them).
 * Whatever a hook must remember is declared as named state buffers
 * (hook_state_add), which checkpoints save and restore with the optimizer's,
 * without knowing what they are. A run without hooks pays nothing: the
 * optimizer's fused update stays the whole step.
 */
#ifndef PLASTICITY_HOOK_H
#define PLASTICITY_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "plasticity/mlp.h"
#include "plasticity/optim.h"

#define HOOK_MAX_STATE 4

struct hook;
struct task_result;

/* What a hook may act on and read, filled by the run for each call. */
struct hook_ctx {
	struct mlp *mlp;
	struct optim *optim; /* its state is zeroed with a unit's weights */
	uint64_t seed;       /* the run's: every random draw derives from it */
	long step;           /* optimizer steps so far in the run (from 1 after one) */
	int task;            /* the task being trained, from 0 */
	const float *x;      /* after_step: the step's mini-batch (B, inputs) */
	int B;
	/* The task's probe set (probe_examples examples, train.c's run_probe);
	 * NULL unless the hook's desc asks for it. */
	const float *probe_x;
	int nprobe;
	struct task_result *res; /* this task's result: the hook's counters */
};

struct hook_desc {
	const char *name;
	int probe; /* it reads ctx->probe_x */
	/* Once, when added to a run (after the network's initialization):
	 * declare state with hook_state_add. Optional. */
	void (*init)(struct hook *h, struct mlp *m);
	/* Before training on task ctx->task. Optional. */
	void (*before_task)(struct hook *h, struct hook_ctx *c);
	/* After every optimizer step. Optional. */
	void (*after_step)(struct hook *h, struct hook_ctx *c);
	/* After training on task ctx->task (before it is evaluated). Optional. */
	void (*after_task)(struct hook *h, struct hook_ctx *c);
};

struct hook {
	const struct hook_desc *desc;
	const void *arg; /* the hook's configuration (a cure's: its method) */
	struct state_buf state[HOOK_MAX_STATE];
	int nstate;
};

/* A zeroed state buffer of n floats named name (a string that outlives h),
 * saved in checkpoints; at most HOOK_MAX_STATE per hook. */
float *hook_state_add(struct hook *h, const char *name, size_t n);
/* Free the hook's state buffers. */
void hook_release(struct hook *h);

#endif

/*
 * train.h - one run: a network trained on its tasks in order, never reset.
 *
 * run_next_task is the engine's per-task step: train on the next task for
 * the preset's epochs, then measure. Everything a task step produces is in
 * struct task_result, so diagnostics and checkpoints can be added to it.
 * A run is used by one thread at a time.
 */
#ifndef PLASTICITY_TRAIN_H
#define PLASTICITY_TRAIN_H

#include <stdatomic.h>
#include <stdint.h>

#include "plasticity/idx.h"
#include "plasticity/preset.h"
#include "plasticity/status.h"

struct task_result {
	int task; /* 0-based */
	int digit_a, digit_b;
	double test_acc;   /* on this task's test set, right after training on it */
	double train_loss; /* mean mini-batch loss over the task's training */
	double seconds;    /* wall time of training + evaluation */
	double train_seconds;
	double samples_per_s; /* training examples (x epochs) per second of training */
	long long samples;
	int diverged;      /* loss became NaN or infinite */
	double online_acc; /* training examples right before the step that used them */
	/* Diagnostics on the probe set after the task (probe.h); NAN if not measured.
	 * Per hidden layer [0, nhidden); wmag per linear layer [0, nhidden]. */
	double dead[PRESET_MAX_HIDDEN], dormant[PRESET_MAX_HIDDEN];
	double erank[PRESET_MAX_HIDDEN], arank[PRESET_MAX_HIDDEN];
	double wmag[PRESET_MAX_HIDDEN + 1];
	double dist_init, grad_norm, sharpness, lambda_max, hessian_trace;
	double probe_loss, probe_acc;
	/* Remedies (cures.h); NAN for a method without them. ReDo: units reset
	 * during the task, how many of them were no longer dormant right after
	 * their reset, and the fraction of hidden units dormant right after the
	 * task's last reset; continual backprop: units replaced. */
	double redo_reset, redo_revived, redo_dormant, cbp_replaced;
	int nseen;        /* entries in acc_seen (accuracy_matrix only) */
	float acc_seen[]; /* accuracy on tasks 0..task after this task */
};

struct run_ctl {
	const atomic_int *stop; /* checked between mini-batches */
	void (*on_batch)(void *arg, int done, int total); /* may block (pause) */
	void *arg;
};

struct run;
struct hook_desc;

enum pl_status run_new(struct run **out, const struct preset *p, int method,
                       int run_index, const struct dataset *ds, char **cause);
void run_free(struct run *r);
/*
 * Add a hook (hook.h) acting on this run's network around every optimizer
 * step and every task; arg is its configuration (not copied). Before the
 * first task and before run_restore, so a checkpoint's hook state restores.
 * run_new adds the method's cures (cures.h) itself.
 */
void run_add_hook(struct run *r, const struct hook_desc *d, const void *arg);
int run_tasks_total(const struct run *r);
int run_tasks_done(const struct run *r);
uint64_t run_seed(const struct run *r);
/* Bytes a task_result of this preset needs (it ends in acc_seen[]). */
size_t task_result_size(const struct preset *p);

/*
 * Train on the next task and evaluate. res must have task_result_size bytes.
 * Returns PL_OK, or PL_ERR_INTERRUPTED when *hooks->stop became non-zero
 * (the task is then not counted as done).
 */
enum pl_status run_next_task(struct run *r, struct task_result *res,
                             const struct run_ctl *hooks);

/* The result of a finished task (t < run_tasks_done), also after a restore. */
const struct task_result *run_result(const struct run *r, int task);

/*
 * Checkpoints, written after every task so an interrupted grid can resume:
 * weights, every state buffer of the optimizer and the hooks, the optimizer
 * step count and the results so far (all random streams are
 * derived from (seed, task), so there is no RNG state to keep). run_save
 * writes atomically; run_restore checks that the file belongs to this run
 * (method, run, seed, shapes) and its checksum, then continues from it.
 */
enum pl_status run_save(const struct run *r, const char *path, char **cause);
/* The run's network, and the pixel permutation of the last task done
 * (NULL for class tasks or before the first), for writing weights out. */
const struct mlp *run_mlp(const struct run *r);
const uint16_t *run_last_perm(const struct run *r);
enum pl_status run_restore(struct run *r, const char *path, char **cause);
/* The same through memory, for a checkpoint sent between MPI ranks: the
 * file's bytes (free() them), and a restore from them (name in messages). */
void *run_save_mem(const struct run *r, size_t *n);
enum pl_status run_restore_mem(struct run *r, const void *buf, size_t n, const char *name,
                               char **cause);

#endif

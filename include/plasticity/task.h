/*
 * task.h - the sequence of tasks one run trains on.
 *
 * domain: task t permutes the 784 pixels with its own permutation drawn from
 *   (seed, t); 10 classes; all training images (or a per-task random subset).
 * class: task t is one digit pair of the 45, (0,1), (0,2), ..., (8,9) (order
 *   optionally shuffled by seed); 2 classes, lower digit -> 0.
 * Nothing here copies the dataset: a task is index lists and a permutation,
 * and task_gather builds a float mini-batch straight from the shared bytes.
 */
#ifndef PLASTICITY_TASK_H
#define PLASTICITY_TASK_H

#include <stdint.h>

#include "plasticity/idx.h"
#include "plasticity/preset.h"

struct task {
	int index;
	int nclasses;
	int digit_a, digit_b;  /* class tasks; -1 for domain tasks */
	const uint16_t *perm;  /* (IDX_PIXELS) or NULL for identity */
	const uint32_t *train; /* indices into the training split */
	uint32_t ntrain;
	const uint32_t *test; /* indices into the test split */
	uint32_t ntest;
	uint8_t label_map[IDX_CLASSES]; /* dataset label -> task label */
};

struct task_stream;

/* The task stream of a run with this seed; fails (PL_ERR_DATA) if a class
 * task would have no examples. */
enum pl_status task_stream_new(struct task_stream **out, const struct preset *p,
                               const struct dataset *ds, uint64_t seed, char **cause);
void task_stream_free(struct task_stream *ts);
int task_stream_count(const struct task_stream *ts);
int task_stream_classes(const struct task_stream *ts);
/* Make task t current; the returned task stays valid until the next call. */
const struct task *task_stream_get(struct task_stream *ts, int t);

/*
 * x (B, IDX_PIXELS) = pixels of split[idx[0..B)] under the task's
 * permutation, scaled to [0,1]; y (B) = task labels.
 */
void task_gather(const struct task *task, const struct idx_split *split,
                 const uint32_t *idx, int B, float *x, uint8_t *y);

#endif

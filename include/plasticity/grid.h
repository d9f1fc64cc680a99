/*
 * grid.h - methods x runs, trained by a pool of worker threads.
 *
 * Work items are (method, run) pairs handed out in order; each worker trains
 * one run at a time, single-threaded inside, so results do not depend on the
 * number of workers. Workers never print: they post events to a queue and
 * write one byte to a pipe so an event loop (headless or curses) can poll().
 * Commands (stop, pause) are taken between mini-batches.
 */
#ifndef PLASTICITY_GRID_H
#define PLASTICITY_GRID_H

#include "plasticity/idx.h"
#include "plasticity/preset.h"
#include "plasticity/train.h"

/* GRID_EV_RUN_RESET: a run starts again from its first task (its checkpoint
 * could not be restored): drop the results it had. */
enum grid_event_type {
	GRID_EV_TASK,
	GRID_EV_RUN_DONE,
	GRID_EV_RUN_RESET,
	GRID_EV_ERROR,
	GRID_EV_ALL_DONE
};

struct grid_event {
	enum grid_event_type type;
	int method, run;
	struct task_result *result; /* GRID_EV_TASK: owned by the receiver, free() it */
	int restored;               /* GRID_EV_TASK: read back from a checkpoint */
	char *message;              /* GRID_EV_ERROR: owned by the receiver */
	enum pl_status status;      /* GRID_EV_ERROR: what kind of error */
};

/* What a worker is doing now, for progress bars. */
struct grid_slot {
	int busy;
	int method, run, task;
	int batch, nbatches;
};

struct grid;

/* p and ds must outlive the grid. jobs >= 1. */
struct grid *grid_new(const struct preset *p, const struct dataset *ds, int jobs);
void grid_free(struct grid *g);
/*
 * Before grid_start: keep a checkpoint of every run in dir (written after
 * each task; the receiver removes it once the run's rows are saved) and
 * resume from the ones found there; skip[method * runs + run] != 0 leaves that run out
 * (it is finished already). Either may be NULL. Both are copied.
 */
void grid_set_checkpoints(struct grid *g, const char *dir, const unsigned char *skip);
/* The checkpoint file of (method, run) in dir (newly allocated). */
char *grid_checkpoint_path(const char *dir, int method, int run);
/* Before grid_start: with the preset's save_weights, the networks go to dir
 * (created when the first is written) as m<method>-r<run>-t<task>.safetensors. */
void grid_set_weights_dir(struct grid *g, const char *dir);
/* Before grid_start: a checkpoint that cannot be restored makes its run start
 * again (GRID_EV_RUN_RESET) instead of stopping the grid with an error. */
void grid_set_retrain_broken(struct grid *g, int on);
void grid_start(struct grid *g);
/* Ask every worker to stop after its current mini-batch. Any thread. */
void grid_stop(struct grid *g);
void grid_pause(struct grid *g, int paused);
int grid_paused(struct grid *g);
/* Read end of the wake-up pipe (readable when events are queued). */
int grid_wake_fd(const struct grid *g);
/* Pop one event without blocking; returns 0 when there is none. */
int grid_next_event(struct grid *g, struct grid_event *ev);
/* Copy the workers' slots (up to n); returns the number of workers. */
int grid_slots(struct grid *g, struct grid_slot *slots, int n);
/* Wait for every worker to finish. */
void grid_join(struct grid *g);

#endif

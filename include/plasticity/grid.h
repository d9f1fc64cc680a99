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
	/* GRID_EV_TASK of a grid with a source (grid_set_source): what the run
	 * directory needs from it, the checkpoint's bytes and the network's
	 * (save_weights), owned by the receiver; NULL elsewhere. */
	void *ckpt, *weights;
	size_t nckpt, nweights;
};

/* Free what ev owns (result, message, ckpt, weights). */
void grid_event_free(struct grid_event *ev);

/* An item of work: (method, run); method < 0 means there is no more. ckpt
 * (nckpt bytes) is the checkpoint to resume from, or NULL; ckpt_name its
 * path on the rank that wrote it, for messages. The worker frees both. */
struct grid_item {
	int method, run;
	void *ckpt;
	size_t nckpt;
	char *ckpt_name;
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
/*
 * Before grid_start, on an MPI rank that trains for rank 0 (cluster.h):
 * items come from take(arg, it), which blocks until there is one, and each
 * task's checkpoint and weights travel in its GRID_EV_TASK event instead of
 * going to files (a resumed run's restored tasks are posted as usual).
 */
void grid_set_source(struct grid *g, void (*take)(void *arg, struct grid_item *it),
                     void *arg);
/*
 * Before grid_start, on the rank that writes the run directory: run
 * serve(g, arg) on a thread of its own beside the workers, for the workers
 * of other ranks. It takes items with grid_take, posts their events with
 * grid_post and keeps nslots slots after the workers' (grid_set_slot); the
 * grid is done only once it has returned.
 */
void grid_set_server(struct grid *g, void (*serve)(struct grid *g, void *arg), void *arg,
                     int nslots);
/* The next item in grid order (finished runs skipped): its number, or -1
 * when none is left or the grid is stopping. Any thread. */
int grid_take(struct grid *g, int *method, int *run);
/* Queue an event for the consumer (it takes over what ev owns). Any thread. */
void grid_post(struct grid *g, const struct grid_event *ev);
/* The server's slot i (0 <= i < its nslots). */
void grid_set_slot(struct grid *g, int i, const struct grid_slot *slot);
int grid_stopping(struct grid *g);
const struct preset *grid_preset(const struct grid *g);
const char *grid_checkpoint_dir(const struct grid *g);
int grid_retrain_broken(const struct grid *g);
/* Where save_weights puts (method, run)'s network after task (1-based). */
char *grid_weights_path(const struct grid *g, int method, int run, int task);
void grid_start(struct grid *g);
/* Ask every worker to stop after its current mini-batch. Any thread. */
void grid_stop(struct grid *g);
void grid_pause(struct grid *g, int paused);
int grid_paused(struct grid *g);
/* Read end of the wake-up pipe (readable when events are queued). */
int grid_wake_fd(const struct grid *g);
/* Pop one event without blocking; returns 0 when there is none. */
int grid_next_event(struct grid *g, struct grid_event *ev);
/* Copy the slots (up to n; the workers', then a server's); returns how many
 * there are. */
int grid_slots(struct grid *g, struct grid_slot *slots, int n);
/* Wait for every worker to finish. */
void grid_join(struct grid *g);

#endif

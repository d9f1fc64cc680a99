/*
 * session.h - one grid run writing its run directory, shared by `plasticity
 * run` and the UI.
 *
 * A session owns a copy of the preset, the results, the grid and the run
 * directory's checkpoint folder. Its event loop step folds grid events into
 * the results, keeps the done / diverged counts, rewrites results.csv every
 * few seconds and removes the checkpoints of runs whose rows are on disk.
 * It never prints: what a front end shows goes through the callbacks. Only
 * the thread that created the session may call these functions. On success
 * *cause is left NULL.
 */
#ifndef PLASTICITY_SESSION_H
#define PLASTICITY_SESSION_H

#include "plasticity/grid.h"
#include "plasticity/idx.h"
#include "plasticity/preset.h"
#include "plasticity/results.h"
#include "plasticity/status.h"

struct dirlock;

/* What a front end hears about; any may be NULL. ctx is passed back. */
struct session_cb {
	/* A task's result was stored (ev->restored: read from a checkpoint). */
	void (*task)(void *ctx, const struct grid_event *ev);
	/* A worker error, or results.csv could not be written (the grid stops). */
	void (*error)(void *ctx, enum pl_status st, const char *message);
	/* A run's checkpoint could not be restored: it trains again from task 1. */
	void (*reset)(void *ctx, int method, int run);
	void *ctx;
};

/* Progress, computed in one place for the progress bar and the status line. */
struct session_progress {
	int done, total, diverged; /* tasks */
	double frac;               /* 0..1, counting the batches of tasks in flight */
	double elapsed, eta;       /* seconds, pauses left out; eta < 0: unknown */
	long long samples;         /* trained in this process */
	int running;               /* the grid has not finished yet */
};

struct session;

/*
 * Start training p (copied) on ds (must outlive the session) into dir,
 * which holds preset.yaml and identity.yaml already (session_dir_create or a
 * resumed directory). res: NULL for a new grid, or the results read back for
 * a resume (taken over, *res must not be freed by the caller). results.csv is
 * written before the grid starts, so a run killed at once can resume.
 * On failure *out is NULL and res (if given) is freed.
 */
enum pl_status session_start(struct session **out, const struct preset *p,
                             const struct dataset *ds, const char *dir,
                             struct results *res, int jobs, int retrain_broken,
                             const struct session_cb *cb, char **cause);

/* Read end of the grid's wake pipe, to poll() beside other inputs. */
int session_wake_fd(const struct session *s);
/* Fold queued events in and flush when due; returns 1 once the grid is done. */
int session_step(struct session *s);
/* Ask the workers to stop after their current mini-batch (finished tasks stay). */
void session_stop(struct session *s);
void session_pause(struct session *s, int paused);
int session_paused(const struct session *s);
/*
 * Wait for the workers, fold the last events in, write the final files
 * (results.csv, summary.csv, accuracy_matrix.csv) and remove the emptied
 * checkpoint folder. Idempotent; the results stay readable.
 */
enum pl_status session_finish(struct session *s, char **cause);
void session_free(struct session *s);

void session_progress(const struct session *s, struct session_progress *pr);
/*
 * The work of one task of method m, in forward passes over one example:
 * gradient passes per step (optim.h) x 3 x training examples x epochs, plus
 * the test set's forward pass (every earlier task's too, with
 * accuracy_matrix). ds may be NULL (then MNIST's sizes). The progress bar
 * and the ETA count it, so a SAM task weighs twice an SGD one.
 */
double session_task_cost(const struct preset *p, int method, const struct dataset *ds);
/* The two parts of it: *train the steps' passes, *test the forward passes
 * that test the network after the task. */
void session_task_work(const struct preset *p, int method, const struct dataset *ds,
                       double *train, double *test);
/*
 * estimate.c: method m's training rate on this machine, in those units per
 * second on one core, the best of three 20 ms bursts of steps of the
 * preset's network and batch size on random inputs; and the seconds a grid of p
 * would take with jobs workers (each run's tasks x (training / rate +
 * testing / test rate), the runs spread over the workers one each: their
 * sum over min(jobs, runs), never less than the longest run), or -1.
 * rates (may be NULL; OPTIM_RATES + 1 entries) caches the rate per enum
 * optimizer, then the test rate, for one network and batch size: 0 entries
 * are measured and filled in. Any thread; not cheap when it measures.
 */
#define OPTIM_RATES 8
double estimate_rate(const struct preset *p, int method);
/* Forward passes per second of the preset's network over 500-example
 * chunks, as the test sets are evaluated. */
double estimate_test_rate(const struct preset *p);
double estimate_seconds(const struct preset *p, const struct dataset *ds, int jobs,
                        double *rates);
/* The same for what is left when res (may be NULL) holds tasks done: runs
 * that finished or diverged are over, the others train their missing tasks. */
double estimate_remaining(const struct preset *p, const struct dataset *ds,
                          const struct results *res, int jobs, double *rates);
/* The workers' slots (up to n); returns how many were copied. */
int session_slots(struct session *s, struct grid_slot *slots, int n);
const struct results *session_results(const struct session *s);
const struct preset *session_preset(const struct session *s);
const char *session_dir(const struct session *s);
/* The exit status of the first error (0 if none). */
int session_error(const struct session *s);

#define SESSION_DIR_FORCE    1u /* dir may exist and hold files (--force) */
#define SESSION_DIR_FALLBACK 2u /* the UI: see below */
/*
 * A new run directory for p: dir, or rundir_default(p) when dir is NULL
 * (then with SESSION_DIR_FALLBACK, if that cannot be created, e.g. in a
 * working directory that is not writable, the same name under
 * $XDG_STATE_HOME/plasticity, by default ~/.local/state/plasticity). Creates it, takes
 * its lock (before anything is written), writes preset.yaml, methods.csv and
 * identity.yaml (when ds is not NULL: a copy exported from a view has no data to name).
 * *dir_out (newly allocated) and *lock are set on success.
 */
enum pl_status session_dir_create(const struct preset *p, const char *dir, unsigned flags,
                                  const char *data_dir, const struct dataset *ds,
                                  char **dir_out, struct dirlock **lock, char **cause);

/*
 * Open a run directory to continue it: take its lock, read identity.yaml,
 * preset.yaml (checked against the identity), results.csv and the accuracy
 * matrix, and load the data (from data_dir if not NULL, else the folder the
 * identity recorded; checked to be the same data). On success p, res, ds,
 * *data_out (the data folder, newly allocated; data_out may be NULL) and
 * *lock are filled; on failure everything is released (p must still be
 * freed, as after preset_load).
 */
enum pl_status session_dir_resume(const char *dir, const char *data_dir, struct preset *p,
                                  struct results *res, struct dataset *ds,
                                  char **data_out, struct dirlock **lock, char **cause);

#endif

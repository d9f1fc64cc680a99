/*
 * session.c - one grid run writing its run directory, for `plasticity run`
 * and the UI alike (session.h).
 *
 * The results are the run directory's: every finished task is folded in as
 * its event arrives and results.csv is rewritten (atomically) every
 * FLUSH_INTERVAL seconds and at the end, so an interrupted grid, however it
 * is interrupted, keeps every task whose rows were flushed, and its
 * checkpoints hold the rest. A run's checkpoint goes only once its rows
 * (and accuracy-matrix rows) are on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plasticity/cluster.h"
#include "plasticity/columns.h"
#include "plasticity/dirlock.h"
#include "plasticity/identity.h"
#include "plasticity/lookup.h"
#include "plasticity/rundir.h"
#include "plasticity/optim.h"
#include "plasticity/session.h"
#include "plasticity/util.h"

/* Seconds between rewrites of results.csv while a grid runs. */
#define FLUSH_INTERVAL 2.0

struct session {
	struct preset p;
	struct results res;
	struct grid *grid;
	struct session_cb cb;
	char *dir, *ckpt;
	unsigned char *complete; /* runs done whose checkpoint can go once saved */
	int done, total, diverged, error, all_done, finished, paused;
	long long samples;
	/* Progress counts cost, not tasks (session_task_cost): a SAM task is two
	 * SGD tasks. total drops the tasks a diverged run will not train. */
	double cost[PRESET_MAX_METHODS], cost_total, cost_done, cost_trained;
	double start, end, last_flush, pause_start, paused_for;
};

static void report(struct session *s, enum pl_status st, const char *msg)
{
	if (s->error == 0)
		s->error = pl_status_exit(st);
	if (s->cb.error != NULL)
		s->cb.error(s->cb.ctx, st, msg);
}

static enum pl_status flush_files(struct session *s, int final, char **cause)
{
	int nruns = s->p.nmethods * s->p.runs;
	unsigned what = final ? RUNDIR_FINAL : 0;
	enum pl_status st;

	/* A finished run's checkpoint goes below: its matrix rows must be on disk. */
	for (int i = 0; i < nruns; i++)
		what |= s->complete[i] ? RUNDIR_MATRIX : 0;
	st = rundir_write_results(s->dir, &s->res, what, cause);
	s->last_flush = pl_now();
	for (int i = 0; st == PL_OK && i < nruns; i++)
		if (s->complete[i]) {
			char *path = grid_checkpoint_path(s->ckpt, i / s->p.runs,
			                                  i % s->p.runs);

			unlink(path);
			free(path);
			s->complete[i] = 0;
		}
	return st;
}

/*
 * Count cell c of method m in (sign 1) or out (-1) of the progress: tasks
 * done and diverged, the cost done, and the tasks a diverged run will not
 * train taken off the total.
 */
static void tally(struct session *s, int m, const struct task_result *c, int sign)
{
	s->done += sign;
	s->diverged += sign * c->diverged;
	s->cost_done += sign * s->cost[m];
	if (c->diverged)
		s->cost_total -= sign * s->cost[m] * (s->p.tasks - c->task - 1);
}

static void on_task(struct session *s, const struct grid_event *ev)
{
	struct task_result *r = ev->result;

	/* As results.csv will hold it, so a resumed grid sums the same numbers. */
	result_round(&s->p, r);
	if (results_get(&s->res, ev->method, ev->run, r->task) == NULL)
		tally(s, ev->method, r, 1);
	if (!ev->restored) {
		s->samples += r->samples;
		s->cost_trained += s->cost[ev->method];
	}
	results_put(&s->res, ev->method, ev->run, r);
	if (s->cb.task != NULL)
		s->cb.task(s->cb.ctx, ev);
}

/* A run whose checkpoint could not be restored starts again: its rows go. */
static void on_reset(struct session *s, int method, int run)
{
	for (int t = 0; t < s->p.tasks; t++) {
		const struct task_result *r = results_get(&s->res, method, run, t);

		if (r != NULL)
			tally(s, method, r, -1);
	}
	results_clear_run(&s->res, method, run);
	if (s->cb.reset != NULL)
		s->cb.reset(s->cb.ctx, method, run);
}

static void drain(struct session *s)
{
	struct grid_event ev;

	while (s->grid != NULL && grid_next_event(s->grid, &ev)) {
		if (ev.type == GRID_EV_TASK)
			on_task(s, &ev);
		else if (ev.type == GRID_EV_ERROR)
			report(s, ev.status, ev.message);
		else if (ev.type == GRID_EV_RUN_DONE)
			s->complete[ev.method * s->p.runs + ev.run] = 1;
		else if (ev.type == GRID_EV_RUN_RESET)
			on_reset(s, ev.method, ev.run);
		else if (ev.type == GRID_EV_ALL_DONE)
			s->all_done = 1;
		grid_event_free(&ev);
	}
}

int session_step(struct session *s)
{
	char *cause = NULL;

	drain(s);
	if (!s->finished && pl_now() - s->last_flush > FLUSH_INTERVAL &&
	    flush_files(s, 0, &cause) != PL_OK) {
		report(s, PL_ERR_IO, cause);
		grid_stop(s->grid);
	}
	free(cause);
	return s->all_done;
}

/* Runs whose every task is in res, or that diverged (they stopped there):
 * a resumed grid leaves them out. */
static unsigned char *finished_runs(const struct results *res)
{
	unsigned char *skip = xcalloc((size_t)res->nmethods * res->runs, 1);

	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++)
			skip[m * res->runs + r] =
			        (unsigned char)results_run_over(res, m, r);
	return skip;
}

void session_task_work(const struct preset *p, int method, const struct dataset *ds,
                       double *train, double *test)
{
	const struct optim_desc *d = optim_desc(p->methods[method].optimizer);
	/* A class task holds two of the ten digits: about a fifth of the images. */
	double share = p->setting == SETTING_CLASS ? 0.2 : 1.0;
	double ntrain = ds != NULL ? ds->train.n * share : 60000 * share;
	double ntest = ds != NULL ? ds->test.n * share : 10000 * share;

	if (p->train_examples > 0 && p->train_examples < ntrain)
		ntrain = p->train_examples;
	/* A step is a forward and a backward pass (about 3 forwards) per gradient;
	 * testing is a forward pass, over every task seen with accuracy_matrix. */
	*train = (d != NULL ? d->passes : 1) * 3.0 * ntrain * p->epochs;
	*test = ntest * (p->accuracy_matrix ? (p->tasks + 1) / 2.0 : 1.0);
}

double session_task_cost(const struct preset *p, int method, const struct dataset *ds)
{
	double train, test;

	session_task_work(p, method, ds, &train, &test);
	return train + test;
}

/* Take over the results read back from the directory, with their counts. */
static void adopt_results(struct session *s, struct results *res)
{
	s->res = *res;
	s->res.p = &s->p;
	for (int m = 0; m < s->p.nmethods; m++)
		for (int r = 0; r < s->p.runs; r++)
			for (int t = 0; t < s->p.tasks; t++) {
				const struct task_result *c =
				        results_get(&s->res, m, r, t);

				if (c != NULL)
					tally(s, m, c, 1);
			}
}

enum pl_status session_start(struct session **out, const struct preset *p,
                             const struct dataset *ds, const char *dir,
                             struct results *res, int jobs, int retrain_broken,
                             const struct session_cb *cb, char **cause)
{
	struct session *s;
	unsigned char *skip = NULL;
	enum pl_status st;

	/* Under mpirun the other ranks load their data first (cluster.h); the
	 * headless run has asked them already, before making the directory. */
	if (cluster_size() > 1 && !cluster_begun() &&
	    (st = cluster_begin(p, ds, jobs, retrain_broken, NULL, cause)) != PL_OK) {
		if (res != NULL)
			results_free(res);
		*out = NULL;
		return st;
	}
	s = xcalloc(1, sizeof(*s));
	preset_copy(&s->p, p);
	for (int m = 0; m < p->nmethods; m++) {
		s->cost[m] = session_task_cost(p, m, ds);
		s->cost_total += s->cost[m] * p->runs * p->tasks;
	}
	s->dir = xstrdup(dir);
	s->ckpt = xasprintf("%s/checkpoints", dir);
	if (cb != NULL)
		s->cb = *cb;
	if (res != NULL) {
		rundir_clean(dir);
		adopt_results(s, res);
		skip = finished_runs(&s->res);
	} else {
		results_init(&s->res, &s->p);
	}
	s->complete = xcalloc((size_t)p->nmethods * p->runs, 1);
	s->total = p->nmethods * p->runs * p->tasks;
	s->start = s->last_flush = pl_now();
	s->grid = grid_new(&s->p, ds, jobs);
	st = mkdir_p(s->ckpt, cause) == PL_OK ? PL_OK : PL_ERR_CANTCREAT;
	if (st == PL_OK) {
		grid_set_checkpoints(s->grid, s->ckpt, skip);
		grid_set_retrain_broken(s->grid, retrain_broken);
		{
			char *weights = xasprintf("%s/weights", dir);

			grid_set_weights_dir(s->grid, weights);
			free(weights);
		}
		/* results.csv exists from the start, so a run killed early can resume. */
		st = flush_files(s, 0, cause) == PL_OK ? PL_OK : PL_ERR_IO;
	}
	free(skip);
	if (st != PL_OK) {
		cluster_cancel();
		session_free(s);
		*out = NULL;
		return st;
	}
	cluster_attach(s->grid);
	grid_start(s->grid);
	*out = s;
	return PL_OK;
}

int session_wake_fd(const struct session *s)
{
	return s->grid != NULL ? grid_wake_fd(s->grid) : -1;
}

void session_stop(struct session *s)
{
	char *cause = NULL;

	if (s->grid != NULL)
		grid_stop(s->grid);
	/* Now, not at the next flush: under mpirun a stop is often SIGTERM
	 * with SIGKILL a second behind it. An error here is reported by the
	 * final write. */
	drain(s);
	if (!s->finished)
		flush_files(s, 0, &cause);
	free(cause);
}

void session_pause(struct session *s, int paused)
{
	if (s->grid == NULL || s->finished || paused == s->paused)
		return;
	grid_pause(s->grid, paused);
	if (paused)
		s->pause_start = pl_now();
	else
		s->paused_for += pl_now() - s->pause_start;
	s->paused = paused;
}

int session_paused(const struct session *s)
{
	return s->paused;
}

enum pl_status session_finish(struct session *s, char **cause)
{
	enum pl_status st;

	if (s->finished)
		return PL_OK;
	session_pause(s, 0);
	if (!s->all_done)
		grid_stop(s->grid);
	grid_join(s->grid);
	drain(s);
	s->finished = 1;
	s->end = pl_now();
	st = flush_files(s, 1, cause);
	/* Only unfinished runs' checkpoints remain; with none, the folder goes. */
	rmdir(s->ckpt);
	grid_free(s->grid);
	s->grid = NULL;
	return st;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	if (s->grid != NULL) {
		grid_stop(s->grid);
		grid_join(s->grid);
		drain(s);
		grid_free(s->grid);
	}
	results_free(&s->res);
	preset_free(&s->p);
	free(s->dir);
	free(s->ckpt);
	free(s->complete);
	free(s);
}

void session_progress(const struct session *s, struct session_progress *pr)
{
	struct grid_slot slots[64];
	double now = s->finished ? s->end : s->paused ? s->pause_start : pl_now();
	double part = 0.0;
	int n = s->grid != NULL ? grid_slots(s->grid, slots, 64) : 0;

	/* The batches of tasks in flight count too, at their method's cost. */
	for (int i = 0; i < n && i < 64; i++)
		if (slots[i].busy && slots[i].nbatches > 0)
			part += s->cost[slots[i].method] * slots[i].batch /
			        slots[i].nbatches;
	memset(pr, 0, sizeof(*pr));
	pr->done = s->done;
	pr->total = s->total;
	pr->diverged = s->diverged;
	pr->frac = s->cost_total > 0 ? (s->cost_done + part) / s->cost_total : 0.0;
	if (pr->frac > 1.0)
		pr->frac = 1.0;
	pr->elapsed = now - s->start - s->paused_for;
	/* What is left at the rate measured here (restored tasks cost no time). */
	pr->eta = s->cost_trained + part > 0.001 * s->cost_total && !s->finished
	                  ? pr->elapsed * (s->cost_total - s->cost_done - part) /
	                            (s->cost_trained + part)
	                  : -1.0;
	if (pr->eta < 0 && pr->eta != -1.0)
		pr->eta = 0.0;
	pr->samples = s->samples;
	pr->running = !s->finished && !s->all_done;
}

int session_slots(struct session *s, struct grid_slot *slots, int n)
{
	return s->grid != NULL ? grid_slots(s->grid, slots, n) : 0;
}

const struct results *session_results(const struct session *s)
{
	return &s->res;
}

const struct preset *session_preset(const struct session *s)
{
	return &s->p;
}

const char *session_dir(const struct session *s)
{
	return s->dir;
}

int session_error(const struct session *s)
{
	return s->error;
}

/* dflt (runs/NAME-...) under the state folder, for a working directory
 * where it cannot be made; NULL when no home is known. */
static char *state_rundir(const char *dflt)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/plasticity/%s", xdg, dflt);
	if (home != NULL && home[0] != '\0')
		return xasprintf("%s/.local/state/plasticity/%s", home, dflt);
	return NULL;
}

static enum pl_status dir_make(const struct preset *p, const char *dir, unsigned flags,
                               char **dir_out, char **cause)
{
	enum pl_status st;
	char *fallback;

	if (dir != NULL) {
		*dir_out = xstrdup(dir);
		return rundir_create(dir, flags & SESSION_DIR_FORCE, cause);
	}
	*dir_out = rundir_default(p);
	st = rundir_create(*dir_out, 0, cause);
	/* Whatever stops runs/ here (a read-only folder, a file named runs),
	 * a person's training must still land somewhere. */
	if (st == PL_OK || !(flags & SESSION_DIR_FALLBACK))
		return st;
	fallback = state_rundir(*dir_out);
	if (fallback == NULL)
		return st;
	free(*dir_out);
	*dir_out = fallback;
	st = rundir_create(*dir_out, 0, cause);
	/* The fallback worked: why runs/ failed is no error to report. */
	if (st == PL_OK && cause != NULL) {
		free(*cause);
		*cause = NULL;
	}
	return st;
}

enum pl_status session_dir_create(const struct preset *p, const char *dir, unsigned flags,
                                  const char *data_dir, const struct dataset *ds,
                                  char **dir_out, struct dirlock **lock, char **cause)
{
	enum pl_status st = dir_make(p, dir, flags, dir_out, cause);

	*lock = NULL;
	/* Before anything is written: --force must not write over a live run. */
	if (st == PL_OK)
		st = dirlock_acquire(lock, *dir_out, cause);
	if (st == PL_OK)
		st = rundir_write_preset(*dir_out, p, cause);
	if (st == PL_OK && ds != NULL)
		st = identity_write(*dir_out, p, data_dir, ds, cause);
	if (st != PL_OK) {
		dirlock_release(*lock);
		*lock = NULL;
		free(*dir_out);
		*dir_out = NULL;
	}
	return st;
}

/* identity.yaml and preset.yaml, checked against each other. */
static enum pl_status resume_preset(const char *dir, struct run_identity *id,
                                    struct preset *p, char **cause)
{
	enum pl_status st = identity_read(dir, id, cause);

	/* The preset first, alone: an edit is named before results.csv is read. */
	if (st == PL_OK) {
		char *path = xasprintf("%s/preset.yaml", dir);

		st = preset_load(p, path, cause);
		free(path);
	}
	if (st == PL_OK)
		st = identity_check_preset(dir, id, p, cause);
	return st;
}

enum pl_status session_dir_resume(const char *dir, const char *data_dir, struct preset *p,
                                  struct results *res, struct dataset *ds,
                                  char **data_out, struct dirlock **lock, char **cause)
{
	struct run_identity id = {0};
	char *data = NULL;
	int have_res = 0;
	enum pl_status st = dirlock_acquire(lock, dir, cause);

	preset_defaults(p);
	if (st == PL_OK)
		st = resume_preset(dir, &id, p, cause);
	if (st == PL_OK) {
		preset_free(p);
		st = rundir_load(dir, p, res, cause);
		have_res = st == PL_OK;
	}
	if (st == PL_OK) {
		data = data_dir ? lookup_data_dir(data_dir, p) : xstrdup(id.data_dir);
		st = dataset_load(ds, p->dataset, data, cause);
	}
	if (st == PL_OK)
		st = identity_check_data(dir, &id, ds, data, cause);
	if (st != PL_OK) {
		if (have_res)
			results_free(res);
		dataset_free(ds);
		dirlock_release(*lock);
		*lock = NULL;
	}
	/* rundir_load notes a missing accuracy_matrix.csv (no run had finished). */
	if (st == PL_OK && cause != NULL) {
		free(*cause);
		*cause = NULL;
	}
	identity_free(&id);
	if (st == PL_OK && data_out != NULL)
		*data_out = data;
	else
		free(data);
	return st;
}

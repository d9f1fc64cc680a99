/*
 * run.c - `plasticity run`: a grid of runs from a preset, headless.
 *
 * The main thread polls the session's wake pipe and the signal pipe; the
 * session (session.h, shared with the UI) stores each finished task and
 * rewrites results.csv every few seconds, so an interrupted grid keeps every
 * finished task's rows. This file only prints: per-task lines or a
 * progress bar, and the summary.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "plasticity/cluster.h"
#include "plasticity/dirlock.h"
#include "plasticity/lookup.h"
#include "plasticity/compare.h"
#include "plasticity/results.h"
#include "plasticity/session.h"
#include "plasticity/util.h"

struct run_view {
	const struct cli_opts *o;
	const struct preset *p;
	int tty;
};

int cli_load_preset(struct preset *p, const char *arg, char **overrides, int noverrides)
{
	char *cause = NULL;
	enum pl_status st = lookup_preset_load(p, arg, overrides, noverrides, &cause);

	if (st != PL_OK)
		fprintf(stderr, "plasticity: %s\n", cause);
	free(cause);
	return st == PL_OK ? 0 : pl_status_exit(st);
}

static void progress_bar(struct session *s)
{
	struct session_progress pr;
	int cols = 30;
	double eta;

	session_progress(s, &pr);
	eta = pr.eta > 0 ? pr.eta : 0.0;
	fprintf(stderr, "\r[");
	for (int i = 0; i < cols; i++)
		fputc(i < (int)(pr.frac * cols) ? '#' : '.', stderr);
	fprintf(stderr, "] %5.1f%%  %d/%d tasks  %02d:%02d elapsed  ETA %02d:%02d ",
	        pr.frac * 100.0, pr.done, pr.total, (int)pr.elapsed / 60,
	        (int)pr.elapsed % 60, (int)eta / 60, (int)eta % 60);
}

static void on_task(void *ctx, const struct grid_event *ev)
{
	const struct run_view *v = ctx;
	const struct task_result *r = ev->result;
	char label[128];

	if (v->o->quiet || v->tty || ev->restored)
		return;
	method_label(&v->p->methods[ev->method], label, sizeof(label));
	if (r->diverged)
		fprintf(stderr,
		        "%s run %d task %d/%d: diverged (training loss not finite)\n",
		        label, ev->run + 1, r->task + 1, v->p->tasks);
	else
		fprintf(stderr,
		        "%s run %d task %d/%d: acc %.4f train_loss %.4f %.1fs %.0f "
		        "samples/s\n",
		        label, ev->run + 1, r->task + 1, v->p->tasks, r->test_acc,
		        r->train_loss, r->seconds, r->samples_per_s);
}

static void on_error(void *ctx, enum pl_status st, const char *message)
{
	const struct run_view *v = ctx;

	(void)st;
	fprintf(stderr, "%splasticity: %s\n", v->tty ? "\n" : "", message);
}

static void on_reset(void *ctx, int method, int run)
{
	const struct run_view *v = ctx;

	fprintf(stderr,
	        "%splasticity: run %d of method %d: its checkpoint could not be "
	        "restored; training it again from its first task\n",
	        v->tty ? "\n" : "", run + 1, method);
}

/* The event loop: returns when every worker is done or a signal stopped the grid. */
static void event_loop(struct session *s, const struct run_view *v)
{
	int sig_fd = signals_install();
	struct pollfd fds[2] = {{session_wake_fd(s), POLLIN, 0}, {sig_fd, POLLIN, 0}};
	int stopping = 0;

	while (!session_step(s)) {
		poll(fds, 2, v->tty ? 200 : 1000);
		if (signals_caught() && !stopping) {
			stopping = 1;
			session_stop(s);
		}
		if (v->tty && !v->o->quiet)
			progress_bar(s);
	}
	if (v->tty && !v->o->quiet)
		fputc('\n', stderr);
}

static int jobs_of(const struct cli_opts *o)
{
	return o->jobs ? o->jobs : cluster_default_jobs();
}

/*
 * Under mpirun: the other ranks load p's data and check it is ds (one
 * message naming the host if not), before anything is written. *workers:
 * the job's workers (this process's alone without MPI). Returns the exit
 * status.
 */
static int cluster_ready(const struct cli_opts *o, const struct preset *p,
                         const struct dataset *ds, int *workers)
{
	char *cause = NULL;
	enum pl_status st;

	*workers = jobs_of(o);
	if (cluster_size() == 1)
		return 0;
	st = cluster_begin(p, ds, jobs_of(o), o->retrain_broken, workers, &cause);
	if (st != PL_OK)
		fprintf(stderr, "plasticity: %s\n", cause);
	free(cause);
	return st == PL_OK ? 0 : pl_status_exit(st);
}

/* Runs that learned nothing are named, so their plasticity loss is not read as one. */
static void collapsed_note(const struct results *res)
{
	int n = 0;

	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++)
			n += results_run_collapsed(res, m, r) >= 0;
	if (n > 0)
		fprintf(stderr,
		        "plasticity: %d runs collapsed to chance (test accuracy within "
		        "%.2f of "
		        "%.2f for %d tasks in a row; summary.csv's collapsed column)\n",
		        n, COLLAPSE_MARGIN, results_chance(res->p), COLLAPSE_TASKS);
}

/* The status once the grid is over: a signal, an error, divergence, or 0. */
static int run_status(struct session *s, int status)
{
	struct session_progress pr;

	session_progress(s, &pr);
	if (signals_status() != PL_OK) {
		fprintf(stderr, "plasticity: %s; %d of %d tasks finished, kept in %s\n",
		        pl_status_str(signals_status()), pr.done, pr.total,
		        session_dir(s));
		return session_error(s) == pl_status_exit(PL_ERR_UNAVAILABLE)
		               ? session_error(s)
		               : pl_status_exit(signals_status());
	}
	if (status != 0)
		return status;
	if (session_error(s) == pl_status_exit(PL_ERR_UNAVAILABLE))
		fprintf(stderr,
		        "plasticity: %d of %d tasks finished, kept in %s: continue with "
		        "plasticity run --resume %s\n",
		        pr.done, pr.total, session_dir(s), session_dir(s));
	if (session_error(s))
		return session_error(s);
	collapsed_note(session_results(s));
	if (pr.diverged) {
		fprintf(stderr, "plasticity: %d runs diverged (see results.csv)\n",
		        pr.diverged);
		return pl_status_exit(PL_ERR_DIVERGED);
	}
	return 0;
}

/* "1 h 13 min", "4 min 10 s", "12 s" into buf. */
static const char *duration(double sec, char *buf, size_t len)
{
	long t = (long)(sec + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ld h %02ld min", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%ld min %02ld s", t / 60, t % 60);
	else
		snprintf(buf, len, "%ld s", t);
	return buf;
}

/* res: NULL for a new grid, or the results read back for --resume (taken
 * over). workers: the job's, for the estimate. */
static int run_grid(const struct cli_opts *o, const struct preset *p, struct dataset *ds,
                    const char *dir, struct results *res, int workers)
{
	struct run_view v = {.o = o, .p = p, .tty = isatty(STDERR_FILENO)};
	struct session_cb cb = {on_task, on_error, on_reset, &v};
	struct session *s = NULL;
	char *cause = NULL, when[64] = "", took[32], procs[32] = "";
	int status = 0, resumed = res != NULL;
	/* Measured before the workers start, so they do not slow the measurement. */
	double est = o->quiet ? -1.0 : estimate_remaining(p, ds, res, workers, NULL);
	enum pl_status st = session_start(&s, p, ds, dir, res, jobs_of(o),
	                                  o->retrain_broken, &cb, &cause);

	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		return pl_status_exit(st);
	}
	if (est >= 0)
		snprintf(when, sizeof(when), ", about %s",
		         duration(est, took, sizeof(took)));
	if (cluster_size() > 1)
		snprintf(procs, sizeof(procs), " on %d processes", cluster_size());
	if (!o->quiet)
		fprintf(stderr,
		        "plasticity: %s: %d methods x %d runs x %d tasks, %d jobs%s -> "
		        "%s%s%s\n",
		        p->name, p->nmethods, p->runs, p->tasks, workers, procs, dir,
		        resumed ? " (resumed)" : "", when);
	event_loop(s, &v);
	if (session_finish(s, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(PL_ERR_IO);
	}
	results_print_summary(session_results(s), stdout);
	compare_print(session_results(s), stdout);
	status = run_status(s, status);
	session_free(s);
	free(cause);
	return status;
}

/* --resume DIR: the preset and the finished tasks come from DIR, checked
 * against its identity.yaml, on the data it recorded (or --data-dir's,
 * which must be the same data). */
static int resume(const struct cli_opts *o)
{
	struct preset p;
	struct results res;
	struct dataset ds = {0};
	struct dirlock *lock = NULL;
	char *cause = NULL;
	enum pl_status st;
	int status, workers;

	signals_install();
	st = session_dir_resume(o->resume, o->data_dir, &p, &res, &ds, NULL, &lock,
	                        &cause);
	if (st == PL_OK) {
		status = cluster_ready(o, &p, &ds, &workers);
		if (status == 0)
			status = run_grid(o, &p, &ds, o->resume, &res, workers);
		else
			results_free(&res);
	} else {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
	}
	dataset_free(&ds);
	preset_free(&p);
	free(cause);
	dirlock_release(lock);
	return status;
}

int cli_run(const struct cli_opts *o, const char *preset_arg, char **overrides,
            int noverrides)
{
	struct preset p;
	struct dataset ds = {0};
	struct dirlock *lock = NULL;
	char *dir = NULL, *data = NULL, *cause = NULL;
	int status, workers = 1;
	enum pl_status st;

	if (o->resume != NULL)
		return resume(o);
	status = cli_load_preset(&p, preset_arg, overrides, noverrides);
	if (status != 0)
		return status;
	if (o->print_config) {
		preset_write(&p, stdout);
		goto out;
	}
	/* From here on a signal stops the run cleanly: nothing is half written. */
	signals_install();
	data = lookup_data_dir(o->data_dir, &p);
	if (data == NULL) {
		fprintf(stderr,
		        "plasticity: no %s data found (run scripts/fetch-data, or see "
		        "'plasticity --info')\n",
		        p.dataset);
		status = pl_status_exit(PL_ERR_NOINPUT);
		goto out;
	}
	st = dataset_load(&ds, p.dataset, data, &cause);
	if (st == PL_OK && signals_status() != PL_OK) {
		status = pl_status_exit(signals_status());
		goto out;
	}
	if (st == PL_OK && (status = cluster_ready(o, &p, &ds, &workers)) != 0)
		goto out;
	if (st == PL_OK)
		st = session_dir_create(&p, o->out, o->force ? SESSION_DIR_FORCE : 0,
		                        data, &ds, &dir, &lock, &cause);
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
		goto out;
	}
	status = run_grid(o, &p, &ds, dir, NULL, workers);
out:
	dirlock_release(lock);
	dataset_free(&ds);
	preset_free(&p);
	free(data);
	free(dir);
	free(cause);
	return status;
}

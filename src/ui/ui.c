/*
 * ui.c - the front end's setup, its run, and its event loop.
 *
 * One thread owns curses. It poll()s the keyboard, the session's wake pipe
 * and the signal pipe; session_step folds worker events into the results,
 * and the screen is redrawn only when something changed, at most REDRAW_HZ
 * times a second. A grid started with r is a run like `plasticity run`'s:
 * the session writes its run directory (results.csv, checkpoints) as it
 * trains, so q, Ctrl-C, a crash or SIGKILL lose nothing that was flushed,
 * and `plasticity ui --resume DIR` (or `run --resume DIR`) continues it.
 * The rooms: screen.c, keys.c, views.c + view_main.c, dialog.c.
 */
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/cluster.h"
#include "plasticity/dirlock.h"
#include "plasticity/lookup.h"
#include "plasticity/plot.h"
#include "plasticity/rundir.h"
#include "plasticity/signals.h"
#include "plasticity/util.h"
#include "ui/ui_priv.h"

#define REDRAW_HZ   20
#define PROGRESS_MS 200 /* progress line refresh while training */

const struct results *ui_results(const struct ui *u)
{
	if (u->sess != NULL)
		return session_results(u->sess);
	return u->viewing ? &u->view_res : NULL;
}

const struct preset *ui_run_preset(const struct ui *u)
{
	if (u->sess != NULL)
		return session_preset(u->sess);
	return u->viewing ? &u->view_p : NULL;
}

int ui_live(const struct ui *u)
{
	return u->st == ST_RUNNING || u->st == ST_PAUSED;
}

void ui_progress(const struct ui *u, struct session_progress *pr)
{
	const struct results *res = ui_results(u);

	if (u->sess != NULL) {
		session_progress(u->sess, pr);
		return;
	}
	memset(pr, 0, sizeof(*pr));
	pr->eta = -1.0;
	if (res == NULL)
		return;
	pr->total = res->nmethods * res->runs * res->tasks;
	pr->done = (int)results_done_count(res);
	pr->frac = pr->total ? (double)pr->done / pr->total : 0.0;
}

/* Finish the session: final files written, and an error is said. */
static void finish_run(struct ui *u)
{
	char *cause = NULL;

	if (u->sess != NULL && session_finish(u->sess, &cause) != PL_OK)
		set_msg(u, 1, "%s", cause);
	free(cause);
}

/* Move the current results' curves to the earlier list; the run's
 * directory stays on disk, its lock goes. */
/* skip[m] (may be NULL): method m is trained again unchanged, not kept. */
static void keep_as_earlier(struct ui *u, const unsigned char *skip)
{
	const struct results *res = ui_results(u);

	for (int m = 0; res != NULL && m < res->nmethods; m++) {
		struct curve *c;

		if (skip != NULL && skip[m])
			continue;
		if (u->nearlier == MAX_EARLIER) {
			free(u->earlier[0].acc);
			memmove(u->earlier, u->earlier + 1,
			        sizeof(u->earlier[0]) * (MAX_EARLIER - 1));
			u->nearlier--;
		}
		c = &u->earlier[u->nearlier++];
		fill_row(u, res, m, &c->row);
		c->row.earlier = 1;
		/* What sets it apart from the methods about to train (the form's). */
		if (u->p.nmethods < PRESET_MAX_METHODS) {
			struct preset both;

			preset_copy(&both, &u->p);
			both.methods[both.nmethods++] = res->p->methods[m];
			method_label_short(&both, both.nmethods - 1, c->row.brief,
			                   sizeof(c->row.brief));
			preset_free(&both);
		}
		c->method = m;
		c->n = res->tasks;
		c->acc = xcalloc((size_t)c->n, sizeof(double));
		for (int t = 0; t < c->n; t++)
			c->acc[t] = results_task_mean(res, m, t, NULL);
	}
	finish_run(u);
	/* q names every run directory this UI wrote, not only the last. */
	if (u->sess != NULL && u->npast < MAX_EARLIER)
		u->past[u->npast++] = xstrdup(session_dir(u->sess));
	session_free(u->sess);
	u->sess = NULL;
	dirlock_release(u->lock);
	u->lock = NULL;
}

void ui_clear_earlier(struct ui *u)
{
	for (int i = 0; i < u->nearlier; i++)
		free(u->earlier[i].acc);
	u->nearlier = 0;
	u->dirty = 1;
}

static int ensure_data(struct ui *u, const struct preset *p)
{
	char *dir, *cause = NULL;

	if (u->ds.name != NULL && strcmp(u->ds.name, p->dataset) == 0)
		return 0;
	dir = lookup_data_dir(u->o.data_dir, p);
	if (dir == NULL) {
		set_msg(u, 1,
		        "no %s data found: run scripts/fetch-data (see plasticity "
		        "--info)",
		        p->dataset);
		return -1;
	}
	dataset_free(&u->ds);
	if (dataset_load(&u->ds, p->dataset, dir, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		free(dir);
		return -1;
	}
	free(u->data_dir);
	u->data_dir = dir;
	return 0;
}

static void on_error(void *ctx, enum pl_status st, const char *message)
{
	(void)st;
	set_msg(ctx, 1, "%s", message);
}

static void on_reset(void *ctx, int method, int run)
{
	set_msg(ctx, 1,
	        "run %d of method %d: its checkpoint could not be restored; training it "
	        "again from its first task",
	        run + 1, method);
}

static int jobs_of(const struct ui *u)
{
	return u->o.jobs ? u->o.jobs : cluster_default_jobs();
}

/* The job's workers for the estimate: under mpirun, as many on every rank
 * (each rank's are known only once a grid starts). */
static int workers_of(const struct ui *u)
{
	return jobs_of(u) * cluster_size();
}

/* Train p into dir (locked by u->lock); res as for session_start. */
static int begin_session(struct ui *u, const struct preset *p, const char *dir,
                         struct results *res)
{
	struct session_cb cb = {NULL, on_error, on_reset, u};
	char *cause = NULL;

	if (session_start(&u->sess, p, &u->ds, dir, res, jobs_of(u), 0, &cb, &cause) !=
	    PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		dirlock_release(u->lock);
		u->lock = NULL;
		return -1;
	}
	u->st = ST_RUNNING;
	u->mode = MODE_VIEW;
	return 0;
}

/* The results r may reuse finished runs from: the last grid or the opened
 * run, never several directories merged (their runs have their own settings). */
static const struct results *reuse_source(const struct ui *u)
{
	return u->viewing && u->o.nopen_more > 0 ? NULL : ui_results(u);
}

/* What r would train now: the runs results_reuse cannot copy (ui_start_run),
 * at the measured rates; cached until the form or the results change. */
static double estimate_start(struct ui *u)
{
	const struct results *src = ui_results(u);
	long done = src != NULL ? results_done_count(src) : 0;
	char *key = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&key, &len);
	double est;

	preset_write(&u->p, fp);
	fprintf(fp, "|%p|%ld|%s", (const void *)src, done, u->est_shape);
	fclose(fp);
	if (u->est_key != NULL && strcmp(key, u->est_key) == 0) {
		free(key);
		return u->est_value;
	}
	free(u->est_key);
	u->est_key = key;
	if (reuse_source(u) != NULL) {
		struct results reuse;

		results_init(&reuse, &u->p);
		results_reuse(&reuse, reuse_source(u), NULL);
		est = estimate_remaining(&u->p, u->ds.name ? &u->ds : NULL, &reuse,
		                         workers_of(u), u->est_rates);
		results_free(&reuse);
	} else {
		est = estimate_seconds(&u->p, u->ds.name ? &u->ds : NULL, workers_of(u),
		                       u->est_rates);
	}
	u->est_value = est;
	return est;
}

double ui_estimate(struct ui *u)
{
	char shape[160];
	int len = snprintf(shape, sizeof(shape), "%d b%d", u->p.setting, u->p.batch_size);

	for (int i = 0; i < u->p.nhidden && len < (int)sizeof(shape); i++)
		len += snprintf(shape + len, sizeof(shape) - (size_t)len, "-%d",
		                u->p.hidden[i]);
	if (strcmp(shape, u->est_shape) != 0) {
		snprintf(u->est_shape, sizeof(u->est_shape), "%s", shape);
		memset(u->est_rates, 0, sizeof(u->est_rates));
	}
	if (preset_validate(&u->p, NULL, NULL) != PL_OK)
		return -1.0;
	return estimate_start(u);
}

void ui_start_run(struct ui *u)
{
	char *cause = NULL, *dir = NULL;
	unsigned char used[PRESET_MAX_METHODS] = {0};
	struct results *reuse = NULL;
	int nreused = 0;

	if (ui_live(u) || u->st == ST_VIEW)
		return;
	if (preset_validate(&u->p, "form", &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return;
	}
	if (ensure_data(u, &u->p) != 0)
		return;
	/* Methods the edit left alone keep the runs they finished (same seeds,
	 * same numbers); only the others train. */
	if (reuse_source(u) != NULL) {
		reuse = xmalloc(sizeof(*reuse));
		results_init(reuse, &u->p);
		nreused = results_reuse(reuse, reuse_source(u), used);
		if (nreused == 0) {
			results_free(reuse);
			free(reuse);
			reuse = NULL;
		}
	}
	keep_as_earlier(u, used);
	if (u->viewing) { /* a fork: the opened run is an earlier curve now */
		results_free(&u->view_res);
		preset_free(&u->view_p);
		u->viewing = 0;
	}
	if (session_dir_create(&u->p, NULL, SESSION_DIR_FALLBACK, u->data_dir, &u->ds,
	                       &dir, &u->lock, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		if (reuse != NULL)
			results_free(reuse);
		free(reuse);
		return;
	}
	snprintf(u->reused_note, sizeof(u->reused_note),
	         nreused > 0 ? " (%d of %d runs reused)" : "", nreused,
	         u->p.nmethods * u->p.runs);
	/* The session takes the reused results over (or frees them on failure). */
	if (begin_session(u, &u->p, dir, reuse) == 0)
		set_msg(u, 0,
		        "training %s: %d methods x %d runs x %d tasks; %d of %d runs "
		        "reused "
		        "(methods unchanged)",
		        u->p.name, u->p.nmethods, u->p.runs, u->p.tasks, nreused,
		        u->p.nmethods * u->p.runs);
	free(reuse);
	free(dir);
}

void ui_toggle_pause(struct ui *u)
{
	if (!ui_live(u))
		return;
	session_pause(u->sess, u->st == ST_RUNNING);
	u->st = u->st == ST_RUNNING ? ST_PAUSED : ST_RUNNING;
	u->dirty = 1;
}

void ui_stop_run(struct ui *u)
{
	struct session_progress pr;

	if (!ui_live(u))
		return;
	finish_run(u);
	session_progress(u->sess, &pr);
	u->st = ST_STOPPED;
	set_msg(u, 0, "stopped: %d of %d tasks finished", pr.done, pr.total);
}

/* The session's events; when the grid is over, its final files. */
static void handle_events(struct ui *u)
{
	struct session_progress pr;

	if (u->sess == NULL || !ui_live(u))
		return;
	if (!session_step(u->sess)) {
		u->dirty = 1;
		return;
	}
	finish_run(u);
	session_progress(u->sess, &pr);
	u->st = pr.done == pr.total ? ST_DONE : ST_STOPPED;
	if (u->st == ST_DONE)
		set_msg(u, 0, "done: %d tasks in %.0f s%s%s", pr.done, pr.elapsed,
		        pr.diverged ? " (some runs diverged)" : "", u->reused_note);
	u->dirty = 1;
}

/* earlier.csv: the earlier curves kept on screen, one row per curve and task. */
static enum pl_status write_earlier(const struct ui *u, const char *dir, char **cause)
{
	char *path = xasprintf("%s/earlier.csv", dir);
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	free(path);
	if (st != PL_OK)
		return st;
	fputs("curve,method_index,method,task,test_acc\n", af.fp);
	for (int i = 0; i < u->nearlier; i++)
		for (int t = 0; t < u->earlier[i].n; t++) {
			/* Labels are keys and numbers (method_label): no comma to quote.
			 */
			if (isfinite(u->earlier[i].acc[t]))
				fprintf(af.fp, "%d,%d,%s,%d,%.6f\n", i + 1,
				        u->earlier[i].method, u->earlier[i].row.label,
				        t + 1, u->earlier[i].acc[t]);
		}
	return atomic_commit(&af, cause);
}

/* w: a copy of the run directory's files at a new place (as `plasticity run` writes
 * them), with the earlier curves. */
void ui_export(struct ui *u)
{
	const struct results *res = ui_results(u);
	struct dirlock *lock = NULL;
	char *dir = NULL, *cause = NULL;
	enum pl_status st;

	if (res == NULL) {
		set_msg(u, 1, "nothing to export yet: start a run first");
		return;
	}
	st = session_dir_create(ui_run_preset(u), NULL, SESSION_DIR_FALLBACK, u->data_dir,
	                        u->ds.name ? &u->ds : NULL, &dir, &lock, &cause);
	if (st == PL_OK)
		st = rundir_write_results(
		        dir, res,
		        RUNDIR_FINAL | (u->viewing && u->unpaired ? RUNDIR_NO_PAIRS : 0),
		        &cause);
	if (st == PL_OK && u->nearlier > 0)
		st = write_earlier(u, dir, &cause);
	if (st == PL_OK)
		set_msg(u, 0, "exported %s%s", dir,
		        u->nearlier > 0 ? " (earlier curves in earlier.csv)" : "");
	else
		set_msg(u, 1, "%s", cause);
	dirlock_release(lock);
	free(cause);
	free(dir);
}

void ui_figures(struct ui *u)
{
	const struct results *res = ui_results(u);
	const char *dir = u->sess != NULL ? session_dir(u->sess) : u->o.open_dir;
	struct plot_opts po = {PLOT_PNG, NULL, 0, NULL, NULL};
	char *cause = NULL, *prefix;
	enum pl_status st;
	double t0 = pl_now();
	int n = 0;

	if (res == NULL || dir == NULL) {
		set_msg(u, 1, "no figures yet: start a run first");
		return;
	}
	/* Several directories side by side: their comparison goes beside the first's. */
	po.no_pairs = u->sess == NULL && u->viewing && u->unpaired != NULL;
	po.prefix = prefix =
	        xasprintf("%s/figures%s/", dir,
	                  u->sess == NULL && u->o.nopen_more > 0 ? "-compare" : "");
	st = plot_all(res, &po, &n, &cause);
	if (st == PL_OK)
		set_msg(u, 0,
		        "figures: %d PNG files in %s (%.1f s; svg, pdf: plasticity plot)",
		        n, prefix, pl_now() - t0);
	else
		set_msg(u, 1, "figures: %s", cause);
	free(prefix);
	free(cause);
}

void ui_fork(struct ui *u)
{
	if (u->st != ST_VIEW)
		return;
	/* The copy is a new experiment: no directory letters in its labels. */
	for (int m = 0; m < u->p.nmethods; m++)
		u->p.methods[m].origin[0] = '\0';
	u->st = ST_IDLE;
	rebuild_fields(u);
	set_msg(u, 0,
	        "editing a copy of the opened preset: r trains it into a new run "
	        "directory");
}

/* --open DIR [DIR ...]: run directories shown read-only, several side by side. */
static int open_view(struct ui *u)
{
	char *cause = NULL, **dirs;
	int n = 1 + u->o.nopen_more;
	enum pl_status st;

	if (u->o.nopen_more == 0) {
		st = rundir_load(u->o.open_dir, &u->view_p, &u->view_res, &cause);
	} else {
		dirs = xcalloc((size_t)n, sizeof(char *));
		dirs[0] = (char *)u->o.open_dir;
		for (int i = 1; i < n; i++)
			dirs[i] = u->o.open_more[i - 1];
		st = rundir_merge(dirs, n, &u->view_p, &u->view_res, &u->unpaired,
		                  &cause);
		free(dirs);
	}
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		preset_free(&u->view_p);
		return pl_status_exit(st);
	}
	preset_copy(&u->p, &u->view_p);
	u->viewing = 1;
	u->st = ST_VIEW;
	if (u->unpaired != NULL)
		set_msg(u, 0, "no paired statistics: %s", u->unpaired);
	else if (n > 1)
		set_msg(u, 0,
		        "%d run directories, methods labelled A: to %c:, runs paired by "
		        "seed",
		        n, 'A' + (n - 1) % 26);
	return 0;
}

/* --resume DIR: the run directory is opened and its training continues at once. */
static int open_resume(struct ui *u)
{
	struct results res;
	char *cause = NULL;
	enum pl_status st =
	        session_dir_resume(u->o.resume_dir, u->o.data_dir, &u->p, &res, &u->ds,
	                           &u->data_dir, &u->lock, &cause);

	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		return pl_status_exit(st);
	}
	if (begin_session(u, &u->p, u->o.resume_dir, &res) != 0) {
		fprintf(stderr, "plasticity: %s\n", u->msg);
		return pl_status_exit(PL_ERR_IO);
	}
	set_msg(u, 0, "resumed %s", u->o.resume_dir);
	return 0;
}

static int ui_init(struct ui *u, const struct ui_opts *o)
{
	const char *cs;
	int status = 0;
	char *cause = NULL;
	enum pl_status st;

	memset(u, 0, sizeof(*u));
	u->o = *o;
	u->sort_col = COL_COUNT; /* preset order until a column is chosen */
	setlocale(LC_ALL, "");
	/* Presets and result files must read and write "0.01", never "0,01". */
	setlocale(LC_NUMERIC, "C");
	cs = nl_langinfo(CODESET);
	u->utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	u->spark = u->utf8 ? SPARK_BLOCKS : SPARK_ASCII;
	if (o->open_dir != NULL)
		status = open_view(u);
	else if (o->resume_dir != NULL)
		status = open_resume(u);
	else if ((st = lookup_preset_load(&u->p, o->preset ? o->preset : "quick",
	                                  o->overrides, o->noverrides, &cause)) !=
	         PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
	}
	free(cause);
	if (status != 0)
		return status;
	u->nthemes = theme_list(u->themes, MAX_LIST);
	if ((st = theme_find(&u->theme, o->theme ? o->theme : "default", &cause)) !=
	    PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		return pl_status_exit(st);
	}
	for (int i = 0; i < u->nthemes; i++)
		if (strcmp(u->themes[i], u->theme.name) == 0)
			u->theme_idx = i;
	rebuild_fields(u);
	return 0;
}

static void ui_free(struct ui *u)
{
	session_free(u->sess);
	dirlock_release(u->lock);
	if (u->viewing) {
		results_free(&u->view_res);
		preset_free(&u->view_p);
	}
	ui_clear_earlier(u);
	preset_free(&u->p);
	dataset_free(&u->ds);
	free(u->cmp);
	free(u->unpaired);
	free(u->est_key);
	free(u->data_dir);
	free(u->field_err);
	for (int i = 0; i < u->nthemes; i++)
		free(u->themes[i]);
	for (int i = 0; i < u->nlist; i++)
		free(u->list[i]);
	for (int i = 0; i < u->nerrors; i++)
		free(u->errors[i]);
	for (int i = 0; i < u->npast; i++)
		free(u->past[i]);
	plot_cleanup(); /* the font caches of any f pressed */
}

static void draw(struct ui *u)
{
	erase();
	ui_views[u->view].draw(u);
	if (COLS >= MIN_COLS && LINES >= MIN_LINES)
		dialog_draw(u);
	refresh();
	u->last_draw = pl_now();
	u->dirty = 0;
}

/* Until q or a signal: draw when dirty (rate-limited), fold events, read keys. */
static void event_loop(struct ui *u, int sig_fd)
{
	int quit = 0, ch;

	u->dirty = 1;
	while (!quit && !signals_caught()) {
		double gap = 1.0 / REDRAW_HZ - (pl_now() - u->last_draw);
		int nfds = 2, timeout;
		struct pollfd fds[3];

		if (u->dirty && gap <= 0) {
			draw(u);
			gap = 1.0 / REDRAW_HZ;
		}
		/* Dirty: draw as soon as the rate limit allows, so a key is on
		 * screen within one frame. Running: tick for the progress line.
		 * Otherwise sleep until something happens. */
		timeout = u->dirty              ? (int)(gap * 1000) + 1
		          : u->st == ST_RUNNING ? PROGRESS_MS
		                                : -1;
		fds[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
		fds[1] = (struct pollfd){sig_fd, POLLIN, 0};
		if (u->sess != NULL && ui_live(u))
			fds[nfds++] =
			        (struct pollfd){session_wake_fd(u->sess), POLLIN, 0};
		poll(fds, (nfds_t)nfds, timeout);
		handle_events(u);
		/* Read keys even when poll() was interrupted: SIGWINCH becomes
		 * KEY_RESIZE. */
		timeout(0);
		while (!quit && (ch = getch()) != ERR)
			quit = ui_key(u, ch);
		if (u->st == ST_RUNNING &&
		    pl_now() - u->last_draw >= PROGRESS_MS / 1000.0)
			u->dirty = 1;
	}
}

/* After the screen closed: the errors it showed, and where the results are. */
static void report(struct ui *u)
{
	struct session_progress pr;
	const char *dir;

	for (int i = 0; i < u->nerrors; i++)
		fprintf(stderr, "plasticity: %s\n", u->errors[i]);
	for (int i = 0; i < u->npast; i++)
		fprintf(stderr, "plasticity: earlier results in %s\n", u->past[i]);
	if (u->sess == NULL)
		return;
	session_progress(u->sess, &pr);
	dir = session_dir(u->sess);
	if (pr.done == pr.total)
		fprintf(stderr, "plasticity: results in %s\n", dir);
	else
		fprintf(stderr,
		        "plasticity: %s%d of %d tasks kept in %s\n"
		        "plasticity: continue with 'plasticity ui --resume %s' or "
		        "'plasticity run "
		        "--resume %s'\n",
		        signals_caught() ? "interrupted; " : "", pr.done, pr.total, dir,
		        dir, dir);
}

int ui_main(const struct ui_opts *o)
{
	struct ui u;
	int status, sig_fd;

	/* Before anything is written (a resumed directory's lock, a new run). */
	sig_fd = signals_install();
	status = ui_init(&u, o);
	if (status != 0) {
		ui_free(&u);
		return status;
	}
	screen_start(&u);
	event_loop(&u, sig_fd);
	finish_run(&u);
	screen_end();
	report(&u);
	status = pl_status_exit(signals_status());
	ui_free(&u);
	return status;
}

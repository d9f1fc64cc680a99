/*
 * run.c - `plasticity run`: a grid of runs from a preset, headless.
 *
 * The main thread is an event loop over the grid's wake pipe and a signal
 * pipe: it stores each finished task, shows progress, and rewrites
 * results.csv (atomically) every few seconds, so an interrupted grid keeps
 * every finished task's rows.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "plasticity/grid.h"
#include "plasticity/idx.h"
#include "plasticity/results.h"
#include "plasticity/rundir.h"
#include "plasticity/util.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

/* Seconds between rewrites of results.csv while a grid runs. */
#define FLUSH_INTERVAL 2.0


static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

char *cli_find_preset(const char *arg, char **cause)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *dirs[3], *found = NULL;
	int n = 0;

	if (strchr(arg, '/') != NULL || exists(arg)) {
		if (exists(arg))
			return xstrdup(arg);
		pl_fail(cause, PL_ERR_NOINPUT, "%s: no such preset file", arg);
		return NULL;
	}
	dirs[n++] = xstrdup("experiments");
	if (xdg != NULL && xdg[0] == '/')
		dirs[n++] = xasprintf("%s/plasticity/presets", xdg);
	else if (home != NULL)
		dirs[n++] = xasprintf("%s/.config/plasticity/presets", home);
	dirs[n++] = xstrdup(PL_DATADIR "/experiments");
	for (int i = 0; i < n && found == NULL; i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], arg);

		if (exists(path))
			found = path;
		else
			free(path);
	}
	if (found == NULL)
		pl_fail(cause, PL_ERR_NOINPUT, "%s: no such preset (looked for %s.yaml in %s, %s, %s)",
			arg, arg, dirs[0], dirs[1], dirs[2]);
	for (int i = 0; i < n; i++)
		free(dirs[i]);
	return found;
}

int cli_load_preset(struct preset *p, const char *arg, char **overrides, int noverrides)
{
	char *cause = NULL, *path = cli_find_preset(arg, &cause);
	enum pl_status st = PL_ERR_NOINPUT;

	if (path != NULL)
		st = preset_load(p, path, &cause);
	for (int i = 0; st == PL_OK && i < noverrides; i++)
		st = preset_override(p, overrides[i], &cause);
	if (st != PL_OK)
		fprintf(stderr, "plasticity: %s\n", cause);
	free(cause);
	free(path);
	return st == PL_OK ? 0 : pl_status_exit(st);
}

struct run_state {
	const struct preset *p;
	const struct cli_opts *o;
	const char *dir;
	struct results res;
	struct grid *grid;
	int tty, total_tasks, done_tasks, diverged, error;
	double start, last_flush;
};

static enum pl_status flush_files(struct run_state *s, int final, char **cause)
{
	s->last_flush = pl_now();
	return rundir_write_results(s->dir, &s->res, final, cause);
}

static void progress_bar(struct run_state *s)
{
	struct grid_slot slots[64];
	int n = grid_slots(s->grid, slots, 64), cols = 30;
	double frac = 0.0, el = pl_now() - s->start, eta;

	for (int i = 0; i < n && i < 64; i++)
		if (slots[i].busy && slots[i].nbatches > 0)
			frac += (double)slots[i].batch / slots[i].nbatches;
	frac = (s->done_tasks + frac) / s->total_tasks;
	eta = frac > 0.001 ? el / frac - el : 0.0;
	fprintf(stderr, "\r[");
	for (int i = 0; i < cols; i++)
		fputc(i < (int)(frac * cols) ? '#' : '.', stderr);
	fprintf(stderr, "] %5.1f%%  %d/%d tasks  %02d:%02d elapsed  ETA %02d:%02d ",
		frac * 100.0, s->done_tasks, s->total_tasks, (int)el / 60, (int)el % 60,
		(int)eta / 60, (int)eta % 60);
}

static void on_task(struct run_state *s, const struct grid_event *ev)
{
	const struct task_result *r = ev->result;
	char label[128];

	results_put(&s->res, ev->method, ev->run, r);
	s->done_tasks++;
	s->diverged += r->diverged;
	if (s->o->quiet || s->tty)
		return;
	method_label(&s->p->methods[ev->method], label, sizeof(label));
	if (r->diverged)
		fprintf(stderr, "%s run %d task %d/%d: diverged (loss not finite)\n", label,
			ev->run + 1, r->task + 1, s->p->tasks);
	else
		fprintf(stderr, "%s run %d task %d/%d: acc %.4f loss %.4f %.1fs %.0f samples/s\n",
			label, ev->run + 1, r->task + 1, s->p->tasks, r->test_acc, r->train_loss,
			r->seconds, r->samples_per_s);
}

/* The event loop: returns when every worker is done or a signal stopped the grid. */
static void event_loop(struct run_state *s)
{
	int sig_fd = signals_install();
	struct pollfd fds[2] = { { grid_wake_fd(s->grid), POLLIN, 0 },
				 { sig_fd, POLLIN, 0 } };
	int all_done = 0, stopping = 0;
	char *cause = NULL;

	while (!all_done) {
		struct grid_event ev;

		poll(fds, 2, s->tty ? 200 : 1000);
		if (signals_caught() && !stopping) {
			stopping = 1;
			grid_stop(s->grid);
		}
		while (grid_next_event(s->grid, &ev)) {
			if (ev.type == GRID_EV_TASK)
				on_task(s, &ev);
			else if (ev.type == GRID_EV_ERROR) {
				fprintf(stderr, "%splasticity: %s\n", s->tty ? "\n" : "", ev.message);
				s->error = 1;
			} else if (ev.type == GRID_EV_ALL_DONE)
				all_done = 1;
			free(ev.result);
			free(ev.message);
		}
		if (s->tty && !s->o->quiet)
			progress_bar(s);
		if (pl_now() - s->last_flush > FLUSH_INTERVAL && flush_files(s, 0, &cause) != PL_OK) {
			fprintf(stderr, "%splasticity: %s\n", s->tty ? "\n" : "", cause);
			free(cause);
			cause = NULL;
			s->error = 1;
			grid_stop(s->grid);
		}
	}
	if (s->tty && !s->o->quiet)
		fputc('\n', stderr);
}


static int run_grid(const struct cli_opts *o, const struct preset *p, struct dataset *ds,
		    const char *dir)
{
	struct run_state s = { .p = p, .o = o, .dir = dir };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char *cause = NULL;
	int status = 0;

	results_init(&s.res, p);
	s.tty = isatty(STDERR_FILENO);
	s.total_tasks = p->nmethods * p->runs * p->tasks;
	s.start = s.last_flush = pl_now();
	s.grid = grid_new(p, ds, o->jobs ? o->jobs : (int)(cores > 0 ? cores : 1));
	if (!o->quiet)
		fprintf(stderr, "plasticity: %s: %d methods x %d runs x %d tasks, %d jobs -> %s\n",
			p->name, p->nmethods, p->runs, p->tasks,
			o->jobs ? o->jobs : (int)(cores > 0 ? cores : 1), dir);
	grid_start(s.grid);
	event_loop(&s);
	grid_join(s.grid);
	if (flush_files(&s, 1, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = 74;
	}
	results_print_summary(&s.res, stdout);
	if (signals_caught()) {
		fprintf(stderr, "plasticity: interrupted; %d of %d tasks finished, kept in %s\n",
			s.done_tasks, s.total_tasks, dir);
		status = 130;
	} else if (s.error && status == 0) {
		status = 65;
	} else if (s.diverged && status == 0) {
		fprintf(stderr, "plasticity: %d runs diverged (see results.csv)\n", s.diverged);
		status = 1;
	}
	grid_free(s.grid);
	results_free(&s.res);
	free(cause);
	return status;
}

int cli_run(const struct cli_opts *o, const char *preset_arg, char **overrides,
	    int noverrides)
{
	struct preset p;
	struct dataset ds = { 0 };
	char *dir = NULL, *data = NULL, *cause = NULL;
	int status = cli_load_preset(&p, preset_arg, overrides, noverrides);
	enum pl_status st;

	if (status != 0)
		return status;
	if (o->print_config) {
		preset_write(&p, stdout);
		goto out;
	}
	data = dataset_locate(p.dataset, o->data_dir, p.data_dir, NULL, NULL);
	if (data == NULL) {
		fprintf(stderr,
			"plasticity: no %s data found (run scripts/fetch-data, or see "
			"'plasticity --info')\n",
			p.dataset);
		status = 66;
		goto out;
	}
	st = dataset_load(&ds, p.dataset, data, &cause);
	dir = o->out ? xstrdup(o->out) : rundir_default(&p);
	if (st == PL_OK)
		st = rundir_create(dir, o->force, &cause);
	if (st == PL_OK)
		st = rundir_write_preset(dir, &p, data, &cause);
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
		goto out;
	}
	status = run_grid(o, &p, &ds, dir);
out:
	dataset_free(&ds);
	preset_free(&p);
	free(data);
	free(dir);
	free(cause);
	return status;
}

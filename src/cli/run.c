/*
 * run.c - `plasticity run`: a grid of runs from a preset, headless.
 *
 * The main thread is an event loop over the grid's wake pipe and a signal
 * pipe: it stores each finished task, shows progress, and rewrites
 * results.csv (atomically) every few seconds, so an interrupted grid keeps
 * every finished task's rows.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "plasticity/dirlock.h"
#include "plasticity/grid.h"
#include "plasticity/identity.h"
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
	char *dirs[3], *found = NULL, *user;
	int n = 0;

	if (strchr(arg, '/') != NULL || exists(arg)) {
		if (exists(arg))
			return xstrdup(arg);
		pl_fail(cause, PL_ERR_NOINPUT, "%s: no such preset file", arg);
		return NULL;
	}
	dirs[n++] = xstrdup("experiments");
	user = pl_config_dir("presets");
	if (user != NULL)
		dirs[n++] = user;
	dirs[n++] = xstrdup(PL_DATADIR "/experiments");
	for (int i = 0; i < n && found == NULL; i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], arg);

		if (exists(path))
			found = path;
		else
			free(path);
	}
	if (found == NULL) {
		/* n is 2 or 3: the user folder is missing when no home is known. */
		char *list = n == 3 ? xasprintf("%s, %s, %s", dirs[0], dirs[1], dirs[2])
				    : xasprintf("%s, %s", dirs[0], dirs[1]);

		pl_fail(cause, PL_ERR_NOINPUT, "%s: no such preset (looked for %s.yaml in %s)", arg,
			arg, list);
		free(list);
	}
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
	if (st == PL_OK)
		st = preset_overrides(p, overrides, noverrides, &cause);
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
	int tty, total_tasks, done_tasks, diverged;
	int error; /* exit status of the first error, 0 if none */
	const char *ckpt;        /* checkpoint folder */
	unsigned char *complete; /* runs done whose checkpoint can go once saved */
	double start, last_flush;
};

static enum pl_status flush_files(struct run_state *s, int final, char **cause)
{
	unsigned what = final ? RUNDIR_FINAL : 0;
	enum pl_status st;

	/* A finished run's checkpoint goes below: its matrix rows must be on disk. */
	for (int i = 0; i < s->p->nmethods * s->p->runs; i++)
		what |= s->complete[i] ? RUNDIR_MATRIX : 0;
	st = rundir_write_results(s->dir, &s->res, what, cause);

	s->last_flush = pl_now();
	/* Rows of complete runs are on disk now: their checkpoints can go. */
	for (int i = 0; st == PL_OK && i < s->p->nmethods * s->p->runs; i++)
		if (s->complete[i]) {
			char *path = grid_checkpoint_path(s->ckpt, i / s->p->runs, i % s->p->runs);

			unlink(path);
			free(path);
			s->complete[i] = 0;
		}
	return st;
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

	if (results_get(&s->res, ev->method, ev->run, r->task) == NULL) {
		s->done_tasks++;
		s->diverged += r->diverged;
	}
	results_put(&s->res, ev->method, ev->run, r);
	if (s->o->quiet || s->tty || ev->restored)
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

/* A run whose checkpoint could not be restored starts again: its rows go. */
static void run_reset(struct run_state *s, int method, int run)
{
	for (int t = 0; t < s->p->tasks; t++) {
		const struct task_result *r = results_get(&s->res, method, run, t);

		if (r != NULL) {
			s->done_tasks--;
			s->diverged -= r->diverged;
		}
	}
	results_clear_run(&s->res, method, run);
	fprintf(stderr, "%splasticity: run %d of method %d: its checkpoint could not be "
			"restored; training it again from its first task\n",
		s->tty ? "\n" : "", run + 1, method);
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
				s->error = s->error ? s->error : pl_status_exit(ev.status);
			} else if (ev.type == GRID_EV_RUN_DONE) {
				s->complete[ev.method * s->p->runs + ev.run] = 1;
			} else if (ev.type == GRID_EV_RUN_RESET) {
				run_reset(s, ev.method, ev.run);
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
			s->error = s->error ? s->error : pl_status_exit(PL_ERR_IO);
			grid_stop(s->grid);
		}
	}
	if (s->tty && !s->o->quiet)
		fputc('\n', stderr);
}


/* Runs whose every task is in res, or that diverged (they stopped there):
 * a resumed grid leaves them out. */
static unsigned char *finished_runs(const struct results *res)
{
	unsigned char *skip = xcalloc((size_t)res->nmethods * res->runs, 1);

	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++) {
			int n = 0, diverged = 0;

			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				n += c != NULL;
				diverged |= c != NULL && c->diverged;
			}
			skip[m * res->runs + r] = n == res->tasks || diverged;
		}
	return skip;
}

/* res: NULL for a new grid, or the results read back for --resume (taken over). */
static int run_grid(const struct cli_opts *o, const struct preset *p, struct dataset *ds,
		    const char *dir, struct results *res)
{
	struct run_state s = { .p = p, .o = o, .dir = dir };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char *cause = NULL, *ckpt = xasprintf("%s/checkpoints", dir);
	unsigned char *skip = NULL;
	int status = 0;

	if (res != NULL) {
		rundir_clean(dir);
		s.res = *res;
		skip = finished_runs(&s.res);
		for (size_t i = 0; i < (size_t)p->nmethods * p->runs * p->tasks; i++) {
			const struct task_result *c = (const void *)(s.res.cells + i * s.res.cell_size);

			s.done_tasks += s.res.done[i];
			s.diverged += s.res.done[i] && c->diverged;
		}
	} else {
		results_init(&s.res, p);
	}
	s.ckpt = ckpt;
	s.complete = xcalloc((size_t)p->nmethods * p->runs, 1);
	s.tty = isatty(STDERR_FILENO);
	s.total_tasks = p->nmethods * p->runs * p->tasks;
	s.start = s.last_flush = pl_now();
	s.grid = grid_new(p, ds, o->jobs ? o->jobs : (int)(cores > 0 ? cores : 1));
	if (mkdir_p(ckpt, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(PL_ERR_CANTCREAT);
		goto out;
	}
	grid_set_checkpoints(s.grid, ckpt, skip);
	grid_set_retrain_broken(s.grid, o->retrain_broken);
	{
		char *weights = xasprintf("%s/weights", dir);

		grid_set_weights_dir(s.grid, weights);
		free(weights);
	}
	/* results.csv exists from the start, so a run killed early can resume. */
	if (flush_files(&s, 0, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(PL_ERR_IO);
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr, "plasticity: %s: %d methods x %d runs x %d tasks, %d jobs -> %s%s\n",
			p->name, p->nmethods, p->runs, p->tasks,
			o->jobs ? o->jobs : (int)(cores > 0 ? cores : 1), dir,
			res ? " (resumed)" : "");
	grid_start(s.grid);
	event_loop(&s);
	grid_join(s.grid);
	if (flush_files(&s, 1, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(PL_ERR_IO);
	}
	results_print_summary(&s.res, stdout);
	if (signals_status() != PL_OK) {
		fprintf(stderr, "plasticity: %s; %d of %d tasks finished, kept in %s\n",
			pl_status_str(signals_status()), s.done_tasks, s.total_tasks, dir);
		status = pl_status_exit(signals_status());
	} else if (s.error && status == 0) {
		status = s.error;
	} else if (s.diverged && status == 0) {
		fprintf(stderr, "plasticity: %d runs diverged (see results.csv)\n", s.diverged);
		status = pl_status_exit(PL_ERR_DIVERGED);
	}
	/* Only complete runs remain: their checkpoints are gone, so is the folder. */
	rmdir(ckpt);
out:
	grid_free(s.grid);
	results_free(&s.res);
	free(cause);
	free(ckpt);
	free(skip);
	free(s.complete);
	return status;
}

/* --resume DIR: the preset and the finished tasks come from DIR, checked
 * against its identity.yaml, on the data it recorded (or --data-dir's,
 * which must be the same data). */
static int resume(const struct cli_opts *o)
{
	struct preset p;
	struct results res;
	struct dataset ds = { 0 };
	struct run_identity id = { 0 };
	struct dirlock *lock = NULL;
	char *data = NULL, *cause = NULL;
	enum pl_status st;
	int status, have_res = 0;

	signals_install();
	st = dirlock_acquire(&lock, o->resume, &cause);

	preset_defaults(&p);
	if (st == PL_OK)
		st = identity_read(o->resume, &id, &cause);
	/* The preset first, alone: an edit is named before results.csv is read. */
	if (st == PL_OK) {
		char *path = xasprintf("%s/preset.yaml", o->resume);

		st = preset_load(&p, path, &cause);
		free(path);
	}
	if (st == PL_OK)
		st = identity_check_preset(o->resume, &id, &p, &cause);
	if (st == PL_OK) {
		preset_free(&p);
		st = rundir_load(o->resume, &p, &res, &cause);
		have_res = st == PL_OK;
	}
	if (st == PL_OK) {
		data = o->data_dir ? cli_data_dir(o, &p) : xstrdup(id.data_dir);
		st = dataset_load(&ds, p.dataset, data, &cause);
	}
	if (st == PL_OK)
		st = identity_check_data(o->resume, &id, &ds, data, &cause);
	if (st == PL_OK) {
		have_res = 0;
		status = run_grid(o, &p, &ds, o->resume, &res);
	} else {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
	}
	if (have_res)
		results_free(&res);
	identity_free(&id);
	dataset_free(&ds);
	preset_free(&p);
	free(data);
	free(cause);
	dirlock_release(lock);
	return status;
}

char *cli_data_dir(const struct cli_opts *o, const struct preset *p)
{
	char *sub;

	if (o->data_dir == NULL)
		return dataset_locate(p->dataset, NULL, p->data_dir, NULL, NULL);
	/* A folder named on the command line is used, never silently skipped:
	 * loading it then says exactly what is wrong with it. */
	sub = xasprintf("%s/%s", o->data_dir, p->dataset);
	if (dataset_dir_complete(sub))
		return sub;
	free(sub);
	return xstrdup(o->data_dir);
}

int cli_run(const struct cli_opts *o, const char *preset_arg, char **overrides,
	    int noverrides)
{
	struct preset p;
	struct dataset ds = { 0 };
	struct dirlock *lock = NULL;
	char *dir = NULL, *data = NULL, *cause = NULL;
	int status;
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
	data = cli_data_dir(o, &p);
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
	dir = o->out ? xstrdup(o->out) : rundir_default(&p);
	if (st == PL_OK)
		st = rundir_create(dir, o->force, &cause);
	/* Before anything is written: --force must not write over a live run. */
	if (st == PL_OK)
		st = dirlock_acquire(&lock, dir, &cause);
	if (st == PL_OK)
		st = rundir_write_preset(dir, &p, &cause);
	if (st == PL_OK)
		st = identity_write(dir, &p, data, &ds, &cause);
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		status = pl_status_exit(st);
		goto out;
	}
	status = run_grid(o, &p, &ds, dir, NULL);
out:
	dirlock_release(lock);
	dataset_free(&ds);
	preset_free(&p);
	free(data);
	free(dir);
	free(cause);
	return status;
}

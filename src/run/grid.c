/*
 * grid.c - the worker pool that trains every (method, run) of a preset.
 *
 * Items are numbered run-major (all methods of run 0, then run 1, ...) so
 * methods progress side by side. Each worker owns its run entirely; shared
 * state is the item counter, the event queue, the slots and the pause flag,
 * all under one mutex. Events wake the consumer through a non-blocking pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/preset_io.h"
#include "plasticity/blas.h"
#include "plasticity/grid.h"
#include "plasticity/safetensors.h"
#include "plasticity/util.h"

struct event_node {
	struct grid_event ev;
	struct event_node *next;
};

struct grid {
	const struct preset *p;
	const struct dataset *ds;
	int jobs, items, next_item, live;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t resume;
	atomic_int stop;
	int paused, started;
	struct event_node *head, *tail;
	int wake[2];
	struct grid_slot *slots;
	char *ckpt_dir;
	unsigned char *skip;
	int retrain_broken; /* a checkpoint that cannot be restored: train again */
	char *weights_dir;  /* save_weights: where the safetensors files go */
	/* Another rank's workers (cluster.c): items from take, files in events. */
	void (*take)(void *arg, struct grid_item *it);
	void *take_arg;
	/* The rank that writes the directory: a server thread for other ranks. */
	void (*serve)(struct grid *g, void *arg);
	void *serve_arg;
	int nslots; /* jobs + the server's */
	pthread_t server;
};

struct worker {
	struct grid *g;
	int id;
};

void grid_post(struct grid *g, const struct grid_event *ev)
{
	struct event_node *n = xmalloc(sizeof(*n));
	char byte = 1;

	n->ev = *ev;
	n->next = NULL;
	pthread_mutex_lock(&g->mu);
	if (g->tail)
		g->tail->next = n;
	else
		g->head = n;
	g->tail = n;
	pthread_mutex_unlock(&g->mu);
	/* A full pipe already means "wake up"; nothing is lost by EAGAIN. */
	if (write(g->wake[1], &byte, 1) < 0 && errno != EAGAIN)
		abort();
}

static void on_batch(void *arg, int done, int total)
{
	struct worker *w = arg;
	struct grid *g = w->g;

	pthread_mutex_lock(&g->mu);
	g->slots[w->id].batch = done;
	g->slots[w->id].nbatches = total;
	while (g->paused && !atomic_load(&g->stop))
		pthread_cond_wait(&g->resume, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void set_slot(struct grid *g, int id, int busy, int method, int run, int task)
{
	pthread_mutex_lock(&g->mu);
	g->slots[id] = (struct grid_slot){busy, method, run, task, 0, 0};
	pthread_mutex_unlock(&g->mu);
}

static void post_error(struct grid *g, int method, int run, enum pl_status st,
                       char *message)
{
	struct grid_event ev = {.type = GRID_EV_ERROR,
	                        .method = method,
	                        .run = run,
	                        .message = message,
	                        .status = st};

	grid_post(g, &ev);
	atomic_store(&g->stop, 1);
}

/*
 * A checkpoint that cannot be restored (truncated, corrupt, another run's).
 * Its run can only start again from its first task; the same seed gives the
 * same numbers. With retrain_broken that is done (the receiver drops the
 * run's rows on GRID_EV_RUN_RESET; returns 0); without, the grid stops with
 * a message saying so (returns -1).
 */
static int broken_checkpoint(struct grid *g, int method, int run, const char *path,
                             enum pl_status st, char *cause)
{
	struct grid_event ev = {.type = GRID_EV_RUN_RESET, .method = method, .run = run};
	char label[128];

	if (g->retrain_broken) {
		free(cause);
		/* Another rank's checkpoint is rank 0's file: it goes there. */
		if (g->take == NULL)
			unlink(path);
		grid_post(g, &ev);
		return 0;
	}
	method_label(&g->p->methods[method], label, sizeof(label));
	post_error(
	        g, method, run, st,
	        xasprintf("%s; run %d of method %d (%s) can only be trained again from "
	                  "its first task: resume with --retrain-broken to do that",
	                  cause, run + 1, method, label));
	free(cause);
	return -1;
}

/* Resume r from its checkpoint if there is one (the file path, or the
 * bytes it holds sent with the item), posting the tasks it holds; returns 1
 * if the run had diverged, -1 on a bad checkpoint, else 0. */
static int resume_run(struct grid *g, struct run *r, const char *path,
                      const struct grid_item *it)
{
	int method = it->method, run = it->run;
	char *cause = NULL;
	enum pl_status st;

	if (it->ckpt != NULL)
		st = run_restore_mem(r, it->ckpt, it->nckpt, path, &cause);
	else if (g->take != NULL || access(path, F_OK) != 0)
		return 0;
	else
		st = run_restore(r, path, &cause);
	if (st != PL_OK)
		return broken_checkpoint(g, method, run, path, st, cause);
	for (int t = 0; t < run_tasks_done(r); t++) {
		struct grid_event ev = {.type = GRID_EV_TASK,
		                        .method = method,
		                        .run = run,
		                        .restored = 1};

		ev.result = xmalloc(task_result_size(g->p));
		memcpy(ev.result, run_result(r, t), task_result_size(g->p));
		grid_post(g, &ev);
	}
	/* A run that diverged stays stopped. */
	return run_tasks_done(r) > 0 && run_result(r, run_tasks_done(r) - 1)->diverged;
}

char *grid_weights_path(const struct grid *g, int method, int run, int task)
{
	return xasprintf("%s/m%d-r%d-t%d.safetensors", g->weights_dir, method, run + 1,
	                 task);
}

/* save_weights: the network after this task, when the preset asks for it;
 * on another rank, its bytes go in the task's event (ev). */
static enum pl_status save_weights(struct grid *g, struct run *r, int method, int run,
                                   struct grid_event *ev, char **cause)
{
	const struct preset *p = g->p;
	int t = run_tasks_done(r);
	char label[128], rs[16], ts[16], seed[32], *path;
	const char *meta[8] = {"method", label, "run", rs, "task", ts, "seed", seed};
	enum pl_status st;

	if ((g->weights_dir == NULL && g->take == NULL) ||
	    p->save_weights == SAVE_WEIGHTS_NONE ||
	    (p->save_weights == SAVE_WEIGHTS_LAST && t < run_tasks_total(r)))
		return PL_OK;
	method_label(&p->methods[method], label, sizeof(label));
	snprintf(rs, sizeof(rs), "%d", run + 1);
	snprintf(ts, sizeof(ts), "%d", t);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)run_seed(r));
	if (g->take != NULL) {
		ev->weights = safetensors_mem(run_mlp(r), run_last_perm(r), meta, 4,
		                              &ev->nweights);
		return PL_OK;
	}
	if ((st = mkdir_p(g->weights_dir, cause)) != PL_OK)
		return st;
	path = grid_weights_path(g, method, run, t);
	st = safetensors_write(path, run_mlp(r), run_last_perm(r), meta, 4, cause);
	free(path);
	return st;
}

/* Train one (method, run) to the end, posting an event per task. */
static void worker_run(struct worker *w, const struct grid_item *it)
{
	struct grid *g = w->g;
	int method = it->method, run_index = it->run;
	struct run_ctl hooks = {&g->stop, on_batch, w};
	struct grid_event ev = {.method = method, .run = run_index};
	struct run *r = NULL;
	char *cause = NULL, *ckpt = NULL;
	int diverged = 0;
	enum pl_status st = run_new(&r, g->p, method, run_index, g->ds, &cause);

	if (st != PL_OK) {
		post_error(g, method, run_index, st, cause);
		return;
	}
	if (g->ckpt_dir != NULL || it->ckpt_name != NULL) {
		ckpt = it->ckpt_name != NULL
		               ? xstrdup(it->ckpt_name)
		               : grid_checkpoint_path(g->ckpt_dir, method, run_index);
		diverged = resume_run(g, r, ckpt, it);
		if (diverged < 0)
			goto out;
	}
	while (run_tasks_done(r) < run_tasks_total(r) && !diverged) {
		struct task_result *res = xmalloc(task_result_size(g->p));

		set_slot(g, w->id, 1, method, run_index, run_tasks_done(r));
		if (run_next_task(r, res, &hooks) != PL_OK) {
			free(res);
			break;
		}
		ev.weights = NULL;
		if ((st = save_weights(g, r, method, run_index, &ev, &cause)) != PL_OK) {
			free(res);
			post_error(g, method, run_index, st, cause);
			goto out;
		}
		/* Checkpoint before posting: a row in results.csv always has one.
		 * Another rank's goes with the event, for rank 0 to write first. */
		if (g->take != NULL)
			ev.ckpt = run_save_mem(r, &ev.nckpt);
		else if (ckpt != NULL && (st = run_save(r, ckpt, &cause)) != PL_OK) {
			free(res);
			post_error(g, method, run_index, st, cause);
			goto out;
		}
		/* The receiver owns res once posted: read what we need first. */
		diverged = res->diverged;
		ev.type = GRID_EV_TASK;
		ev.result = res;
		grid_post(g, &ev);
	}
	if (!atomic_load(&g->stop)) {
		/* The checkpoint stays until the receiver has saved this run's rows. */
		ev.type = GRID_EV_RUN_DONE;
		ev.result = NULL;
		ev.ckpt = ev.weights = NULL;
		grid_post(g, &ev);
	}
out:
	free(ckpt);
	run_free(r);
}

int grid_take(struct grid *g, int *method, int *run)
{
	int item;

	pthread_mutex_lock(&g->mu);
	do
		item = atomic_load(&g->stop) || g->next_item >= g->items ? -1
		                                                         : g->next_item++;
	while (item >= 0 && g->skip != NULL &&
	       g->skip[(item % g->p->nmethods) * g->p->runs + item / g->p->nmethods]);
	pthread_mutex_unlock(&g->mu);
	*method = item < 0 ? -1 : item % g->p->nmethods;
	*run = item < 0 ? -1 : item / g->p->nmethods;
	return item;
}

/* A worker or the server is done: the last one says the grid is. */
static void retire(struct grid *g)
{
	int last;

	pthread_mutex_lock(&g->mu);
	last = --g->live == 0;
	pthread_mutex_unlock(&g->mu);
	if (last)
		grid_post(g, &(struct grid_event){.type = GRID_EV_ALL_DONE});
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct grid *g = w->g;

	for (;;) {
		struct grid_item it = {0};

		if (g->take != NULL)
			g->take(g->take_arg, &it);
		else
			grid_take(g, &it.method, &it.run);
		if (it.method < 0)
			break;
		worker_run(w, &it);
		free(it.ckpt);
		free(it.ckpt_name);
	}
	set_slot(g, w->id, 0, 0, 0, 0);
	retire(g);
	free(w);
	return NULL;
}

static void *server_main(void *arg)
{
	struct grid *g = arg;

	g->serve(g, g->serve_arg);
	retire(g);
	return NULL;
}

struct grid *grid_new(const struct preset *p, const struct dataset *ds, int jobs)
{
	struct grid *g = xcalloc(1, sizeof(*g));

	g->p = p;
	g->ds = ds;
	g->items = p->nmethods * p->runs;
	g->jobs = jobs < 1 ? 1 : jobs > g->items ? g->items : jobs;
	g->threads = xcalloc((size_t)g->jobs, sizeof(pthread_t));
	g->nslots = g->jobs;
	g->slots = xcalloc((size_t)g->jobs, sizeof(struct grid_slot));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->resume, NULL);
	atomic_init(&g->stop, 0);
	if (pipe(g->wake) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		fcntl(g->wake[i], F_SETFL, fcntl(g->wake[i], F_GETFL) | O_NONBLOCK);
		fcntl(g->wake[i], F_SETFD, FD_CLOEXEC);
	}
	return g;
}

char *grid_checkpoint_path(const char *dir, int method, int run)
{
	return xasprintf("%s/m%d-r%d.ckpt", dir, method, run);
}

void grid_set_checkpoints(struct grid *g, const char *dir, const unsigned char *skip)
{
	size_t n = (size_t)g->p->nmethods * g->p->runs;

	free(g->ckpt_dir);
	g->ckpt_dir = dir ? xstrdup(dir) : NULL;
	free(g->skip);
	g->skip = skip ? memcpy(xmalloc(n), skip, n) : NULL;
}

void grid_set_weights_dir(struct grid *g, const char *dir)
{
	free(g->weights_dir);
	g->weights_dir = dir ? xstrdup(dir) : NULL;
}

void grid_set_retrain_broken(struct grid *g, int on)
{
	g->retrain_broken = on;
}

void grid_set_source(struct grid *g, void (*take)(void *arg, struct grid_item *it),
                     void *arg)
{
	g->take = take;
	g->take_arg = arg;
}

void grid_set_server(struct grid *g, void (*serve)(struct grid *g, void *arg), void *arg,
                     int nslots)
{
	g->serve = serve;
	g->serve_arg = arg;
	g->nslots = g->jobs + nslots;
	g->slots = xrealloc(g->slots, (size_t)g->nslots * sizeof(struct grid_slot));
	memset(g->slots, 0, (size_t)g->nslots * sizeof(struct grid_slot));
}

void grid_set_slot(struct grid *g, int i, const struct grid_slot *slot)
{
	pthread_mutex_lock(&g->mu);
	if (i >= 0 && g->jobs + i < g->nslots)
		g->slots[g->jobs + i] = *slot;
	pthread_mutex_unlock(&g->mu);
}

int grid_stopping(struct grid *g)
{
	return atomic_load(&g->stop);
}

const struct preset *grid_preset(const struct grid *g)
{
	return g->p;
}

const char *grid_checkpoint_dir(const struct grid *g)
{
	return g->ckpt_dir;
}

int grid_retrain_broken(const struct grid *g)
{
	return g->retrain_broken;
}

void grid_start(struct grid *g)
{
	blas_init();
	g->live = g->jobs + (g->serve != NULL);
	g->started = 1;
	if (g->serve != NULL && pthread_create(&g->server, NULL, server_main, g) != 0)
		abort();
	for (int i = 0; i < g->jobs; i++) {
		struct worker *w = xmalloc(sizeof(*w));

		w->g = g;
		w->id = i;
		if (pthread_create(&g->threads[i], NULL, worker_main, w) != 0)
			abort();
	}
}

void grid_stop(struct grid *g)
{
	atomic_store(&g->stop, 1);
	pthread_mutex_lock(&g->mu);
	pthread_cond_broadcast(&g->resume);
	pthread_mutex_unlock(&g->mu);
}

void grid_pause(struct grid *g, int paused)
{
	pthread_mutex_lock(&g->mu);
	g->paused = paused;
	if (!paused)
		pthread_cond_broadcast(&g->resume);
	pthread_mutex_unlock(&g->mu);
}

int grid_paused(struct grid *g)
{
	int paused;

	pthread_mutex_lock(&g->mu);
	paused = g->paused;
	pthread_mutex_unlock(&g->mu);
	return paused;
}

int grid_wake_fd(const struct grid *g)
{
	return g->wake[0];
}

int grid_next_event(struct grid *g, struct grid_event *ev)
{
	struct event_node *n;
	char buf[64];

	pthread_mutex_lock(&g->mu);
	n = g->head;
	if (n != NULL) {
		g->head = n->next;
		if (g->head == NULL)
			g->tail = NULL;
	} else {
		/* Drain the pipe only when the queue is empty, under the lock, so a
		 * byte written after this is never swallowed with no event behind it. */
		while (read(g->wake[0], buf, sizeof(buf)) > 0)
			;
	}
	pthread_mutex_unlock(&g->mu);
	if (n == NULL)
		return 0;
	*ev = n->ev;
	free(n);
	return 1;
}

void grid_event_free(struct grid_event *ev)
{
	free(ev->result);
	free(ev->message);
	free(ev->ckpt);
	free(ev->weights);
	ev->result = NULL;
	ev->message = NULL;
	ev->ckpt = ev->weights = NULL;
}

int grid_slots(struct grid *g, struct grid_slot *slots, int n)
{
	pthread_mutex_lock(&g->mu);
	for (int i = 0; i < g->nslots && i < n; i++)
		slots[i] = g->slots[i];
	pthread_mutex_unlock(&g->mu);
	return g->nslots;
}

void grid_join(struct grid *g)
{
	if (!g->started)
		return;
	for (int i = 0; i < g->jobs; i++)
		pthread_join(g->threads[i], NULL);
	if (g->serve != NULL)
		pthread_join(g->server, NULL);
	g->started = 0;
}

void grid_free(struct grid *g)
{
	struct grid_event ev;

	if (g == NULL)
		return;
	grid_stop(g);
	grid_join(g);
	while (grid_next_event(g, &ev))
		grid_event_free(&ev);
	close(g->wake[0]);
	close(g->wake[1]);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->resume);
	free(g->threads);
	free(g->slots);
	free(g->ckpt_dir);
	free(g->weights_dir);
	free(g->skip);
	free(g);
}

/*
 * test_engine.c - task streams, matched seeds, determinism of runs and of
 * the grid whatever the number of workers, on a small generated dataset.
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/cures.h"
#include "plasticity/grid.h"
#include "plasticity/hook.h"
#include "plasticity/optim.h"
#include "plasticity/preset_io.h"
#include "plasticity/probe.h"
#include "plasticity/results.h"
#include "plasticity/rng.h"
#include "plasticity/session.h"
#include "plasticity/task.h"
#include "plasticity/train.h"
#include "plasticity/util.h"
#include "tap.h"

/* Class c: a fixed random prototype per class plus noise. */
static void make_split(struct idx_split *s, uint32_t n, uint64_t seed)
{
	uint8_t proto[IDX_CLASSES][IDX_PIXELS];
	struct rng r;

	rng_seed(&r, 99, 0, 0);
	for (int c = 0; c < IDX_CLASSES; c++)
		for (int j = 0; j < IDX_PIXELS; j++)
			proto[c][j] = rng_below(&r, 4) == 0 ? 200 : 0;
	rng_seed(&r, seed, 0, 0);
	s->n = n;
	s->pixels = xmalloc((size_t)n * IDX_PIXELS);
	s->labels = xmalloc(n);
	for (uint32_t i = 0; i < n; i++) {
		s->labels[i] = (uint8_t)(i % IDX_CLASSES);
		for (int j = 0; j < IDX_PIXELS; j++)
			s->pixels[(size_t)i * IDX_PIXELS + j] =
			        (uint8_t)(proto[s->labels[i]][j] + rng_below(&r, 56));
	}
}

static struct preset small_preset(void)
{
	struct preset p;

	preset_defaults(&p);
	p.tasks = 3;
	p.hidden[0] = 32;
	p.hidden[1] = 16;
	p.nhidden = 2;
	p.batch_size = 16;
	p.runs = 2;
	p.seed = 5;
	p.nmethods = 2;
	method_defaults(&p.methods[0], OPTIM_SGD);
	method_defaults(&p.methods[1], OPTIM_SAM);
	p.methods[0].lr = p.methods[1].lr = 0.1;
	return p;
}

static void test_streams(const struct dataset *ds)
{
	struct preset p = small_preset();
	struct task_stream *a, *b;
	const struct task *t;
	uint16_t perm0[IDX_PIXELS];
	int seen[IDX_PIXELS] = {0}, is_perm = 1, labels_ok = 1;

	ok(task_stream_new(&a, &p, ds, 1, NULL) == PL_OK, "domain stream builds");
	t = task_stream_get(a, 0);
	memcpy(perm0, t->perm, sizeof(perm0));
	for (int j = 0; j < IDX_PIXELS; j++)
		seen[t->perm[j]]++;
	for (int j = 0; j < IDX_PIXELS; j++)
		is_perm &= seen[j] == 1;
	ok(is_perm && t->nclasses == 10 && t->ntrain == ds->train.n &&
	           t->ntest == ds->test.n,
	   "domain task 1 permutes all 784 pixels, 10 classes, whole splits");
	t = task_stream_get(a, 1);
	ok(memcmp(perm0, t->perm, sizeof(perm0)) != 0, "task 2 has its own permutation");
	task_stream_new(&b, &p, ds, 1, NULL);
	t = task_stream_get(b, 0);
	ok(memcmp(perm0, t->perm, sizeof(perm0)) == 0, "same seed, same permutation");
	task_stream_free(b);
	task_stream_new(&b, &p, ds, 2, NULL);
	t = task_stream_get(b, 0);
	ok(memcmp(perm0, t->perm, sizeof(perm0)) != 0,
	   "another seed, another permutation");
	task_stream_free(b);
	p.first_unpermuted = 1;
	task_stream_new(&b, &p, ds, 1, NULL);
	ok(task_stream_get(b, 0)->perm == NULL && task_stream_get(b, 1)->perm != NULL,
	   "first_unpermuted leaves task 1 unpermuted only");
	task_stream_free(b);
	p.first_unpermuted = 0;
	p.train_examples = 50;
	task_stream_new(&b, &p, ds, 1, NULL);
	ok(task_stream_get(b, 0)->ntrain == 50, "train_examples takes a subset per task");
	task_stream_free(b);
	task_stream_free(a);

	p = small_preset();
	p.setting = SETTING_CLASS;
	p.tasks = 45;
	task_stream_new(&a, &p, ds, 1, NULL);
	ok(task_stream_classes(a) == 2, "class tasks have 2 outputs");
	t = task_stream_get(a, 0);
	ok(t->digit_a == 0 && t->digit_b == 1, "class task 1 is digits 0-1");
	t = task_stream_get(a, 8);
	ok(t->digit_a == 0 && t->digit_b == 9, "class task 9 is digits 0-9");
	t = task_stream_get(a, 44);
	ok(t->digit_a == 8 && t->digit_b == 9, "class task 45 is digits 8-9");
	t = task_stream_get(a, 9);
	for (uint32_t i = 0; i < t->ntrain; i++) {
		int d = ds->train.labels[t->train[i]];

		labels_ok &= (d == 1 || d == 2) && t->label_map[d] == (d == 2);
	}
	ok(t->digit_a == 1 && t->digit_b == 2 && labels_ok &&
	           t->ntrain == ds->train.n / 5,
	   "class task 10 is digits 1-2: only those images, lower digit -> 0");
	task_stream_free(a);
	p.shuffle_pairs = 1;
	task_stream_new(&a, &p, ds, 1, NULL);
	{
		int used[10][10] = {{0}}, all = 1;

		for (int k = 0; k < 45; k++) {
			t = task_stream_get(a, k);
			used[t->digit_a][t->digit_b]++;
		}
		for (int x = 0; x < 10; x++)
			for (int y = x + 1; y < 10; y++)
				all &= used[x][y] == 1;
		ok(all, "shuffle_pairs visits each of the 45 pairs once");
	}
	task_stream_free(a);
}

static void gather_check(const struct dataset *ds)
{
	struct preset p = small_preset();
	struct task_stream *ts;
	const struct task *t;
	float x[2 * IDX_PIXELS];
	uint8_t y[2];
	uint32_t idx[2] = {3, 7};
	int good = 1;

	task_stream_new(&ts, &p, ds, 1, NULL);
	t = task_stream_get(ts, 0);
	task_gather(t, &ds->train, idx, 2, x, y);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < IDX_PIXELS; j++)
			good &= fabsf(x[i * IDX_PIXELS + j] -
			              ds->train.pixels[(size_t)idx[i] * IDX_PIXELS +
			                               t->perm[j]] /
			                      255.0f) < 1e-6f;
	ok(good && y[0] == ds->train.labels[3] && y[1] == ds->train.labels[7],
	   "gather applies the permutation and scales pixels to [0,1]");
	task_stream_free(ts);
}

/* Train every (method, run) of p with `jobs` workers; returns the results. */
static struct task_result **grid_results(const struct preset *p, const struct dataset *ds,
                                         int jobs)
{
	int n = p->nmethods * p->runs * p->tasks;
	struct task_result **out = xcalloc((size_t)n, sizeof(*out));
	struct grid *g = grid_new(p, ds, jobs);
	struct grid_event ev;
	int done = 0;

	grid_start(g);
	grid_join(g);
	while (!done && grid_next_event(g, &ev)) {
		{
			if (ev.type == GRID_EV_TASK)
				out[(ev.method * p->runs + ev.run) * p->tasks +
				    ev.result->task] = ev.result;
			else
				free(ev.result);
			free(ev.message);
			done |= ev.type == GRID_EV_ALL_DONE;
		}
	}
	grid_free(g);
	return out;
}

static void test_grid(const struct dataset *ds)
{
	struct preset p = small_preset();
	int n = p.nmethods * p.runs * p.tasks, same = 1, all = 1, matched = 1;
	struct task_result **a = grid_results(&p, ds, 1), **b = grid_results(&p, ds, 2);
	struct task_result **c = grid_results(&p, ds, 2);

	for (int i = 0; i < n; i++) {
		all &= a[i] != NULL && b[i] != NULL && c[i] != NULL;
		if (a[i] && b[i] && c[i])
			same &= a[i]->test_acc == b[i]->test_acc &&
			        a[i]->train_loss == b[i]->train_loss &&
			        b[i]->test_acc == c[i]->test_acc &&
			        b[i]->train_loss == c[i]->train_loss;
	}
	ok(all, "grid posts one result per method x run x task (%d)", n);
	ok(same, "results are identical with 1 and 2 workers and across repeats");
	ok(a[p.tasks * 0]->train_loss != a[p.tasks * 1]->train_loss,
	   "runs 1 and 2 differ (seed + run)");
	ok(a[n - 1]->test_acc > 0.5,
	   "the network learns the generated tasks (last acc %.3f)", a[n - 1]->test_acc);
	/* Matched seeds: with rho = 0, SAM must reproduce SGD run for run. */
	p.methods[1].rho = 0.0;
	for (int i = 0; i < n; i++) {
		free(a[i]);
		free(b[i]);
		free(c[i]);
	}
	free(a);
	free(b);
	free(c);
	a = grid_results(&p, ds, 2);
	for (int i = 0; i < p.runs * p.tasks; i++)
		matched &= a[i]->test_acc == a[p.runs * p.tasks + i]->test_acc &&
		           a[i]->train_loss == a[p.runs * p.tasks + i]->train_loss;
	ok(matched, "run i of every method sees the same init, permutations and batches");
	for (int i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

static void free_results(struct task_result **r, int n)
{
	for (int i = 0; i < n; i++)
		free(r[i]);
	free(r);
}

/*
 * The small-batch path against the generic one over whole tasks (hundreds
 * of steps, where rounding differences could grow), in both settings, for
 * every optimizer with and without momentum and weight decay; and the same
 * numbers with 1 and 2 workers.
 */
/*
 * The seam MPI uses (cluster.c), in one process: grid A's server thread
 * runs grid B, whose workers take A's items (with A's checkpoints) and
 * send their checkpoints in their events; the server writes them as
 * rank 0 does and posts the tasks to A. A's results must be a plain grid's.
 */
struct relay {
	struct grid *a, *b;
	const char *dir;
};

static void relay_take(void *arg, struct grid_item *it)
{
	struct relay *rl = arg;
	FILE *fp;

	memset(it, 0, sizeof(*it));
	if (grid_take(rl->a, &it->method, &it->run) < 0)
		return;
	it->ckpt_name = grid_checkpoint_path(rl->dir, it->method, it->run);
	if ((fp = fopen(it->ckpt_name, "rb")) != NULL) {
		it->ckpt = xmalloc(1 << 20);
		it->nckpt = fread(it->ckpt, 1, 1 << 20, fp);
		fclose(fp);
	}
}

static void relay_serve(struct grid *a, void *arg)
{
	struct relay *rl = arg;
	struct grid_event ev;
	int done = 0;

	grid_start(rl->b);
	while (!done) {
		struct pollfd pfd = {grid_wake_fd(rl->b), POLLIN, 0};

		poll(&pfd, 1, 10);
		while (grid_next_event(rl->b, &ev)) {
			struct grid_slot busy = {1, ev.method, ev.run, 0, 0, 0};

			done |= ev.type == GRID_EV_ALL_DONE;
			if (ev.type == GRID_EV_TASK && ev.ckpt != NULL) {
				char *path =
				        grid_checkpoint_path(rl->dir, ev.method, ev.run);

				atomic_write(path, ev.ckpt, ev.nckpt, NULL);
				free(path);
			}
			free(ev.ckpt);
			free(ev.weights);
			ev.ckpt = ev.weights = NULL;
			grid_set_slot(a, 0, &busy);
			if (ev.type != GRID_EV_ALL_DONE)
				grid_post(a, &ev);
		}
	}
	grid_join(rl->b);
}

/* Everything of a task's result but its timings. */
static int same_result(const struct task_result *a, const struct task_result *b)
{
	size_t t = offsetof(struct task_result, seconds),
	       u = offsetof(struct task_result, samples);

	return memcmp(a, b, t) == 0 &&
	       memcmp((const char *)a + u, (const char *)b + u, sizeof(*a) - u) == 0;
}

/* p trained through a relay into dir; results as grid_results's. */
static struct task_result **relay_results(const struct preset *p,
                                          const struct dataset *ds, const char *dir,
                                          int *slots, int *restored)
{
	int n = p->nmethods * p->runs * p->tasks, done = 0;
	struct task_result **out = xcalloc((size_t)n, sizeof(*out));
	struct relay rl = {grid_new(p, ds, 1), grid_new(p, ds, 1), dir};
	struct grid_event ev;

	grid_set_checkpoints(rl.a, dir, NULL);
	grid_set_server(rl.a, relay_serve, &rl, 1);
	grid_set_source(rl.b, relay_take, &rl);
	grid_start(rl.a);
	while (!done) {
		struct pollfd pfd = {grid_wake_fd(rl.a), POLLIN, 0};

		poll(&pfd, 1, 10);
		while (grid_next_event(rl.a, &ev)) {
			if (ev.type == GRID_EV_TASK &&
			    out[(ev.method * p->runs + ev.run) * p->tasks +
			        ev.result->task] == NULL) {
				out[(ev.method * p->runs + ev.run) * p->tasks +
				    ev.result->task] = ev.result;
				ev.result = NULL;
			}
			*restored += ev.type == GRID_EV_TASK && ev.restored;
			done |= ev.type == GRID_EV_ALL_DONE;
			grid_event_free(&ev);
		}
	}
	*slots = grid_slots(rl.a, (struct grid_slot[4]){{0}}, 4);
	grid_free(rl.a);
	grid_free(rl.b);
	return out;
}

static void test_relay(const struct dataset *ds)
{
	struct preset p = small_preset();
	int n = p.nmethods * p.runs * p.tasks, same = 1, all = 1, slots = 0, resumed = 1;
	int restored = 0;
	char dir[] = "/tmp/plasticity-relay-XXXXXX";
	struct task_result **a = grid_results(&p, ds, 2), **b;

	if (mkdtemp(dir) == NULL)
		abort();
	b = relay_results(&p, ds, dir, &slots, &restored);
	for (int i = 0; i < n; i++) {
		all &= b[i] != NULL;
		if (b[i] != NULL)
			same &= same_result(a[i], b[i]);
	}
	ok(all && same,
	   "a grid served to another (grid_set_server, grid_set_source) gives a plain "
	   "grid's results");
	ok(slots == 2, "its slots are the workers' and then the server's (%d)", slots);
	ok(restored == 0, "a new grid restores nothing (%d)", restored);
	free_results(b, n);
	/* Its checkpoints, written from the events' bytes, resume: every task
	 * comes back as restored, with the same numbers. */
	b = relay_results(&p, ds, dir, &slots, &restored);
	for (int i = 0; i < n; i++)
		resumed &= b[i] != NULL && same_result(a[i], b[i]);
	ok(resumed && restored == n,
	   "the checkpoints it wrote from the events restore every run exactly (%d of %d "
	   "tasks restored)",
	   restored, n);
	free_results(b, n);
	free_results(a, n);
	for (int m = 0; m < p.nmethods; m++)
		for (int r = 0; r < p.runs; r++) {
			char *path = grid_checkpoint_path(dir, m, r);

			unlink(path);
			free(path);
		}
	rmdir(dir);
}

static void test_paths(const struct dataset *ds)
{
	static const enum setting settings[] = {SETTING_DOMAIN, SETTING_CLASS};

	for (int s = 0; s < 2; s++)
		for (int bs = 1; bs <= 4; bs += 3) {
			struct preset p = small_preset();
			int n, all = 1, same = 1;
			double worst_loss = 0.0, worst_acc = 0.0;
			struct task_result **fused, **generic, **two;

			p.setting = settings[s];
			p.batch_size = bs;
			p.train_examples = 200;
			p.runs = 1;
			p.nmethods = 5;
			method_defaults(&p.methods[0], OPTIM_SGD);
			method_defaults(&p.methods[1], OPTIM_SAM);
			method_defaults(&p.methods[2], OPTIM_GNP);
			method_defaults(&p.methods[3], OPTIM_SGD);
			method_defaults(&p.methods[4], OPTIM_GNP);
			for (int k = 0; k < 5; k++)
				p.methods[k].lr = 0.05;
			p.methods[4].exact = 1;
			p.methods[3].momentum = 0.9;
			p.methods[3].weight_decay = 0.001;
			p.methods[3].lr = 0.01;
			n = p.nmethods * p.runs * p.tasks;
			optim_fused_limit(16);
			fused = grid_results(&p, ds, 1);
			two = grid_results(&p, ds, 2);
			optim_fused_limit(0);
			generic = grid_results(&p, ds, 1);
			optim_fused_limit(16);
			for (int i = 0; i < n; i++) {
				all &= fused[i] && generic[i] && two[i];
				if (!(fused[i] && generic[i] && two[i]))
					continue;
				worst_loss =
				        fmax(worst_loss, fabs(fused[i]->train_loss -
				                              generic[i]->train_loss) /
				                                 generic[i]->train_loss);
				worst_acc = fmax(worst_acc, fabs(fused[i]->test_acc -
				                                 generic[i]->test_acc));
				same &= fused[i]->train_loss == two[i]->train_loss &&
				        fused[i]->test_acc == two[i]->test_acc;
			}
			ok(all && worst_loss < 1e-3 && worst_acc <= 0.01,
			   "%s, batch %d: the small-batch path trains as the generic one "
			   "(sgd, sam, gnp, momentum + weight decay, exact gnp; train "
			   "loss "
			   "within "
			   "%.2g relative, test accuracy within %.3f)",
			   s ? "class" : "domain", bs, worst_loss, worst_acc);
			ok(all && same,
			   "%s, batch %d: the small-batch path gives the same numbers "
			   "with "
			   "1 and 2 workers",
			   s ? "class" : "domain", bs);
			free_results(fused, n);
			free_results(generic, n);
			free_results(two, n);
		}
}

static void test_stop(const struct dataset *ds)
{
	struct preset p = small_preset();
	struct run *r;
	struct task_result *res = xmalloc(task_result_size(&p));
	atomic_int stop;
	struct run_ctl hooks = {&stop, NULL, NULL};

	atomic_init(&stop, 1);
	run_new(&r, &p, 0, 0, ds, NULL);
	ok(run_next_task(r, res, &hooks) == PL_ERR_INTERRUPTED && run_tasks_done(r) == 0,
	   "a stop request interrupts a task, which is then not counted");
	atomic_store(&stop, 0);
	p.methods[0].lr = 1e30;
	run_free(r);
	run_new(&r, &p, 0, 0, ds, NULL);
	ok(run_next_task(r, res, &hooks) == PL_OK && res->diverged &&
	           isnan(res->test_acc),
	   "a run whose loss is not finite is marked diverged");
	run_free(r);
	free(res);
}

/*
 * A hook only a test uses: counts optimizer steps and tasks in its declared
 * state, and on every step nudges one weight, so that it visibly acts on the
 * network and a checkpoint must carry its state for a resume to be exact.
 */
static void count_init(struct hook *h, struct mlp *m)
{
	hook_state_add(h, "count", 2);
}

static void count_step(struct hook *h, struct hook_ctx *c)
{
	h->state[0].data[0] += 1.0f;
	mlp_params(c->mlp)[0] += 1e-3f * h->state[0].data[0];
}

static void count_task(struct hook *h, struct hook_ctx *c)
{
	h->state[0].data[1] = (float)(c->task + 1);
}

static const struct hook_desc count_hook = {.name = "count",
                                            .init = count_init,
                                            .after_step = count_step,
                                            .after_task = count_task};

static void test_hooks(const struct dataset *ds)
{
	struct preset p = small_preset();
	struct task_result *a = xmalloc(task_result_size(&p)),
	                   *b = xmalloc(task_result_size(&p));
	struct run *whole, *first, *resumed, *plain;
	char path[] = "/tmp/pl-hook-XXXXXX";
	int fd = mkstemp(path), same = 1;
	long steps;

	close(fd);
	p.tasks = 3;
	p.methods[0].momentum = 0.9; /* the optimizer's own state goes along too */
	run_new(&whole, &p, 0, 0, ds, NULL);
	run_add_hook(whole, &count_hook, NULL);
	run_new(&plain, &p, 0, 0, ds, NULL);
	for (int t = 0; t < 3; t++) {
		run_next_task(whole, a, NULL);
		run_next_task(plain, b, NULL);
	}
	steps = (500 + 15) / 16 * 3;
	/* hook state is private; reach it the way a checkpoint does: by name */
	ok(a->test_acc != b->test_acc || a->train_loss != b->train_loss,
	   "a hook acts on the network (results differ from the run without it)");

	run_new(&first, &p, 0, 0, ds, NULL);
	run_add_hook(first, &count_hook, NULL);
	run_next_task(first, a, NULL);
	ok(run_save(first, path, NULL) == PL_OK, "a run with a hook saves a checkpoint");
	run_new(&resumed, &p, 0, 0, ds, NULL);
	run_add_hook(resumed, &count_hook, NULL);
	ok(run_restore(resumed, path, NULL) == PL_OK,
	   "... and restores it into a run with the hook");
	for (int t = 1; t < 3; t++) {
		run_next_task(resumed, b, NULL);
		same &= memcmp(run_result(resumed, t), run_result(whole, t),
		               offsetof(struct task_result, seconds)) == 0;
	}
	ok(same, "the resumed run with its hook state equals the whole run (%ld steps)",
	   steps);
	{
		struct run *nohook;
		char *cause = NULL;

		run_new(&nohook, &p, 0, 0, ds, NULL);
		ok(run_restore(nohook, path, &cause) == PL_ERR_DATA && cause != NULL &&
		           strstr(cause, "holds 2 state buffers, this run keeps 1") !=
		                   NULL,
		   "a checkpoint with hook state is refused by a run without it: %s",
		   cause ? cause : "");
		free(cause);
		run_free(nohook);
	}
	unlink(path);
	run_free(whole);
	run_free(first);
	run_free(resumed);
	run_free(plain);
	free(a);
	free(b);
}

/* The optimizer table drives names, choices and which keys apply. */
/* --- remedies (cures.h) ------------------------------------------------- */

/* Train run (method m of p, run 0) through all its tasks; its final weights
 * into a new buffer, its results appended to res (tasks of them). */
static float *train_all(const struct preset *p, int m, const struct dataset *ds,
                        const struct hook_desc *extra, const void *arg,
                        struct task_result **res)
{
	struct run *r;
	float *w;

	run_new(&r, p, m, 0, ds, NULL);
	if (extra != NULL)
		run_add_hook(r, extra, arg);
	for (int t = 0; t < p->tasks; t++) {
		res[t] = xmalloc(task_result_size(p));
		run_next_task(r, res[t], NULL);
	}
	w = xalloc_floats(mlp_nparams(run_mlp(r)));
	memcpy(w, mlp_params((struct mlp *)run_mlp(r)),
	       mlp_nparams(run_mlp(r)) * sizeof(float));
	run_free(r);
	return w;
}

/* Every cure at its neutral setting trains plain SGD's numbers bit for bit:
 * shrink 1 with perturb 0 (hook run at every step and task), ReDo with tau 0
 * below every score (no unit silent on the whole probe set), continual
 * backprop at rate 0 (its utilities kept, nothing replaced). */
static void test_neutral(void)
{
	struct preset p = small_preset();
	struct dataset noise = {0}, *ds = &noise;
	struct task_result *plain[3], *other[3];
	struct method neutral;
	float *w0, *w;
	size_t n;
	struct run *tmp;
	static const char *const what[] = {"shrink & perturb (1, 0) after every step",
	                                   "shrink & perturb (1, 0) before every task",
	                                   "ReDo, tau 0, every 7 steps and at task end",
	                                   "continual backprop, rate 0, maturity 0"};

	p.nmethods = 1;
	p.methods[0].momentum = 0.9; /* optimizer state a reset would zero */
	p.methods[0].lr = 0.001;
	/* One hidden layer of 16 and seed 2: no unit silent on the probe set at
	 * any ReDo pass (the check redo_reset == 0 below says so); a layer fed
	 * by ReLUs, whose inputs are all positive, has some from the start. */
	p.nhidden = 1;
	p.hidden[0] = 16;
	p.seed = 2;
	/* Pixels uniform and independent: every unit's input varies enough
	 * that none is silent on the whole probe set (the class prototypes of
	 * make_split leave some units dead from the start). */
	for (int k = 0; k < 2; k++) {
		struct idx_split *sp = k ? &noise.test : &noise.train;
		struct rng r;

		rng_seed(&r, 17 + (uint64_t)k, 0, 0);
		sp->n = k ? 200 : 500;
		sp->pixels = xmalloc((size_t)sp->n * IDX_PIXELS);
		sp->labels = xmalloc(sp->n);
		for (uint32_t i = 0; i < sp->n; i++)
			sp->labels[i] = (uint8_t)(i % IDX_CLASSES);
		for (size_t i = 0; i < (size_t)sp->n * IDX_PIXELS; i++)
			sp->pixels[i] = (uint8_t)rng_below(&r, 256);
	}
	noise.name = xstrdup("noise");
	noise.dir = xstrdup("(memory)");
	run_new(&tmp, &p, 0, 0, ds, NULL);
	n = mlp_nparams(run_mlp(tmp));
	run_free(tmp);
	w0 = train_all(&p, 0, ds, NULL, NULL, plain);
	for (int c = 0; c < 4; c++) {
		int same, counted = 1;

		neutral = p.methods[0];
		neutral.shrink_perturb_at = c == 1 ? CURE_AT_TASK : CURE_AT_STEP;
		neutral.redo = c == 2 ? REDO_STEPS : REDO_NONE;
		neutral.redo_every = 7;
		neutral.redo_tau = 0.0;
		neutral.cbp_maturity = 0;
		w = train_all(&p, 0, ds,
		              c < 2    ? &cure_shrink_perturb
		              : c == 2 ? &cure_redo
		                       : &cure_cbp,
		              &neutral, other);
		same = memcmp(w, w0, n * sizeof(float)) == 0;
		for (int t = 0; t < 3; t++) {
			same &= memcmp(plain[t], other[t],
			               offsetof(struct task_result, seconds)) == 0;
			counted &= c == 2 ? other[t]->redo_reset == 0 &&
			                            other[t]->redo_dormant == 0
			           : c == 3 ? other[t]->cbp_replaced == 0
			                    : isnan(other[t]->redo_reset) &&
			                              isnan(other[t]->cbp_replaced);
			free(other[t]);
		}
		ok(same && counted, "%s: plain sgd's weights and results bit for bit",
		   what[c]);
		free(w);
	}
	for (int t = 0; t < 3; t++)
		free(plain[t]);
	free(w0);
	dataset_free(&noise);
}

/* A network of 4 inputs, hidden layers of 6 and 5, 3 outputs, with units 1
 * and 4 of the first hidden layer and unit 2 of the second made dead (zero
 * incoming weights, bias -1), and momentum state everywhere. */
static void dead_net(struct mlp **out, struct optim **o, struct method *cfg, float *x,
                     int n)
{
	static const int sizes[] = {4, 6, 5, 3};
	static const int dead[][2] = {{1, 1}, {1, 4}, {2, 2}};
	struct mlp *m = mlp_new(3, sizes, 64);
	struct state_buf st[OPTIM_MAX_BUFS];
	struct rng r;

	rng_seed(&r, 42, 0, 0);
	mlp_init(m, &r);
	for (int d = 0; d < 3; d++) {
		int l = dead[d][0], j = dead[d][1];

		for (int i = 0; i < sizes[l - 1]; i++)
			mlp_params(m)[mlp_weight_index(m, l - 1, j, i)] = 0.0f;
		mlp_params(m)[mlp_bias_offset(m, l - 1) + (size_t)j] = -1.0f;
	}
	/* Every other unit positive on every example: biases of 0.5 and
	 * inputs in [0, 1) make them active, so no live unit scores 0. */
	for (int l = 1; l < 3; l++)
		for (int j = 0; j < sizes[l]; j++)
			if (mlp_params(m)[mlp_bias_offset(m, l - 1) + (size_t)j] != -1.0f)
				mlp_params(m)[mlp_bias_offset(m, l - 1) + (size_t)j] =
				        0.5f;
	for (int i = 0; i < n * 4; i++)
		x[i] = rng_uniform(&r);
	method_defaults(cfg, OPTIM_SGD);
	cfg->momentum = 0.9;
	*o = optim_new(cfg, mlp_nparams(m));
	optim_state(*o, st, OPTIM_MAX_BUFS);
	for (size_t i = 0; i < st[0].n; i++)
		st[0].data[i] = 1.0f;
	*out = m;
}

/* Whether flat index i belongs to hidden unit j of hidden layer l: its
 * incoming weights and bias, or its outgoing weights. */
static int of_unit(const struct mlp *m, size_t i, int l, int j)
{
	for (int k = 0; k < mlp_size(m, l - 1); k++)
		if (i == mlp_weight_index(m, l - 1, j, k))
			return 1;
	if (i == mlp_bias_offset(m, l - 1) + (size_t)j)
		return 1;
	for (int k = 0; k < mlp_size(m, l + 1); k++)
		if (i == mlp_weight_index(m, l, k, j))
			return 2;
	return 0;
}

static void test_redo_constructed(void)
{
	struct mlp *m;
	struct optim *o;
	struct method cfg;
	struct state_buf st[OPTIM_MAX_BUFS];
	float x[32 * 4], *before;
	struct task_result res;
	struct hook h = {.desc = &cure_redo};
	struct hook_ctx c;
	int right = 1, others = 1, state = 1, inbound = 1;
	size_t n;

	dead_net(&m, &o, &cfg, x, 32);
	n = mlp_nparams(m);
	before = xalloc_floats(n);
	memcpy(before, mlp_params(m), n * sizeof(float));
	cfg.redo = REDO_TASK;
	cfg.redo_tau = 0.0;
	h.arg = &cfg;
	c = (struct hook_ctx){.mlp = m,
	                      .optim = o,
	                      .seed = 1,
	                      .step = 10,
	                      .probe_x = x,
	                      .nprobe = 32,
	                      .res = &res};
	cure_redo.before_task(&h, &c);
	cure_redo.after_task(&h, &c);
	optim_state(o, st, OPTIM_MAX_BUFS);
	for (size_t i = 0; i < n; i++) {
		int u = of_unit(m, i, 1, 1) | of_unit(m, i, 1, 4) | of_unit(m, i, 2, 2);
		float w = mlp_params(m)[i];

		/* A weight both out of a reset unit and into one (layer 1 to
		 * unit 2 of layer 2) is drawn afresh: layers reset in order. */
		if (u & 1)
			inbound &= fabsf(w) <= 0.5f + 1e-6f && w != before[i];
		else if (u == 2)
			right &= w == 0.0f;
		else
			others &= w == before[i];
		state &= u ? st[0].data[i] == 0.0f : st[0].data[i] == 1.0f;
	}
	ok(right && inbound && others && state && res.redo_reset == 3,
	   "ReDo, tau 0: resets exactly the 3 units made dead (incoming weights and bias "
	   "drawn within 1/sqrt(fan_in), outgoing 0, their momentum zeroed) and leaves "
	   "every other weight and state as it was (%g reset)",
	   res.redo_reset);
	{
		/* Right after: scores on the same probe set, recomputed here. */
		double a[11];
		int dormant = 0;

		unit_mean_abs(m, x, 32, a);
		probe_scores(a, 6);
		probe_scores(a + 6, 5);
		for (int k = 0; k < 11; k++)
			dormant += a[k] <= 0.0;
		ok(res.redo_revived == 3 - dormant && res.redo_dormant == dormant / 11.0,
		   "... and counts %g revived, %g of the hidden units still dormant "
		   "right after",
		   res.redo_revived, res.redo_dormant);
	}
	free(before);
	optim_free(o);
	mlp_free(m);
}

static void test_cbp_constructed(void)
{
	static const int sizes[] = {4, 10, 3};
	struct mlp *m = mlp_new(2, sizes, 64);
	struct method cfg;
	struct optim *o;
	struct hook h = {.desc = &cure_cbp};
	struct hook_ctx c;
	struct task_result res;
	float x[8 * 4], *before;
	double util[10], mean[10];
	int low[2] = {-1, -1}, replaced = 0, right = 1, bias_ok = 1;
	struct rng r;
	size_t n;

	rng_seed(&r, 7, 0, 0);
	mlp_init(m, &r);
	for (int j = 0; j < 10; j++)
		mlp_params(m)[mlp_bias_offset(m, 0) + (size_t)j] = 0.3f + 0.05f * j;
	for (int i = 0; i < 8 * 4; i++)
		x[i] = rng_uniform(&r);
	n = mlp_nparams(m);
	before = xalloc_floats(n);
	memcpy(before, mlp_params(m), n * sizeof(float));
	/* The reference: utilities in double from the definition, h of the
	 * batch at these weights; on the first step the bias correction
	 * 1 - eta^1 cancels (1 - eta): u = mean|h| mean|w_out|, f = mean h. */
	mlp_forward_only(m, x, 8);
	for (int j = 0; j < 10; j++) {
		double ah = 0.0, sh = 0.0, out = 0.0;

		for (int b = 0; b < 8; b++) {
			ah += fabs((double)mlp_activation(m, 1)[b * 10 + j]);
			sh += mlp_activation(m, 1)[b * 10 + j];
		}
		for (int k = 0; k < 3; k++)
			out += fabs((double)before[mlp_weight_index(m, 1, k, j)]);
		util[j] = ah / 8 * out / 3;
		mean[j] = sh / 8;
	}
	for (int q = 0; q < 2; q++)
		for (int j = 0; j < 10; j++)
			if (j != low[0] && (low[q] < 0 || util[j] < util[low[q]]))
				low[q] = j;
	method_defaults(&cfg, OPTIM_SGD);
	cfg.cbp_rate = 0.25; /* 0.25 x 10 eligible = 2.5: two now, 0.5 carried */
	cfg.cbp_maturity = 0;
	o = optim_new(&cfg, n);
	h.arg = &cfg;
	cure_cbp.init(&h, m);
	c = (struct hook_ctx){
	        .mlp = m, .optim = o, .seed = 1, .step = 1, .x = x, .B = 8, .res = &res};
	cure_cbp.before_task(&h, &c);
	cure_cbp.after_step(&h, &c);
	for (int j = 0; j < 10; j++) {
		int gone = mlp_params(m)[mlp_weight_index(m, 1, 0, j)] == 0.0f &&
		           mlp_params(m)[mlp_weight_index(m, 1, 1, j)] == 0.0f;

		replaced += gone;
		right &= gone == (j == low[0] || j == low[1]);
	}
	for (int k = 0; k < 3; k++) {
		double want = before[mlp_bias_offset(m, 1) + (size_t)k];

		for (int q = 0; q < 2; q++)
			want += before[mlp_weight_index(m, 1, k, low[q])] * mean[low[q]];
		bias_ok &= fabs(mlp_params(m)[mlp_bias_offset(m, 1) + (size_t)k] - want) <
		           1e-6;
	}
	ok(replaced == 2 && right && res.cbp_replaced == 2 &&
	           fabsf(h.state[3].data[0] - 0.5f) < 1e-7f,
	   "continual backprop, rate 0.25, 10 eligible: replaces floor(2.5) = 2 units, "
	   "those of lowest utility (%d and %d), and carries 0.5",
	   low[0], low[1]);
	ok(bias_ok, "... and the next layer's bias absorbs their mean contribution");
	hook_release(&h);
	free(before);
	optim_free(o);
	mlp_free(m);
}

/* Shrink & perturb on a network of 784 -> 300 -> 10 (235,500 weights in
 * its first layer): w' = p w exactly without noise; with it, (w' - p w) / s
 * has the distribution asked for: U(-b, b), b = 1/sqrt(fan_in) (mean 0,
 * variance b^2/3), or N(0, 1) (mean 0, variance 1, kurtosis 3); the task
 * form leaves task 0 alone and draws anew for each task. */
static void test_shrink_perturb(void)
{
	static const int sizes[] = {IDX_PIXELS, 300, 10};
	struct mlp *m = mlp_new(2, sizes, 1);
	size_t n = mlp_nparams(m), nw = (size_t)IDX_PIXELS * 300;
	float *w0 = xalloc_floats(n), *w1 = xalloc_floats(n);
	struct hook h = {.desc = &cure_shrink_perturb};
	struct method cfg;
	struct task_result res;
	struct hook_ctx c = {.mlp = m, .seed = 3, .step = 1, .res = &res};
	struct rng r;
	int exact = 1;
	double b = 1.0 / sqrt(IDX_PIXELS);

	rng_seed(&r, 1, 0, 0);
	mlp_init(m, &r);
	memcpy(w0, mlp_params(m), n * sizeof(float));
	method_defaults(&cfg, OPTIM_SGD);
	cfg.shrink = 0.5;
	h.arg = &cfg;
	cure_shrink_perturb.after_step(&h, &c);
	for (size_t i = 0; i < n; i++)
		exact &= mlp_params(m)[i] == 0.5f * w0[i];
	ok(exact, "shrink 0.5, perturb 0: every weight and bias halved exactly");
	for (int normal = 0; normal < 2; normal++) {
		double s1 = 0, s2 = 0, s4 = 0, lo = 1e9, hi = -1e9, mean, var;

		memcpy(mlp_params(m), w0, n * sizeof(float));
		cfg.shrink = 0.9;
		cfg.perturb = 2.0;
		cfg.perturb_dist = normal ? PERTURB_NORMAL : PERTURB_INIT;
		cure_shrink_perturb.after_step(&h, &c);
		for (size_t i = 0; i < nw; i++) {
			double e = (mlp_params(m)[i] - 0.9 * w0[i]) / 2.0;

			s1 += e;
			s2 += e * e;
			lo = fmin(lo, e);
			hi = fmax(hi, e);
		}
		mean = s1 / nw;
		var = s2 / nw - mean * mean;
		for (size_t i = 0; i < nw; i++) {
			double e = (mlp_params(m)[i] - 0.9 * w0[i]) / 2.0 - mean;

			s4 += e * e * e * e;
		}
		if (!normal)
			ok(lo >= -b * 1.0001 && hi <= b * 1.0001 && hi > 0.999 * b &&
			           fabs(mean) < 0.01 * b &&
			           fabs(var / (b * b / 3) - 1) < 0.01,
			   "perturb_dist init: eps in [-b, b], b = 1/sqrt(784), mean "
			   "%.2g b, "
			   "variance %.4f b^2/3",
			   mean / b, var / (b * b / 3));
		else
			ok(fabs(mean) < 0.01 && fabs(var - 1) < 0.01 &&
			           fabs(s4 / nw / (var * var) - 3) < 0.05,
			   "perturb_dist normal: eps has mean %.3f, variance %.4f, "
			   "kurtosis "
			   "%.3f (N(0, 1): 0, 1, 3)",
			   mean, var, s4 / nw / (var * var));
	}
	memcpy(mlp_params(m), w0, n * sizeof(float));
	cfg.shrink_perturb_at = CURE_AT_TASK;
	c.task = 0;
	cure_shrink_perturb.before_task(&h, &c);
	cure_shrink_perturb.after_step(&h, &c);
	exact = memcmp(mlp_params(m), w0, n * sizeof(float)) == 0;
	c.task = 1;
	cure_shrink_perturb.before_task(&h, &c);
	memcpy(w1, mlp_params(m), n * sizeof(float));
	memcpy(mlp_params(m), w0, n * sizeof(float));
	c.task = 2;
	cure_shrink_perturb.before_task(&h, &c);
	ok(exact && memcmp(w1, w0, n * sizeof(float)) != 0 &&
	           memcmp(w1, mlp_params(m), n * sizeof(float)) != 0,
	   "shrink_perturb_at task: nothing before task 1 or after a step; before "
	   "tasks 2 and 3, different noise");
	free(w0);
	free(w1);
	mlp_free(m);
}

/* from_scratch: task t of the run equals a one-task run from the fresh
 * network (seed, t), written out here from the definitions: init, the
 * task's batch order, optimizer steps, the test set. */
static void test_scratch(const struct dataset *ds)
{
	struct preset p = small_preset();
	struct task_result *res[3];
	struct task_stream *ts;
	int same = 1, sizes[4] = {IDX_PIXELS, 32, 16, 10};
	float *w;

	p.nmethods = 1;
	p.methods[0].from_scratch = 1;
	p.methods[0].momentum = 0.9;
	w = train_all(&p, 0, ds, NULL, NULL, res);
	task_stream_new(&ts, &p, ds, p.seed, NULL);
	for (int t = 0; t < 3; t++) {
		const struct task *task = task_stream_get(ts, t);
		struct mlp *m = mlp_new(3, sizes, 500);
		struct optim *o = optim_new(&p.methods[0], mlp_nparams(m));
		uint32_t *order = xmalloc(task->ntrain * sizeof(uint32_t));
		float *x = xalloc_floats(500 * IDX_PIXELS);
		uint8_t y[500];
		long correct = 0;
		struct rng r;

		rng_seed(&r, p.seed, RNG_STREAM_INIT, (uint64_t)t);
		mlp_init(m, &r);
		memcpy(order, task->train, task->ntrain * sizeof(uint32_t));
		rng_seed(&r, p.seed, RNG_STREAM_ORDER, (uint64_t)t << 20);
		rng_shuffle_u32(&r, order, task->ntrain);
		for (uint32_t b = 0; b < task->ntrain; b += 16) {
			int B = task->ntrain - b < 16 ? (int)(task->ntrain - b) : 16;

			task_gather(task, &ds->train, order + b, B, x, y);
			optim_step(o, m, x, y, B);
		}
		task_gather(task, &ds->test, task->test, (int)task->ntest, x, y);
		correct = mlp_evaluate(m, x, y, (int)task->ntest, NULL);
		same &= res[t]->test_acc == (double)correct / task->ntest;
		if (t == 2)
			same &= memcmp(w, mlp_params(m),
			               mlp_nparams(m) * sizeof(float)) == 0;
		free(order);
		free(x);
		optim_free(o);
		mlp_free(m);
		free(res[t]);
	}
	ok(same, "from_scratch: every task's accuracy (and the last task's weights) is a "
	         "one-task run's from the fresh network (seed, task)");
	task_stream_free(ts);
	free(w);
}

/* Every cure at once, and each form apart: resumed from a checkpoint after
 * task 1, a run ends with the uninterrupted one's weights and results. */
static void test_cures_resume(const struct dataset *ds)
{
	struct preset p = small_preset();
	char path[] = "/tmp/pl-cure-XXXXXX";
	int fd = mkstemp(path);
	struct method *m = p.methods;

	close(fd);
	p.nmethods = 5;
	for (int k = 0; k < 5; k++) {
		method_defaults(&m[k], k == 1   ? OPTIM_SAM
		                       : k == 4 ? OPTIM_GNP
		                                : OPTIM_SGD);
		m[k].lr = 0.05;
	}
	m[0].base = BASE_ADAM; /* adam, l2-init, s&p per step, redo per steps, cbp */
	m[0].lr = 0.001;
	m[0].l2_init = 0.01;
	m[0].shrink = 0.999;
	m[0].perturb = 0.01;
	m[0].redo = REDO_STEPS;
	m[0].redo_every = 10;
	m[0].cbp_rate = 0.01;
	m[0].cbp_maturity = 5;
	m[1].momentum = 0.9; /* sam, s&p per task (normal), redo per task */
	m[1].shrink = 0.5;
	m[1].perturb = 0.01;
	m[1].perturb_dist = PERTURB_NORMAL;
	m[1].shrink_perturb_at = CURE_AT_TASK;
	m[1].redo = REDO_TASK;
	m[1].redo_tau = 0.5;
	m[2].from_scratch = 1;
	m[2].base = BASE_ADAM;
	m[2].lr = 0.001;
	m[3].cbp_rate = 0.05;
	m[3].cbp_maturity = 3;
	m[3].momentum = 0.9;
	m[4].layer_norm = 1; /* gnp, layer norm + weight decay, redo per task */
	m[4].weight_decay = 0.001;
	m[4].redo = REDO_TASK;
	m[4].redo_tau = 0.3;
	for (int k = 0; k < 5; k++) {
		struct task_result *whole[3], *res = xmalloc(task_result_size(&p));
		float *w = train_all(&p, k, ds, NULL, NULL, whole);
		struct run *a, *b;
		int same = 1, acted = 0;

		run_new(&a, &p, k, 0, ds, NULL);
		run_next_task(a, res, NULL);
		run_save(a, path, NULL);
		run_free(a);
		run_new(&b, &p, k, 0, ds, NULL);
		same &= run_restore(b, path, NULL) == PL_OK;
		for (int t = 1; t < 3; t++) {
			run_next_task(b, res, NULL);
			same &= memcmp(res, whole[t],
			               offsetof(struct task_result, seconds)) == 0 &&
			        memcmp(&res->dead, &whole[t]->dead,
			               offsetof(struct task_result, nseen) -
			                       offsetof(struct task_result, dead)) == 0;
		}
		same &= memcmp(w, mlp_params((struct mlp *)run_mlp(b)),
		               mlp_nparams(run_mlp(b)) * sizeof(float)) == 0;
		for (int t = 0; t < 3; t++) {
			acted +=
			        (whole[t]->redo_reset > 0) + (whole[t]->cbp_replaced > 0);
			free(whole[t]);
		}
		ok(same && (k == 2 || acted > 0),
		   "method %d (%s): resumed after task 1, the run ends with the "
		   "uninterrupted one's weights and results, every diagnostic and cure "
		   "counter bit for bit (%d tasks with resets)",
		   k,
		   k == 0   ? "adam + l2-init + s&p per step + redo per 10 steps + cbp"
		   : k == 1 ? "sam + momentum + s&p per task, normal noise + redo at "
		              "task end"
		   : k == 2 ? "from scratch, adam"
		   : k == 3 ? "cbp + momentum"
		            : "gnp + layer norm + weight decay + redo at task end",
		   acted);
		run_free(b);
		free(res);
		free(w);
	}
	unlink(path);
}

static void test_optim_table(void)
{
	ok(strcmp(optim_choices, "sgd|sam|gnp") == 0,
	   "schema choices come from the table: %s", optim_choices);
	ok(optim_takes(OPTIM_SAM, "rho") && !optim_takes(OPTIM_SGD, "rho") &&
	           !optim_takes(OPTIM_SAM, "lambda") && optim_takes(OPTIM_GNP, "r") &&
	           optim_takes(OPTIM_SGD, "lr") && optim_takes(OPTIM_GNP, "momentum"),
	   "which method keys apply follows from each optimizer's own key list");
	for (int o = 0; o < optim_count; o++) {
		struct method m;
		char label[128];

		method_defaults(&m, (enum optimizer)o);
		method_label(&m, label, sizeof(label));
		ok(strncmp(label, optim_descs[o]->name, strlen(optim_descs[o]->name)) ==
		                   0 &&
		           optim_desc((enum optimizer)o) == optim_descs[o],
		   "label of %s from its descriptor: %s", optim_descs[o]->name, label);
	}
}

/* The cost model behind the progress bar, the ETA and the estimate. */
static void test_cost(const struct dataset *ds)
{
	struct preset p;
	double sgd, sam, gnp, e1, e2, rates[OPTIM_RATES + 1] = {0}, train, test;

	preset_defaults(&p);
	p.nmethods = 3;
	method_defaults(&p.methods[0], OPTIM_SGD);
	method_defaults(&p.methods[1], OPTIM_SAM);
	method_defaults(&p.methods[2], OPTIM_GNP);
	p.hidden[0] = p.hidden[1] = p.hidden[2] = 32;
	sgd = session_task_cost(&p, 0, ds);
	sam = session_task_cost(&p, 1, ds);
	gnp = session_task_cost(&p, 2, ds);
	/* 500 training images, 200 test: 3 x 500 + 200 and 2 x 3 x 500 + 200. */
	ok(sgd == 1700 && sam == 3200 && gnp == 3200,
	   "task cost: SGD 3 x 500 + 200 = %g, SAM and GNP two gradient passes: %g, %g",
	   sgd, sam, gnp);
	p.setting = SETTING_CLASS;
	p.accuracy_matrix = 1;
	p.tasks = 10;
	p.epochs = 2;
	session_task_work(&p, 0, ds, &train, &test);
	ok(train == 3 * 100 * 2 && test == 40 * 5.5,
	   "class task: a fifth of the images, 2 epochs (%g); the matrix tests (T + 1) / "
	   "2 "
	   "tasks on average (%g)",
	   train, test);
	p.setting = SETTING_DOMAIN;
	p.accuracy_matrix = 0;
	p.epochs = 1;
	e1 = estimate_seconds(&p, ds, 1, rates);
	p.runs *= 2;
	e2 = estimate_seconds(&p, ds, 1, rates);
	ok(e1 > 0 && rates[OPTIM_SGD] > 0 && rates[OPTIM_SAM] > 0 &&
	           rates[OPTIM_RATES] > 0 && fabs(e2 - 2 * e1) < 1e-9 * e1,
	   "estimate: measured rates (SGD %.0f, SAM %.0f, test %.0f per s), twice the "
	   "runs "
	   "twice the time (%.3g s, %.3g s)",
	   rates[OPTIM_SGD], rates[OPTIM_SAM], rates[OPTIM_RATES], e1, e2);
	ok(fabs(estimate_seconds(&p, ds, 2, rates) - e2 / 2) < 1e-9 * e2,
	   "... shared by 2 workers, half the time");
	{
		double all = estimate_seconds(&p, ds, 1000, rates), one = 0.0;
		struct method m_sam = p.methods[1], m_gnp = p.methods[2];

		/* More workers than runs: as long as the longest run (SAM or GNP). */
		p.nmethods = 1;
		p.runs = 1;
		p.methods[0] = m_sam;
		one = estimate_seconds(&p, ds, 1, rates);
		p.methods[0] = m_gnp;
		one = fmax(one, estimate_seconds(&p, ds, 1, rates));
		ok(fabs(all - one) < 1e-9 * one,
		   "... and with more workers than runs, the longest run's time (%.3g s)",
		   one);
	}
	{
		struct results res;
		struct task_result *c;
		double two, left;

		/* Resumed: run 1 done, run 2 diverged at task 1, run 3 untouched. */
		p.runs = 3;
		p.tasks = 2;
		two = estimate_seconds(&p, ds, 1, rates) / 3;
		results_init(&res, &p);
		c = xcalloc(1, res.cell_size);
		for (int t = 0; t < 2; t++) {
			c->task = t;
			results_put(&res, 0, 0, c);
		}
		c->task = 0;
		c->diverged = 1;
		results_put(&res, 0, 1, c);
		left = estimate_remaining(&p, ds, &res, 2, rates);
		ok(fabs(left - two) < 1e-9 * two,
		   "a resume's estimate: only the run still to train (%.3g s of %.3g s)",
		   left, 3 * two);
		free(c);
		results_free(&res);
	}
	preset_free(&p);
}

int main(void)
{
	struct dataset ds = {0};

	ds.name = xstrdup("generated");
	ds.dir = xstrdup("(memory)");
	make_split(&ds.train, 500, 1);
	make_split(&ds.test, 200, 2);
	test_streams(&ds);
	gather_check(&ds);
	test_grid(&ds);
	test_paths(&ds);
	test_relay(&ds);
	test_stop(&ds);
	test_hooks(&ds);
	test_neutral();
	test_redo_constructed();
	test_cbp_constructed();
	test_shrink_perturb();
	test_scratch(&ds);
	test_cures_resume(&ds);
	test_optim_table();
	test_cost(&ds);
	dataset_free(&ds);
	return tap_done();
}

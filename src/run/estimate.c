/*
 * estimate.c - how long a grid will take, before it starts (session.h):
 * each optimizer's training rate is measured on this machine, the best of
 * three 20 ms bursts of steps of the preset's own network and batch size on
 * random inputs, and
 * the grid's cost (session_task_cost) divided by it and by the workers.
 */
#include <stdlib.h>

#include "plasticity/blas.h"
#include "plasticity/mlp.h"
#include "plasticity/optim.h"
#include "plasticity/results.h"
#include "plasticity/session.h"
#include "plasticity/util.h"

#define CALIBRATE_SECONDS 0.02 /* per burst */
#define CALIBRATE_STEPS   200
#define CALIBRATE_BURSTS  3
#define TEST_CHUNK        500 /* train.c's EVAL_CHUNK */

/* The preset's network, initialized, and a batch of B random inputs and labels. */
struct bench {
	struct mlp *m;
	float *x;   /* (B, 784) */
	uint8_t *y; /* (B) */
	int B;
};

static void bench_new(struct bench *b, const struct preset *p, int B)
{
	int sizes[PRESET_MAX_HIDDEN + 2], n = p->nhidden + 1;
	struct rng r;

	sizes[0] = 784;
	for (int i = 0; i < p->nhidden; i++)
		sizes[i + 1] = p->hidden[i];
	sizes[n] = p->setting == SETTING_CLASS ? 2 : 10;
	b->m = mlp_new(n, sizes, B);
	b->B = B;
	rng_seed(&r, 1, 0, 0);
	mlp_init(b->m, &r);
	b->x = xalloc_floats((size_t)B * 784);
	b->y = xmalloc((size_t)B);
	/* One pixel in five nonzero, as in an MNIST image (19%): the
	 * small-batch path skips the rest, so dense inputs would be timed 3x
	 * too slow. */
	for (size_t i = 0; i < (size_t)B * 784; i++)
		b->x[i] = rng_below(&r, 5) == 0 ? rng_uniform(&r) : 0.0f;
	for (int i = 0; i < B; i++)
		b->y[i] = (uint8_t)rng_below(&r, (uint32_t)sizes[n]);
}

static void bench_free(struct bench *b)
{
	free(b->x);
	free(b->y);
	mlp_free(b->m);
}

/*
 * Calls of fn (one step, or one test chunk) per second: the best of a few
 * short bursts, since another process only ever slows one down. The first
 * call warms the caches and the allocator and is not counted.
 */
static double calls_per_second(void (*fn)(struct bench *, struct optim *),
                               struct bench *b, struct optim *o)
{
	double best = 0.0, start = pl_now();

	fn(b, o);
	/* A huge network is timed on a call or two, not seconds of them: the
	 * UI waits for this. */
	for (int burst = 0;
	     burst < CALIBRATE_BURSTS &&
	     (burst == 0 || pl_now() - start < CALIBRATE_BURSTS * CALIBRATE_SECONDS);
	     burst++) {
		double t0 = pl_now(), dt;
		int calls = 0;

		while (calls < CALIBRATE_STEPS &&
		       (calls < 1 || pl_now() - t0 < CALIBRATE_SECONDS)) {
			fn(b, o);
			calls++;
		}
		dt = pl_now() - t0;
		if (dt > 0 && calls / dt > best)
			best = calls / dt;
	}
	return best;
}

static void one_step(struct bench *b, struct optim *o)
{
	optim_step(o, b->m, b->x, b->y, b->B);
}

static void one_test(struct bench *b, struct optim *o)
{
	(void)o;
	mlp_forward_only(b->m, b->x, b->B);
}

double estimate_rate(const struct preset *p, int method)
{
	const struct optim_desc *d = optim_desc(p->methods[method].optimizer);
	struct bench b;
	struct optim *o;
	double steps;

	blas_init(); /* one thread, as the grid's workers run */
	bench_new(&b, p, p->batch_size);
	o = optim_new(&p->methods[method], mlp_nparams(b.m));
	steps = calls_per_second(one_step, &b, o);
	optim_free(o);
	bench_free(&b);
	return steps * 3.0 * p->batch_size * (d != NULL ? d->passes : 1);
}

double estimate_test_rate(const struct preset *p)
{
	struct bench b;
	double chunks;

	blas_init();
	bench_new(&b, p, TEST_CHUNK);
	chunks = calls_per_second(one_test, &b, NULL);
	bench_free(&b);
	return chunks * TEST_CHUNK;
}

/* Seconds one task of method m takes here; fills rates[] as it measures. */
static double task_seconds(const struct preset *p, const struct dataset *ds, int m,
                           double *rates)
{
	int o = (int)p->methods[m].optimizer;
	double train, test;

	if (o < 0 || o >= OPTIM_RATES)
		return -1.0;
	/* One measurement per optimizer: its methods differ only in values. */
	if (rates[o] <= 0.0)
		rates[o] = estimate_rate(p, m);
	/* The last slot is the test sets' forward rate. */
	if (rates[OPTIM_RATES] <= 0.0)
		rates[OPTIM_RATES] = estimate_test_rate(p);
	if (rates[o] <= 0.0 || rates[OPTIM_RATES] <= 0.0)
		return -1.0;
	session_task_work(p, m, ds, &train, &test);
	return train / rates[o] + test / rates[OPTIM_RATES];
}

/*
 * The runs still to train (none done when res is NULL; a run that finished
 * or diverged is over), spread over the workers one run each: their sum
 * over min(jobs, runs left), and never less than the longest of them.
 */
static double grid_seconds(const struct preset *p, const struct dataset *ds,
                           const struct results *res, int jobs, double *rates)
{
	double total = 0.0, longest = 0.0;
	int left = 0;

	for (int m = 0; m < p->nmethods; m++) {
		double ts = task_seconds(p, ds, m, rates);

		if (ts < 0)
			return -1.0;
		for (int r = 0; r < p->runs; r++) {
			int todo = p->tasks;

			if (res != NULL && results_run_over(res, m, r))
				continue;
			for (int t = 0; res != NULL && t < p->tasks; t++)
				todo -= results_get(res, m, r, t) != NULL;
			total += ts * todo;
			longest = ts * todo > longest ? ts * todo : longest;
			left++;
		}
	}
	if (left == 0)
		return 0.0;
	total /= jobs < left ? jobs : left;
	return total > longest ? total : longest;
}

double estimate_seconds(const struct preset *p, const struct dataset *ds, int jobs,
                        double *rates)
{
	double own[OPTIM_RATES + 1] = {0};

	return grid_seconds(p, ds, NULL, jobs, rates != NULL ? rates : own);
}

double estimate_remaining(const struct preset *p, const struct dataset *ds,
                          const struct results *res, int jobs, double *rates)
{
	double own[OPTIM_RATES + 1] = {0};

	return grid_seconds(p, ds, res, jobs, rates != NULL ? rates : own);
}

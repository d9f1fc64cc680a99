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
	for (size_t i = 0; i < (size_t)B * 784; i++)
		b->x[i] = rng_uniform(&r);
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
	double best = 0.0;

	fn(b, o);
	for (int burst = 0; burst < CALIBRATE_BURSTS; burst++) {
		double t0 = pl_now(), dt;
		int calls = 0;

		while (calls < CALIBRATE_STEPS &&
		       (calls < 3 || pl_now() - t0 < CALIBRATE_SECONDS)) {
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

double estimate_seconds(const struct preset *p, const struct dataset *ds, int jobs,
                        double *rates)
{
	double own[OPTIM_RATES + 1] = {0}, seconds = 0.0, train, test;
	int units = p->nmethods * p->runs;

	rates = rates != NULL ? rates : own;
	/* The last slot is the test sets' forward rate. */
	if (rates[OPTIM_RATES] <= 0.0)
		rates[OPTIM_RATES] = estimate_test_rate(p);
	if (rates[OPTIM_RATES] <= 0.0)
		return -1.0;
	for (int m = 0; m < p->nmethods; m++) {
		int o = (int)p->methods[m].optimizer;

		/* One measurement per optimizer: its methods differ only in values. */
		if (o < 0 || o >= OPTIM_RATES)
			return -1.0;
		if (rates[o] <= 0.0)
			rates[o] = estimate_rate(p, m);
		if (rates[o] <= 0.0)
			return -1.0;
		session_task_work(p, m, ds, &train, &test);
		seconds += (train / rates[o] + test / rates[OPTIM_RATES]) * p->tasks *
		           p->runs;
	}
	return seconds / (jobs < units ? jobs : units);
}

double estimate_remaining(const struct preset *p, const struct dataset *ds,
                          const struct results *res, int jobs)
{
	double all = 0.0, left = 0.0, sec = estimate_seconds(p, ds, jobs, NULL);

	if (sec < 0 || res == NULL)
		return sec;
	for (int m = 0; m < p->nmethods; m++) {
		double c = session_task_cost(p, m, ds);

		for (int r = 0; r < p->runs; r++)
			for (int t = 0; t < p->tasks; t++) {
				all += c;
				left += results_get(res, m, r, t) == NULL ? c : 0.0;
			}
	}
	return all > 0 ? sec * left / all : sec;
}

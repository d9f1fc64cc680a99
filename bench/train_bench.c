/*
 * train_bench.c - training throughput through the engine's own code path.
 *
 *   train_bench [--examples N] [--jobs-scaling] BATCH H1 H2 ...
 *
 * For SGD, SAM and GNP it trains one run of one domain task through
 * run_next_task (the function every grid worker calls) on MNIST when it can
 * be found (else on generated images of the same size) and prints
 *   optimizer samples_per_s gflops perm_eval_percent
 * perm_eval_percent is the share of the task's time spent gathering
 * permuted inputs and evaluating the test set. With --jobs-scaling it then
 * trains 4 SGD runs with 1 and with 2 workers and prints both throughputs.
 * With --generic every step takes the generic path (mini-batch gradient
 * through sgemm, then the update), as before the small-batch path. With
 * --live it also prints, after SGD, "live F0 F1 ...": the share of nonzero
 * inputs of each layer after training (the rows the small-batch path must
 * read at batch 1). With --diagnostics it prints what the probe costs against one task of
 * that size (SGD, diagnostics none): "diag TASK_S DEFAULT_S HESSIAN_S ITERS".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/grid.h"
#include "plasticity/preset_io.h"
#include "plasticity/idx.h"
#include "plasticity/mlp.h"
#include "plasticity/optim.h"
#include "plasticity/probe.h"
#include "plasticity/rng.h"
#include "plasticity/task.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

static void fake_split(struct idx_split *s, uint32_t n)
{
	struct rng r;

	rng_seed(&r, 7, 0, 0);
	s->n = n;
	s->pixels = xmalloc((size_t)n * IDX_PIXELS);
	s->labels = xmalloc(n);
	for (size_t i = 0; i < (size_t)n * IDX_PIXELS; i++)
		s->pixels[i] = (uint8_t)rng_below(&r, 256);
	for (uint32_t i = 0; i < n; i++)
		s->labels[i] = (uint8_t)(i % 10);
}

static void load_data(struct dataset *ds)
{
	char *dir = dataset_locate("mnist", NULL, NULL, NULL, NULL), *cause = NULL;

	if (dir != NULL && dataset_load(ds, "mnist", dir, &cause) == PL_OK) {
		fprintf(stderr, "train_bench: MNIST from %s\n", dir);
	} else {
		fprintf(stderr, "train_bench: no MNIST, using generated images\n");
		ds->name = xstrdup("generated");
		ds->dir = xstrdup("-");
		fake_split(&ds->train, 60000);
		fake_split(&ds->test, 10000);
	}
	free(dir);
	free(cause);
}

/* Seconds to gather every training example of a permuted task once. */
static double gather_seconds(const struct preset *p, const struct dataset *ds)
{
	struct task_stream *ts;
	const struct task *t;
	float *x = xalloc_floats((size_t)p->batch_size * IDX_PIXELS);
	uint8_t *y = xmalloc((size_t)p->batch_size);
	double t0;
	uint32_t n;

	task_stream_new(&ts, p, ds, p->seed, NULL);
	t = task_stream_get(ts, 0);
	n = t->ntrain;
	t0 = pl_now();
	for (uint32_t i = 0; i + (uint32_t)p->batch_size <= n;
	     i += (uint32_t)p->batch_size)
		task_gather(t, &ds->train, t->train + i, p->batch_size, x, y);
	t0 = pl_now() - t0;
	task_stream_free(ts);
	free(x);
	free(y);
	return t0;
}

/*
 * The share of nonzero inputs of each layer of r's network after training
 * (pixels for the first, ReLU outputs for the others) over 1,000 training
 * examples of its task: the rows the small-batch path reads at batch 1.
 */
static void live_fractions(struct run *r, const struct preset *p,
                           const struct dataset *ds)
{
	struct mlp *m = (struct mlp *)run_mlp(r);
	struct task_stream *ts;
	const struct task *t;
	int L = mlp_nlayers(m), mb = mlp_max_batch(m), n = 1000;
	float *x = xalloc_floats((size_t)mb * IDX_PIXELS);
	uint8_t *y = xmalloc((size_t)mb);
	double live[MLP_MAX_LAYERS] = {0};

	task_stream_new(&ts, p, ds, run_seed(r), NULL);
	t = task_stream_get(ts, 0);
	for (int i = 0; i < n; i += mb) {
		int B = n - i < mb ? n - i : mb;

		task_gather(t, &ds->train, t->train + i, B, x, y);
		mlp_forward_only(m, x, B);
		for (int l = 0; l < L; l++) {
			const float *a = l == 0 ? x : mlp_activation(m, l);

			for (size_t k = 0; k < (size_t)B * mlp_size(m, l); k++)
				live[l] += a[k] != 0.0f;
		}
	}
	printf("live");
	for (int l = 0; l < L; l++)
		printf(" %.4f", live[l] / ((double)n * mlp_size(m, l)));
	printf("\n");
	task_stream_free(ts);
	free(x);
	free(y);
}

static double grid_rate(const struct preset *p, const struct dataset *ds, int jobs)
{
	struct grid *g = grid_new(p, ds, jobs);
	struct grid_event ev;
	double t0 = pl_now(), samples = 0;

	grid_start(g);
	grid_join(g);
	t0 = pl_now() - t0;
	while (grid_next_event(g, &ev)) {
		if (ev.type == GRID_EV_TASK)
			samples += (double)ev.result->samples;
		free(ev.result);
		free(ev.message);
	}
	grid_free(g);
	return samples / t0;
}

/* The probe's cost on the default set and on lambda_max (1,000 examples),
 * against the time of one task of p's size, trained and tested. */
static void diagnostics_cost(struct preset *p, const struct dataset *ds, const int *sizes,
                             int n)
{
	struct task_result *res = xmalloc(task_result_size(p));
	struct mlp *m = mlp_new(n, sizes, 500);
	struct probe *pr = probe_new(m, 1000);
	struct probe_cfg cfg = {PROBE_DEFAULT, 0.1, 0.05, 20, 10, 1, 0};
	struct probe_result out;
	float *x = xalloc_floats((size_t)1000 * IDX_PIXELS);
	uint8_t y[1000];
	struct run *r;
	struct rng rng;
	double t0, t_default, t_hessian;

	method_defaults(&p->methods[0], OPTIM_SGD);
	run_new(&r, p, 0, 0, ds, NULL);
	run_next_task(r, res, NULL);
	rng_seed(&rng, 1, RNG_STREAM_INIT, 0);
	mlp_init(m, &rng);
	for (int i = 0; i < 1000; i++) {
		for (int j = 0; j < IDX_PIXELS; j++)
			x[(size_t)i * IDX_PIXELS + j] =
			        ds->train.pixels[(size_t)i * IDX_PIXELS + j] / 255.0f;
		y[i] = ds->train.labels[i];
	}
	probe_run(pr, m, x, y, 1000, NULL, &cfg, &out); /* warm up */
	t0 = pl_now();
	for (int k = 0; k < 5; k++)
		probe_run(pr, m, x, y, 1000, NULL, &cfg, &out);
	t_default = (pl_now() - t0) / 5;
	cfg.metrics = PROBE_HESSIAN;
	t0 = pl_now();
	probe_run(pr, m, x, y, 1000, NULL, &cfg, &out);
	t_hessian = pl_now() - t0;
	printf("diag %.4f %.4f %.4f %d\n", res->seconds, t_default, t_hessian,
	       out.hessian_iters);
	run_free(r);
	probe_free(pr);
	mlp_free(m);
	free(x);
	free(res);
}

int main(int argc, char **argv)
{
	static const enum optimizer opts[] = {OPTIM_SGD, OPTIM_SAM, OPTIM_GNP};
	struct dataset ds = {0};
	struct preset p;
	int examples = 20000, scaling = 0, diag = 0, live = 0, a = 1,
	    sizes[MLP_MAX_LAYERS + 1], n = 0;
	struct mlp *probe;

	for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
		if (strcmp(argv[a], "--examples") == 0 && a + 1 < argc)
			examples = atoi(argv[++a]);
		else if (strcmp(argv[a], "--jobs-scaling") == 0)
			scaling = 1;
		else if (strcmp(argv[a], "--diagnostics") == 0)
			diag = 1;
		else if (strcmp(argv[a], "--generic") == 0)
			optim_fused_limit(0);
		else if (strcmp(argv[a], "--live") == 0)
			live = 1;
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: train_bench [--examples N] [--jobs-scaling] "
		                "BATCH H1 ...\n");
		return 64;
	}
	blas_init();
	load_data(&ds);
	preset_defaults(&p);
	snprintf(p.name, sizeof(p.name), "bench");
	p.batch_size = atoi(argv[a++]);
	p.nhidden = 0;
	sizes[n++] = IDX_PIXELS;
	for (; a < argc && p.nhidden < PRESET_MAX_HIDDEN; a++)
		sizes[n++] = p.hidden[p.nhidden++] = atoi(argv[a]);
	sizes[n] = 10;
	probe = mlp_new(n, sizes, 1);
	p.tasks = 1;
	p.runs = 1;
	p.train_examples = examples;
	p.nmethods = 1;
	/* Throughput and perm+eval are about training: no probing here. */
	snprintf(p.diagnostics, sizeof(p.diagnostics), "none");
	if (diag) {
		diagnostics_cost(&p, &ds, sizes, n);
		mlp_free(probe);
		dataset_free(&ds);
		return 0;
	}
	/* Warm up (untimed): a tenth of a task of SGD, so the first optimizer
	 * measured does not pay for first touches of the data and a cold CPU. */
	{
		struct task_result *res = xmalloc(task_result_size(&p));
		int keep = p.train_examples;
		struct run *r;

		p.train_examples = examples / 10 > 0 ? examples / 10 : 1;
		method_defaults(&p.methods[0], OPTIM_SGD);
		run_new(&r, &p, 0, 0, &ds, NULL);
		run_next_task(r, res, NULL);
		run_free(r);
		free(res);
		p.train_examples = keep;
	}
	for (int k = 0; k < 3; k++) {
		struct task_result *res = xmalloc(task_result_size(&p));
		struct run *r;
		double gather;

		method_defaults(&p.methods[0], opts[k]);
		run_new(&r, &p, 0, 0, &ds, NULL);
		run_next_task(r, res, NULL);
		gather = gather_seconds(&p, &ds);
		printf("%s %.0f %.2f %.2f\n", optimizer_name(opts[k]), res->samples_per_s,
		       res->samples_per_s * mlp_flops_per_example(probe) *
		               (opts[k] == OPTIM_SGD ? 1 : 2) * 1e-9,
		       100.0 * (res->seconds - res->train_seconds + gather) /
		               res->seconds);
		if (live && k == 0)
			live_fractions(r, &p, &ds);
		run_free(r);
		free(res);
	}
	if (scaling) {
		method_defaults(&p.methods[0], OPTIM_SGD);
		p.runs = 4;
		printf("jobs1 %.0f\n", grid_rate(&p, &ds, 1));
		printf("jobs2 %.0f\n", grid_rate(&p, &ds, 2));
	}
	mlp_free(probe);
	dataset_free(&ds);
	return 0;
}

/*
 * train.c - one run: its network, optimizer and task stream, trained task
 * by task.
 *
 * Run i of a preset uses seed = preset seed + i for everything random
 * (initial weights, permutations, batch order), and no randomness depends on
 * the optimizer, so run i of every method sees the same data in the same
 * order: methods differ only by how they step.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/cures.h"
#include "plasticity/hook.h"
#include "plasticity/mlp.h"
#include "plasticity/optim.h"
#include "plasticity/probe.h"
#include "plasticity/rng.h"
#include "plasticity/task.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

/* Examples evaluated per forward pass; large enough to keep GEMMs efficient. */
#define EVAL_CHUNK    500
#define RUN_MAX_HOOKS 8
/* State buffers a checkpoint can carry: the optimizer's and every hook's. */
#define RUN_MAX_STATE (OPTIM_MAX_BUFS + RUN_MAX_HOOKS * HOOK_MAX_STATE)

struct run {
	const struct preset *p;
	const struct method *method;
	const struct dataset *ds;
	uint64_t seed;
	int done;
	int chunk; /* rows of x and y */
	struct mlp *mlp;
	struct optim *optim;
	struct task_stream *tasks;
	uint32_t *order; /* (ds->train.n) this epoch's example order */
	float *x;        /* (chunk, IDX_PIXELS) mini-batch */
	uint8_t *y;      /* (chunk) */
	int method_index, run_index;
	unsigned char *results; /* (tasks, task_result_size) what each task produced */
	long steps;             /* optimizer steps so far */
	long online_correct;    /* this task: examples right before their step */
	unsigned probe_metrics; /* PROBE_* asked for by the preset */
	struct probe *probe;    /* NULL without diagnostics */
	float *probe_x;         /* (probe_examples, IDX_PIXELS) the task's probe set, */
	uint8_t *probe_y;       /* gathered at its start; NULL when neither the
	                           diagnostics nor a hook (ReDo) reads it */
	float *init;            /* (nparams) the initial parameters, for dist_init */
	struct hook hooks[RUN_MAX_HOOKS];
	int nhooks;
};

static void probe_set_alloc(struct run *r)
{
	if (r->probe_x != NULL)
		return;
	r->probe_x = xalloc_floats((size_t)r->p->probe_examples * IDX_PIXELS);
	r->probe_y = xmalloc((size_t)r->p->probe_examples);
}

/* The probe workspace, when the preset asks for diagnostics. */
static void probe_setup(struct run *r)
{
	char bad[48];

	if (probe_metrics_parse(r->p->diagnostics, &r->probe_metrics, bad, sizeof(bad)) !=
	    0)
		r->probe_metrics = 0; /* refused when the preset was loaded */
	if (r->probe_metrics == 0 && r->p->hessian_every == 0)
		return;
	r->probe = probe_new(r->mlp, r->p->probe_examples);
	probe_set_alloc(r);
	r->init = xalloc_floats(mlp_nparams(r->mlp));
	memcpy(r->init, mlp_params(r->mlp), mlp_nparams(r->mlp) * sizeof(float));
}

/* The network of task t's start: the run's initial one (t = 0), or with
 * from_scratch a fresh one drawn from (seed, t), the same for every method;
 * everything the run carries from task to task is then zeroed too, so the
 * task trains as a one-task run from that network would. */
static void run_init_net(struct run *r, int t)
{
	struct rng rng;

	rng_seed(&rng, r->seed, RNG_STREAM_INIT, (uint64_t)t);
	mlp_init(r->mlp, &rng);
	optim_set_init(r->optim, mlp_params(r->mlp));
	if (t == 0)
		return;
	optim_reset(r->optim);
	for (int h = 0; h < r->nhooks; h++)
		for (int i = 0; i < r->hooks[h].nstate; i++)
			memset(r->hooks[h].state[i].data, 0,
			       r->hooks[h].state[i].n * sizeof(float));
	if (r->init != NULL)
		memcpy(r->init, mlp_params(r->mlp), mlp_nparams(r->mlp) * sizeof(float));
}

enum pl_status run_new(struct run **out, const struct preset *p, int method,
                       int run_index, const struct dataset *ds, char **cause)
{
	struct run *r = xcalloc(1, sizeof(*r));
	int sizes[MLP_MAX_LAYERS + 1], n = 0;
	enum pl_status st;

	r->p = p;
	r->method = &p->methods[method];
	r->ds = ds;
	r->seed = p->seed + (uint64_t)run_index;
	st = task_stream_new(&r->tasks, p, ds, r->seed, cause);
	if (st != PL_OK) {
		free(r);
		return st;
	}
	sizes[n++] = IDX_PIXELS;
	for (int i = 0; i < p->nhidden; i++)
		sizes[n++] = p->hidden[i];
	sizes[n] = task_stream_classes(r->tasks);
	r->chunk = p->batch_size > EVAL_CHUNK ? p->batch_size : EVAL_CHUNK;
	r->mlp = mlp_new_norm(n, sizes, r->chunk, r->method->layer_norm);
	r->optim = optim_new(r->method, mlp_nparams(r->mlp));
	run_init_net(r, 0);
	r->order = xmalloc((size_t)ds->train.n * sizeof(uint32_t));
	r->method_index = method;
	r->run_index = run_index;
	r->results = xcalloc((size_t)p->tasks, task_result_size(p));
	r->x = xalloc_floats((size_t)r->chunk * IDX_PIXELS);
	r->y = xmalloc((size_t)r->chunk);
	probe_setup(r);
	for (int c = 0; c < ncures; c++)
		if (cures[c].wants(r->method))
			run_add_hook(r, cures[c].hook, r->method);
	*out = r;
	return PL_OK;
}

void run_add_hook(struct run *r, const struct hook_desc *d, const void *arg)
{
	struct hook *h;

	if (r->nhooks >= RUN_MAX_HOOKS) {
		fprintf(stderr, "plasticity: more than %d hooks on a run\n",
		        RUN_MAX_HOOKS);
		abort();
	}
	h = &r->hooks[r->nhooks++];
	*h = (struct hook){.desc = d, .arg = arg};
	if (d->init != NULL)
		d->init(h, r->mlp);
	if (d->probe)
		probe_set_alloc(r);
}

void run_free(struct run *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < r->nhooks; i++)
		hook_release(&r->hooks[i]);
	probe_free(r->probe);
	free(r->probe_x);
	free(r->probe_y);
	free(r->init);
	mlp_free(r->mlp);
	optim_free(r->optim);
	task_stream_free(r->tasks);
	free(r->order);
	free(r->x);
	free(r->y);
	free(r->results);
	free(r);
}

int run_tasks_total(const struct run *r)
{
	return task_stream_count(r->tasks);
}

int run_tasks_done(const struct run *r)
{
	return r->done;
}

uint64_t run_seed(const struct run *r)
{
	return r->seed;
}

size_t task_result_size(const struct preset *p)
{
	size_t n = sizeof(struct task_result) +
	           (p->accuracy_matrix ? (size_t)p->tasks * sizeof(float) : 0);

	/* Results are stored back to back in arrays: keep each one aligned. */
	return (n + _Alignof(struct task_result) - 1) &
	       ~(_Alignof(struct task_result) - 1);
}

/* Test accuracy of the current network on task (its whole test set). */
static double run_test(struct run *r, const struct task *task)
{
	long correct = 0;

	for (uint32_t i = 0; i < task->ntest; i += (uint32_t)r->chunk) {
		int B = (int)(task->ntest - i < (uint32_t)r->chunk ? task->ntest - i
		                                                   : (uint32_t)r->chunk);

		task_gather(task, &r->ds->test, task->test + i, B, r->x, r->y);
		correct += mlp_evaluate(r->mlp, r->x, r->y, B, NULL);
	}
	return task->ntest ? (double)correct / task->ntest : 0.0;
}

/* The probe set's size: the task's first probe_examples training examples. */
static int probe_count(const struct preset *p, const struct task *task)
{
	return (int)(task->ntrain < (uint32_t)p->probe_examples
	                     ? task->ntrain
	                     : (uint32_t)p->probe_examples);
}

/* Diagnostics after training on task (probe.h), into res; NAN when not
 * measured. The probe set (gathered at the task's start) is the task's first
 * probe_examples training examples in dataset order; the Hessian ones only every
 * hessian_every tasks. Untimed: it is not training. */
static void run_probe(struct run *r, const struct task *task, int diverged,
                      struct task_result *res)
{
	const struct preset *p = r->p;
	struct probe_cfg cfg = {r->probe_metrics & ~(PROBE_HESSIAN | PROBE_TRACE),
	                        p->dormant_tau,
	                        p->sharpness_rho,
	                        p->hessian_iters,
	                        10,
	                        r->seed,
	                        (uint64_t)task->index};
	struct probe_result out;
	int n = probe_count(p, task);

	if (r->method->optimizer == OPTIM_SAM)
		cfg.rho = r->method->rho;
	if (p->hessian_every > 0 && (task->index + 1) % p->hessian_every == 0)
		cfg.metrics |= PROBE_HESSIAN | (r->probe_metrics & PROBE_TRACE);
	if (r->probe == NULL || diverged || cfg.metrics == 0) {
		probe_result_nan(&out);
	} else {
		probe_run(r->probe, r->mlp, r->probe_x, r->probe_y, n, r->init, &cfg,
		          &out);
	}
	for (int l = 0; l < p->nhidden; l++) {
		res->dead[l] = out.dead[l];
		res->dormant[l] = out.dormant[l];
		res->erank[l] = out.erank[l];
		res->arank[l] = out.arank[l];
	}
	for (int l = 0; l <= p->nhidden; l++)
		res->wmag[l] = out.wmag[l];
	res->dist_init = out.dist_init;
	res->grad_norm = out.grad_norm;
	res->sharpness = out.sharpness;
	res->lambda_max = out.lambda_max;
	res->hessian_trace = out.trace;
	res->probe_loss = out.loss;
	res->probe_acc = out.acc;
}

/* One pass over the task's training set in the order drawn for this epoch. */
static enum pl_status run_epoch(struct run *r, const struct task *task, int epoch,
                                const struct run_ctl *hooks, struct hook_ctx *hc,
                                double *loss_sum, long *batches, int *diverged)
{
	int bs = r->p->batch_size;
	int nb = (int)((task->ntrain + (uint32_t)bs - 1) / (uint32_t)bs);
	struct rng rng;

	memcpy(r->order, task->train, task->ntrain * sizeof(uint32_t));
	rng_seed(&rng, r->seed, RNG_STREAM_ORDER,
	         ((uint64_t)task->index << 20) | (uint64_t)epoch);
	rng_shuffle_u32(&rng, r->order, task->ntrain);
	for (int b = 0; b < nb; b++) {
		uint32_t start = (uint32_t)b * (uint32_t)bs;
		int B = (int)(task->ntrain - start < (uint32_t)bs ? task->ntrain - start
		                                                  : (uint32_t)bs);
		float loss;

		if (hooks && hooks->stop && atomic_load(hooks->stop))
			return PL_ERR_INTERRUPTED;
		task_gather(task, &r->ds->train, r->order + start, B, r->x, r->y);
		mlp_count_next(r->mlp);
		loss = optim_step(r->optim, r->mlp, r->x, r->y, B);
		r->online_correct += mlp_counted(r->mlp);
		r->steps++;
		hc->step = r->steps;
		hc->x = r->x;
		hc->B = B;
		for (int h = 0; h < r->nhooks; h++)
			if (r->hooks[h].desc->after_step != NULL)
				r->hooks[h].desc->after_step(&r->hooks[h], hc);
		if (!isfinite(loss)) {
			*diverged = 1;
			return PL_OK;
		}
		*loss_sum += loss;
		++*batches;
		if (hooks && hooks->on_batch)
			hooks->on_batch(hooks->arg, epoch * nb + b + 1,
			                r->p->epochs * nb);
	}
	return PL_OK;
}

enum pl_status run_next_task(struct run *r, struct task_result *res,
                             const struct run_ctl *hooks)
{
	const struct task *task = task_stream_get(r->tasks, r->done);
	double t0 = pl_now(), t1, loss_sum = 0.0;
	long batches = 0;
	int diverged = 0;

	struct hook_ctx hc = {.mlp = r->mlp,
	                      .optim = r->optim,
	                      .seed = r->seed,
	                      .step = r->steps,
	                      .task = r->done,
	                      .probe_x = r->probe_x,
	                      .res = res};

	memset(res, 0, task_result_size(r->p));
	res->redo_reset = res->redo_revived = res->redo_dormant = NAN;
	res->cbp_replaced = NAN;
	r->online_correct = 0;
	res->task = r->done;
	res->digit_a = task->digit_a;
	res->digit_b = task->digit_b;
	if (r->method->from_scratch && r->done > 0)
		run_init_net(r, r->done);
	if (r->probe_x != NULL) {
		hc.nprobe = probe_count(r->p, task);
		task_gather(task, &r->ds->train, task->train, hc.nprobe, r->probe_x,
		            r->probe_y);
	}
	for (int h = 0; h < r->nhooks; h++)
		if (r->hooks[h].desc->before_task != NULL)
			r->hooks[h].desc->before_task(&r->hooks[h], &hc);
	for (int e = 0; e < r->p->epochs && !diverged; e++) {
		enum pl_status st =
		        run_epoch(r, task, e, hooks, &hc, &loss_sum, &batches, &diverged);

		if (st != PL_OK)
			return st;
	}
	for (int h = 0; h < r->nhooks && !diverged; h++)
		if (r->hooks[h].desc->after_task != NULL)
			r->hooks[h].desc->after_task(&r->hooks[h], &hc);
	t1 = pl_now();
	res->samples = (long long)task->ntrain * r->p->epochs;
	res->train_seconds = t1 - t0;
	res->samples_per_s =
	        res->train_seconds > 0 ? res->samples / res->train_seconds : 0;
	res->diverged = diverged;
	res->train_loss = diverged ? NAN : loss_sum / (batches ? batches : 1);
	res->test_acc = diverged ? NAN : run_test(r, task);
	res->online_acc = res->samples ? (double)r->online_correct / res->samples : NAN;
	run_probe(r, task, diverged, res);
	if (r->p->accuracy_matrix && !diverged) {
		for (int j = 0; j < r->done; j++)
			res->acc_seen[j] =
			        (float)run_test(r, task_stream_get(r->tasks, j));
		res->acc_seen[r->done] = (float)res->test_acc;
		res->nseen = r->done + 1;
	}
	res->seconds = pl_now() - t0;
	memcpy(r->results + (size_t)r->done * task_result_size(r->p), res,
	       task_result_size(r->p));
	r->done++;
	return PL_OK;
}

const struct task_result *run_result(const struct run *r, int task)
{
	return (const void *)(r->results + (size_t)task * task_result_size(r->p));
}

/*
 * Checkpoint file: a header (magic, version, method, run, tasks done,
 * optimizer steps, seed, parameter count, number of state buffers, result
 * size, and every key that shapes the run's numbers), the weights, each
 * state buffer (its name, length and floats: the optimizer's, then each
 * hook's, in order), the results of the tasks done, and an FNV-1a checksum
 * of all of it. Native byte order: a checkpoint resumes on the machine that
 * wrote it. Nothing else is needed: every random stream is derived from
 * (seed, task).
 */
#define CKPT_NCFG 64
#define CKPT_NAME 32

struct ckpt_header {
	char magic[8];
	uint32_t version;
	int32_t method, run, done;
	int64_t steps;
	uint64_t seed, nparams;
	uint32_t nstate, result_size;
	double cfg[CKPT_NCFG]; /* ckpt_config(): what the run was configured with */
};

struct ckpt_state {
	char name[CKPT_NAME];
	uint64_t n;
};

/*
 * Every key that shapes a run's numbers, in a fixed order: a checkpoint is
 * restored only into a run configured the same, and a difference is named.
 * Returns the count (<= CKPT_NCFG); names may be NULL.
 */
static int ckpt_config(const struct run *r, double *v, const char **names)
{
	const struct method *m = r->method;
	const struct preset *p = r->p;
	const char *dummy[CKPT_NCFG];
	int n = 0;

	names = names ? names : dummy;
#define PUT(name, x) (names[n] = (name), v[n++] = (double)(x))
	PUT("optimizer", m->optimizer);
	PUT("lr", m->lr);
	PUT("rho", m->rho);
	PUT("adaptive", m->adaptive);
	PUT("lambda", m->lambda);
	PUT("r", m->r);
	PUT("momentum", m->momentum);
	PUT("weight_decay", m->weight_decay);
	PUT("setting", p->setting);
	PUT("tasks", p->tasks);
	PUT("train_examples", p->train_examples);
	PUT("first_unpermuted", p->first_unpermuted);
	PUT("shuffle_pairs", p->shuffle_pairs);
	PUT("accuracy_matrix", p->accuracy_matrix);
	PUT("batch_size", p->batch_size);
	PUT("epochs", p->epochs);
	PUT("hidden (layers)", p->nhidden);
	for (int i = 0; i < p->nhidden; i++)
		PUT("hidden (a width)", p->hidden[i]);
	PUT("exact", m->exact);
	PUT("base", m->base);
	PUT("beta1", m->beta1);
	PUT("beta2", m->beta2);
	PUT("eps", m->eps);
	PUT("l2_init", m->l2_init);
	PUT("shrink", m->shrink);
	PUT("perturb", m->perturb);
	PUT("perturb_dist", m->perturb_dist);
	PUT("shrink_perturb_at", m->shrink_perturb_at);
	PUT("redo", m->redo);
	PUT("redo_every", m->redo_every);
	PUT("redo_tau", m->redo_tau);
	PUT("cbp_rate", m->cbp_rate);
	PUT("cbp_decay", m->cbp_decay);
	PUT("cbp_maturity", m->cbp_maturity);
	PUT("from_scratch", m->from_scratch);
	PUT("probe_examples", p->probe_examples); /* ReDo scores on the probe set */
	PUT("layer_norm", m->layer_norm);
#undef PUT
	return n;
}

/* Every state buffer a checkpoint carries: the optimizer's, then the hooks'. */
static int run_state(const struct run *r, struct state_buf *out)
{
	int n = optim_state(r->optim, out, RUN_MAX_STATE);

	for (int h = 0; h < r->nhooks; h++)
		for (int i = 0; i < r->hooks[h].nstate; i++)
			out[n++] = r->hooks[h].state[i];
	return n;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void ckpt_header(const struct run *r, struct ckpt_header *h)
{
	struct state_buf st[RUN_MAX_STATE];

	memset(h, 0, sizeof(*h));
	/* Version 5: the remedies' keys and result columns (cures.h); version 4
	 * had weights input-major (mlp.h), version 3 held them (out, in). */
	memcpy(h->magic, "PLCKPT5", 8);
	h->version = 5;
	h->method = r->method_index;
	h->run = r->run_index;
	h->done = r->done;
	h->steps = r->steps;
	h->seed = r->seed;
	h->nparams = mlp_nparams(r->mlp);
	h->nstate = (uint32_t)run_state(r, st);
	h->result_size = (uint32_t)task_result_size(r->p);
	ckpt_config(r, h->cfg, NULL);
}

/* PL_OK when h was written for a run configured as r; else the first key
 * that differs, named in *cause. */
static enum pl_status ckpt_check_config(const struct run *r, const struct ckpt_header *h,
                                        const char *path, char **cause)
{
	const char *names[CKPT_NCFG];
	double want[CKPT_NCFG];
	int n = ckpt_config(r, want, names);

	for (int i = 0; i < n; i++)
		if (memcmp(&h->cfg[i], &want[i], sizeof(double)) != 0)
			return pl_fail(
			        cause, PL_ERR_DATA,
			        "%s: written for a run with %s %.9g, this run has %.9g "
			        "(a checkpoint of another preset)",
			        path, names[i], h->cfg[i], want[i]);
	return PL_OK;
}

static void ckpt_write(FILE *fp, uint64_t *sum, const void *data, size_t n)
{
	*sum = fnv1a(*sum, data, n);
	fwrite(data, 1, n, fp);
}

const struct mlp *run_mlp(const struct run *r)
{
	return r->mlp;
}

const uint16_t *run_last_perm(const struct run *r)
{
	return r->done > 0 ? task_stream_get(r->tasks, r->done - 1)->perm : NULL;
}

/* The checkpoint's bytes to fp (run_save's format, checksum last). */
static void ckpt_emit(const struct run *r, FILE *fp)
{
	struct ckpt_header h;
	struct state_buf st[RUN_MAX_STATE];
	uint64_t sum = 0xcbf29ce484222325ULL;
	int nst = run_state(r, st);

	ckpt_header(r, &h);
	ckpt_write(fp, &sum, &h, sizeof(h));
	ckpt_write(fp, &sum, mlp_params(r->mlp), mlp_nparams(r->mlp) * sizeof(float));
	for (int i = 0; i < nst; i++) {
		struct ckpt_state cs = {.n = st[i].n};

		snprintf(cs.name, sizeof(cs.name), "%s", st[i].name);
		ckpt_write(fp, &sum, &cs, sizeof(cs));
		ckpt_write(fp, &sum, st[i].data, st[i].n * sizeof(float));
	}
	ckpt_write(fp, &sum, r->results, (size_t)r->done * h.result_size);
	fwrite(&sum, sizeof(sum), 1, fp);
}

enum pl_status run_save(const struct run *r, const char *path, char **cause)
{
	struct atomic_file af;
	enum pl_status status = atomic_open(&af, path, cause);

	if (status != PL_OK)
		return status;
	ckpt_emit(r, af.fp);
	return atomic_commit(&af, cause);
}

void *run_save_mem(const struct run *r, size_t *n)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, n);

	if (fp == NULL)
		abort();
	ckpt_emit(r, fp);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

/* Read n bytes into buf, adding them to the checksum; 0 when short. */
static int ckpt_read(FILE *fp, uint64_t *sum, void *buf, size_t n)
{
	if (fread(buf, 1, n, fp) != n)
		return 0;
	*sum = fnv1a(*sum, buf, n);
	return 1;
}

/* The header, checked against what r expects. */
static enum pl_status ckpt_read_header(struct run *r, FILE *fp, uint64_t *sum,
                                       struct ckpt_header *h, const char *path,
                                       char **cause)
{
	struct ckpt_header want;

	ckpt_header(r, &want);
	if (!ckpt_read(fp, sum, h, sizeof(*h)) || memcmp(h->magic, "PLCKPT", 6) != 0)
		return pl_fail(cause, PL_ERR_DATA, "%s: not a plasticity checkpoint",
		               path);
	if (memcmp(h->magic, want.magic, 8) != 0 || h->version != want.version)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: a checkpoint of another plasticity version (format "
		               "%.8s, this one reads %.8s)",
		               path, h->magic, want.magic);
	if (h->method != want.method || h->run != want.run || h->seed != want.seed ||
	    h->nparams != want.nparams || h->result_size != want.result_size ||
	    h->done < 0 || h->done > r->p->tasks || h->steps < 0)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: checkpoint does not match the run's preset", path);
	if (ckpt_check_config(r, h, path, cause) != PL_OK)
		return PL_ERR_DATA;
	if (h->nstate != want.nstate)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: holds %u state buffers, this run keeps %u", path,
		               h->nstate, want.nstate);
	return PL_OK;
}

/* Each state buffer into a scratch copy (committed only if all is well). */
static enum pl_status ckpt_read_state(FILE *fp, uint64_t *sum, const struct state_buf *st,
                                      int nst, float **copy, const char *path,
                                      char **cause)
{
	for (int i = 0; i < nst; i++) {
		struct ckpt_state cs;

		if (!ckpt_read(fp, sum, &cs, sizeof(cs)))
			return pl_fail(cause, PL_ERR_DATA, "%s: truncated checkpoint",
			               path);
		cs.name[CKPT_NAME - 1] = '\0';
		if (strcmp(cs.name, st[i].name) != 0 || cs.n != st[i].n)
			return pl_fail(cause, PL_ERR_DATA,
			               "%s: state buffer %d is '%s' (%llu floats), this "
			               "run keeps "
			               "'%s' (%zu)",
			               path, i + 1, cs.name, (unsigned long long)cs.n,
			               st[i].name, st[i].n);
		copy[i] = xalloc_floats(st[i].n);
		if (!ckpt_read(fp, sum, copy[i], st[i].n * sizeof(float)))
			return pl_fail(cause, PL_ERR_DATA, "%s: truncated checkpoint",
			               path);
	}
	return PL_OK;
}

/* Restore from fp (named path in messages); fp stays open. */
static enum pl_status ckpt_restore(struct run *r, FILE *fp, const char *path,
                                   char **cause)
{
	struct ckpt_header h;
	struct state_buf st[RUN_MAX_STATE];
	float *copy[RUN_MAX_STATE] = {NULL}, *w = xalloc_floats(mlp_nparams(r->mlp));
	size_t n = mlp_nparams(r->mlp) * sizeof(float);
	uint64_t sum = 0xcbf29ce484222325ULL, stored;
	int nst = run_state(r, st);
	unsigned char *res = NULL;
	enum pl_status status;

	if ((status = ckpt_read_header(r, fp, &sum, &h, path, cause)) != PL_OK)
		goto out;
	status = PL_ERR_DATA;
	if (!ckpt_read(fp, &sum, w, n)) {
		pl_fail(cause, status, "%s: truncated checkpoint", path);
		goto out;
	}
	if ((status = ckpt_read_state(fp, &sum, st, nst, copy, path, cause)) != PL_OK)
		goto out;
	status = PL_ERR_DATA;
	res = xcalloc((size_t)h.done + 1, h.result_size);
	if (!ckpt_read(fp, &sum, res, (size_t)h.done * h.result_size) ||
	    fread(&stored, sizeof(stored), 1, fp) != 1) {
		pl_fail(cause, status, "%s: truncated checkpoint", path);
		goto out;
	}
	if (sum != stored) {
		pl_fail(cause, status, "%s: checkpoint checksum mismatch", path);
		goto out;
	}
	memcpy(mlp_params(r->mlp), w, n);
	for (int i = 0; i < nst; i++)
		memcpy(st[i].data, copy[i], st[i].n * sizeof(float));
	memcpy(r->results, res, (size_t)h.done * h.result_size);
	r->done = h.done;
	r->steps = h.steps;
	optim_set_steps(r->optim, h.steps);
	status = PL_OK;
out:
	for (int i = 0; i < nst; i++)
		free(copy[i]);
	free(w);
	free(res);
	return status;
}

enum pl_status run_restore(struct run *r, const char *path, char **cause)
{
	FILE *fp = fopen(path, "rb");
	enum pl_status status;

	if (fp == NULL)
		return pl_fail(cause, PL_ERR_NOINPUT, "%s: cannot open: %s", path,
		               strerror(errno));
	status = ckpt_restore(r, fp, path, cause);
	fclose(fp);
	return status;
}

enum pl_status run_restore_mem(struct run *r, const void *buf, size_t n, const char *name,
                               char **cause)
{
	FILE *fp = n > 0 ? fmemopen((void *)buf, n, "rb") : NULL;
	enum pl_status status;

	if (fp == NULL)
		return pl_fail(cause, PL_ERR_DATA, "%s: not a plasticity checkpoint",
		               name);
	status = ckpt_restore(r, fp, name, cause);
	fclose(fp);
	return status;
}

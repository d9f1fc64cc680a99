/*
 * results.c - per-task results of a grid, the plasticity summary, and the
 * CSV files of a run directory.
 *
 * Plasticity loss of a method is the mean test accuracy over the first 10%
 * of tasks minus that over the last 10% (each at least one task), computed
 * per run and then averaged over runs, with the standard error over runs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/results.h"
#include "plasticity/util.h"

void results_init(struct results *res, const struct preset *p)
{
	size_t n = (size_t)p->nmethods * p->runs * p->tasks;

	res->p = p;
	res->nmethods = p->nmethods;
	res->runs = p->runs;
	res->tasks = p->tasks;
	res->cell_size = task_result_size(p);
	res->cells = xcalloc(n, res->cell_size);
	res->done = xcalloc(n, 1);
}

void results_free(struct results *res)
{
	free(res->cells);
	free(res->done);
	res->cells = res->done = NULL;
}

static size_t cell_index(const struct results *res, int method, int run, int task)
{
	return ((size_t)method * res->runs + run) * res->tasks + task;
}

void results_put(struct results *res, int method, int run, const struct task_result *r)
{
	size_t i = cell_index(res, method, run, r->task);

	memcpy(res->cells + i * res->cell_size, r, res->cell_size);
	res->done[i] = 1;
}

const struct task_result *results_get(const struct results *res, int method, int run,
				      int task)
{
	size_t i = cell_index(res, method, run, task);

	return res->done[i] ? (const void *)(res->cells + i * res->cell_size) : NULL;
}

double results_task_mean(const struct results *res, int method, int task, int *nruns)
{
	double sum = 0.0;
	int n = 0;

	for (int r = 0; r < res->runs; r++) {
		const struct task_result *c = results_get(res, method, r, task);

		if (c != NULL && !c->diverged) {
			sum += c->test_acc;
			n++;
		}
	}
	if (nruns != NULL)
		*nruns = n;
	return n ? sum / n : NAN;
}

int results_window(int tasks)
{
	int w = (tasks + 5) / 10;

	return w < 1 ? 1 : w;
}

/* Mean test accuracy of one run over tasks [from, to); NAN unless all are done. */
static double run_mean(const struct results *res, int method, int run, int from, int to)
{
	double sum = 0.0;

	for (int t = from; t < to; t++) {
		const struct task_result *r = results_get(res, method, run, t);

		if (r == NULL || r->diverged)
			return NAN;
		sum += r->test_acc;
	}
	return sum / (to - from);
}

/* Mean and standard error over the finite values of v[0..n). */
static void mean_se(const double *v, int n, double *mean, double *se)
{
	double sum = 0.0, sq = 0.0;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			sum += v[i];
			k++;
		}
	*mean = k ? sum / k : NAN;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i]))
			sq += (v[i] - *mean) * (v[i] - *mean);
	*se = k > 1 ? sqrt(sq / (k - 1) / k) : NAN;
}

void results_summarize(const struct results *res, int method, struct method_summary *s)
{
	int T = res->tasks, w = results_window(T), R = res->runs;
	double *first = xcalloc((size_t)R, sizeof(double)), *last = xcalloc((size_t)R, sizeof(double));
	double *loss = xcalloc((size_t)R, sizeof(double)), *all = xcalloc((size_t)R, sizeof(double));
	double sps = 0.0;
	long nsps = 0;

	memset(s, 0, sizeof(*s));
	for (int r = 0; r < R; r++) {
		double sum = 0.0;
		int n = 0, diverged = 0;

		for (int t = 0; t < T; t++) {
			const struct task_result *c = results_get(res, method, r, t);

			if (c == NULL)
				continue;
			s->tasks_done++;
			diverged |= c->diverged;
			if (c->diverged)
				continue;
			sum += c->test_acc;
			sps += c->samples_per_s;
			n++;
			nsps++;
		}
		s->diverged += diverged;
		s->runs_done += n == T;
		first[r] = run_mean(res, method, r, 0, w);
		last[r] = run_mean(res, method, r, T - w, T);
		loss[r] = first[r] - last[r];
		all[r] = n ? sum / n : NAN;
	}
	mean_se(first, R, &s->first, &s->first_se);
	mean_se(last, R, &s->last, &s->last_se);
	mean_se(loss, R, &s->loss, &s->loss_se);
	mean_se(all, R, &s->mean, &s->mean_se);
	s->samples_per_s = nsps ? sps / nsps : NAN;
	free(first);
	free(last);
	free(loss);
	free(all);
}

/* A number for a CSV cell: empty when not a finite value. */
static void csv_num(FILE *fp, double v, const char *fmt)
{
	fputc(',', fp);
	if (isfinite(v))
		fprintf(fp, fmt, v);
}

static void csv_method(FILE *fp, const struct method *m)
{
	char label[128];

	method_label(m, label, sizeof(label));
	fprintf(fp, "%s,%s,%.9g", label, optimizer_name(m->optimizer), m->lr);
	csv_num(fp, m->optimizer == OPTIM_SAM ? m->rho : NAN, "%.9g");
	csv_num(fp, m->optimizer == OPTIM_GNP ? m->lambda : NAN, "%.9g");
}

enum pl_status results_write_csv(const struct results *res, const char *path, char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	fputs("method,optimizer,lr,rho,lambda,run,seed,task,digits,test_acc,train_loss,"
	      "diverged,seconds,samples_per_s\n",
	      af.fp);
	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++)
			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				if (c == NULL)
					continue;
				csv_method(af.fp, &res->p->methods[m]);
				fprintf(af.fp, ",%d,%llu,%d,", r + 1,
					(unsigned long long)(res->p->seed + (uint64_t)r), t + 1);
				if (c->digit_a >= 0)
					fprintf(af.fp, "%d-%d", c->digit_a, c->digit_b);
				csv_num(af.fp, c->test_acc, "%.6f");
				csv_num(af.fp, c->train_loss, "%.6f");
				fprintf(af.fp, ",%d,%.3f,%.0f\n", c->diverged, c->seconds,
					c->samples_per_s);
			}
	return atomic_commit(&af, cause);
}

enum pl_status results_write_matrix(const struct results *res, const char *path,
				    char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	fputs("method,run,after_task,task,test_acc\n", af.fp);
	for (int m = 0; m < res->nmethods; m++) {
		char label[128];

		method_label(&res->p->methods[m], label, sizeof(label));
		for (int r = 0; r < res->runs; r++)
			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				for (int j = 0; c != NULL && j < c->nseen; j++)
					fprintf(af.fp, "%s,%d,%d,%d,%.6f\n", label, r + 1, t + 1,
						j + 1, c->acc_seen[j]);
			}
	}
	return atomic_commit(&af, cause);
}

enum pl_status results_write_summary(const struct results *res, const char *path,
				     char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	fputs("method,optimizer,lr,rho,lambda,runs_done,tasks_done,first_mean,first_se,"
	      "last_mean,last_se,plasticity_loss,plasticity_loss_se,mean_acc,mean_acc_se,"
	      "samples_per_s,diverged\n",
	      af.fp);
	for (int m = 0; m < res->nmethods; m++) {
		struct method_summary s;

		results_summarize(res, m, &s);
		csv_method(af.fp, &res->p->methods[m]);
		fprintf(af.fp, ",%d,%d", s.runs_done, s.tasks_done);
		csv_num(af.fp, s.first, "%.6f");
		csv_num(af.fp, s.first_se, "%.6f");
		csv_num(af.fp, s.last, "%.6f");
		csv_num(af.fp, s.last_se, "%.6f");
		csv_num(af.fp, s.loss, "%.6f");
		csv_num(af.fp, s.loss_se, "%.6f");
		csv_num(af.fp, s.mean, "%.6f");
		csv_num(af.fp, s.mean_se, "%.6f");
		csv_num(af.fp, s.samples_per_s, "%.0f");
		fprintf(af.fp, ",%d\n", s.diverged);
	}
	return atomic_commit(&af, cause);
}

/* "0.912±0.003", or "-" for a missing value. */
static void fmt_stat(char *buf, size_t len, double mean, double se)
{
	if (!isfinite(mean))
		snprintf(buf, len, "-");
	else if (!isfinite(se))
		snprintf(buf, len, "%.4f", mean);
	else
		snprintf(buf, len, "%.4f±%.4f", mean, se);
}

void results_print_summary(const struct results *res, FILE *fp)
{
	int w = results_window(res->tasks), width = 6;
	char label[128];

	for (int m = 0; m < res->nmethods; m++) {
		method_label(&res->p->methods[m], label, sizeof(label));
		width = (int)strlen(label) > width ? (int)strlen(label) : width;
	}
	fprintf(fp, "%-*s %5s  %-16s %-16s %-16s %-16s %10s\n", width, "method", "runs",
		"first", "last", "loss", "mean", "samples/s");
	for (int m = 0; m < res->nmethods; m++) {
		struct method_summary s;
		char c[4][64];

		results_summarize(res, m, &s);
		method_label(&res->p->methods[m], label, sizeof(label));
		fmt_stat(c[0], sizeof(c[0]), s.first, s.first_se);
		fmt_stat(c[1], sizeof(c[1]), s.last, s.last_se);
		fmt_stat(c[2], sizeof(c[2]), s.loss, s.loss_se);
		fmt_stat(c[3], sizeof(c[3]), s.mean, s.mean_se);
		/* "±" is two bytes but one column: pad by display width. */
		fprintf(fp, "%-*s %5d  %-*s %-*s %-*s %-*s %10.0f", width, label, s.runs_done,
			16 + (strstr(c[0], "±") ? 1 : 0), c[0], 16 + (strstr(c[1], "±") ? 1 : 0),
			c[1], 16 + (strstr(c[2], "±") ? 1 : 0), c[2],
			16 + (strstr(c[3], "±") ? 1 : 0), c[3], s.samples_per_s);
		if (s.diverged)
			fprintf(fp, "  %d diverged", s.diverged);
		fputc('\n', fp);
	}
	fprintf(fp, "first/last: mean test accuracy over the first/last %d of %d tasks "
		    "(± standard error over runs); loss = first - last\n",
		w, res->tasks);
}

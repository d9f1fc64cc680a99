/*
 * compare.c - per-method metrics and paired differences on matched seeds,
 * their files and their table (see compare.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/columns.h"
#include "plasticity/compare.h"
#include "plasticity/preset_io.h"
#include "plasticity/stats.h"
#include "plasticity/util.h"

static const char *const metric_names[COMPARE_METRICS] = {"plasticity_loss", "mean_acc",
                                                          "slope"};

const char *compare_metric_name(int metric)
{
	return metric >= 0 && metric < COMPARE_METRICS ? metric_names[metric] : "?";
}

/* Metric k of run r of method m; NAN unless every task is done, none diverged. */
static double run_metric(const struct results *res, int m, int r, int k)
{
	int T = res->tasks, w = results_window(res->p);
	double *acc = xmalloc((size_t)T * sizeof(double)), *x, v = 0.0;

	for (int t = 0; t < T; t++) {
		const struct task_result *c = results_get(res, m, r, t);

		if (c == NULL || c->diverged) {
			free(acc);
			return NAN;
		}
		acc[t] = c->test_acc;
	}
	if (k == 0 || k == 1) {
		double first = 0.0, last = 0.0, all = 0.0;

		for (int t = 0; t < T; t++) {
			first += t < w ? acc[t] / w : 0.0;
			last += t >= T - w ? acc[t] / w : 0.0;
			all += acc[t] / T;
		}
		v = k == 0 ? first - last : all;
	} else {
		x = xmalloc((size_t)T * sizeof(double));
		for (int t = 0; t < T; t++)
			x[t] = t + 1;
		v = stats_slope(x, acc, T);
		free(x);
	}
	free(acc);
	return v;
}

static void paired(const struct results *res, int m, int b, int k, struct comparison *c)
{
	double *d = xmalloc((size_t)res->runs * sizeof(double));
	struct stats_mean s;
	int n = 0;

	for (int r = 0; r < res->runs; r++) {
		double x = run_metric(res, m, r, k), y = run_metric(res, b, r, k);

		if (isfinite(x) && isfinite(y))
			d[n++] = x - y;
	}
	stats_mean_ci(d, n, &s);
	*c = (struct comparison){m, b, k, n, s.mean, s.lo, s.hi, NAN, NAN};
	c->p = n > 0 ? stats_signflip_p(d, n,
	                                res->p->seed * 1000003u +
	                                        (uint64_t)(m * 97 + b * 7 + k))
	             : NAN;
	free(d);
}

int compare_results(const struct results *res, struct comparison **out)
{
	int M = res->nmethods, n = 0, npaired = 0, first_paired;
	struct comparison *c =
	        xcalloc((size_t)(M * COMPARE_METRICS * (M + 1)), sizeof(*c));
	double *v = xmalloc((size_t)res->runs * sizeof(double)), *p, *adj;

	for (int m = 0; m < M; m++)
		for (int k = 0; k < COMPARE_METRICS; k++) {
			struct stats_mean s;

			for (int r = 0; r < res->runs; r++)
				v[r] = run_metric(res, m, r, k);
			stats_mean_ci(v, res->runs, &s);
			c[n++] = (struct comparison){m,    -1,   k,   s.n, s.mean,
			                             s.lo, s.hi, NAN, NAN};
		}
	first_paired = n;
	for (int m = 0; m < M; m++)
		for (int b = 0; b < M; b++) {
			int wanted = res->p->compare_all
			                     ? b < m
			                     : b == res->p->baseline && m != b;

			for (int k = 0; wanted && k < COMPARE_METRICS; k++)
				paired(res, m, b, k, &c[n++]);
		}
	npaired = n - first_paired;
	p = xmalloc((size_t)(npaired > 0 ? npaired : 1) * sizeof(double));
	adj = xmalloc((size_t)(npaired > 0 ? npaired : 1) * sizeof(double));
	for (int i = 0; i < npaired; i++)
		p[i] = isfinite(c[first_paired + i].p) ? c[first_paired + i].p : 1.0;
	stats_holm(p, npaired, adj);
	for (int i = 0; i < npaired; i++)
		c[first_paired + i].p_holm =
		        isfinite(c[first_paired + i].p) ? adj[i] : NAN;
	free(p);
	free(adj);
	free(v);
	*out = c;
	return n;
}

static void num(FILE *fp, double v, const char *fmt)
{
	fputc(',', fp);
	if (isfinite(v))
		fprintf(fp, fmt, v);
}

enum pl_status compare_write_csv(const struct results *res, const char *path,
                                 char **cause)
{
	struct comparison *c;
	int n = compare_results(res, &c);
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);
	char label[128], blabel[128];

	if (st != PL_OK) {
		free(c);
		return st;
	}
	fputs("kind,method_index,method,baseline_index,baseline,metric,n,value,ci_lo,ci_"
	      "hi,p,"
	      "p_holm\n",
	      af.fp);
	for (int i = 0; i < n; i++) {
		method_label(&res->p->methods[c[i].method], label, sizeof(label));
		blabel[0] = '\0';
		if (c[i].baseline >= 0)
			method_label(&res->p->methods[c[i].baseline], blabel,
			             sizeof(blabel));
		fprintf(af.fp, "%s,%d,%s,", c[i].baseline < 0 ? "method" : "paired",
		        c[i].method, label);
		if (c[i].baseline >= 0)
			fprintf(af.fp, "%d", c[i].baseline);
		fprintf(af.fp, ",%s,%s,%d", blabel, compare_metric_name(c[i].metric),
		        c[i].n);
		num(af.fp, c[i].mean, "%.6g");
		num(af.fp, c[i].lo, "%.6g");
		num(af.fp, c[i].hi, "%.6g");
		num(af.fp, c[i].p, "%.6g");
		num(af.fp, c[i].p_holm, "%.6g");
		fputc('\n', af.fp);
	}
	free(c);
	return atomic_commit(&af, cause);
}

/* The mean over run r of method m's tasks of the double column col, where
 * measured. */
static double run_diag(const struct results *res, int m, int r,
                       const struct result_column *col)
{
	double s = 0.0;
	int n = 0;

	for (int t = 0; t < res->tasks; t++) {
		const struct task_result *c = results_get(res, m, r, t);
		double v;

		if (c == NULL)
			continue;
		v = *(const double *)((const char *)c + col->offset);
		if (isfinite(v)) {
			s += v;
			n++;
		}
	}
	return n > 0 ? s / n : NAN;
}

void compare_print_correlations(const struct results *res, FILE *fp)
{
	static const char *const names[4] = {"grad_norm", "sharpness", "lambda_max",
	                                     "hessian_trace"};
	int N = res->nmethods * res->runs, header = 0;
	double *x = xmalloc((size_t)N * sizeof(double)),
	       *pl = xmalloc((size_t)N * sizeof(double)),
	       *acc = xmalloc((size_t)N * sizeof(double));

	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++) {
			pl[m * res->runs + r] = run_metric(res, m, r, 0);
			acc[m * res->runs + r] = run_metric(res, m, r, 1);
		}
	for (int d = 0; d < 4; d++) {
		struct stats_corr a, b;
		char sa[64], sb[64];

		for (int m = 0; m < res->nmethods; m++)
			for (int r = 0; r < res->runs; r++)
				x[m * res->runs + r] =
				        run_diag(res, m, r, result_column_find(names[d]));
		stats_pearson(x, pl, N, &a);
		stats_pearson(x, acc, N, &b);
		if (a.n < 4)
			continue;
		if (!header++)
			fprintf(fp,
			        "\nsharpness and plasticity: Pearson r over one point "
			        "per "
			        "method and run (the metric's mean over the run's "
			        "tasks),\n"
			        "95%% CI by Fisher's z\n%-14s %3s  %-30s %s\n",
			        "metric", "n", "r with plasticity_loss [95% CI]",
			        "r with mean_acc [95% CI]");
		snprintf(sa, sizeof(sa), "%+.3f [%+.3f, %+.3f]", a.r, a.lo, a.hi);
		snprintf(sb, sizeof(sb), "%+.3f [%+.3f, %+.3f]", b.r, b.lo, b.hi);
		fprintf(fp, "%-14s %3d  %-30s %s\n", names[d], a.n, sa, sb);
	}
	free(x);
	free(pl);
	free(acc);
}

void compare_print(const struct results *res, FILE *fp)
{
	struct comparison *c;
	int n = compare_results(res, &c), npaired = 0, lw = 6, bw = 7;
	char label[128], blabel[128], diff[96];

	/* Labels are never cut: the columns are as wide as the longest. */
	for (int i = 0; i < n; i++) {
		npaired += c[i].baseline >= 0;
		if (c[i].baseline < 0)
			continue;
		method_label(&res->p->methods[c[i].method], label, sizeof(label));
		method_label(&res->p->methods[c[i].baseline], blabel, sizeof(blabel));
		lw = (int)strlen(label) > lw ? (int)strlen(label) : lw;
		bw = (int)strlen(blabel) > bw ? (int)strlen(blabel) : bw;
	}
	if (npaired > 0) {
		fprintf(fp,
		        "\npaired differences (run i of every method shares seed i): "
		        "mean over "
		        "runs, 95%% CI (Student t),\np: sign-flip permutation test, "
		        "Holm-corrected "
		        "over %d comparisons (* p_holm < 0.05)\n",
		        npaired);
		fprintf(fp, "%-*s  %-*s  %-16s %3s  %-30s %7s %7s\n", lw, "method", bw,
		        "against", "metric", "n", "difference [95% CI]", "p", "p_holm");
	}
	for (int i = 0; i < n; i++) {
		if (c[i].baseline < 0)
			continue;
		method_label(&res->p->methods[c[i].method], label, sizeof(label));
		method_label(&res->p->methods[c[i].baseline], blabel, sizeof(blabel));
		if (isfinite(c[i].lo))
			snprintf(diff, sizeof(diff), "%+.4f [%+.4f, %+.4f]", c[i].mean,
			         c[i].lo, c[i].hi);
		else
			snprintf(diff, sizeof(diff), "%+.4f", c[i].mean);
		fprintf(fp, "%-*s  %-*s  %-16s %3d  %-30s %7.4f %7.4f%s\n", lw, label, bw,
		        blabel, compare_metric_name(c[i].metric), c[i].n,
		        isfinite(c[i].mean) ? diff : "-", c[i].p, c[i].p_holm,
		        c[i].p_holm < 0.05 ? " *" : "");
	}
	free(c);
}

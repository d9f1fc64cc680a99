/*
 * compare.h - methods compared on matched seeds: per-method metrics with
 * 95% confidence intervals, and paired differences to a baseline (or
 * between every pair) with a sign-flip permutation p-value, Holm-corrected
 * over the grid's comparisons (stats.h has the formulas).
 *
 * The metrics, per run (only runs with every task done and none diverged):
 *   plasticity_loss  mean accuracy over the first `window` tasks (default 10%)
 *                    minus the last `window` (results_window)
 *   mean_acc         mean accuracy over all tasks
 *   slope            least-squares slope of accuracy over the task number
 * A pair is run i of both methods, which shared the seed: the same initial
 * weights, permutations and batch order.
 */
#ifndef PLASTICITY_COMPARE_H
#define PLASTICITY_COMPARE_H

#include <stdio.h>

#include "plasticity/results.h"
#include "plasticity/status.h"

#define COMPARE_METRICS 3

struct comparison {
	int method, baseline; /* baseline -1: the method's own metric, not a difference */
	int metric;           /* index into compare_metric_name */
	int n;                /* runs (pairs) that count */
	double mean, lo, hi;  /* value or mean difference, 95% CI */
	double p, p_holm;     /* differences only; NAN otherwise */
};

const char *compare_metric_name(int metric);

/* Every comparison of res's grid (per method, then paired per the preset's
 * baseline/compare keys) into a new array; returns the count. */
int compare_results(const struct results *res, struct comparison **out);

/* comparisons.csv: one row per method metric and per paired difference. */
enum pl_status compare_write_csv(const struct results *res, const char *path,
                                 char **cause);
/* The paired differences as an aligned table (nothing with one method). */
void compare_print(const struct results *res, FILE *fp);

/*
 * Whether sharpness goes with plasticity loss: for each of grad_norm,
 * sharpness, lambda_max and hessian_trace that was measured, Pearson's r
 * (stats_pearson) over one point per method and run, pooled across
 * methods: the metric's mean over the run's tasks against the run's
 * plasticity loss and against its mean accuracy. Nothing when no metric
 * has 4 such points.
 */
void compare_print_correlations(const struct results *res, FILE *fp);

#endif

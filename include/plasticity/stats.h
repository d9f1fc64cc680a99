/*
 * stats.h - the statistics that decide "is this difference real?".
 *
 * Run i of every method shares its initial weights, permutations and batch
 * order, so differences between methods are paired: per run d_i = x_i - y_i.
 *   mean and 95% CI   mean(d) +- t_{0.975, n-1} sd(d) / sqrt(n)  (Student t)
 *   p-value           two-sided sign-flip permutation test: the share of the
 *                     2^n sign patterns s whose |mean(s_i d_i)| >= |mean(d)|,
 *                     enumerated exactly for n <= 16, else 100,000 seeded draws
 *                     (the observed pattern counted once, so p >= 1/(draws+1))
 *   Holm              step-down correction of m p-values: sorted ascending,
 *                     p_(k) * (m - k + 1), made monotone, capped at 1
 *   slope             least squares of y on x: sum (x - mx)(y - my) / sum (x - mx)^2
 * Pure functions of their arguments; any thread.
 */
#ifndef PLASTICITY_STATS_H
#define PLASTICITY_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
double stats_incbeta(double a, double b, double x);
/* P(T <= t) for Student's t with df degrees of freedom. */
double stats_t_cdf(double t, double df);
/* The p-quantile of Student's t with df degrees of freedom, 0 < p < 1. */
double stats_t_quantile(double p, double df);

struct stats_mean {
	int n;
	double mean, lo, hi; /* 95% confidence interval (NAN when n < 2) */
};

/* Mean and 95% CI (Student t) of the finite values of v[0..n). */
void stats_mean_ci(const double *v, int n, struct stats_mean *out);

/* Two-sided sign-flip permutation p-value of the paired differences d[0..n)
 * (see above); seed fixes the Monte Carlo draws for n > 16. */
double stats_signflip_p(const double *d, int n, uint64_t seed);

/* Holm's step-down correction of p[0..m) into adj[0..m) (may alias p). */
void stats_holm(const double *p, int m, double *adj);

struct stats_corr {
	int n;
	double r, lo, hi; /* 95% CI by Fisher's z (NAN when n < 4) */
};

/*
 * Pearson's r of the pairs (x[i], y[i]) where both are finite,
 * r = sum (x - mx)(y - my) / sqrt(sum (x - mx)^2 sum (y - my)^2), and its
 * 95% interval tanh(atanh(r) -+ 1.959964 / sqrt(n - 3)) (Fisher 1915);
 * r is NAN when either has no spread.
 */
void stats_pearson(const double *x, const double *y, int n, struct stats_corr *out);

/* The least-squares slope of y on x over the pairs where both are finite;
 * NAN with fewer than two distinct x. */
double stats_slope(const double *x, const double *y, int n);

#endif

/*
 * stats.c - Student t, paired confidence intervals, a sign-flip
 * permutation test, Holm's correction and a least-squares slope (formulas
 * in stats.h).
 *
 * The incomplete beta function is evaluated by its continued fraction
 * (modified Lentz), on the side of the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
 * where it converges fast; t quantiles invert the CDF by bisection, which
 * is slow but exact to double precision and needs no starting guess.
 */
#include <math.h>
#include <stdlib.h>

#include "plasticity/rng.h"
#include "plasticity/stats.h"
#include "plasticity/util.h"

/* The continued fraction of I_x(a, b) without its front factor. */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double f = 1.0, c = 1.0, d = 0.0;

	for (int i = 0; i <= 1000; i++) {
		int m = i / 2;
		double num, cd;

		if (i == 0)
			num = 1.0;
		else if (i % 2 == 0)
			num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
		else
			num = -(a + m) * (a + b + m) * x /
			      ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
		d = 1.0 + num * d;
		d = 1.0 / (fabs(d) < tiny ? tiny : d);
		c = 1.0 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		cd = c * d;
		f *= cd;
		if (fabs(1.0 - cd) < 1e-15)
			return f - 1.0;
	}
	return f - 1.0;
}

double stats_incbeta(double a, double b, double x)
{
	double front;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	if (x > (a + 1.0) / (a + b + 2.0))
		return 1.0 - stats_incbeta(b, a, 1.0 - x);
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)) /
	        a;
	return front * beta_cf(a, b, x);
}

double stats_t_cdf(double t, double df)
{
	double tail = 0.5 * stats_incbeta(df / 2.0, 0.5, df / (df + t * t));

	return t > 0 ? 1.0 - tail : tail;
}

double stats_t_quantile(double p, double df)
{
	double lo = -1.0, hi = 1.0;

	while (stats_t_cdf(lo, df) > p)
		lo *= 2.0;
	while (stats_t_cdf(hi, df) < p)
		hi *= 2.0;
	for (int i = 0; i < 200 && hi - lo > 1e-13 * (1.0 + fabs(hi)); i++) {
		double mid = 0.5 * (lo + hi);

		if (stats_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* Centred sums of the pairs where both are finite: their count, and
 * sum (x - mx)^2, sum (x - mx)(y - my), sum (y - my)^2 in s[0..2]. A
 * series whose values are all equal has exactly 0 spread (its mean can
 * round, leaving a sum of squares of 1e-34). */
static int comoments(const double *x, const double *y, int n, double s[3])
{
	double mx = 0.0, my = 0.0;
	int k = 0, xvar = 0, yvar = 0;
	const double *x0 = NULL, *y0 = NULL;

	s[0] = s[1] = s[2] = 0.0;
	for (int i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i])) {
			x0 = x0 ? x0 : &x[i];
			y0 = y0 ? y0 : &y[i];
			xvar |= x[i] != *x0;
			yvar |= y[i] != *y0;
			mx += x[i];
			my += y[i];
			k++;
		}
	if (k == 0)
		return 0;
	mx /= k;
	my /= k;
	for (int i = 0; i < n; i++)
		if (isfinite(x[i]) && isfinite(y[i])) {
			s[0] += (x[i] - mx) * (x[i] - mx);
			s[1] += (x[i] - mx) * (y[i] - my);
			s[2] += (y[i] - my) * (y[i] - my);
		}
	if (!xvar)
		s[0] = s[1] = 0.0;
	if (!yvar)
		s[2] = s[1] = 0.0;
	return k;
}

void stats_pearson(const double *x, const double *y, int n, struct stats_corr *out)
{
	double s[3], z, h;
	int k = comoments(x, y, n, s);

	*out = (struct stats_corr){k, NAN, NAN, NAN};
	if (k < 2 || s[0] <= 0.0 || s[2] <= 0.0)
		return;
	out->r = fmax(-1.0, fmin(1.0, s[1] / sqrt(s[0] * s[2])));
	if (k < 4)
		return;
	z = atanh(fmax(-1.0 + 1e-15, fmin(1.0 - 1e-15, out->r)));
	h = 1.959963984540054 / sqrt(k - 3.0);
	out->lo = tanh(z - h);
	out->hi = tanh(z + h);
}

double stats_slope(const double *x, const double *y, int n)
{
	double s[3];
	int k = comoments(x, y, n, s);

	return k >= 2 && s[0] > 0.0 ? s[1] / s[0] : NAN;
}

void stats_mean_ci(const double *v, int n, struct stats_mean *out)
{
	double sum = 0.0, sq = 0.0, half;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			sum += v[i];
			k++;
		}
	out->n = k;
	out->mean = k ? sum / k : NAN;
	out->lo = out->hi = NAN;
	if (k < 2)
		return;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i]))
			sq += (v[i] - out->mean) * (v[i] - out->mean);
	half = stats_t_quantile(0.975, k - 1) * sqrt(sq / (k - 1) / k);
	out->lo = out->mean - half;
	out->hi = out->mean + half;
}

double stats_signflip_p(const double *d, int n, uint64_t seed)
{
	double obs = 0.0, eps;
	long long hits = 0, total;

	for (int i = 0; i < n; i++)
		obs += d[i];
	obs = fabs(obs);
	/* Sums of the same numbers in another order may differ in the last bits. */
	eps = 1e-12 * (1.0 + obs);
	if (n == 0)
		return NAN;
	if (n <= 16) {
		total = 1LL << n;
		for (long long mask = 0; mask < total; mask++) {
			double s = 0.0;

			for (int i = 0; i < n; i++)
				s += (mask >> i & 1) ? -d[i] : d[i];
			hits += fabs(s) >= obs - eps;
		}
		return (double)hits / (double)total;
	}
	{
		struct rng r;
		const long draws = 100000;

		rng_seed(&r, seed, 0, 0);
		for (long k = 0; k < draws; k++) {
			double s = 0.0;

			for (int i = 0; i < n; i++)
				s += (rng_next(&r) >> 63) ? -d[i] : d[i];
			hits += fabs(s) >= obs - eps;
		}
		return (double)(hits + 1) / (double)(draws + 1);
	}
}

void stats_holm(const double *p, int m, double *adj)
{
	int *order = xmalloc((size_t)(m > 0 ? m : 1) * sizeof(int));
	double *out = xmalloc((size_t)(m > 0 ? m : 1) * sizeof(double)), run = 0.0;

	for (int i = 0; i < m; i++)
		order[i] = i;
	/* Insertion sort by p: a grid has a few dozen comparisons. */
	for (int i = 1; i < m; i++)
		for (int j = i; j > 0 && p[order[j]] < p[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int k = 0; k < m; k++) {
		double v = p[order[k]] * (m - k);

		run = v > run ? v : run;
		out[order[k]] = run < 1.0 ? run : 1.0;
	}
	for (int i = 0; i < m; i++)
		adj[i] = out[i];
	free(order);
	free(out);
}

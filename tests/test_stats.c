/*
 * test_stats.c - the statistics against published tables and cases worked
 * out by hand: t quantiles (any statistics textbook's table), a sign-flip
 * p-value enumerated here independently, Holm on a known set, a slope and
 * a confidence interval on constructed data.
 */
#include <math.h>
#include <stdlib.h>

#include "plasticity/stats.h"
#include "tap.h"

static void test_t(void)
{
	/* Two-sided 95% critical values, from the standard t table. */
	static const struct {
		double df, t;
	} table[] = {{1, 12.706}, {2, 4.303},  {4, 2.776},
	             {9, 2.262},  {19, 2.093}, {30, 2.042}};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		double q = stats_t_quantile(0.975, table[i].df);

		ok(fabs(q - table[i].t) < 5e-4, "t_{0.975, %g} = %.4f (table %.3f)",
		   table[i].df, q, table[i].t);
	}
	ok(fabs(stats_t_cdf(0.0, 5) - 0.5) < 1e-12 &&
	           fabs(stats_t_cdf(1.0, 1) - 0.75) < 1e-12,
	   "t CDF: 0.5 at 0; Cauchy (df 1) at 1 is 3/4");
	ok(fabs(stats_incbeta(2, 3, 0.4) - 0.5248) < 1e-12,
	   "I_0.4(2, 3) = 0.5248 (worked by hand: 1 - sum_{k<2} C(4,k) .4^k .6^(4-k))");
}

static void test_signflip(void)
{
	double d[4] = {0.3, 0.1, 0.2, -0.05}, obs = 0.55;
	int hits = 0;
	double big[20];

	/* Enumerate all 16 sign patterns here, independently of the library. */
	for (int m = 0; m < 16; m++) {
		double s = 0;

		for (int i = 0; i < 4; i++)
			s += (m >> i & 1) ? -d[i] : d[i];
		hits += fabs(s) >= obs - 1e-12;
	}
	ok(fabs(stats_signflip_p(d, 4, 1) - hits / 16.0) < 1e-15,
	   "exact p for 4 pairs: %d of 16 patterns = %.4f", hits, hits / 16.0);
	ok(hits == 4,
	   "... which by hand is 4/16: the observed signs, d4 flipped, and both negated");
	for (int i = 0; i < 20; i++)
		big[i] = 0.01 * (i + 1);
	ok(stats_signflip_p(big, 20, 7) < 1e-4 &&
	           stats_signflip_p(big, 20, 7) >= 1.0 / 100001,
	   "20 pairs all positive: Monte Carlo p = %.2g (bounded below by 1/100001)",
	   stats_signflip_p(big, 20, 7));
	ok(stats_signflip_p(big, 20, 7) == stats_signflip_p(big, 20, 7),
	   "... and the same p for the same seed");
}

static void test_holm(void)
{
	double p[4] = {0.01, 0.04, 0.03, 0.005}, adj[4];
	/* By hand: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02,
	 * 0.03, 0.06, 0.04, made monotone: 0.02, 0.03, 0.06, 0.06. */
	double want[4] = {0.03, 0.06, 0.06, 0.02};
	int same = 1;

	stats_holm(p, 4, adj);
	for (int i = 0; i < 4; i++)
		same &= fabs(adj[i] - want[i]) < 1e-12;
	ok(same, "Holm: %.3f %.3f %.3f %.3f", adj[0], adj[1], adj[2], adj[3]);
	p[0] = 0.3, p[1] = 0.4, p[2] = 0.5, p[3] = 0.6;
	stats_holm(p, 4, adj);
	ok(adj[0] == 1.0 && adj[3] == 1.0, "Holm caps at 1 (0.3 x 4 = 1.2)");
}

static void test_slope_ci(void)
{
	double x[5] = {1, 2, 3, 4, 5}, y[5], v[4] = {1, 2, 3, 4};
	struct stats_mean m;

	for (int i = 0; i < 5; i++)
		y[i] = 0.9 - 0.02 * x[i];
	ok(fabs(stats_slope(x, y, 5) + 0.02) < 1e-12,
	   "slope of y = 0.9 - 0.02 x is -0.02");
	y[2] = NAN;
	ok(fabs(stats_slope(x, y, 5) + 0.02) < 1e-12,
	   "... with a missing point left out");
	stats_mean_ci(v, 4, &m);
	/* mean 2.5, sd sqrt(5/3), se 0.6455, t_{0.975,3} 3.1824: half 2.0542. */
	ok(m.n == 4 && fabs(m.mean - 2.5) < 1e-12 && fabs(m.hi - m.mean - 2.0542) < 1e-3,
	   "95%% CI of 1, 2, 3, 4: 2.5 +- %.4f (by hand 2.0542)", m.hi - m.mean);
}

/* Pearson's r by hand: x = 1..5, y = 2, 4, 5, 4, 5: sxy 6, sxx 10, syy 6,
 * r = 6/sqrt(60) = 0.774597; Fisher's z = atanh(r) = 1.031718, se =
 * 1/sqrt(2), so the 95% CI is tanh(1.031718 -+ 1.385904) = [-0.340082,
 * +0.984236]. */
static void test_pearson(void)
{
	double x[7] = {1, 2, 3, 4, 5, NAN, 6}, y[7] = {2, 4, 5, 4, 5, 1, NAN};
	double flat[3] = {1, 1, 1}, tenth[7], seq[7];
	struct stats_corr c;

	stats_pearson(x, y, 7, &c);
	ok(c.n == 5 && fabs(c.r - 6 / sqrt(60)) < 1e-12 && fabs(c.lo + 0.340082) < 1e-6 &&
	           fabs(c.hi - 0.984236) < 1e-6,
	   "pearson r of 5 pairs (2 with a missing value left out): %.6f [%.6f, %.6f], "
	   "by "
	   "hand 0.774597 [-0.340082, +0.984236]",
	   c.r, c.lo, c.hi);
	for (int i = 0; i < 5; i++)
		y[i] = 3 - 2 * x[i];
	stats_pearson(x, y, 5, &c);
	ok(c.r == -1.0 && c.hi < -0.999, "y = 3 - 2x: r = -1 (%g), interval at -1 (%g)",
	   c.r, c.hi);
	stats_pearson(x, flat, 3, &c);
	ok(c.n == 3 && isnan(c.r) && isnan(c.lo), "no spread in y: r is NAN");
	/* Seven times 0.1: the mean rounds, the spread must still be 0. */
	for (int i = 0; i < 7; i++)
		tenth[i] = 0.1, seq[i] = i;
	stats_pearson(tenth, seq, 7, &c);
	ok(c.n == 7 && isnan(c.r), "seven equal values of 0.1: no spread, r is NAN (%g)",
	   c.r);
	ok(isnan(stats_slope(seq, tenth, 7)) == 0 && stats_slope(seq, tenth, 7) == 0.0,
	   "... and y = 0.1 has slope exactly 0 (%g)", stats_slope(seq, tenth, 7));
}

int main(void)
{
	test_pearson();
	test_t();
	test_signflip();
	test_holm();
	test_slope_ci();
	return tap_done();
}

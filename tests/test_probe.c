/*
 * test_probe.c - the diagnostics against independent references: ranks of
 * matrices with known singular values, dead and dormant units of a network
 * built by hand, gradient norm and sharpness against a double-precision
 * reference of the same network, and lambda_max against the largest
 * eigenvalue of the full Hessian computed in double (finite differences,
 * Jacobi's eigenvalue method), online accuracy against a direct count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/mlp.h"
#include "plasticity/probe.h"
#include "plasticity/rng.h"
#include "plasticity/util.h"
#include "tap.h"

static void test_ranks(void)
{
	float a[5 * 3] = {0}, s[4] = {0}, u[6] = {1, 2, 0, -1, 3, 1}, v[4] = {2, 0, 1, 1};
	float r1[6 * 4], id[8 * 8] = {0}, sid[8] = {0}, d3[3] = {3, 2, 1};
	double p[3] = {0.5, 1.0 / 3, 1.0 / 6}, ent = 0.0, uu = 0.0, vv = 0.0;

	a[0 * 3 + 0] = 3;
	a[1 * 3 + 1] = -2; /* a sign does not change a singular value */
	a[2 * 3 + 2] = 1;
	ok(svd_values(a, 5, 3, s) == 0, "LAPACK sgesdd runs");
	ok(fabsf(s[0] - 3) < 1e-5f && fabsf(s[1] - 2) < 1e-5f && fabsf(s[2] - 1) < 1e-5f,
	   "LAPACK singular values of diag(3, -2, 1) in a 5x3 matrix: %g %g %g", s[0],
	   s[1], s[2]);
	for (int i = 0; i < 3; i++)
		ent -= p[i] * log(p[i]);
	ok(fabs(probe_erank(d3, 3) - exp(ent)) < 1e-9,
	   "effective rank of singular values (3, 2, 1) is exp(H(1/2, 1/3, 1/6)) = %.6f",
	   exp(ent));
	ok(probe_arank(d3, 3, 0.99) == 3 && probe_arank(d3, 3, 0.9) == 2,
	   "approximate rank: 99%% of sum s^2 (14) needs all 3, 90%% needs 2 (13/14)");
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 4; j++)
			r1[i * 4 + j] = u[i] * v[j];
	for (int i = 0; i < 6; i++)
		uu += u[i] * u[i];
	for (int j = 0; j < 4; j++)
		vv += v[j] * v[j];
	svd_values(r1, 6, 4, s);
	ok(fabs(s[0] - sqrt(uu * vv)) < 1e-4 && fabsf(s[1]) < 1e-5f,
	   "a rank-1 matrix u v^T has one singular value, |u||v| = %g", sqrt(uu * vv));
	ok(fabs(probe_erank(s, 4) - 1.0) < 1e-4 && probe_arank(s, 4, 0.99) == 1,
	   "... so its effective and approximate ranks are 1");
	for (int i = 0; i < 8; i++)
		id[i * 8 + i] = 1;
	svd_values(id, 8, 8, sid);
	ok(fabs(probe_erank(sid, 8) - 8.0) < 1e-5 && probe_arank(sid, 8, 0.99) == 8,
	   "the identity of size 8 has effective and approximate rank 8");
}

/* A 3-4-2 network built by hand: on inputs in [0, 1], unit 0 is never
 * active (dead), unit 1 is active but tiny (dormant), units 2 and 3 are
 * healthy. */
static void test_units(void)
{
	int sizes[3] = {3, 4, 2};
	struct mlp *m = mlp_new(2, sizes, 4);
	float *w = mlp_params(m), x[6 * 3];
	float *b0 = w + mlp_bias_offset(m, 0);
	uint8_t y[6] = {0, 1, 0, 1, 1, 0};
	struct probe *pr = probe_new(m, 6);
	struct probe_cfg cfg = {PROBE_DEAD | PROBE_DORMANT, 0.1, 0.05, 20, 0, 1, 0};
	struct probe_result out;
	struct rng r;

	memset(w, 0, mlp_nparams(m) * sizeof(float));
	rng_seed(&r, 7, 0, 0);
	for (int i = 0; i < 18; i++)
		x[i] = rng_uniform(&r);
	for (int k = 0; k < 3; k++) {
		w[mlp_weight_index(m, 0, 0, k)] =
		        -1.0f; /* unit 0: -sum x - 0.1 < 0 always */
		w[mlp_weight_index(m, 0, 1, k)] =
		        0.001f; /* unit 1: ~0.0015, vs ~1.5 for the others */
		w[mlp_weight_index(m, 0, 2, k)] = 1.0f;
		w[mlp_weight_index(m, 0, 3, k)] = 0.5f + 0.25f * k;
	}
	b0[0] = -0.1f;
	b0[2] = 0.2f;
	probe_run(pr, m, x, y, 6, NULL, &cfg, &out);
	ok(out.dead[0] == 0.25, "one unit of four is dead (never active): %g",
	   out.dead[0]);
	ok(out.dormant[0] == 0.5,
	   "two are dormant at tau 0.1 (the dead one and the one 1000x quieter): %g",
	   out.dormant[0]);
	cfg.dormant_tau = 0.0;
	probe_run(pr, m, x, y, 6, NULL, &cfg, &out);
	ok(out.dormant[0] == 0.25 && isnan(out.grad_norm),
	   "at tau 0 only the dead unit is dormant, and metrics not asked for are NAN");
	probe_free(pr);
	mlp_free(m);
}

/* ---- a double-precision reference of a 2-layer ReLU network ------------- */

struct ref {
	int in, hid, out, n;
	const double *x;
	const uint8_t *y;
};

/* Parameters as the flat float buffer orders them: W1 (in, hid), b1, W2
 * (hid, out), b2 (input-major, mlp.h). */
static double ref_loss(const struct ref *f, const double *th)
{
	const double *W1 = th, *b1 = W1 + f->hid * f->in, *W2 = b1 + f->hid,
	             *b2 = W2 + f->out * f->hid;
	double total = 0.0;

	for (int e = 0; e < f->n; e++) {
		double h[16], z[8], mx = -1e300, sum = 0.0;

		for (int j = 0; j < f->hid; j++) {
			h[j] = b1[j];
			for (int k = 0; k < f->in; k++)
				h[j] += W1[k * f->hid + j] * f->x[e * f->in + k];
			h[j] = h[j] > 0 ? h[j] : 0;
		}
		for (int c = 0; c < f->out; c++) {
			z[c] = b2[c];
			for (int j = 0; j < f->hid; j++)
				z[c] += W2[j * f->out + c] * h[j];
			mx = z[c] > mx ? z[c] : mx;
		}
		for (int c = 0; c < f->out; c++)
			sum += exp(z[c] - mx);
		total += log(sum) + mx - z[f->y[e]];
	}
	return total / f->n;
}

/* The four blocks of the network's flat buffer, without padding, as doubles. */
static int pack(const struct mlp *m, double *th)
{
	const float *w = mlp_params((struct mlp *)m);
	int n = 0;

	for (int l = 0; l < 2; l++) {
		for (int i = 0; i < mlp_size(m, l) * mlp_size(m, l + 1); i++)
			th[n++] = w[mlp_weight_offset(m, l) + i];
		for (int i = 0; i < mlp_size(m, l + 1); i++)
			th[n++] = w[mlp_bias_offset(m, l) + i];
	}
	return n;
}

static void ref_grad(const struct ref *f, double *th, int P, double *g)
{
	for (int i = 0; i < P; i++) {
		double keep = th[i], lp, lm;

		th[i] = keep + 1e-6;
		lp = ref_loss(f, th);
		th[i] = keep - 1e-6;
		lm = ref_loss(f, th);
		th[i] = keep;
		g[i] = (lp - lm) / 2e-6;
	}
}

/* Eigenvalues of the symmetric P x P matrix a (destroyed) by cyclic Jacobi. */
static void jacobi(double *a, int P, double *eig)
{
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0.0;

		for (int p = 0; p < P; p++)
			for (int q = p + 1; q < P; q++)
				off += a[p * P + q] * a[p * P + q];
		if (off < 1e-22)
			break;
		for (int p = 0; p < P; p++)
			for (int q = p + 1; q < P; q++) {
				double apq = a[p * P + q], t, c, s, th;

				if (fabs(apq) < 1e-300)
					continue;
				th = (a[q * P + q] - a[p * P + p]) / (2 * apq);
				t = (th >= 0 ? 1 : -1) / (fabs(th) + sqrt(th * th + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (int k = 0; k < P; k++) {
					double akp = a[k * P + p], akq = a[k * P + q];

					a[k * P + p] = c * akp - s * akq;
					a[k * P + q] = s * akp + c * akq;
				}
				for (int k = 0; k < P; k++) {
					double apk = a[p * P + k], aqk = a[q * P + k];

					a[p * P + k] = c * apk - s * aqk;
					a[q * P + k] = s * apk + c * aqk;
				}
			}
	}
	for (int i = 0; i < P; i++)
		eig[i] = a[i * P + i];
}

static void test_against_double(void)
{
	enum { IN = 5, HID = 6, OUT = 3, N = 11 };
	int sizes[3] = {IN, HID, OUT}, P;
	struct mlp *m = mlp_new(2, sizes, 4); /* max batch 4: three chunks of 11 */
	struct probe *pr = probe_new(m, N);
	struct probe_cfg cfg = {PROBE_GRAD | PROBE_SHARPNESS | PROBE_LOSS | PROBE_HESSIAN,
	                        0.1,
	                        0.05,
	                        200,
	                        0,
	                        3,
	                        0};
	struct probe_result out;
	float xf[N * IN], *keep = xalloc_floats(mlp_nparams(m));
	double xd[N * IN], th[128], g[128], gn = 0.0, *H, eig[128], top = 0.0;
	uint8_t y[N];
	struct ref f = {IN, HID, OUT, N, xd, y};
	struct rng r;

	rng_seed(&r, 11, 0, 0);
	mlp_init(m, &r);
	for (int i = 0; i < N * IN; i++)
		xd[i] = xf[i] = rng_uniform(&r);
	for (int i = 0; i < N; i++)
		y[i] = (uint8_t)rng_below(&r, OUT);
	memcpy(keep, mlp_params(m), mlp_nparams(m) * sizeof(float));
	probe_run(pr, m, xf, y, N, NULL, &cfg, &out);
	ok(memcmp(keep, mlp_params(m), mlp_nparams(m) * sizeof(float)) == 0,
	   "probing leaves every parameter exactly as it was");
	P = pack(m, th);
	ok(fabs(out.loss - ref_loss(&f, th)) < 1e-6,
	   "probe loss matches the double reference");
	ref_grad(&f, th, P, g);
	for (int i = 0; i < P; i++)
		gn += g[i] * g[i];
	gn = sqrt(gn);
	ok(fabs(out.grad_norm - gn) < 1e-4 * gn,
	   "gradient norm over 3 chunks: %.6f, double reference %.6f", out.grad_norm, gn);
	{
		double l0 = ref_loss(&f, th), lp;

		for (int i = 0; i < P; i++)
			th[i] += 0.05 * g[i] / gn;
		lp = ref_loss(&f, th);
		pack(m, th);
		ok(fabs(out.sharpness - (lp - l0)) < 2e-5,
		   "SAM sharpness L(w + rho g/|g|) - L(w): %.6g, double reference %.6g",
		   out.sharpness, lp - l0);
	}
	/* The full Hessian in double, by central differences of the reference's
	 * gradient, and its largest eigenvalue. */
	H = xcalloc((size_t)P * P, sizeof(double));
	for (int j = 0; j < P; j++) {
		double gp[128], gm[128], t = th[j];

		th[j] = t + 1e-4;
		ref_grad(&f, th, P, gp);
		th[j] = t - 1e-4;
		ref_grad(&f, th, P, gm);
		th[j] = t;
		for (int i = 0; i < P; i++)
			H[i * P + j] = (gp[i] - gm[i]) / 2e-4;
	}
	for (int i = 0; i < P; i++)
		for (int j = 0; j < i; j++)
			H[i * P + j] = H[j * P + i] = (H[i * P + j] + H[j * P + i]) / 2;
	{
		/* Hutchinson's estimate against the trace, within 4 standard errors
		 * (the variance of z^T H z is 2 sum_{i != j} H_ij^2). */
		double tr = 0.0, off = 0.0, se;
		struct probe_cfg tc = cfg;
		struct probe_result tout;

		for (int i = 0; i < P; i++)
			for (int j = 0; j < P; j++)
				i == j ? (tr += H[i * P + i])
				       : (off += H[i * P + j] * H[i * P + j]);
		tc.metrics = PROBE_TRACE;
		tc.trace_samples = 400;
		probe_run(pr, m, xf, y, N, NULL, &tc, &tout);
		se = sqrt(2 * off / 400);
		ok(fabs(tout.trace - tr) < 4 * se + 1e-3,
		   "Hutchinson trace %.4f vs tr(H) %.4f (standard error %.4f)",
		   tout.trace, tr, se);
	}
	jacobi(H, P, eig);
	top = eig[0];
	for (int i = 0; i < P; i++)
		top = eig[i] > top ? eig[i] : top;
	ok(fabs(out.lambda_max - top) < 0.01 * fabs(top),
	   "lambda_max %.5f within 1%% of the full Hessian's top eigenvalue %.5f (%d "
	   "iterations)",
	   out.lambda_max, top, out.hessian_iters);
	free(H);
	free(keep);
	probe_free(pr);
	mlp_free(m);
}

/* Online accuracy: counted from the forward pass a step makes anyway. */
static void test_online_count(void)
{
	int sizes[3] = {4, 5, 3}, direct;
	struct mlp *m = mlp_new(2, sizes, 8);
	float x[8 * 4], *g = xalloc_floats(mlp_nparams(m));
	uint8_t y[8];
	struct rng r;

	rng_seed(&r, 3, 0, 0);
	mlp_init(m, &r);
	for (int i = 0; i < 32; i++)
		x[i] = rng_uniform(&r);
	for (int i = 0; i < 8; i++)
		y[i] = (uint8_t)rng_below(&r, 3);
	direct = mlp_evaluate(m, x, y, 8, NULL);
	mlp_count_next(m);
	mlp_loss_grad(m, x, y, 8, g);
	mlp_loss_grad(m, x, y, 8, g); /* a second pass (SAM's) is not counted */
	ok(mlp_counted(m) == direct, "online count %d equals a direct count %d",
	   mlp_counted(m), direct);
	free(g);
	mlp_free(m);
}

int main(void)
{
	blas_init();
	test_ranks();
	test_units();
	test_against_double();
	test_online_count();
	return tap_done();
}

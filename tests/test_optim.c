/*
 * test_optim.c - one step of SGD, SAM and GNP against an independent
 * double-precision reference, through the generic and the small-batch path; rho = 0 and
 * lambda = 0 are exactly SGD; GNP's finite-difference direction approaches the gradient
 * of L + lambda ||grad L||.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/mlp.h"
#include "plasticity/optim.h"
#include "plasticity/preset_io.h"
#include "plasticity/rng.h"
#include "plasticity/util.h"
#include "tap.h"

#define MAXB 16
static const int sizes[] = {5, 4, 4, 3};
#define NL 3

struct fixture {
	struct mlp *m;
	int nb; /* examples in the batch */
	float x[MAXB * 5];
	uint8_t y[MAXB];
	size_t P;
	float *w0;
};

/* nb examples whose inputs are zero a third of the time (as most of an
 * MNIST image is), so the small-batch path's skipped rows are exercised. */
static void fixture_init(struct fixture *f, uint64_t seed, int nb)
{
	struct rng r;

	rng_seed(&r, seed, 0, 0);
	f->nb = nb;
	f->m = mlp_new(NL, sizes, MAXB);
	mlp_init(f->m, &r);
	f->P = mlp_nparams(f->m);
	for (int i = 0; i < nb * 5; i++)
		f->x[i] = rng_below(&r, 3) == 0 ? 0.0f : rng_uniform(&r);
	for (int i = 0; i < nb; i++)
		f->y[i] = (uint8_t)rng_below(&r, 3);
	f->w0 = xalloc_floats(f->P);
	memcpy(f->w0, mlp_params(f->m), f->P * sizeof(float));
}

static void fixture_reset(struct fixture *f)
{
	memcpy(mlp_params(f->m), f->w0, f->P * sizeof(float));
}

static void fixture_free(struct fixture *f)
{
	mlp_free(f->m);
	free(f->w0);
}

/* The cross-entropy of 3 logits z against label y; the softmax into p
 * (if not NULL). */
static double ref_xent(const double *z, int y, double *p)
{
	double max = fmax(fmax(z[0], z[1]), z[2]), sum = 0.0;

	for (int c = 0; c < 3; c++)
		sum += exp(z[c] - max);
	for (int c = 0; p != NULL && c < 3; c++)
		p[c] = exp(z[c] - max) / sum;
	return log(sum) + max - z[y];
}

/* Reference loss and gradient in double, straight from the definitions. */
static double ref_grad(const struct fixture *f, const double *w, double *g)
{
	double act[NL + 1][MAXB][8], delta[MAXB][8], loss = 0.0;

	memset(g, 0, f->P * sizeof(double));
	for (int b = 0; b < f->nb; b++)
		for (int i = 0; i < 5; i++)
			act[0][b][i] = f->x[b * 5 + i];
	for (int l = 0; l < NL; l++) {
		const double *W = w + mlp_weight_offset(f->m, l),
		             *bias = w + mlp_bias_offset(f->m, l);

		for (int b = 0; b < f->nb; b++)
			for (int o = 0; o < sizes[l + 1]; o++) {
				double z = bias[o];

				for (int i = 0; i < sizes[l]; i++)
					z += W[i * sizes[l + 1] + o] * act[l][b][i];
				act[l + 1][b][o] = (l + 1 < NL && z < 0) ? 0 : z;
			}
	}
	for (int b = 0; b < f->nb; b++) {
		double p[3];

		loss += ref_xent(act[NL][b], f->y[b], p);
		for (int c = 0; c < 3; c++)
			delta[b][c] = (p[c] - (c == f->y[b])) / f->nb;
	}
	for (int l = NL - 1; l >= 0; l--) {
		const double *W = w + mlp_weight_offset(f->m, l);
		double *gW = g + mlp_weight_offset(f->m, l),
		       *gb = g + mlp_bias_offset(f->m, l);
		double din[MAXB][8];

		for (int b = 0; b < f->nb; b++) {
			for (int o = 0; o < sizes[l + 1]; o++) {
				gb[o] += delta[b][o];
				for (int i = 0; i < sizes[l]; i++)
					gW[i * sizes[l + 1] + o] +=
					        delta[b][o] * act[l][b][i];
			}
			for (int i = 0; i < sizes[l]; i++) {
				double s = 0.0;

				for (int o = 0; o < sizes[l + 1]; o++)
					s += delta[b][o] * W[i * sizes[l + 1] + o];
				din[b][i] = act[l][b][i] > 0 ? s : 0.0;
			}
		}
		memcpy(delta, din, sizeof(delta));
	}
	return loss / f->nb;
}

static double dnorm(const double *a, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * a[i];
	return sqrt(s);
}

/* The reference direction of method m at w (double), into g. */
static void ref_dir(const struct fixture *f, const struct method *m, const double *w,
                    double *g)
{
	size_t P = f->P;
	double *g2 = xcalloc(P, sizeof(double)), *wp = xcalloc(P, sizeof(double));
	double norm;

	ref_grad(f, w, g);
	norm = dnorm(g, P);
	if (m->optimizer == OPTIM_SAM && m->adaptive) {
		/* e_i = rho w_i^2 g_i / ||w * g|| */
		double wg = 0.0;

		for (size_t i = 0; i < P; i++)
			wg += w[i] * g[i] * w[i] * g[i];
		for (size_t i = 0; i < P; i++)
			wp[i] = w[i] + m->rho * w[i] * w[i] * g[i] / (sqrt(wg) + 1e-12);
		ref_grad(f, wp, g2);
		memcpy(g, g2, P * sizeof(double));
	} else if (m->optimizer == OPTIM_SAM) {
		for (size_t i = 0; i < P; i++)
			wp[i] = w[i] + m->rho * g[i] / (norm + 1e-12);
		ref_grad(f, wp, g2);
		memcpy(g, g2, P * sizeof(double));
	} else if (m->optimizer == OPTIM_GNP && m->exact) {
		/* g + lambda H u, u = g/||g||; H u by central differences of the
		 * double gradient (exact up to rounding while no ReLU input
		 * crosses 0 within eps). */
		const double eps = 1e-6;
		double *gm = xcalloc(P, sizeof(double));

		for (size_t i = 0; i < P; i++)
			wp[i] = w[i] + eps * g[i] / norm;
		ref_grad(f, wp, g2);
		for (size_t i = 0; i < P; i++)
			wp[i] = w[i] - eps * g[i] / norm;
		ref_grad(f, wp, gm);
		for (size_t i = 0; i < P; i++)
			g[i] += m->lambda * (g2[i] - gm[i]) / (2 * eps);
		free(gm);
	} else if (m->optimizer == OPTIM_GNP) {
		double a = m->lambda / m->r;

		for (size_t i = 0; i < P; i++)
			wp[i] = w[i] + m->r * g[i] / (norm + 1e-12);
		ref_grad(f, wp, g2);
		for (size_t i = 0; i < P; i++)
			g[i] = (1 - a) * g[i] + a * g2[i];
	}
	free(g2);
	free(wp);
}

/* The reference weights after one step of method m from f->w0, its base
 * update SGD's (L2-init's theta_0 = f->w0 is no force on the first step). */
static void ref_step(const struct fixture *f, const struct method *m, double *out)
{
	size_t P = f->P;
	double *w = xcalloc(P, sizeof(double)), *g = xcalloc(P, sizeof(double));

	for (size_t i = 0; i < P; i++)
		w[i] = f->w0[i];
	ref_dir(f, m, w, g);
	for (size_t i = 0; i < P; i++)
		out[i] = w[i] - m->lr * (g[i] + m->weight_decay * w[i]);
	free(w);
	free(g);
}

/* The path the steps of the current round take: 0 the generic one, else the
 * small-batch path (optim_fused_limit). */
static int fused_round;

static const char *path(void)
{
	return fused_round ? "small-batch path" : "generic path";
}

static void check_step(struct fixture *f, const struct method *m, const char *what)
{
	double *want = xcalloc(f->P, sizeof(double)), worst = 0.0, moved = 0.0;
	struct optim *o = optim_new(m, f->P);
	float *w = mlp_params(f->m);
	int fused = optim_fused_batch(o, f->m, f->nb);

	fixture_reset(f);
	ref_step(f, m, want);
	optim_step(o, f->m, f->x, f->y, f->nb);
	for (size_t i = 0; i < f->P; i++) {
		worst = fmax(worst, fabs(w[i] - want[i]));
		moved = fmax(moved, fabs(want[i] - f->w0[i]));
	}
	ok(worst < 1e-6 && moved > 1e-3 &&
	           fused == (fused_round && !m->adaptive &&
	                     !(m->exact && m->momentum != 0)),
	   "%s, batch %d, %s: one step matches the double reference (max diff %.2g, "
	   "step %.2g)",
	   what, f->nb, fused ? "small-batch path" : "generic path", worst, moved);
	optim_free(o);
	free(want);
}

/* Weights after one step of m, as floats, into out. */
static void float_step(struct fixture *f, const struct method *m, float *out)
{
	struct optim *o = optim_new(m, f->P);

	fixture_reset(f);
	optim_step(o, f->m, f->x, f->y, f->nb);
	memcpy(out, mlp_params(f->m), f->P * sizeof(float));
	optim_free(o);
}

static void test_steps(int nb)
{
	struct fixture f;
	struct method m;
	float *sgd, *other;

	fixture_init(&f, 7, nb);
	method_defaults(&m, OPTIM_SGD);
	m.lr = 0.5;
	check_step(&f, &m, "sgd lr=0.5");
	m.weight_decay = 0.01;
	check_step(&f, &m, "sgd lr=0.5 weight_decay=0.01");
	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.5;
	m.rho = 0.05;
	check_step(&f, &m, "sam lr=0.5 rho=0.05");
	m.rho = 0.5;
	check_step(&f, &m, "sam lr=0.5 rho=0.5");
	m.momentum = 0.9;
	m.weight_decay = 0.01;
	check_step(&f, &m, "sam lr=0.5 rho=0.5 momentum=0.9 weight_decay=0.01");
	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.5;
	m.rho = 0.05;
	m.adaptive = 1;
	check_step(&f, &m, "sam lr=0.5 rho=0.05 adaptive (never fused)");
	method_defaults(&m, OPTIM_GNP);
	m.lr = 0.5;
	m.lambda = 0.1;
	m.r = 0.01;
	check_step(&f, &m, "gnp lr=0.5 lambda=0.1 r=0.01");
	m.lambda = 0.05;
	m.r = 0.1;
	check_step(&f, &m, "gnp lr=0.5 lambda=0.05 r=0.1");
	m.weight_decay = 0.01;
	check_step(&f, &m, "gnp lr=0.5 lambda=0.05 r=0.1 weight_decay=0.01");
	method_defaults(&m, OPTIM_GNP);
	m.lr = 0.5;
	m.lambda = 0.1;
	m.exact = 1;
	check_step(&f, &m, "gnp lr=0.5 lambda=0.1 exact");
	m.lambda = 1.0;
	check_step(&f, &m, "gnp lr=0.5 lambda=1 exact");
	m.momentum = 0.9;
	check_step(&f, &m, "gnp lr=0.5 lambda=1 exact momentum=0.9 (never fused)");

	sgd = xalloc_floats(f.P);
	other = xalloc_floats(f.P);
	method_defaults(&m, OPTIM_SGD);
	m.lr = 0.5;
	float_step(&f, &m, sgd);
	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.5;
	m.rho = 0.0;
	float_step(&f, &m, other);
	ok(memcmp(sgd, other, f.P * sizeof(float)) == 0,
	   "batch %d, %s: sam with rho = 0 takes exactly sgd's step", nb, path());
	method_defaults(&m, OPTIM_GNP);
	m.lr = 0.5;
	m.lambda = 0.0;
	float_step(&f, &m, other);
	ok(memcmp(sgd, other, f.P * sizeof(float)) == 0,
	   "batch %d, %s: gnp with lambda = 0 takes exactly sgd's step", nb, path());
	m.exact = 1;
	float_step(&f, &m, other);
	ok(memcmp(sgd, other, f.P * sizeof(float)) == 0,
	   "batch %d, %s: exact gnp with lambda = 0 takes exactly sgd's step", nb,
	   path());
	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.5;
	m.rho = 0.05;
	float_step(&f, &m, other);
	ok(memcmp(sgd, other, f.P * sizeof(float)) != 0,
	   "batch %d, %s: sam with rho = 0.05 differs from sgd", nb, path());
	free(sgd);
	free(other);
	fixture_free(&f);
}

/*
 * Three steps of m (any optimizer, base sgd without momentum or adam, with
 * weight decay and L2-init toward theta_0 = 0.5 f->w0) from f->w0, in double
 * from the definitions (torch.optim.Adam's), against optim_step.
 */
static void check_steps3(struct fixture *f, const struct method *m, const char *what)
{
	size_t P = f->P;
	double *w = xcalloc(P, sizeof(double)), *g = xcalloc(P, sizeof(double));
	double *mm = xcalloc(P, sizeof(double)), *vv = xcalloc(P, sizeof(double));
	float *anchor = xalloc_floats(P), *fw = mlp_params(f->m);
	struct optim *o = optim_new(m, P);
	double worst = 0.0, moved = 0.0;

	fixture_reset(f);
	for (size_t i = 0; i < P; i++) {
		w[i] = f->w0[i];
		anchor[i] = 0.5f * f->w0[i];
	}
	optim_set_init(o, anchor);
	for (int t = 1; t <= 3; t++) {
		ref_dir(f, m, w, g);
		for (size_t i = 0; i < P; i++) {
			double d = g[i] + m->weight_decay * w[i] +
			           m->l2_init * (w[i] - anchor[i]);

			if (m->base == BASE_ADAM) {
				mm[i] = m->beta1 * mm[i] + (1 - m->beta1) * d;
				vv[i] = m->beta2 * vv[i] + (1 - m->beta2) * d * d;
				d = mm[i] / (1 - pow(m->beta1, t)) /
				    (sqrt(vv[i] / (1 - pow(m->beta2, t))) + m->eps);
			}
			w[i] -= m->lr * d;
		}
		optim_step(o, f->m, f->x, f->y, f->nb);
	}
	for (size_t i = 0; i < P; i++) {
		worst = fmax(worst, fabs(fw[i] - w[i]));
		moved = fmax(moved, fabs(w[i] - f->w0[i]));
	}
	ok(worst < 2e-5 && moved > 1e-3 &&
	           optim_fused_batch(o, f->m, f->nb) ==
	                   (fused_round && m->base == BASE_SGD &&
	                    !(m->exact && m->lambda != 0 &&
	                      (m->l2_init != 0 || m->weight_decay != 0))),
	   "%s, batch %d, %s: 3 steps match the double reference (max diff %.2g, moved "
	   "%.2g)",
	   what, f->nb, path(), worst, moved);
	optim_free(o);
	free(w);
	free(g);
	free(mm);
	free(vv);
	free(anchor);
}

/* L2-init and Adam with each optimizer's direction. */
static void test_cures(int nb)
{
	struct fixture f;
	struct method m;

	fixture_init(&f, 13, nb);
	method_defaults(&m, OPTIM_SGD);
	m.lr = 0.2;
	m.l2_init = 0.5;
	check_steps3(&f, &m, "sgd lr=0.2 l2_init=0.5");
	m.weight_decay = 0.01;
	check_steps3(&f, &m, "sgd lr=0.2 l2_init=0.5 weight_decay=0.01");
	method_defaults(&m, OPTIM_GNP);
	m.lr = 0.2;
	m.lambda = 0.05;
	m.l2_init = 0.5;
	check_steps3(&f, &m, "gnp lr=0.2 lambda=0.05 l2_init=0.5");
	m.exact = 1;
	check_steps3(&f, &m, "gnp lr=0.2 lambda=0.05 exact l2_init=0.5 (never fused)");
	method_defaults(&m, OPTIM_SGD);
	m.lr = 0.01;
	m.base = BASE_ADAM;
	check_steps3(&f, &m, "sgd lr=0.01 base=adam (never fused)");
	m.beta1 = 0.5;
	m.beta2 = 0.9;
	m.eps = 1e-3;
	m.weight_decay = 0.01;
	m.l2_init = 0.5;
	check_steps3(
	        &f, &m,
	        "sgd lr=0.01 base=adam beta1=0.5 beta2=0.9 eps=1e-3 wd=0.01 l2_init=0.5");
	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.01;
	m.rho = 0.5;
	m.base = BASE_ADAM;
	check_steps3(&f, &m, "sam lr=0.01 rho=0.5 base=adam");
	method_defaults(&m, OPTIM_GNP);
	m.lr = 0.01;
	m.lambda = 0.1;
	m.exact = 1;
	m.base = BASE_ADAM;
	check_steps3(&f, &m, "gnp lr=0.01 lambda=0.1 exact base=adam");

	fixture_free(&f);
}

/* The mean cross-entropy of f's batch at w (double) through a network with
 * layer norm before each hidden ReLU, from the definition (torch.nn.LayerNorm:
 * biased variance, eps 1e-5); gains and biases at the norm offsets of m. */
static double ref_loss_ln(const struct fixture *f, const struct mlp *m, const double *w)
{
	double act[NL + 1][MAXB][8], loss = 0.0;

	for (int b = 0; b < f->nb; b++)
		for (int i = 0; i < 5; i++)
			act[0][b][i] = f->x[b * 5 + i];
	for (int l = 0; l < NL; l++) {
		const double *W = w + mlp_weight_offset(m, l),
		             *bias = w + mlp_bias_offset(m, l);
		int n = sizes[l + 1];

		for (int b = 0; b < f->nb; b++) {
			double z[8], mean = 0.0, var = 0.0;

			for (int o = 0; o < n; o++) {
				z[o] = bias[o];
				for (int i = 0; i < sizes[l]; i++)
					z[o] += W[i * n + o] * act[l][b][i];
				mean += z[o] / n;
			}
			for (int o = 0; o < n && l + 1 < NL; o++)
				var += (z[o] - mean) * (z[o] - mean) / n;
			for (int o = 0; o < n; o++) {
				if (l + 1 < NL) {
					const double *g = w + mlp_norm_offset(m, l + 1);

					z[o] = g[o] * (z[o] - mean) / sqrt(var + 1e-5) +
					       g[n + o];
					z[o] = z[o] > 0 ? z[o] : 0;
				}
				act[l + 1][b][o] = z[o];
			}
		}
	}
	for (int b = 0; b < f->nb; b++)
		loss += ref_xent(act[NL][b], f->y[b], NULL);
	return loss / f->nb;
}

/* Layer norm: the gradient of every parameter (weights, biases, gains and
 * the norm's biases) against central differences of the double reference,
 * and an SGD step, on the generic path (the only one it takes). */
static void test_layer_norm(int nb)
{
	struct fixture f;
	struct mlp *m = mlp_new_norm(NL, sizes, MAXB, 1);
	struct rng r;
	size_t P = mlp_nparams(m);
	double *w = xcalloc(P, sizeof(double)), worst = 0.0, scale = 0.0;
	float *g = xalloc_floats(P), *w0 = xalloc_floats(P);
	struct method cfg;
	struct optim *o;
	int ones = 1;

	fixture_init(&f, 21, nb);
	rng_seed(&r, 5, 0, 0);
	mlp_init(m, &r);
	for (int j = 0; j < sizes[1]; j++)
		ones &= mlp_params(m)[mlp_norm_offset(m, 1) + (size_t)j] == 1.0f &&
		        mlp_params(m)[mlp_norm_offset(m, 1) + (size_t)(sizes[1] + j)] ==
		                0.0f;
	/* Gains and biases away from 1 and 0, so their gradients count. */
	for (int l = 1; l < NL; l++)
		for (int j = 0; j < 2 * sizes[l]; j++)
			mlp_params(m)[mlp_norm_offset(m, l) + (size_t)j] =
			        (j < sizes[l] ? 1.0f : 0.0f) +
			        0.3f * (rng_uniform(&r) - 0.5f);
	memcpy(w0, mlp_params(m), P * sizeof(float));
	for (size_t i = 0; i < P; i++)
		w[i] = mlp_params(m)[i];
	mlp_loss_grad(m, f.x, f.y, f.nb, g);
	for (size_t i = 0; i < P; i++) {
		double keep = w[i], up, down;

		w[i] = keep + 1e-6;
		up = ref_loss_ln(&f, m, w);
		w[i] = keep - 1e-6;
		down = ref_loss_ln(&f, m, w);
		w[i] = keep;
		worst = fmax(worst, fabs((up - down) / 2e-6 - g[i]));
		scale = fmax(scale, fabs(g[i]));
	}
	ok(ones && worst < 1e-4 && scale > 1e-2,
	   "layer norm, batch %d: gains start at 1 and biases at 0; every parameter's "
	   "gradient matches central differences of the double reference (max diff %.2g "
	   "of %.2g)",
	   nb, worst, scale);
	method_defaults(&cfg, OPTIM_SGD);
	cfg.lr = 0.5;
	cfg.layer_norm = 1;
	o = optim_new(&cfg, P);
	optim_step(o, m, f.x, f.y, f.nb);
	worst = 0.0;
	for (size_t i = 0; i < P; i++)
		worst = fmax(worst, fabs(mlp_params(m)[i] - (w0[i] - 0.5 * g[i])));
	ok(worst < 1e-6 && !optim_fused_batch(o, m, f.nb),
	   "... and an sgd step moves it by -lr g (max diff %.2g), never on the "
	   "small-batch "
	   "path",
	   worst);
	optim_free(o);
	free(w);
	free(g);
	free(w0);
	mlp_free(m);
	fixture_free(&f);
}

static void test_momentum(int nb)
{
	struct fixture f;
	struct method m;
	struct optim *o;
	double *w, *v, *g;
	float *fw;
	double worst = 0.0;

	fixture_init(&f, 11, nb);
	method_defaults(&m, OPTIM_SGD);
	m.lr = 0.1;
	m.momentum = 0.9;
	m.weight_decay = 0.001;
	o = optim_new(&m, f.P);
	w = xcalloc(f.P, sizeof(double));
	v = xcalloc(f.P, sizeof(double));
	g = xcalloc(f.P, sizeof(double));
	for (size_t i = 0; i < f.P; i++)
		w[i] = f.w0[i];
	for (int step = 0; step < 3; step++) {
		ref_grad(&f, w, g);
		for (size_t i = 0; i < f.P; i++) {
			v[i] = 0.9 * v[i] + g[i] + 0.001 * w[i];
			w[i] -= 0.1 * v[i];
		}
		optim_step(o, f.m, f.x, f.y, f.nb);
	}
	fw = mlp_params(f.m);
	for (size_t i = 0; i < f.P; i++)
		worst = fmax(worst, fabs(fw[i] - w[i]));
	ok(worst < 1e-5 && optim_fused_batch(o, f.m, nb) == fused_round,
	   "batch %d, %s: sgd momentum 0.9 + weight decay: 3 steps match the "
	   "reference (%.2g)",
	   nb, path(), worst);
	optim_free(o);
	free(w);
	free(v);
	free(g);
	fixture_free(&f);
}

/* F(w) = L(w) + lambda ||grad L(w)||, in float through the network. */
static double penalized(struct fixture *f, float *scratch, double lambda)
{
	float loss = mlp_loss_grad(f->m, f->x, f->y, f->nb, scratch);

	return loss + lambda * vec_norm(scratch, f->P);
}

static void test_gnp_limit(void)
{
	struct fixture f;
	struct method m;
	struct optim *o;
	const double lambda = 0.1, rs[] = {0.1, 0.01};
	double *numgrad, err[2], gnorm = 0.0;
	float *scratch, *w;

	fixture_init(&f, 5, 6);
	numgrad = xcalloc(f.P, sizeof(double));
	scratch = xalloc_floats(f.P);
	w = mlp_params(f.m);
	for (size_t i = 0; i < f.P; i++) {
		float keep = w[i];
		double fp, fm;

		w[i] = keep + 1e-3f;
		fp = penalized(&f, scratch, lambda);
		w[i] = keep - 1e-3f;
		fm = penalized(&f, scratch, lambda);
		w[i] = keep;
		numgrad[i] = (fp - fm) / 2e-3;
		gnorm += numgrad[i] * numgrad[i];
	}
	gnorm = sqrt(gnorm);
	for (int k = 0; k < 2; k++) {
		double e = 0.0;

		method_defaults(&m, OPTIM_GNP);
		m.lambda = lambda;
		m.r = rs[k];
		o = optim_new(&m, f.P);
		fixture_reset(&f);
		/* The direction the base update applies. */
		optim_direction(o, f.m, f.x, f.y, f.nb, scratch);
		for (size_t i = 0; i < f.P; i++) {
			double d = scratch[i];

			e += (d - numgrad[i]) * (d - numgrad[i]);
		}
		err[k] = sqrt(e) / gnorm;
		optim_free(o);
	}
	{
		/* The exact form against the gradient of F = L + lambda ||grad L||
		 * differentiated in double (central differences of F itself, not
		 * through H), beside the finite-difference form at r = 0.01. */
		double *wd = xcalloc(f.P, sizeof(double)),
		       *g = xcalloc(f.P, sizeof(double));
		double e[2] = {0.0, 0.0}, n2 = 0.0;
		float *dir[2] = {xalloc_floats(f.P), xalloc_floats(f.P)};

		for (int k = 0; k < 2; k++) {
			method_defaults(&m, OPTIM_GNP);
			m.lambda = lambda;
			m.exact = k == 0;
			o = optim_new(&m, f.P);
			fixture_reset(&f);
			optim_direction(o, f.m, f.x, f.y, f.nb, dir[k]);
			optim_free(o);
		}
		for (size_t i = 0; i < f.P; i++)
			wd[i] = f.w0[i];
		for (size_t i = 0; i < f.P; i++) {
			double keep = wd[i], fp, fm, want;

			wd[i] = keep + 1e-6;
			fp = ref_grad(&f, wd, g) + lambda * dnorm(g, f.P);
			wd[i] = keep - 1e-6;
			fm = ref_grad(&f, wd, g) + lambda * dnorm(g, f.P);
			wd[i] = keep;
			want = (fp - fm) / 2e-6;
			n2 += want * want;
			for (int k = 0; k < 2; k++)
				e[k] += (dir[k][i] - want) * (dir[k][i] - want);
		}
		ok(sqrt(e[0] / n2) < 1e-5 && sqrt(e[0]) < sqrt(e[1]) / 10,
		   "exact gnp direction matches grad(L + lambda ||grad L||) in double "
		   "(rel. "
		   "error %.2g; the finite difference at r=0.01: %.2g)",
		   sqrt(e[0] / n2), sqrt(e[1] / n2));
		free(wd);
		free(g);
		free(dir[0]);
		free(dir[1]);
	}
	ok(err[1] < err[0],
	   "gnp direction error shrinks with r: %.3g at r=0.1, %.3g at r=0.01", err[0],
	   err[1]);
	ok(err[1] < 0.05,
	   "gnp direction at r=0.01 is within 5%% of grad(L + lambda ||grad L||) (%.3g)",
	   err[1]);
	free(numgrad);
	free(scratch);
	fixture_free(&f);
}

/*
 * mlp_hvp against central differences of the double gradient along random
 * directions, and the Hessian's symmetry u . H v = v . H u in float.
 */
static void test_hvp(int nb)
{
	struct fixture f;
	struct rng r;
	double *w, *gp, *gm, worst = 0.0, scale = 0.0, uhv = 0.0, vhu = 0.0;
	float *u, *v, *hu, *hv;
	const double eps = 1e-6;

	fixture_init(&f, 13, nb);
	rng_seed(&r, 17, 0, 0);
	w = xcalloc(f.P, sizeof(double));
	gp = xcalloc(f.P, sizeof(double));
	gm = xcalloc(f.P, sizeof(double));
	u = xalloc_floats(f.P);
	v = xalloc_floats(f.P);
	hu = xalloc_floats(f.P);
	hv = xalloc_floats(f.P);
	for (size_t i = 0; i < f.P; i++) {
		u[i] = 2.0f * rng_uniform(&r) - 1.0f;
		v[i] = 2.0f * rng_uniform(&r) - 1.0f;
	}
	mlp_hvp(f.m, f.x, f.y, f.nb, v, hv);
	mlp_hvp(f.m, f.x, f.y, f.nb, u, hu);
	for (size_t i = 0; i < f.P; i++)
		w[i] = f.w0[i] + eps * v[i];
	ref_grad(&f, w, gp);
	for (size_t i = 0; i < f.P; i++)
		w[i] = f.w0[i] - eps * v[i];
	ref_grad(&f, w, gm);
	for (size_t i = 0; i < f.P; i++) {
		double want = (gp[i] - gm[i]) / (2 * eps);

		worst = fmax(worst, fabs(hv[i] - want));
		scale = fmax(scale, fabs(want));
		uhv += (double)u[i] * hv[i];
		vhu += (double)v[i] * hu[i];
	}
	ok(worst < 1e-5 * (1 + scale) && scale > 1e-3,
	   "batch %d: mlp_hvp matches central differences of the double gradient (max "
	   "diff %.2g of %.2g)",
	   nb, worst, scale);
	ok(fabs(uhv - vhu) < 1e-5 * (fabs(uhv) + 1e-3),
	   "batch %d: u . Hv = v . Hu (%.7g, %.7g)", nb, uhv, vhu);
	free(w);
	free(gp);
	free(gm);
	free(u);
	free(v);
	free(hu);
	free(hv);
	fixture_free(&f);
}

/*
 * Two examples whose gradients cancel: the same input labelled 0 and 1, the
 * two outputs' weights equal and their biases a hair apart. The batch
 * gradient is tiny against each example's, so a gradient norm summed from
 * per-example Gram terms in float came out wrong, or negative and NAN.
 */
static void test_cancelling(void)
{
	static const int S[2] = {50, 2};
	float x[2 * 50], res[2][102];
	uint8_t y[2] = {0, 1};
	struct method m;
	struct rng r;

	method_defaults(&m, OPTIM_SAM);
	m.lr = 0.1;
	m.rho = 0.05;
	rng_seed(&r, 3, 0, 0);
	for (int i = 0; i < 50; i++)
		x[i] = x[50 + i] = rng_uniform(&r);
	for (int k = 3; k <= 7; k++) {
		float gap = (float)pow(10, -k);
		double worst = 0.0;
		int finite = 1;

		for (int fu = 0; fu < 2; fu++) {
			struct mlp *M = mlp_new(1, S, 16);
			struct optim *o;
			struct rng r2;
			float *w;

			rng_seed(&r2, 5, 0, 0);
			mlp_init(M, &r2);
			w = mlp_params(M);
			for (int i = 0; i < 50; i++)
				w[mlp_weight_index(M, 0, 1, i)] =
				        w[mlp_weight_index(M, 0, 0, i)];
			w[mlp_bias_offset(M, 0) + 1] = w[mlp_bias_offset(M, 0)] + gap;
			optim_fused_limit(fu ? 16 : 0);
			o = optim_new(&m, mlp_nparams(M));
			optim_step(o, M, x, y, 2);
			for (int i = 0; i < 50; i++)
				for (int j = 0; j < 2; j++)
					res[fu][i * 2 + j] =
					        w[mlp_weight_index(M, 0, j, i)];
			res[fu][100] = w[mlp_bias_offset(M, 0)];
			res[fu][101] = w[mlp_bias_offset(M, 0) + 1];
			optim_free(o);
			mlp_free(M);
		}
		for (int i = 0; i < 102; i++) {
			finite &= isfinite(res[1][i]);
			worst = fmax(worst, fabs(res[0][i] - res[1][i]));
		}
		/* Below a gap of 1e-5 the batch gradient is at float rounding in
		 * either path and its direction is noise: only finite counts. */
		ok(finite && (k > 5 || worst < 1e-4),
		   "sam, two examples whose gradients cancel (logit gap %g): the "
		   "small-batch "
		   "path's step is finite%s (max diff %.2g)",
		   gap, k > 5 ? "" : " and matches the generic one's", worst);
	}
	optim_fused_limit(16);
}

int main(void)
{
	static const int batches[] = {1, 6, 16};

	blas_init();
	/* Every step test on both paths, at batch 1, 6 and 16. */
	for (fused_round = 0; fused_round < 2; fused_round++) {
		optim_fused_limit(fused_round ? 16 : 0);
		for (int i = 0; i < 3; i++) {
			test_steps(batches[i]);
			test_momentum(batches[i]);
			test_cures(batches[i]);
		}
	}
	for (int i = 0; i < 3; i++)
		test_layer_norm(batches[i]);
	test_gnp_limit();
	test_hvp(1);
	test_hvp(16);
	test_cancelling();
	return tap_done();
}

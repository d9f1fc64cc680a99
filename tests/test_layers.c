/*
 * test_layers.c - gradients of every layer and of the whole MLP against
 * central differences, and the BLAS path against the naive GEMM.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/layers.h"
#include "plasticity/mlp.h"
#include "plasticity/rng.h"
#include "plasticity/util.h"
#include "tap.h"

static void fill(struct rng *r, float *a, int n, float scale)
{
	for (int i = 0; i < n; i++)
		a[i] = (2.0f * rng_uniform(r) - 1.0f) * scale;
}

static double max_rel_err(const float *a, const double *b, int n)
{
	double worst = 0.0;

	for (int i = 0; i < n; i++) {
		double e = fabs(a[i] - b[i]) / fmax(1e-2, fabs(b[i]));

		worst = e > worst ? e : worst;
	}
	return worst;
}

static void test_gemm(void)
{
	static const int shapes[][3] = {
	        {1, 1, 1}, {7, 5, 3}, {64, 256, 784}, {33, 17, 65}, {10, 64, 256}};
	struct rng r;

	rng_seed(&r, 42, 0, 0);
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (int ta = 0; ta < 2; ta++)
			for (int tb = 0; tb < 2; tb++) {
				int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
				float *a = xalloc_floats((size_t)m * k),
				      *b = xalloc_floats((size_t)k * n);
				float *c1 = xalloc_floats((size_t)m * n),
				      *c2 = xalloc_floats((size_t)m * n);
				double worst = 0.0;

				fill(&r, a, m * k, 1.0f);
				fill(&r, b, k * n, 1.0f);
				fill(&r, c1, m * n, 1.0f);
				memcpy(c2, c1, (size_t)m * n * sizeof(float));
				gemm(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n,
				     0.25f, c1, n);
				gemm_naive(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b,
				           tb ? k : n, 0.25f, c2, n);
				for (int i = 0; i < m * n; i++)
					worst = fmax(worst, fabs(c1[i] - c2[i]));
				ok(worst < 1e-3 * sqrt(k),
				   "gemm %dx%dx%d trans %d%d matches naive (max diff "
				   "%.2g)",
				   m, n, k, ta, tb, worst);
				free(a);
				free(b);
				free(c1);
				free(c2);
			}
}

/* Objective sum(out * R) of linear_forward, in double. */
static double linear_obj(const float *in, const float *w, const float *b, const float *R,
                         int B, int nin, int nout, float *out)
{
	double s = 0.0;

	linear_forward(out, in, w, b, B, nin, nout);
	for (int i = 0; i < B * nout; i++)
		s += (double)out[i] * R[i];
	return s;
}

static void numeric(float *x, int n, double *grad, double (*f)(void *), void *arg,
                    float h)
{
	for (int i = 0; i < n; i++) {
		float keep = x[i];
		double fp, fm;

		x[i] = keep + h;
		fp = f(arg);
		x[i] = keep - h;
		fm = f(arg);
		x[i] = keep;
		grad[i] = (fp - fm) / (2.0 * h);
	}
}

struct lin {
	float *in, *w, *b, *R, *out;
	int B, nin, nout;
};

static double lin_f(void *arg)
{
	struct lin *l = arg;

	return linear_obj(l->in, l->w, l->b, l->R, l->B, l->nin, l->nout, l->out);
}

static void test_linear(void)
{
	struct lin l = {.B = 4, .nin = 6, .nout = 5};
	struct rng r;
	double ng[64];
	float *dw, *db, *din;

	rng_seed(&r, 1, 0, 0);
	l.in = xalloc_floats(24);
	l.w = xalloc_floats(30);
	l.b = xalloc_floats(5);
	l.R = xalloc_floats(20);
	l.out = xalloc_floats(20);
	dw = xalloc_floats(30);
	db = xalloc_floats(5);
	din = xalloc_floats(24);
	fill(&r, l.in, 24, 1.0f);
	fill(&r, l.w, 30, 1.0f);
	fill(&r, l.b, 5, 1.0f);
	fill(&r, l.R, 20, 1.0f);
	linear_backward(din, dw, db, l.R, l.in, l.w, l.B, l.nin, l.nout);
	numeric(l.w, 30, ng, lin_f, &l, 1e-2f);
	ok(max_rel_err(dw, ng, 30) < 1e-3, "linear dW matches central differences");
	numeric(l.b, 5, ng, lin_f, &l, 1e-2f);
	ok(max_rel_err(db, ng, 5) < 1e-3, "linear db matches central differences");
	numeric(l.in, 24, ng, lin_f, &l, 1e-2f);
	ok(max_rel_err(din, ng, 24) < 1e-3, "linear dx matches central differences");
	/* Backward overwrites parameter gradients: a second call gives the same. */
	{
		float first = dw[7], bfirst = db[2];

		dw[7] = db[2] = 1e6f;
		linear_backward(NULL, dw, db, l.R, l.in, l.w, l.B, l.nin, l.nout);
		ok(dw[7] == first && db[2] == bfirst,
		   "linear backward overwrites dW and db");
	}
	free(l.in);
	free(l.w);
	free(l.b);
	free(l.R);
	free(l.out);
	free(dw);
	free(db);
	free(din);
}

struct act {
	float *x, *y, *R;
	uint8_t *labels;
	int n, B, C;
};

static double relu_f(void *arg)
{
	struct act *a = arg;
	double s = 0.0;

	memcpy(a->y, a->x, (size_t)a->n * sizeof(float));
	relu_forward(a->y, a->n);
	for (int i = 0; i < a->n; i++)
		s += (double)a->y[i] * a->R[i];
	return s;
}

static double xent_f(void *arg)
{
	struct act *a = arg;

	return softmax_xent_forward(a->y, a->x, a->labels, a->B, a->C);
}

static void test_relu_xent(void)
{
	struct act a = {.n = 40, .B = 8, .C = 5};
	struct rng r;
	double ng[40];
	float d[40];
	uint8_t labels[8];

	rng_seed(&r, 2, 0, 0);
	a.x = xalloc_floats(40);
	a.y = xalloc_floats(40);
	a.R = xalloc_floats(40);
	fill(&r, a.x, 40, 1.0f);
	fill(&r, a.R, 40, 1.0f);
	for (int i = 0; i < 40; i++) /* keep clear of the kink at 0 */
		a.x[i] += a.x[i] > 0 ? 0.1f : -0.1f;
	relu_f(&a);
	memcpy(d, a.R, sizeof(d));
	relu_backward(d, a.y, 40);
	numeric(a.x, 40, ng, relu_f, &a, 1e-2f);
	ok(max_rel_err(d, ng, 40) < 1e-4, "relu backward matches central differences");

	for (int i = 0; i < 8; i++)
		labels[i] = (uint8_t)rng_below(&r, 5);
	a.labels = labels;
	fill(&r, a.x, 40, 3.0f);
	xent_f(&a);
	softmax_xent_backward(d, a.y, labels, 8, 5);
	numeric(a.x, 40, ng, xent_f, &a, 1e-2f);
	ok(max_rel_err(d, ng, 40) < 2e-2,
	   "softmax cross-entropy backward matches central differences");

	/* Stability: huge logits give a finite loss equal to the margin. */
	{
		float z[2] = {1000.0f, 0.0f}, p[2];
		uint8_t y1 = 1;
		float loss = softmax_xent_forward(p, z, &y1, 1, 2);

		ok(isfinite(loss) && fabsf(loss - 1000.0f) < 1e-2f,
		   "cross-entropy of logits (1000, 0) with label 1 is 1000 (got %g)",
		   loss);
	}
	free(a.x);
	free(a.y);
	free(a.R);
}

struct net {
	struct mlp *m;
	float *x;
	uint8_t *y;
	int B;
};

static double net_f(void *arg)
{
	struct net *n = arg;
	double loss = 0.0;

	mlp_evaluate(n->m, n->x, n->y, n->B, &loss);
	return loss / n->B;
}

static void test_mlp(void)
{
	static const int sizes[] = {7, 6, 5, 4, 3};
	struct net n = {.B = 9};
	struct rng r;
	size_t P;
	float *g;
	double *ng, worst = 0.0;
	uint8_t y[9];
	int kinks = 0;

	rng_seed(&r, 3, 0, 0);
	n.m = mlp_new(4, sizes, 9);
	mlp_init(n.m, &r);
	P = mlp_nparams(n.m);
	n.x = xalloc_floats(9 * 7);
	fill(&r, n.x, 63, 1.0f);
	for (int i = 0; i < 9; i++)
		y[i] = (uint8_t)rng_below(&r, 3);
	n.y = y;
	g = xalloc_floats(P);
	ng = xcalloc(P, sizeof(double));
	mlp_loss_grad(n.m, n.x, y, 9, g);
	numeric(mlp_params(n.m), (int)P, ng, net_f, &n, 1e-3f);
	/*
	 * ReLU makes the loss piecewise smooth: where a perturbation crosses a
	 * kink, the analytic gradient must equal one of the one-sided
	 * differences instead. Such parameters must be rare.
	 */
	for (size_t i = 0; i < P; i++) {
		float *w = mlp_params(n.m), keep = w[i];
		double f0, fp, fm, e = fabs(g[i] - ng[i]);

		if (e > 2e-4) {
			f0 = net_f(&n);
			w[i] = keep + 1e-3f;
			fp = net_f(&n);
			w[i] = keep - 1e-3f;
			fm = net_f(&n);
			w[i] = keep;
			e = fmin(fabs(g[i] - (fp - f0) / 1e-3),
			         fabs(g[i] - (f0 - fm) / 1e-3));
			kinks++;
		}
		worst = fmax(worst, e);
	}
	ok(worst < 5e-4 && kinks < (int)P / 5,
	   "MLP 7-6-5-4-3 gradient matches finite differences (max abs diff %.2g, %d of "
	   "%zu "
	   "parameters at a ReLU kink)",
	   worst, kinks, P);
	{
		float bound = 1.0f / sqrtf(7.0f), *w;
		int inside = 1;

		mlp_init(n.m, &r);
		w = mlp_params(n.m) + mlp_weight_offset(n.m, 0);
		for (int i = 0; i < 42; i++)
			inside &= fabsf(w[i]) <= bound;
		ok(inside, "first-layer init within +-1/sqrt(fan_in)");
	}
	mlp_free(n.m);
	free(n.x);
	free(g);
	free(ng);
}

int main(void)
{
	blas_init();
	test_gemm();
	test_linear();
	test_relu_xent();
	test_mlp();
	return tap_done();
}

/*
 * probe.c - diagnostics on a probe set (formulas in probe.h).
 *
 * Every metric runs its own passes over the probe set in chunks of the
 * network's max batch, so it never reads buffers a SAM or GNP step left
 * perturbed. The probe set's loss is the mean over all its examples, so its
 * gradient is the chunk gradients weighted by chunk size.
 *
 * Hessian-vector products are central differences of that gradient,
 *   H v ~ (g(w + h v) - g(w - h v)) / 2h,  ||v|| = 1,
 * with h = sqrt(FLT_EPSILON) (1 + ||w||). A ReLU network's loss is only
 * piecewise smooth: a difference that straddles a kink (a unit switching
 * on or off) is wrong by O(1/h), and the chance of straddling one grows
 * with h. So h is the smallest step whose rounding error, about
 * eps |g| / h = sqrt(eps) |g| for float32 gradients, stays negligible, in
 * the units of the weights (1 + ||w||). Measured in the tests on a small
 * network against its exact Hessian in double: with h = cbrt(eps), the
 * textbook choice for smooth functions, Hutchinson's trace came out -1.2
 * for a true 1.49; with sqrt(eps) it is within 1.2 standard errors, and
 * lambda_max within 0.03%.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/blas.h"
#include "plasticity/optim.h"
#include "plasticity/probe.h"
#include "plasticity/util.h"

struct probe {
	int n, nlayers;
	size_t nparams;
	float *acts[MLP_MAX_LAYERS +
	            1]; /* acts[l] (n, sizes[l]) hidden layer l, l >= 1 */
	float *svals;   /* (widest) */
	float *grad, *chunk, *save, *v, *hv, *gplus; /* (nparams) */
};

struct probe *probe_new(const struct mlp *m, int n)
{
	struct probe *pr = xcalloc(1, sizeof(*pr));
	int widest = 1;

	pr->n = n;
	pr->nlayers = mlp_nlayers(m);
	pr->nparams = mlp_nparams(m);
	for (int l = 1; l < pr->nlayers; l++) {
		pr->acts[l] = xalloc_floats((size_t)n * mlp_size(m, l));
		widest = mlp_size(m, l) > widest ? mlp_size(m, l) : widest;
	}
	pr->svals = xalloc_floats((size_t)widest);
	pr->grad = xalloc_floats(pr->nparams);
	pr->chunk = xalloc_floats(pr->nparams);
	pr->save = xalloc_floats(pr->nparams);
	pr->v = xalloc_floats(pr->nparams);
	pr->hv = xalloc_floats(pr->nparams);
	pr->gplus = xalloc_floats(pr->nparams);
	return pr;
}

void probe_free(struct probe *pr)
{
	if (pr == NULL)
		return;
	for (int l = 1; l < pr->nlayers; l++)
		free(pr->acts[l]);
	free(pr->svals);
	free(pr->grad);
	free(pr->chunk);
	free(pr->save);
	free(pr->v);
	free(pr->hv);
	free(pr->gplus);
	free(pr);
}

/* Mean loss and accuracy over the probe set; with keep, the hidden
 * activations of every example into pr->acts. */
static double eval_pass(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y,
                        int n, int keep, double *acc)
{
	int in = mlp_size(m, 0), mb = mlp_max_batch(m);
	long correct = 0;
	double loss = 0.0;

	for (int i = 0; i < n; i += mb) {
		int B = n - i < mb ? n - i : mb;

		correct += mlp_evaluate(m, x + (size_t)i * in, y + i, B, &loss);
		for (int l = 1; keep && l < pr->nlayers; l++)
			memcpy(pr->acts[l] + (size_t)i * mlp_size(m, l),
			       mlp_activation(m, l),
			       (size_t)B * mlp_size(m, l) * sizeof(float));
	}
	if (acc != NULL)
		*acc = (double)correct / n;
	return loss / n;
}

/* g = grad of the mean loss over the probe set; returns that loss. */
static double full_grad(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y,
                        int n, float *g)
{
	int in = mlp_size(m, 0), mb = mlp_max_batch(m);
	double loss = 0.0;

	memset(g, 0, pr->nparams * sizeof(float));
	for (int i = 0; i < n; i += mb) {
		int B = n - i < mb ? n - i : mb;

		loss += (double)mlp_loss_grad(m, x + (size_t)i * in, y + i, B,
		                              pr->chunk) *
		        B;
		vec_axpy(g, (float)B / (float)n, pr->chunk, pr->nparams);
	}
	return loss / n;
}

/* out = H v (||v|| = 1) by central differences; the weights end as they began. */
static void hvp(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y, int n,
                const float *v, float h, float *out)
{
	float *w = mlp_params(m);

	memcpy(pr->save, w, pr->nparams * sizeof(float));
	vec_axpy(w, h, v, pr->nparams);
	full_grad(pr, m, x, y, n, pr->gplus);
	memcpy(w, pr->save, pr->nparams * sizeof(float));
	vec_axpy(w, -h, v, pr->nparams);
	full_grad(pr, m, x, y, n, out);
	memcpy(w, pr->save, pr->nparams * sizeof(float));
	for (size_t i = 0; i < pr->nparams; i++)
		out[i] = (pr->gplus[i] - out[i]) / (2.0f * h);
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static void scale(float *a, double k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (float)(a[i] * k);
}

/*
 * Power iteration on H - shift I (PyHessian's scheme): v <- (H - shift) v /
 * ||...||, Rayleigh quotient lam = v.(H - shift)v; stop when lam changes by
 * at most 1e-3 relative and | |lam| - ||(H - shift)v|| | <= 1e-3 |lam| (v is
 * then an eigenvector: a small change alone also happens while two
 * eigenvalues of opposite sign still compete), or after the cap. Returns
 * the eigenvalue of largest magnitude of H - shift.
 */
static double power(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y,
                    int n, float h, double shift, int cap, struct rng *r, int *iters)
{
	double lam = NAN, norm;
	size_t P = pr->nparams;

	for (size_t i = 0; i < P; i++)
		pr->v[i] = rng_uniform(r) - 0.5f;
	scale(pr->v, 1.0 / sqrt(dot(pr->v, pr->v, P)), P);
	for (int it = 1; it <= cap; it++) {
		double prev = lam;

		*iters += 1;
		hvp(pr, m, x, y, n, pr->v, h, pr->hv);
		vec_axpy(pr->hv, (float)-shift, pr->v, P);
		lam = dot(pr->v, pr->hv, P);
		norm = sqrt(dot(pr->hv, pr->hv, P));
		if (!(norm > 0.0))
			break;
		memcpy(pr->v, pr->hv, P * sizeof(float));
		scale(pr->v, 1.0 / norm, P);
		if (isfinite(prev) && fabs(lam - prev) <= 1e-3 * fabs(lam) &&
		    fabs(fabs(lam) - norm) <= 1e-3 * fabs(lam))
			break;
	}
	return lam;
}

/* The top (largest) eigenvalue of H. Power iteration finds the eigenvalue
 * of largest magnitude; when that is negative, the top one is found on
 * H - lam1 I, whose spectrum is then >= 0 with lam_top - lam1 largest. */
static double lambda_max(struct probe *pr, struct mlp *m, const float *x,
                         const uint8_t *y, int n, float h, const struct probe_cfg *cfg,
                         struct rng *r, int *iters)
{
	double lam1;

	*iters = 0;
	lam1 = power(pr, m, x, y, n, h, 0.0, cfg->hessian_iters, r, iters);
	if (!(lam1 < 0.0))
		return lam1;
	return lam1 + power(pr, m, x, y, n, h, lam1, cfg->hessian_iters, r, iters);
}

/* Hutchinson: tr(H) ~ mean of z^T H z, z Rademacher (z = sqrt(P) v, ||v|| = 1). */
static double hutchinson(struct probe *pr, struct mlp *m, const float *x,
                         const uint8_t *y, int n, float h, int samples, struct rng *r)
{
	size_t P = pr->nparams;
	double sum = 0.0;

	for (int s = 0; s < samples; s++) {
		for (size_t i = 0; i < P; i++)
			pr->v[i] = (rng_next(r) >> 63) ? 1.0f : -1.0f;
		scale(pr->v, 1.0 / sqrt((double)P), P);
		hvp(pr, m, x, y, n, pr->v, h, pr->hv);
		sum += (double)P * dot(pr->v, pr->hv, P);
	}
	return samples > 0 ? sum / samples : NAN;
}

double probe_erank(const float *s, int k)
{
	double sum = 0.0, ent = 0.0;

	for (int i = 0; i < k; i++)
		sum += s[i];
	if (!(sum > 0.0))
		return 0.0;
	for (int i = 0; i < k; i++) {
		double p = s[i] / sum;

		if (p > 0.0)
			ent -= p * log(p);
	}
	return exp(ent);
}

int probe_arank(const float *s, int k, double keep)
{
	double total = 0.0, run = 0.0;
	int i;

	for (i = 0; i < k; i++)
		total += (double)s[i] * s[i];
	if (!(total > 0.0))
		return 0;
	for (i = 0; i < k && run < keep * total; i++)
		run += (double)s[i] * s[i];
	return i;
}

void probe_scores(double *a, int w)
{
	double layer = 0.0;

	for (int j = 0; j < w; j++)
		layer += a[j] / w;
	for (int j = 0; j < w; j++)
		a[j] = a[j] / (layer + 1e-9);
}

/* Dead and dormant fractions of hidden layer l from its activations. */
static void unit_health(struct probe *pr, const struct mlp *m, int l, int n, double tau,
                        double *dead, double *dormant)
{
	int w = mlp_size(m, l), ndead = 0, ndormant = 0;
	double *mean = xcalloc((size_t)w, sizeof(double));

	for (int i = 0; i < n; i++) {
		const float *h = pr->acts[l] + (size_t)i * w;

		for (int j = 0; j < w; j++)
			mean[j] += fabs((double)h[j]);
	}
	for (int j = 0; j < w; j++) {
		mean[j] /= n;
		ndead += mean[j] == 0.0;
	}
	probe_scores(mean, w);
	for (int j = 0; j < w; j++)
		ndormant += mean[j] <= tau;
	*dead = (double)ndead / w;
	*dormant = (double)ndormant / w;
	free(mean);
}

static void weights(const struct probe *pr, struct mlp *m, const float *init,
                    struct probe_result *out)
{
	const float *w = mlp_params(m);
	double d = 0.0;

	for (int l = 0; l + 1 <= pr->nlayers; l++) {
		size_t nw = (size_t)mlp_size(m, l) * mlp_size(m, l + 1);
		const float *wl = w + mlp_weight_offset(m, l);
		double s = 0.0;

		for (size_t i = 0; i < nw; i++)
			s += fabs((double)wl[i]);
		out->wmag[l] = s / nw;
	}
	for (size_t i = 0; init != NULL && i < pr->nparams; i++)
		d += ((double)w[i] - init[i]) * ((double)w[i] - init[i]);
	out->dist_init = init != NULL ? sqrt(d) : NAN;
}

void probe_result_nan(struct probe_result *out)
{
	double *f = (double *)out;

	for (size_t i = 0;
	     i < offsetof(struct probe_result, hessian_iters) / sizeof(double); i++)
		f[i] = NAN;
	out->hessian_iters = 0;
}

void probe_run(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y, int n,
               const float *init, const struct probe_cfg *cfg, struct probe_result *out)
{
	unsigned want = cfg->metrics;
	double loss = NAN, acc = NAN;
	struct rng r;
	float h =
	        sqrtf(FLT_EPSILON) * (1.0f + (float)vec_norm(mlp_params(m), pr->nparams));

	probe_result_nan(out);
	n = n < pr->n ? n : pr->n;
	if (n <= 0)
		return;
	if (want &
	    (PROBE_DEAD | PROBE_DORMANT | PROBE_RANK | PROBE_LOSS | PROBE_SHARPNESS))
		loss = eval_pass(pr, m, x, y, n, 1, &acc);
	if (want & PROBE_LOSS) {
		out->loss = loss;
		out->acc = acc;
	}
	for (int l = 1; l < pr->nlayers; l++) {
		if (want & (PROBE_DEAD | PROBE_DORMANT))
			unit_health(pr, m, l, n, cfg->dormant_tau, &out->dead[l - 1],
			            &out->dormant[l - 1]);
		if (!(want & PROBE_DEAD))
			out->dead[l - 1] = NAN;
		if (!(want & PROBE_DORMANT))
			out->dormant[l - 1] = NAN;
		if ((want & PROBE_RANK) &&
		    svd_values(pr->acts[l], n, mlp_size(m, l), pr->svals) == 0) {
			int k = n < mlp_size(m, l) ? n : mlp_size(m, l);

			out->erank[l - 1] = probe_erank(pr->svals, k);
			out->arank[l - 1] = probe_arank(pr->svals, k, 0.99);
		}
	}
	if (want & PROBE_WEIGHTS)
		weights(pr, m, init, out);
	if (want & (PROBE_GRAD | PROBE_SHARPNESS)) {
		double g;

		full_grad(pr, m, x, y, n, pr->grad);
		g = vec_norm(pr->grad, pr->nparams);
		if (want & PROBE_GRAD)
			out->grad_norm = g;
		if (want & PROBE_SHARPNESS) {
			float *w = mlp_params(m);

			memcpy(pr->save, w, pr->nparams * sizeof(float));
			vec_axpy(w, (float)(cfg->rho / (g + 1e-12)), pr->grad,
			         pr->nparams);
			out->sharpness = eval_pass(pr, m, x, y, n, 0, NULL) - loss;
			memcpy(w, pr->save, pr->nparams * sizeof(float));
		}
	}
	rng_seed(&r, cfg->seed, RNG_STREAM_PROBE, cfg->index);
	if (want & PROBE_HESSIAN)
		out->lambda_max =
		        lambda_max(pr, m, x, y, n, h, cfg, &r, &out->hessian_iters);
	if (want & PROBE_TRACE)
		out->trace = hutchinson(pr, m, x, y, n, h, cfg->trace_samples, &r);
}

static const struct {
	const char *name;
	unsigned bits;
} metric_names[] = {
        {"dead", PROBE_DEAD},
        {"dormant", PROBE_DORMANT},
        {"rank", PROBE_RANK},
        {"weights", PROBE_WEIGHTS},
        {"grad", PROBE_GRAD},
        {"sharpness", PROBE_SHARPNESS},
        {"loss", PROBE_LOSS},
        {"hessian", PROBE_HESSIAN},
        {"trace", PROBE_TRACE},
        {"default", PROBE_DEFAULT},
        {"all", PROBE_DEFAULT | PROBE_HESSIAN | PROBE_TRACE},
        {"none", 0},
};

int probe_metrics_parse(const char *text, unsigned *mask, char *bad, size_t len)
{
	const char *p = text;

	*mask = 0;
	while (*p != '\0') {
		size_t n, i, nm = sizeof(metric_names) / sizeof(metric_names[0]);

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		for (i = 0; i < nm; i++)
			if (strlen(metric_names[i].name) == n &&
			    strncmp(metric_names[i].name, p, n) == 0)
				break;
		if (i == nm) {
			snprintf(bad, len, "%.*s", (int)(n < 40 ? n : 40), p);
			return -1;
		}
		*mask |= metric_names[i].bits;
		p += n;
	}
	return 0;
}

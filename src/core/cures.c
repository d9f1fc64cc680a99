/*
 * cures.c - the table of remedies that act as hooks, and drawing a unit
 * afresh (see cures.h).
 */
#include <math.h>
#include <string.h>

#include "plasticity/cures.h"
#include "plasticity/util.h"

static int wants_sp(const struct method *m)
{
	return m->shrink != 1.0 || m->perturb != 0.0;
}

static int wants_redo(const struct method *m)
{
	return m->redo != REDO_NONE;
}

static int wants_cbp(const struct method *m)
{
	return m->cbp_rate > 0.0;
}

/* Adding a cure: its file, its method keys (preset.c) and one line here. */
const struct cure cures[] = {
        {&cure_shrink_perturb, wants_sp},
        {&cure_redo, wants_redo},
        {&cure_cbp, wants_cbp},
};
const int ncures = sizeof(cures) / sizeof(cures[0]);

int unit_first(const struct mlp *m, int l)
{
	int n = 0;

	for (int k = 1; k < l; k++)
		n += mlp_size(m, k);
	return n;
}

/* Zero the optimizer's state at n weights from flat index at, stride apart. */
static void state_zero(struct optim *o, size_t at, size_t n, size_t stride)
{
	struct state_buf st[OPTIM_MAX_BUFS];
	int ns = optim_state(o, st, OPTIM_MAX_BUFS);

	for (int s = 0; s < ns; s++)
		for (size_t i = 0; i < n; i++)
			st[s].data[at + i * stride] = 0.0f;
}

void unit_reset(struct mlp *m, struct optim *o, int l, int j, struct rng *rng,
                int fresh_bias)
{
	float *w = mlp_params(m);
	size_t nin = (size_t)mlp_size(m, l - 1), nout = (size_t)mlp_size(m, l);
	size_t win = mlp_weight_offset(m, l - 1) + (size_t)j,
	       bias = mlp_bias_offset(m, l - 1) + (size_t)j;
	size_t wout = mlp_weight_offset(m, l) + (size_t)j * (size_t)mlp_size(m, l + 1);
	float bound = 1.0f / sqrtf((float)nin);

	/* Incoming weights: column j of layer l - 1's (in, out) block. */
	for (size_t i = 0; i < nin; i++)
		w[win + i * nout] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
	w[bias] = fresh_bias ? (2.0f * rng_uniform(rng) - 1.0f) * bound : 0.0f;
	/* Outgoing: row j of layer l's, contiguous (input-major). */
	memset(w + wout, 0, (size_t)mlp_size(m, l + 1) * sizeof(float));
	state_zero(o, win, nin, nout);
	state_zero(o, bias, 1, 1);
	state_zero(o, wout, (size_t)mlp_size(m, l + 1), 1);
	if (mlp_norm(m)) {
		/* Its layer norm's gain and bias as they start: 1 and 0. */
		size_t g = mlp_norm_offset(m, l) + (size_t)j;

		w[g] = 1.0f;
		w[g + nout] = 0.0f;
		state_zero(o, g, 2, nout);
	}
}

void unit_mean_abs(struct mlp *m, const float *x, int n, double *a)
{
	int L = mlp_nlayers(m), mb = mlp_max_batch(m), in = mlp_size(m, 0);

	memset(a, 0, (size_t)unit_first(m, L) * sizeof(double));
	for (int i = 0; i < n; i += mb) {
		int B = n - i < mb ? n - i : mb;

		mlp_forward_only(m, x + (size_t)i * in, B);
		for (int l = 1; l < L; l++) {
			const float *h = mlp_activation(m, l);
			double *al = a + unit_first(m, l);
			int w = mlp_size(m, l);

			for (int b = 0; b < B; b++)
				for (int k = 0; k < w; k++)
					al[k] += fabs((double)h[(size_t)b * w + k]);
		}
	}
	for (int k = 0; n > 0 && k < unit_first(m, L); k++)
		a[k] /= n;
}

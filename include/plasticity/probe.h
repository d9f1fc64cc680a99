/*
 * probe.h - diagnostics of *why* plasticity is lost, measured on a probe set.
 *
 * After training on a task, a run probes its network on a fixed set of
 * examples (the task's first probe_examples training examples in dataset
 * order, after its permutation) with forward and backward passes of its own.
 * Every formula, as --help and the man page state it (h_i(x): the ReLU
 * output of hidden unit i on example x; L: the mean cross-entropy over the
 * probe set):
 *
 *   dead       fraction of a hidden layer's units with h_i(x) = 0 on every
 *              probe example (Dohare et al. 2024)
 *   dormant    fraction with s_i <= tau, s_i = mean_x |h_i(x)| /
 *              (mean over the layer's units of the same + 1e-9)
 *              (Sokar et al. 2023, ReDo)
 *   erank      exp(-sum_k p_k log p_k), p_k = sigma_k / sum sigma, over the
 *              singular values of the (probe x width) activation matrix
 *              (Roy & Vetterli 2007)
 *   arank      the fewest largest sigma_k holding 99% of sum sigma_k^2
 *   wmag       mean |w| of a layer's weights (biases left out)
 *   dist_init  ||theta - theta_0||_2 over every parameter
 *   grad_norm  ||grad L||_2
 *   sharpness  L(w + rho g/||g||) - L(w), g = grad L (SAM's sharpness)
 *   lambda_max the largest Hessian eigenvalue of L: power iteration on
 *              Hessian-vector products (central differences, see probe.c),
 *              to a relative change and residual of 1e-3 or hessian_iters
 *              iterations; on H - lambda_1 I when the eigenvalue of largest
 *              magnitude lambda_1 is negative
 *   trace      Hutchinson's estimate of tr(H): mean of z^T H z over
 *              Rademacher vectors z
 *   loss, acc  L and the accuracy on the probe set
 */
#ifndef PLASTICITY_PROBE_H
#define PLASTICITY_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "plasticity/mlp.h"
#include "plasticity/rng.h"

#define PROBE_DEAD      0x001u
#define PROBE_DORMANT   0x002u
#define PROBE_RANK      0x004u
#define PROBE_WEIGHTS   0x008u
#define PROBE_GRAD      0x010u
#define PROBE_SHARPNESS 0x020u
#define PROBE_HESSIAN   0x040u
#define PROBE_TRACE     0x080u
#define PROBE_LOSS      0x100u
/* The default set: all but the Hessian ones. */
#define PROBE_DEFAULT                                                                    \
	(PROBE_DEAD | PROBE_DORMANT | PROBE_RANK | PROBE_WEIGHTS | PROBE_GRAD |          \
	 PROBE_SHARPNESS | PROBE_LOSS)

struct probe_cfg {
	unsigned metrics;   /* PROBE_* */
	double dormant_tau; /* default 0.1 */
	double rho;         /* sharpness radius, default 0.05 */
	int hessian_iters;  /* power iterations at most, default 20 */
	int trace_samples;  /* Hutchinson vectors, default 10 */
	uint64_t seed;      /* of the power iteration's start and the z vectors ... */
	uint64_t index;     /* ... with this stream index (the task) */
};

/* What a probe measured; NAN where not measured. Per-layer arrays are
 * indexed from 0: hidden layer 1 is [0]; wmag has one per linear layer. */
struct probe_result {
	double dead[MLP_MAX_LAYERS], dormant[MLP_MAX_LAYERS];
	double erank[MLP_MAX_LAYERS], arank[MLP_MAX_LAYERS];
	double wmag[MLP_MAX_LAYERS];
	double dist_init, grad_norm, sharpness, lambda_max, trace;
	double loss, acc;
	int hessian_iters; /* iterations the power iteration took */
};

struct probe;

/* A workspace for probing m on up to n examples; all memory is allocated here. */
struct probe *probe_new(const struct mlp *m, int n);
void probe_free(struct probe *pr);

/*
 * Probe m on x (n, inputs), y (n): the metrics cfg asks for into out (the
 * rest NAN). init: the run's initial parameters (for dist_init; may be NULL).
 * The network's parameters are left exactly as they were.
 */
void probe_run(struct probe *pr, struct mlp *m, const float *x, const uint8_t *y, int n,
               const float *init, const struct probe_cfg *cfg, struct probe_result *out);

/*
 * A preset's `diagnostics` text ("dead, rank", "default", "all", "none")
 * as PROBE_* bits. Returns 0, or -1 with the unknown name in bad.
 */
int probe_metrics_parse(const char *text, unsigned *mask, char *bad, size_t len);

/* Every field of out NAN (nothing measured). */
void probe_result_nan(struct probe_result *out);
/* ReDo's dormant scores, in place: a[j] (a unit's mean |h| over the probe
 * set, w units of one layer) becomes s_j = a[j] / (mean_k a[k] + 1e-9). */
void probe_scores(double *a, int w);

/* The effective and approximate rank of singular values s[0..k), largest
 * first (exposed for tests). */
double probe_erank(const float *s, int k);
int probe_arank(const float *s, int k, double keep);

#endif

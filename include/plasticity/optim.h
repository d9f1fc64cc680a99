/*
 * optim.h - optimizers as descriptors, and the step on the MLP's flat
 * parameter vector.
 *
 * Each optimizer is one file ending in one `const struct optim_desc` that
 * carries everything about it: its name in presets, a line of help, the
 * method keys only it takes, how its label is formed, and its direction.
 * optim.c lists them in one table (optim_descs, indexed by enum optimizer);
 * the preset schema's choices, "key X does not apply to optimizer Y", the
 * form's rows and method labels all follow from it.
 *
 * All optimizers share the base update
 *   d = g + weight_decay * w + l2_init * (w - w_0);  v = momentum * v + d;
 *   w -= lr * v
 * (v only with momentum > 0; with base adam, Adam's moments instead) and
 * differ in the direction g they hand it:
 *   SAM  e = rho g / ||g||  (adaptive: e_i = rho w_i^2 g_i / ||w * g||),
 *        g <- grad L(w + e) on the same mini-batch;
 *   GNP  g1 = grad L(w), g2 = grad L(w + r g1/||g1||),
 *        g <- (1 - lambda/r) g1 + (lambda/r) g2   (finite-difference form of
 *        the gradient of L + lambda ||grad L||); exact: g <- g1 +
 *        (lambda/||g1||) H g1, H g1 by the R-operator (mlp_hvp).
 * struct optim is opaque; what must survive a checkpoint is declared as named
 * state buffers (optim_state), so checkpoints save them without knowing what
 * they are. All memory is allocated in optim_new.
 */
#ifndef PLASTICITY_OPTIM_H
#define PLASTICITY_OPTIM_H

#define OPTIM_MAX_STATE 4 /* state buffers an optimizer may declare */
/* ... and all it may keep: those, momentum's velocity and Adam's moments. */
#define OPTIM_MAX_BUFS (OPTIM_MAX_STATE + 3)

#include <stddef.h>
#include <stdint.h>

#include "plasticity/mlp.h"
#include "plasticity/preset.h"

struct optim;

/*
 * A step in the small-batch path's terms (fused.c): up to two gradients,
 * the second at w + probe g1, and the direction mix[0] g1 + mix[1] g2;
 * or, with hvp, the direction g1 + probe H g1 (exact GNP), H g1 by the
 * R-operator. A plan with hvp is for the small-batch path only.
 */
struct step_plan {
	float probe;
	float mix[2];
	int hvp;
};

struct optim_desc {
	const char *name;  /* in presets: "sam" */
	const char *title; /* one line of help */
	int passes;        /* gradient passes per step (SGD 1, SAM and GNP 2): its cost */
	const char *const *keys; /* the method keys only it takes, NULL-terminated */
	/* The state it keeps from step to step (Adam's moments, say), as names of
	 * buffers of nparams floats, NULL-terminated (or NULL): optim_new
	 * allocates them zeroed, checkpoints save and restore them by name. */
	const char *const *state;
	/* Append what sets a method of it apart (" rho=0.05") to buf. */
	void (*label)(const struct method *m, char *buf, size_t len);
	/* Allocate its scratch buffers in o (optional). */
	void (*setup)(struct optim *o);
	/* Fill the direction for this batch (optim_impl.h); return the loss at w. */
	float (*direction)(struct optim *o, struct mlp *m, const float *x,
	                   const uint8_t *y, int B);
	/*
	 * The same step for the small-batch path, given the first gradient's
	 * norm (0 when passes is 1): fill p and return 0, or return -1 when m's
	 * step is not of that form (adaptive SAM) and the generic path must take
	 * it. NULL: never fused.
	 */
	int (*plan)(const struct method *m, double gnorm, struct step_plan *p);
};

extern const struct optim_desc optim_sgd, optim_sam, optim_gnp;
/* The table: optim_descs[o] for every enum optimizer o. */
extern const struct optim_desc *const optim_descs[];
extern const int optim_count;
/* "sgd|sam|gnp", built from the table (the schema's choices). */
extern char optim_choices[];

/* The descriptor of o; NULL when o is not one. */
const struct optim_desc *optim_desc(enum optimizer o);
/* Whether the method key applies to optimizer o: keys no optimizer lists
 * as its own apply to all. */
int optim_takes(enum optimizer o, const char *key);

/* A buffer that must survive a checkpoint: name, data, n floats. */
struct state_buf {
	const char *name;
	float *data;
	size_t n;
};

struct optim *optim_new(const struct method *cfg, size_t nparams);
void optim_free(struct optim *o);

/*
 * One step on a mini-batch; returns the loss at the weights before the step.
 * Batches of up to MLP_FUSED_MAX (16) examples take the small-batch path
 * (fused.c) when the optimizer has a plan: no GEMMs, no gradient buffer, the
 * backward pass and the update fused into one pass over each weight matrix,
 * and the rows of zero inputs skipped. The same numbers within float
 * rounding as the generic path (mini-batch gradient, then the base update).
 * Larger batches without momentum or weight decay apply the last gradient
 * inside the GEMM that computes it (sgemm's beta = 1): no gradient written,
 * no update pass.
 */
float optim_step(struct optim *o, struct mlp *m, const float *x, const uint8_t *y, int B);
/*
 * The largest batch the small-batch path takes, process-wide, clamped to
 * [0, 16]; 0 sends every step through the generic path. For benchmarks and
 * tests that compare the two; set it before any run starts.
 */
void optim_fused_limit(int max);
/* Whether a step of o on B examples of m takes the small-batch path. */
int optim_fused_batch(const struct optim *o, const struct mlp *m, int B);
/*
 * The direction a step on this batch would hand to the base update, into
 * dir (nparams), the weights left as they were; returns the loss at w. For
 * tests and diagnostics.
 */
float optim_direction(struct optim *o, struct mlp *m, const float *x, const uint8_t *y,
                      int B, float *dir);
/* The optimizer's state buffers (momentum's "velocity"): up to max into
 * out; returns how many there are. */
int optim_state(struct optim *o, struct state_buf *out, int max);

/* L2-init's theta_0 (nparams floats, copied), when the method has l2_init;
 * it is not state: the run draws it again from its seed. */
void optim_set_init(struct optim *o, const float *w0);
/* Zero every state buffer and Adam's step count (a fresh network's). */
void optim_reset(struct optim *o);
/* Adam's step count after a checkpoint's restore. */
void optim_set_steps(struct optim *o, long t);

/* Flat-vector helpers shared by the optimizers. */
double vec_norm(const float *a, size_t n);
void vec_axpy(float *y, float a, const float *x, size_t n);

#endif

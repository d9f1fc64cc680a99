/*
 * preset.h - an experiment as data: the settings of a grid of runs.
 *
 * Plain structs and constants only: the engine (src/core) reads them and
 * includes nothing of the preset loader. The schema, YAML loading and
 * writing, overrides and labels are in preset_io.h (src/io).
 */
#ifndef PLASTICITY_PRESET_H
#define PLASTICITY_PRESET_H

#include <stdint.h>

#define PRESET_MAX_HIDDEN  8
#define PRESET_MAX_METHODS 32
#define PRESET_NAME_MAX    64

/* The class setting's tasks: the 45 digit pairs (0,1), (0,2), ..., (8,9). */
#define PRESET_CLASS_PAIRS 45

enum setting { SETTING_DOMAIN, SETTING_CLASS };
enum optimizer { OPTIM_SGD, OPTIM_SAM, OPTIM_GNP };
enum { BASE_SGD, BASE_ADAM };
enum { PERTURB_INIT, PERTURB_NORMAL };
enum { CURE_AT_STEP, CURE_AT_TASK };
enum { REDO_NONE, REDO_TASK, REDO_STEPS };

struct method {
	enum optimizer optimizer;
	double lr;
	double rho;    /* SAM radius */
	double lambda; /* GNP penalty weight */
	double r;      /* GNP finite-difference step */
	int adaptive;  /* SAM: ASAM perturbation scaled by |w| */
	int exact;     /* GNP: exact Hessian-vector product, not the finite difference */
	double momentum;     /* base optimizer, all methods */
	double weight_decay; /* base optimizer, all methods */
	/* Remedies for plasticity loss (cures.h), all methods; each key's
	 * neutral value leaves the method's numbers as they were. */
	int base; /* BASE_SGD | BASE_ADAM: the update the direction feeds */
	double beta1, beta2, eps; /* Adam */
	double l2_init;           /* lambda of (lambda/2)||theta - theta_0||^2 */
	double shrink, perturb;   /* theta <- shrink theta + perturb eps */
	int perturb_dist;         /* PERTURB_INIT | PERTURB_NORMAL: eps's distribution */
	int shrink_perturb_at;    /* CURE_AT_STEP | CURE_AT_TASK */
	int redo;                 /* REDO_NONE | REDO_TASK | REDO_STEPS */
	int redo_every;           /* steps between ReDo resets (REDO_STEPS) */
	double redo_tau;          /* ReDo's dormant threshold */
	double cbp_rate, cbp_decay; /* continual backprop: replacement rate, eta */
	int cbp_maturity;           /* ... steps before a unit may be replaced */
	int from_scratch;           /* a fresh network (seed, task) at every task */
	int layer_norm;             /* layer normalization before each hidden ReLU */
	char origin[4];             /* "" ; "A", "B", ...: the run directory of a merged
	                               view (rundir_merge), prefixed to the label */
};

struct preset {
	char name[PRESET_NAME_MAX];
	enum setting setting;
	char dataset[32]; /* "mnist" | "fashion-mnist" */
	char *data_dir;   /* NULL when unset; owned */
	int tasks;
	int train_examples; /* per task, 0 = all */
	int first_unpermuted;
	int shuffle_pairs;
	int accuracy_matrix;
	int hidden[PRESET_MAX_HIDDEN];
	int nhidden;
	int batch_size;
	int epochs;
	int runs;
	uint64_t seed;
	struct method methods[PRESET_MAX_METHODS];
	int nmethods;
	/* Diagnostics (probe.h), measured after each task on a probe set. */
	char diagnostics[160]; /* metric names, comma-separated; "none"; "default" */
	int probe_examples;
	double dormant_tau, sharpness_rho;
	int hessian_every, hessian_iters;
	int save_weights; /* SAVE_WEIGHTS_* */
	char window[16];  /* plasticity loss's first/last tasks: "N" or "P%" */
	int baseline;     /* compare.h: the method others are compared to */
	int compare_all;  /* compare every pair of methods, not to the baseline */
};

enum { SAVE_WEIGHTS_NONE, SAVE_WEIGHTS_LAST, SAVE_WEIGHTS_EVERY };

#endif

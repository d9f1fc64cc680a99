/*
 * preset.c - load, check, override and write presets, all from one schema table.
 *
 * preset_schema and method_schema list every key with its type, range,
 * default and help. Loading walks a libyaml document and looks each key up in
 * the table. Defaults and KEY=VALUE overrides are turned into one-value
 * libyaml documents too, so a single setter (value_set) parses every value
 * whatever its source, and a bad value gets the same message everywhere.
 *
 * Errors are first collected without a location (struct ctx keeps the
 * message and the libyaml mark); the caller then prefixes "file:line:col: "
 * or "override 'k=v': ". Cross-field checks (check_fields) name the key to
 * blame, so a file gets the position of that key's value.
 *
 * What struct schema_entry cannot say (open range ends, the optimizers that
 * take a method key, how --help shows a key without a default) lives in
 * key_rules.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "plasticity/idx.h"
#include "plasticity/optim.h"
#include "plasticity/probe.h"
#include "plasticity/preset_io.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

/* Bigger preset files are surely a mistake, and reading them whole is simpler. */
#define PRESET_FILE_MAX (1 << 20)
/* Digit pairs (a, b) with a < b: the class setting has this many tasks at most. */

/* Parameters and per-batch activations are float buffers indexed with int. */
#define FLOATS_MAX (UINT64_C(1) << 31)

#define FIELD_SIZE(type, f) sizeof(((struct type *)0)->f)

/* One key: name, type, range, choices, default, field, help. */
#define KEY(k, t, lo, hi, ch, d, tag, f, h)                                              \
	{                                                                                \
		.key = k, .type = t, .min = lo, .max = hi, .choices = ch, .def = d,      \
		.help = h, .offset = offsetof(struct tag, f), .size = FIELD_SIZE(tag, f) \
	}
#define PKEY(k, t, lo, hi, ch, d, f, h) KEY(k, t, lo, hi, ch, d, preset, f, h)
#define MKEY(k, t, lo, hi, ch, d, f, h) KEY(k, t, lo, hi, ch, d, method, f, h)

/* A list's count is the int right after its array (see list_set). */
_Static_assert(offsetof(struct preset, nhidden) ==
                       offsetof(struct preset, hidden) + FIELD_SIZE(preset, hidden),
               "nhidden must follow hidden");
_Static_assert(offsetof(struct preset, nmethods) ==
                       offsetof(struct preset, methods) + FIELD_SIZE(preset, methods),
               "nmethods must follow methods");
/* An enum key whose field is int-sized stores the choice's index. */
_Static_assert(sizeof(enum setting) == sizeof(int) &&
                       sizeof(enum optimizer) == sizeof(int),
               "enums are stored as int");

const struct schema_entry preset_schema[] = {
        PKEY("name", SCHEMA_STRING, 0, 0, NULL, NULL, name,
             "Experiment name, also the results directory: letters, digits, '.', '_' and "
             "'-', at most 63."),
        PKEY("setting", SCHEMA_ENUM, 0, 0, "domain|class", "domain", setting,
             "domain: permuted MNIST, a new pixel permutation per task; class: one pair "
             "of "
             "digits per task."),
        PKEY("dataset", SCHEMA_ENUM, 0, 0, "mnist|fashion-mnist", "mnist", dataset,
             "The IDX files to train and test on."),
        /* size 0: an owned char *, NULL when unset */
        {.key = "data_dir",
         .type = SCHEMA_STRING,
         .offset = offsetof(struct preset, data_dir),
         .size = 0,
         .help = "Directory of the IDX files (raw or .gz)."},
        PKEY("tasks", SCHEMA_INT, 1, 100000, NULL, "100", tasks,
             "Tasks in the stream; at most 45 for setting class."),
        PKEY("train_examples", SCHEMA_INT, 0, 60000, NULL, "0", train_examples,
             "Training examples per task; 0 takes all of them."),
        PKEY("first_unpermuted", SCHEMA_BOOL, 0, 0, NULL, "false", first_unpermuted,
             "domain: task 1 sees the images unpermuted."),
        PKEY("shuffle_pairs", SCHEMA_BOOL, 0, 0, NULL, "false", shuffle_pairs,
             "class: visit the digit pairs in a random order, not (0,1), (0,2), ..., "
             "(8,9)."),
        PKEY("accuracy_matrix", SCHEMA_BOOL, 0, 0, NULL, "false", accuracy_matrix,
             "Also test every earlier task after each task."),
        PKEY("hidden", SCHEMA_INT_LIST, 1, 65536, NULL, "[256, 256, 256]", hidden,
             "Widths of the hidden ReLU layers, 1 to 8 of them."),
        PKEY("batch_size", SCHEMA_INT, 1, 65536, NULL, "64", batch_size,
             "Examples per mini-batch."),
        PKEY("epochs", SCHEMA_INT, 1, 10000, NULL, "1", epochs,
             "Passes over each task's training examples."),
        PKEY("runs", SCHEMA_INT, 1, 10000, NULL, "10", runs,
             "Independent runs (seeds) of every method."),
        PKEY("seed", SCHEMA_UINT64, 0, 18446744073709551615.0, NULL, "1", seed,
             "Base seed: permutations, initialization and batch order follow from it."),
        PKEY("methods", SCHEMA_METHODS, 0, 0, NULL, NULL, methods,
             "The optimizers to compare, 1 to 32 mappings of the method keys."),
        PKEY("diagnostics", SCHEMA_STRING, 0, 0, NULL, "default", diagnostics,
             "Metrics measured after each task on the probe set, comma-separated: dead, "
             "dormant, rank, weights, grad, sharpness, loss, hessian, trace; 'default' "
             "(all but hessian and trace), 'all' or 'none'. Formulas: see the result "
             "columns."),
        PKEY("probe_examples", SCHEMA_INT, 1, 60000, NULL, "1000", probe_examples,
             "The probe set: a task's first N training examples in dataset order, "
             "after its permutation."),
        PKEY("dormant_tau", SCHEMA_FLOAT, 0, 1, NULL, "0.1", dormant_tau,
             "A unit is dormant when its score s_i <= tau (ReDo, Sokar et al. 2023)."),
        PKEY("sharpness_rho", SCHEMA_FLOAT, 0, 10, NULL, "0.05", sharpness_rho,
             "Radius of the sharpness L(w + rho g/|g|) - L(w); a SAM method uses its own "
             "rho."),
        PKEY("hessian_every", SCHEMA_INT, 0, 100000, NULL, "0", hessian_every,
             "Measure lambda_max (and trace, if listed) every N tasks; 0 = never."),
        PKEY("save_weights", SCHEMA_ENUM, 0, 0, "none|last|every", "none", save_weights,
             "Write the network after every task, or after a run's last, to weights/ in "
             "the "
             "run directory as safetensors (fc1.weight, fc1.bias, ...: nn.Linear's "
             "layout, "
             "F32; domain tasks also the pixel permutation, I32)."),
        PKEY("window", SCHEMA_STRING, 0, 0, NULL, "10%", window,
             "The tasks plasticity loss compares: the first and the last N tasks "
             "(window: 5), or P% of the tasks each, rounded, at least 1 (window: 10%)."),
        PKEY("baseline", SCHEMA_INT, 0, 31, NULL, "0", baseline,
             "The method (index from 0) the others are compared to, on matched seeds."),
        PKEY("compare", SCHEMA_ENUM, 0, 0, "baseline|all", "baseline", compare_all,
             "Paired differences to the baseline only, or between every pair of "
             "methods."),
        PKEY("hessian_iters", SCHEMA_INT, 1, 10000, NULL, "20", hessian_iters,
             "Power iterations for lambda_max at most (stops earlier at a relative "
             "change "
             "of 1e-3)."),
};
const size_t preset_schema_len = sizeof(preset_schema) / sizeof(preset_schema[0]);

const struct schema_entry method_schema[] = {
        MKEY("optimizer", SCHEMA_ENUM, 0, 0, optim_choices, NULL, optimizer,
             "One of the optimizers (optim.c's table): sgd, sam (sharpness-aware "
             "minimization) or gnp (gradient norm penalty)."),
        MKEY("lr", SCHEMA_FLOAT, 0, 10, NULL, "0.01", lr, "Learning rate."),
        MKEY("rho", SCHEMA_FLOAT, 0, 10, NULL, "0.05", rho,
             "Radius of the SAM neighbourhood."),
        MKEY("adaptive", SCHEMA_BOOL, 0, 0, NULL, "false", adaptive,
             "Adaptive SAM: the perturbation is scaled by |w|."),
        MKEY("lambda", SCHEMA_FLOAT, 0, 10, NULL, "0.1", lambda,
             "Weight of the gradient-norm penalty."),
        MKEY("r", SCHEMA_FLOAT, 0, 10, NULL, "0.01", r,
             "Finite-difference step of the penalty's gradient."),
        MKEY("exact", SCHEMA_BOOL, 0, 0, NULL, "false", exact,
             "The penalty's gradient lambda H g/||g|| through an exact Hessian-vector "
             "product (Pearlmutter 1994), as autograd's double backward computes it; "
             "r is then unused."),
        MKEY("momentum", SCHEMA_FLOAT, 0, 1, NULL, "0", momentum,
             "Heavy-ball momentum of the base update."),
        MKEY("weight_decay", SCHEMA_FLOAT, 0, 1, NULL, "0", weight_decay,
             "L2 weight decay of the base update: d = g + weight_decay w."),
        MKEY("base", SCHEMA_ENUM, 0, 0, "sgd|adam", "sgd", base,
             "The update the optimizer's direction d feeds: sgd (w -= lr d, with "
             "momentum) or adam (Kingma & Ba 2015, as torch.optim.Adam: m = b1 m + "
             "(1-b1) d, v = b2 v + (1-b2) d^2, w -= lr m/(1-b1^t) / (sqrt(v/(1-b2^t)) + "
             "eps)); SAM and GNP feed it their direction."),
        MKEY("beta1", SCHEMA_FLOAT, 0, 1, NULL, "0.9", beta1, "Adam's b1."),
        MKEY("beta2", SCHEMA_FLOAT, 0, 1, NULL, "0.999", beta2, "Adam's b2."),
        MKEY("eps", SCHEMA_FLOAT, 0, 1, NULL, "1e-08", eps, "Adam's eps."),
        MKEY("l2_init", SCHEMA_FLOAT, 0, 10, NULL, "0", l2_init,
             "L2-init, regenerative regularization (Kumar et al. 2023): the loss "
             "gains (l2_init/2) ||theta - theta_0||^2, theta_0 the run's initial "
             "parameters, so d = g + l2_init (w - theta_0); with SGD theta <- (1 - "
             "lr l2_init) theta + lr l2_init theta_0 - lr g, their update (tuned: "
             "0.01 at lr 0.01)."),
        MKEY("shrink", SCHEMA_FLOAT, 0, 1, NULL, "1", shrink,
             "Shrink & perturb (Ash & Adams 2020): theta <- shrink theta + perturb "
             "eps, after every step or before every task but the first "
             "(shrink_perturb_at). Kumar et al.: shrink 1 - 1e-4, perturb 1e-2 per "
             "step; Dohare et al.: weight_decay 1e-4, perturb 1e-5."),
        MKEY("perturb", SCHEMA_FLOAT, 0, 10, NULL, "0", perturb,
             "Shrink & perturb's sigma: the scale of the noise eps."),
        MKEY("perturb_dist", SCHEMA_ENUM, 0, 0, "init|normal", "init", perturb_dist,
             "eps drawn like the initial parameters (U(-1/sqrt(fan_in), "
             "1/sqrt(fan_in)) per layer, biases too) or N(0, 1), from (seed, step)."),
        MKEY("shrink_perturb_at", SCHEMA_ENUM, 0, 0, "step|task", "step",
             shrink_perturb_at,
             "Shrink & perturb after every optimizer step (Kumar et al.), or once "
             "before each task but the first (Ash & Adams' task-boundary form)."),
        MKEY("redo", SCHEMA_ENUM, 0, 0, "none|task|steps", "none", redo,
             "ReDo (Sokar et al. 2023): at each task's end, or every redo_every "
             "steps, the hidden units with s_i <= redo_tau on the task's probe set "
             "(probe_examples; s_i as the dormant column) get incoming weights and "
             "bias drawn as at initialization and zero outgoing weights, and the "
             "optimizer state of those weights is zeroed; the output layer is never "
             "reset. Columns redo_reset, redo_revived, redo_dormant."),
        MKEY("redo_every", SCHEMA_INT, 1, 100000000, NULL, "625", redo_every,
             "Steps between ReDo resets with redo: steps (Kumar et al.: 625, one "
             "task of 10,000 at batch 16)."),
        MKEY("redo_tau", SCHEMA_FLOAT, 0, 1, NULL, "0.1", redo_tau,
             "ReDo's threshold tau (Sokar et al. 0.1; Kumar et al. 0: only units "
             "silent on the whole probe set)."),
        MKEY("cbp_rate", SCHEMA_FLOAT, 0, 1, NULL, "0", cbp_rate,
             "Continual backprop (Dohare et al. 2024): after every step, per hidden "
             "layer, age += 1, u = decay u + (1-decay) mean_x|h_i| mean_j|w_ij out|, "
             "f = decay f + (1-decay) mean_x h_i; c += cbp_rate x (units older than "
             "cbp_maturity); the floor(c) of lowest u/(1-decay^age) among those are "
             "replaced (c keeps the rest): incoming weights drawn as at "
             "initialization, bias 0, outgoing weights 0 with the next bias gaining "
             "w_out f/(1-decay^age); age, u, f and optimizer state zeroed. Kumar et "
             "al.'s PMNIST: 1e-3 at batch 16. Column cbp_replaced."),
        MKEY("cbp_decay", SCHEMA_FLOAT, 0, 1, NULL, "0.99", cbp_decay,
             "Continual backprop's utility decay eta (Dohare et al.: 0.99)."),
        MKEY("cbp_maturity", SCHEMA_INT, 0, 100000000, NULL, "100", cbp_maturity,
             "Steps a unit lives before continual backprop may replace it (Dohare "
             "et al.: 100)."),
        MKEY("layer_norm", SCHEMA_BOOL, 0, 0, NULL, "false", layer_norm,
             "This method's network normalizes each hidden layer before its ReLU: "
             "h = relu(gain zhat + bias), zhat = (z - mean z)/sqrt(var z + 1e-5) over "
             "the layer's units (Ba et al. 2016, as torch.nn.LayerNorm), a gain "
             "(init 1) and bias (init 0) per unit trained with the rest; with "
             "weight_decay, Lyle et al. 2024's most robust remedy. Steps take the "
             "generic path; not with exact GNP."),
        MKEY("from_scratch", SCHEMA_BOOL, 0, 0, NULL, "false", from_scratch,
             "The from-scratch baseline: before every task the network is "
             "initialized afresh from (seed, task) and every state zeroed, the same "
             "network for every method; with one in the grid, summary and table "
             "show each method's plasticity gap, its accuracy minus from-scratch's "
             "on the same run and task."),
};
const size_t method_schema_len = sizeof(method_schema) / sizeof(method_schema[0]);

#define OPEN_MIN 1u /* the range excludes its minimum */
#define OPEN_MAX 2u /* ... or its maximum */
#define FOR(o)   (1u << (o))
#define FOR_ALL  ((1u << optim_count) - 1u)

/* Keys not listed here have a closed range. Which optimizers take a method
 * key is not a rule here: it follows from the optimizer table (optim.h). */
static const struct key_rule {
	const char *key;
	unsigned open;
	const char *no_default; /* --help text for a key without a default */
	/* A remedy's keys: written out (preset.yaml, --print-config) and shown
	 * in the form only for a method that sets one of its group's keys off
	 * its default; the form shows the lead keys always, to switch it on. */
	const char *group;
	int lead;
} key_rules[] = {
        {"name", 0, "the file name without .yaml", NULL, 0},
        {"data_dir", 0, "unset", NULL, 0},
        {"methods", 0, "required", NULL, 0},
        {"optimizer", 0, "required", NULL, 0},
        {"lr", OPEN_MIN, NULL, NULL, 0},
        {"r", OPEN_MIN, NULL, NULL, 0},
        {"momentum", OPEN_MAX, NULL, NULL, 0},
        {"base", 0, NULL, "adam", 1},
        {"beta1", OPEN_MAX, NULL, "adam", 0},
        {"beta2", OPEN_MAX, NULL, "adam", 0},
        {"eps", OPEN_MIN, NULL, "adam", 0},
        {"l2_init", 0, NULL, "l2_init", 1},
        {"shrink", OPEN_MIN, NULL, "s&p", 1},
        {"perturb", 0, NULL, "s&p", 1},
        {"perturb_dist", 0, NULL, "s&p", 0},
        {"shrink_perturb_at", 0, NULL, "s&p", 0},
        {"redo", 0, NULL, "redo", 1},
        {"redo_every", 0, NULL, "redo", 0},
        {"redo_tau", 0, NULL, "redo", 0},
        {"cbp_rate", 0, NULL, "cbp", 1},
        {"cbp_decay", OPEN_MAX, NULL, "cbp", 0},
        {"cbp_maturity", 0, NULL, "cbp", 0},
        {"layer_norm", 0, NULL, "norm", 1},
        {"from_scratch", 0, NULL, "scratch", 1},
};

/* The optimizers that take method key e, as a FOR() mask. */
static unsigned optimizers_of(const struct schema_entry *e)
{
	unsigned mask = 0;

	for (int o = 0; o < optim_count; o++)
		mask |= optim_takes((enum optimizer)o, e->key) ? FOR(o) : 0;
	return mask;
}

static const struct key_rule *rule_of(const struct schema_entry *e)
{
	static const struct key_rule plain = {NULL, 0, NULL, NULL, 0};

	for (size_t i = 0; i < sizeof(key_rules) / sizeof(key_rules[0]); i++)
		if (strcmp(key_rules[i].key, e->key) == 0)
			return &key_rules[i];
	return &plain;
}

static int takes(const struct schema_entry *e, enum optimizer o)
{
	return optim_takes(o, e->key);
}

int method_takes(const struct method *m, const struct schema_entry *e)
{
	return takes(e, m->optimizer);
}

static const struct schema_entry *schema_find(const struct schema_entry *tab, size_t n,
                                              const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].key, key) == 0)
			return &tab[i];
	return NULL;
}

/* --- small text helpers ------------------------------------------------- */

/* The shortest of %.15g..%.17g that reads back as exactly v. */
static void fmt_double(char *buf, size_t len, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* The code point at s and its length in bytes; a byte that starts no UTF-8
 * sequence stands for itself. */
static unsigned utf8_next(const unsigned char *s, int *len)
{
	int n = s[0] < 0xc0 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	unsigned cp = n == 1 ? s[0] : s[0] & (0x7fu >> n);

	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*len = 1;
			return s[0];
		}
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	*len = n;
	return cp;
}

/* UTF-8 that a YAML reader takes: libyaml's document API alone would let
 * surrogates and code points past U+10FFFF through, and overrides use it. */
static int utf8_valid(const char *s)
{
	static const unsigned least[5] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *u = (const unsigned char *)s;
	int n;

	for (; *u != '\0'; u += n) {
		unsigned cp = utf8_next(u, &n);

		if ((u[0] >= 0x80 && n == 1) || u[0] >= 0xf8 || cp < least[n] ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/* Choice i of "a|b|c" into buf; "" when there is no such choice. */
static const char *choice_at(const char *choices, int i, char *buf, size_t len)
{
	const char *s = choices;

	for (; i > 0 && s != NULL; i--) {
		s = strchr(s, '|');
		if (s != NULL)
			s++;
	}
	buf[0] = '\0';
	if (s != NULL && i == 0)
		snprintf(buf, len, "%.*s", (int)strcspn(s, "|"), s);
	return buf;
}

/* Index of word in "a|b|c", or -1. */
static int choice_find(const char *choices, const char *word)
{
	char buf[64];

	for (int i = 0; *choice_at(choices, i, buf, sizeof(buf)) != '\0'; i++)
		if (strcmp(buf, word) == 0)
			return i;
	return -1;
}

/* "a|b|c" as "a, b or c". */
static const char *choices_text(const char *choices, char *buf, size_t len)
{
	char word[64];
	size_t at = 0;
	int n = 0;

	while (*choice_at(choices, n, word, sizeof(word)) != '\0')
		n++;
	buf[0] = '\0';
	for (int i = 0; i < n && at < len; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";

		at += (size_t)snprintf(buf + at, len - at, "%s%s", sep,
		                       choice_at(choices, i, word, sizeof(word)));
	}
	return buf;
}

/* The optimizers in a FOR() mask: "sam", "sam or gnp". */
static const char *optimizers_text(unsigned mask, char *buf, size_t len)
{
	char choices[64] = "";

	for (int o = 0; o < optim_count; o++)
		if (mask & FOR(o)) {
			if (choices[0] != '\0')
				strcat(choices, "|");
			strcat(choices, optimizer_name((enum optimizer)o));
		}
	return choices_text(choices, buf, len);
}

/* What a value of this type looks like, for "expected ..." messages. */
static const char *type_expect(const struct schema_entry *e, char *buf, size_t len)
{
	switch (e->type) {
	case SCHEMA_INT:
		return "an integer";
	case SCHEMA_UINT64:
		return "a non-negative integer";
	case SCHEMA_FLOAT:
		return "a number";
	case SCHEMA_BOOL:
		return "true or false";
	case SCHEMA_STRING:
		return "a string";
	case SCHEMA_ENUM:
		return choices_text(e->choices, buf, len);
	case SCHEMA_INT_LIST:
		return "a list of integers";
	case SCHEMA_METHODS:
		return "a list of methods";
	}
	return "?";
}

static int in_range(const struct schema_entry *e, double v)
{
	unsigned open = rule_of(e)->open;

	if ((open & OPEN_MIN) ? v <= e->min : v < e->min)
		return 0;
	if ((open & OPEN_MAX) ? v >= e->max : v > e->max)
		return 0;
	return 1;
}

/* "must be between 1 and 100000", or the side that v is on for open ranges. */
static const char *range_text(const struct schema_entry *e, double v, char *buf,
                              size_t len)
{
	unsigned open = rule_of(e)->open;
	char lo[32], hi[32];

	fmt_double(lo, sizeof(lo), e->min);
	fmt_double(hi, sizeof(hi), e->max);
	if (open == 0)
		snprintf(buf, len, "must be between %s and %s", lo, hi);
	else if ((open & OPEN_MIN) ? v <= e->min : v < e->min)
		snprintf(buf, len, "must be %s %s", (open & OPEN_MIN) ? ">" : ">=", lo);
	else
		snprintf(buf, len, "must be %s %s", (open & OPEN_MAX) ? "<" : "<=", hi);
	return buf;
}

/*
 * The engine computes in float32: a value must keep its meaning there. NULL
 * when it does; else why not, in buf. lr=1e-50 passes "> 0" as a double and
 * trains with lr 0; momentum=0.999999999 passes "< 1" and is 1.
 */
static const char *float32_trouble(const struct schema_entry *e, double v, char *buf,
                                   size_t len)
{
	float f = (float)v;
	char why[128];

	if (v != 0.0 && (f == 0.0f || !isnormal(f)))
		return "is 0 or subnormal as a float32, the engine's type (smallest "
		       "normal: "
		       "1.17549e-38)";
	if (!in_range(e, (double)f)) {
		snprintf(buf, len, "is %.9g as a float32, the engine's type, which %s",
		         (double)f, range_text(e, (double)f, why, sizeof(why)));
		return buf;
	}
	return NULL;
}

/* --- parsing one value -------------------------------------------------- */

/* The first error of a load or an override, before its location is added. */
/* A method key given a list of values (a sweep), expanded once every method is read. */
struct sweep {
	int method;
	const char *key;
	char **values;
	int n;
	yaml_mark_t mark;
};

struct ctx {
	yaml_document_t *doc;
	char *msg;
	yaml_mark_t mark;
	struct sweep sweep[PRESET_MAX_METHODS];
	int nsweep;
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct ctx *c, yaml_mark_t mark,
                                                         const char *fmt, ...)
{
	va_list ap;

	if (c->msg == NULL) {
		va_start(ap, fmt);
		c->msg = xvasprintf(fmt, ap);
		va_end(ap);
		c->mark = mark;
	}
	return -1;
}

static const char *node_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int node_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = node_text(n);
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcasecmp(s, "null") == 0;
}

static const char *node_kind(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return node_is_null(n) ? "nothing" : "a scalar";
}

static int node_len(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	return (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static yaml_node_t *seq_item(yaml_document_t *doc, yaml_node_t *n, int i)
{
	return yaml_document_get_node(doc, n->data.sequence.items.start[i]);
}

/* Strictly decimal: strtoll alone would skip blanks and accept "12abc" as 12. */
static int parse_int(const char *s, long long *v)
{
	const char *d = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
	char *end;

	if (!isdigit((unsigned char)d[0]))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	return errno == ERANGE ? 1 : 0;
}

static int set_int(struct ctx *c, const struct schema_entry *e, int *f, yaml_node_t *n,
                   const char *label)
{
	const char *s = node_text(n);
	char why[128];
	long long v;
	int st = parse_int(s, &v);

	if (st < 0)
		return fail_at(c, n->start_mark, "%s: expected an integer, got '%s'",
		               label, s);
	if (st > 0 || !in_range(e, (double)v))
		return fail_at(c, n->start_mark, "%s: %s, got %s", label,
		               range_text(e,
		                          st > 0 ? (s[0] == '-' ? -HUGE_VAL : HUGE_VAL)
		                                 : (double)v,
		                          why, sizeof(why)),
		               s);
	*f = (int)v;
	return 0;
}

static int set_uint64(struct ctx *c, uint64_t *f, yaml_node_t *n, const char *label)
{
	const char *s = node_text(n);
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return fail_at(c, n->start_mark,
		               "%s: expected a non-negative integer, got '%s'", label, s);
	errno = 0;
	*f = strtoull(s, &end, 10);
	if (*end != '\0')
		return fail_at(c, n->start_mark,
		               "%s: expected a non-negative integer, got '%s'", label, s);
	if (errno == ERANGE)
		return fail_at(c, n->start_mark,
		               "%s: must be at most %" PRIu64 ", got %s", label,
		               UINT64_MAX, s);
	return 0;
}

static int set_float(struct ctx *c, const struct schema_entry *e, double *f,
                     yaml_node_t *n, const char *label)
{
	const char *s = node_text(n), *t = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
	char why[128], *end;
	double v;

	/* YAML's own spellings of infinity and nan, which strtod does not know */
	if (strcasecmp(t, ".inf") == 0 || strcasecmp(t, ".nan") == 0)
		return fail_at(c, n->start_mark, "%s: must be a finite number, got '%s'",
		               label, s);
	v = strtod(s, &end);
	if (end == s || *end != '\0' || isspace((unsigned char)s[0]))
		return fail_at(c, n->start_mark, "%s: expected a number, got '%s'", label,
		               s);
	if (!isfinite(v))
		return fail_at(c, n->start_mark, "%s: must be a finite number, got '%s'",
		               label, s);
	if (!in_range(e, v))
		return fail_at(c, n->start_mark, "%s: %s, got %s", label,
		               range_text(e, v, why, sizeof(why)), s);
	if (float32_trouble(e, v, why, sizeof(why)) != NULL)
		return fail_at(c, n->start_mark, "%s: %s %s", label, s,
		               float32_trouble(e, v, why, sizeof(why)));
	*f = v;
	return 0;
}

static int set_bool(struct ctx *c, int *f, yaml_node_t *n, const char *label)
{
	static const char *const words[] = {"false", "true", "no", "yes", "off", "on"};
	const char *s = node_text(n);

	for (int i = 0; i < 6; i++)
		if (strcasecmp(s, words[i]) == 0) {
			*f = i % 2;
			return 0;
		}
	return fail_at(c, n->start_mark, "%s: expected true or false, got '%s'", label,
	               s);
}

static int set_string(struct ctx *c, const struct schema_entry *e, void *f,
                      yaml_node_t *n, const char *label)
{
	const char *s = node_text(n);

	if (e->size == 0) {
		char **sp = f;

		free(*sp);
		*sp = node_is_null(n) ? NULL : xstrdup(s);
		return 0;
	}
	if (strlen(s) >= e->size)
		return fail_at(c, n->start_mark, "%s: longer than %zu characters", label,
		               e->size - 1);
	strcpy(f, s);
	return 0;
}

static int set_enum(struct ctx *c, const struct schema_entry *e, void *f, yaml_node_t *n,
                    const char *label)
{
	const char *s = node_text(n);
	char expect[96];
	int i = choice_find(e->choices, s);

	if (i < 0)
		return fail_at(c, n->start_mark, "%s: unknown %s '%s' (expected %s)",
		               label, e->key, s,
		               choices_text(e->choices, expect, sizeof(expect)));
	if (e->size == sizeof(int))
		*(int *)f = i;
	else
		snprintf(f, e->size, "%s", s);
	return 0;
}

/* A scalar n into the field f of entry e; label names the value in messages. */
static int scalar_set(struct ctx *c, const struct schema_entry *e, void *f,
                      yaml_node_t *n, const char *label)
{
	char expect[96];

	if (n->type != YAML_SCALAR_NODE)
		return fail_at(c, n->start_mark, "%s: expected %s, got %s", label,
		               type_expect(e, expect, sizeof(expect)), node_kind(n));
	if (strlen(node_text(n)) != n->data.scalar.length)
		return fail_at(c, n->start_mark, "%s: contains a NUL character", label);
	if (n->data.scalar.length == 0 && e->type != SCHEMA_STRING)
		return fail_at(c, n->start_mark, "%s: missing value", label);
	switch (e->type) {
	case SCHEMA_INT:
		return set_int(c, e, f, n, label);
	case SCHEMA_UINT64:
		return set_uint64(c, f, n, label);
	case SCHEMA_FLOAT:
		return set_float(c, e, f, n, label);
	case SCHEMA_BOOL:
		return set_bool(c, f, n, label);
	case SCHEMA_STRING:
		return set_string(c, e, f, n, label);
	case SCHEMA_ENUM:
		return set_enum(c, e, f, n, label);
	default:
		return fail_at(c, n->start_mark, "%s: not a scalar key", label);
	}
}

/* An int list: the count lives in the int right after the array. */
static int list_set(struct ctx *c, const struct schema_entry *e, void *f, yaml_node_t *n,
                    const char *label)
{
	struct schema_entry item = *e;
	int *items = f, *count = (int *)((char *)f + e->size);
	int max = (int)(e->size / sizeof(int)), len;
	char ilabel[64];

	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n->start_mark, "%s: expected a list of integers",
		               label);
	len = node_len(n);
	if (len < 1 || len > max)
		return fail_at(c, n->start_mark, "%s: expected 1 to %d integers, got %d",
		               label, max, len);
	item.type = SCHEMA_INT;
	for (int i = 0; i < len; i++) {
		yaml_node_t *in = seq_item(c->doc, n, i);

		if (in->type != YAML_SCALAR_NODE)
			return fail_at(c, in->start_mark,
			               "%s: expected a list of integers", label);
		snprintf(ilabel, sizeof(ilabel), "%s[%d]", label, i);
		if (scalar_set(c, &item, &items[i], in, ilabel) < 0)
			return -1;
	}
	*count = len;
	return 0;
}

static int methods_set(struct ctx *c, struct preset *p, yaml_node_t *n);

/* The value n into the field of e in base (a struct preset or struct method). */
static int value_set(struct ctx *c, const struct schema_entry *e, void *base,
                     yaml_node_t *n, const char *label)
{
	void *f = (char *)base + e->offset;

	if (e->type == SCHEMA_INT_LIST)
		return list_set(c, e, f, n, label);
	if (e->type == SCHEMA_METHODS)
		return methods_set(c, base, n);
	return scalar_set(c, e, f, n, label);
}

/* --- methods ------------------------------------------------------------ */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(node_text(k), key) == 0)
			return yaml_document_get_node(doc, pr->value);
	}
	return NULL;
}

static char *method_sweep(struct preset *p, int i, const char *key, char **values, int k);
static void sweep_free(char **v, int n);

/* rho: [0.01, 0.05]: each value checked where it stands, then kept to expand. */
static int sweep_set(struct ctx *c, const struct schema_entry *e, struct method *m, int i,
                     yaml_node_t *v, const char *label)
{
	struct sweep *sw = &c->sweep[c->nsweep];
	int len = node_len(v);

	if (len < 1 || len > PRESET_MAX_METHODS)
		return fail_at(c, v->start_mark, "%s: a sweep of 1 to %d values, got %d",
		               label, PRESET_MAX_METHODS, len);
	for (int k = 0; k < c->nsweep; k++)
		if (c->sweep[k].method == i)
			return fail_at(
			        c, v->start_mark,
			        "%s: one swept key per method (%s is swept already)",
			        label, c->sweep[k].key);
	*sw = (struct sweep){i, e->key, xcalloc((size_t)len, sizeof(char *)), 0,
	                     v->start_mark};
	c->nsweep++;
	for (int k = 0; k < len; k++) {
		yaml_node_t *item = seq_item(c->doc, v, k);

		if (value_set(c, e, m, item, label) < 0)
			return -1;
		sw->values[sw->n++] = xstrdup(node_text(item));
	}
	return 0;
}

/* Expand every sweep, the last method first so the indices still to come hold. */
static int sweeps_expand(struct ctx *c, struct preset *p)
{
	int ret = 0;

	for (int k = c->nsweep - 1; k >= 0; k--) {
		struct sweep *sw = &c->sweep[k];
		char *msg =
		        ret < 0 ? NULL
		                : method_sweep(p, sw->method, sw->key, sw->values, sw->n);

		if (msg != NULL) {
			ret = fail_at(c, sw->mark, "methods[%d].%s: %s", sw->method,
			              sw->key, msg);
			free(msg);
		}
		sweep_free(sw->values, sw->n);
	}
	c->nsweep = 0;
	return ret;
}

/* A method key its optimizer does not take is an error, not silently ignored. */
static int method_key_set(struct ctx *c, struct method *m, int i, yaml_node_t *k,
                          yaml_node_t *v)
{
	const struct schema_entry *e =
	        schema_find(method_schema, method_schema_len, node_text(k));
	char label[64], who[32];

	if (e == NULL)
		return fail_at(c, k->start_mark, "unknown method key '%s'", node_text(k));
	if (e->offset == offsetof(struct method, optimizer))
		return 0;
	if (!takes(e, m->optimizer))
		return fail_at(c, k->start_mark,
		               "methods[%d]: %s applies only to optimizer %s", i, e->key,
		               optimizers_text(optimizers_of(e), who, sizeof(who)));
	snprintf(label, sizeof(label), "methods[%d].%s", i, e->key);
	if (v->type == YAML_SEQUENCE_NODE &&
	    (e->type == SCHEMA_FLOAT || e->type == SCHEMA_INT))
		return sweep_set(c, e, m, i, v, label);
	return value_set(c, e, m, v, label);
}

/* The optimizer first, so that its defaults are in place under the other keys. */
static int method_parse(struct ctx *c, struct method *m, yaml_node_t *n, int i)
{
	const struct schema_entry *oe = &method_schema[0];
	yaml_node_t *ov;
	enum optimizer o;
	unsigned seen = 0;
	char label[64];

	if (n->type != YAML_MAPPING_NODE)
		return fail_at(c, n->start_mark,
		               "methods[%d]: expected a mapping, got %s", i,
		               node_kind(n));
	if ((ov = map_get(c->doc, n, "optimizer")) == NULL)
		return fail_at(c, n->start_mark, "methods[%d]: optimizer is required", i);
	snprintf(label, sizeof(label), "methods[%d].optimizer", i);
	if (scalar_set(c, oe, &o, ov, label) < 0)
		return -1;
	method_defaults(m, o);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const struct schema_entry *e;

		if (k->type != YAML_SCALAR_NODE)
			return fail_at(c, k->start_mark, "expected a key, got %s",
			               node_kind(k));
		e = schema_find(method_schema, method_schema_len, node_text(k));
		if (e != NULL && (seen & (1u << (e - method_schema))))
			return fail_at(c, k->start_mark, "duplicate key '%s'", e->key);
		if (e != NULL)
			seen |= 1u << (e - method_schema);
		if (method_key_set(c, m, i, k,
		                   yaml_document_get_node(c->doc, pr->value)) < 0)
			return -1;
	}
	return 0;
}

static int methods_set(struct ctx *c, struct preset *p, yaml_node_t *n)
{
	int len;

	if (node_is_null(n))
		return fail_at(c, n->start_mark, "methods: empty list");
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(c, n->start_mark,
		               "methods: expected a list of methods, got %s",
		               node_kind(n));
	len = node_len(n);
	if (len == 0)
		return fail_at(c, n->start_mark, "methods: empty list");
	if (len > PRESET_MAX_METHODS)
		return fail_at(c, n->start_mark, "methods: at most %d methods, got %d",
		               PRESET_MAX_METHODS, len);
	for (int i = 0; i < len; i++)
		if (method_parse(c, &p->methods[i], seq_item(c->doc, n, i), i) < 0) {
			for (int k = 0; k < c->nsweep; k++)
				sweep_free(c->sweep[k].values, c->sweep[k].n);
			c->nsweep = 0;
			return -1;
		}
	p->nmethods = len;
	return sweeps_expand(c, p);
}

/*
 * Presets nest three deep (document, methods, a method). libyaml's loader
 * is quadratic in nesting (400,000 '[' took ten minutes), so a first pass
 * over the events refuses anything deeper than PRESET_MAX_DEPTH at once.
 * Syntax errors are left to the loader, which reports them.
 */
#define PRESET_MAX_DEPTH 16

static int depth_check(struct ctx *c, const char *yaml, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ret = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t t = ev.type;

		depth += t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;
		depth -= t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT;
		if (depth > PRESET_MAX_DEPTH)
			ret = fail_at(c, ev.start_mark,
			              "nested more than %d deep, not a preset",
			              PRESET_MAX_DEPTH);
		yaml_event_delete(&ev);
		if (ret < 0 || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return ret;
}

/* --- one value from text: defaults and overrides ------------------------ */

/* A flow list "[1, 2]" through libyaml; a bare "1,2" split on commas. */
static int list_doc(yaml_document_t *doc, const char *text, char **msg)
{
	yaml_parser_t parser;
	int seq, ok = 1;

	if (text[strspn(text, " ")] == '[') {
		struct ctx depth = {0};

		if (depth_check(&depth, text, strlen(text)) < 0) {
			*msg = depth.msg;
			return -1;
		}
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_string(&parser, (const unsigned char *)text,
		                             strlen(text));
		ok = yaml_parser_load(&parser, doc);
		if (!ok)
			*msg = xstrdup(parser.problem ? parser.problem
			                              : "cannot parse the list");
		else if (yaml_document_get_root_node(doc) == NULL)
			yaml_document_add_scalar(doc, NULL, (const yaml_char_t *)"", 0,
			                         YAML_PLAIN_SCALAR_STYLE);
		yaml_parser_delete(&parser);
		return ok ? 0 : -1;
	}
	yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1);
	seq = yaml_document_add_sequence(doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
	for (const char *s = text; *s != '\0';) {
		size_t n = strcspn(s, ",");
		size_t b = strspn(s, " "), e = n;
		int item;

		while (e > b && s[e - 1] == ' ')
			e--;
		item = yaml_document_add_scalar(doc, NULL, (const yaml_char_t *)s + b,
		                                (int)(e - b), YAML_PLAIN_SCALAR_STYLE);
		yaml_document_append_sequence_item(doc, seq, item);
		s += n + (s[n] == ',');
	}
	return 0;
}

/*
 * Set the field of e in base from text, parsed as a value in a preset file
 * would be (a scalar is taken literally: "a: b" is a string, not a mapping).
 * Returns NULL or the message, which the caller frees.
 */
static char *value_apply(const struct schema_entry *e, void *base, const char *text,
                         const char *label)
{
	yaml_document_t doc;
	struct ctx c = {.doc = &doc};
	char *msg = NULL;

	/* A file's text was checked by libyaml's reader; this did not come from one. */
	if (!utf8_valid(text))
		return xasprintf("%s: not valid UTF-8", label);
	if (e->type == SCHEMA_INT_LIST) {
		if (list_doc(&doc, text, &msg) < 0) {
			c.msg = xasprintf("%s: %s", label, msg);
			free(msg);
			return c.msg;
		}
	} else {
		yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1);
		yaml_document_add_scalar(&doc, NULL, (const yaml_char_t *)text,
		                         (int)strlen(text), YAML_PLAIN_SCALAR_STYLE);
	}
	value_set(&c, e, base, yaml_document_get_root_node(&doc), label);
	yaml_document_delete(&doc);
	return c.msg;
}

/* Defaults go through the parser too: the table's text is the only source. */
static void defaults_apply(const struct schema_entry *tab, size_t n, void *base,
                           enum optimizer o)
{
	for (size_t i = 0; i < n; i++) {
		char *msg;

		if (tab[i].def == NULL || !takes(&tab[i], o))
			continue;
		if ((msg = value_apply(&tab[i], base, tab[i].def, tab[i].key)) != NULL) {
			fprintf(stderr, "plasticity: bad default in the schema: %s\n",
			        msg);
			abort();
		}
	}
}

void preset_defaults(struct preset *p)
{
	memset(p, 0, sizeof(*p));
	defaults_apply(preset_schema, preset_schema_len, p, OPTIM_SGD);
}

/* Keys o does not take stay zero, so that equal methods compare equal. */
void method_defaults(struct method *m, enum optimizer o)
{
	memset(m, 0, sizeof(*m));
	m->optimizer = o;
	defaults_apply(method_schema, method_schema_len, m, o);
}

/* --- cross-field checks ------------------------------------------------- */

/* Which key a check_fields message is about: alt if key is not in the file. */
struct blame {
	const char *key, *alt;
	int method; /* index in methods, or -1 */
};

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < PRESET_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789."
	                 "_-") == n;
}

/* The range of one numeric field, for structs that did not come from a file. */
static char *check_entry(const struct schema_entry *e, const void *base,
                         const char *label)
{
	const char *f = (const char *)base + e->offset;
	char why[128], got[32], buf[96];
	double v;

	switch (e->type) {
	case SCHEMA_INT:
		v = *(const int *)f;
		break;
	case SCHEMA_FLOAT:
		v = *(const double *)f;
		if (!isfinite(v))
			return xasprintf("%s: must be a finite number, got '%g'", label,
			                 v);
		break;
	case SCHEMA_ENUM:
		if (e->size == sizeof(int) ? *choice_at(e->choices, *(const int *)f, buf,
		                                        sizeof(buf)) == '\0'
		                           : choice_find(e->choices, f) < 0)
			return xasprintf("%s: not one of %s", label,
			                 choices_text(e->choices, buf, sizeof(buf)));
		return NULL;
	default:
		return NULL;
	}
	fmt_double(got, sizeof(got), v);
	if (!in_range(e, v))
		return xasprintf("%s: %s, got %s", label,
		                 range_text(e, v, why, sizeof(why)), got);
	if (e->type == SCHEMA_FLOAT && float32_trouble(e, v, why, sizeof(why)) != NULL)
		return xasprintf("%s: %s %s", label, got,
		                 float32_trouble(e, v, why, sizeof(why)));
	return NULL;
}

static char *check_hidden(const struct preset *p)
{
	const struct schema_entry *e =
	        schema_find(preset_schema, preset_schema_len, "hidden");
	char label[32];
	char *msg;

	if (p->nhidden < 1 || p->nhidden > PRESET_MAX_HIDDEN)
		return xasprintf("hidden: expected 1 to %d integers, got %d",
		                 PRESET_MAX_HIDDEN, p->nhidden);
	for (int i = 0; i < p->nhidden; i++) {
		struct schema_entry item = *e;

		item.type = SCHEMA_INT;
		item.offset = (size_t)i * sizeof(int);
		snprintf(label, sizeof(label), "hidden[%d]", i);
		if ((msg = check_entry(&item, p->hidden, label)) != NULL)
			return msg;
	}
	return NULL;
}

static char *check_methods(const struct preset *p, struct blame *b)
{
	char label[64];
	char *msg;

	if (p->nmethods < 1)
		return xstrdup("methods: empty list");
	if (p->nmethods > PRESET_MAX_METHODS)
		return xasprintf("methods: at most %d methods, got %d",
		                 PRESET_MAX_METHODS, p->nmethods);
	for (int i = 0; i < p->nmethods; i++) {
		b->method = i;
		for (size_t k = 0; k < method_schema_len; k++) {
			const struct schema_entry *e = &method_schema[k];

			if (!takes(e, p->methods[i].optimizer))
				continue;
			snprintf(label, sizeof(label), "methods[%d].%s", i, e->key);
			if ((msg = check_entry(e, &p->methods[i], label)) != NULL)
				return msg;
		}
		if (p->methods[i].layer_norm && p->methods[i].optimizer == OPTIM_GNP &&
		    p->methods[i].exact)
			return xasprintf(
			        "methods[%d].exact: not with layer_norm (the exact "
			        "Hessian-vector product is not derived through "
			        "it; the finite-difference form is)",
			        i);
		if (p->methods[i].base == BASE_ADAM && p->methods[i].momentum != 0)
			return xasprintf(
			        "methods[%d].momentum: not with base adam (beta1 "
			        "is Adam's momentum)",
			        i);
	}
	b->method = -1;
	return NULL;
}

/*
 * Refuse networks that could not be allocated anyway, before a worker tries:
 * every parameter and every activation of a batch is a float in one buffer.
 */
#define RESULTS_MAX_BYTES ((uint64_t)4 << 30)

static char *check_size(const struct preset *p, struct blame *b)
{
	uint64_t out = p->setting == SETTING_CLASS ? 2 : IDX_CLASSES;
	uint64_t prev = IDX_PIXELS, params = 0, widths = IDX_PIXELS + out, cells, cell;

	for (int i = 0; i < p->nhidden; i++) {
		params += prev * (uint64_t)p->hidden[i] + (uint64_t)p->hidden[i];
		prev = (uint64_t)p->hidden[i];
		widths += prev;
	}
	params += prev * out + out;
	if (params > FLOATS_MAX) {
		b->key = "hidden";
		return xasprintf("hidden: network of %" PRIu64
		                 " parameters needs %.1f GiB, refusing",
		                 params, (double)params * sizeof(float) / (1 << 30));
	}
	/* Every finished task's result is kept in memory for the summary
	 * (task_result_size's arithmetic, without linking the engine). */
	cells = (uint64_t)p->tasks * (uint64_t)p->runs *
	        (uint64_t)(p->nmethods ? p->nmethods : 1);
	cell = sizeof(struct task_result) +
	       (p->accuracy_matrix ? (uint64_t)p->tasks * sizeof(float) : 0);
	if (cells * cell > RESULTS_MAX_BYTES) {
		b->key = "tasks";
		return xasprintf("tasks: %d tasks x %d runs x %d methods need %.1f GiB "
		                 "of results, "
		                 "refusing",
		                 p->tasks, p->runs, p->nmethods,
		                 (double)(cells * cell) / (1 << 30));
	}
	if (widths * (uint64_t)p->batch_size > FLOATS_MAX) {
		b->key = "batch_size";
		return xasprintf("batch_size: a batch of %d needs %.1f GiB of "
		                 "activations, refusing",
		                 p->batch_size,
		                 (double)(widths * (uint64_t)p->batch_size) *
		                         sizeof(float) / (1 << 30));
	}
	return NULL;
}

int preset_window(const struct preset *p)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(p->window, &end);
	if (end == p->window || errno != 0 || !isfinite(v) || p->window[0] == ' ')
		return -1;
	if (strcmp(end, "%") == 0) {
		/* tasks * P first, so 45 tasks at 10% is 450 / 100 = 4.5 exactly: 5 */
		int w = (int)floor(p->tasks * v / 100.0 + 0.5 + 1e-9);

		return v > 0.0 && v <= 100.0 ? (w < 1 ? 1 : w) : -1;
	}
	if (*end != '\0' || v != floor(v) || v < 1 || v > p->tasks)
		return -1;
	return (int)v;
}

/* Everything preset_validate checks; NULL if p is fine, else the message. */
static char *check_fields(const struct preset *p, struct blame *b)
{
	char *msg;

	*b = (struct blame){.key = "name", .method = -1};
	if (!name_ok(p->name))
		return xasprintf(
		        "name: must be 1 to %d letters, digits, '.', '_' or '-', "
		        "got '%s'",
		        PRESET_NAME_MAX - 1, p->name);
	for (size_t i = 0; i < preset_schema_len; i++) {
		b->key = preset_schema[i].key;
		if ((msg = check_entry(&preset_schema[i], p, preset_schema[i].key)) !=
		    NULL)
			return msg;
	}
	b->key = "hidden";
	if ((msg = check_hidden(p)) != NULL)
		return msg;
	b->key = "methods";
	if ((msg = check_methods(p, b)) != NULL)
		return msg;
	{
		unsigned mask;
		char bad[48];

		if (probe_metrics_parse(p->diagnostics, &mask, bad, sizeof(bad)) != 0) {
			*b = (struct blame){.key = "diagnostics", .method = -1};
			return xasprintf(
			        "diagnostics: unknown metric '%s' (dead, dormant, rank, "
			        "weights, grad, sharpness, loss, hessian, trace, "
			        "default, "
			        "all or none)",
			        bad);
		}
	}
	if (preset_window(p) < 1) {
		*b = (struct blame){.key = "window", .method = -1};
		return xasprintf(
		        "window: expected N tasks (1 to %d) or P%% of them (0 < P <= "
		        "100), got '%s'",
		        p->tasks, p->window);
	}
	if (p->baseline >= p->nmethods) {
		*b = (struct blame){.key = "baseline", .method = -1};
		return xasprintf("baseline: method %d, but there are %d methods",
		                 p->baseline, p->nmethods);
	}
	if (p->setting == SETTING_CLASS && p->tasks > PRESET_CLASS_PAIRS) {
		*b = (struct blame){.key = "tasks", .alt = "setting", .method = -1};
		return xasprintf("tasks must be <= %d for setting class",
		                 PRESET_CLASS_PAIRS);
	}
	return check_size(p, b);
}

enum pl_status preset_validate(const struct preset *p, const char *origin, char **cause)
{
	struct blame b;
	char *msg = check_fields(p, &b);
	enum pl_status st = PL_OK;

	if (msg != NULL)
		st = origin ? pl_fail(cause, PL_ERR_CONFIG, "%s: %s", origin, msg)
		            : pl_fail(cause, PL_ERR_CONFIG, "%s", msg);
	free(msg);
	return st;
}

/* --- loading ------------------------------------------------------------ */

/* The top-level mapping into p; where[i] is the value node of preset_schema[i]. */
static int doc_apply(struct ctx *c, struct preset *p, yaml_node_t *root,
                     yaml_node_t **where)
{
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const struct schema_entry *e;

		if (k->type != YAML_SCALAR_NODE)
			return fail_at(c, k->start_mark, "expected a key, got %s",
			               node_kind(k));
		e = schema_find(preset_schema, preset_schema_len, node_text(k));
		if (e == NULL)
			return fail_at(c, k->start_mark, "unknown key '%s'",
			               node_text(k));
		if (where[e - preset_schema] != NULL)
			return fail_at(c, k->start_mark, "duplicate key '%s'", e->key);
		where[e - preset_schema] = v;
		if (value_set(c, e, p, v, e->key) < 0)
			return -1;
	}
	if (p->nmethods == 0)
		return fail_at(c, root->start_mark, "methods is required");
	return 0;
}

/* The value node a cross-field message is about, or the document's start. */
static yaml_mark_t blame_mark(struct ctx *c, yaml_node_t *root, yaml_node_t **where,
                              const struct blame *b)
{
	const struct schema_entry *e =
	        schema_find(preset_schema, preset_schema_len, b->key);
	yaml_node_t *n = e ? where[e - preset_schema] : NULL;

	if (n == NULL && b->alt != NULL) {
		e = schema_find(preset_schema, preset_schema_len, b->alt);
		n = e ? where[e - preset_schema] : NULL;
	}
	if (n != NULL && b->method >= 0 && n->type == YAML_SEQUENCE_NODE &&
	    b->method < node_len(n))
		n = seq_item(c->doc, n, b->method);
	return n ? n->start_mark : root->start_mark;
}

static int root_check(struct ctx *c, yaml_parser_t *parser, yaml_node_t *root)
{
	yaml_document_t next;
	int more;

	if (root == NULL) {
		yaml_mark_t start = {0, 0, 0};

		return fail_at(c, start, "the document must be a mapping, got nothing");
	}
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(c, root->start_mark,
		               "the document must be a mapping, got %s", node_kind(root));
	if (!yaml_parser_load(parser, &next))
		return fail_at(c, parser->problem_mark, "%s", parser->problem);
	more = yaml_document_get_root_node(&next) != NULL;
	if (more)
		fail_at(c, yaml_document_get_root_node(&next)->start_mark,
		        "a preset is one YAML document, found a second");
	yaml_document_delete(&next);
	return more ? -1 : 0;
}

/* Where libyaml's reader stopped (bad UTF-8, control characters): it gives only an
 * offset. */
static yaml_mark_t offset_mark(const char *s, size_t len, size_t offset)
{
	yaml_mark_t m = {0, 0, 0};

	for (size_t i = 0; i < offset && i < len; i++) {
		if (s[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static void parser_fail(struct ctx *c, yaml_parser_t *parser, const char *yaml,
                        size_t len)
{
	if (parser->error == YAML_MEMORY_ERROR) {
		fprintf(stderr, "plasticity: out of memory\n");
		abort();
	}
	if (parser->error == YAML_READER_ERROR)
		fail_at(c, offset_mark(yaml, len, parser->problem_offset), "%s",
		        parser->problem);
	else
		fail_at(c, parser->problem_mark, "%s", parser->problem);
}

/* The stem of path (no directory, no .yaml/.yml), cut to fit a name. */
static void name_from_path(char *name, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
		n -= 5;
	else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
		n -= 4;
	if (n > PRESET_NAME_MAX - 1)
		n = PRESET_NAME_MAX - 1;
	memcpy(name, base, n);
	name[n] = '\0';
}

/* The loader proper, on a buffer of len bytes; messages are unlocated here. */
static int load_buffer(struct ctx *c, struct preset *p, const char *yaml, size_t len)
{
	yaml_node_t *where[sizeof(preset_schema) / sizeof(preset_schema[0])] = {NULL};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct blame b;
	char *msg;
	int ret = -1;

	if (depth_check(c, yaml, len) < 0)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		parser_fail(c, &parser, yaml, len);
		yaml_parser_delete(&parser);
		return -1;
	}
	c->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root_check(c, &parser, root) < 0 || doc_apply(c, p, root, where) < 0)
		goto out;
	if ((msg = check_fields(p, &b)) != NULL) {
		fail_at(c, blame_mark(c, root, where, &b), "%s", msg);
		free(msg);
		goto out;
	}
	ret = 0;
out:
	c->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

static enum pl_status load_len(struct preset *p, const char *yaml, size_t len,
                               const char *origin, char **cause)
{
	struct ctx c = {0};
	struct preset tmp;

	preset_defaults(&tmp);
	name_from_path(tmp.name, origin);
	if (load_buffer(&c, &tmp, yaml, len) < 0) {
		pl_fail(cause, PL_ERR_CONFIG, "%s:%zu:%zu: %s", origin, c.mark.line + 1,
		        c.mark.column + 1, c.msg);
		free(c.msg);
		preset_free(&tmp);
		preset_defaults(p);
		return PL_ERR_CONFIG;
	}
	*p = tmp;
	return PL_OK;
}

enum pl_status preset_load_string(struct preset *p, const char *yaml, const char *origin,
                                  char **cause)
{
	return load_len(p, yaml, strlen(yaml), origin, cause);
}

/* The whole file, or NULL with *cause set. */
static char *file_read(const char *path, size_t *len, enum pl_status *st, char **cause)
{
	struct stat sb;
	char *buf = NULL;
	ssize_t got = 0, n = 0;
	int fd = open(path, O_RDONLY);

	*st = PL_ERR_NOINPUT;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		pl_fail(cause, *st, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		pl_fail(cause, *st, "%s: cannot open: %s", path, strerror(EISDIR));
		goto out;
	}
	buf = xmalloc(PRESET_FILE_MAX + 1);
	while (got <= PRESET_FILE_MAX &&
	       (n = read(fd, buf + got, PRESET_FILE_MAX + 1 - got)) > 0)
		got += n;
	if (n < 0) {
		*st = pl_fail(cause, PL_ERR_IO, "%s: cannot read: %s", path,
		              strerror(errno));
	} else if (got > PRESET_FILE_MAX) {
		*st = pl_fail(cause, PL_ERR_CONFIG,
		              "%s: larger than %d bytes, not a preset", path,
		              PRESET_FILE_MAX);
	} else {
		*st = PL_OK;
		*len = (size_t)got;
	}
out:
	if (fd >= 0)
		close(fd);
	if (*st != PL_OK) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

enum pl_status preset_load(struct preset *p, const char *path, char **cause)
{
	enum pl_status st;
	size_t len = 0;
	char *buf = file_read(path, &len, &st, cause);

	if (buf == NULL) {
		preset_defaults(p);
		return st;
	}
	st = load_len(p, buf, len, path, cause);
	free(buf);
	return st;
}

/* --- overrides ---------------------------------------------------------- */

/* Keys every optimizer takes (lr, momentum, ...) survive a change of optimizer. */
static void method_change(struct method *m, enum optimizer o)
{
	struct method old = *m;

	if (o == old.optimizer)
		return;
	method_defaults(m, o);
	for (size_t i = 0; i < method_schema_len; i++) {
		const struct schema_entry *e = &method_schema[i];

		if (e->offset != offsetof(struct method, optimizer) &&
		    optimizers_of(e) == FOR_ALL)
			memcpy((char *)m + e->offset, (char *)&old + e->offset, e->size);
	}
}

/* methods.KEY=VALUE (index < 0: every method) or methods.N.KEY=VALUE. */
static char *method_override(struct preset *p, int index, const char *key,
                             const char *value)
{
	const struct schema_entry *e = schema_find(method_schema, method_schema_len, key);
	int from = index < 0 ? 0 : index, to = index < 0 ? p->nmethods : index + 1;
	char label[64], who[32];
	char *msg;

	if (e == NULL)
		return xasprintf("unknown method key '%s'", key);
	for (int i = from; i < to; i++) {
		struct method *m = &p->methods[i], t = *m;

		snprintf(label, sizeof(label), "methods[%d].%s", i, e->key);
		if (e->offset == offsetof(struct method, optimizer)) {
			if ((msg = value_apply(e, &t, value, label)) != NULL)
				return msg;
			method_change(m, t.optimizer);
			continue;
		}
		optimizers_text(optimizers_of(e), who, sizeof(who));
		if (!takes(e, m->optimizer))
			return index < 0 ? xasprintf("%s applies only to optimizer %s "
			                             "(methods[%d] "
			                             "is %s)",
			                             e->key, who, i,
			                             optimizer_name(m->optimizer))
			                 : xasprintf("methods[%d]: %s applies only to "
			                             "optimizer %s",
			                             i, e->key, who);
		if ((msg = value_apply(e, m, value, label)) != NULL)
			return msg;
	}
	return NULL;
}

/*
 * A sweep value: "a,b,c", or "lo:hi:step" (lo, lo + step, ... up to hi).
 * Returns how many values it holds (into out, newly allocated strings), 0
 * when value is a single value, or -1 with the reason in *why.
 */
static int sweep_values(const char *value, char ***out, char **why)
{
	double lo, hi, step, count;
	int n = 0, len;

	*out = NULL;
	if (strchr(value, ',') != NULL) {
		char *copy = xstrdup(value), *save = NULL;

		*out = xcalloc(PRESET_MAX_METHODS + 1, sizeof(char *));
		for (char *v = strtok_r(copy, ",", &save); v;
		     v = strtok_r(NULL, ",", &save)) {
			if (n == PRESET_MAX_METHODS) {
				*why = xasprintf("a sweep of more than %d values",
				                 PRESET_MAX_METHODS);
				sweep_free(*out, n);
				*out = NULL;
				n = -1;
				break;
			}
			(*out)[n++] = xstrdup(v);
		}
		free(copy);
		return n;
	}
	if (sscanf(value, "%lf:%lf:%lf%n", &lo, &hi, &step, &len) != 3 ||
	    value[len] != '\0')
		return 0;
	/* Counted once, so 0.01:0.05:0.01 ends on 0.05 and the bound holds. */
	count = step > 0 && hi >= lo ? floor((hi - lo) / step * (1 + 1e-12) + 1e-9) + 1
	                             : 0;
	if (!(count >= 1 && count <= PRESET_MAX_METHODS)) {
		*why = xasprintf(
		        "range '%s': expected lo:hi:step with lo <= hi, step > 0 and "
		        "at most %d values",
		        value, PRESET_MAX_METHODS);
		return -1;
	}
	*out = xcalloc(PRESET_MAX_METHODS + 1, sizeof(char *));
	for (n = 0; n < (int)count; n++)
		(*out)[n] = xasprintf("%.10g", lo + n * step);
	return n;
}

static void sweep_free(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Method i becomes k methods (i .. i+k-1), one per value of the sweep. */
static char *method_sweep(struct preset *p, int i, const char *key, char **values, int k)
{
	if (p->nmethods + k - 1 > PRESET_MAX_METHODS)
		return xasprintf("the sweep makes %d methods, more than %d",
		                 p->nmethods + k - 1, PRESET_MAX_METHODS);
	memmove(&p->methods[i + k], &p->methods[i + 1],
	        (size_t)(p->nmethods - i - 1) * sizeof(p->methods[0]));
	for (int j = 1; j < k; j++)
		p->methods[i + j] = p->methods[i];
	p->nmethods += k - 1;
	for (int j = 0; j < k; j++) {
		char *msg = method_override(p, i + j, key, values[j]);

		if (msg != NULL)
			return msg;
	}
	return NULL;
}

/* methods[.N].KEY=a,b,... : every method it names, one per value. */
static char *method_override_sweep(struct preset *p, int index, const char *key,
                                   const char *value)
{
	char **values, *why = NULL, *msg = NULL;
	int k = sweep_values(value, &values, &why);

	if (k < 0)
		return why;
	if (k == 0) { /* one value (a list of none, ",", is one too) */
		sweep_free(values, 0);
		return method_override(p, index, key, value);
	}
	/* From the last method down, so the indices still to expand stay put. */
	for (int i = index < 0 ? p->nmethods - 1 : index;
	     msg == NULL && i >= (index < 0 ? 0 : index); i--)
		msg = method_sweep(p, i, key, values, k);
	sweep_free(values, k);
	return msg;
}

/* One KEY=VALUE into p; NULL or the message without the "override" prefix. */
static char *override_apply(struct preset *p, const char *key, const char *value)
{
	const struct schema_entry *e;

	if (strncmp(key, "methods.", 8) == 0) {
		const char *rest = key + 8;
		char *end, *msg;
		long n = -1;

		if (isdigit((unsigned char)rest[0])) {
			n = strtol(rest, &end, 10);
			if (*end != '.' || end[1] == '\0')
				return xstrdup("expected methods.N.KEY=VALUE");
			if (n >= p->nmethods)
				return xasprintf("methods[%ld]: no such method (the "
				                 "preset has %d)",
				                 n, p->nmethods);
			rest = end + 1;
		} else if (rest[0] == '\0') {
			return xstrdup(
			        "expected methods.KEY=VALUE or methods.N.KEY=VALUE");
		}
		if ((msg = method_override_sweep(p, (int)n, rest, value)) != NULL)
			return msg;
	} else if (strcmp(key, "methods") == 0) {
		return xstrdup(
		        "methods cannot be set by an override; use methods.N.KEY=VALUE "
		        "or methods.KEY=VALUE");
	} else if ((e = schema_find(preset_schema, preset_schema_len, key)) == NULL) {
		return xasprintf("unknown key '%s'", key);
	} else {
		char *msg = value_apply(e, p, value, e->key);

		if (msg != NULL)
			return msg;
	}
	return NULL;
}

/* One KEY=VALUE into p, each value checked on its own; NULL or the message. */
static char *override_one(struct preset *p, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	char *key, *msg, *out;

	if (eq == NULL || eq == assignment)
		return xasprintf("override '%s': expected KEY=VALUE", assignment);
	key = xasprintf("%.*s", (int)(eq - assignment), assignment);
	msg = override_apply(p, key, eq + 1);
	free(key);
	if (msg == NULL)
		return NULL;
	out = xasprintf("override '%.60s%s': %s", assignment,
	                strlen(assignment) > 60 ? "..." : "", msg);
	free(msg);
	return out;
}

/*
 * Applied to a copy, so that a failed override leaves p as it was. Checks
 * that involve several keys run once, after every override is in: their
 * order never matters (setting=class tasks=45 and tasks=45 setting=class).
 */
enum pl_status preset_overrides(struct preset *p, char *const *assignments, int n,
                                char **cause)
{
	struct preset tmp;
	struct blame b;
	char *msg = NULL;

	preset_copy(&tmp, p);
	for (int i = 0; i < n && msg == NULL; i++)
		msg = override_one(&tmp, assignments[i]);
	if (msg == NULL && (msg = check_fields(&tmp, &b)) != NULL) {
		char *all = n == 1 ? xasprintf("override '%s': %s", assignments[0], msg)
		                   : xasprintf("overrides: %s", msg);

		free(msg);
		msg = all;
	}
	if (msg != NULL) {
		preset_free(&tmp);
		pl_fail(cause, PL_ERR_CONFIG, "%s", msg);
		free(msg);
		return PL_ERR_CONFIG;
	}
	preset_free(p);
	*p = tmp;
	return PL_OK;
}

enum pl_status preset_override(struct preset *p, const char *assignment, char **cause)
{
	char *const one[1] = {(char *)assignment};

	return preset_overrides(p, one, 1, cause);
}

/* --- writing ------------------------------------------------------------ */

/* Plain when a YAML reader could not take it for anything but this string. */
static int plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "yes", "no", "on",
	                                    "off",  "null",  "y",   "n"};
	size_t n = strlen(s);
	char *end;

	if (n == 0 || !(isalnum((unsigned char)s[0]) || s[0] == '/' || s[0] == '_' ||
	                (s[0] == '.' && n > 1)))
		return 0;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/"
	              "+-") != n)
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	strtod(s, &end);
	return *end != '\0';
}

/*
 * Double-quoted unless plain is safe. Escaped: what a YAML reader refuses raw
 * (C0 and C1 controls, U+FFFE, U+FFFF) or would fold as a line break (U+0085,
 * U+2028, U+2029).
 */
static void string_write(const char *s, FILE *fp)
{
	const unsigned char *u = (const unsigned char *)s;
	int n;

	if (plain_ok(s)) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *u != '\0'; u += n) {
		unsigned cp = utf8_next(u, &n);

		if (cp == '"' || cp == '\\')
			fprintf(fp, "\\%c", cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fprintf(fp, "\\x%02x", cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfffe || cp == 0xffff)
			fprintf(fp, "\\u%04x", cp);
		else
			fwrite(u, 1, (size_t)n, fp);
	}
	fputc('"', fp);
}

void preset_value_write(const struct schema_entry *e, const void *base, FILE *fp)
{
	const char *f = (const char *)base + e->offset;
	char buf[64];

	switch (e->type) {
	case SCHEMA_INT:
		fprintf(fp, "%d", *(const int *)f);
		break;
	case SCHEMA_UINT64:
		fprintf(fp, "%" PRIu64, *(const uint64_t *)f);
		break;
	case SCHEMA_FLOAT:
		fmt_double(buf, sizeof(buf), *(const double *)f);
		fputs(buf, fp);
		break;
	case SCHEMA_BOOL:
		fputs(*(const int *)f ? "true" : "false", fp);
		break;
	case SCHEMA_STRING:
		string_write(e->size == 0 ? *(char *const *)f : f, fp);
		break;
	case SCHEMA_ENUM:
		string_write(
		        e->size == sizeof(int)
		                ? choice_at(e->choices, *(const int *)f, buf, sizeof(buf))
		                : f,
		        fp);
		break;
	case SCHEMA_INT_LIST:
		fputc('[', fp);
		for (int i = 0; i < *(const int *)(f + e->size); i++)
			fprintf(fp, "%s%d", i ? ", " : "", ((const int *)f)[i]);
		fputc(']', fp);
		break;
	case SCHEMA_METHODS:
		break;
	}
}

static int cure_off(const struct method *m, const struct schema_entry *e);

int method_key_shown(const struct method *m, const struct schema_entry *e)
{
	return takes(e, m->optimizer) && (rule_of(e)->lead || !cure_off(m, e));
}

/* Each method with the keys its optimizer takes, the optimizer first, and
 * the keys of the remedies it uses. */
static void methods_write(const struct preset *p, FILE *fp)
{
	fputs(p->nmethods ? "methods:\n" : "methods: []\n", fp);
	for (int i = 0; i < p->nmethods; i++) {
		const struct method *m = &p->methods[i];

		for (size_t k = 0; k < method_schema_len; k++) {
			const struct schema_entry *e = &method_schema[k];

			if (!takes(e, m->optimizer) || cure_off(m, e))
				continue;
			fprintf(fp, "  %s%s: ", k == 0 ? "- " : "  ", e->key);
			preset_value_write(e, m, fp);
			fputc('\n', fp);
		}
	}
}

void preset_write(const struct preset *p, FILE *fp)
{
	for (size_t i = 0; i < preset_schema_len; i++) {
		const struct schema_entry *e = &preset_schema[i];

		if (e->type == SCHEMA_METHODS) {
			methods_write(p, fp);
			continue;
		}
		if (e->size == 0 && *(char *const *)((const char *)p + e->offset) == NULL)
			continue;
		fprintf(fp, "%s: ", e->key);
		preset_value_write(e, p, fp);
		fputc('\n', fp);
	}
}

/* snprintf at buf + *at, never past len; *at keeps growing to show truncation. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t len,
                                                         size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + (*at < len ? *at : len), *at < len ? len - *at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

void method_label(const struct method *m, char *buf, size_t len)
{
	const struct optim_desc *d = optim_desc(m->optimizer);
	char own[96] = "";
	size_t at = 0;

	if (len > 0)
		buf[0] = '\0';
	if (d != NULL && d->label != NULL)
		d->label(m, own, sizeof(own));
	if (m->origin[0] != '\0')
		append(buf, len, &at, "%s: ", m->origin);
	append(buf, len, &at, "%s lr=%g%s", optimizer_name(m->optimizer), m->lr, own);
	if (m->momentum != 0)
		append(buf, len, &at, " mom=%g", m->momentum);
	if (m->weight_decay != 0)
		append(buf, len, &at, " wd=%g", m->weight_decay);
	if (m->base == BASE_ADAM)
		append(buf, len, &at, " adam");
	if (m->l2_init != 0)
		append(buf, len, &at, " l2init=%g", m->l2_init);
	if (m->shrink != 1 || m->perturb != 0)
		append(buf, len, &at, " s&p=%g:%g%s%s", m->shrink, m->perturb,
		       m->perturb_dist == PERTURB_NORMAL ? ":normal" : "",
		       m->shrink_perturb_at == CURE_AT_TASK ? "/task" : "");
	if (m->redo == REDO_TASK)
		append(buf, len, &at, " redo=%g/task", m->redo_tau);
	else if (m->redo == REDO_STEPS)
		append(buf, len, &at, " redo=%g/%d", m->redo_tau, m->redo_every);
	if (m->cbp_rate != 0)
		append(buf, len, &at, " cbp=%g", m->cbp_rate);
	if (m->layer_norm)
		append(buf, len, &at, " ln");
	if (m->from_scratch)
		append(buf, len, &at, " scratch");
}

int method_equal(const struct method *a, const struct method *b)
{
	if (a->optimizer != b->optimizer)
		return 0;
	for (size_t k = 0; k < method_schema_len; k++) {
		const struct schema_entry *e = &method_schema[k];

		if (memcmp((const char *)a + e->offset, (const char *)b + e->offset,
		           e->size) != 0)
			return 0;
	}
	return 1;
}

int preset_same_grid(const struct preset *a, const struct preset *b)
{
	/* What a run's numbers do not depend on: its method is compared apart,
	 * run i is the same run whatever the count, the rest is analysis. */
	static const char *const not_grid[] = {"name",    "methods", "runs", "baseline",
	                                       "compare", "window",  NULL};

	for (size_t i = 0; i < preset_schema_len; i++) {
		const struct schema_entry *e = &preset_schema[i];
		const char *fa = (const char *)a + e->offset,
		           *fb = (const char *)b + e->offset;
		int skip = 0;

		for (const char *const *k = not_grid; *k != NULL; k++)
			skip |= strcmp(*k, e->key) == 0;
		if (skip)
			continue;
		if (e->size == 0) {
			const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;

			if (strcmp(sa ? sa : "", sb ? sb : "") != 0)
				return 0;
		} else if (e->type == SCHEMA_INT_LIST) {
			/* Only the widths in use: the rest of the array is left over. */
			if (a->nhidden != b->nhidden ||
			    memcmp(a->hidden, b->hidden,
			           sizeof(int) * (size_t)a->nhidden) != 0)
				return 0;
		} else if (e->type == SCHEMA_STRING || (e->type == SCHEMA_ENUM &&
		                                        e->size != sizeof(int))
		                   ? strcmp(fa, fb) != 0 /* text: bytes past the NUL are
		                                            left over */
		                   : memcmp(fa, fb, e->size) != 0) {
			return 0;
		}
	}
	return 1;
}

/* Method key e of m as a number (floats and booleans), or NAN. */
static double method_number(const struct method *m, const struct schema_entry *e)
{
	const char *f = (const char *)m + e->offset;

	return e->type == SCHEMA_FLOAT ? *(const double *)f
	       : e->type == SCHEMA_BOOL || e->type == SCHEMA_INT ||
	                       (e->type == SCHEMA_ENUM && e->size == sizeof(int))
	               ? *(const int *)f
	               : NAN;
}

/* Whether p's methods of optimizer o set key e to more than one value. */
static int key_varies(const struct preset *p, const struct schema_entry *e,
                      enum optimizer o)
{
	double first = NAN;
	int seen = 0;

	for (int i = 0; i < p->nmethods; i++) {
		double v = method_number(&p->methods[i], e);

		if (p->methods[i].optimizer != o)
			continue;
		if (seen && v != first)
			return 1;
		first = v;
		seen = 1;
	}
	return 0;
}

/* Whether method key e is at its default in m. */
static int at_default(const struct method *m, const struct schema_entry *e)
{
	struct method def;
	char *msg;

	memset(&def, 0, sizeof(def));
	if ((msg = value_apply(e, &def, e->def, e->key)) != NULL)
		abort(); /* the schema's own default */
	return memcmp((const char *)m + e->offset, (const char *)&def + e->offset,
	              e->size) == 0;
}

/* Whether e is a key of a remedy m does not use (every key of its group at
 * its default): labels and preset.yaml leave it out. */
static int cure_off(const struct method *m, const struct schema_entry *e)
{
	const char *group = rule_of(e)->group;

	if (group == NULL)
		return 0;
	for (size_t k = 0; k < method_schema_len; k++) {
		const struct key_rule *r = rule_of(&method_schema[k]);

		if (r->group != NULL && strcmp(r->group, group) == 0 &&
		    !at_default(m, &method_schema[k]))
			return 0;
	}
	return 1;
}

void method_label_short(const struct preset *p, int m, char *buf, size_t len)
{
	const struct method *me = &p->methods[m];
	char full[160];
	size_t at = 0;
	int twins = 0;

	if (len > 0)
		buf[0] = '\0';
	if (me->origin[0] != '\0')
		append(buf, len, &at, "%s: ", me->origin);
	append(buf, len, &at, "%s", optimizer_name(me->optimizer));
	for (size_t k = 1; k < method_schema_len; k++) {
		const struct schema_entry *e = &method_schema[k];

		if (!takes(e, me->optimizer) || !key_varies(p, e, me->optimizer) ||
		    !isfinite(method_number(me, e)) || cure_off(me, e))
			continue;
		if (e->type == SCHEMA_BOOL)
			append(buf, len, &at, " %s=%s", e->key,
			       method_number(me, e) != 0 ? "true" : "false");
		else if (e->type == SCHEMA_ENUM) {
			char word[32];

			append(buf, len, &at, " %s=%s", e->key,
			       choice_at(e->choices, (int)method_number(me, e), word,
			                 sizeof(word)));
		} else
			append(buf, len, &at, " %s=%g", e->key, method_number(me, e));
	}
	/* Methods alike in every key (the form's d) are told apart by number. */
	method_label(me, full, sizeof(full));
	for (int i = 0; i < p->nmethods; i++) {
		char other[160];

		method_label(&p->methods[i], other, sizeof(other));
		twins += i != m && strcmp(other, full) == 0;
	}
	if (twins > 0)
		append(buf, len, &at, " #%d", m + 1);
}

/* Kept beside the schema's choices; the tests check that they agree. */
const char *optimizer_name(enum optimizer o)
{
	const struct optim_desc *d = optim_desc(o);

	return d != NULL ? d->name : "?";
}

const char *setting_name(enum setting s)
{
	static const char *const names[] = {"domain", "class"};

	return s >= SETTING_DOMAIN && s <= SETTING_CLASS ? names[s] : "?";
}

void preset_free(struct preset *p)
{
	free(p->data_dir);
	p->data_dir = NULL;
}

void preset_copy(struct preset *dst, const struct preset *src)
{
	*dst = *src;
	if (src->data_dir != NULL)
		dst->data_dir = xstrdup(src->data_dir);
}

/* --- describing the schema ---------------------------------------------- */

/* "integer, 1 to 100000; default: 100": type, range, default, scope. */
static void describe(const struct schema_entry *e, char *buf, size_t len)
{
	const struct key_rule *r = rule_of(e);
	char lo[32], hi[32], range[96], what[160], who[32];

	fmt_double(lo, sizeof(lo), e->min);
	fmt_double(hi, sizeof(hi), e->max);
	if (r->open & OPEN_MIN)
		snprintf(range, sizeof(range), "> %s and <= %s", lo, hi);
	else if (r->open & OPEN_MAX)
		snprintf(range, sizeof(range), ">= %s and < %s", lo, hi);
	else
		snprintf(range, sizeof(range), "%s to %s", lo, hi);
	switch (e->type) {
	case SCHEMA_INT:
		snprintf(what, sizeof(what), "integer, %s", range);
		break;
	case SCHEMA_FLOAT:
		snprintf(what, sizeof(what), "number, %s", range);
		break;
	case SCHEMA_INT_LIST:
		snprintf(what, sizeof(what), "1 to %zu integers, each %s",
		         e->size / sizeof(int), range);
		break;
	case SCHEMA_METHODS:
		snprintf(what, sizeof(what), "1 to %d mappings", PRESET_MAX_METHODS);
		break;
	case SCHEMA_STRING:
		snprintf(what, sizeof(what), "string");
		break;
	case SCHEMA_UINT64:
		snprintf(what, sizeof(what), "integer, 0 or more");
		break;
	default:
		snprintf(what, sizeof(what), "%s", type_expect(e, range, sizeof(range)));
		break;
	}
	if (e->def == NULL && strcmp(r->no_default, "required") == 0)
		snprintf(buf, len, "%s; required", what);
	else
		snprintf(buf, len, "%s; default: %s", what,
		         e->def ? e->def : r->no_default);
	if (optimizers_of(e) != FOR_ALL)
		snprintf(buf + strlen(buf), len - strlen(buf), "; %s only",
		         optimizers_text(optimizers_of(e), who, sizeof(who)));
}

/* Words of s, wrapped to fit width columns after an indent of ind. */
static void wrap_print(FILE *fp, const char *s, int ind, int width)
{
	int col = ind;

	while (*s != '\0') {
		int n = (int)strcspn(s, " ");

		if (col > ind && col + 1 + n > width) {
			fprintf(fp, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', fp);
			col++;
		}
		fprintf(fp, "%.*s", n, s);
		col += n;
		s += n + (s[n] == ' ');
	}
	fputc('\n', fp);
}

/* man(7) text: hyphens as \-, backslashes as \e, no control line by accident. */
static void roff_print(FILE *fp, const char *s)
{
	if (s[0] == '.' || s[0] == '\'')
		fputs("\\&", fp);
	for (; *s != '\0'; s++) {
		if (*s == '-')
			fputs("\\-", fp);
		else if (*s == '\\')
			fputs("\\e", fp);
		else
			fputc(*s, fp);
	}
	fputc('\n', fp);
}

static void table_print(FILE *fp, const struct schema_entry *tab, size_t n, int roff)
{
	char desc[320];

	for (size_t i = 0; i < n; i++) {
		describe(&tab[i], desc, sizeof(desc));
		if (roff) {
			fputs(".TP\n.B ", fp);
			roff_print(fp, tab[i].key);
			strcat(desc, ".");
			roff_print(fp, desc);
			roff_print(fp, tab[i].help);
		} else {
			fprintf(fp, "  %-18s", tab[i].key);
			fprintf(fp, "%s\n", desc);
			fprintf(fp, "%20s", "");
			wrap_print(fp, tab[i].help, 20, 79);
		}
	}
}

void preset_schema_print(FILE *fp, int roff)
{
	fputs(roff ? ".SS \"Top-level keys\"\n" : "Preset keys:\n", fp);
	table_print(fp, preset_schema, preset_schema_len, roff);
	fputs(roff ? ".SS \"Method keys\"\nEach entry of\n.B methods\nis a mapping of "
	             "these "
	             "keys.\n"
	           : "\nKeys of each entry of methods:\n",
	      fp);
	table_print(fp, method_schema, method_schema_len, roff);
}

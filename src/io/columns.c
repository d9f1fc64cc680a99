/*
 * columns.c - the results.csv column table and the formatting and strict
 * parsing of one field (see columns.h).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/preset_io.h"
#include "plasticity/columns.h"
#include "plasticity/util.h"

#define TR(field) offsetof(struct task_result, field)

const struct result_column result_columns[] = {
        {"method_index", RCOL_METHOD_INDEX, 0, NULL, RCOL_KEY | RCOL_METHOD,
         "Index of the method in the preset's methods list, from 0; files are read "
         "back by it."},
        {"method", RCOL_LABEL, 0, NULL, RCOL_METHOD,
         "The method's label: optimizer and the keys that set it apart."},
        {"optimizer", RCOL_METHOD_KEY, 0, NULL, RCOL_METHOD, "sgd, sam or gnp."},
        {"lr", RCOL_METHOD_KEY, 0, NULL, RCOL_METHOD, "Learning rate."},
        {"rho", RCOL_METHOD_KEY, 0, NULL, RCOL_METHOD, "SAM radius (empty for others)."},
        {"lambda", RCOL_METHOD_KEY, 0, NULL, RCOL_METHOD,
         "GNP penalty weight (empty for others)."},
        {"run", RCOL_RUN, 0, NULL, RCOL_KEY, "Run number, from 1."},
        {"seed", RCOL_SEED, 0, NULL, 0,
         "The run's seed (preset seed + run - 1): initial weights, permutations and "
         "batch order; the same for every method."},
        {"task", RCOL_TASK, 0, NULL, RCOL_KEY, "Task number, from 1."},
        {"digits", RCOL_DIGITS, 0, NULL, 0,
         "Class setting: the task's digit pair a-b (a -> 0, b -> 1); empty for domain "
         "tasks."},
        {"test_acc", RCOL_DOUBLE, TR(test_acc), "%.6f", RCOL_UNIT,
         "Accuracy on the task's whole test set right after training on it."},
        {"train_loss", RCOL_DOUBLE, TR(train_loss), "%.6f", 0,
         "Mean mini-batch cross-entropy over the task's training (empty if not finite)."},
        {"diverged", RCOL_INT, TR(diverged), NULL, 0,
         "1 when the training loss became NaN or infinite: the run stopped there."},
        {"online_acc", RCOL_DOUBLE, TR(online_acc), "%.6f", RCOL_DIAG | RCOL_UNIT,
         "Online accuracy (Dohare et al. 2024): the fraction of the task's training "
         "examples the network classified correctly just before the step that used "
         "them."},
        {"dead", RCOL_HIDDEN, TR(dead), "%.6f", RCOL_DIAG | RCOL_UNIT,
         "Per hidden layer: fraction of units whose ReLU output is exactly 0 on every "
         "probe example (Dohare et al. 2024)."},
        {"dormant", RCOL_HIDDEN, TR(dormant), "%.6f", RCOL_DIAG | RCOL_UNIT,
         "Per hidden layer: fraction of units with s_i <= dormant_tau, s_i = mean_x "
         "|h_i(x)| / (mean over the layer's units of the same + 1e-9) (ReDo, Sokar et "
         "al. "
         "2023)."},
        {"erank", RCOL_HIDDEN, TR(erank), "%.4f", RCOL_DIAG,
         "Per hidden layer: effective rank exp(-sum p_k log p_k), p_k = sigma_k / sum "
         "sigma, of the (probe x width) activation matrix (Roy & Vetterli 2007)."},
        {"arank", RCOL_HIDDEN, TR(arank), "%.0f", RCOL_DIAG,
         "Per hidden layer: approximate rank, the fewest largest sigma_k holding 99% of "
         "sum sigma_k^2."},
        {"wmag", RCOL_LINEAR, TR(wmag), "%.6f", RCOL_DIAG,
         "Per linear layer (hidden layers, then the output): mean |w| of its weights, "
         "biases left out."},
        {"dist_init", RCOL_DOUBLE, TR(dist_init), "%.6f", RCOL_DIAG,
         "||theta - theta_0||_2 over every parameter: distance from the run's initial "
         "network."},
        {"grad_norm", RCOL_DOUBLE, TR(grad_norm), "%.6g", RCOL_DIAG,
         "||grad L||_2, L the mean cross-entropy over the probe set."},
        {"sharpness", RCOL_DOUBLE, TR(sharpness), "%.6g", RCOL_DIAG,
         "SAM sharpness L(w + rho g/||g||) - L(w) on the probe set, rho = sharpness_rho "
         "(a SAM method: its own rho)."},
        {"lambda_max", RCOL_DOUBLE, TR(lambda_max), "%.6g", RCOL_DIAG,
         "Top Hessian eigenvalue of L (every hessian_every tasks): power iteration on "
         "central-difference Hessian-vector products, h = sqrt(float eps)(1 + ||w||), to "
         "a "
         "relative change and residual of 1e-3 or hessian_iters iterations."},
        {"hessian_trace", RCOL_DOUBLE, TR(hessian_trace), "%.6g", RCOL_DIAG,
         "With 'trace' in diagnostics, on the Hessian's tasks: Hutchinson's estimate of "
         "tr(H), the mean of z^T H z over 10 Rademacher vectors z."},
        {"probe_loss", RCOL_DOUBLE, TR(probe_loss), "%.6f", RCOL_DIAG,
         "L: mean cross-entropy on the probe set after the task."},
        {"probe_acc", RCOL_DOUBLE, TR(probe_acc), "%.6f", RCOL_DIAG | RCOL_UNIT,
         "Accuracy on the probe set after the task."},
        {"redo_reset", RCOL_DOUBLE, TR(redo_reset), "%.0f", RCOL_DIAG | RCOL_LATER,
         "ReDo (method key redo): hidden units reset during the task (empty without "
         "ReDo)."},
        {"redo_revived", RCOL_DOUBLE, TR(redo_revived), "%.0f", RCOL_DIAG | RCOL_LATER,
         "ReDo: of those, the units whose score s_i was above redo_tau right after "
         "their reset, on the same probe set."},
        {"redo_dormant", RCOL_DOUBLE, TR(redo_dormant), "%.6f",
         RCOL_DIAG | RCOL_UNIT | RCOL_LATER,
         "ReDo: fraction of all hidden units with s_i <= redo_tau right after the "
         "task's last ReDo pass (units a reset left dormant, or made so)."},
        {"cbp_replaced", RCOL_DOUBLE, TR(cbp_replaced), "%.0f", RCOL_DIAG | RCOL_LATER,
         "Continual backprop (method key cbp_rate): hidden units replaced during the "
         "task."},
        {"seconds", RCOL_DOUBLE, TR(seconds), "%.3f", RCOL_TIMING,
         "Wall time of training, evaluating and probing the task."},
        {"samples_per_s", RCOL_DOUBLE, TR(samples_per_s), "%.0f", RCOL_TIMING,
         "Training examples (times epochs) per second of training, one core."},
};
const size_t result_columns_len = sizeof(result_columns) / sizeof(result_columns[0]);

const struct result_column *result_column_find(const char *name)
{
	for (size_t i = 0; i < result_columns_len; i++)
		if (strcmp(result_columns[i].name, name) == 0)
			return &result_columns[i];
	return NULL;
}

static const struct schema_entry *method_key(const char *name)
{
	for (size_t i = 0; i < method_schema_len; i++)
		if (strcmp(method_schema[i].key, name) == 0)
			return &method_schema[i];
	return NULL;
}

static void method_key_format(const char *name, const struct method *m, char *buf,
                              size_t len)
{
	const struct schema_entry *e = method_key(name);
	const char *f = (const char *)m + (e ? e->offset : 0);

	buf[0] = '\0';
	if (e == NULL || !method_takes(m, e))
		return;
	if (e->type == SCHEMA_FLOAT)
		snprintf(buf, len, "%.9g", *(const double *)f);
	else if (e->type == SCHEMA_BOOL)
		snprintf(buf, len, "%s", *(const int *)f ? "true" : "false");
	else if (strcmp(name, "optimizer") == 0)
		snprintf(buf, len, "%s", optimizer_name(m->optimizer));
	else
		snprintf(buf, len, "%d", *(const int *)f);
}

int result_column_width(const struct result_column *col, const struct preset *p)
{
	return col->kind == RCOL_HIDDEN   ? p->nhidden
	       : col->kind == RCOL_LINEAR ? p->nhidden + 1
	                                  : 1;
}

void result_column_name(const struct result_column *col, int i, char *buf, size_t len)
{
	if (col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR)
		snprintf(buf, len, "%s_l%d", col->name, i + 1);
	else
		snprintf(buf, len, "%s", col->name);
}

const struct result_column *result_column_lookup(const char *name, const struct preset *p,
                                                 int *index)
{
	char want[64];

	for (size_t k = 0; k < result_columns_len; k++)
		for (int i = 0; i < result_column_width(&result_columns[k], p); i++) {
			result_column_name(&result_columns[k], i, want, sizeof(want));
			if (strcmp(want, name) == 0) {
				*index = i;
				return &result_columns[k];
			}
		}
	return NULL;
}

void result_column_format_at(const struct result_column *col, const struct preset *p,
                             int m, int run, const struct task_result *c, int i,
                             char *buf, size_t len)
{
	const double *v;

	if (col->kind != RCOL_HIDDEN && col->kind != RCOL_LINEAR) {
		result_column_format(col, p, m, run, c, buf, len);
		return;
	}
	v = (const double *)((const char *)c + col->offset) + i;
	buf[0] = '\0';
	if (isfinite(*v))
		snprintf(buf, len, col->fmt, *v);
}

double result_column_value(const struct result_column *col, const struct task_result *c,
                           int i)
{
	const char *f = (const char *)c + col->offset;

	switch (col->kind) {
	case RCOL_INT:
		return *(const int *)f;
	case RCOL_DOUBLE:
		return *(const double *)f;
	case RCOL_HIDDEN:
	case RCOL_LINEAR:
		return ((const double *)f)[i];
	default:
		return NAN;
	}
}

int result_column_parse_at(const struct result_column *col, int i, const char *text,
                           struct task_result *c, const char **why)
{
	struct result_column one = *col;

	if (col->kind != RCOL_HIDDEN && col->kind != RCOL_LINEAR)
		return result_column_parse(col, text, c, NULL, why);
	/* A per-layer field parses like a double at its own offset. */
	one.kind = RCOL_DOUBLE;
	one.offset = col->offset + (size_t)i * sizeof(double);
	return result_column_parse(&one, text, c, NULL, why);
}

void result_round(const struct preset *p, struct task_result *c)
{
	for (size_t k = 0; k < result_columns_len; k++) {
		const struct result_column *col = &result_columns[k];
		int n = col->kind == RCOL_DOUBLE ? 1
		        : col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR
		                ? result_column_width(col, p)
		                : 0;

		for (int i = 0; i < n; i++) {
			double *v = (double *)((char *)c + col->offset) + i;
			char buf[64];

			snprintf(buf, sizeof(buf), col->fmt, *v);
			*v = isfinite(*v) ? strtod(buf, NULL) : NAN;
		}
	}
}

void result_column_format(const struct result_column *col, const struct preset *p, int m,
                          int run, const struct task_result *c, char *buf, size_t len)
{
	const char *f = (const char *)c + col->offset;

	buf[0] = '\0';
	switch (col->kind) {
	case RCOL_METHOD_INDEX:
		snprintf(buf, len, "%d", m);
		break;
	case RCOL_LABEL:
		method_label(&p->methods[m], buf, len);
		break;
	case RCOL_METHOD_KEY:
		method_key_format(col->name, &p->methods[m], buf, len);
		break;
	case RCOL_RUN:
		snprintf(buf, len, "%d", run + 1);
		break;
	case RCOL_SEED:
		snprintf(buf, len, "%llu", (unsigned long long)(p->seed + (uint64_t)run));
		break;
	case RCOL_TASK:
		snprintf(buf, len, "%d", c->task + 1);
		break;
	case RCOL_DIGITS:
		if (c->digit_a >= 0)
			snprintf(buf, len, "%d-%d", c->digit_a, c->digit_b);
		break;
	case RCOL_INT:
		snprintf(buf, len, "%d", *(const int *)f);
		break;
	case RCOL_DOUBLE:
		if (isfinite(*(const double *)f))
			snprintf(buf, len, col->fmt, *(const double *)f);
		break;
	case RCOL_HIDDEN:
	case RCOL_LINEAR:
		result_column_format_at(col, p, m, run, c, 0, buf, len);
		break;
	}
}

/* A whole decimal int, nothing before or after it. */
static int parse_int(const char *s, int *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (*s == '\0' || *s == ' ' || *s == '+' || *end != '\0' || errno != 0 ||
	    x < -2147483647 || x > 2147483647)
		return -1;
	*v = (int)x;
	return 0;
}

int result_column_parse(const struct result_column *col, const char *text,
                        struct task_result *c, int *index, const char **why)
{
	char *f = (char *)c + col->offset, *end;
	int a, b, n = 0;

	switch (col->kind) {
	case RCOL_METHOD_INDEX:
	case RCOL_RUN:
	case RCOL_TASK:
		*why = "is not a whole number";
		if (parse_int(text, index) != 0)
			return -1;
		*index -= col->kind == RCOL_METHOD_INDEX ? 0 : 1;
		return 0;
	case RCOL_DIGITS:
		c->digit_a = c->digit_b = -1;
		*why = "is not a digit pair a-b";
		if (*text == '\0')
			return 0;
		if (sscanf(text, "%1d-%1d%n", &a, &b, &n) != 2 || text[n] != '\0' ||
		    a == b)
			return -1;
		c->digit_a = a;
		c->digit_b = b;
		return 0;
	case RCOL_INT:
		*why = "is not a whole number";
		return parse_int(text, (int *)f);
	case RCOL_DOUBLE:
		*why = "is not a number";
		if (*text == '\0') {
			*(double *)f = NAN;
			return 0;
		}
		errno = 0;
		*(double *)f = strtod(text, &end);
		if (*end != '\0' || *text == ' ' || errno == ERANGE ||
		    !isfinite(*(double *)f))
			return -1;
		*why = "is not a fraction in [0, 1]";
		return (col->flags & RCOL_UNIT) &&
		                       !(*(double *)f >= 0.0 && *(double *)f <= 1.0)
		               ? -1
		               : 0;
	default:
		return 0; /* compared as text by the reader */
	}
}

/* "  name           help..." wrapped at 79 columns, continuation indented. */
static void help_wrapped(FILE *fp, const char *name, const char *help, int timing)
{
	char *text = timing ? xasprintf("%s (timing)", help) : xstrdup(help);
	const char *p = text;
	int first = 1;

	while (*p) {
		int n = (int)strlen(p);

		if (n > 62) {
			n = 62;
			while (n > 0 && p[n] != ' ')
				n--;
		}
		fprintf(fp, "  %-15s%.*s\n", first ? name : "", n, p);
		p += n;
		while (*p == ' ')
			p++;
		first = 0;
	}
	free(text);
}

void result_columns_print(FILE *fp, int roff)
{
	for (size_t i = 0; i < result_columns_len; i++) {
		const struct result_column *col = &result_columns[i];

		int layered = col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR;
		char name[64];

		snprintf(name, sizeof(name), "%s%s", col->name,
		         layered ? "_l1, _l2, ..." : "");
		if (roff)
			fprintf(fp, ".TP\n.B %s\n%s%s\n", name, col->help,
			        col->flags & RCOL_TIMING ? " (timing)" : "");
		else
			help_wrapped(fp, name, col->help, col->flags & RCOL_TIMING);
	}
}

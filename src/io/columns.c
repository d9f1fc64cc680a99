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
    {"test_acc", RCOL_DOUBLE, TR(test_acc), "%.6f", 0,
     "Accuracy on the task's whole test set right after training on it."},
    {"train_loss", RCOL_DOUBLE, TR(train_loss), "%.6f", 0,
     "Mean mini-batch cross-entropy over the task's training (empty if not finite)."},
    {"diverged", RCOL_INT, TR(diverged), NULL, 0,
     "1 when the training loss became NaN or infinite: the run stopped there."},
    {"seconds", RCOL_DOUBLE, TR(seconds), "%.3f", RCOL_TIMING,
     "Wall time of training and evaluating the task."},
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
		return *end != '\0' || *text == ' ' || errno == ERANGE ||
		               !isfinite(*(double *)f)
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

		if (roff)
			fprintf(fp, ".TP\n.B %s\n%s%s\n", col->name, col->help,
			        col->flags & RCOL_TIMING ? " (timing)" : "");
		else
			help_wrapped(fp, col->name, col->help, col->flags & RCOL_TIMING);
	}
}

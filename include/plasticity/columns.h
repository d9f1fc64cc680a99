/*
 * columns.h - the one table of what results.csv holds for each finished
 * (method, run, task).
 *
 * Every column is a row here: its name, what kind of value it is, where the
 * value lives (a field of struct task_result, or of the method), its format
 * and its help. The results.csv writer and its reader, the summary's method
 * columns, --help and the man page all iterate this table, so a new
 * per-task value is one row here plus its field in struct task_result.
 * Files are read back by column name and method index, never by position
 * or by label.
 */
#ifndef PLASTICITY_COLUMNS_H
#define PLASTICITY_COLUMNS_H

#include <stddef.h>
#include <stdio.h>

#include "plasticity/preset.h"
#include "plasticity/status.h"
#include "plasticity/train.h"

enum rcol_kind {
	RCOL_METHOD_INDEX, /* index into the preset's methods, from 0 */
	RCOL_LABEL,        /* method_label() */
	RCOL_METHOD_KEY,   /* a method key (schema row named by name); empty when it
	                      does not apply to the method's optimizer */
	RCOL_RUN,          /* run number, from 1 */
	RCOL_SEED,         /* the run's seed: preset seed + run - 1 */
	RCOL_TASK,         /* task number, from 1 */
	RCOL_DIGITS,       /* "a-b" for class tasks, empty for domain tasks */
	RCOL_INT,          /* int field of struct task_result at offset */
	RCOL_DOUBLE,       /* double field at offset, fmt; empty when not finite */
	RCOL_HIDDEN,       /* double[] at offset, one per hidden layer: NAME_l1 ... */
	RCOL_LINEAR /* double[] at offset, one per linear layer (hidden + output) */
};

#define RCOL_TIMING 1u  /* wall-clock: differs between identical runs */
#define RCOL_METHOD 2u  /* describes the method: repeated in summary.csv */
#define RCOL_KEY    4u  /* identifies the row: (method, run, task) */
#define RCOL_DIAG   8u  /* a diagnostic: summary.csv gets its first/last-10% means */
#define RCOL_UNIT   16u /* a fraction: read back only within [0, 1] */
/* Added after results.csv files were first written (the remedies' counts): a
 * file without the column reads as not measured (NAN), so older run
 * directories still open, plot and compare. */
#define RCOL_LATER 32u

struct result_column {
	const char *name;
	enum rcol_kind kind;
	size_t offset;   /* RCOL_INT, RCOL_DOUBLE: offsetof(struct task_result, ...) */
	const char *fmt; /* RCOL_DOUBLE: printf format */
	unsigned flags;
	const char *help;
};

extern const struct result_column result_columns[];
extern const size_t result_columns_len;

/* The column named name, or NULL. */
const struct result_column *result_column_find(const char *name);

/* How many fields column col has for preset p (1, or one per layer). */
int result_column_width(const struct result_column *col, const struct preset *p);
/* The header name of field i of col ("dead_l2"), into buf. */
void result_column_name(const struct result_column *col, int i, char *buf, size_t len);
/* The column and field index a header name stands for under p, or NULL. */
const struct result_column *result_column_lookup(const char *name, const struct preset *p,
                                                 int *index);

/*
 * The text of column col for task result c of run `run` (from 0) of method
 * m of preset p, as results.csv holds it. Columns that describe the method
 * ignore c (summary.csv passes NULL).
 */
void result_column_format(const struct result_column *col, const struct preset *p, int m,
                          int run, const struct task_result *c, char *buf, size_t len);

/* Field i of a per-layer column (i = 0 for the others). */
void result_column_format_at(const struct result_column *col, const struct preset *p,
                             int m, int run, const struct task_result *c, int i,
                             char *buf, size_t len);

/*
 * Parse a field of column col into c (RCOL_INT, RCOL_DOUBLE, RCOL_DIGITS),
 * or into *index (the key columns: method index, run, task, from 0).
 * Strict: the whole field must be the value. Returns 0, or -1 with what
 * is wrong in *why (static text).
 */
int result_column_parse(const struct result_column *col, const char *text,
                        struct task_result *c, int *index, const char **why);

/* Field i of a per-layer column. */
int result_column_parse_at(const struct result_column *col, int i, const char *text,
                           struct task_result *c, const char **why);
/*
 * Every double column of c as results.csv holds it: printed with its
 * format and read back (not finite: NAN, an empty field). A session keeps
 * its results so, and summary.csv is then the same whether a task was
 * trained in this process or read back from results.csv by --resume.
 */
void result_round(const struct preset *p, struct task_result *c);

/* The number held by field i of a numeric column (RCOL_INT, RCOL_DOUBLE,
 * the per-layer kinds) of task result c; NAN for the others. */
double result_column_value(const struct result_column *col, const struct task_result *c,
                           int i);

/* Every column with its help: plain text (roff = 0) or man(7) (roff = 1). */
void result_columns_print(FILE *fp, int roff);

#endif

/*
 * table.h - the comparison table across methods, rendered into text.
 *
 * Rows are plain data; sorting and "best in column" marking are pure
 * functions, so the table is unit-tested without a terminal. The best value
 * of each numeric column is marked by a leading '*' (more than color), and
 * the renderer reports which cells are best so the UI can also color them.
 */
#ifndef PLASTICITY_TABLE_H
#define PLASTICITY_TABLE_H

#include <stddef.h>

enum table_col {
	COL_METHOD, /* label, e.g. "sam lr=0.01 rho=0.05" */
	COL_RUNS,   /* runs with every task done */
	COL_TASKS,  /* tasks done, all runs together */
	COL_LATEST, /* accuracy of the latest finished task (mean over its runs) */
	COL_FIRST,  /* mean accuracy over the first 10% of tasks */
	COL_LAST,   /* mean accuracy over the last 10% */
	COL_LOSS,   /* plasticity loss = first - last (lower is better) */
	COL_MEAN,   /* mean accuracy over all finished tasks */
	COL_SPS,    /* training samples per second */
	COL_DIFF, /* plasticity loss minus the baseline's, paired: diff +- half, '*' when
	             Holm-corrected p < 0.05; "base" on the baseline's row */
	COL_METRIC, /* a chosen diagnostic (metric_name), latest task; shown when named */
	COL_GAP,    /* plasticity gap over the last window (results_gap), lower is
	               better; "scratch" on the from-scratch row; shown when the grid
	               has one */
	COL_COUNT
};

struct table_row {
	char label[96];
	char glyph[8]; /* the method's marker, UTF-8 or ASCII, e.g. "●" or "a" */
	int earlier;   /* from an earlier configuration */
	int runs, tasks;
	double latest, first, last, loss, mean, sps; /* NAN = not known yet */
	char metric_name[24]; /* COL_METRIC's title ("" = no such column) */
	double metric;
	int diff_kind; /* COL_DIFF: 0 none (no column), 1 baseline, 2 difference */
	double diff, diff_half; /* mean paired difference, half its 95% CI */
	int diff_sig;           /* Holm-corrected p < 0.05 */
	char brief[96];         /* what sets the method apart (method_label_short), shown
	                           instead of label when label does not fit ("" = none) */
	int gap_kind; /* COL_GAP: 0 none (no column), 1 the from-scratch row, 2 a gap */
	double gap;
};

/* Column title as shown ("method", "runs", ..., "samples/s"). */
const char *table_col_name(enum table_col c);

/* Stable sort by a column; NAN values always last. descending for numbers
 * means larger first; method sorts alphabetically (descending reverses). */
void table_sort(struct table_row *rows, int n, enum table_col col, int descending);

/* best[c] = index of the row with the best value of column c (highest
 * accuracy, lowest loss, highest samples/s, most runs/tasks), -1 for
 * COL_METHOD or COL_METRIC (no better direction) or when no row has a
 * value. Ties: the first row. */
void table_best(const struct table_row *rows, int n, int best[COL_COUNT]);

/*
 * Render the header (line 0) and one line per row into lines[i] (each
 * linesz bytes, NUL-terminated UTF-8), fitting in width columns: numbers are
 * right-aligned with 3 decimals (samples/s as an integer, "-" when NAN);
 * the method column takes what is left and is truncated with "~". The
 * header marks the sort column with "v" (descending) or "^". cell_x, if
 * not NULL, receives the starting column of each table column (for
 * coloring). Returns the number of lines (n + 1).
 */
int table_render(const struct table_row *rows, int n, int width, enum table_col sort,
                 int descending, char (*lines)[256], int cell_x[COL_COUNT]);

#endif

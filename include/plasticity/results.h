/*
 * results.h - the table of per-task results of a grid, and its files.
 *
 * cells are indexed [method][run][task]. results.csv has one row per
 * finished cell; summary.csv one row per method. Files are written to a
 * temporary name and renamed.
 */
#ifndef PLASTICITY_RESULTS_H
#define PLASTICITY_RESULTS_H

#include <stdio.h>

#include "plasticity/preset.h"
#include "plasticity/train.h"

struct results {
	const struct preset *p;
	int nmethods, runs, tasks;
	size_t cell_size;
	unsigned char *cells; /* nmethods * runs * tasks cells of cell_size bytes */
	unsigned char *done;  /* 1 where a cell is filled */
};

struct method_summary {
	int runs_done;          /* runs with every task finished */
	int tasks_done;         /* cells filled */
	double first, first_se; /* mean test accuracy over the first window tasks */
	double last, last_se;   /* ... the last window tasks (results_window) */
	double loss, loss_se;   /* first - last: plasticity loss */
	double mean, mean_se;   /* over all tasks */
	double samples_per_s;   /* training throughput of one run, mean */
	int diverged;           /* runs that diverged */
	int collapsed; /* runs that collapsed to chance (results_run_collapsed) */
	int tasks_max; /* tasks done by the run furthest along */
	/* The plasticity gap to the grid's from-scratch method (results_gap),
	 * mean over runs of each run's mean over all its tasks and over the
	 * last window; NAN without a from-scratch method. */
	double gap, gap_se, gap_last, gap_last_se;
};

/*
 * A run collapsed when its test accuracy stays within COLLAPSE_MARGIN of
 * chance (1/10 domain, 1/2 class) for COLLAPSE_TASKS tasks in a row (all its
 * tasks when there are fewer): it learns nothing, so its plasticity loss is
 * no measure of plasticity. Returns the first task of that streak, or -1.
 */
#define COLLAPSE_MARGIN 0.02
#define COLLAPSE_TASKS  5
double results_chance(const struct preset *p);
int results_run_collapsed(const struct results *res, int method, int run);

/*
 * The plasticity gap (ContinualAI/avalanche#1510): on run r and task t,
 * the from-scratch method's test accuracy minus method m's, where both
 * finished it without diverging (else NAN). The from-scratch method is the
 * grid's first with from_scratch; results_scratch gives its index, -1 when
 * there is none.
 */
int results_scratch(const struct results *res);
double results_gap(const struct results *res, int m, int run, int task);
/* gap.csv: per method and task, the gap's mean and standard error over
 * runs; written only for a grid with a from-scratch method. */
enum pl_status results_write_gap(const struct results *res, const char *path,
                                 char **cause);

void results_init(struct results *res, const struct preset *p);
void results_free(struct results *res);
void results_put(struct results *res, int method, int run, const struct task_result *r);
/* Forget every task of one run (it is trained again from its first task). */
void results_clear_run(struct results *res, int method, int run);
const struct task_result *results_get(const struct results *res, int method, int run,
                                      int task);
/* Cells filled, over the whole grid. */
long results_done_count(const struct results *res);
/* Whether run r of method m is over: every task done, or it diverged (a
 * diverged run stops there). A resume, a reuse and an estimate skip it. */
int results_run_over(const struct results *res, int method, int run);
/* Mean test accuracy on task over the runs that finished it (NAN if none);
 * *nruns (if not NULL) gets their number. Diverged runs are left out. */
double results_task_mean(const struct results *res, int method, int task, int *nruns);
/* Tasks counted as the first and the last of a run for plasticity loss:
 * the preset's window (default 10% of the tasks, rounded, at least 1). */
int results_window(const struct preset *p);
void results_summarize(const struct results *res, int method, struct method_summary *s);

enum pl_status results_write_csv(const struct results *res, const char *path,
                                 char **cause);
enum pl_status results_write_summary(const struct results *res, const char *path,
                                     char **cause);
/* accuracy_matrix.csv: accuracy on every task seen so far after each task. */
enum pl_status results_write_matrix(const struct results *res, const char *path,
                                    char **cause);
/*
 * Read results.csv back into res (initialized over the run's preset):
 * columns by name (every column of columns.h, in any order), the method by
 * its index. Strict: a field that is not what its column holds, a row of an
 * unknown method or out-of-range run or task, a field derived from the
 * preset (label, method keys, seed) that differs from it, and a second row
 * for one cell are errors naming the file, line and field (PL_ERR_DATA).
 */
enum pl_status results_read_csv(struct results *res, const char *path, char **cause);
/*
 * Read accuracy_matrix.csv into the cells results.csv filled. Every cell of
 * a complete run must get all its rows (its checkpoint is gone); a run still
 * going may have fewer (its checkpoint holds them).
 */
enum pl_status results_read_matrix(struct results *res, const char *path, char **cause);

/*
 * The accuracy matrix, mean over runs: R[i][j] is the test accuracy on task
 * j after training task i (j <= i), over the runs that got there (NAN if
 * none or not recorded). results_matrix_rows is 1 + the last i whose
 * diagonal has a value (0 when nothing is recorded).
 */
double results_matrix_cell(const struct results *res, int method, int i, int j);
int results_matrix_rows(const struct results *res, int method);
/*
 * Backward transfer and forgetting over the first T rows of method's mean
 * matrix R (NAN when T < 2):
 *   BWT (Lopez-Paz & Ranzato 2017) = 1/(T-1) sum_{j<T-1} (R[T-1][j] - R[j][j])
 *   forgetting (Chaudhry et al. 2018) = 1/(T-1) sum_{j<T-1}
 *       (max_{j<=l<T-1} R[l][j] - R[T-1][j])
 */
void results_transfer(const struct results *res, int method, int T, double *bwt,
                      double *forget);

/* The summary as an aligned table. */
void results_print_summary(const struct results *res, FILE *fp);

#endif

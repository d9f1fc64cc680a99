/*
 * results.c - per-task results of a grid, the plasticity summary, and the
 * CSV files of a run directory.
 *
 * Plasticity loss of a method is the mean test accuracy over the first 10%
 * of tasks minus that over the last 10% (each at least one task), computed
 * per run and then averaged over runs, with the standard error over runs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/preset_io.h"
#include "plasticity/columns.h"
#include "plasticity/results.h"
#include "plasticity/util.h"

void results_init(struct results *res, const struct preset *p)
{
	size_t n = (size_t)p->nmethods * p->runs * p->tasks;

	res->p = p;
	res->nmethods = p->nmethods;
	res->runs = p->runs;
	res->tasks = p->tasks;
	res->cell_size = task_result_size(p);
	res->cells = xcalloc(n, res->cell_size);
	res->done = xcalloc(n, 1);
}

void results_free(struct results *res)
{
	free(res->cells);
	free(res->done);
	res->cells = res->done = NULL;
}

static size_t cell_index(const struct results *res, int method, int run, int task)
{
	return ((size_t)method * res->runs + run) * res->tasks + task;
}

void results_put(struct results *res, int method, int run, const struct task_result *r)
{
	size_t i = cell_index(res, method, run, r->task);

	memcpy(res->cells + i * res->cell_size, r, res->cell_size);
	res->done[i] = 1;
}

void results_clear_run(struct results *res, int method, int run)
{
	for (int t = 0; t < res->tasks; t++)
		res->done[cell_index(res, method, run, t)] = 0;
}

const struct task_result *results_get(const struct results *res, int method, int run,
                                      int task)
{
	size_t i = cell_index(res, method, run, task);

	return res->done[i] ? (const void *)(res->cells + i * res->cell_size) : NULL;
}

/* The filled cell, writable (readers fill in its accuracy-matrix row). */
static struct task_result *results_cell(struct results *res, int method, int run,
                                        int task)
{
	size_t i = cell_index(res, method, run, task);

	return res->done[i] ? (void *)(res->cells + i * res->cell_size) : NULL;
}

/* A whole decimal number, nothing around it. */
static int parse_whole(const char *s, int *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || x > 1000000000)
		return -1;
	*v = (int)x;
	return 0;
}

double results_task_mean(const struct results *res, int method, int task, int *nruns)
{
	double sum = 0.0;
	int n = 0;

	for (int r = 0; r < res->runs; r++) {
		const struct task_result *c = results_get(res, method, r, task);

		if (c != NULL && !c->diverged) {
			sum += c->test_acc;
			n++;
		}
	}
	if (nruns != NULL)
		*nruns = n;
	return n ? sum / n : NAN;
}

long results_done_count(const struct results *res)
{
	size_t n = (size_t)res->nmethods * res->runs * res->tasks;
	long done = 0;

	for (size_t i = 0; i < n; i++)
		done += res->done[i];
	return done;
}

int results_run_over(const struct results *res, int method, int run)
{
	int n = 0;

	for (int t = 0; t < res->tasks; t++) {
		const struct task_result *c = results_get(res, method, run, t);

		if (c != NULL && c->diverged)
			return 1;
		n += c != NULL;
	}
	return n == res->tasks;
}

double results_matrix_cell(const struct results *res, int method, int i, int j)
{
	double sum = 0.0;
	int n = 0;

	for (int r = 0; r < res->runs; r++) {
		const struct task_result *c = results_get(res, method, r, i);

		if (c != NULL && j < c->nseen && isfinite(c->acc_seen[j])) {
			sum += c->acc_seen[j];
			n++;
		}
	}
	return n ? sum / n : NAN;
}

int results_matrix_rows(const struct results *res, int method)
{
	int rows = 0;

	for (int i = 0; i < res->tasks; i++)
		if (isfinite(results_matrix_cell(res, method, i, i)))
			rows = i + 1;
	return rows;
}

void results_transfer(const struct results *res, int method, int T, double *bwt,
                      double *forget)
{
	double b = 0.0, f = 0.0;

	for (int j = 0; j + 1 < T; j++) {
		double best = -INFINITY,
		       last = results_matrix_cell(res, method, T - 1, j);

		b += last - results_matrix_cell(res, method, j, j);
		for (int l = j; l + 1 < T; l++)
			best = fmax(best, results_matrix_cell(res, method, l, j));
		f += best - last;
	}
	*bwt = T > 1 ? b / (T - 1) : NAN;
	*forget = T > 1 ? f / (T - 1) : NAN;
}

int results_window(const struct preset *p)
{
	int w = preset_window(p);

	return w < 1 ? 1 : w;
}

/* Mean test accuracy of one run over tasks [from, to); NAN unless all are done. */
static double run_mean(const struct results *res, int method, int run, int from, int to)
{
	double sum = 0.0;

	for (int t = from; t < to; t++) {
		const struct task_result *r = results_get(res, method, run, t);

		if (r == NULL || r->diverged)
			return NAN;
		sum += r->test_acc;
	}
	return sum / (to - from);
}

/* Mean and standard error over the finite values of v[0..n). */
static void mean_se(const double *v, int n, double *mean, double *se)
{
	double sum = 0.0, sq = 0.0;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			sum += v[i];
			k++;
		}
	*mean = k ? sum / k : NAN;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i]))
			sq += (v[i] - *mean) * (v[i] - *mean);
	*se = k > 1 ? sqrt(sq / (k - 1) / k) : NAN;
}

double results_chance(const struct preset *p)
{
	return p->setting == SETTING_DOMAIN ? 0.1 : 0.5;
}

int results_run_collapsed(const struct results *res, int method, int run)
{
	double chance = results_chance(res->p);
	int need = res->tasks < COLLAPSE_TASKS ? res->tasks : COLLAPSE_TASKS, streak = 0;

	for (int t = 0; t < res->tasks; t++) {
		const struct task_result *c = results_get(res, method, run, t);

		if (c == NULL || c->diverged) {
			streak = 0;
			continue;
		}
		streak = c->test_acc <= chance + COLLAPSE_MARGIN ? streak + 1 : 0;
		if (streak == need)
			return t - need + 1;
	}
	return -1;
}

int results_scratch(const struct results *res)
{
	for (int m = 0; m < res->nmethods; m++)
		if (res->p->methods[m].from_scratch)
			return m;
	return -1;
}

double results_gap(const struct results *res, int m, int run, int task)
{
	int k = results_scratch(res);
	const struct task_result *a = k >= 0 ? results_get(res, k, run, task) : NULL,
	                         *b = k >= 0 ? results_get(res, m, run, task) : NULL;

	if (a == NULL || b == NULL || a->diverged || b->diverged)
		return NAN;
	return a->test_acc - b->test_acc;
}

/* One run's mean gap over tasks [from, to), over the tasks it has. */
static double run_gap(const struct results *res, int m, int run, int from, int to)
{
	double sum = 0.0;
	int n = 0;

	for (int t = from; t < to; t++) {
		double g = results_gap(res, m, run, t);

		if (isfinite(g)) {
			sum += g;
			n++;
		}
	}
	return n ? sum / n : NAN;
}

void results_summarize(const struct results *res, int method, struct method_summary *s)
{
	int T = res->tasks, w = results_window(res->p), R = res->runs;
	double *first = xcalloc((size_t)R, sizeof(double)),
	       *last = xcalloc((size_t)R, sizeof(double));
	double *loss = xcalloc((size_t)R, sizeof(double)),
	       *all = xcalloc((size_t)R, sizeof(double));
	double *gap = xcalloc((size_t)R, sizeof(double)),
	       *gap_last = xcalloc((size_t)R, sizeof(double));
	double sps = 0.0;
	long nsps = 0;

	memset(s, 0, sizeof(*s));
	for (int r = 0; r < R; r++) {
		double sum = 0.0;
		int n = 0, diverged = 0;

		for (int t = 0; t < T; t++) {
			const struct task_result *c = results_get(res, method, r, t);

			if (c == NULL)
				continue;
			s->tasks_done++;
			diverged |= c->diverged;
			if (c->diverged)
				continue;
			sum += c->test_acc;
			sps += c->samples_per_s;
			n++;
			nsps++;
		}
		s->diverged += diverged;
		s->collapsed += results_run_collapsed(res, method, r) >= 0;
		s->tasks_max = n + diverged > s->tasks_max ? n + diverged : s->tasks_max;
		s->runs_done += n == T;
		first[r] = run_mean(res, method, r, 0, w);
		last[r] = run_mean(res, method, r, T - w, T);
		loss[r] = first[r] - last[r];
		all[r] = n ? sum / n : NAN;
		gap[r] = run_gap(res, method, r, 0, T);
		gap_last[r] = run_gap(res, method, r, T - w, T);
	}
	mean_se(gap, R, &s->gap, &s->gap_se);
	mean_se(gap_last, R, &s->gap_last, &s->gap_last_se);
	mean_se(first, R, &s->first, &s->first_se);
	mean_se(last, R, &s->last, &s->last_se);
	mean_se(loss, R, &s->loss, &s->loss_se);
	mean_se(all, R, &s->mean, &s->mean_se);
	s->samples_per_s = nsps ? sps / nsps : NAN;
	free(first);
	free(last);
	free(loss);
	free(all);
	free(gap);
	free(gap_last);
}

/* A number for a CSV cell: empty when not a finite value. */
static void csv_num(FILE *fp, double v, const char *fmt)
{
	fputc(',', fp);
	if (isfinite(v))
		fprintf(fp, fmt, v);
}

/* The fields of the columns with any of flags set (all when flags is 0),
 * per-layer columns one field per layer, comma-separated. */
static void csv_header(FILE *fp, const struct preset *p, unsigned flags)
{
	char name[64];
	int n = 0;

	for (size_t k = 0; k < result_columns_len; k++) {
		if (flags != 0 && !(result_columns[k].flags & flags))
			continue;
		for (int i = 0; i < result_column_width(&result_columns[k], p); i++) {
			result_column_name(&result_columns[k], i, name, sizeof(name));
			fprintf(fp, "%s%s", n++ ? "," : "", name);
		}
	}
}

/* Fields in a results.csv row for preset p. */
static int csv_width(const struct preset *p)
{
	int n = 0;

	for (size_t k = 0; k < result_columns_len; k++)
		n += result_column_width(&result_columns[k], p);
	return n;
}

/* One row's fields of the columns with any of flags set (all when 0). */
static void csv_fields(FILE *fp, const struct results *res, int m, int run,
                       const struct task_result *c, unsigned flags)
{
	char buf[256];
	int n = 0;

	for (size_t k = 0; k < result_columns_len; k++) {
		if (flags != 0 && !(result_columns[k].flags & flags))
			continue;
		for (int i = 0; i < result_column_width(&result_columns[k], res->p);
		     i++) {
			result_column_format_at(&result_columns[k], res->p, m, run, c, i,
			                        buf, sizeof(buf));
			fprintf(fp, "%s%s", n++ ? "," : "", buf);
		}
	}
}

enum pl_status results_write_csv(const struct results *res, const char *path,
                                 char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	csv_header(af.fp, res->p, 0);
	fputc('\n', af.fp);
	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++)
			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				if (c == NULL)
					continue;
				csv_fields(af.fp, res, m, r, c, 0);
				fputc('\n', af.fp);
			}
	return atomic_commit(&af, cause);
}

enum pl_status results_write_matrix(const struct results *res, const char *path,
                                    char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	fputs("method_index,method,run,after_task,task,test_acc\n", af.fp);
	for (int m = 0; m < res->nmethods; m++) {
		char label[128];

		method_label(&res->p->methods[m], label, sizeof(label));
		for (int r = 0; r < res->runs; r++)
			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				for (int j = 0; c != NULL && j < c->nseen; j++)
					fprintf(af.fp, "%d,%s,%d,%d,%d,%.6f\n", m, label,
					        r + 1, t + 1, j + 1, c->acc_seen[j]);
			}
	}
	return atomic_commit(&af, cause);
}

/* ---- reading back ------------------------------------------------------ */

/* A CSV reader for our files: no quoting (no field holds a comma). */
struct csv {
	const char *path;
	FILE *fp;
	char *line;
	size_t cap;
	int lineno;
	char **f;
	int nf, maxf;
};

/* The next line split at commas; 0 at the end of the file. */
static int csv_next(struct csv *in)
{
	char *p;

	if (getline(&in->line, &in->cap, in->fp) < 0)
		return 0;
	in->lineno++;
	in->line[strcspn(in->line, "\r\n")] = '\0';
	in->nf = 0;
	for (p = in->line;;) {
		if (in->nf == in->maxf) {
			in->maxf = in->maxf ? 2 * in->maxf : 32;
			in->f = xrealloc(in->f, (size_t)in->maxf * sizeof(char *));
		}
		in->f[in->nf++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return 1;
}

static enum pl_status csv_open(struct csv *in, const char *path, char **cause)
{
	memset(in, 0, sizeof(*in));
	in->path = path;
	in->fp = fopen(path, "r");
	if (in->fp == NULL) {
		int err = errno;

		pl_fail(cause, PL_ERR_NOINPUT, "%s: cannot open: %s", path,
		        strerror(err));
		errno = err;
		return PL_ERR_NOINPUT;
	}
	return PL_OK;
}

static void csv_close(struct csv *in)
{
	if (in->fp != NULL)
		fclose(in->fp);
	free(in->line);
	free(in->f);
}

/* A header field: its column and, for per-layer columns, the layer. */
struct field {
	const struct result_column *col;
	int layer;
};

/* Map each header field to its column; every field of every column must be
 * there, once (per-layer columns: one per layer of the preset). */
static enum pl_status read_header(struct csv *in, const struct preset *p,
                                  struct field *map, char **cause)
{
	int width = csv_width(p);

	if (!csv_next(in))
		return pl_fail(cause, PL_ERR_DATA, "%s: empty file (no header)",
		               in->path);
	if (in->nf > width)
		return pl_fail(cause, PL_ERR_DATA, "%s:1: %d columns, expected %d",
		               in->path, in->nf, width);
	for (int i = 0; i < in->nf; i++) {
		map[i].col = result_column_lookup(in->f[i], p, &map[i].layer);
		if (map[i].col == NULL)
			return pl_fail(cause, PL_ERR_DATA, "%s:1: unknown column '%s'",
			               in->path, in->f[i]);
		for (int j = 0; j < i; j++)
			if (map[j].col == map[i].col && map[j].layer == map[i].layer)
				return pl_fail(cause, PL_ERR_DATA,
				               "%s:1: column '%s' twice", in->path,
				               in->f[i]);
	}
	for (size_t k = 0; k < result_columns_len; k++)
		for (int l = 0; l < result_column_width(&result_columns[k], p); l++) {
			int seen = 0;
			char name[64];

			for (int i = 0; i < in->nf; i++)
				seen |= map[i].col == &result_columns[k] &&
				        map[i].layer == l;
			result_column_name(&result_columns[k], l, name, sizeof(name));
			if (!seen && !(result_columns[k].flags & RCOL_LATER))
				return pl_fail(cause, PL_ERR_DATA,
				               "%s:1: column '%s' is missing", in->path,
				               name);
		}
	return PL_OK;
}

static enum pl_status bad_field(const struct csv *in, int i, const char *name,
                                const char *why, char **cause)
{
	return pl_fail(cause, PL_ERR_DATA, "%s:%d: field %d (%s): '%s' %s", in->path,
	               in->lineno, i + 1, name, in->f[i], why);
}

/* Parse the current row into c; key[0..2] get method, run and task (from 0). */
static enum pl_status read_fields(const struct csv *in, const struct field *map,
                                  struct task_result *c, int key[3], char **cause)
{
	const char *why;

	for (int i = 0; i < in->nf; i++) {
		const struct result_column *col = map[i].col;
		int *k = col->kind == RCOL_METHOD_INDEX ? &key[0]
		         : col->kind == RCOL_RUN        ? &key[1]
		                                        : &key[2];
		int bad = col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR
		                  ? result_column_parse_at(col, map[i].layer, in->f[i], c,
		                                           &why)
		                  : result_column_parse(col, in->f[i], c, k, &why);

		if (bad != 0)
			return bad_field(in, i, col->name, why, cause);
	}
	return PL_OK;
}

/* The key's range, then every field that is derived from the preset
 * (label, method keys, seed) must be what the writer would write. */
static enum pl_status check_row(const struct csv *in, const struct field *map,
                                const struct results *res, const struct task_result *c,
                                const int key[3], char **cause)
{
	const int max[3] = {res->nmethods, res->runs, res->tasks};
	const char *what[3] = {"method_index", "run", "task"};
	char want[256];

	for (int k = 0; k < 3; k++)
		if (key[k] < 0 || key[k] >= max[k])
			return pl_fail(
			        cause, PL_ERR_DATA,
			        "%s:%d: %s %d is out of range (preset.yaml has %d)",
			        in->path, in->lineno, what[k], key[k] + (k > 0), max[k]);
	for (int i = 0; i < in->nf; i++) {
		enum rcol_kind kind = map[i].col->kind;

		if (kind != RCOL_LABEL && kind != RCOL_METHOD_KEY && kind != RCOL_SEED)
			continue;
		result_column_format(map[i].col, res->p, key[0], key[1], c, want,
		                     sizeof(want));
		if (strcmp(want, in->f[i]) != 0)
			return pl_fail(
			        cause, PL_ERR_DATA,
			        "%s:%d: field %d (%s): '%s' does not match preset.yaml "
			        "(method %d, run %d: '%s')",
			        in->path, in->lineno, i + 1, map[i].col->name, in->f[i],
			        key[0], key[1] + 1, want);
	}
	if (results_get(res, key[0], key[1], key[2]) != NULL)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s:%d: a second row for method %d run %d task %d",
		               in->path, in->lineno, key[0], key[1] + 1, key[2] + 1);
	return PL_OK;
}

enum pl_status results_read_csv(struct results *res, const char *path, char **cause)
{
	struct csv in;
	enum pl_status st = csv_open(&in, path, cause);
	struct field *map = NULL;
	struct task_result *c = xcalloc(1, res->cell_size);
	int width = csv_width(res->p);

	if (st == PL_OK) {
		map = xcalloc((size_t)width + 1, sizeof(*map));
		st = read_header(&in, res->p, map, cause);
		width = in.nf; /* fewer when it predates a RCOL_LATER column */
	}
	while (st == PL_OK && csv_next(&in)) {
		int key[3] = {-1, -1, -1};

		if (in.nf != width) {
			st = pl_fail(cause, PL_ERR_DATA,
			             "%s:%d: %d fields, the header has %d", path,
			             in.lineno, in.nf, width);
			break;
		}
		memset(c, 0, res->cell_size);
		/* What the file does not have was not measured. */
		for (size_t k = 0; k < result_columns_len; k++)
			if ((result_columns[k].flags & RCOL_LATER) &&
			    result_columns[k].kind == RCOL_DOUBLE)
				*(double *)((char *)c + result_columns[k].offset) = NAN;
		st = read_fields(&in, map, c, key, cause);
		if (st == PL_OK)
			st = check_row(&in, map, res, c, key, cause);
		if (st == PL_OK) {
			c->task = key[2];
			results_put(res, key[0], key[1], c);
		}
	}
	csv_close(&in);
	free(map);
	free(c);
	return st;
}

/* A run with every task in res. */
static int run_complete(const struct results *res, int m, int r)
{
	for (int t = 0; t < res->tasks; t++)
		if (results_get(res, m, r, t) == NULL)
			return 0;
	return 1;
}

/* One row of accuracy_matrix.csv into its cell, which results.csv must hold. */
static enum pl_status read_matrix_row(struct results *res, const struct csv *in,
                                      char **cause)
{
	int v[5];
	char label[128], *end;
	double acc;
	struct task_result *c;

	for (int i = 0; i < 5; i++)
		if (i != 1 && parse_whole(in->f[i], &v[i]) != 0)
			return pl_fail(cause, PL_ERR_DATA,
			               "%s:%d: field %d: '%s' is not a whole number",
			               in->path, in->lineno, i + 1, in->f[i]);
	errno = 0;
	acc = strtod(in->f[5], &end);
	if (*in->f[5] == '\0' || *end != '\0' || errno != 0 ||
	    !(acc >= 0.0 && acc <= 1.0))
		return pl_fail(cause, PL_ERR_DATA,
		               "%s:%d: field 6 (test_acc): '%s' is not an accuracy",
		               in->path, in->lineno, in->f[5]);
	if (v[0] < 0 || v[0] >= res->nmethods || v[2] < 1 || v[2] > res->runs ||
	    v[3] < 1 || v[3] > res->tasks || v[4] < 1 || v[4] > v[3])
		return pl_fail(cause, PL_ERR_DATA,
		               "%s:%d: method, run or task out of range", in->path,
		               in->lineno);
	method_label(&res->p->methods[v[0]], label, sizeof(label));
	if (strcmp(label, in->f[1]) != 0)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s:%d: field 2 (method): '%s' is not method %d ('%s')",
		               in->path, in->lineno, in->f[1], v[0], label);
	c = results_cell(res, v[0], v[2] - 1, v[3] - 1);
	if (c == NULL)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s:%d: method %d run %d task %d is not in results.csv",
		               in->path, in->lineno, v[0], v[2], v[3]);
	/* Rows of a cell come in task order, each once, as the writer writes them. */
	if (c->nseen != v[4] - 1)
		return pl_fail(cause, PL_ERR_DATA, "%s:%d: row out of order or repeated",
		               in->path, in->lineno);
	c->acc_seen[c->nseen++] = (float)acc;
	return PL_OK;
}

static int matrix_header(struct csv *in)
{
	static const char *const names[6] = {"method_index", "method", "run",
	                                     "after_task",   "task",   "test_acc"};

	if (!csv_next(in) || in->nf != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (strcmp(in->f[i], names[i]) != 0)
			return 0;
	return 1;
}

enum pl_status results_read_matrix(struct results *res, const char *path, char **cause)
{
	static const char header[] = "method_index,method,run,after_task,task,test_acc";
	struct csv in;
	enum pl_status st = csv_open(&in, path, cause);

	/* Not written yet (no run had finished): no rows, checked below; the
	 * "cannot open" note is not an error, so it does not stay in *cause. */
	if (st == PL_ERR_NOINPUT && errno == ENOENT) {
		st = PL_OK;
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
	} else if (st == PL_OK && !matrix_header(&in))
		st = pl_fail(cause, PL_ERR_DATA, "%s:1: expected the header %s", path,
		             header);
	while (st == PL_OK && in.fp != NULL && csv_next(&in))
		st = in.nf == 6 ? read_matrix_row(res, &in, cause)
		                : pl_fail(cause, PL_ERR_DATA, "%s:%d: expected 6 fields",
		                          path, in.lineno);
	/* A finished run's checkpoint is gone: its rows must all be here. */
	for (int m = 0; st == PL_OK && m < res->nmethods; m++)
		for (int r = 0; st == PL_OK && r < res->runs; r++)
			for (int t = 0;
			     st == PL_OK && run_complete(res, m, r) && t < res->tasks;
			     t++)
				if (results_get(res, m, r, t)->nseen != t + 1)
					st = pl_fail(cause, PL_ERR_DATA,
					             "%s: rows missing for method %d run "
					             "%d after task %d",
					             path, m, r + 1, t + 1);
	csv_close(&in);
	return st;
}

/* ",dead_l1_first,dead_l1_last,...": the diagnostics' first/last-10% means. */
static void diag_header(FILE *fp, const struct preset *p)
{
	char name[64];

	for (size_t k = 0; k < result_columns_len; k++)
		for (int i = 0; (result_columns[k].flags & RCOL_DIAG) &&
		                i < result_column_width(&result_columns[k], p);
		     i++) {
			result_column_name(&result_columns[k], i, name, sizeof(name));
			fprintf(fp, ",%s_first,%s_last", name, name);
		}
}

/* Mean of field i of column col over tasks [from, to) of every run, over
 * the values measured (NAN if none). */
static double diag_mean(const struct results *res, int m, const struct result_column *col,
                        int i, int from, int to)
{
	double sum = 0.0;
	int n = 0;

	for (int r = 0; r < res->runs; r++)
		for (int t = from; t < to; t++) {
			const struct task_result *c = results_get(res, m, r, t);
			double v =
			        c ? ((const double *)((const char *)c + col->offset))[i]
			          : NAN;

			if (isfinite(v)) {
				sum += v;
				n++;
			}
		}
	return n ? sum / n : NAN;
}

static void diag_fields(FILE *fp, const struct results *res, int m)
{
	int T = res->tasks, w = results_window(res->p);

	for (size_t k = 0; k < result_columns_len; k++)
		for (int i = 0; (result_columns[k].flags & RCOL_DIAG) &&
		                i < result_column_width(&result_columns[k], res->p);
		     i++) {
			csv_num(fp, diag_mean(res, m, &result_columns[k], i, 0, w),
			        "%.6g");
			csv_num(fp, diag_mean(res, m, &result_columns[k], i, T - w, T),
			        "%.6g");
		}
}

enum pl_status results_write_summary(const struct results *res, const char *path,
                                     char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	csv_header(af.fp, res->p, RCOL_METHOD);
	fputs(",runs_done,tasks_done,first_mean,first_se,last_mean,last_se,plasticity_"
	      "loss,"
	      "plasticity_loss_se,mean_acc,mean_acc_se,samples_per_s,diverged,collapsed,"
	      "gap_mean,gap_mean_se,gap_last,gap_last_se",
	      af.fp);
	diag_header(af.fp, res->p);
	fputc('\n', af.fp);
	for (int m = 0; m < res->nmethods; m++) {
		struct method_summary s;

		results_summarize(res, m, &s);
		csv_fields(af.fp, res, m, 0, NULL, RCOL_METHOD);
		fprintf(af.fp, ",%d,%d", s.runs_done, s.tasks_done);
		csv_num(af.fp, s.first, "%.6f");
		csv_num(af.fp, s.first_se, "%.6f");
		csv_num(af.fp, s.last, "%.6f");
		csv_num(af.fp, s.last_se, "%.6f");
		csv_num(af.fp, s.loss, "%.6f");
		csv_num(af.fp, s.loss_se, "%.6f");
		csv_num(af.fp, s.mean, "%.6f");
		csv_num(af.fp, s.mean_se, "%.6f");
		csv_num(af.fp, s.samples_per_s, "%.0f");
		fprintf(af.fp, ",%d,%d", s.diverged, s.collapsed);
		csv_num(af.fp, s.gap, "%.6f");
		csv_num(af.fp, s.gap_se, "%.6f");
		csv_num(af.fp, s.gap_last, "%.6f");
		csv_num(af.fp, s.gap_last_se, "%.6f");
		diag_fields(af.fp, res, m);
		fputc('\n', af.fp);
	}
	return atomic_commit(&af, cause);
}

enum pl_status results_write_gap(const struct results *res, const char *path,
                                 char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	double *g = xcalloc((size_t)res->runs, sizeof(double));

	fputs("method_index,method,task,gap,gap_se,runs\n", af.fp);
	for (int m = 0; m < res->nmethods; m++)
		for (int t = 0; t < res->tasks; t++) {
			double mean, se;
			char label[160];
			int n = 0;

			for (int r = 0; r < res->runs; r++) {
				g[r] = results_gap(res, m, r, t);
				n += isfinite(g[r]) != 0;
			}
			if (n == 0)
				continue;
			mean_se(g, res->runs, &mean, &se);
			method_label(&res->p->methods[m], label, sizeof(label));
			/* Labels hold no comma, as in results.csv. */
			fprintf(af.fp, "%d,%s,%d", m, label, t + 1);
			csv_num(af.fp, mean, "%.6f");
			csv_num(af.fp, se, "%.6f");
			fprintf(af.fp, ",%d\n", n);
		}
	free(g);
	return atomic_commit(&af, cause);
}

/* "0.912±0.003", or "-" for a missing value. */
static void fmt_stat(char *buf, size_t len, double mean, double se)
{
	if (!isfinite(mean))
		snprintf(buf, len, "-");
	else if (!isfinite(se))
		snprintf(buf, len, "%.4f", mean);
	else
		snprintf(buf, len, "%.4f±%.4f", mean, se);
}

void results_print_summary(const struct results *res, FILE *fp)
{
	int w = results_window(res->p), width = 6;
	char label[128];

	for (int m = 0; m < res->nmethods; m++) {
		method_label(&res->p->methods[m], label, sizeof(label));
		width = (int)strlen(label) > width ? (int)strlen(label) : width;
	}
	int scratch = results_scratch(res) >= 0;

	fprintf(fp, "%-*s %5s  %-16s %-16s %-16s %-16s %10s%s\n", width, "method", "runs",
	        "first", "last", "p.loss", "mean", "samples/s", scratch ? "  gap" : "");
	for (int m = 0; m < res->nmethods; m++) {
		struct method_summary s;
		char c[4][64];

		results_summarize(res, m, &s);
		method_label(&res->p->methods[m], label, sizeof(label));
		fmt_stat(c[0], sizeof(c[0]), s.first, s.first_se);
		fmt_stat(c[1], sizeof(c[1]), s.last, s.last_se);
		fmt_stat(c[2], sizeof(c[2]), s.loss, s.loss_se);
		fmt_stat(c[3], sizeof(c[3]), s.mean, s.mean_se);
		/* "±" is two bytes but one column: pad by display width. */
		fprintf(fp, "%-*s %5d  %-*s %-*s %-*s %-*s %10.0f", width, label,
		        s.runs_done, 16 + (strstr(c[0], "±") ? 1 : 0), c[0],
		        16 + (strstr(c[1], "±") ? 1 : 0), c[1],
		        16 + (strstr(c[2], "±") ? 1 : 0), c[2],
		        16 + (strstr(c[3], "±") ? 1 : 0), c[3], s.samples_per_s);
		if (scratch) {
			char g[64];

			fmt_stat(g, sizeof(g), s.gap_last, s.gap_last_se);
			fprintf(fp, "  %-*s", 16 + (strstr(g, "±") ? 1 : 0), g);
		}
		if (s.diverged)
			fprintf(fp, "  %d diverged", s.diverged);
		if (s.collapsed)
			fprintf(fp, "  %d collapsed", s.collapsed);
		fputc('\n', fp);
	}
	fprintf(fp,
	        "first/last: mean test accuracy over the first/last %d of %d tasks "
	        "(± standard error over runs); p.loss = first - last, the plasticity "
	        "loss\n",
	        w, res->tasks);
	if (scratch)
		fprintf(fp,
		        "gap: from-scratch accuracy minus the method's, same run and "
		        "task, "
		        "over the last %d tasks (the plasticity gap; per task in "
		        "gap.csv)\n",
		        w);
}

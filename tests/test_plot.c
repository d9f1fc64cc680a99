/*
 * test_plot.c - the figures, checked where a reader would look: results
 * with known values are drawn, the PNG is read back and sampled at the
 * data points (positions computed here from the plot area and the data
 * range, not with the library's mapping), the SVG and PDF files are checked
 * for their structure, and backward transfer and forgetting are compared
 * with a matrix worked out by hand.
 */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/columns.h"
#include "plasticity/plot.h"
#include "plasticity/preset_io.h"
#include "plasticity/util.h"
#include "tap.h"

#define T    10
#define RUNS 3

static char tmpdir[] = "/tmp/plasticity-plot.XXXXXX";

/* Method 0: 0.9 on every task; method 1: 0.4 + 0.04 t; the same in every
 * run. R[i][j] = 0.5 + 0.04 j - 0.02 (i - j) for both methods. */
static double acc(int m, int t)
{
	return m == 0 ? 0.9 : 0.4 + 0.04 * t;
}

static double matrix_value(int i, int j)
{
	return 0.5 + 0.04 * j - 0.02 * (i - j);
}

static void make_results(struct preset *p, struct results *res, int with_matrix)
{
	struct task_result *c;

	preset_defaults(p);
	snprintf(p->name, sizeof(p->name), "plot-test");
	p->tasks = T;
	p->runs = RUNS;
	p->accuracy_matrix = with_matrix;
	p->nmethods = 2;
	method_defaults(&p->methods[0], OPTIM_SGD);
	method_defaults(&p->methods[1], OPTIM_SAM);
	results_init(res, p);
	c = xcalloc(1, res->cell_size);
	for (int m = 0; m < 2; m++)
		for (int r = 0; r < RUNS; r++)
			for (int t = 0; t < T; t++) {
				memset(c, 0, res->cell_size);
				/* Every diagnostic unmeasured but online accuracy. */
				for (size_t k = 0; k < result_columns_len; k++) {
					const struct result_column *col =
					        &result_columns[k];

					for (int i = 0; (col->flags & RCOL_DIAG) &&
					                i < result_column_width(col, p);
					     i++)
						((double *)((char *)c + col->offset))[i] =
						        NAN;
				}
				c->online_acc = 0.5;
				c->task = t;
				c->digit_a = c->digit_b = -1;
				c->test_acc = acc(m, t);
				c->nseen = with_matrix ? t + 1 : 0;
				for (int j = 0; j < c->nseen; j++)
					c->acc_seen[j] = (float)matrix_value(t, j);
				results_put(res, m, r, c);
			}
	free(c);
}

static int near_rgb(const unsigned char *px, const double rgb[3], int tol)
{
	/* CAIRO_FORMAT_RGB24: one uint32 per pixel, 0x00RRGGBB. */
	uint32_t v = *(const uint32_t *)px;
	int r = v >> 16 & 0xff, g = v >> 8 & 0xff, b = v & 0xff;

	return abs(r - (int)lround(rgb[0] * 255)) <= tol &&
	       abs(g - (int)lround(rgb[1] * 255)) <= tol &&
	       abs(b - (int)lround(rgb[2] * 255)) <= tol;
}

static const unsigned char *pixel(cairo_surface_t *img, double x_pt, double y_pt)
{
	int x = (int)floor(x_pt * PLOT_PNG_SCALE), y = (int)floor(y_pt * PLOT_PNG_SCALE);

	return cairo_image_surface_get_data(img) +
	       (size_t)y * cairo_image_surface_get_stride(img) + (size_t)x * 4;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static void test_accuracy_png(const struct results *res)
{
	char *path = getenv("PLOT_TEST_KEEP") ? xstrdup("/tmp/acc-test.png")
	                                      : xasprintf("%s/acc.png", tmpdir);
	struct plot_axes a;
	cairo_surface_t *img;
	double rgb0[3], rgb1[3];
	int hits0 = 0, hits1 = 0, blank = 0;

	ok(plot_accuracy(res, PLOT_PNG, path, &a, NULL) == PL_OK,
	   "accuracy figure as PNG");
	img = cairo_image_surface_create_from_png(path);
	ok(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS &&
	           cairo_image_surface_get_width(img) == (int)ceil(520 * PLOT_PNG_SCALE),
	   "... cairo reads it back, %d pixels wide", cairo_image_surface_get_width(img));
	ok(a.xmin == 1 && a.xmax == T && a.ymin <= 0.4 && a.ymax >= 0.9 && a.ymax <= 1.0,
	   "... x spans tasks 1..%d, y [%.2f, %.2f] holds 0.4..0.9 within [0, 1]", T,
	   a.ymin, a.ymax);
	plot_method_rgb(0, rgb0);
	plot_method_rgb(1, rgb1);
	cairo_surface_flush(img);
	for (int t = 0; t < T; t++) {
		/* The ends are sampled 1 pt inside: a curve stops at its last point. */
		double x = a.x + a.w * (t + 1 - a.xmin) / (a.xmax - a.xmin) +
		           (t == 0       ? 1.0
		            : t == T - 1 ? -1.0
		                         : 0.0);
		double y0 = a.y + a.h * (a.ymax - acc(0, t)) / (a.ymax - a.ymin);
		double y1 = a.y + a.h * (a.ymax - acc(1, t)) / (a.ymax - a.ymin);
		/* Halfway between the curves nothing is drawn but grid lines. */
		double ymid = (y0 + y1) / 2;

		hits0 += near_rgb(pixel(img, x, y0), rgb0, 40);
		hits1 += near_rgb(pixel(img, x, y1), rgb1, 40);
		if (!near_rgb(pixel(img, x, y0), rgb0, 40) ||
		    !near_rgb(pixel(img, x, y1), rgb1, 40))
			diag("task %d: %06x at 0.9, %06x at the other", t + 1,
			     *(const uint32_t *)pixel(img, x, y0),
			     *(const uint32_t *)pixel(img, x, y1));
		blank += !near_rgb(pixel(img, x, ymid), rgb0, 60) &&
		         !near_rgb(pixel(img, x, ymid), rgb1, 60);
	}
	ok(hits0 == T, "method 0's colour at (task, 0.9) for %d of %d tasks", hits0, T);
	ok(hits1 == T, "method 1's colour at (task, 0.4 + 0.04 t) for %d of %d tasks",
	   hits1, T);
	ok(blank == T, "neither colour halfway between the curves (%d of %d)", blank, T);
	cairo_surface_destroy(img);
	free(path);
}

static void test_matrix_png(const struct results *res)
{
	char *path = xasprintf("%s/matrix.png", tmpdir);
	struct plot_axes a;
	double range[2], white[3] = {1, 1, 1};
	cairo_surface_t *img;
	int good = 0, cells = 0;

	ok(plot_matrix(res, 1, PLOT_PNG, path, &a, range, NULL) == PL_OK,
	   "accuracy-matrix figure as PNG");
	img = cairo_image_surface_create_from_png(path);
	cairo_surface_flush(img);
	ok(range[0] <= matrix_value(T - 1, 0) && range[1] >= matrix_value(T - 1, T - 1),
	   "... its colour scale [%.2f, %.2f] holds every cell", range[0], range[1]);
	for (int i = 0; i < T; i++)
		for (int j = 0; j <= i; j++) {
			/* Cell (i, j): column j, row i counted from the top. */
			double x = a.x + a.w * (j + 0.5) / T,
			       y = a.y + a.h * (i + 0.5) / T, rgb[3];

			plot_colormap((matrix_value(i, j) - range[0]) /
			                      (range[1] - range[0]),
			              rgb);
			good += near_rgb(pixel(img, x, y), rgb, 3);
			cells++;
		}
	ok(good == cells, "every cell's centre has its value's colour (%d of %d)", good,
	   cells);
	ok(near_rgb(pixel(img, a.x + a.w * (T - 0.5) / T, a.y + a.h * 0.5 / T), white, 0),
	   "... and the upper triangle (task 10 before it was trained) stays white");
	cairo_surface_destroy(img);
	free(path);
}

/* Whether buf[0..len) (binary) holds s. */
static int has_bytes(const char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, s, n) == 0)
			return 1;
	return 0;
}

static void test_vector(const struct results *res)
{
	char *svg = xasprintf("%s/acc.svg", tmpdir),
	     *pdf = xasprintf("%s/acc.pdf", tmpdir);
	char *text;
	size_t len;

	ok(plot_accuracy(res, PLOT_SVG, svg, NULL, NULL) == PL_OK &&
	           plot_accuracy(res, PLOT_PDF, pdf, NULL, NULL) == PL_OK,
	   "the same figure as SVG and PDF");
	text = slurp(svg, &len);
	ok(text != NULL && strncmp(text, "<?xml", 5) == 0 &&
	           strstr(text, "<svg") != NULL && strstr(text, "width=\"520") != NULL &&
	           strstr(text, "</svg>") != NULL,
	   "SVG: an XML document, one <svg> 520 pt wide, closed");
	ok(text != NULL && strstr(text, "<path") != NULL,
	   "... with vector paths (%zu bytes)", len);
	free(text);
	text = slurp(pdf, &len);
	ok(text != NULL && strncmp(text, "%PDF-", 5) == 0 && len > 6 &&
	           has_bytes(text, len, "%%EOF"),
	   "PDF: header and %%%%EOF trailer (%zu bytes)", len);
	free(text);
	free(svg);
	free(pdf);
}

static void count_file(void *ctx, const char *path)
{
	(void)path;
	(*(int *)ctx)++;
}

static void test_all(const struct results *res, const struct results *empty)
{
	char *prefix = xasprintf("%s/figs/", tmpdir), *f, *cause = NULL;
	int n = 0, seen = 0;
	struct plot_opts o = {PLOT_PNG, prefix, 0, count_file, &seen};

	enum pl_status st = plot_all(res, &o, &n, NULL);

	ok(st == PL_OK && n == 5 && seen == 5,
	   "plot_all: accuracy, comparison, 2 matrices, online_acc (%d files)", n);
	f = xasprintf("%saccuracy.png", prefix);
	ok(access(f, R_OK) == 0, "... into the folder the prefix names");
	free(f);
	f = xasprintf("%sdiag-dead.png", prefix);
	ok(access(f, F_OK) != 0, "... and no figure for a diagnostic never measured");
	free(f);
	o.prefix = "/proc/plasticity-no/fig";
	st = plot_all(res, &o, NULL, &cause);
	ok(st == PL_ERR_CANTCREAT && cause != NULL &&
	           strstr(cause, "/proc/plasticity-no") != NULL,
	   "an uncreatable prefix: cannot create, naming it (%s)", cause ? cause : "");
	free(cause);
	cause = NULL;
	o.prefix = prefix;
	st = plot_all(empty, &o, NULL, &cause);
	ok(st == PL_ERR_DATA && cause != NULL,
	   "results with no finished task: nothing to plot (%s)", cause ? cause : "");
	free(cause);
	free(prefix);
}

/* Hand-worked: R = [0.9; 0.95 0.8; 0.6 0.5 0.85]. BWT = ((0.6 - 0.9) + (0.5 -
 * 0.8)) / 2 = -0.3; forgetting = ((0.95 - 0.6) + (0.8 - 0.5)) / 2 = 0.325. */
static void test_transfer(void)
{
	static const float R[3][3] = {{0.9f}, {0.95f, 0.8f}, {0.6f, 0.5f, 0.85f}};
	struct preset p;
	struct results res;
	struct task_result *c;
	double bwt, forget;

	preset_defaults(&p);
	p.tasks = 3;
	p.runs = 1;
	p.nmethods = 1;
	p.accuracy_matrix = 1;
	results_init(&res, &p);
	c = xcalloc(1, res.cell_size);
	for (int i = 0; i < 3; i++) {
		c->task = i;
		c->nseen = i + 1;
		memcpy(c->acc_seen, R[i], sizeof(float) * (size_t)(i + 1));
		results_put(&res, 0, 0, c);
	}
	results_transfer(&res, 0, 3, &bwt, &forget);
	ok(fabs(bwt + 0.3) < 1e-6 && fabs(forget - 0.325) < 1e-6,
	   "BWT %.4f (by hand -0.3), forgetting %.4f (by hand 0.325)", bwt, forget);
	ok(results_matrix_rows(&res, 0) == 3, "the matrix has 3 rows");
	free(c);
	results_free(&res);
	preset_free(&p);
}

/* Collapse: within 0.02 of chance (0.1, domain) for 5 tasks in a row. */
static void test_collapse(void)
{
	static const double runs[3][8] = {
	        {0.9, 0.5, 0.11, 0.12, 0.10, 0.09, 0.115, 0.5}, /* tasks 3-7: collapsed */
	        {0.9, 0.11, 0.11, 0.11, 0.11, 0.13, 0.11,
	         0.11},                                   /* 4, then 0.13 breaks it */
	        {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2}, /* plain plasticity loss */
	};
	struct preset p;
	struct results res;
	struct task_result *c;
	struct method_summary s;

	preset_defaults(&p);
	p.tasks = 8;
	p.runs = 3;
	p.nmethods = 1;
	results_init(&res, &p);
	c = xcalloc(1, res.cell_size);
	for (int r = 0; r < 3; r++)
		for (int t = 0; t < 8; t++) {
			c->task = t;
			c->test_acc = runs[r][t];
			results_put(&res, 0, r, c);
		}
	ok(results_run_collapsed(&res, 0, 0) == 2 &&
	           results_run_collapsed(&res, 0, 1) == -1 &&
	           results_run_collapsed(&res, 0, 2) == -1,
	   "collapse: run 1 from task 3 (5 tasks <= 0.12), not run 2 (0.13 breaks its "
	   "streak) nor run 3");
	results_summarize(&res, 0, &s);
	ok(s.collapsed == 1, "... and the summary counts 1 collapsed run");
	p.setting = SETTING_CLASS;
	ok(results_run_collapsed(&res, 0, 0) == 1 &&
	           results_run_collapsed(&res, 0, 1) == 1 &&
	           results_run_collapsed(&res, 0, 2) == -1,
	   "class setting (chance 0.5): runs 1 and 2 from task 2; run 3 has only 4 tasks "
	   "<= 0.52");
	free(c);
	results_free(&res);
	preset_free(&p);
}

static void test_colormap(void)
{
	double lo[3], hi[3], v[3] = {0x44 / 255.0, 0x01 / 255.0, 0x54 / 255.0};
	double w[3] = {0xfd / 255.0, 0xe7 / 255.0, 0x25 / 255.0};

	plot_colormap(0.0, lo);
	plot_colormap(1.0, hi);
	ok(fabs(lo[0] - v[0]) < 0.01 && fabs(lo[1] - v[1]) < 0.01 &&
	           fabs(lo[2] - v[2]) < 0.01 && fabs(hi[0] - w[0]) < 0.01 &&
	           fabs(hi[1] - w[1]) < 0.01 && fabs(hi[2] - w[2]) < 0.01,
	   "viridis ends at #440154 and #FDE725, as matplotlib's");
}

/*
 * A series measured every third task (lambda_max every hessian_every
 * tasks): its curve bridges the unmeasured tasks instead of drawing
 * nothing, so method 0's colour is at 0.9 between its points too.
 */
static void test_gaps(void)
{
	char *path = xasprintf("%s/gaps.png", tmpdir);
	struct preset p;
	struct results res;
	struct plot_axes a;
	struct task_result *c;
	cairo_surface_t *img;
	double rgb0[3];
	int hits = 0, between = 0;

	make_results(&p, &res, 0);
	c = xcalloc(1, res.cell_size);
	for (int r = 0; r < RUNS; r++)
		for (int t = 0; t < T; t++)
			if (t % 3 != 0) {
				memcpy(c, results_get(&res, 0, r, t), res.cell_size);
				c->test_acc = NAN;
				results_put(&res, 0, r, c);
			}
	ok(plot_accuracy(&res, PLOT_PNG, path, &a, NULL) == PL_OK,
	   "accuracy figure of a series with gaps");
	img = cairo_image_surface_create_from_png(path);
	cairo_surface_flush(img);
	plot_method_rgb(0, rgb0);
	for (int t = 1; t < T - 1; t++) {
		double x = a.x + a.w * (t + 1 - a.xmin) / (a.xmax - a.xmin);
		double y = a.y + a.h * (a.ymax - 0.9) / (a.ymax - a.ymin);

		if (t % 3 != 0) {
			between++;
			hits += near_rgb(pixel(img, x, y), rgb0, 40);
		}
	}
	ok(hits == between, "... its curve crosses the %d unmeasured tasks (%d drawn)",
	   between, hits);
	cairo_surface_destroy(img);
	free(c);
	free(path);
	results_free(&res);
	preset_free(&p);
}

int main(void)
{
	struct preset p, pe;
	struct results res, empty;
	enum plot_format f;

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	make_results(&p, &res, 1);
	preset_defaults(&pe);
	results_init(&empty, &pe);
	ok(plot_format_parse("svg", &f) == 0 && f == PLOT_SVG &&
	           plot_format_parse("bmp", &f) == -1,
	   "formats: svg parses, bmp does not");
	test_accuracy_png(&res);
	test_gaps();
	test_matrix_png(&res);
	test_vector(&res);
	test_all(&res, &empty);
	test_transfer();
	test_collapse();
	test_colormap();
	results_free(&res);
	results_free(&empty);
	preset_free(&p);
	preset_free(&pe);
	plot_cleanup();
	{
		char *rm = xasprintf("rm -rf '%s'", tmpdir);

		if (system(rm) != 0)
			diag("could not remove %s", tmpdir);
		free(rm);
	}
	return tap_done();
}

/*
 * figures.c - the figures of a run (plot.h): accuracy per task, the
 * paired comparison, the accuracy matrices and the diagnostics.
 *
 * A curve is the mean over the runs that finished the task (diverged
 * tasks left out) and its band the 95% Student-t interval over them
 * (stats.h), so the figure shows what summary.csv and comparisons.csv
 * count. Each figure is laid out in two passes: measured on a scratch
 * canvas, then drawn at its final size.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/columns.h"
#include "plasticity/compare.h"
#include "plasticity/preset_io.h"
#include "plasticity/stats.h"
#include "plot/canvas.h"

#define FIG_W     520.0
#define MARGIN_L  64.0
#define MARGIN_R  18.0
#define PLOT_TOP  50.0
#define PLOT_H    230.0
#define BAND_A    0.18
#define LINE_W    1.6
#define MARKER_R  3.2
#define MARKERS   8 /* markers along a curve, at most */
#define PANEL_GAP 26.0

/* Per method and task: mean, and the 95% band over runs (NAN: none);
 * vmin and vmax the smallest and largest value of any run. */
struct chart {
	int nm, T;
	double *mean, *lo, *hi; /* [m * T + t] */
	double vmin, vmax;
};

/* What a chart plots: run r's value of method m on task t into *v; 0 when
 * the run has no such value (the task not finished, or diverged). */
typedef int (*chart_value_fn)(const struct results *res, const struct result_column *col,
                              int field, int m, int r, int t, double *v);

/* Field field of column col. */
static int column_value(const struct results *res, const struct result_column *col,
                        int field, int m, int r, int t, double *v)
{
	const struct task_result *c = results_get(res, m, r, t);

	if (c == NULL || c->diverged)
		return 0;
	*v = result_column_value(col, c, field);
	return 1;
}

/* The plasticity gap (results_gap); col is the figure's description only. */
static int gap_value(const struct results *res, const struct result_column *col,
                     int field, int m, int r, int t, double *v)
{
	(void)col;
	(void)field;
	*v = results_gap(res, m, r, t);
	return isfinite(*v);
}

static void chart_fill(struct chart *ch, const struct results *res, chart_value_fn value,
                       const struct result_column *col, int field)
{
	size_t n = (size_t)res->nmethods * (size_t)res->tasks;
	double *v = xmalloc((size_t)res->runs * sizeof(double));

	ch->nm = res->nmethods;
	ch->T = res->tasks;
	ch->mean = xmalloc(n * sizeof(double));
	ch->lo = xmalloc(n * sizeof(double));
	ch->hi = xmalloc(n * sizeof(double));
	ch->vmin = INFINITY;
	ch->vmax = -INFINITY;
	for (int m = 0; m < res->nmethods; m++)
		for (int t = 0; t < res->tasks; t++) {
			size_t i = (size_t)m * res->tasks + t;
			struct stats_mean s;
			int k = 0;

			for (int r = 0; r < res->runs; r++) {
				if (value(res, col, field, m, r, t, &v[k]))
					k++;
				if (k > 0 && isfinite(v[k - 1])) {
					ch->vmin = fmin(ch->vmin, v[k - 1]);
					ch->vmax = fmax(ch->vmax, v[k - 1]);
				}
			}
			stats_mean_ci(v, k, &s);
			ch->mean[i] = s.mean;
			ch->lo[i] = s.lo;
			ch->hi[i] = s.hi;
		}
	free(v);
}

static void chart_free(struct chart *ch)
{
	free(ch->mean);
	free(ch->lo);
	free(ch->hi);
}

/*
 * Widen [*lo, *hi] to hold every run's value; returns whether any. The
 * bands are not counted: with few runs a t interval reaches far past what
 * any run measured (and past 0 or 1), and is clipped to the plot instead.
 */
static int chart_range(const struct chart *ch, double *lo, double *hi)
{
	if (!(ch->vmin <= ch->vmax))
		return 0;
	*lo = fmin(*lo, ch->vmin);
	*hi = fmax(*hi, ch->vmax);
	return 1;
}

/* The y-axis for values in [lo, hi]: 4% to spare on each side, so no
 * curve runs along a spine, then out to the nearest ticks. */
static void y_range(double lo, double hi, struct plot_axes *a, double *step)
{
	double pad = 0.04 * (hi - lo);

	axes_nice(lo - pad, hi + pad, 5, &a->ymin, &a->ymax, step);
}

/*
 * The 95% band of method m through its finite points. A gap between finite
 * points (a metric measured every hessian_every tasks) is bridged: it is a
 * schedule, not a break; a run that diverged has no finite points after it.
 */
static void band(struct canvas *cv, const struct chart *ch, const struct plot_axes *a,
                 int m)
{
	const double *lo = ch->lo + (size_t)m * ch->T, *hi = ch->hi + (size_t)m * ch->T;
	double rgb[3];
	int n = 0, first = -1, last = -1;

	for (int t = 0; t < ch->T; t++)
		if (isfinite(lo[t]) && isfinite(hi[t])) {
			first = first < 0 ? t : first;
			last = t;
			n++;
		}
	if (n < 2)
		return;
	plot_method_rgb(m, rgb);
	cairo_move_to(cv->cr, plot_axes_x(a, first + 1), plot_axes_y(a, hi[first]));
	for (int k = first + 1; k <= last; k++)
		if (isfinite(lo[k]) && isfinite(hi[k]))
			cairo_line_to(cv->cr, plot_axes_x(a, k + 1),
			              plot_axes_y(a, hi[k]));
	for (int k = last; k >= first; k--)
		if (isfinite(lo[k]) && isfinite(hi[k]))
			cairo_line_to(cv->cr, plot_axes_x(a, k + 1),
			              plot_axes_y(a, lo[k]));
	cairo_close_path(cv->cr);
	canvas_rgb(cv, rgb, BAND_A);
	cairo_fill(cv->cr);
}

/* Method m's mean through its finite points (gaps bridged, as band), with
 * at most MARKERS markers. */
static void curve(struct canvas *cv, const struct chart *ch, const struct plot_axes *a,
                  int m)
{
	const double *v = ch->mean + (size_t)m * ch->T;
	int step, drawn = 0, n = 0;
	double rgb[3];

	plot_method_rgb(m, rgb);
	canvas_rgb(cv, rgb, 1.0);
	cairo_set_line_width(cv->cr, LINE_W);
	for (int t = 0; t < ch->T; t++) {
		if (!isfinite(v[t]))
			continue;
		if (drawn)
			cairo_line_to(cv->cr, plot_axes_x(a, t + 1),
			              plot_axes_y(a, v[t]));
		else
			cairo_move_to(cv->cr, plot_axes_x(a, t + 1),
			              plot_axes_y(a, v[t]));
		drawn = 1;
		n++;
	}
	cairo_stroke(cv->cr);
	/* Markers at every step-th finite point, each method shifted so they
	 * do not stack. */
	step = n > MARKERS ? (n + MARKERS - 1) / MARKERS : 1;
	for (int t = 0, j = (m * step) / (ch->nm > 0 ? ch->nm : 1) % step; t < ch->T;
	     t++) {
		if (!isfinite(v[t]))
			continue;
		if (j % step == 0)
			canvas_marker(cv, m, plot_axes_x(a, t + 1), plot_axes_y(a, v[t]),
			              MARKER_R);
		j++;
	}
}

static void chart_draw(struct canvas *cv, const struct chart *ch,
                       const struct plot_axes *a)
{
	cairo_save(cv->cr);
	cairo_rectangle(cv->cr, a->x, a->y, a->w, a->h);
	cairo_clip(cv->cr);
	for (int m = 0; m < ch->nm; m++)
		band(cv, ch, a, m);
	cairo_restore(cv->cr);
	cairo_save(cv->cr);
	cairo_rectangle(cv->cr, a->x - 6, a->y - 6, a->w + 12, a->h + 12);
	cairo_clip(cv->cr);
	for (int m = 0; m < ch->nm; m++)
		curve(cv, ch, a, m);
	cairo_restore(cv->cr);
}

/* A scratch canvas to measure text on before the figure's size is known. */
static cairo_surface_t *scratch_open(struct canvas *cv)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);

	memset(cv, 0, sizeof(*cv));
	cv->surface = s;
	cv->cr = cairo_create(s);
	return s;
}

static void scratch_close(struct canvas *cv)
{
	cairo_destroy(cv->cr);
	cairo_surface_destroy(cv->surface);
}

static const char *setting_title(const struct preset *p)
{
	return p->setting == SETTING_DOMAIN ? "domain-incremental (permuted pixels)"
	                                    : "class-incremental (digit pairs)";
}

static void x_range(struct plot_axes *a, int T)
{
	a->xmin = T > 1 ? 1.0 : 0.5;
	a->xmax = T > 1 ? T : 1.5;
}

static void titles(struct canvas *cv, const char *title, const char *subtitle)
{
	canvas_gray(cv, 0.0);
	canvas_text(cv, MARGIN_L - 44, 12, FONT_TITLE, 1, 0.0, 0.0, title);
	canvas_gray(cv, 0.3);
	canvas_text(cv, MARGIN_L - 44, 30, FONT_NOTE, 0, 0.0, 0.0, subtitle);
}

enum pl_status plot_accuracy(const struct results *res, enum plot_format f,
                             const char *path, struct plot_axes *axes, char **cause)
{
	const struct result_column *col = result_column_find("test_acc");
	double lo = INFINITY, hi = -INFINITY, step, xmin, xmax, xstep, chance, legend_h,
	       tw;
	struct plot_axes a = {
	        MARGIN_L, PLOT_TOP, FIG_W - MARGIN_L - MARGIN_R, PLOT_H, 0, 0, 0, 0};
	char title[256], sub[256];
	struct canvas cv;
	struct chart ch;
	enum pl_status st;

	chart_fill(&ch, res, column_value, col, 0);
	if (!chart_range(&ch, &lo, &hi)) {
		chart_free(&ch);
		return pl_fail(cause, PL_ERR_DATA,
		               "nothing to plot: no task has finished");
	}
	y_range(lo, hi, &a, &step);
	a.ymin = fmax(a.ymin, 0.0);
	a.ymax = fmin(a.ymax, 1.0);
	x_range(&a, res->tasks);
	axes_nice(1, res->tasks, 6, &xmin, &xmax, &xstep);
	scratch_open(&cv);
	legend_h = legend_draw(&cv, res->p, a.x, 0, a.w, 0);
	scratch_close(&cv);
	snprintf(title, sizeof(title),
	         "%s: test accuracy right after training on each task", res->p->name);
	snprintf(sub, sizeof(sub),
	         "%s, %s, %d tasks; mean and 95%% CI over up to %d runs",
	         setting_title(res->p), res->p->dataset, res->tasks, res->runs);
	st = canvas_open(&cv, f, FIG_W, a.y + a.h + 44 + legend_h + 8, path, title,
	                 cause);
	if (st != PL_OK) {
		chart_free(&ch);
		return st;
	}
	titles(&cv, title, sub);
	axes_draw(&cv, &a, xstep, step, 1, 1, "task", "test accuracy");
	chance = results_chance(res->p);
	if (chance > a.ymin && chance < a.ymax) {
		const double dash[] = {3.0, 3.0};

		canvas_gray(&cv, 0.45);
		cairo_set_line_width(cv.cr, 0.8);
		cairo_set_dash(cv.cr, dash, 2, 0);
		cairo_move_to(cv.cr, a.x, plot_axes_y(&a, chance));
		cairo_line_to(cv.cr, a.x + a.w, plot_axes_y(&a, chance));
		cairo_stroke(cv.cr);
		cairo_set_dash(cv.cr, NULL, 0, 0);
	}
	chart_draw(&cv, &ch, &a);
	if (chance > a.ymin && chance < a.ymax) {
		/* Its label over the curves, on a white patch, at the left. */
		tw = canvas_text_width(&cv, FONT_NOTE, 0, "chance");
		cairo_set_source_rgb(cv.cr, 1, 1, 1);
		cairo_rectangle(cv.cr, a.x + 2, plot_axes_y(&a, chance) - 2.5 - FONT_NOTE,
		                tw + 4, FONT_NOTE + 1);
		cairo_fill(cv.cr);
		canvas_gray(&cv, 0.45);
		canvas_text(&cv, a.x + 4, plot_axes_y(&a, chance) - 3, FONT_NOTE, 0, 0.0,
		            1.0, "chance");
	}
	legend_draw(&cv, res->p, a.x, a.y + a.h + 44, a.w, 1);
	chart_free(&ch);
	if (axes != NULL)
		*axes = a;
	return canvas_close(&cv, cause);
}

/* The diagnostic column col (its value as value gives it): one panel per
 * field (layer), sharing the y-axis. */
static enum pl_status plot_diag(const struct results *res, chart_value_fn value,
                                const struct result_column *col, enum plot_format f,
                                const char *path, int *drawn, char **cause)
{
	int width = result_column_width(col, res->p), cols = width < 4 ? width : 4;
	int rows = (width + cols - 1) / cols;
	double lo = INFINITY, hi = -INFINITY, ystep, xmin, xmax, xstep, legend_h, help_h;
	double fw = cols == 1 ? FIG_W : MARGIN_L + MARGIN_R + cols * 170.0;
	double pw = (fw - MARGIN_L - MARGIN_R - (cols - 1) * PANEL_GAP) / cols, ph;
	struct chart *ch = xcalloc((size_t)width, sizeof(*ch));
	enum pl_status st = PL_OK;
	struct plot_axes a;
	char title[128];
	struct canvas cv;
	int any = 0;

	for (int i = 0; i < width; i++) {
		chart_fill(&ch[i], res, value, col, i);
		any |= chart_range(&ch[i], &lo, &hi);
	}
	*drawn = any;
	if (!any)
		goto out;
	y_range(lo, hi, &a, &ystep);
	axes_nice(1, res->tasks, cols == 1 ? 6 : 3, &xmin, &xmax, &xstep);
	ph = rows == 1 ? PLOT_H : 150.0;
	scratch_open(&cv);
	legend_h = legend_draw(&cv, res->p, MARGIN_L, 0, fw - MARGIN_L - MARGIN_R, 0);
	help_h = canvas_text_wrap(&cv, 0, 0, FONT_NOTE, fw - 40, col->help, 0) *
	         FONT_NOTE * 1.3;
	scratch_close(&cv);
	snprintf(title, sizeof(title), "%s: %s per task, mean and 95%% CI over runs",
	         res->p->name, col->name);
	st = canvas_open(&cv, f, fw, PLOT_TOP + help_h + rows * (ph + 44) + legend_h + 8,
	                 path, title, cause);
	if (st != PL_OK)
		goto out;
	canvas_gray(&cv, 0.0);
	canvas_text(&cv, 20, 12, FONT_TITLE, 1, 0.0, 0.0, title);
	canvas_gray(&cv, 0.3);
	canvas_text_wrap(&cv, 20, 30, FONT_NOTE, fw - 40, col->help, 1);
	for (int i = 0; i < width; i++) {
		char panel[32];

		a.x = MARGIN_L + (i % cols) * (pw + PANEL_GAP);
		a.y = PLOT_TOP + help_h + (i / cols) * (ph + 44);
		a.w = pw;
		a.h = ph;
		x_range(&a, res->tasks);
		axes_draw(&cv, &a, xstep, ystep, 1, i % cols == 0, "task",
		          i % cols == 0 ? col->name : NULL);
		chart_draw(&cv, &ch[i], &a);
		if (width > 1) {
			if (col->kind == RCOL_LINEAR && i == width - 1)
				snprintf(panel, sizeof(panel), "output layer");
			else
				snprintf(panel, sizeof(panel), "layer %d", i + 1);
			canvas_gray(&cv, 0.0);
			canvas_text(&cv, a.x + a.w / 2, a.y - 4, FONT_LABEL, 1, 0.5, 1.0,
			            panel);
		}
	}
	legend_draw(&cv, res->p, MARGIN_L, a.y + a.h + 44, fw - MARGIN_L - MARGIN_R, 1);
	st = canvas_close(&cv, cause);
out:
	for (int i = 0; i < width; i++)
		chart_free(&ch[i]);
	free(ch);
	return st;
}

/* The colour scale shared by every method's matrix, so shades compare. */
static void matrix_range(const struct results *res, double range[2])
{
	double lo = INFINITY, hi = -INFINITY, step;

	for (int m = 0; m < res->nmethods; m++)
		for (int i = 0; i < res->tasks; i++)
			for (int j = 0; j <= i; j++) {
				double v = results_matrix_cell(res, m, i, j);

				if (isfinite(v)) {
					lo = fmin(lo, v);
					hi = fmax(hi, v);
				}
			}
	axes_nice(lo, hi, 5, &range[0], &range[1], &step);
	range[0] = fmax(range[0], 0.0);
	range[1] = fmin(range[1], 1.0);
	if (range[1] <= range[0]) {
		range[0] = 0.0;
		range[1] = 1.0;
	}
}

/* Cells as one image, one pixel a cell, scaled without smoothing. */
static void matrix_cells(struct canvas *cv, const struct results *res, int m, int T,
                         const struct plot_axes *a, const double range[2])
{
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, T, T);
	unsigned char *px;
	int stride;

	/* Past cairo's 32767-pixel images the cells are left out, the axes stay. */
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return;
	}
	cairo_surface_flush(img);
	px = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (int i = 0; i < T; i++)
		for (int j = 0; j < T; j++) {
			double v = j <= i ? results_matrix_cell(res, m, i, j) : NAN,
			       rgb[3];
			uint32_t *p = (uint32_t *)(px + (size_t)i * stride) + j;

			if (!isfinite(v)) {
				*p = 0; /* transparent: the white page shows */
				continue;
			}
			plot_colormap((v - range[0]) / (range[1] - range[0]), rgb);
			*p = 0xff000000u | (uint32_t)lround(rgb[0] * 255) << 16 |
			     (uint32_t)lround(rgb[1] * 255) << 8 |
			     (uint32_t)lround(rgb[2] * 255);
		}
	cairo_surface_mark_dirty(img);
	cairo_save(cv->cr);
	cairo_translate(cv->cr, a->x, a->y);
	cairo_scale(cv->cr, a->w / T, a->h / T);
	cairo_set_source_surface(cv->cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cv->cr), CAIRO_FILTER_NEAREST);
	cairo_rectangle(cv->cr, 0, 0, T, T);
	cairo_fill(cv->cr);
	cairo_restore(cv->cr);
	cairo_surface_destroy(img);
}

static void colorbar(struct canvas *cv, const struct plot_axes *a, const double range[2])
{
	struct plot_axes bar = {a->x + a->w + 24, a->y,    12, a->h, 0, 1,
	                        range[0],         range[1]};
	double lo, hi, step;
	char buf[32];
	int n = 64;

	for (int k = 0; k < n; k++) {
		double rgb[3];

		plot_colormap((k + 0.5) / n, rgb);
		canvas_rgb(cv, rgb, 1.0);
		cairo_rectangle(cv->cr, bar.x, bar.y + bar.h * (n - k - 1) / n, bar.w,
		                bar.h / n + 0.3);
		cairo_fill(cv->cr);
	}
	axes_nice(range[0], range[1], 5, &lo, &hi, &step);
	canvas_gray(cv, 0.0);
	cairo_set_line_width(cv->cr, 0.8);
	for (double v = lo; v <= range[1] + 1e-9; v += step) {
		double y = plot_axes_y(&bar, v);

		if (v < range[0] - 1e-9)
			continue;
		cairo_move_to(cv->cr, bar.x + bar.w, y);
		cairo_line_to(cv->cr, bar.x + bar.w + 3, y);
		cairo_stroke(cv->cr);
		snprintf(buf, sizeof(buf), "%.2f", v);
		canvas_text(cv, bar.x + bar.w + 5, y, FONT_TICK, 0, 0.0, 0.5, buf);
	}
	canvas_text_up(cv, bar.x + bar.w + 40, bar.y + bar.h / 2, FONT_LABEL,
	               "test accuracy");
}

enum pl_status plot_matrix(const struct results *res, int m, enum plot_format f,
                           const char *path, struct plot_axes *axes, double range[2],
                           char **cause)
{
	int T = results_matrix_rows(res, m), runs = 0;
	struct plot_axes a = {MARGIN_L, PLOT_TOP + 10, 320, 320, 0, 0, 0, 0};
	double bwt, forget, xmin, xmax, step, r[2];
	char title[256], sub[256], label[160];
	struct canvas cv;
	enum pl_status st;

	if (T == 0)
		return pl_fail(cause, PL_ERR_DATA,
		               "method %d: no accuracy matrix recorded", m);
	for (int k = 0; k < res->runs; k++)
		runs += results_get(res, m, k, T - 1) != NULL;
	matrix_range(res, r);
	results_transfer(res, m, T, &bwt, &forget);
	a.xmin = 0.5;
	a.xmax = T + 0.5;
	a.ymin = T + 0.5; /* task 1 at the top, as the matrix is written */
	a.ymax = 0.5;
	method_label(&res->p->methods[m], label, sizeof(label));
	snprintf(title, sizeof(title), "%s: accuracy matrix of %s", res->p->name, label);
	snprintf(sub, sizeof(sub),
	         "mean over %d runs of %d tasks; BWT %+.4f, forgetting %+.4f (over the "
	         "%d tasks)",
	         runs, res->tasks, bwt, forget, T);
	st = canvas_open(&cv, f, FIG_W, a.y + a.h + 40, path, title, cause);
	if (st != PL_OK)
		return st;
	titles(&cv, title, sub);
	matrix_cells(&cv, res, m, T, &a, r);
	axes_nice(1, T, 6, &xmin, &xmax, &step);
	axes_draw(&cv, &a, step, 0, 1, 0, "evaluated on task j", NULL);
	/* The y ticks: rows are tasks too, counted downwards. */
	{
		struct plot_axes up = a;

		up.ymin = 0.5;
		up.ymax = T + 0.5;
		canvas_gray(&cv, 0.0);
		int every = step > 1 ? (int)lround(step) : 1;

		canvas_gray(&cv, 0.0);
		cairo_set_line_width(cv.cr, 0.8);
		/* Task 1, then every multiple of the step not crowding it. */
		for (int k = 0; k == 0 || k * every <= T; k++) {
			int v = k == 0 ? 1 : k * every;
			double y = plot_axes_y(&up, T + 1 - v);
			char buf[16];

			if (k > 0 && v - 1 < every / 2.0)
				continue;
			cairo_move_to(cv.cr, a.x - 3, y);
			cairo_line_to(cv.cr, a.x, y);
			cairo_stroke(cv.cr);
			snprintf(buf, sizeof(buf), "%d", v);
			canvas_text(&cv, a.x - 5, y, FONT_TICK, 0, 1.0, 0.5, buf);
		}
		canvas_text_up(&cv, a.x - 40, a.y + a.h / 2, FONT_LABEL,
		               "after training task i");
	}
	colorbar(&cv, &a, r);
	if (axes != NULL)
		*axes = a;
	if (range != NULL)
		memcpy(range, r, sizeof(r));
	return canvas_close(&cv, cause);
}

/* "method  vs  baseline" for a comparison's row. */
static void pair_label(const struct results *res, const struct comparison *c, char *buf,
                       size_t len)
{
	char a[160], b[160];

	method_label(&res->p->methods[c->method], a, sizeof(a));
	method_label(&res->p->methods[c->baseline], b, sizeof(b));
	snprintf(buf, len, "%s  vs  %s", a, b);
}

/* The paired differences in plasticity loss, as a forest plot. */
static enum pl_status plot_comparison(const struct results *res,
                                      const struct comparison *c, int nc,
                                      enum plot_format f, const char *path, char **cause)
{
	double lo = 0.0, hi = 0.0, step, label_w = 0.0, row = 22.0;
	char label[400], title[256];
	struct plot_axes a;
	struct canvas cv;
	enum pl_status st;

	scratch_open(&cv);
	for (int k = 0; k < nc; k++) {
		pair_label(res, &c[k], label, sizeof(label));
		label_w = fmax(label_w, canvas_text_width(&cv, FONT_NOTE, 0, label));
		lo = fmin(lo, isfinite(c[k].lo) ? c[k].lo : c[k].mean);
		hi = fmax(hi, isfinite(c[k].hi) ? c[k].hi : c[k].mean);
	}
	scratch_close(&cv);
	a.x = 20 + label_w + 12;
	a.y = PLOT_TOP + 14;
	a.w = fmax(220.0, FIG_W - a.x - 110);
	a.h = row * nc;
	axes_nice(lo, hi, 5, &a.xmin, &a.xmax, &step);
	a.ymin = nc + 0.5; /* comparison 0 at the top */
	a.ymax = 0.5;
	snprintf(title, sizeof(title), "%s: paired difference in plasticity loss",
	         res->p->name);
	st = canvas_open(&cv, f, a.x + a.w + 110, a.y + a.h + 56, path, title, cause);
	if (st != PL_OK)
		return st;
	canvas_gray(&cv, 0.0);
	canvas_text(&cv, 20, 12, FONT_TITLE, 1, 0.0, 0.0, title);
	canvas_gray(&cv, 0.3);
	canvas_text(&cv, 20, 30, FONT_NOTE, 0, 0.0, 0.0,
	            "method minus baseline over matched runs, 95% CI (Student t); p: "
	            "sign-flip "
	            "permutation test,");
	snprintf(label, sizeof(label),
	         "Holm-corrected (* p < 0.05). Plasticity loss = mean accuracy of the "
	         "first %d "
	         "of %d tasks minus the last %d.",
	         results_window(res->p), res->tasks, results_window(res->p));
	canvas_text(&cv, 20, 41, FONT_NOTE, 0, 0.0, 0.0, label);
	axes_draw(&cv, &a, step, 0, 0, 0,
	          "difference in plasticity loss (below 0: less loss than the baseline)",
	          NULL);
	{
		const double dash[] = {3.0, 3.0};

		canvas_gray(&cv, 0.45);
		cairo_set_line_width(cv.cr, 0.8);
		cairo_set_dash(cv.cr, dash, 2, 0);
		cairo_move_to(cv.cr, plot_axes_x(&a, 0.0), a.y);
		cairo_line_to(cv.cr, plot_axes_x(&a, 0.0), a.y + a.h);
		cairo_stroke(cv.cr);
		cairo_set_dash(cv.cr, NULL, 0, 0);
	}
	for (int k = 0; k < nc; k++) {
		double y = plot_axes_y(&a, k + 1), rgb[3];
		char p[48];

		pair_label(res, &c[k], label, sizeof(label));
		canvas_gray(&cv, 0.0);
		canvas_text(&cv, a.x - 12, y, FONT_NOTE, 0, 1.0, 0.5, label);
		plot_method_rgb(c[k].method, rgb);
		canvas_rgb(&cv, rgb, 1.0);
		cairo_set_line_width(cv.cr, 1.6);
		if (isfinite(c[k].lo) && isfinite(c[k].hi)) {
			cairo_move_to(cv.cr, plot_axes_x(&a, c[k].lo), y);
			cairo_line_to(cv.cr, plot_axes_x(&a, c[k].hi), y);
			for (int e = 0; e < 2; e++) {
				double x = plot_axes_x(&a, e ? c[k].hi : c[k].lo);

				cairo_move_to(cv.cr, x, y - 4);
				cairo_line_to(cv.cr, x, y + 4);
			}
			cairo_stroke(cv.cr);
		}
		canvas_marker(&cv, c[k].method, plot_axes_x(&a, c[k].mean), y, 4.0);
		snprintf(p, sizeof(p),
		         isfinite(c[k].p_holm) ? "p_holm %.3f%s" : "p_holm -",
		         c[k].p_holm, c[k].p_holm < 0.05 ? " *" : "");
		canvas_gray(&cv, 0.0);
		canvas_text(&cv, a.x + a.w + 10, y, FONT_NOTE, c[k].p_holm < 0.05, 0.0,
		            0.5, p);
	}
	return canvas_close(&cv, cause);
}

int plot_format_parse(const char *s, enum plot_format *f)
{
	static const char *const names[] = {"png", "svg", "pdf"};

	for (int k = 0; k < 3; k++)
		if (strcmp(s, names[k]) == 0) {
			*f = (enum plot_format)k;
			return 0;
		}
	return -1;
}

const char *plot_format_ext(enum plot_format f)
{
	return f == PLOT_SVG ? "svg" : f == PLOT_PDF ? "pdf" : "png";
}

/* PREFIX NAME.EXT or PREFIX-NAME.EXT (plot.h). */
static char *figure_path(const struct plot_opts *o, const char *name)
{
	size_t n = strlen(o->prefix);
	int folder = n == 0 || o->prefix[n - 1] == '/';

	return xasprintf("%s%s%s.%s", o->prefix, folder ? "" : "-", name,
	                 plot_format_ext(o->format));
}

static enum pl_status prefix_dir(const char *prefix, char **cause)
{
	char *dir = xstrdup(prefix), *slash = strrchr(dir, '/');
	enum pl_status st = PL_OK;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		st = mkdir_p(dir, cause);
	}
	free(dir);
	return st;
}

static void wrote(const struct plot_opts *o, const char *path, int *count)
{
	(*count)++;
	if (o->wrote != NULL)
		o->wrote(o->ctx, path);
}

/* The paired differences in plasticity loss (metric 0) of the grid. */
static int loss_differences(const struct results *res, struct comparison **out)
{
	struct comparison *all;
	int n = compare_results(res, &all), k = 0;

	for (int i = 0; i < n; i++)
		if (all[i].baseline >= 0 && all[i].metric == 0 && isfinite(all[i].mean))
			all[k++] = all[i];
	*out = all;
	return k;
}

enum pl_status plot_all(const struct results *res, const struct plot_opts *o, int *count,
                        char **cause)
{
	enum pl_status st = prefix_dir(o->prefix, cause);
	struct comparison *cmp = NULL;
	int n = 0, ncmp, drawn;
	char *path = NULL, name[96];

	if (st != PL_OK)
		goto out;
	path = figure_path(o, "accuracy");
	if ((st = plot_accuracy(res, o->format, path, NULL, cause)) != PL_OK)
		goto out;
	wrote(o, path, &n);
	ncmp = o->no_pairs ? 0 : loss_differences(res, &cmp);
	if (ncmp > 0) {
		free(path);
		path = figure_path(o, "comparison");
		if ((st = plot_comparison(res, cmp, ncmp, o->format, path, cause)) !=
		    PL_OK)
			goto out;
		wrote(o, path, &n);
	}
	for (int m = 0; res->p->accuracy_matrix && m < res->nmethods; m++) {
		if (results_matrix_rows(res, m) == 0)
			continue;
		snprintf(name, sizeof(name), "matrix-%d", m + 1);
		free(path);
		path = figure_path(o, name);
		if ((st = plot_matrix(res, m, o->format, path, NULL, NULL, cause)) !=
		    PL_OK)
			goto out;
		wrote(o, path, &n);
	}
	for (size_t k = 0; k < result_columns_len; k++) {
		if (!(result_columns[k].flags & RCOL_DIAG))
			continue;
		snprintf(name, sizeof(name), "diag-%s", result_columns[k].name);
		free(path);
		path = figure_path(o, name);
		st = plot_diag(res, column_value, &result_columns[k], o->format, path,
		               &drawn, cause);
		if (st != PL_OK)
			goto out;
		if (drawn)
			wrote(o, path, &n);
	}
	if (results_scratch(res) >= 0) {
		/* Described as a column is, for the figure's title and note. */
		static const struct result_column gap = {
		        "plasticity gap",
		        RCOL_DOUBLE,
		        0,
		        "%.4f",
		        0,
		        "From-scratch accuracy minus the method's, on the same run and "
		        "task: how far the network carried from task to task falls short "
		        "of a fresh one (0 for the from-scratch method itself; "
		        "gap.csv)."};

		free(path);
		path = figure_path(o, "gap");
		st = plot_diag(res, gap_value, &gap, o->format, path, &drawn, cause);
		if (st != PL_OK)
			goto out;
		if (drawn)
			wrote(o, path, &n);
	}
out:
	free(path);
	free(cmp);
	if (count != NULL)
		*count = n;
	return st;
}

/*
 * view_diag.c - the diagnostics view: for each metric the probe measures
 * (the diagnostic columns of columns.c), one sparkline per method in its
 * colour and glyph, over tasks, mean over finished runs; all methods of a
 * metric share one y-axis, whose range is printed once on the metric's
 * line. Per-layer metrics show the mean over layers, or one layer (l).
 * Up/Down scroll when the metrics do not fit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/columns.h"
#include "plasticity/util.h"
#include "ui/ui_priv.h"

/* Per-layer columns: the value for the layer shown (0: mean over layers). */
static double cell_value(const struct result_column *col, const struct preset *p,
                         const struct task_result *c, int layer)
{
	int width = result_column_width(col, p);
	double sum = 0.0;
	int n = 0;

	if (col->kind != RCOL_HIDDEN && col->kind != RCOL_LINEAR)
		return result_column_value(col, c, 0);
	if (layer > 0)
		return layer <= width ? result_column_value(col, c, layer - 1) : NAN;
	for (int i = 0; i < width; i++) {
		double v = result_column_value(col, c, i);

		if (isfinite(v)) {
			sum += v;
			n++;
		}
	}
	return n ? sum / n : NAN;
}

/* Mean over the runs that measured it, per task, into out (tasks). */
static void metric_curve(const struct results *res, int m,
                         const struct result_column *col, int layer, double *out)
{
	for (int t = 0; t < res->tasks; t++) {
		double sum = 0.0;
		int n = 0;

		for (int r = 0; r < res->runs; r++) {
			const struct task_result *c = results_get(res, m, r, t);
			double v = c ? cell_value(col, res->p, c, layer) : NAN;

			if (isfinite(v)) {
				sum += v;
				n++;
			}
		}
		out[t] = n ? sum / n : NAN;
	}
}

double ui_metric_latest(const struct results *res, int m, const struct result_column *col)
{
	double *v = xcalloc((size_t)res->tasks, sizeof(double)), last = NAN;

	metric_curve(res, m, col, 0, v);
	for (int t = 0; t < res->tasks; t++)
		last = isfinite(v[t]) ? v[t] : last;
	free(v);
	return last;
}

const struct result_column *ui_metric(int k)
{
	for (size_t i = 0; i < result_columns_len; i++)
		if ((result_columns[i].flags & RCOL_DIAG) && k-- == 0)
			return &result_columns[i];
	return NULL;
}

static int diag_count(void)
{
	int n = 0;

	for (size_t k = 0; k < result_columns_len; k++)
		n += (result_columns[k].flags & RCOL_DIAG) != 0;
	return n;
}

/* One metric: its name and shared range, then a line per method. */
static int draw_metric(struct ui *u, const struct results *res,
                       const struct result_column *col, int y, int ymax, double *buf)
{
	double lo = INFINITY, hi = -INFINITY;
	char line[256], spark[1024];
	int lw = 24, sw = COLS - lw - 14;

	for (int m = 0; m < res->nmethods; m++) {
		metric_curve(res, m, col, u->diag_layer, buf + (size_t)m * res->tasks);
		for (int t = 0; t < res->tasks; t++)
			if (isfinite(buf[(size_t)m * res->tasks + t])) {
				lo = fmin(lo, buf[(size_t)m * res->tasks + t]);
				hi = fmax(hi, buf[(size_t)m * res->tasks + t]);
			}
	}
	if (!isfinite(lo))
		snprintf(line, sizeof(line), "%s: not measured", col->name);
	else
		snprintf(line, sizeof(line), "%s%s   axis %.4g .. %.4g", col->name,
		         col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR
		                 ? (u->diag_layer ? "" : " (mean of layers)")
		                 : "",
		         lo, hi);
	if (isfinite(lo) && u->diag_layer &&
	    (col->kind == RCOL_HIDDEN || col->kind == RCOL_LINEAR))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "   layer %d",
		         u->diag_layer);
	put(y++, 1, COLS - 2, role_attr(u, ROLE_TITLE), line);
	for (int m = 0; isfinite(lo) && m < res->nmethods && y < ymax; m++) {
		const double *v = buf + (size_t)m * res->tasks;
		attr_t a = role_attr(u, (enum theme_role)(ROLE_METHOD1 + m % 6));
		char label[128];
		int last = -1;

		for (int t = 0; t < res->tasks; t++)
			if (isfinite(v[t]))
				last = t;
		method_label(&res->p->methods[m], label, sizeof(label));
		/* Too long: what sets it apart, so no value is cut in half. */
		if ((int)strlen(label) > lw - 2)
			method_label_short(res->p, m, label, sizeof(label));
		snprintf(line, sizeof(line), "%s %-*.*s", glyph(u, m), lw - 2, lw - 2,
		         label);
		put(y, 1, lw, a, line);
		spark_render(v, res->tasks, lo, hi > lo ? hi : lo + 1e-12, u->spark, sw,
		             spark, sizeof(spark));
		put(y, lw + 2, sw, a, spark);
		snprintf(line, sizeof(line), "%.4g", last >= 0 ? v[last] : NAN);
		put(y, COLS - 11, 10, role_attr(u, ROLE_TEXT), last >= 0 ? line : "-");
		y++;
	}
	return y;
}

void view_diag_draw(struct ui *u)
{
	const struct results *res = ui_results(u);
	int y = 2, ymax = LINES - 5, skip = u->diag_scroll;
	char title[256];

	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvaddstr(LINES / 2, 0, "terminal too small (need 80x24)");
		return;
	}
	snprintf(
	        title, sizeof(title),
	        " diagnostics on the probe set, mean over finished runs   v:view l:layer "
	        "?:formulas");
	bar(u, 0, ROLE_TITLE, title);
	if (res == NULL) {
		put(2, 1, COLS - 2, role_attr(u, ROLE_DIM),
		    "No results yet: r starts training (diagnostics: see the preset's "
		    "diagnostics key).");
	} else {
		double *buf = xcalloc((size_t)res->nmethods * res->tasks, sizeof(double));

		for (size_t k = 0; k < result_columns_len && y < ymax; k++) {
			if (!(result_columns[k].flags & RCOL_DIAG) || skip-- > 0)
				continue;
			y = draw_metric(u, res, &result_columns[k], y, ymax, buf);
		}
		free(buf);
	}
	ui_draw_footer(u, LINES - 4);
}

int view_diag_key(struct ui *u, int ch)
{
	const struct results *res = ui_results(u);
	int layers = res ? res->p->nhidden + 1 : 1;

	if (ch == 'l')
		u->diag_layer = (u->diag_layer + 1) % (layers + 1);
	else if (ch == KEY_DOWN && u->diag_scroll + 1 < diag_count())
		u->diag_scroll++;
	else if (ch == KEY_UP && u->diag_scroll > 0)
		u->diag_scroll--;
	return 0;
}

/*
 * view_main.c - the main view: title; settings form | live sparklines; the
 * comparison table; the message, progress and run-directory lines; the
 * status bar. Layout from 80x24 up. Also the form's keys.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "plasticity/columns.h"
#include "plasticity/compare.h"
#include "plasticity/util.h"
#include "ui/ui_priv.h"

static const char *const state_names[] = {"idle", "running", "paused",
                                          "done", "stopped", "viewing"};

static int form_focus(const struct ui *u)
{
	return u->mode == MODE_FORM || u->mode == MODE_EDIT;
}

/* The paired comparisons of the results shown, recomputed only when a task
 * was added (an exact permutation test per method is not for every frame). */
static void refresh_compare(struct ui *u)
{
	const struct results *res = ui_results(u);
	long done = res != NULL ? results_done_count(res) : 0;

	if (res == u->cmp_res && done == u->cmp_done)
		return;
	free(u->cmp);
	u->cmp = NULL;
	u->ncmp = 0;
	/* Runs of directories that do not pair are not compared as pairs. */
	if (res != NULL && res->nmethods > 1 && !(u->viewing && u->unpaired != NULL))
		u->ncmp = compare_results(res, &u->cmp);
	u->cmp_res = res;
	u->cmp_done = done;
}

/* The table's "loss vs base" cell of method m: the paired difference of
 * plasticity loss to the preset's baseline, from the cached comparisons. */
static void fill_diff(const struct ui *u, const struct results *res, int m,
                      struct table_row *row)
{
	int b = res->p->baseline;

	if (u->cmp == NULL || res != u->cmp_res)
		return;
	row->diff_kind = m == b ? 1 : 0;
	for (int i = 0; m != b && i < u->ncmp; i++) {
		const struct comparison *c = &u->cmp[i];
		int sign = c->method == m && c->baseline == b   ? 1
		           : c->method == b && c->baseline == m ? -1
		                                                : 0;

		if (sign == 0 || c->metric != 0)
			continue;
		row->diff_kind = 2;
		row->diff = sign * c->mean;
		row->diff_half = c->hi - c->mean;
		row->diff_sig = c->p_holm < 0.05;
	}
}

void fill_row(const struct ui *u, const struct results *res, int m, struct table_row *row)
{
	struct method_summary s;
	int last = -1;

	memset(row, 0, sizeof(*row));
	method_label(&res->p->methods[m], row->label, sizeof(row->label));
	method_label_short(res->p, m, row->brief, sizeof(row->brief));
	snprintf(row->glyph, sizeof(row->glyph), "%s", glyph(u, m));
	results_summarize(res, m, &s);
	for (int k = 0; k < 2; k++) {
		char *l = k ? row->brief : row->label, mark[32] = "";
		size_t len = strlen(l),
		       size = k ? sizeof(row->brief) : sizeof(row->label);

		if (s.diverged)
			snprintf(mark, sizeof(mark), " [%d diverged]", s.diverged);
		if (s.collapsed)
			snprintf(mark + strlen(mark), sizeof(mark) - strlen(mark),
			         " [%d collapsed]", s.collapsed);
		snprintf(l + len, size - len, "%s", mark);
	}
	row->runs = s.runs_done;
	row->tasks = s.tasks_max;
	for (int t = 0; t < res->tasks; t++)
		if (!isnan(results_task_mean(res, m, t, NULL)))
			last = t;
	row->latest = last >= 0 ? results_task_mean(res, m, last, NULL) : NAN;
	row->first = s.first;
	row->last = s.last;
	row->loss = s.loss;
	row->mean = s.mean;
	row->sps = s.samples_per_s;
	fill_diff(u, res, m, row);
	if (results_scratch(res) >= 0) {
		row->gap_kind = results_scratch(res) == m ? 1 : 2;
		row->gap = s.gap_last;
	}
	if (u->table_metric > 0 && ui_metric(u->table_metric - 1) != NULL) {
		snprintf(row->metric_name, sizeof(row->metric_name), "%s",
		         ui_metric(u->table_metric - 1)->name);
		row->metric = ui_metric_latest(res, m, ui_metric(u->table_metric - 1));
	}
}

static void draw_title(struct ui *u)
{
	char buf[512];
	const struct preset *p = ui_run_preset(u) ? ui_run_preset(u) : &u->p;

	int w = results_window(p);

	snprintf(buf, sizeof(buf),
	         " plasticity %s  %s · %s · %s · %d tasks · %d runs · window %d%s",
	         PACKAGE_VERSION, p->name, setting_name(p->setting), p->dataset, p->tasks,
	         p->runs, w, u->st == ST_VIEW ? "  (read-only view)" : "");
	if (!u->utf8)
		for (char *c = strstr(buf, "·"); c; c = strstr(buf, "·"))
			memmove(c, c + 1, strlen(c)), *c = '|';
	bar(u, 0, ROLE_TITLE, buf);
}

static void draw_form(struct ui *u, int y0, int h)
{
	char val[160], line[256];

	attrset(role_attr(u, ROLE_BORDER));
	mvvline(y0, FORM_WIDTH, u->utf8 ? ACS_VLINE : '|', h);
	put(y0, 1, FORM_WIDTH - 1, role_attr(u, form_focus(u) ? ROLE_TITLE : ROLE_DIM),
	    form_focus(u) ? "Settings (Esc: done)" : "Settings (e: edit)");
	h -= 1;
	y0 += 1;
	if (u->cursor < u->scroll)
		u->scroll = u->cursor;
	if (u->cursor >= u->scroll + h - 1)
		u->scroll = u->cursor - h + 2;
	for (int i = u->scroll, y = y0; i < u->nfields && y < y0 + h; i++, y++) {
		const struct form_field *f = &u->fields[i];
		int sel = form_focus(u) && i == u->cursor;
		enum theme_role r =
		        f->method >= 0 ? (enum theme_role)(ROLE_METHOD1 + f->method % 6)
		                       : ROLE_TEXT;

		if (sel && u->mode == MODE_EDIT)
			snprintf(val, sizeof(val), "%s_", u->edit);
		else
			form_value(&u->p, f, val, sizeof(val));
		/* printf pads by bytes: widen by the label's extra UTF-8 bytes. */
		snprintf(line, sizeof(line), "%-*s %-17.17s", 14 + utf8_extra(f->label),
		         f->label, val);
		if (f->method >= 0 && strncmp(f->label, "method", 6) == 0)
			snprintf(line, sizeof(line), "%s %-12s %-17.17s",
			         glyph(u, f->method), f->label, val);
		put(y, 1, FORM_WIDTH - 2,
		    sel ? role_attr(u, ROLE_SELECT) : role_attr(u, r), line);
		if (sel && u->field_err != NULL)
			put(++y, 1, FORM_WIDTH - 2, role_attr(u, ROLE_ERROR),
			    u->field_err);
	}
}

/* y-range of a curve (finite values), for its label and scaling. */
static void curve_range(const double *v, int n, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			*lo = fmin(*lo, v[i]);
			*hi = fmax(*hi, v[i]);
		}
}

/* lo, hi: the y-axis (shared by every row, or this row's own range). */
static void draw_curve(struct ui *u, int y, int x, int w, int lw,
                       const struct table_row *row, const double *acc, int n, int method,
                       double lo, double hi)
{
	char spark[1024], line[256], label[112];
	double own_lo, own_hi;
	int sw = w - lw - 3 - 16, last = -1;
	attr_t a =
	        role_attr(u, row->earlier ? ROLE_EARLIER
	                                  : (enum theme_role)(ROLE_METHOD1 + method % 6));

	for (int i = 0; i < n; i++)
		if (isfinite(acc[i]))
			last = i;
	curve_range(acc, n, &own_lo, &own_hi);
	snprintf(label, sizeof(label), "%s%s", row->earlier ? "(e)" : "", row->label);
	if ((int)strlen(label) > lw && row->brief[0] != '\0')
		snprintf(label, sizeof(label), "%s%s", row->earlier ? "(e)" : "",
		         row->brief);
	/* Still too long: the table says [N diverged] and [N collapsed]. */
	if ((int)strlen(label) > lw && strstr(label, " [") != NULL)
		*strstr(label, " [") = '\0';
	snprintf(line, sizeof(line), "%s %-*.*s", glyph(u, method), lw, lw, label);
	put(y, x, w, a, line);
	if (sw < 4)
		return;
	if (u->spark_per_row) {
		lo = own_lo;
		hi = own_hi;
	}
	/* Scale with a floor of 0.05 so a flat curve is not drawn as noise. */
	if (isfinite(lo) && hi - lo < 0.05)
		lo = hi - 0.05;
	spark_render(acc, n, lo, hi, u->spark, sw, spark, sizeof(spark));
	put(y, x + lw + 3, sw, a, spark);
	if (last >= 0) {
		snprintf(line, sizeof(line), "%.3f %.2f-%.2f", acc[last], own_lo, own_hi);
		put(y, x + lw + 3 + sw + 1, 16, role_attr(u, ROLE_TEXT), line);
	} else {
		put(y, x + lw + 3 + sw + 1, 6, role_attr(u, ROLE_DIM), "-");
	}
}

/* The length of a label without its " [N diverged]" and " [N collapsed]" marks. */
static int unmarked_len(const char *s)
{
	const char *mark = strstr(s, " [");

	return mark != NULL ? (int)(mark - s) : (int)strlen(s);
}

/* Widen [*lo, *hi] by the finite values of v[0..n). */
static void widen(const double *v, int n, double *lo, double *hi)
{
	double a, b;

	curve_range(v, n, &a, &b);
	*lo = fmin(*lo, a);
	*hi = fmax(*hi, b);
}

static void draw_curves(struct ui *u, int y0, int x, int w, int h)
{
	const struct results *res = ui_results(u);
	double *acc = NULL, lo = INFINITY, hi = -INFINITY;
	struct table_row rows[PRESET_MAX_METHODS];
	char head[256];
	int y = y0 + 1, T = res != NULL ? res->tasks : 0, lw, need = 0, full = 0;

	/* Every method's mean curve first: one y-axis for all of them. */
	if (res != NULL) {
		acc = xcalloc((size_t)res->nmethods * (size_t)T + 1, sizeof(double));
		for (int m = 0; m < res->nmethods; m++) {
			for (int t = 0; t < T; t++)
				acc[(size_t)m * T + t] =
				        results_task_mean(res, m, t, NULL);
			widen(acc + (size_t)m * T, T, &lo, &hi);
		}
	}
	for (int i = 0; i < u->nearlier; i++)
		widen(u->earlier[i].acc, u->earlier[i].n, &lo, &hi);
	/* A floor of 0.05 on the span, below the top, so flat curves stay flat. */
	if (isfinite(lo) && hi - lo < 0.05)
		lo = hi - 0.05;
	if (!isfinite(lo))
		snprintf(head, sizeof(head),
		         "accuracy per task, mean over finished runs");
	else if (u->spark_per_row)
		snprintf(head, sizeof(head),
		         "accuracy, each row its own scale (y: one axis)");
	else
		snprintf(head, sizeof(head), "accuracy, one axis %.2f-%.2f (y: per row)",
		         lo, hi);
	put(y0, x, w, role_attr(u, ROLE_DIM), head);
	/* The label column: a quarter of the panel, wider (up to a half) when a
	 * method's distinguishing label needs it, so no value is cut. */
	lw = w / 4 < 14 ? 14 : w / 4 > 30 ? 30 : w / 4;
	for (int m = 0; res != NULL && m < res->nmethods; m++) {
		fill_row(u, res, m, &rows[m]);
		need = unmarked_len(rows[m].brief) > need ? unmarked_len(rows[m].brief)
		                                          : need;
		full = (int)strlen(rows[m].label) > full ? (int)strlen(rows[m].label)
		                                         : full;
	}
	for (int i = 0; i < u->nearlier; i++) { /* shown as "(e)label" */
		int b = 3 + unmarked_len(u->earlier[i].row.brief);
		int l = 3 + (int)strlen(u->earlier[i].row.label);

		need = b > need ? b : need;
		full = l > full ? l : full;
	}
	/* Whole labels if a third of the panel holds them, else what sets the
	 * methods apart, in up to half of it; the curves keep a quarter of the
	 * panel (at least 8 cells) beside the 16-cell value column. */
	if (full > lw && full <= w / 3)
		lw = full;
	else if (need > lw)
		lw = need < w / 2 ? need : w / 2 > lw ? w / 2 : lw;
	if (lw > w - 19 - (w / 4 > 8 ? w / 4 : 8))
		lw = w - 19 - (w / 4 > 8 ? w / 4 : 8);
	for (int m = 0; res != NULL && m < res->nmethods && y < y0 + h; m++)
		draw_curve(u, y++, x, w, lw, &rows[m], acc + (size_t)m * T, T, m, lo, hi);
	free(acc);
	for (int i = u->nearlier - 1; i >= 0 && y < y0 + h; i--)
		draw_curve(u, y++, x, w, lw, &u->earlier[i].row, u->earlier[i].acc,
		           u->earlier[i].n, u->earlier[i].method, lo, hi);
	if (res == NULL && u->nearlier == 0)
		put(y0 + 2, x, w, role_attr(u, ROLE_DIM), "Enter or r: start training");
}

static void draw_table(struct ui *u, int y0, int h)
{
	struct table_row rows[PRESET_MAX_METHODS + MAX_EARLIER];
	char lines[PRESET_MAX_METHODS + MAX_EARLIER + 1][256];
	int n = 0, best[COL_COUNT], cell_x[COL_COUNT];
	const struct results *res = ui_results(u);

	for (int m = 0; res != NULL && m < res->nmethods; m++)
		fill_row(u, res, m, &rows[n++]);
	for (int i = u->nearlier - 1; i >= 0; i--)
		rows[n++] = u->earlier[i].row;
	if (u->sort_col < COL_COUNT)
		table_sort(rows, n, (enum table_col)u->sort_col, u->sort_desc);
	table_best(rows, n, best);
	table_render(rows, n, COLS - 1, (enum table_col)u->sort_col, u->sort_desc, lines,
	             cell_x);
	put(y0, 0, COLS, role_attr(u, ROLE_TITLE), lines[0]);
	for (int i = 0; i < n && i + 1 < h; i++) {
		int method = 0;

		for (int m = 0; m < PRESET_MAX_METHODS; m++)
			if (strcmp(rows[i].glyph, glyph(u, m)) == 0) {
				method = m;
				break;
			}
		put(y0 + 1 + i, 0, COLS,
		    role_attr(u, rows[i].earlier
		                         ? ROLE_EARLIER
		                         : (enum theme_role)(ROLE_METHOD1 + method % 6)),
		    lines[i + 1]);
	}
}

static long rss_kb(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void draw_progress(struct ui *u, int y)
{
	struct grid_slot slots[64];
	struct session_progress pr;
	char buf[512];
	int n = 0, cols = 30, len;

	ui_progress(u, &pr);
	if (u->sess != NULL)
		n = session_slots(u->sess, slots, 64);
	len = snprintf(buf, sizeof(buf), " %d/%d tasks [", pr.done, pr.total);
	for (int i = 0; i < cols; i++)
		buf[len++] = i < (int)(pr.frac * cols) ? '#' : '.';
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, "] %3.0f%%", pr.frac * 100);
	for (int i = 0; i < n && i < 64 && len < 400; i++)
		if (slots[i].busy)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len,
			                "  %s run %d task %d %d/%d",
			                glyph(u, slots[i].method), slots[i].run + 1,
			                slots[i].task + 1, slots[i].batch,
			                slots[i].nbatches);
	mvhline(y, 0, ' ', COLS);
	put(y, 0, COLS, role_attr(u, ROLE_TEXT), buf);
}

/* Where this run's files are: the directory the session writes as it trains. */
static void draw_rundir(struct ui *u, int y)
{
	char buf[512];

	if (u->sess != NULL)
		snprintf(buf, sizeof(buf), " run directory: %s", session_dir(u->sess));
	else if (u->viewing && u->o.nopen_more > 0) {
		int len = snprintf(buf, sizeof(buf),
		                   " run directories (read-only): A: %s", u->o.open_dir);

		for (int i = 0; i < u->o.nopen_more && len < (int)sizeof(buf); i++)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "  %c: %s",
			                'A' + (i + 1) % 26, u->o.open_more[i]);
	} else if (u->viewing)
		snprintf(buf, sizeof(buf), " run directory: %s (read-only)",
		         u->o.open_dir);
	else
		snprintf(buf, sizeof(buf), " run directory: made when training starts");
	put(y, 0, COLS, role_attr(u, ROLE_DIM), buf);
}

/* Seconds as [H:]MM:SS after prefix ("~" for an estimate). */
static void hhmm(char *buf, size_t len, double sec, const char *prefix)
{
	long t = (long)(sec + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%s%ld:%02ld:%02ld", prefix, t / 3600, t / 60 % 60,
		         t % 60);
	else
		snprintf(buf, len, "%s%02ld:%02ld", prefix, t / 60, t % 60);
}

static void draw_status(struct ui *u, int y)
{
	struct session_progress pr;
	char buf[512], etas[48] = "ETA --:--";
	double sps;

	ui_progress(u, &pr);
	sps = pr.elapsed > 0 ? pr.samples / pr.elapsed : 0;
	if (u->st == ST_RUNNING && pr.eta >= 0)
		hhmm(etas, sizeof(etas), pr.eta, "ETA ");
	else if (u->st == ST_IDLE || u->st == ST_DONE || u->st == ST_STOPPED) {
		/* Before a start: what the form's grid would take on this machine. */
		double est = ui_estimate(u);

		if (est >= 0)
			hhmm(etas, sizeof(etas), est, "r takes ~");
	}
	snprintf(buf, sizeof(buf), " %-7s  elapsed %02d:%02d  %s  %.0f samples/s  %ld MB",
	         state_names[u->st], (int)pr.elapsed / 60, (int)pr.elapsed % 60, etas,
	         sps, rss_kb() / 1024);
	bar(u, y, ROLE_STATUS, buf);
	put(y + 1, 0, COLS, role_attr(u, ROLE_DIM),
	    "?:help r:start p:pause x:stop e:edit s:save o:open w:export t:theme g:graph "
	    "q:quit");
}

void ui_draw_footer(struct ui *u, int y)
{
	put(y, 0, COLS, role_attr(u, u->msg_err ? ROLE_ERROR : ROLE_DIM), u->msg);
	draw_progress(u, y + 1);
	draw_rundir(u, y + 2);
	draw_status(u, y + 3);
}

void view_main_draw(struct ui *u)
{
	int h_table, h_top, y;

	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char msg[64];

		snprintf(msg, sizeof(msg), "terminal too small (need %dx%d)", MIN_COLS,
		         MIN_LINES);
		mvaddstr(LINES / 2,
		         COLS > (int)strlen(msg) ? (COLS - (int)strlen(msg)) / 2 : 0,
		         msg);
		return;
	}
	refresh_compare(u);
	h_table = 1 + (ui_results(u) ? ui_results(u)->nmethods : 0) + u->nearlier;
	if (h_table > LINES / 3)
		h_table = LINES / 3;
	if (h_table < 2)
		h_table = 2;
	h_top = LINES - 1 - h_table - 1 - 1 - 1 - 2;
	draw_title(u);
	draw_form(u, 1, h_top);
	draw_curves(u, 1, FORM_WIDTH + 2, COLS - FORM_WIDTH - 3, h_top);
	y = 1 + h_top;
	draw_table(u, y, h_table);
	y += h_table;
	ui_draw_footer(u, y);
}

void rebuild_fields(struct ui *u)
{
	u->nfields = form_fields(&u->p, u->fields, MAX_FIELDS, u->utf8);
	if (u->cursor >= u->nfields)
		u->cursor = u->nfields - 1;
}

static void edit_key(struct ui *u, int ch)
{
	size_t len = strlen(u->edit);
	struct preset probe;

	if (ch == 27) {
		u->mode = MODE_FORM;
		free(u->field_err);
		u->field_err = NULL;
		return;
	}
	if (ch == '\n' || ch == KEY_ENTER) {
		if (form_set(&u->p, &u->fields[u->cursor], u->edit, &u->field_err) ==
		    PL_OK) {
			u->mode = MODE_FORM;
			free(u->field_err);
			u->field_err = NULL;
			rebuild_fields(u);
		}
		return;
	}
	if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0)
		u->edit[len - 1] = '\0';
	else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->edit))
		u->edit[len] = (char)ch, u->edit[len + 1] = '\0';
	/* Check as typed, against the same schema the preset loader uses. */
	preset_copy(&probe, &u->p);
	free(u->field_err);
	u->field_err = NULL;
	form_set(&probe, &u->fields[u->cursor], u->edit, &u->field_err);
	preset_free(&probe);
}

static void method_op(struct ui *u, int ch)
{
	const struct form_field *f = &u->fields[u->cursor];
	int m = f->method;

	if (ch == 'a' && u->p.nmethods < PRESET_MAX_METHODS) {
		method_defaults(&u->p.methods[u->p.nmethods++], OPTIM_SGD);
		set_msg(u, 0, "added method %d", u->p.nmethods);
	} else if (ch == 'd' && m >= 0 && u->p.nmethods < PRESET_MAX_METHODS) {
		memmove(&u->p.methods[m + 1], &u->p.methods[m],
		        sizeof(u->p.methods[0]) * (size_t)(u->p.nmethods - m));
		u->p.nmethods++;
		set_msg(u, 0, "duplicated method %d", m + 1);
	} else if ((ch == KEY_DC || ch == '-') && m >= 0) {
		if (u->p.nmethods == 1) {
			set_msg(u, 1, "a preset needs at least one method");
			return;
		}
		memmove(&u->p.methods[m], &u->p.methods[m + 1],
		        sizeof(u->p.methods[0]) * (size_t)(u->p.nmethods - m - 1));
		u->p.nmethods--;
		set_msg(u, 0, "removed method %d", m + 1);
	}
	rebuild_fields(u);
}

void form_key(struct ui *u, int ch)
{
	const struct form_field *f = &u->fields[u->cursor];
	char *cause = NULL;

	if (u->mode == MODE_EDIT) {
		edit_key(u, ch);
		return;
	}
	switch (ch) {
	case KEY_UP:
	case 'k':
		u->cursor = u->cursor > 0 ? u->cursor - 1 : 0;
		break;
	case KEY_DOWN:
	case 'j':
		u->cursor = u->cursor + 1 < u->nfields ? u->cursor + 1 : u->cursor;
		break;
	case 27:
	case '\t':
		u->mode = MODE_VIEW;
		break;
	case '\n':
	case KEY_ENTER:
	case ' ':
		if (form_cycle(&u->p, f, &cause) == 0) {
			u->mode = MODE_EDIT;
			form_value(&u->p, f, u->edit, sizeof(u->edit));
		} else if (cause != NULL) {
			set_msg(u, 1, "%s", cause);
		}
		rebuild_fields(u);
		break;
	case 'a':
	case 'd':
	case '-':
	case KEY_DC:
		method_op(u, ch);
		break;
	}
	free(cause);
}

/* Keys the global table leaves: 1-9 sort the table by that column; m
 * shows the next diagnostic as a column (latest task), then none. */
int view_main_key(struct ui *u, int ch)
{
	if (ch == 'm') {
		u->table_metric =
		        ui_metric(u->table_metric) != NULL ? u->table_metric + 1 : 0;
		set_msg(u, 0, "table column: %s (m: next)",
		        u->table_metric ? ui_metric(u->table_metric - 1)->name : "none");
		return 0;
	}
	if (ch >= '1' && ch <= '9' && ch - '1' < COL_COUNT) {
		if (u->sort_col == ch - '1')
			u->sort_desc = !u->sort_desc;
		u->sort_col = ch - '1';
	}
	return 0;
}

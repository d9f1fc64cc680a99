/*
 * ui.c - the front end's event loop and screen.
 *
 * One thread owns curses. It poll()s the keyboard, the grid's wake pipe and a
 * signal pipe; worker events update the results table, and the screen is
 * redrawn only when something changed, at most REDRAW_HZ times a second.
 * Layout (80x24 and up): title; settings form | live sparklines; the
 * comparison table; a progress line; the status bar.
 */
#include <curses.h>
#include <dirent.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "plasticity/grid.h"
#include "plasticity/identity.h"
#include "plasticity/idx.h"
#include "plasticity/results.h"
#include "plasticity/rundir.h"
#include "plasticity/spark.h"
#include "plasticity/table.h"
#include "plasticity/theme.h"
#include "plasticity/util.h"
#include "ui/ui.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

#define MIN_COLS 80
#define MIN_LINES 24
#define REDRAW_HZ 20
#define PROGRESS_MS 200 /* progress line refresh while training */
#define FORM_WIDTH 34
#define MAX_FIELDS 128
#define MAX_EARLIER 24
#define MAX_LIST 64

enum ui_state { ST_IDLE, ST_RUNNING, ST_PAUSED, ST_DONE, ST_STOPPED, ST_VIEW };
enum dialog { DLG_NONE, DLG_QUIT, DLG_SAVE, DLG_OPEN };

static const char *const state_names[] = { "idle", "running", "paused", "done", "stopped",
					   "viewing" };

/* A finished curve from an earlier configuration, kept on screen to compare. */
struct curve {
	struct table_row row;
	double *acc;
	int n;
	int method; /* the method index it had, for its glyph */
};

struct ui {
	struct ui_opts o;
	struct preset p;      /* the form */
	struct preset run_p;  /* the preset the current results belong to */
	int have_results;
	struct results res;
	struct grid *grid;
	struct dataset ds;
	char *data_dir;
	enum ui_state st;
	double t_start, t_end, t_pause, paused_for;
	long long samples;
	int tasks_done, tasks_total, diverged;
	struct curve earlier[MAX_EARLIER];
	int nearlier;
	struct form_field fields[MAX_FIELDS];
	int nfields, cursor, scroll, focus_form, editing;
	char edit[128];
	char *field_err;
	int sort_col, sort_desc;
	enum spark_style spark;
	int utf8, color;
	struct theme theme;
	char *themes[MAX_LIST];
	int nthemes, theme_idx;
	int help;
	enum dialog dlg;
	char dlg_buf[256];
	char *list[MAX_LIST];
	int nlist, list_cur;
	char msg[512];
	int msg_err;
	int dirty;
	double last_draw;
};


static const char *glyph(const struct ui *u, int method)
{
	static const char *const utf8[] = { "●", "■", "▲", "◆", "★", "✚", "○", "□" };
	static const char *const ascii[] = { "o", "#", "^", "*", "+", "x", "@", "%" };

	return (u->utf8 ? utf8 : ascii)[method % 8];
}

static void set_msg(struct ui *u, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(struct ui *u, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_err = err;
	u->dirty = 1;
}

/* Bytes beyond one per displayed character (UTF-8 continuation bytes). */
static int utf8_extra(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) == 0x80;
	return n;
}

/* ---- colors ---------------------------------------------------------- */

static attr_t role_attr(const struct ui *u, enum theme_role r)
{
	const struct theme_color *c = &u->theme.role[r];
	attr_t a = A_NORMAL;

	if (c->attrs & THEME_BOLD)
		a |= A_BOLD;
	if (c->attrs & THEME_DIM)
		a |= A_DIM;
	if (c->attrs & THEME_REVERSE)
		a |= A_REVERSE;
	if (c->attrs & THEME_UNDERLINE)
		a |= A_UNDERLINE;
	if (u->color)
		a |= COLOR_PAIR(r + 1);
	return a;
}

static void apply_theme(struct ui *u)
{
	if (!u->color)
		return;
	for (int r = 0; r < ROLE_COUNT; r++) {
		short fg = u->theme.role[r].fg, bg = u->theme.role[r].bg;

		if (COLORS < 256) {
			fg = fg < 0 ? fg : theme_color_fallback(fg, COLORS >= 16 ? 16 : 8);
			bg = bg < 0 ? bg : theme_color_fallback(bg, COLORS >= 16 ? 16 : 8);
		}
		init_pair((short)(r + 1), fg, bg);
	}
}

/* Add the NAME of every NAME.theme in dir to the list, once. */
static void add_themes_from(struct ui *u, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL && u->nthemes < MAX_LIST) {
		size_t n = strlen(e->d_name);
		int dup = 0;

		if (n < 7 || strcmp(e->d_name + n - 6, ".theme") != 0 ||
		    strcmp(e->d_name, "default.theme") == 0)
			continue;
		for (int i = 0; i < u->nthemes; i++)
			dup |= strncmp(u->themes[i], e->d_name, n - 6) == 0 && u->themes[i][n - 6] == 0;
		if (!dup)
			u->themes[u->nthemes++] = xasprintf("%.*s", (int)n - 6, e->d_name);
	}
	if (d != NULL)
		closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add a built-in name unless a file of that name is listed already. */
static void add_themes_from_name(struct ui *u, const char *name)
{
	for (int i = 0; i < u->nthemes; i++)
		if (strcmp(u->themes[i], name) == 0)
			return;
	if (u->nthemes < MAX_LIST)
		u->themes[u->nthemes++] = xstrdup(name);
}

/* The themes t cycles through: the built-ins, then every file theme_find can reach. */
static void load_theme_list(struct ui *u)
{
	char *dir = pl_config_dir("themes");

	u->themes[u->nthemes++] = xstrdup("default");
	if (dir != NULL)
		add_themes_from(u, dir);
	add_themes_from(u, PL_DATADIR "/themes");
	add_themes_from(u, "themes");
	qsort(u->themes + 1, (size_t)u->nthemes - 1, sizeof(char *), cmp_str);
	add_themes_from_name(u, "mono");
	free(dir);
}

static int use_theme(struct ui *u, const char *name)
{
	char *cause = NULL;
	struct theme t;

	if (theme_find(&t, name, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return -1;
	}
	u->theme = t;
	for (int i = 0; i < u->nthemes; i++)
		if (strcmp(u->themes[i], name) == 0)
			u->theme_idx = i;
	apply_theme(u);
	return 0;
}

/* ---- results and curves ---------------------------------------------- */

static void fill_row(const struct ui *u, const struct results *res, int m,
		     struct table_row *row)
{
	struct method_summary s;
	int last = -1;

	memset(row, 0, sizeof(*row));
	method_label(&res->p->methods[m], row->label, sizeof(row->label));
	snprintf(row->glyph, sizeof(row->glyph), "%s", glyph(u, m));
	results_summarize(res, m, &s);
	if (s.diverged) {
		size_t len = strlen(row->label);

		snprintf(row->label + len, sizeof(row->label) - len, " [%d diverged]", s.diverged);
	}
	row->runs = s.runs_done;
	row->tasks = s.tasks_done;
	for (int t = 0; t < res->tasks; t++)
		if (!isnan(results_task_mean(res, m, t, NULL)))
			last = t;
	row->latest = last >= 0 ? results_task_mean(res, m, last, NULL) : NAN;
	row->first = s.first;
	row->last = s.last;
	row->loss = s.loss;
	row->mean = s.mean;
	row->sps = s.samples_per_s;
}

/* Move the current results' curves to the earlier list. */
static void keep_as_earlier(struct ui *u)
{
	if (!u->have_results)
		return;
	for (int m = 0; m < u->res.nmethods; m++) {
		struct curve *c;

		if (u->nearlier == MAX_EARLIER) {
			free(u->earlier[0].acc);
			memmove(u->earlier, u->earlier + 1, sizeof(u->earlier[0]) * (MAX_EARLIER - 1));
			u->nearlier--;
		}
		c = &u->earlier[u->nearlier++];
		fill_row(u, &u->res, m, &c->row);
		c->row.earlier = 1;
		c->method = m;
		c->n = u->res.tasks;
		c->acc = xcalloc((size_t)c->n, sizeof(double));
		for (int t = 0; t < c->n; t++)
			c->acc[t] = results_task_mean(&u->res, m, t, NULL);
	}
	results_free(&u->res);
	preset_free(&u->run_p);
	u->have_results = 0;
}

static void clear_earlier(struct ui *u)
{
	for (int i = 0; i < u->nearlier; i++)
		free(u->earlier[i].acc);
	u->nearlier = 0;
	u->dirty = 1;
}

/* ---- running --------------------------------------------------------- */

static int ensure_data(struct ui *u, const struct preset *p)
{
	char *dir, *cause = NULL;

	if (u->ds.name != NULL && strcmp(u->ds.name, p->dataset) == 0)
		return 0;
	{
		struct cli_opts co = { .data_dir = u->o.data_dir };

		dir = cli_data_dir(&co, p);
	}
	if (dir == NULL) {
		set_msg(u, 1, "no %s data found: run scripts/fetch-data (see plasticity --info)",
			p->dataset);
		return -1;
	}
	dataset_free(&u->ds);
	if (dataset_load(&u->ds, p->dataset, dir, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		free(dir);
		return -1;
	}
	free(u->data_dir);
	u->data_dir = dir;
	return 0;
}

static void stop_grid(struct ui *u)
{
	struct grid_event ev;

	if (u->grid == NULL)
		return;
	grid_stop(u->grid);
	grid_join(u->grid);
	while (grid_next_event(u->grid, &ev)) {
		if (ev.type == GRID_EV_TASK)
			results_put(&u->res, ev.method, ev.run, ev.result);
		free(ev.result);
		free(ev.message);
	}
	grid_free(u->grid);
	u->grid = NULL;
	u->t_end = pl_now();
}

static void start_run(struct ui *u)
{
	char *cause = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (u->st == ST_RUNNING || u->st == ST_PAUSED || u->st == ST_VIEW)
		return;
	if (preset_validate(&u->p, "form", &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return;
	}
	if (ensure_data(u, &u->p) != 0)
		return;
	keep_as_earlier(u);
	preset_copy(&u->run_p, &u->p);
	results_init(&u->res, &u->run_p);
	u->have_results = 1;
	u->tasks_done = u->diverged = 0;
	u->samples = 0;
	u->tasks_total = u->run_p.nmethods * u->run_p.runs * u->run_p.tasks;
	u->grid = grid_new(&u->run_p, &u->ds, u->o.jobs ? u->o.jobs : (int)(cores > 0 ? cores : 1));
	u->t_start = pl_now();
	u->paused_for = 0;
	u->st = ST_RUNNING;
	u->focus_form = 0;
	grid_start(u->grid);
	set_msg(u, 0, "training %s: %d methods x %d runs x %d tasks", u->run_p.name,
		u->run_p.nmethods, u->run_p.runs, u->run_p.tasks);
}

static void toggle_pause(struct ui *u)
{
	if (u->st == ST_RUNNING) {
		grid_pause(u->grid, 1);
		u->t_pause = pl_now();
		u->st = ST_PAUSED;
	} else if (u->st == ST_PAUSED) {
		grid_pause(u->grid, 0);
		u->paused_for += pl_now() - u->t_pause;
		u->st = ST_RUNNING;
	}
	u->dirty = 1;
}

static void handle_events(struct ui *u)
{
	struct grid_event ev;

	while (u->grid != NULL && grid_next_event(u->grid, &ev)) {
		if (ev.type == GRID_EV_TASK) {
			results_put(&u->res, ev.method, ev.run, ev.result);
			u->tasks_done++;
			u->samples += ev.result->samples;
			u->diverged += ev.result->diverged;
		} else if (ev.type == GRID_EV_ERROR) {
			set_msg(u, 1, "%s", ev.message);
		} else if (ev.type == GRID_EV_ALL_DONE) {
			grid_join(u->grid);
			u->t_end = pl_now();
			u->st = u->tasks_done == u->tasks_total ? ST_DONE : ST_STOPPED;
			if (u->st == ST_DONE)
				set_msg(u, 0, "done: %d tasks in %.0f s%s", u->tasks_done,
					u->t_end - u->t_start - u->paused_for,
					u->diverged ? " (some runs diverged)" : "");
		}
		free(ev.result);
		free(ev.message);
		u->dirty = 1;
	}
	if (u->grid != NULL && (u->st == ST_DONE || u->st == ST_STOPPED)) {
		grid_free(u->grid);
		u->grid = NULL;
	}
}

/* Write the run directory (as `plasticity run` does); returns 0 on success. */
static int export_run(struct ui *u, char **where)
{
	char *dir, *cause = NULL;
	enum pl_status st;

	if (!u->have_results) {
		set_msg(u, 1, "nothing to export yet: start a run first");
		return -1;
	}
	dir = rundir_default(&u->run_p);
	st = rundir_create(dir, 0, &cause);
	if (st == PL_OK)
		st = rundir_write_preset(dir, &u->run_p, &cause);
	if (st == PL_OK && u->ds.name != NULL)
		st = identity_write(dir, &u->run_p, u->data_dir, &u->ds, &cause);
	if (st == PL_OK)
		st = rundir_write_results(dir, &u->res, 1, &cause);
	if (st != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		free(dir);
		return -1;
	}
	set_msg(u, 0, "exported %s", dir);
	if (where)
		*where = dir;
	else
		free(dir);
	return 0;
}

/* ---- drawing --------------------------------------------------------- */

/* Bytes of s that fit in w columns (one column per UTF-8 character). */
static int fit(const char *s, int w)
{
	int cols = 0, i = 0;

	for (; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (cols == w)
			break;
		cols++;
	}
	return i;
}

/* Write s at (y, x), clipped to w columns and to the screen's edge. */
static void put(int y, int x, int w, attr_t a, const char *s)
{
	if (w > COLS - x)
		w = COLS - x;
	if (w <= 0 || y < 0 || y >= LINES)
		return;
	attrset(a);
	mvaddnstr(y, x, s, fit(s, w));
	attrset(A_NORMAL);
}

/* Fill a row with spaces in attribute a, then write s. */
static void bar(struct ui *u, int y, enum theme_role r, const char *s)
{
	attr_t a = role_attr(u, r);

	attrset(a);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, s, fit(s, COLS));
	attrset(A_NORMAL);
}

static void draw_title(struct ui *u)
{
	char buf[512];
	const struct preset *p = u->have_results ? &u->run_p : &u->p;

	snprintf(buf, sizeof(buf), " plasticity %s  %s · %s · %s · %d tasks · %d runs%s",
		 PACKAGE_VERSION, p->name, setting_name(p->setting), p->dataset, p->tasks,
		 p->runs, u->st == ST_VIEW ? "  (read-only view)" : "");
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
	put(y0, 1, FORM_WIDTH - 1, role_attr(u, u->focus_form ? ROLE_TITLE : ROLE_DIM),
	    u->focus_form ? "Settings (Esc: done)" : "Settings (e: edit)");
	h -= 1;
	y0 += 1;
	if (u->cursor < u->scroll)
		u->scroll = u->cursor;
	if (u->cursor >= u->scroll + h - 1)
		u->scroll = u->cursor - h + 2;
	for (int i = u->scroll, y = y0; i < u->nfields && y < y0 + h; i++, y++) {
		const struct form_field *f = &u->fields[i];
		int sel = u->focus_form && i == u->cursor;
		enum theme_role r = f->method >= 0 ? (enum theme_role)(ROLE_METHOD1 + f->method % 6)
						    : ROLE_TEXT;

		if (sel && u->editing)
			snprintf(val, sizeof(val), "%s_", u->edit);
		else
			form_value(&u->p, f, val, sizeof(val));
		/* printf pads by bytes: widen by the label's extra UTF-8 bytes. */
		snprintf(line, sizeof(line), "%-*s %-17.17s", 14 + utf8_extra(f->label), f->label,
			 val);
		if (f->method >= 0 && strncmp(f->label, "method", 6) == 0)
			snprintf(line, sizeof(line), "%s %-12s %-17.17s", glyph(u, f->method),
				 f->label, val);
		put(y, 1, FORM_WIDTH - 2, sel ? role_attr(u, ROLE_SELECT) : role_attr(u, r), line);
		if (sel && u->field_err != NULL)
			put(++y, 1, FORM_WIDTH - 2, role_attr(u, ROLE_ERROR), u->field_err);
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

static void draw_curve(struct ui *u, int y, int x, int w, const struct table_row *row,
		       const double *acc, int n, int method)
{
	char spark[1024], line[256], label[112];
	double lo, hi;
	int lw = w / 4 < 14 ? 14 : w / 4 > 30 ? 30 : w / 4, sw = w - lw - 3 - 16, last = -1;
	attr_t a = role_attr(u, row->earlier ? ROLE_EARLIER : (enum theme_role)(ROLE_METHOD1 + method % 6));

	for (int i = 0; i < n; i++)
		if (isfinite(acc[i]))
			last = i;
	curve_range(acc, n, &lo, &hi);
	snprintf(label, sizeof(label), "%s%s", row->earlier ? "(e)" : "", row->label);
	snprintf(line, sizeof(line), "%s %-*.*s", glyph(u, method), lw, lw, label);
	put(y, x, w, a, line);
	if (sw < 4)
		return;
	/* Scale with a floor of 0.05 so a flat curve is not drawn as noise. */
	if (isfinite(lo) && hi - lo < 0.05)
		lo = hi - 0.05;
	spark_render(acc, n, lo, hi, u->spark, sw, spark, sizeof(spark));
	put(y, x + lw + 3, sw, a, spark);
	if (last >= 0) {
		snprintf(line, sizeof(line), "%.3f %.2f-%.2f", acc[last], lo, hi);
		put(y, x + lw + 3 + sw + 1, 16, role_attr(u, ROLE_TEXT), line);
	} else {
		put(y, x + lw + 3 + sw + 1, 6, role_attr(u, ROLE_DIM), "-");
	}
}

static void draw_curves(struct ui *u, int y0, int x, int w, int h)
{
	int y = y0;

	put(y++, x, w, role_attr(u, ROLE_DIM),
	    "accuracy per task, mean over finished runs   latest  range");
	if (u->have_results) {
		double *acc = xcalloc((size_t)u->res.tasks, sizeof(double));

		for (int m = 0; m < u->res.nmethods && y < y0 + h; m++) {
			struct table_row row;

			fill_row(u, &u->res, m, &row);
			for (int t = 0; t < u->res.tasks; t++)
				acc[t] = results_task_mean(&u->res, m, t, NULL);
			draw_curve(u, y++, x, w, &row, acc, u->res.tasks, m);
		}
		free(acc);
	}
	for (int i = u->nearlier - 1; i >= 0 && y < y0 + h; i--)
		draw_curve(u, y++, x, w, &u->earlier[i].row, u->earlier[i].acc, u->earlier[i].n,
			   u->earlier[i].method);
	if (!u->have_results && u->nearlier == 0)
		put(y0 + 2, x, w, role_attr(u, ROLE_DIM), "Enter or r: start training");
}

static void draw_table(struct ui *u, int y0, int h)
{
	struct table_row rows[PRESET_MAX_METHODS + MAX_EARLIER];
	char lines[PRESET_MAX_METHODS + MAX_EARLIER + 1][256];
	int n = 0, best[COL_COUNT], cell_x[COL_COUNT];

	for (int m = 0; u->have_results && m < u->res.nmethods; m++)
		fill_row(u, &u->res, m, &rows[n++]);
	for (int i = u->nearlier - 1; i >= 0; i--)
		rows[n++] = u->earlier[i].row;
	if (u->sort_col < COL_COUNT)
		table_sort(rows, n, (enum table_col)u->sort_col, u->sort_desc);
	table_best(rows, n, best);
	table_render(rows, n, COLS - 1, (enum table_col)u->sort_col, u->sort_desc, lines, cell_x);
	put(y0, 0, COLS, role_attr(u, ROLE_TITLE), lines[0]);
	for (int i = 0; i < n && i + 1 < h; i++) {
		int method = 0;

		for (int m = 0; m < PRESET_MAX_METHODS; m++)
			if (strcmp(rows[i].glyph, glyph(u, m)) == 0) {
				method = m;
				break;
			}
		put(y0 + 1 + i, 0, COLS,
		    role_attr(u, rows[i].earlier ? ROLE_EARLIER : (enum theme_role)(ROLE_METHOD1 + method % 6)),
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

static double elapsed(const struct ui *u)
{
	double end = u->st == ST_RUNNING ? pl_now() : u->st == ST_PAUSED ? u->t_pause : u->t_end;

	return u->t_start > 0 ? end - u->t_start - u->paused_for : 0.0;
}

static void draw_progress(struct ui *u, int y)
{
	struct grid_slot slots[64];
	char buf[512];
	int n = 0, cols = 30, len;
	double frac = 0.0;

	if (u->grid != NULL)
		n = grid_slots(u->grid, slots, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (slots[i].busy && slots[i].nbatches > 0)
			frac += (double)slots[i].batch / slots[i].nbatches;
	frac = u->tasks_total ? (u->tasks_done + frac) / u->tasks_total : 0.0;
	len = snprintf(buf, sizeof(buf), " %d/%d tasks [", u->tasks_done, u->tasks_total);
	for (int i = 0; i < cols; i++)
		buf[len++] = i < (int)(frac * cols) ? '#' : '.';
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, "] %3.0f%%", frac * 100);
	for (int i = 0; i < n && i < 64 && len < 400; i++)
		if (slots[i].busy)
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "  %s run %d task %d %d/%d",
					glyph(u, slots[i].method), slots[i].run + 1, slots[i].task + 1,
					slots[i].batch, slots[i].nbatches);
	mvhline(y, 0, ' ', COLS);
	put(y, 0, COLS, role_attr(u, ROLE_TEXT), buf);
}

static void draw_status(struct ui *u, int y)
{
	char buf[512];
	double el = elapsed(u), sps = el > 0 ? u->samples / el : 0, frac, eta = 0;
	char etas[16] = "--:--";

	frac = u->tasks_total ? (double)u->tasks_done / u->tasks_total : 0;
	if (frac > 0 && u->st == ST_RUNNING)
		eta = el / frac - el;
	if (u->st == ST_RUNNING && frac > 0)
		snprintf(etas, sizeof(etas), "%02d:%02d", (int)eta / 60, (int)eta % 60);
	snprintf(buf, sizeof(buf), " %-7s  elapsed %02d:%02d  ETA %s  %.0f samples/s  %ld MB",
		 state_names[u->st], (int)el / 60, (int)el % 60, etas, sps, rss_kb() / 1024);
	bar(u, y, ROLE_STATUS, buf);
	/* Every function key has a letter twin here: F1 ?, F2 s, F3 o, F10 q. */
	put(y + 1, 0, COLS, role_attr(u, ROLE_DIM),
	    "?:help r:start p:pause x:stop e:edit s:save o:open w:export t:theme g:graph q:quit");
}

static void draw_box(struct ui *u, int h, int w, const char *const *lines, int nlines,
		     int highlight)
{
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;

	attrset(role_attr(u, ROLE_TEXT));
	for (int y = 0; y < h; y++)
		mvhline(y0 + y, x0, ' ', w);
	attrset(role_attr(u, ROLE_BORDER));
	mvhline(y0, x0, ACS_HLINE, w);
	mvhline(y0 + h - 1, x0, ACS_HLINE, w);
	for (int i = 0; i < nlines && i < h - 2; i++)
		put(y0 + 1 + i, x0 + 1, w - 2,
		    role_attr(u, i == highlight ? ROLE_SELECT : ROLE_TEXT), lines[i]);
}

static void draw_overlay(struct ui *u)
{
	if (u->help) {
		int n = 0;

		while (help_lines[n] != NULL)
			n++;
		draw_box(u, n + 2 < LINES ? n + 2 : LINES, COLS - 2, help_lines, n, -1);
	} else if (u->dlg == DLG_QUIT) {
		const char *l[] = { "Training is running. Stop it and quit? (y/n)",
				    "Finished tasks are kept: w exports them first." };

		draw_box(u, 4, 56, l, 2, -1);
	} else if (u->dlg == DLG_SAVE) {
		char line[300];
		const char *l[] = { "Save preset as (a name, or a path with '/'):", line,
				    "Enter: save   Esc: cancel" };

		snprintf(line, sizeof(line), "> %s_", u->dlg_buf);
		draw_box(u, 5, 60, l, 3, -1);
	} else if (u->dlg == DLG_OPEN) {
		const char *l[MAX_LIST + 1];
		int n = 0;

		l[n++] = "Open preset (Enter: open, Esc: cancel):";
		for (int i = 0; i < u->nlist && n < LINES - 4; i++)
			l[n++] = u->list[i];
		draw_box(u, n + 2, 64, l, n, u->list_cur + 1);
	}
}

static void draw(struct ui *u)
{
	int h_table, h_top, y;

	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char msg[64];

		snprintf(msg, sizeof(msg), "terminal too small (need %dx%d)", MIN_COLS, MIN_LINES);
		mvaddstr(LINES / 2, COLS > (int)strlen(msg) ? (COLS - (int)strlen(msg)) / 2 : 0, msg);
		refresh();
		return;
	}
	h_table = 1 + (u->have_results ? u->res.nmethods : 0) + u->nearlier;
	if (h_table > LINES / 3)
		h_table = LINES / 3;
	if (h_table < 2)
		h_table = 2;
	h_top = LINES - 1 - h_table - 1 - 1 - 2;
	draw_title(u);
	draw_form(u, 1, h_top);
	draw_curves(u, 1, FORM_WIDTH + 2, COLS - FORM_WIDTH - 3, h_top);
	y = 1 + h_top;
	draw_table(u, y, h_table);
	y += h_table;
	put(y, 0, COLS, role_attr(u, u->msg_err ? ROLE_ERROR : ROLE_DIM), u->msg);
	draw_progress(u, y + 1);
	draw_status(u, y + 2);
	draw_overlay(u);
	refresh();
	u->last_draw = pl_now();
	u->dirty = 0;
}

/* ---- keys ------------------------------------------------------------ */

static void rebuild_fields(struct ui *u)
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
		u->editing = 0;
		free(u->field_err);
		u->field_err = NULL;
		return;
	}
	if (ch == '\n' || ch == KEY_ENTER) {
		if (form_set(&u->p, &u->fields[u->cursor], u->edit, &u->field_err) == PL_OK) {
			u->editing = 0;
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

static void form_key(struct ui *u, int ch)
{
	const struct form_field *f = &u->fields[u->cursor];
	char *cause = NULL;

	if (u->editing) {
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
		u->focus_form = 0;
		break;
	case '\n':
	case KEY_ENTER:
	case ' ':
		if (form_cycle(&u->p, f, &cause) == 0) {
			u->editing = 1;
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

/* Where saved presets go; ./.config/... when no home is known. */
static char *user_presets(void)
{
	char *dir = pl_config_dir("presets");

	return dir ? dir : xstrdup("./.config/plasticity/presets");
}

static void save_preset(struct ui *u)
{
	char *path, *dir = NULL, *cause = NULL, *slash;
	struct atomic_file af;
	enum pl_status st = PL_OK;

	if (u->dlg_buf[0] == '\0')
		return;
	if (strchr(u->dlg_buf, '/') != NULL) {
		path = xstrdup(u->dlg_buf);
	} else {
		dir = user_presets();
		path = xasprintf("%s/%s%s", dir, u->dlg_buf,
				 strstr(u->dlg_buf, ".yaml") ? "" : ".yaml");
		st = mkdir_p(dir, &cause);
		if (st == PL_OK) {
			char *arg = xasprintf("name=%s", u->dlg_buf);

			if (strstr(arg, ".yaml"))
				*strstr(arg, ".yaml") = '\0';
			st = preset_override(&u->p, arg, &cause);
			free(arg);
		}
	}
	slash = strrchr(path, '/');
	if (st == PL_OK && slash != NULL && slash != path) {
		*slash = '\0';
		st = mkdir_p(path, &cause);
		*slash = '/';
	}
	if (st == PL_OK)
		st = atomic_open(&af, path, &cause);
	if (st == PL_OK) {
		preset_write(&u->p, af.fp);
		st = atomic_commit(&af, &cause);
	}
	if (st == PL_OK)
		set_msg(u, 0, "saved %s", path);
	else
		set_msg(u, 1, "%s", cause);
	free(cause);
	free(path);
	free(dir);
}

static void add_presets_from(struct ui *u, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL && u->nlist < MAX_LIST) {
		size_t n = strlen(e->d_name);

		if (n > 5 && strcmp(e->d_name + n - 5, ".yaml") == 0)
			u->list[u->nlist++] = xasprintf("%s/%s", dir, e->d_name);
	}
	if (d != NULL)
		closedir(d);
}

static void open_dialog(struct ui *u)
{
	char *user = user_presets();

	for (int i = 0; i < u->nlist; i++)
		free(u->list[i]);
	u->nlist = 0;
	add_presets_from(u, "experiments");
	add_presets_from(u, PL_DATADIR "/experiments");
	add_presets_from(u, user);
	free(user);
	u->list_cur = 0;
	u->dlg = u->nlist ? DLG_OPEN : DLG_NONE;
	if (!u->nlist)
		set_msg(u, 1, "no presets found");
}

static void open_preset(struct ui *u, const char *path)
{
	struct preset p;
	char *cause = NULL;

	if (preset_load(&p, path, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return;
	}
	preset_free(&u->p);
	u->p = p;
	u->cursor = 0;
	rebuild_fields(u);
	set_msg(u, 0, "opened %s", path);
}

static int dialog_key(struct ui *u, int ch)
{
	size_t len = strlen(u->dlg_buf);

	if (u->dlg == DLG_QUIT) {
		u->dlg = DLG_NONE;
		return ch == 'y' || ch == 'Y';
	}
	if (ch == 27) {
		u->dlg = DLG_NONE;
	} else if (u->dlg == DLG_SAVE) {
		if (ch == '\n' || ch == KEY_ENTER) {
			u->dlg = DLG_NONE;
			save_preset(u);
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0) {
			u->dlg_buf[len - 1] = '\0';
		} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->dlg_buf)) {
			u->dlg_buf[len] = (char)ch;
			u->dlg_buf[len + 1] = '\0';
		}
	} else if (u->dlg == DLG_OPEN) {
		if (ch == KEY_UP || ch == 'k')
			u->list_cur = u->list_cur > 0 ? u->list_cur - 1 : 0;
		else if (ch == KEY_DOWN || ch == 'j')
			u->list_cur = u->list_cur + 1 < u->nlist ? u->list_cur + 1 : u->list_cur;
		else if (ch == '\n' || ch == KEY_ENTER) {
			u->dlg = DLG_NONE;
			open_preset(u, u->list[u->list_cur]);
		}
	}
	return 0;
}

/* Returns 1 when the UI should quit. */
static int key(struct ui *u, int ch)
{
	int live = u->st == ST_RUNNING || u->st == ST_PAUSED;

	u->dirty = 1;
	if (ch == KEY_RESIZE)
		return 0;
	if (u->help) {
		u->help = 0;
		return 0;
	}
	if (u->dlg != DLG_NONE)
		return dialog_key(u, ch);
	if (u->focus_form && (ch != KEY_F(1) && ch != KEY_F(10))) {
		form_key(u, ch);
		return 0;
	}
	switch (ch) {
	case 'q':
	case KEY_F(10):
		if (!live)
			return 1;
		u->dlg = DLG_QUIT;
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		u->help = 1;
		break;
	case '\n':
	case KEY_ENTER:
	case 'r':
		start_run(u);
		break;
	case 'p':
	case ' ':
		toggle_pause(u);
		break;
	case 'x':
		if (live) {
			stop_grid(u);
			u->st = ST_STOPPED;
			set_msg(u, 0, "stopped: %d of %d tasks finished", u->tasks_done, u->tasks_total);
		}
		break;
	case 'e':
	case '\t':
		if (u->st != ST_VIEW)
			u->focus_form = 1;
		break;
	case 's':
	case KEY_F(2):
		snprintf(u->dlg_buf, sizeof(u->dlg_buf), "%s", u->p.name);
		u->dlg = DLG_SAVE;
		break;
	case 'o':
	case KEY_F(3):
		if (u->st != ST_VIEW && !live)
			open_dialog(u);
		break;
	case 'w':
		export_run(u, NULL);
		break;
	case 't':
		if (u->nthemes)
			use_theme(u, u->themes[(u->theme_idx + 1) % u->nthemes]);
		set_msg(u, 0, "theme %s", u->theme.name);
		break;
	case 'g':
		u->spark = u->utf8 ? (enum spark_style)((u->spark + 1) % SPARK_STYLES) : SPARK_ASCII;
		set_msg(u, 0, "sparklines: %s", spark_style_name(u->spark));
		break;
	case 'c':
		clear_earlier(u);
		break;
	default:
		if (ch >= '1' && ch <= '9' && ch - '1' < COL_COUNT) {
			if (u->sort_col == ch - '1')
				u->sort_desc = !u->sort_desc;
			u->sort_col = ch - '1';
		}
		break;
	}
	return 0;
}

/* ---- setup ----------------------------------------------------------- */

static int ui_init(struct ui *u, const struct ui_opts *o)
{
	const char *cs;
	int status;

	memset(u, 0, sizeof(*u));
	u->o = *o;
	u->sort_col = COL_COUNT; /* preset order until a column is chosen */
	setlocale(LC_ALL, "");
	/* Presets and result files must read and write "0.01", never "0,01". */
	setlocale(LC_NUMERIC, "C");
	cs = nl_langinfo(CODESET);
	u->utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	u->spark = u->utf8 ? SPARK_BLOCKS : SPARK_ASCII;
	if (o->open_dir != NULL) {
		char *cause = NULL;
		enum pl_status st = rundir_load(o->open_dir, &u->run_p, &u->res, &cause);

		if (st != PL_OK) {
			fprintf(stderr, "plasticity: %s\n", cause);
			free(cause);
			return pl_status_exit(st);
		}
		preset_copy(&u->p, &u->run_p);
		u->have_results = 1;
		u->st = ST_VIEW;
		for (int m = 0; m < u->res.nmethods; m++)
			for (int r = 0; r < u->res.runs; r++)
				for (int t = 0; t < u->res.tasks; t++)
					u->tasks_done += results_get(&u->res, m, r, t) != NULL;
		u->tasks_total = u->res.nmethods * u->res.runs * u->res.tasks;
	} else if ((status = cli_load_preset(&u->p, o->preset ? o->preset : "quick", o->overrides,
					     o->noverrides)) != 0) {
		return status;
	}
	load_theme_list(u);
	if (theme_find(&u->theme, o->theme ? o->theme : "default", NULL) != PL_OK) {
		char *cause = NULL;

		enum pl_status st = theme_find(&u->theme, o->theme, &cause);

		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		return pl_status_exit(st);
	}
	for (int i = 0; i < u->nthemes; i++)
		if (strcmp(u->themes[i], u->theme.name) == 0)
			u->theme_idx = i;
	rebuild_fields(u);
	return 0;
}


static void ui_free(struct ui *u)
{
	if (u->grid != NULL)
		stop_grid(u);
	if (u->have_results) {
		results_free(&u->res);
		preset_free(&u->run_p);
	}
	clear_earlier(u);
	preset_free(&u->p);
	dataset_free(&u->ds);
	free(u->data_dir);
	free(u->field_err);
	for (int i = 0; i < u->nthemes; i++)
		free(u->themes[i]);
	for (int i = 0; i < u->nlist; i++)
		free(u->list[i]);
}

int ui_main(const struct ui_opts *o)
{
	struct ui u;
	struct pollfd fds[3];
	int status = ui_init(&u, o), quit = 0, sig_fd;
	char *saved = NULL;

	if (status != 0) {
		ui_free(&u);
		return status;
	}
	sig_fd = signals_install();
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	u.color = has_colors() && !o->no_color;
	if (u.color) {
		start_color();
		use_default_colors();
		apply_theme(&u);
	}
	u.dirty = 1;
	while (!quit && !signals_caught()) {
		double gap = 1.0 / REDRAW_HZ - (pl_now() - u.last_draw);
		int nfds = 2, timeout, ch;

		if (u.dirty && gap <= 0) {
			draw(&u);
			gap = 1.0 / REDRAW_HZ;
		}
		/* Dirty: draw as soon as the rate limit allows, so a key is on
		 * screen within one frame. Running: tick for the progress line.
		 * Otherwise sleep until something happens. */
		timeout = u.dirty ? (int)(gap * 1000) + 1 : u.st == ST_RUNNING ? PROGRESS_MS : -1;
		fds[0] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		fds[1] = (struct pollfd){ sig_fd, POLLIN, 0 };
		if (u.grid != NULL)
			fds[nfds++] = (struct pollfd){ grid_wake_fd(u.grid), POLLIN, 0 };
		poll(fds, (nfds_t)nfds, timeout);
		handle_events(&u);
		/* Read keys even when poll() was interrupted: SIGWINCH becomes KEY_RESIZE. */
		timeout(0);
		while (!quit && (ch = getch()) != ERR)
			quit = key(&u, ch);
		if (u.st == ST_RUNNING && pl_now() - u.last_draw >= PROGRESS_MS / 1000.0)
			u.dirty = 1;
	}
	if (signals_caught() && u.have_results && u.st != ST_VIEW) {
		stop_grid(&u);
		export_run(&u, &saved);
	}
	endwin();
	if (saved != NULL) {
		fprintf(stderr, "plasticity: interrupted; %d of %d tasks kept in %s\n", u.tasks_done,
			u.tasks_total, saved);
		free(saved);
	}
	status = pl_status_exit(signals_status());
	ui_free(&u);
	return status;
}

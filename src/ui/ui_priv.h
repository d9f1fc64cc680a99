/*
 * ui_priv.h - the front end's shared state, for its rooms only:
 * screen.c (terminal and colors), keys.c (key -> action table), views.c
 * (the view table), view_main.c (the main view), dialog.c (prompts and the
 * help overlay), ui.c (setup, the run, the event loop).
 *
 * One mode variable says what the keyboard talks to; the run's state (idle,
 * running, ...) is separate, and the results belong to the session, which
 * writes the run directory as it trains.
 */
#ifndef PLASTICITY_UI_PRIV_H
#define PLASTICITY_UI_PRIV_H

#include <curses.h>

#include "plasticity/idx.h"
#include "plasticity/preset_io.h"
#include "plasticity/results.h"
#include "plasticity/session.h"
#include "plasticity/spark.h"
#include "plasticity/table.h"
#include "plasticity/theme.h"
#include "ui/ui.h"

#define MIN_COLS    80
#define MIN_LINES   24
#define FORM_WIDTH  34
#define MAX_FIELDS  512
#define MAX_EARLIER 24
#define MAX_LIST    64
#define MAX_ERRORS  16

enum ui_state { ST_IDLE, ST_RUNNING, ST_PAUSED, ST_DONE, ST_STOPPED, ST_VIEW };

/* What keys go to: the view, the form, a field being typed, or an overlay. */
enum ui_mode {
	MODE_VIEW,
	MODE_FORM,
	MODE_EDIT,
	MODE_HELP,
	MODE_QUIT,
	MODE_SAVE,
	MODE_OPEN
};

/* A finished curve from an earlier configuration, kept on screen to compare. */
struct curve {
	struct table_row row;
	double *acc;
	int n;
	int method; /* the method index it had, for its glyph */
};

struct dirlock;

struct ui {
	struct ui_opts o;
	struct preset p;      /* the form */
	struct session *sess; /* the current run (live or over), or NULL */
	struct dirlock *lock; /* the session's run directory, held while shown */
	struct preset view_p; /* --open: the preset and results shown */
	struct results view_res;
	int viewing;
	char *unpaired; /* --open A B: why their runs do not pair (NULL: they do) */
	struct dataset ds;
	char *data_dir;
	enum ui_state st;
	enum ui_mode mode;
	int view;         /* index into ui_views */
	int diag_layer;   /* diagnostics view: 0 = mean over layers, else layer l */
	int diag_scroll;  /* diagnostics view: first metric shown */
	int heat_method;  /* heatmap view: the method shown ([ and ] change it) */
	int table_metric; /* main table: 0 none, k + 1 the k-th diagnostic (m cycles) */
	struct comparison *cmp; /* compare_results of the results shown, ... */
	int ncmp;
	const void *cmp_res; /* ... for these results ... */
	long cmp_done;       /* ... with this many tasks done */
	struct curve earlier[MAX_EARLIER];
	int nearlier;
	struct form_field fields[MAX_FIELDS];
	int nfields, cursor, scroll;
	char edit[128];
	char *field_err;
	int sort_col, sort_desc;
	enum spark_style spark;
	int spark_per_row; /* main view: each sparkline on its own scale (y) */
	int help_scroll;   /* first help line shown when it is taller than the screen */
	char reused_note[64]; /* " (N of M runs reused)" for the done message */
	/* The time a start would take: rates measured once per network shape. */
	char est_shape[160];
	double est_rates[OPTIM_RATES + 1];
	char *est_key; /* the form and results est_value was computed for */
	double est_value;
	int utf8, color;
	struct theme theme;
	char *themes[MAX_LIST];
	int nthemes, theme_idx;
	char dlg_buf[256];
	char *list[MAX_LIST];
	int nlist, list_cur;
	char msg[512];
	int msg_err;
	char *errors[MAX_ERRORS]; /* shown on the status line, printed after the screen
	                             closes */
	int nerrors;
	char *past[MAX_EARLIER]; /* run directories of earlier grids, named after q */
	int npast;
	int dirty;
	double last_draw;
};

/* A view: one entry in ui_views (views.c), its own file. */
struct view_ops {
	const char *name;
	void (*draw)(struct ui *u);
	/* Keys the global table (keys.c) does not take; returns 1 to quit. */
	int (*key)(struct ui *u, int ch);
};
extern const struct view_ops ui_views[];
extern const int ui_nviews;

/* screen.c */
void screen_start(struct ui *u);
void screen_end(void);
attr_t role_attr(const struct ui *u, enum theme_role r);
int use_theme(struct ui *u, const char *name);
const char *glyph(const struct ui *u, int method);
int utf8_extra(const char *s);
void put(int y, int x, int w, attr_t a, const char *s);
void bar(struct ui *u, int y, enum theme_role r, const char *s);
void draw_box(struct ui *u, int h, int w, const char *const *lines, int nlines,
              int highlight);
void set_msg(struct ui *u, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* keys.c: returns 1 when the UI should quit. */
int ui_key(struct ui *u, int ch);

/* view_diag.c: the k-th diagnostic column (NULL past the last), and a
 * method's value of it on its latest measured task (mean over runs; per-layer
 * metrics: the mean over layers). */
struct result_column;
const struct result_column *ui_metric(int k);
double ui_metric_latest(const struct results *res, int m,
                        const struct result_column *col);

/* The message, progress, run-directory and status lines (4 rows from y). */
void ui_draw_footer(struct ui *u, int y);

/* view_main.c: the form's keys (MODE_FORM, MODE_EDIT); a table row for method m */
void fill_row(const struct ui *u, const struct results *res, int m,
              struct table_row *row);
void form_key(struct ui *u, int ch);
void rebuild_fields(struct ui *u);

/* dialog.c */
void dialog_draw(struct ui *u);
int dialog_key(struct ui *u, int ch);
void dialog_open(struct ui *u);

/* ui.c: the run */
const struct results *ui_results(const struct ui *u);
const struct preset *ui_run_preset(const struct ui *u);
int ui_live(const struct ui *u);
void ui_start_run(struct ui *u);
void ui_stop_run(struct ui *u);
void ui_toggle_pause(struct ui *u);
void ui_export(struct ui *u);
/* e on an opened run: its preset becomes the form's, to edit and train with
 * r into a new run directory; the opened curves stay on screen, and become
 * earlier curves (and reused runs) when it starts. */
void ui_fork(struct ui *u);
/* f: every figure of the results shown, as PNG, into their run directory's
 * figures/ folder (plot.h). */
void ui_figures(struct ui *u);
void ui_clear_earlier(struct ui *u);
void ui_progress(const struct ui *u, struct session_progress *pr);
/* Seconds the form's grid would take here (estimate.c), or -1. */
double ui_estimate(struct ui *u);

#endif

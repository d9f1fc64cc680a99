/*
 * ui.h - the ncurses front end: the settings form, live sparklines, the
 * comparison table. Only the UI thread calls curses; training runs in the
 * grid's worker threads (grid.h), which never touch the screen.
 */
#ifndef PLASTICITY_UI_H
#define PLASTICITY_UI_H

#include <stddef.h>

#include "plasticity/preset_io.h"
#include "plasticity/status.h"

struct ui_opts {
	const char *preset; /* path or name; NULL = quick */
	char **overrides;   /* KEY=VALUE */
	int noverrides;
	const char *theme;    /* --theme, NULL = default */
	int no_color;         /* --no-color or NO_COLOR */
	const char *open_dir; /* --open: a finished run directory, read-only */
	char **open_more;     /* ... and more to show beside it (merged) */
	int nopen_more;
	const char *resume_dir; /* --resume: a run directory to continue training */
	const char *data_dir;   /* --data-dir */
	int jobs;               /* --jobs, 0 = cores */
};

/* Run the front end until the user quits; returns the exit status. */
int ui_main(const struct ui_opts *o);

/* The form: one row per editable preset key, methods' keys included. */
struct form_field {
	char key[48];   /* override path: "tasks", "methods.1.lr" */
	char label[32]; /* as shown: "tasks", "  lr", "  ε (rho)" */
	int method;     /* -1 for a top-level key */
	const struct schema_entry *e;
};

/* Build the rows for p (they depend on each method's optimizer). */
int form_fields(const struct preset *p, struct form_field *out, int max, int utf8);
/* The field's current value as text. */
void form_value(const struct preset *p, const struct form_field *f, char *buf,
                size_t len);
/* Set the field from text; p is unchanged and *cause set when invalid. */
enum pl_status form_set(struct preset *p, const struct form_field *f, const char *text,
                        char **cause);
/* Enumerations and booleans: set the next choice. Returns 1 when set, -1
 * when the preset refuses it (*cause says why), 0 if not a choice field. */
int form_cycle(struct preset *p, const struct form_field *f, char **cause);

/* Help overlay text: lines of keys and metric definitions, NULL-terminated. */
extern const char *const help_lines[];
/* ... and the diagnostics view's: its keys and every metric's definition. */
extern const char *const diag_help_lines[];
/* ... and the accuracy-matrix view's: BWT and forgetting. */
extern const char *const heat_help_lines[];

#endif

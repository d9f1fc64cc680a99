/*
 * preset_io.h - a preset's YAML form, described by one schema table
 * (preset_schema / method_schema: key, type, range, default, help) that drives
 * loading, validation, KEY=VALUE overrides, --print-config, --help and the
 * man page's PRESET section. Which optimizers take a method key follows from
 * the optimizer table (optim.h).
 */
#ifndef PLASTICITY_PRESET_IO_H
#define PLASTICITY_PRESET_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plasticity/preset.h"
#include "plasticity/status.h"

enum schema_type {
	SCHEMA_INT,
	SCHEMA_UINT64,
	SCHEMA_FLOAT,
	SCHEMA_BOOL,
	SCHEMA_STRING,
	SCHEMA_ENUM,
	SCHEMA_INT_LIST,
	SCHEMA_METHODS
};

struct schema_entry {
	const char *key;
	enum schema_type type;
	double min, max;     /* inclusive range for numbers and list items */
	const char *choices; /* SCHEMA_ENUM: "domain|class" */
	const char *def;     /* default, as written in YAML */
	const char *help;
	size_t offset; /* into struct preset or struct method */
	size_t size;   /* of the field (strings: buffer size) */
};

extern const struct schema_entry preset_schema[];
extern const size_t preset_schema_len;
extern const struct schema_entry method_schema[];
extern const size_t method_schema_len;

/* Fill p with every default (no methods: nmethods = 0). */
void preset_defaults(struct preset *p);
/* Fill m with the method defaults for optimizer o. */
void method_defaults(struct method *m, enum optimizer o);

/*
 * Load a preset from a YAML file over the defaults. Errors are
 * "file:line:col: message" in *cause, status PL_ERR_CONFIG (PL_ERR_NOINPUT if
 * the file cannot be opened). Unknown keys, duplicate keys, wrong types,
 * out-of-range values, rho/lambda/r given to the wrong optimizer and an empty
 * method list are errors. name defaults to the file's stem.
 */
enum pl_status preset_load(struct preset *p, const char *path, char **cause);
/* The same from a string; origin is used in messages in place of a file. */
enum pl_status preset_load_string(struct preset *p, const char *yaml, const char *origin,
                                  char **cause);

/*
 * Apply one KEY=VALUE override: a top-level key (tasks=5, hidden=[100,100],
 * hidden=100,100), methods.N.KEY=VALUE for method N (from 0), or
 * methods.KEY=VALUE for every method. Re-validates; PL_ERR_CONFIG on error
 * with a message naming the argument.
 */
enum pl_status preset_override(struct preset *p, const char *assignment, char **cause);
/*
 * Apply n overrides in order, each value checked as it is applied; the
 * checks that involve several keys (class tasks <= 45, the network's size)
 * run once after all of them, so their order does not matter.
 */
enum pl_status preset_overrides(struct preset *p, char *const *assignments, int n,
                                char **cause);

/* Cross-field checks (also done by load and override). */
enum pl_status preset_validate(const struct preset *p, const char *origin, char **cause);

/* Write the fully resolved preset as YAML that loads back to the same preset. */
void preset_write(const struct preset *p, FILE *fp);

/* Whether method key e (a row of method_schema) applies to m's optimizer. */
int method_takes(const struct method *m, const struct schema_entry *e);
/* Whether the settings form shows method key e for m: a key m's optimizer
 * takes, and of a remedy, only its lead keys (base, l2_init, shrink,
 * perturb, redo, cbp_rate, from_scratch) unless m uses it. */
int method_key_shown(const struct method *m, const struct schema_entry *e);
/* The value of schema row e in base (a struct preset or struct method) as
 * preset_write writes it (YAML; numbers in full precision). */
void preset_value_write(const struct schema_entry *e, const void *base, FILE *fp);

/* "sgd lr=0.01", "sam lr=0.01 rho=0.05", "gnp lr=0.01 lambda=0.1 r=0.01". */
void method_label(const struct method *m, char *buf, size_t len);
/* What sets method m of p apart (Hydra-style): its origin, its optimizer
 * and only the keys whose values differ between the methods of that
 * optimizer, "#N" added when two methods are alike in everything:
 * "sam rho=0.05" beside "sam rho=0.1" when both train at one lr. */
void method_label_short(const struct preset *p, int m, char *buf, size_t len);
const char *optimizer_name(enum optimizer o);
const char *setting_name(enum setting s);

/*
 * Describe every preset and method key (type, range, default, help): as
 * plain text for --help (roff = 0) or as man(7) source for the man page's
 * PRESET section (roff = 1).
 */
void preset_schema_print(FILE *fp, int roff);

/* The window key as a task count (at least 1), or -1 when it is malformed:
 * "N" (1..tasks) or "P%" (0 < P <= 100; P% of tasks, rounded). */
int preset_window(const struct preset *p);
/* Whether two methods set every method key alike (origin aside). */
int method_equal(const struct method *a, const struct method *b);
/* Whether a run of one method gives the same numbers and files under a and
 * b: every key but name, methods, runs and the analysis keys (baseline,
 * compare, window) is equal. */
int preset_same_grid(const struct preset *a, const struct preset *b);
void preset_free(struct preset *p);
/* Deep copy (data_dir duplicated). */
void preset_copy(struct preset *dst, const struct preset *src);

#endif

/*
 * cli.h - the command line's pieces: options shared by the subcommands.
 */
#ifndef PLASTICITY_CLI_H
#define PLASTICITY_CLI_H

#include "plasticity/preset_io.h"
#include "plasticity/signals.h"

struct cli_opts {
	const char *out;      /* --out */
	const char *data_dir; /* --data-dir */
	int jobs;             /* --jobs, 0 = number of cores */
	int quiet;            /* --quiet */
	int force;            /* --force */
	int print_config;     /* --print-config */
	const char *resume;   /* --resume DIR */
	int retrain_broken;   /* --retrain-broken */
};

/* Load the preset and apply KEY=VALUE overrides; prints the error, returns the
 * exit status (0 on success). */
int cli_load_preset(struct preset *p, const char *arg, char **overrides, int noverrides);

/* plasticity run: returns the exit status. */
int cli_run(const struct cli_opts *o, const char *preset_arg, char **overrides,
            int noverrides);
/* plasticity plot DIR: the figures of a run directory into PREFIX (default
 * DIR/figures/) as png, svg or pdf (default png); returns the exit status. */
int cli_plot(const char *dir, const char *format, const char *prefix);
/* plasticity compare DIR...: returns the exit status. */
/* plasticity compare DIR... [baseline=N] [compare=...] [window=W] */
int cli_compare(char *const *args, int nargs);
/* plasticity --info: returns the exit status. */
int cli_info(const struct cli_opts *o, const char *preset_arg);

#endif

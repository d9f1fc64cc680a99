/*
 * cli.h - the command line's pieces: options shared by the subcommands.
 */
#ifndef PLASTICITY_CLI_H
#define PLASTICITY_CLI_H

#include "plasticity/preset_io.h"

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

/* Find a preset by path or by name (experiments/, user and installed presets);
 * returns a new string, or NULL with the places looked at in *cause. */
char *cli_find_preset(const char *arg, char **cause);

/* Load the preset and apply KEY=VALUE overrides; prints the error, returns the
 * exit status (0 on success). */
int cli_load_preset(struct preset *p, const char *arg, char **overrides, int noverrides);

/* Route SIGINT, SIGTERM and SIGHUP to a pipe; returns its read end. Safe to
 * call early (before anything is written) and more than once. */
int signals_install(void);
/* The last signal caught, or 0. */
int signals_caught(void);
/* What the caught signal means for the exit status: PL_ERR_INTERRUPTED
 * (SIGINT, 130), PL_ERR_TERMINATED (SIGTERM, 143), PL_ERR_HANGUP (SIGHUP,
 * 129), or PL_OK when none was caught. */
enum pl_status signals_status(void);

/* The data folder for p: --data-dir if given (used as it is, or its
 * <dataset> subfolder), else the first complete place of the lookup order;
 * NULL if none. Newly allocated. */
char *cli_data_dir(const struct cli_opts *o, const struct preset *p);

/* plasticity run: returns the exit status. */
int cli_run(const struct cli_opts *o, const char *preset_arg, char **overrides,
	    int noverrides);
/* plasticity --info: returns the exit status. */
int cli_info(const struct cli_opts *o, const char *preset_arg);

#endif

/*
 * plot.c - plasticity plot DIR: the figures of a run directory (plot.h),
 * from what its files hold, so a grid still training can be plotted too.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "plasticity/plot.h"
#include "plasticity/rundir.h"
#include "plasticity/util.h"

static void print_path(void *ctx, const char *path)
{
	(void)ctx;
	printf("%s\n", path);
}

int cli_plot(const char *dir, const char *format, const char *prefix)
{
	struct plot_opts po = {PLOT_PNG, NULL, 0, print_path, NULL};
	struct preset p = {0};
	struct results res;
	char *cause = NULL, *def = NULL;
	enum pl_status st;
	double t0;
	int n = 0;

	if (format != NULL && plot_format_parse(format, &po.format) != 0) {
		fprintf(stderr,
		        "plasticity: plot: --format: expected png, svg or pdf, got "
		        "'%s'\n",
		        format);
		return pl_status_exit(PL_ERR_USAGE);
	}
	st = rundir_load(dir, &p, &res, &cause);
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: %s\n", cause);
		free(cause);
		preset_free(&p);
		return pl_status_exit(st);
	}
	po.prefix = prefix != NULL ? prefix : (def = xasprintf("%s/figures/", dir));
	t0 = pl_now();
	st = plot_all(&res, &po, &n, &cause);
	if (st != PL_OK)
		fprintf(stderr, "plasticity: %s: %s\n", dir, cause);
	else
		fprintf(stderr, "plasticity: %d figures in %.2f s\n", n, pl_now() - t0);
	free(cause);
	free(def);
	results_free(&res);
	preset_free(&p);
	plot_cleanup();
	return pl_status_exit(st);
}

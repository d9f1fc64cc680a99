/*
 * compare.c - plasticity compare DIR...: the methods of several run
 * directories in one table, with paired statistics where their runs share
 * seeds, data and settings (rundir_merge), refused naming the key where not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "plasticity/compare.h"
#include "plasticity/preset_io.h"
#include "plasticity/rundir.h"
#include "plasticity/util.h"

static int compare_dirs(char *const *dirs, int n, char *const *sets, int nsets);

/* The keys compare may override: how the runs are compared, not what ran. */
static int comparison_key(const char *arg)
{
	static const char *const keys[] = {"baseline=", "compare=", "window="};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strncmp(arg, keys[i], strlen(keys[i])) == 0)
			return 1;
	return 0;
}

int cli_compare(char *const *args, int nargs)
{
	char **dirs, **sets;
	int n = 0, nsets = 0, st;

	dirs = xcalloc((size_t)nargs + 1, sizeof(*dirs));
	sets = xcalloc((size_t)nargs + 1, sizeof(*sets));
	for (int i = 0; i < nargs; i++) {
		if (comparison_key(args[i]))
			sets[nsets++] = args[i];
		else if (strchr(args[i], '=') != NULL && access(args[i], F_OK) != 0) {
			fprintf(stderr,
			        "plasticity: compare: '%s': only baseline, compare and "
			        "window "
			        "can be set here\n",
			        args[i]);
			free(dirs);
			free(sets);
			return pl_status_exit(PL_ERR_USAGE);
		} else
			dirs[n++] = args[i];
	}
	st = compare_dirs(dirs, n, sets, nsets);
	free(dirs);
	free(sets);
	return st;
}

/* The merged view of dirs, compared under the overrides sets. */
static int compare_dirs(char *const *dirs, int n, char *const *sets, int nsets)
{
	struct preset p = {0};
	struct results res;
	char *cause = NULL, *mismatch = NULL;
	enum pl_status st;

	if (n < 1) {
		fputs("plasticity: compare: expected one or more run directories\n"
		      "Try 'plasticity --help'.\n",
		      stderr);
		return pl_status_exit(PL_ERR_USAGE);
	}
	st = rundir_merge(dirs, n, &p, &res, &mismatch, &cause);
	if (st != PL_OK) {
		fprintf(stderr, "plasticity: compare: %s\n", cause);
		free(cause);
		preset_free(&p);
		return pl_status_exit(st);
	}
	if (nsets > 0 && preset_overrides(&p, sets, nsets, &cause) != PL_OK) {
		fprintf(stderr, "plasticity: compare: %s\n", cause);
		free(cause);
		free(mismatch);
		results_free(&res);
		preset_free(&p);
		return pl_status_exit(PL_ERR_USAGE);
	}
	for (int i = 0; i < n; i++)
		printf("%c: %s\n", 'A' + i % 26, dirs[i]);
	putchar('\n');
	results_print_summary(&res, stdout);
	if (mismatch == NULL) {
		compare_print(&res, stdout);
		compare_print_correlations(&res, stdout);
	} else {
		fprintf(stderr,
		        "plasticity: compare: no paired statistics: %s, so run i of one "
		        "is "
		        "not run i of the other\n",
		        mismatch);
		st = PL_ERR_DATA;
	}
	free(mismatch);
	results_free(&res);
	preset_free(&p);
	return pl_status_exit(st);
}

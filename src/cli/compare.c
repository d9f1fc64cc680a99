/*
 * compare.c - plasticity compare DIR...: the methods of several run
 * directories in one table, with paired statistics where their runs share
 * seeds, data and settings (rundir_merge), refused naming the key where not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "plasticity/compare.h"
#include "plasticity/rundir.h"

int cli_compare(char *const *dirs, int n)
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

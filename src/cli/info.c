/*
 * info.c - `plasticity --info`: versions, and every place data is looked for.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "cli/cli.h"
#include "plasticity/cluster.h"
#include "plasticity/blas.h"
#include "plasticity/idx.h"

static void visit(const char *dir, const char *origin, int found, void *arg)
{
	printf("  %-30s %s  (%s)\n", origin, dir, found ? "found" : "not found");
}

int cli_info(const struct cli_opts *o, const char *preset_arg)
{
	static const char *const names[] = {"mnist", "fashion-mnist"};
	struct preset p;
	int status = 0;

	preset_defaults(&p);
	if (preset_arg != NULL &&
	    (status = cli_load_preset(&p, preset_arg, NULL, 0)) != 0)
		return status;
	printf("plasticity %s\n", PACKAGE_VERSION);
	printf("BLAS core: %s\n", blas_corename());
	printf("MPI: %s\n", cluster_library());
	printf("installed presets: %s/experiments\n", PL_DATADIR);
	for (int i = 0; i < 2; i++) {
		char *found;

		printf("%s, looked for in this order:\n", names[i]);
		found = dataset_locate(names[i], o->data_dir, p.data_dir, visit, NULL);
		printf("  -> %s\n", found ? found : "none: run scripts/fetch-data");
		free(found);
	}
	preset_free(&p);
	return 0;
}

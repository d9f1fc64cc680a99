/*
 * rundir.c - writing and reading a run directory.
 *
 * The same files come from `plasticity run` and from the UI's export, and
 * the UI reads them back to show a finished batch run.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "plasticity/preset_io.h"
#include "plasticity/blas.h"
#include "plasticity/compare.h"
#include "plasticity/rundir.h"
#include "plasticity/util.h"

char *rundir_default(const struct preset *p)
{
	char stamp[32];
	time_t now = time(NULL);

	char *dir;
	struct stat sb;

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	dir = xasprintf("runs/%s-%s", p->name, stamp);
	/* Two runs started in the same second get -2, -3, ... */
	for (int i = 2; stat(dir, &sb) == 0; i++) {
		free(dir);
		dir = xasprintf("runs/%s-%s-%d", p->name, stamp, i);
	}
	return dir;
}

enum pl_status rundir_create(const char *dir, int force, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int nonempty = 0;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				nonempty = 1;
		closedir(d);
		if (nonempty && !force)
			return pl_fail(cause, PL_ERR_CANTCREAT,
			               "%s: run directory exists and is not empty (use "
			               "--force to "
			               "overwrite)",
			               dir);
	}
	return mkdir_p(dir, cause);
}

/* Remove "*.tmp.PID" files in dir left by a process that was killed. */
static void clean_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp.") != NULL) {
			char *path = xasprintf("%s/%s", dir, e->d_name);

			unlink(path);
			free(path);
		}
	if (d != NULL)
		closedir(d);
}

void rundir_clean(const char *dir)
{
	char *ckpt = xasprintf("%s/checkpoints", dir);

	clean_tmp(dir);
	clean_tmp(ckpt);
	free(ckpt);
}

/* methods.csv: every method key of every method, so the files describe
 * themselves (keys that do not apply to a method's optimizer are empty). */
static enum pl_status write_methods(const char *dir, const struct preset *p, char **cause)
{
	char *path = xasprintf("%s/methods.csv", dir), label[128];
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	free(path);
	if (st != PL_OK)
		return st;
	fputs("method_index,method", af.fp);
	for (size_t k = 0; k < method_schema_len; k++)
		fprintf(af.fp, ",%s", method_schema[k].key);
	fputc('\n', af.fp);
	for (int m = 0; m < p->nmethods; m++) {
		method_label(&p->methods[m], label, sizeof(label));
		fprintf(af.fp, "%d,%s", m, label);
		for (size_t k = 0; k < method_schema_len; k++) {
			fputc(',', af.fp);
			if (method_takes(&p->methods[m], &method_schema[k]))
				preset_value_write(&method_schema[k], &p->methods[m],
				                   af.fp);
		}
		fputc('\n', af.fp);
	}
	return atomic_commit(&af, cause);
}

enum pl_status rundir_write_preset(const char *dir, const struct preset *p, char **cause)
{
	char *path = xasprintf("%s/preset.yaml", dir);
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);
	time_t now = time(NULL);
	char stamp[64];

	free(path);
	if (st != PL_OK)
		return st;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	/* No path in a comment: a newline in one would turn the rest into YAML.
	 * The run's folder and data are values in identity.yaml. */
	fprintf(af.fp,
	        "# Resolved preset of this run: `plasticity run DIR/preset.yaml` repeats "
	        "it.\n"
	        "# plasticity %s, %s, BLAS core %s; identity.yaml records the data.\n",
	        PACKAGE_VERSION, stamp, blas_corename());
	preset_write(p, af.fp);
	st = atomic_commit(&af, cause);
	return st == PL_OK ? write_methods(dir, p, cause) : st;
}

enum pl_status rundir_write_results(const char *dir, const struct results *res,
                                    unsigned what, char **cause)
{
	char *path = xasprintf("%s/results.csv", dir);
	enum pl_status st = results_write_csv(res, path, cause);

	free(path);
	if (st == PL_OK && (what & RUNDIR_FINAL) && !(what & RUNDIR_NO_PAIRS) &&
	    res->p->nmethods > 1) {
		path = xasprintf("%s/comparisons.csv", dir);
		st = compare_write_csv(res, path, cause);
		free(path);
	}
	if (st == PL_OK && (what & RUNDIR_FINAL)) {
		path = xasprintf("%s/summary.csv", dir);
		st = results_write_summary(res, path, cause);
		free(path);
	}
	if (st == PL_OK && (what & RUNDIR_FINAL) && results_scratch(res) >= 0) {
		path = xasprintf("%s/gap.csv", dir);
		st = results_write_gap(res, path, cause);
		free(path);
	}
	if (st == PL_OK && (what & (RUNDIR_FINAL | RUNDIR_MATRIX)) &&
	    res->p->accuracy_matrix) {
		path = xasprintf("%s/accuracy_matrix.csv", dir);
		st = results_write_matrix(res, path, cause);
		free(path);
	}
	return st;
}

enum pl_status rundir_load(const char *dir, struct preset *p, struct results *res,
                           char **cause)
{
	char *path = xasprintf("%s/preset.yaml", dir);
	enum pl_status st = preset_load(p, path, cause);

	free(path);
	if (st != PL_OK)
		return st;
	results_init(res, p);
	path = xasprintf("%s/results.csv", dir);
	st = results_read_csv(res, path, cause);
	free(path);
	if (st == PL_OK && p->accuracy_matrix) {
		path = xasprintf("%s/accuracy_matrix.csv", dir);
		st = results_read_matrix(res, path, cause);
		free(path);
	}
	/* Nothing read is kept from a file that was refused. */
	if (st != PL_OK)
		results_free(res);
	return st;
}

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
#include "plasticity/blas.h"
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
				       "%s: run directory exists and is not empty (use --force to "
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
		"# Resolved preset of this run: `plasticity run DIR/preset.yaml` repeats it.\n"
		"# plasticity %s, %s, BLAS core %s; identity.yaml records the data.\n",
		PACKAGE_VERSION, stamp, blas_corename());
	preset_write(p, af.fp);
	return atomic_commit(&af, cause);
}

enum pl_status rundir_write_results(const char *dir, const struct results *res, int final,
				    char **cause)
{
	char *path = xasprintf("%s/results.csv", dir);
	enum pl_status st = results_write_csv(res, path, cause);

	free(path);
	if (st == PL_OK && final) {
		path = xasprintf("%s/summary.csv", dir);
		st = results_write_summary(res, path, cause);
		free(path);
	}
	if (st == PL_OK && final && res->p->accuracy_matrix) {
		path = xasprintf("%s/accuracy_matrix.csv", dir);
		st = results_write_matrix(res, path, cause);
		free(path);
	}
	return st;
}

/* Split a CSV line in place at commas (no quoting in our files). */
static int split_csv(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max;) {
		f[n++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static double field_num(const char *s)
{
	return *s ? strtod(s, NULL) : NAN;
}

/* One row of results.csv into res; 0 on success. */
static int load_row(struct results *res, char **f, int method)
{
	struct task_result *r = xcalloc(1, res->cell_size);
	int run = atoi(f[5]) - 1, task = atoi(f[7]) - 1, ok = 0;

	if (run >= 0 && run < res->runs && task >= 0 && task < res->tasks) {
		r->task = task;
		r->digit_a = r->digit_b = -1;
		if (*f[8])
			sscanf(f[8], "%d-%d", &r->digit_a, &r->digit_b);
		r->test_acc = field_num(f[9]);
		r->train_loss = field_num(f[10]);
		r->diverged = atoi(f[11]);
		r->seconds = field_num(f[12]);
		r->samples_per_s = field_num(f[13]);
		results_put(res, method, run, r);
		ok = 1;
	}
	free(r);
	return ok ? 0 : -1;
}

enum pl_status rundir_load(const char *dir, struct preset *p, struct results *res,
			   char **cause)
{
	char *path = xasprintf("%s/preset.yaml", dir), line[1024], *f[16], label[128];
	enum pl_status st = preset_load(p, path, cause);
	FILE *fp = NULL;
	int lineno = 0;

	if (st != PL_OK)
		goto out;
	results_init(res, p);
	free(path);
	path = xasprintf("%s/results.csv", dir);
	fp = fopen(path, "r");
	if (fp == NULL) {
		st = pl_fail(cause, PL_ERR_NOINPUT, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		int m = -1;

		if (++lineno == 1)
			continue;
		if (split_csv(line, f, 16) != 14) {
			st = pl_fail(cause, PL_ERR_DATA, "%s:%d: expected 14 fields", path, lineno);
			goto out;
		}
		for (int i = 0; i < p->nmethods && m < 0; i++) {
			method_label(&p->methods[i], label, sizeof(label));
			if (strcmp(label, f[0]) == 0)
				m = i;
		}
		if (m < 0 || load_row(res, f, m) != 0) {
			st = pl_fail(cause, PL_ERR_DATA, "%s:%d: row does not match preset.yaml",
				     path, lineno);
			goto out;
		}
	}
out:
	if (fp != NULL)
		fclose(fp);
	free(path);
	return st;
}

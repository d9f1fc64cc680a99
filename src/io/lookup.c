/*
 * lookup.c - the preset search path and the data folder, listed once
 * (lookup.h).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plasticity/idx.h"
#include "plasticity/lookup.h"
#include "plasticity/util.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

/* The preset folders in lookup order; returns how many (2 without a home). */
static int preset_dirs(char *dirs[3])
{
	int n = 0;
	char *user = pl_config_dir("presets");

	dirs[n++] = xstrdup("experiments");
	if (user != NULL)
		dirs[n++] = user;
	dirs[n++] = xstrdup(PL_DATADIR "/experiments");
	return n;
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

char *lookup_preset(const char *arg, char **cause)
{
	char *dirs[3], *found = NULL;
	int n;

	if (strchr(arg, '/') != NULL || exists(arg)) {
		if (exists(arg))
			return xstrdup(arg);
		pl_fail(cause, PL_ERR_NOINPUT, "%s: no such preset file", arg);
		return NULL;
	}
	n = preset_dirs(dirs);
	for (int i = 0; i < n && found == NULL; i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], arg);

		if (exists(path))
			found = path;
		else
			free(path);
	}
	if (found == NULL) {
		char *list = n == 3 ? xasprintf("%s, %s, %s", dirs[0], dirs[1], dirs[2])
		                    : xasprintf("%s, %s", dirs[0], dirs[1]);

		pl_fail(cause, PL_ERR_NOINPUT,
		        "%s: no such preset (looked for %s.yaml in %s)", arg, arg, list);
		free(list);
	}
	for (int i = 0; i < n; i++)
		free(dirs[i]);
	return found;
}

enum pl_status lookup_preset_load(struct preset *p, const char *arg, char **overrides,
                                  int noverrides, char **cause)
{
	char *path = lookup_preset(arg, cause);
	enum pl_status st = PL_ERR_NOINPUT;

	if (path != NULL)
		st = preset_load(p, path, cause);
	if (st == PL_OK)
		st = preset_overrides(p, overrides, noverrides, cause);
	free(path);
	return st;
}

static int list_from(const char *dir, char **out, int n, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL && n < max) {
		size_t len = strlen(e->d_name);

		if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
			out[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	if (d != NULL)
		closedir(d);
	return n;
}

int lookup_preset_list(char **out, int max)
{
	char *dirs[3];
	int n = 0, ndirs = preset_dirs(dirs);

	for (int i = 0; i < ndirs; i++) {
		n = list_from(dirs[i], out, n, max);
		free(dirs[i]);
	}
	return n;
}

char *lookup_user_presets(void)
{
	char *dir = pl_config_dir("presets");

	return dir ? dir : xstrdup("./.config/plasticity/presets");
}

char *lookup_data_dir(const char *data_dir, const struct preset *p)
{
	char *sub;

	if (data_dir == NULL)
		return dataset_locate(p->dataset, NULL, p->data_dir, NULL, NULL);
	/* A folder named on the command line is used, never silently skipped:
	 * loading it then says exactly what is wrong with it. */
	sub = xasprintf("%s/%s", data_dir, p->dataset);
	if (dataset_dir_complete(sub))
		return sub;
	free(sub);
	return xstrdup(data_dir);
}

/*
 * lookup.h - where presets and data are found, for the command line and the
 * UI alike. The preset folders are listed once, here: a preset name is
 * looked up, and the UI's open dialog lists, in the same folders and order.
 */
#ifndef PLASTICITY_LOOKUP_H
#define PLASTICITY_LOOKUP_H

#include "plasticity/preset_io.h"
#include "plasticity/status.h"

/* Find a preset by path or by name (experiments/, user and installed presets);
 * returns a new string, or NULL with the places looked at in *cause. */
char *lookup_preset(const char *arg, char **cause);

/* lookup_preset, preset_load, then the KEY=VALUE overrides. */
enum pl_status lookup_preset_load(struct preset *p, const char *arg, char **overrides,
                                  int noverrides, char **cause);

/* Paths of every *.yaml in the preset folders, in lookup order, up to max
 * (newly allocated strings); returns how many. */
int lookup_preset_list(char **out, int max);

/* Where saved presets go: the user folder, ./.config/... when no home is known. */
char *lookup_user_presets(void);

/* The data folder for p: data_dir (--data-dir) if given, used as it is or its
 * <dataset> subfolder; else the first complete place of the lookup order
 * (idx.h); NULL if none. Newly allocated. */
char *lookup_data_dir(const char *data_dir, const struct preset *p);

#endif

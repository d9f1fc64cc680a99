/*
 * rundir.h - the run directory that `plasticity run` and the UI's export
 * both write: preset.yaml, results.csv, summary.csv, accuracy_matrix.csv.
 * Every file is written to a temporary name and renamed into place.
 */
#ifndef PLASTICITY_RUNDIR_H
#define PLASTICITY_RUNDIR_H

#include "plasticity/preset.h"
#include "plasticity/results.h"

/* "runs/NAME-YYYYmmdd-HHMMSS", with -2, -3, ... if that exists (newly allocated). */
char *rundir_default(const struct preset *p);

/* Create dir (mkdir -p); a non-empty existing one is refused unless force. */
enum pl_status rundir_create(const char *dir, int force, char **cause);

/* preset.yaml (the resolved preset with a comment naming version and BLAS
 * core) and methods.csv (every key of every method, by index). */
enum pl_status rundir_write_preset(const char *dir, const struct preset *p, char **cause);

#define RUNDIR_FINAL    1u /* also summary.csv and accuracy_matrix.csv */
#define RUNDIR_MATRIX   2u /* also accuracy_matrix.csv (before a checkpoint goes) */
#define RUNDIR_NO_PAIRS 4u /* no comparisons.csv: the runs do not pair (rundir_merge) */

/* results.csv, and what `what` asks for; accuracy_matrix.csv only when the
 * preset records it. */
enum pl_status rundir_write_results(const char *dir, const struct results *res,
                                    unsigned what, char **cause);

/* Remove temporary files a killed writer left in dir and dir/checkpoints. */
void rundir_clean(const char *dir);

/*
 * Read a run directory back (preset.yaml, results.csv and, when recorded,
 * accuracy_matrix.csv) for --resume and viewing: p is loaded, res
 * initialized over it and filled. Errors name the file, line and field;
 * on error res holds nothing (it is freed) and p must still be freed.
 */
enum pl_status rundir_load(const char *dir, struct preset *p, struct results *res,
                           char **cause);

/*
 * Several run directories as one grid (merge.c): their methods in order,
 * each labelled A:, B:, ... after its directory, every finished cell copied.
 * They must have equal task counts. *mismatch (may be NULL) stays NULL when
 * the runs pair up (every key that shapes a run apart from the methods, and
 * the data's checksum, agree) and otherwise names the first directory and
 * key that differ (newly allocated). p must be freed, res too on success.
 */
enum pl_status rundir_merge(char *const *dirs, int n, struct preset *p,
                            struct results *res, char **mismatch, char **cause);

/*
 * Rerun only what changed: into dst (initialized over its preset, nothing
 * done yet) every finished run of src (all tasks done, or stopped where it
 * diverged) whose method dst has unchanged (method_equal), when the grids
 * agree (preset_same_grid): run i of such a method would give these numbers
 * again; nothing when dst saves weights (a copied run has no weight files).
 * src_used[k] (src's methods; may be NULL) is set when src's method k
 * covers all of dst's runs of a method. Returns the runs copied.
 */
int results_reuse(struct results *dst, const struct results *src,
                  unsigned char *src_used);

#endif

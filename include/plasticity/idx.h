/*
 * idx.h - MNIST-format IDX files (raw or gzip) and the dataset they make.
 *
 * A dataset keeps pixels as bytes (0..255) exactly as stored: a quarter of the
 * memory of floats, and it is shared read-only by every run. Conversion to
 * [0,1] floats happens when a mini-batch is gathered (see task.h).
 */
#ifndef PLASTICITY_IDX_H
#define PLASTICITY_IDX_H

#include <stdint.h>

#include "plasticity/status.h"

#define IDX_ROWS    28
#define IDX_COLS    28
#define IDX_PIXELS  (IDX_ROWS * IDX_COLS)
#define IDX_CLASSES 10

/* One split (train or test): n images of IDX_PIXELS bytes, n labels 0..9. */
struct idx_split {
	uint32_t n;
	uint8_t *pixels; /* (n, IDX_PIXELS) */
	uint8_t *labels; /* (n) */
};

struct dataset {
	char *name; /* "mnist", "fashion-mnist" */
	char *dir;  /* where the files were found */
	struct idx_split train;
	struct idx_split test;
};

/*
 * Read an images file and a labels file (each raw, or gzip if its content
 * starts with the gzip magic) into split. Checks the magic numbers (2051,
 * 2049), 28x28 dimensions, non-zero and equal counts, label range and length.
 * On failure *cause names the file and the problem; split is left empty.
 */
enum pl_status idx_load_split(struct idx_split *split, const char *images_path,
                              const char *labels_path, char **cause);
void idx_split_free(struct idx_split *split);

/*
 * Load train and test splits from dir, which holds train-images-idx3-ubyte,
 * train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
 * each possibly with a .gz suffix (the raw name is preferred).
 */
enum pl_status dataset_load(struct dataset *ds, const char *name, const char *dir,
                            char **cause);
void dataset_free(struct dataset *ds);

/* True if dir holds all four files (raw or .gz). */
int dataset_dir_complete(const char *dir);

/*
 * Where to look for a dataset, in order: data_dir_opt (--data-dir),
 * $PLASTICITY_DATA, preset_dir (the preset's data_dir), then
 * $XDG_DATA_HOME/plasticity/<name>, PL_DATADIR/data/<name>, and for
 * fashion-mnist /usr/share/datasets/fashion-mnist. A directory given by the
 * user may hold the files itself or a <name>/ subfolder that does.
 * Calls visit(dir, origin, found, arg) for every place in order (for
 * --info); returns a newly allocated path to the first complete one, or NULL.
 */
typedef void (*dataset_visit_fn)(const char *dir, const char *origin, int found,
                                 void *arg);
char *dataset_locate(const char *name, const char *data_dir_opt, const char *preset_dir,
                     dataset_visit_fn visit, void *arg);

#endif

/*
 * identity.h - what a run directory was made by and from, checked on resume.
 *
 * DIR/identity.yaml records the program version, the dataset, the data
 * folder, the data's CRC-32 and the resolved preset as it was written when
 * the run started. `--resume` compares each against what it is about to
 * continue with and refuses a difference with one line naming the file and
 * the key: an edited preset.yaml, other data, another program version.
 * Every string is a YAML value written by libyaml's emitter (quoted where
 * needed; bytes that are not UTF-8 as !!binary), never a comment.
 */
#ifndef PLASTICITY_IDENTITY_H
#define PLASTICITY_IDENTITY_H

#include <stdint.h>

#include "plasticity/idx.h"
#include "plasticity/preset.h"
#include "plasticity/status.h"

struct run_identity {
	char *version;  /* plasticity's PACKAGE_VERSION */
	char *dataset;  /* "mnist" */
	char *data_dir; /* the folder the data was read from */
	uint32_t data_crc32;
	char *preset; /* preset_write() of the resolved preset */
};

/* CRC-32 (zlib) of the train images, train labels, test images and test
 * labels, in that order: the data as the engine sees it, whatever the
 * files' compression. */
uint32_t dataset_crc32(const struct dataset *ds);

/* Write DIR/identity.yaml (atomically) for a run of p on ds read from data_dir. */
enum pl_status identity_write(const char *dir, const struct preset *p,
                              const char *data_dir, const struct dataset *ds,
                              char **cause);

/* Read DIR/identity.yaml into id (free with identity_free, also on failure). */
enum pl_status identity_read(const char *dir, struct run_identity *id, char **cause);
void identity_free(struct run_identity *id);

/*
 * Check that p (read back from DIR/preset.yaml) and this program are what
 * id recorded: PL_ERR_CONFIG naming the first key that differs.
 */
enum pl_status identity_check_preset(const char *dir, const struct run_identity *id,
                                     const struct preset *p, char **cause);
/* Check that ds, read from data_dir, is the data id recorded (PL_ERR_DATA). */
enum pl_status identity_check_data(const char *dir, const struct run_identity *id,
                                   const struct dataset *ds, const char *data_dir,
                                   char **cause);

#endif

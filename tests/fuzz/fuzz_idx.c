/*
 * fuzz_idx.c - libFuzzer target for the IDX reader (raw and gzip).
 *
 * idx_load_split reads files, so each input is written to one temporary file
 * (the same path for the whole process) and loaded twice: as the images file
 * beside a valid labels file, and as the labels file beside a valid images
 * file. The valid companions hold FUZZ_N items, as do the seeds, so that a
 * mutated input gets past the count check to the body. Gzip is covered
 * because the reader decides by the content's magic, not the name.
 *
 * Besides the sanitizers, the target checks the contract: success fills the
 * split with labels 0..9 and no cause; failure leaves it empty with a cause
 * that starts with a path.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/idx.h"
#include "plasticity/util.h"

#define FUZZ_N 2

static char *dir, *input_path, *images_path, *labels_path;
static int input_fd = -1;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_idx: %s\n", what);
		abort();
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static char *file_write(const char *name, const uint8_t *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	check(fp != NULL && fwrite(data, 1, len, fp) == len && fclose(fp) == 0,
	      "cannot write a companion file");
	return path;
}

static void cleanup(void)
{
	unlink(input_path);
	unlink(images_path);
	unlink(labels_path);
	rmdir(dir);
}

/* A temporary directory with the two valid companions and the input file. */
static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t images[16 + FUZZ_N * IDX_PIXELS] = {0}, labels[8 + FUZZ_N] = {0};

	dir = xasprintf("%s/fuzz_idx.XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
	check(mkdtemp(dir) != NULL, "cannot create a temporary directory");
	put32(images, 2051);
	put32(images + 4, FUZZ_N);
	put32(images + 8, IDX_ROWS);
	put32(images + 12, IDX_COLS);
	for (size_t i = 16; i < sizeof(images); i++)
		images[i] = (uint8_t)(i * 7);
	put32(labels, 2049);
	put32(labels + 4, FUZZ_N);
	for (int i = 0; i < FUZZ_N; i++)
		labels[8 + i] = (uint8_t)(i % IDX_CLASSES);
	images_path = file_write("images", images, sizeof(images));
	labels_path = file_write("labels", labels, sizeof(labels));
	input_path = xasprintf("%s/input", dir);
	input_fd = open(input_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	check(input_fd >= 0, "cannot create the input file");
	atexit(cleanup);
}

static void input_write(const uint8_t *data, size_t size)
{
	check(ftruncate(input_fd, 0) == 0, "cannot truncate the input file");
	check(size == 0 || pwrite(input_fd, data, size, 0) == (ssize_t)size,
	      "cannot write the input file");
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void load(const char *images, const char *labels)
{
	struct idx_split s;
	char *cause = NULL;

	if (idx_load_split(&s, images, labels, &cause) == PL_OK) {
		check(cause == NULL, "cause set on success");
		check(s.n > 0 && s.pixels != NULL && s.labels != NULL, "empty split");
		for (uint32_t i = 0; i < s.n; i++)
			check(s.labels[i] < IDX_CLASSES, "label out of range");
	} else {
		check(cause != NULL &&
		              (starts_with(cause, images) || starts_with(cause, labels)),
		      "failure without a cause naming a file");
		check(s.n == 0 && s.pixels == NULL && s.labels == NULL,
		      "failure left the split filled");
	}
	idx_split_free(&s);
	free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (input_fd < 0)
		setup();
	input_write(data, size);
	load(input_path, labels_path);
	load(images_path, input_path);
	return 0;
}

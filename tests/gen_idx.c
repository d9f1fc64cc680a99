/*
 * gen_idx.c - write synthetic MNIST-format fixtures for the tests.
 *
 *   gen_idx DIR [--train N] [--test N] [--gzip] [--seed S]
 *   gen_idx --mismatch DIR [...]    the test split has one label too many
 *   gen_idx --corrupt KIND OUTFILE  one bad file for the bad-input tests
 *
 * Each class is a fixed random 28x28 prototype and each image is its class's
 * prototype plus noise, so a small MLP learns the data in an epoch or two and
 * end-to-end tests can watch accuracy rise. Train and test share prototypes
 * but not noise; the seed fixes everything.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST
#include <zlib.h>

#include "plasticity/idx.h"
#include "plasticity/rng.h"
#include "plasticity/util.h"

enum { GEN_STREAM_PROTO = 1, GEN_STREAM_TRAIN, GEN_STREAM_TEST };

struct buf {
	uint8_t *p;
	size_t n;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An IDX header (magic, count, then dims) followed by body bytes, zero-filled. */
static struct buf idx_make(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                           size_t body)
{
	size_t hdr = magic == 2051 ? 16 : 8;
	struct buf b = {xcalloc(hdr + body, 1), hdr + body};

	put32(b.p, magic);
	put32(b.p + 4, n);
	if (hdr == 16) {
		put32(b.p + 8, rows);
		put32(b.p + 12, cols);
	}
	return b;
}

/* The whole gzip file in memory: fixtures are small, and this keeps one writer. */
static struct buf gzip_buf(struct buf in)
{
	z_stream z = {0};
	struct buf out;

	deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	out.p = xmalloc(deflateBound(&z, in.n));
	z.next_in = in.p;
	z.avail_in = (uInt)in.n;
	z.next_out = out.p;
	z.avail_out = (uInt)deflateBound(&z, in.n);
	deflate(&z, Z_FINISH);
	out.n = z.total_out;
	deflateEnd(&z);
	return out;
}

/* Write b to path (".gz" appended and compressed if gzip); frees b. */
static int write_buf(const char *path, struct buf b, int gzip)
{
	struct atomic_file af;
	char *cause = NULL, *name = gzip ? xasprintf("%s.gz", path) : xstrdup(path);
	struct buf out = gzip ? gzip_buf(b) : b;
	int ret = 0;

	if (atomic_open(&af, name, &cause) != PL_OK)
		goto fail;
	if (fwrite(out.p, 1, out.n, af.fp) != out.n) {
		atomic_abort(&af);
		cause = xasprintf("%s: write failed", name);
		goto fail;
	}
	if (atomic_commit(&af, &cause) == PL_OK)
		goto out;
fail:
	fprintf(stderr, "gen_idx: %s\n", cause);
	ret = 1;
out:
	if (out.p != b.p)
		free(out.p);
	free(b.p);
	free(name);
	free(cause);
	return ret;
}

static void gen_split(struct buf *img, struct buf *lab, uint32_t n, uint32_t n_labels,
                      const uint8_t *protos, uint64_t seed, uint64_t stream)
{
	struct rng r;

	rng_seed(&r, seed, stream, 0);
	*img = idx_make(2051, n, IDX_ROWS, IDX_COLS, (size_t)n * IDX_PIXELS);
	*lab = idx_make(2049, n_labels, 0, 0, n_labels);
	/* Balanced classes in shuffled order. */
	for (uint32_t i = 0; i < n_labels; i++)
		lab->p[8 + i] = (uint8_t)(i % IDX_CLASSES);
	for (uint32_t i = n_labels; i > 1; i--) {
		uint32_t j = rng_below(&r, i);
		uint8_t t = lab->p[8 + i - 1];

		lab->p[8 + i - 1] = lab->p[8 + j];
		lab->p[8 + j] = t;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *proto =
		        protos + (size_t)lab->p[8 + i % n_labels] * IDX_PIXELS;
		uint8_t *px = img->p + 16 + (size_t)i * IDX_PIXELS;

		for (int k = 0; k < IDX_PIXELS; k++) {
			float v = proto[k] + (rng_uniform(&r) - 0.5f) * 160.0f;

			/* Pure-noise pixels: no single pixel gives the class away. */
			if (rng_uniform(&r) < 0.1f)
				v = rng_uniform(&r) * 255.0f;
			px[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

static int gen_dataset(const char *dir, uint32_t n_train, uint32_t n_test, int gzip,
                       uint64_t seed, int mismatch)
{
	static const char *const names[2][2] = {
	        {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	        {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
	};
	uint8_t *protos = xmalloc(IDX_CLASSES * IDX_PIXELS);
	char *cause = NULL;
	struct buf files[2];
	struct rng r;
	int ret = 0;

	if (mkdir_p(dir, &cause) != PL_OK) {
		fprintf(stderr, "gen_idx: %s\n", cause);
		ret = 1;
		goto out;
	}
	rng_seed(&r, seed, GEN_STREAM_PROTO, 0);
	for (int k = 0; k < IDX_CLASSES * IDX_PIXELS; k++)
		protos[k] = rng_uniform(&r) < 0.3f ? 220 : 0;
	for (int s = 0; s < 2; s++) {
		uint32_t n = s ? n_test : n_train;

		gen_split(&files[0], &files[1], n, s && mismatch ? n + 1 : n, protos,
		          seed, GEN_STREAM_TRAIN + s);
		for (int f = 0; f < 2; f++) {
			char *path = xasprintf("%s/%s", dir, names[s][f]);

			ret |= write_buf(path, files[f], gzip);
			free(path);
		}
	}
out:
	free(protos);
	free(cause);
	return ret;
}

static int usage(FILE *fp, int status)
{
	fprintf(fp, "usage: gen_idx DIR [--train N] [--test N] [--gzip] [--seed S]\n"
	            "       gen_idx --mismatch DIR [--train N] [--test N] [--gzip] "
	            "[--seed S]\n"
	            "       gen_idx --corrupt KIND OUTFILE\n"
	            "KIND: empty short-header truncated-body wrong-magic wrong-dims\n"
	            "      zero-images label-range trailing-bytes bad-gzip\n");
	return status;
}

/* One file with exactly one thing wrong; tests/test_idx.c knows the messages. */
static int gen_corrupt(const char *kind, const char *path)
{
	static const uint8_t gz_garbage[] = {
	        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xde, 0xad};
	struct buf b = {NULL, 0};

	if (strcmp(kind, "empty") == 0) {
		b.p = xmalloc(1);
	} else if (strcmp(kind, "short-header") == 0) {
		b = idx_make(2051, 10, IDX_ROWS, IDX_COLS, 0);
		b.n = 10;
	} else if (strcmp(kind, "truncated-body") == 0) {
		b = idx_make(2051, 10, IDX_ROWS, IDX_COLS, 5 * IDX_PIXELS + 100);
	} else if (strcmp(kind, "wrong-magic") == 0) {
		b = idx_make(2051, 1, IDX_ROWS, IDX_COLS, IDX_PIXELS);
		put32(b.p, 0x802);
	} else if (strcmp(kind, "wrong-dims") == 0) {
		b = idx_make(2051, 1, 32, 32, 32 * 32);
	} else if (strcmp(kind, "zero-images") == 0) {
		b = idx_make(2051, 0, IDX_ROWS, IDX_COLS, 0);
	} else if (strcmp(kind, "label-range") == 0) {
		b = idx_make(2049, 10, 0, 0, 10);
		b.p[8 + 5] = 12;
	} else if (strcmp(kind, "trailing-bytes") == 0) {
		b = idx_make(2051, 2, IDX_ROWS, IDX_COLS, 2 * IDX_PIXELS + 7);
	} else if (strcmp(kind, "bad-gzip") == 0) {
		b.n = sizeof(gz_garbage);
		b.p = memcpy(xmalloc(b.n), gz_garbage, b.n);
	} else {
		fprintf(stderr, "gen_idx: unknown corrupt kind '%s'\n", kind);
		return usage(stderr, 64);
	}
	return write_buf(path, b, 0) ? 73 : 0;
}

int main(int argc, char **argv)
{
	static int gzip, mismatch;
	static const struct option opts[] = {
	        {"train", required_argument, NULL, 'r'},
	        {"test", required_argument, NULL, 't'},
	        {"gzip", no_argument, &gzip, 1},
	        {"seed", required_argument, NULL, 's'},
	        {"corrupt", required_argument, NULL, 'c'},
	        {"mismatch", no_argument, &mismatch, 1},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	unsigned long n_train = 600, n_test = 200;
	unsigned long long seed = 1;
	const char *kind = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 0:
			break;
		case 'r':
			n_train = strtoul(optarg, NULL, 10);
			break;
		case 't':
			n_test = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			kind = optarg;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 64);
		}
	}
	if (optind != argc - 1)
		return usage(stderr, 64);
	if (kind != NULL)
		return gen_corrupt(kind, argv[optind]);
	if (n_train < 1 || n_test < 1 || n_train > 100000 || n_test > 100000) {
		fprintf(stderr, "gen_idx: --train and --test must be 1..100000\n");
		return 64;
	}
	return gen_dataset(argv[optind], (uint32_t)n_train, (uint32_t)n_test, gzip, seed,
	                   mismatch)
	               ? 73
	               : 0;
}

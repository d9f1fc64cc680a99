/*
 * idx.c - read MNIST IDX files (raw or gzip) into byte buffers; find and load
 * a dataset's four files.
 *
 * Every file goes through zlib's gzread, which passes raw files through
 * unchanged, but whether a file is gzip is decided by its first two bytes so
 * that a raw file is never blamed on zlib. Headers are checked before anything
 * big is allocated, and bodies are read straight into the split's buffers.
 * Each problem becomes one line in *cause that starts with the file's path.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "plasticity/idx.h"
#include "plasticity/util.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

#define IDX_MAGIC_IMAGES 2051u
#define IDX_MAGIC_LABELS 2049u
#define IDX_MAX_ITEMS    10000000u
/* gzip hides the real length, so a lying header must not make us allocate it. */
#define IDX_GZ_FIRST_ALLOC ((uint64_t)64 << 20)
/*
 * And a gzip may not declare more than this many bytes per compressed byte.
 * Image data compresses 4-5x (MNIST 4.7x, Fashion-MNIST 1.8x); deflate's
 * limit is about 1032x, which is how a 34 MB file can honestly hold 7.6 GB
 * of zeros. A header claiming more than 64x is refused before reading.
 */
#define IDX_GZ_MAX_RATIO 64u
/* gzread counts in unsigned int and returns int. */
#define IDX_READ_CHUNK ((uint64_t)1 << 30)

struct idx_file {
	const char *path;
	uint32_t magic; /* the one expected */
	gzFile gz;
	int is_gz;
	int64_t size;    /* of a raw file, or -1 for gzip */
	int64_t gz_size; /* of a gzip file (compressed) */
	uint32_t n;      /* items declared in the header */
	uint64_t header; /* header bytes */
	uint64_t item;   /* bytes per item */
};

static const char *const dataset_files[4] = {
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
};

static const char *idx_kind(uint32_t magic)
{
	return magic == IDX_MAGIC_IMAGES ? "images" : "labels";
}

static uint32_t idx_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "dir/name" without doubling a slash the user typed. */
static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

static enum pl_status idx_open(struct idx_file *f, const char *path, uint32_t magic,
                               char **cause)
{
	enum pl_status st = PL_OK;
	uint8_t peek[2];
	struct stat sb;
	ssize_t got;
	int fd;

	f->path = path;
	f->magic = magic;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st = pl_fail(cause, PL_ERR_NOINPUT, "%s: cannot open: %s", path,
		             strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0) {
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot stat: %s", path,
		             strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		st = pl_fail(cause, PL_ERR_NOINPUT, "%s: is a directory", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = pl_fail(cause, PL_ERR_NOINPUT, "%s: not a regular file", path);
		goto out;
	}
	got = pread(fd, peek, sizeof(peek), 0);
	if (got < 0) {
		st = pl_fail(cause, PL_ERR_IO, "%s: read error: %s", path,
		             strerror(errno));
		goto out;
	}
	f->is_gz = got == 2 && peek[0] == 0x1f && peek[1] == 0x8b;
	f->size = f->is_gz ? -1 : (int64_t)sb.st_size;
	f->gz_size = (int64_t)sb.st_size;
	f->gz = gzdopen(fd, "rb");
	if (f->gz == NULL) {
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot open: %s", path,
		             strerror(ENOMEM));
		goto out;
	}
	fd = -1; /* the gzFile owns it now */
	gzbuffer(f->gz, 128 * 1024);
out:
	if (fd >= 0)
		close(fd);
	return st;
}

static void idx_close(struct idx_file *f)
{
	if (f->gz != NULL)
		gzclose(f->gz);
	f->gz = NULL;
}

static enum pl_status idx_read_error(struct idx_file *f, char **cause)
{
	int errnum = Z_OK;
	const char *msg = gzerror(f->gz, &errnum);
	const char *sep = strstr(msg, ": ");

	/* zlib prefixes its message with "<fd:N>: " for a gzdopen'ed file. */
	if (msg[0] == '<' && sep != NULL)
		msg = sep + 2;
	if (errnum == Z_ERRNO || !f->is_gz)
		return pl_fail(cause, PL_ERR_IO, "%s: read error: %s", f->path, msg);
	return pl_fail(cause, PL_ERR_DATA, "%s: corrupt gzip stream: %s", f->path, msg);
}

/* Read up to len bytes; *got < len only at the end of the data. */
static enum pl_status idx_read(struct idx_file *f, uint8_t *buf, uint64_t len,
                               uint64_t *got, char **cause)
{
	int errnum = Z_OK;

	*got = 0;
	while (*got < len) {
		uint64_t want = len - *got;
		int k = gzread(f->gz, buf + *got,
		               (unsigned)(want < IDX_READ_CHUNK ? want : IDX_READ_CHUNK));

		if (k < 0)
			return idx_read_error(f, cause);
		if (k == 0)
			break;
		*got += (uint64_t)k;
	}
	/* A gzip stream that stops early still returns its bytes; the error waits here.
	 */
	gzerror(f->gz, &errnum);
	if (errnum != Z_OK)
		return idx_read_error(f, cause);
	return PL_OK;
}

/* Judge a body of got bytes (header excluded) against what the header declared. */
static enum pl_status idx_check_length(struct idx_file *f, uint64_t got, char **cause)
{
	uint64_t want = (uint64_t)f->n * f->item;

	if (got < want)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: truncated: expected %" PRIu32 " %s (%" PRIu64
		               " bytes), %s ends after %" PRIu64 " bytes",
		               f->path, f->n, idx_kind(f->magic), f->header + want,
		               f->is_gz ? "decompressed data" : "file", f->header + got);
	if (got > want)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: %" PRIu64 " unexpected bytes after the data", f->path,
		               got - want);
	return PL_OK;
}

static enum pl_status idx_check_magic(struct idx_file *f, uint32_t magic, char **cause)
{
	uint32_t other =
	        f->magic == IDX_MAGIC_IMAGES ? IDX_MAGIC_LABELS : IDX_MAGIC_IMAGES;

	if (magic == f->magic)
		return PL_OK;
	if (magic == other)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: wrong magic number 0x%08" PRIx32 " (expected %" PRIu32
		               " for %s; this is %s file)",
		               f->path, magic, f->magic, idx_kind(f->magic),
		               other == IDX_MAGIC_IMAGES ? "an images" : "a labels");
	return pl_fail(cause, PL_ERR_DATA,
	               "%s: wrong magic number 0x%08" PRIx32 " (expected %" PRIu32
	               " for %s)",
	               f->path, magic, f->magic, idx_kind(f->magic));
}

static enum pl_status idx_read_header(struct idx_file *f, char **cause)
{
	uint8_t h[16];
	uint64_t got;
	uint32_t rows = 1, cols = 1;
	enum pl_status st;

	f->header = f->magic == IDX_MAGIC_IMAGES ? 16 : 8;
	if ((st = idx_read(f, h, f->header, &got, cause)) != PL_OK)
		return st;
	if (got == 0)
		return pl_fail(cause, PL_ERR_DATA, "%s: empty file", f->path);
	/* With the magic in hand, name the wrong kind of file rather than a short one. */
	if (got >= 4 && (st = idx_check_magic(f, idx_be32(h), cause)) != PL_OK)
		return st;
	if (got < f->header)
		return pl_fail(cause, PL_ERR_DATA, "%s: truncated header", f->path);
	f->n = idx_be32(h + 4);
	if (f->magic == IDX_MAGIC_IMAGES) {
		rows = idx_be32(h + 8);
		cols = idx_be32(h + 12);
		if (rows != IDX_ROWS || cols != IDX_COLS)
			return pl_fail(cause, PL_ERR_DATA,
			               "%s: images are %" PRIu32 "x%" PRIu32
			               ", expected %dx%d",
			               f->path, rows, cols, IDX_ROWS, IDX_COLS);
	}
	f->item = (uint64_t)rows * cols;
	if (f->n == 0)
		return pl_fail(cause, PL_ERR_DATA, "%s: no %s", f->path,
		               idx_kind(f->magic));
	if (f->n > IDX_MAX_ITEMS)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: header claims %" PRIu32
		               " %s, more than the limit of %u",
		               f->path, f->n, idx_kind(f->magic), IDX_MAX_ITEMS);
	/* A raw file's size tells the truth before we allocate anything. */
	if (f->size >= (int64_t)f->header)
		return idx_check_length(f, (uint64_t)f->size - f->header, cause);
	if (f->is_gz &&
	    (uint64_t)f->n * f->item > (uint64_t)f->gz_size * IDX_GZ_MAX_RATIO)
		return pl_fail(cause, PL_ERR_DATA,
		               "%s: header claims %" PRIu32 " %s (%" PRIu64
		               " bytes), more than %u times the %" PRId64
		               "-byte gzip file; not a dataset",
		               f->path, f->n, idx_kind(f->magic),
		               (uint64_t)f->n * f->item, IDX_GZ_MAX_RATIO, f->gz_size);
	return PL_OK;
}

/* After the body, anything left over is an error; count it in a bounded buffer. */
static enum pl_status idx_check_tail(struct idx_file *f, uint64_t got, char **cause)
{
	uint8_t scratch[4096];
	uint64_t extra = 0, k;
	enum pl_status st;

	if (got < (uint64_t)f->n * f->item)
		return idx_check_length(f, got, cause);
	do {
		if ((st = idx_read(f, scratch, sizeof(scratch), &k, cause)) != PL_OK)
			return st;
		extra += k;
	} while (k == sizeof(scratch));
	return idx_check_length(f, got + extra, cause);
}

static enum pl_status idx_read_body(struct idx_file *f, uint8_t **out, char **cause)
{
	uint64_t want = (uint64_t)f->n * f->item, cap = want, got = 0, k;
	enum pl_status st;
	uint8_t *buf;

	/* For gzip, grow toward the declared size only as real data arrives. */
	if (f->is_gz && cap > IDX_GZ_FIRST_ALLOC)
		cap = IDX_GZ_FIRST_ALLOC;
	buf = malloc(cap);
	for (;;) {
		uint8_t *bigger;

		if (buf == NULL) {
			st = pl_fail(cause, PL_ERR_DATA,
			             "%s: out of memory for %" PRIu64 " bytes of %s",
			             f->path, cap, idx_kind(f->magic));
			goto out;
		}
		if ((st = idx_read(f, buf + got, cap - got, &k, cause)) != PL_OK)
			goto out;
		got += k;
		if (got < cap || cap == want)
			break;
		cap = cap * 2 < want ? cap * 2 : want;
		/* Not xrealloc: running out names the file instead of aborting. */
		if ((bigger = realloc(buf, cap)) == NULL)
			free(buf);
		buf = bigger;
	}
	st = idx_check_tail(f, got, cause);
out:
	if (st != PL_OK) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	return st;
}

static enum pl_status idx_check_labels(struct idx_file *f, const uint8_t *labels,
                                       char **cause)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (labels[i] >= IDX_CLASSES)
			return pl_fail(cause, PL_ERR_DATA,
			               "%s: label %u at index %" PRIu32
			               " is outside 0..%d",
			               f->path, labels[i], i, IDX_CLASSES - 1);
	return PL_OK;
}

enum pl_status idx_load_split(struct idx_split *split, const char *images_path,
                              const char *labels_path, char **cause)
{
	struct idx_file img = {0}, lab = {0};
	uint8_t *pixels = NULL, *labels = NULL;
	enum pl_status st;

	memset(split, 0, sizeof(*split));
	/* Both headers first, so a count mismatch is found before the big read. */
	if ((st = idx_open(&img, images_path, IDX_MAGIC_IMAGES, cause)) != PL_OK ||
	    (st = idx_read_header(&img, cause)) != PL_OK ||
	    (st = idx_open(&lab, labels_path, IDX_MAGIC_LABELS, cause)) != PL_OK ||
	    (st = idx_read_header(&lab, cause)) != PL_OK)
		goto out;
	if (img.n != lab.n) {
		st = pl_fail(cause, PL_ERR_DATA,
		             "%s: %" PRIu32 " images, but %s has %" PRIu32 " labels",
		             images_path, img.n, labels_path, lab.n);
		goto out;
	}
	if ((st = idx_read_body(&img, &pixels, cause)) != PL_OK ||
	    (st = idx_read_body(&lab, &labels, cause)) != PL_OK ||
	    (st = idx_check_labels(&lab, labels, cause)) != PL_OK)
		goto out;
	split->n = img.n;
	split->pixels = pixels;
	split->labels = labels;
	pixels = labels = NULL;
out:
	idx_close(&img);
	idx_close(&lab);
	free(pixels);
	free(labels);
	return st;
}

void idx_split_free(struct idx_split *split)
{
	free(split->pixels);
	free(split->labels);
	memset(split, 0, sizeof(*split));
}

/*
 * dir/base, else dir/base.gz; NULL if neither exists. A path that cannot even
 * be looked at (EACCES) is returned so that opening it gives the precise error.
 */
static char *dataset_pick(const char *dir, const char *base)
{
	char *name = xasprintf("%s.gz", base);
	const char *bases[2] = {base, name};
	char *path = NULL;
	struct stat sb;

	for (int i = 0; i < 2 && path == NULL; i++) {
		path = path_join(dir, bases[i]);
		if (stat(path, &sb) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
			free(path);
			path = NULL;
		}
	}
	free(name);
	return path;
}

static enum pl_status dataset_check_dir(const char *dir, char **cause)
{
	struct stat sb;

	if (stat(dir, &sb) != 0)
		return pl_fail(cause, PL_ERR_NOINPUT, "%s: cannot open: %s", dir,
		               strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return pl_fail(cause, PL_ERR_NOINPUT, "%s: not a directory", dir);
	return PL_OK;
}

enum pl_status dataset_load(struct dataset *ds, const char *name, const char *dir,
                            char **cause)
{
	char *paths[4] = {NULL};
	enum pl_status st;

	memset(ds, 0, sizeof(*ds));
	if ((st = dataset_check_dir(dir, cause)) != PL_OK)
		goto out;
	for (int i = 0; i < 4; i++) {
		paths[i] = dataset_pick(dir, dataset_files[i]);
		if (paths[i] == NULL) {
			st = pl_fail(cause, PL_ERR_NOINPUT, "%s: no %s[.gz]", dir,
			             dataset_files[i]);
			goto out;
		}
	}
	if ((st = idx_load_split(&ds->train, paths[0], paths[1], cause)) != PL_OK ||
	    (st = idx_load_split(&ds->test, paths[2], paths[3], cause)) != PL_OK)
		goto out;
	ds->name = xstrdup(name);
	ds->dir = xstrdup(dir);
out:
	for (int i = 0; i < 4; i++)
		free(paths[i]);
	if (st != PL_OK)
		dataset_free(ds);
	return st;
}

void dataset_free(struct dataset *ds)
{
	free(ds->name);
	free(ds->dir);
	idx_split_free(&ds->train);
	idx_split_free(&ds->test);
	memset(ds, 0, sizeof(*ds));
}

int dataset_dir_complete(const char *dir)
{
	int complete = 1;

	for (int i = 0; i < 4 && complete; i++) {
		char *path = dataset_pick(dir, dataset_files[i]);
		struct stat sb;

		complete = path != NULL && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
		free(path);
	}
	return complete;
}

struct locate {
	const char *name;
	dataset_visit_fn visit;
	void *arg;
	char *found; /* the first complete place */
};

static void locate_try(struct locate *l, const char *dir, const char *origin)
{
	int found = dataset_dir_complete(dir);

	if (found && l->found == NULL)
		l->found = xstrdup(dir);
	if (l->visit != NULL)
		l->visit(dir, origin, found, l->arg);
}

/* A directory the user named may hold the files itself or in a <name>/ subfolder. */
static void locate_try_user(struct locate *l, const char *dir, const char *origin)
{
	char *sub;

	if (dir == NULL || dir[0] == '\0')
		return;
	locate_try(l, dir, origin);
	sub = path_join(dir, l->name);
	locate_try(l, sub, origin);
	free(sub);
}

char *dataset_locate(const char *name, const char *data_dir_opt, const char *preset_dir,
                     dataset_visit_fn visit, void *arg)
{
	struct locate l = {name, visit, arg, NULL};
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *dir = NULL;

	locate_try_user(&l, data_dir_opt, "--data-dir");
	locate_try_user(&l, getenv("PLASTICITY_DATA"), "PLASTICITY_DATA");
	locate_try_user(&l, preset_dir, "preset data_dir");
	/* The XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		dir = xasprintf("%s/plasticity/%s", xdg, name);
	else if (home != NULL && home[0] == '/')
		dir = xasprintf("%s/.local/share/plasticity/%s", home, name);
	if (dir != NULL)
		locate_try(&l, dir, "XDG_DATA_HOME");
	free(dir);
	dir = xasprintf("%s/data/%s", PL_DATADIR, name);
	locate_try(&l, dir, "installed");
	free(dir);
	if (strcmp(name, "fashion-mnist") == 0)
		locate_try(&l, "/usr/share/datasets/fashion-mnist",
		           "Debian dataset-fashion-mnist");
	return l.found;
}

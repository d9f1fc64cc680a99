/*
 * test_idx.c - the IDX reader and the dataset lookup, against small files
 * written here byte by byte: good ones raw and gzip, one of each kind of
 * broken file (each must give its exact one-line message), and directory
 * trees for dataset_load, dataset_dir_complete and dataset_locate.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "plasticity/idx.h"
#include "plasticity/util.h"
#include "tap.h"

#define N_TRAIN 20
#define N_TEST  10

static char root[4096];
static uint8_t buf[1 << 17];

/* A path under root; a small ring of buffers so a call may use several. */
__attribute__((format(printf, 1, 2))) static const char *P(const char *fmt, ...)
{
	static char ring[8][4096];
	static int next;
	char *p = ring[next++ % 8];
	int len = snprintf(p, 4096, "%s/", root);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p + len, 4096 - (size_t)len, fmt, ap);
	va_end(ap);
	return p;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t pixel(uint32_t i, uint32_t k, uint8_t salt)
{
	return (uint8_t)(i * 31 + k * 7 + salt);
}

/* Images file bytes in buf: header, then body bytes of the pixel pattern. */
static size_t images(uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                     size_t body, uint8_t salt)
{
	put32(buf, magic);
	put32(buf + 4, n);
	put32(buf + 8, rows);
	put32(buf + 12, cols);
	for (size_t b = 0; b < body; b++)
		buf[16 + b] = pixel((uint32_t)(b / IDX_PIXELS),
		                    (uint32_t)(b % IDX_PIXELS), salt);
	return 16 + body;
}

static size_t labels(uint32_t magic, uint32_t n, size_t body)
{
	put32(buf, magic);
	put32(buf + 4, n);
	for (size_t b = 0; b < body; b++)
		buf[8 + b] = (uint8_t)(b * 3 % 10);
	return 8 + body;
}

static void put_file(const char *path, size_t len, int gzip)
{
	if (gzip) {
		gzFile gz = gzopen(path, "wb");

		gzwrite(gz, buf, (unsigned)len);
		gzclose(gz);
	} else {
		FILE *fp = fopen(path, "wb");

		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
}

static void put_split(const char *dir, const char *prefix, uint32_t n, int gzip,
                      uint8_t salt)
{
	const char *gz = gzip ? ".gz" : "";

	put_file(P("%s/%s-images-idx3-ubyte%s", dir, prefix, gz),
	         images(2051, n, 28, 28, (size_t)n * IDX_PIXELS, salt), gzip);
	put_file(P("%s/%s-labels-idx1-ubyte%s", dir, prefix, gz), labels(2049, n, n),
	         gzip);
}

static void put_dataset(const char *dir, int gzip, uint8_t salt)
{
	mkdir_p(P("%s", dir), NULL);
	put_split(dir, "train", N_TRAIN, gzip, salt);
	put_split(dir, "t10k", N_TEST, gzip, salt);
}

static int split_matches(const struct idx_split *s, uint32_t n, uint8_t salt)
{
	if (s->n != n || s->pixels == NULL || s->labels == NULL)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s->labels[i] != i * 3 % 10)
			return 0;
		for (uint32_t k = 0; k < IDX_PIXELS; k++)
			if (s->pixels[(size_t)i * IDX_PIXELS + k] != pixel(i, k, salt))
				return 0;
	}
	return 1;
}

/* Load img/lab (names under root); expect status st and exactly message want. */
static void expect(const char *what, const char *img, const char *lab, enum pl_status st,
                   const char *want)
{
	struct idx_split s;
	char *cause = NULL, *img_path = xstrdup(P("%s", img)),
	     *lab_path = xstrdup(P("%s", lab));
	char *full = xasprintf("%s/%s", root, want);
	enum pl_status got = idx_load_split(&s, img_path, lab_path, &cause);

	if (!ok(got == st && cause != NULL && strcmp(cause, full) == 0 && s.n == 0 &&
	                s.pixels == NULL && s.labels == NULL,
	        "%s", what))
		diag("status %d, cause '%s', want '%s'", got, cause ? cause : "(null)",
		     full);
	idx_split_free(&s);
	free(cause);
	free(full);
	free(img_path);
	free(lab_path);
}

static void test_good_files(void)
{
	struct idx_split raw, gz, mixed;
	char *cause = NULL;
	enum pl_status st;

	put_file(P("img"), images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS, 5), 0);
	put_file(P("img.gz"), images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS, 5), 1);
	put_file(P("lab"), labels(2049, N_TRAIN, N_TRAIN), 0);
	put_file(P("lab.gz"), labels(2049, N_TRAIN, N_TRAIN), 1);
	st = idx_load_split(&raw, P("img"), P("lab"), &cause);
	ok(st == PL_OK && cause == NULL, "raw split loads");
	ok(split_matches(&raw, N_TRAIN, 5), "raw pixels and labels round-trip");
	st = idx_load_split(&gz, P("img.gz"), P("lab.gz"), &cause);
	ok(st == PL_OK && cause == NULL, "gzip split loads");
	ok(gz.n == raw.n &&
	           memcmp(gz.pixels, raw.pixels, (size_t)raw.n * IDX_PIXELS) == 0 &&
	           memcmp(gz.labels, raw.labels, raw.n) == 0,
	   "gzip and raw give identical bytes");
	st = idx_load_split(&mixed, P("img"), P("lab.gz"), &cause);
	ok(st == PL_OK && split_matches(&mixed, N_TRAIN, 5),
	   "raw images with gzip labels");
	/* Gzip is told by content, not by name. */
	rename(P("img.gz"), P("img-noext"));
	idx_split_free(&gz);
	st = idx_load_split(&gz, P("img-noext"), P("lab"), &cause);
	ok(st == PL_OK && split_matches(&gz, N_TRAIN, 5), "gzip file without .gz suffix");
	idx_split_free(&raw);
	idx_split_free(&gz);
	idx_split_free(&mixed);
	free(cause);
}

static void test_bad_headers(void)
{
	put_file(P("empty"), 0, 0);
	expect("empty file", "empty", "lab", PL_ERR_DATA, "empty: empty file");
	put_file(P("empty.gz"), 0, 1);
	expect("empty gzip file", "empty.gz", "lab", PL_ERR_DATA, "empty.gz: empty file");
	put_file(P("short"), images(2051, 10, 28, 28, 0, 0) - 6, 0);
	expect("short header", "short", "lab", PL_ERR_DATA, "short: truncated header");
	put_file(P("tiny"), 3, 0);
	expect("3-byte file", "tiny", "lab", PL_ERR_DATA, "tiny: truncated header");
	put_file(P("magic"), images(0x802, 1, 28, 28, IDX_PIXELS, 0), 0);
	expect("wrong magic", "magic", "lab", PL_ERR_DATA,
	       "magic: wrong magic number 0x00000802 (expected 2051 for images)");
	expect("labels file given as images", "lab", "lab", PL_ERR_DATA,
	       "lab: wrong magic number 0x00000801 (expected 2051 for images; this is a "
	       "labels file)");
	expect("images file given as labels", "img", "img", PL_ERR_DATA,
	       "img: wrong magic number 0x00000803 (expected 2049 for labels; this is an "
	       "images file)");
	put_file(P("dims"), images(2051, 1, 32, 32, 32 * 32, 0), 0);
	expect("wrong dimensions", "dims", "lab", PL_ERR_DATA,
	       "dims: images are 32x32, expected 28x28");
	put_file(P("zero"), images(2051, 0, 28, 28, 0, 0), 0);
	expect("zero images", "zero", "lab", PL_ERR_DATA, "zero: no images");
	put_file(P("zerolab"), labels(2049, 0, 0), 0);
	expect("zero labels", "img", "zerolab", PL_ERR_DATA, "zerolab: no labels");
	put_file(P("huge"), images(2051, 10000001, 28, 28, 0, 0), 0);
	expect("count over the limit", "huge", "lab", PL_ERR_DATA,
	       "huge: header claims 10000001 images, more than the limit of 10000000");
}

static void test_bad_bodies(void)
{
	put_file(P("trunc"), images(2051, 10, 28, 28, 5 * IDX_PIXELS + 100, 0), 0);
	put_file(P("lab10"), labels(2049, 10, 10), 0);
	expect("truncated body", "trunc", "lab10", PL_ERR_DATA,
	       "trunc: truncated: expected 10 images (7856 bytes), file ends after 4036 "
	       "bytes");
	put_file(P("trunc.gz"), images(2051, 10, 28, 28, 5 * IDX_PIXELS + 100, 0), 1);
	expect("truncated gzip body", "trunc.gz", "lab10", PL_ERR_DATA,
	       "trunc.gz: truncated: expected 10 images (7856 bytes), decompressed data "
	       "ends "
	       "after 4036 bytes");
	/* A gzip header may claim far more than memory; the reader must not trust it. */
	put_file(P("big.gz"), images(2051, 10000000, 28, 28, IDX_PIXELS, 0), 1);
	put_file(P("biglab.gz"), labels(2049, 10000000, 0), 1);
	/* ... refused from the header, before any allocation (issue 9). */
	expect("gzip claiming 10M images", "big.gz", "biglab.gz", PL_ERR_DATA,
	       "big.gz: header claims 10000000 images (7840000000 bytes), more than 64 "
	       "times the 310-byte gzip file; not a dataset");
	put_file(P("trail"), images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS + 7, 0),
	         0);
	expect("trailing bytes", "trail", "lab", PL_ERR_DATA,
	       "trail: 7 unexpected bytes after the data");
	put_file(P("trail.gz"),
	         images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS + 7, 0), 1);
	expect("trailing bytes in gzip", "trail.gz", "lab", PL_ERR_DATA,
	       "trail.gz: 7 unexpected bytes after the data");
	put_file(P("trlab"), labels(2049, N_TRAIN, N_TRAIN + 3), 0);
	expect("trailing bytes in labels", "img", "trlab", PL_ERR_DATA,
	       "trlab: 3 unexpected bytes after the data");
	labels(2049, N_TRAIN, N_TRAIN);
	buf[8 + 5] = 12;
	put_file(P("range"), 8 + N_TRAIN, 0);
	expect("label out of range", "img", "range", PL_ERR_DATA,
	       "range: label 12 at index 5 is outside 0..9");
	put_file(P("short-lab"), labels(2049, N_TRAIN - 1, N_TRAIN - 1), 0);
	{
		char *want =
		        xasprintf("img: 20 images, but %s has 19 labels", P("short-lab"));

		expect("count mismatch", "img", "short-lab", PL_ERR_DATA, want);
		free(want);
	}
}

static void test_bad_gzip(void)
{
	static const uint8_t garbage[] = {0x1f, 0x8b, 8, 0,    0,    0,   0,
	                                  0,    0,    3, 0xff, 0xff, 0xde};
	FILE *fp;
	long len;
	int c;

	memcpy(buf, garbage, sizeof(garbage));
	put_file(P("garbage.gz"), sizeof(garbage), 0);
	expect("gzip header then garbage", "garbage.gz", "lab", PL_ERR_DATA,
	       "garbage.gz: corrupt gzip stream: invalid block type");
	/* Cut a good gzip file in half. */
	put_file(P("cut.gz"), images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS, 0), 1);
	fp = fopen(P("cut.gz"), "r+b");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fclose(fp);
	if (truncate(P("cut.gz"), len / 2) != 0)
		diag("cannot truncate cut.gz");
	expect("gzip stream cut short", "cut.gz", "lab", PL_ERR_DATA,
	       "cut.gz: corrupt gzip stream: unexpected end of file");
	/* Flip a byte of the CRC in the trailer. */
	put_file(P("crc.gz"), images(2051, N_TRAIN, 28, 28, N_TRAIN * IDX_PIXELS, 0), 1);
	fp = fopen(P("crc.gz"), "r+b");
	fseek(fp, -8, SEEK_END);
	c = fgetc(fp);
	fseek(fp, -8, SEEK_END);
	fputc(c ^ 0xff, fp);
	fclose(fp);
	expect("gzip CRC mismatch", "crc.gz", "lab", PL_ERR_DATA,
	       "crc.gz: corrupt gzip stream: incorrect data check");
}

static void test_bad_paths(void)
{
	struct idx_split s;

	mkdir(P("adir"), 0777);
	expect("directory instead of a file", "adir", "lab", PL_ERR_NOINPUT,
	       "adir: is a directory");
	expect("missing file", "nosuch", "lab", PL_ERR_NOINPUT,
	       "nosuch: cannot open: No such file or directory");
	expect("missing labels file", "img", "nosuch", PL_ERR_NOINPUT,
	       "nosuch: cannot open: No such file or directory");
	if (geteuid() == 0) {
		ok(1, "unreadable file # SKIP running as root");
	} else {
		put_file(P("noread"), labels(2049, N_TRAIN, N_TRAIN), 0);
		chmod(P("noread"), 0);
		expect("unreadable file", "img", "noread", PL_ERR_NOINPUT,
		       "noread: cannot open: Permission denied");
		chmod(P("noread"), 0644);
	}
	ok(idx_load_split(&s, P("empty"), P("lab"), NULL) == PL_ERR_DATA && s.n == 0,
	   "failure without a cause pointer");
}

static void test_dataset_load(void)
{
	struct dataset ds;
	char *cause = NULL;
	enum pl_status st;

	put_dataset("gzset", 1, 9);
	st = dataset_load(&ds, "mnist", P("gzset"), &cause);
	ok(st == PL_OK && strcmp(ds.name, "mnist") == 0 &&
	           strcmp(ds.dir, P("gzset")) == 0,
	   "dataset_load on a directory of .gz files");
	ok(split_matches(&ds.train, N_TRAIN, 9) && split_matches(&ds.test, N_TEST, 9),
	   "dataset_load: both splits round-trip");
	dataset_free(&ds);
	/* Raw files with other pixels beside the .gz ones: the raw name wins. */
	put_dataset("gzset", 0, 77);
	st = dataset_load(&ds, "mnist", P("gzset"), &cause);
	ok(st == PL_OK && split_matches(&ds.train, N_TRAIN, 77) &&
	           split_matches(&ds.test, N_TEST, 77),
	   "dataset_load prefers the raw name");
	dataset_free(&ds);
	put_dataset("partial", 0, 0);
	unlink(P("partial/t10k-labels-idx1-ubyte"));
	st = dataset_load(&ds, "mnist", P("partial"), &cause);
	ok(st == PL_ERR_NOINPUT &&
	           strcmp(cause, P("partial: no t10k-labels-idx1-ubyte[.gz]")) == 0 &&
	           ds.name == NULL && ds.train.pixels == NULL,
	   "dataset_load names the missing file");
	st = dataset_load(&ds, "mnist", P("nosuchdir"), &cause);
	ok(st == PL_ERR_NOINPUT &&
	           strcmp(cause,
	                  P("nosuchdir: cannot open: No such file or directory")) == 0,
	   "dataset_load on a missing directory");
	put_dataset("badset", 0, 0);
	put_file(P("badset/t10k-images-idx3-ubyte"), images(0x802, N_TEST, 28, 28, 0, 0),
	         0);
	st = dataset_load(&ds, "mnist", P("badset"), &cause);
	ok(st == PL_ERR_DATA &&
	           strstr(cause, "badset/t10k-images-idx3-ubyte: wrong magic") &&
	           ds.train.pixels == NULL,
	   "dataset_load reports the bad file and frees the good split");
	free(cause);
}

static void test_dir_complete(void)
{
	ok(dataset_dir_complete(P("gzset")), "dataset_dir_complete: complete directory");
	ok(!dataset_dir_complete(P("partial")), "dataset_dir_complete: a file missing");
	ok(!dataset_dir_complete(P("nosuchdir")), "dataset_dir_complete: no directory");
	put_dataset("withdir", 0, 0);
	unlink(P("withdir/train-images-idx3-ubyte"));
	mkdir(P("withdir/train-images-idx3-ubyte"), 0777);
	ok(!dataset_dir_complete(P("withdir")),
	   "dataset_dir_complete: a directory for a file");
}

struct visits {
	int n;
	char line[32][4200];
};

static void record(const char *dir, const char *origin, int found, void *arg)
{
	struct visits *v = arg;

	if (v->n < 32)
		snprintf(v->line[v->n++], sizeof(v->line[0]), "%s %s %d", origin, dir,
		         found);
}

static int visited(const struct visits *v, int i, const char *origin, const char *dir,
                   int found)
{
	char want[4200];

	snprintf(want, sizeof(want), "%s %s %d", origin, dir, found);
	if (i < v->n && strcmp(v->line[i], want) == 0)
		return 1;
	diag("visit %d: got '%s', want '%s'", i, i < v->n ? v->line[i] : "(none)", want);
	return 0;
}

static int locate_is(const char *opt, const char *preset, const char *want)
{
	char *got = dataset_locate("mnist", opt, preset, NULL, NULL);
	int same = got != NULL && want != NULL && strcmp(got, want) == 0;

	if (!same)
		diag("located '%s', want '%s'", got ? got : "(null)",
		     want ? want : "(null)");
	free(got);
	return same;
}

static void test_locate(void)
{
	const char *debian =
	        "Debian dataset-fashion-mnist /usr/share/datasets/fashion-mnist ";
	struct visits v = {0};
	char *got;
	int order;

	put_dataset("opt", 0, 0);
	put_dataset("env/mnist", 0, 0);
	put_dataset("preset", 1, 0);
	put_dataset("xdg/plasticity/mnist", 1, 0);
	put_dataset("home/.local/share/plasticity/mnist", 0, 0);
	setenv("PLASTICITY_DATA", P("env"), 1);
	setenv("XDG_DATA_HOME", P("xdg"), 1);
	setenv("HOME", P("home"), 1);
	got = dataset_locate("mnist", P("opt"), P("preset"), record, &v);
	ok(got != NULL && strcmp(got, P("opt")) == 0, "locate: --data-dir comes first");
	free(got);
	order = visited(&v, 0, "--data-dir", P("opt"), 1) &&
	        visited(&v, 1, "--data-dir", P("opt/mnist"), 0) &&
	        visited(&v, 2, "PLASTICITY_DATA", P("env"), 0) &&
	        visited(&v, 3, "PLASTICITY_DATA", P("env/mnist"), 1) &&
	        visited(&v, 4, "preset data_dir", P("preset"), 1) &&
	        visited(&v, 5, "preset data_dir", P("preset/mnist"), 0) &&
	        visited(&v, 6, "XDG_DATA_HOME", P("xdg/plasticity/mnist"), 1) &&
	        v.n == 8 && strncmp(v.line[7], "installed ", 10) == 0 &&
	        strstr(v.line[7], "/data/mnist");
	ok(order, "locate: visits every place in the documented order");
	ok(locate_is(NULL, P("preset"), P("env/mnist")),
	   "locate: PLASTICITY_DATA's subfolder");
	unsetenv("PLASTICITY_DATA");
	ok(locate_is("", P("preset"), P("preset")),
	   "locate: preset data_dir; empty option skipped");
	ok(locate_is(NULL, NULL, P("xdg/plasticity/mnist")), "locate: XDG_DATA_HOME");
	setenv("XDG_DATA_HOME", "relative/xdg", 1);
	ok(locate_is(NULL, NULL, P("home/.local/share/plasticity/mnist")),
	   "locate: relative XDG_DATA_HOME ignored, $HOME/.local/share used");
	unsetenv("XDG_DATA_HOME");
	ok(locate_is(NULL, NULL, P("home/.local/share/plasticity/mnist")),
	   "locate: XDG_DATA_HOME unset defaults to $HOME/.local/share");
	v.n = 0;
	setenv("HOME", P("nohome"), 1);
	got = dataset_locate("fashion-mnist", P("partial"), NULL, record, &v);
	ok(v.n == 5 && visited(&v, 0, "--data-dir", P("partial"), 0) &&
	           visited(&v, 2, "XDG_DATA_HOME",
	                   P("nohome/.local/share/plasticity/fashion-mnist"), 0) &&
	           strncmp(v.line[4], debian, strlen(debian)) == 0 &&
	           (got == NULL ||
	            strcmp(got, "/usr/share/datasets/fashion-mnist") == 0 ||
	            strstr(got, "/data/fashion-mnist")),
	   "locate: fashion-mnist ends with the Debian package's directory");
	free(got);
}

/* rm -r root; the tree holds only files and directories made here. */
static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, e->d_name);
		remove_tree(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

int main(void)
{
	const char *tmpdir = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/test_idx.XXXXXX",
	         tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp");
	if (mkdtemp(root) == NULL) {
		printf("Bail out! cannot create %s\n", root);
		return 1;
	}
	test_good_files();
	test_bad_headers();
	test_bad_bodies();
	test_bad_gzip();
	test_bad_paths();
	test_dataset_load();
	test_dir_complete();
	test_locate();
	remove_tree(root);
	return tap_done();
}

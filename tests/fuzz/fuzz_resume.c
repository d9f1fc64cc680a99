/*
 * fuzz_resume.c - libFuzzer target for what `run --resume` reads from a run
 * directory: identity.yaml, results.csv, accuracy_matrix.csv and a
 * checkpoint.
 *
 * Input: the four files' bytes separated by the line "\n--8<--\n" (missing
 * parts are empty files). They are written into a fresh directory beside a
 * fixed, valid preset.yaml of a tiny grid (2 methods, 2 runs, 3 tasks, an
 * accuracy matrix), then read back as --resume does: identity_read and
 * identity_check_preset, rundir_load, and run_restore of the checkpoint into
 * run 1 of method 0 on a tiny generated dataset. Anything may be refused;
 * nothing may crash, leak or hang, and what is accepted must be whole: every
 * cell read back lies in range, and a restored run's results are its tasks.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plasticity/identity.h"
#include "plasticity/preset_io.h"
#include "plasticity/results.h"
#include "plasticity/rundir.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

static const char preset_yaml[] = "name: fz\n"
                                  "tasks: 3\n"
                                  "hidden: [4]\n"
                                  "batch_size: 8\n"
                                  "runs: 2\n"
                                  "accuracy_matrix: true\n"
                                  "methods:\n"
                                  "  - optimizer: sgd\n"
                                  "    lr: 0.1\n"
                                  "    momentum: 0.5\n"
                                  "  - optimizer: sam\n"
                                  "    lr: 0.1\n";
static const char *const parts[4] = {"identity.yaml", "results.csv",
                                     "accuracy_matrix.csv", "checkpoints/m0-r1.ckpt"};

static char dir[64];
static struct dataset ds;

static void put(const char *name, const uint8_t *data, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		abort();
	if (n > 0 && fwrite(data, 1, n, fp) != n)
		abort();
	fclose(fp);
	free(path);
}

static void split_init(struct idx_split *s, uint32_t n)
{
	s->n = n;
	s->pixels = xcalloc((size_t)n * IDX_PIXELS, 1);
	s->labels = xmalloc(n);
	for (uint32_t i = 0; i < n; i++) {
		s->labels[i] = (uint8_t)(i % IDX_CLASSES);
		s->pixels[(size_t)i * IDX_PIXELS + i % IDX_PIXELS] = 255;
	}
}

static void write_seed(const char *path);

/* The scratch directory goes when the fuzzer exits. */
static void cleanup(void)
{
	const char *names[] = {"preset.yaml", "identity.yaml",
	                       "results.csv", "accuracy_matrix.csv",
	                       "methods.csv", "checkpoints/m0-r1.ckpt",
	                       "checkpoints", ""};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		if (unlink(path) != 0)
			rmdir(path);
		free(path);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_resume.%d", (int)getpid());
	mkdir(dir, 0700);
	atexit(cleanup);
	{
		char *ck = xasprintf("%s/checkpoints", dir);

		mkdir(ck, 0700);
		free(ck);
	}
	put("preset.yaml", (const uint8_t *)preset_yaml, strlen(preset_yaml));
	ds.name = xstrdup("mnist");
	ds.dir = xstrdup("(memory)");
	split_init(&ds.train, 40);
	split_init(&ds.test, 20);
	/* gen-corpus.sh: write one valid input (a grid killed after its first
	 * task) and stop. */
	if (getenv("FUZZ_RESUME_SEED") != NULL) {
		write_seed(getenv("FUZZ_RESUME_SEED"));
		exit(0);
	}
	return 0;
}

/* The bytes of dir/name appended to fp, then the separator unless last. */
static void seed_part(FILE *fp, const char *name, int last)
{
	char *path = xasprintf("%s/%s", dir, name), buf[4096];
	FILE *in = fopen(path, "rb");
	size_t n;

	while (in != NULL && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, fp);
	if (in != NULL)
		fclose(in);
	if (!last)
		fputs("\n--8<--\n", fp);
	free(path);
}

static void write_seed(const char *path)
{
	struct preset p;
	struct results res;
	struct run *run;
	struct task_result *tr;
	char *ck = xasprintf("%s/%s", dir, parts[3]);
	FILE *fp;

	preset_load_string(&p, preset_yaml, "preset.yaml", NULL);
	results_init(&res, &p);
	tr = xmalloc(task_result_size(&p));
	for (int m = 0; m < 2; m++)
		for (int r = 0; r < 2; r++) {
			run_new(&run, &p, m, r, &ds, NULL);
			for (int t = 0; t < (m == 0 && r == 1 ? 1 : 3); t++) {
				run_next_task(run, tr, NULL);
				results_put(&res, m, r, tr);
			}
			if (m == 0 && r == 1)
				run_save(run, ck, NULL);
			run_free(run);
		}
	identity_write(dir, &p, "(memory)", &ds, NULL);
	rundir_write_results(dir, &res, RUNDIR_MATRIX, NULL);
	fp = fopen(path, "wb");
	for (int i = 0; i < 4; i++)
		seed_part(fp, parts[i], i == 3);
	fclose(fp);
	free(tr);
	free(ck);
	results_free(&res);
	preset_free(&p);
}

/* Every accepted cell is in range: its task, accuracy and matrix row. */
static void check_results(const struct results *res)
{
	for (int m = 0; m < res->nmethods; m++)
		for (int r = 0; r < res->runs; r++)
			for (int t = 0; t < res->tasks; t++) {
				const struct task_result *c = results_get(res, m, r, t);

				if (c == NULL)
					continue;
				if (c->task != t || c->nseen < 0 || c->nseen > t + 1)
					abort();
			}
}

static void read_back(void)
{
	struct run_identity id;
	struct preset p;
	struct results res;
	struct run *run = NULL;
	char *cause = NULL, *ck = xasprintf("%s/%s", dir, parts[3]);

	if (identity_read(dir, &id, &cause) == PL_OK) {
		preset_load_string(&p, preset_yaml, "preset.yaml", NULL);
		identity_check_preset(dir, &id, &p, &cause);
		preset_free(&p);
	}
	identity_free(&id);
	if (rundir_load(dir, &p, &res, &cause) == PL_OK) {
		check_results(&res);
		results_free(&res);
	}
	if (run_new(&run, &p, 0, 1, &ds, &cause) == PL_OK) {
		if (run_restore(run, ck, &cause) == PL_OK) {
			for (int t = 0; t < run_tasks_done(run); t++)
				if (run_result(run, t)->task != t)
					abort();
		}
		run_free(run);
	}
	preset_free(&p);
	free(ck);
	free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--8<--\n";
	size_t at = 0;

	for (int i = 0; i < 4; i++) {
		const uint8_t *end =
		        at <= size ? memmem(data + at, size - at, sep, 8) : NULL;
		size_t n = end ? (size_t)(end - (data + at)) : size - at;

		put(parts[i], data + at, at <= size ? n : 0);
		at = end ? at + n + 8 : size + 1;
	}
	read_back();
	return 0;
}

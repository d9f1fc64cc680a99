/*
 * task.c - task streams: permuted-pixel (domain) and digit-pair (class) tasks.
 *
 * A task is regenerated from (seed, t) whenever it is asked for, so a run
 * can revisit any earlier task (accuracy matrix) or resume at task t without
 * replaying the ones before. Index lists point into the shared dataset.
 */
#include <stdlib.h>
#include <string.h>

#include "plasticity/rng.h"
#include "plasticity/task.h"
#include "plasticity/util.h"

struct task_stream {
	const struct preset *p;
	const struct dataset *ds;
	uint64_t seed;
	int count, nclasses;
	uint8_t pairs[PRESET_CLASS_PAIRS][2];
	uint16_t perm[IDX_PIXELS];
	uint32_t *train; /* (ds->train.n) current task's training indices */
	uint32_t *test;  /* (ds->test.n) */
	struct task cur;
};

/* Indices of split whose label is a or b (all indices when a < 0). */
static uint32_t select_labels(const struct idx_split *s, int a, int b, uint32_t *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (a < 0 || s->labels[i] == a || s->labels[i] == b)
			out[n++] = i;
	return n;
}

enum pl_status task_stream_new(struct task_stream **out, const struct preset *p,
                               const struct dataset *ds, uint64_t seed, char **cause)
{
	struct task_stream *ts = xcalloc(1, sizeof(*ts));
	int k = 0;

	ts->p = p;
	ts->ds = ds;
	ts->seed = seed;
	ts->count = p->tasks;
	ts->nclasses = p->setting == SETTING_CLASS ? 2 : IDX_CLASSES;
	ts->train = xmalloc((size_t)ds->train.n * sizeof(uint32_t));
	ts->test = xmalloc((size_t)ds->test.n * sizeof(uint32_t));
	for (int a = 0; a < IDX_CLASSES; a++)
		for (int b = a + 1; b < IDX_CLASSES; b++, k++) {
			ts->pairs[k][0] = (uint8_t)a;
			ts->pairs[k][1] = (uint8_t)b;
		}
	if (p->setting == SETTING_CLASS && p->shuffle_pairs) {
		struct rng r;

		rng_seed(&r, seed, RNG_STREAM_TASKS, 0);
		for (uint32_t i = PRESET_CLASS_PAIRS; i > 1; i--) {
			uint32_t j = rng_below(&r, i);
			uint8_t t0 = ts->pairs[i - 1][0], t1 = ts->pairs[i - 1][1];

			memcpy(ts->pairs[i - 1], ts->pairs[j], 2);
			ts->pairs[j][0] = t0;
			ts->pairs[j][1] = t1;
		}
	}
	if (p->setting == SETTING_CLASS) {
		for (int t = 0; t < ts->count && t < PRESET_CLASS_PAIRS; t++) {
			const struct task *task = task_stream_get(ts, t);

			if (task->ntrain == 0 || task->ntest == 0) {
				enum pl_status st = pl_fail(
				        cause, PL_ERR_DATA,
				        "%s: no %s images of digits %d and %d for task "
				        "%d",
				        ds->dir, task->ntrain == 0 ? "training" : "test",
				        task->digit_a, task->digit_b, t + 1);
				task_stream_free(ts);
				return st;
			}
		}
	}
	*out = ts;
	return PL_OK;
}

void task_stream_free(struct task_stream *ts)
{
	if (ts == NULL)
		return;
	free(ts->train);
	free(ts->test);
	free(ts);
}

int task_stream_count(const struct task_stream *ts)
{
	return ts->count;
}

int task_stream_classes(const struct task_stream *ts)
{
	return ts->nclasses;
}

/* Keep a random subset of p->train_examples of the n indices, drawn from (seed, t). */
static uint32_t subset(struct task_stream *ts, int t, uint32_t n)
{
	uint32_t want = (uint32_t)ts->p->train_examples;
	struct rng r;

	if (want == 0 || want >= n)
		return n;
	rng_seed(&r, ts->seed, RNG_STREAM_SUBSET, (uint64_t)t);
	for (uint32_t i = 0; i < want; i++) {
		uint32_t j = i + rng_below(&r, n - i), tmp = ts->train[i];

		ts->train[i] = ts->train[j];
		ts->train[j] = tmp;
	}
	return want;
}

const struct task *task_stream_get(struct task_stream *ts, int t)
{
	struct task *task = &ts->cur;
	int a = -1, b = -1;

	memset(task, 0, sizeof(*task));
	task->index = t;
	task->nclasses = ts->nclasses;
	for (int c = 0; c < IDX_CLASSES; c++)
		task->label_map[c] = (uint8_t)c;
	if (ts->p->setting == SETTING_CLASS) {
		a = ts->pairs[t % PRESET_CLASS_PAIRS][0];
		b = ts->pairs[t % PRESET_CLASS_PAIRS][1];
		task->label_map[a] = 0;
		task->label_map[b] = 1;
	} else if (t > 0 || !ts->p->first_unpermuted) {
		struct rng r;

		for (int i = 0; i < IDX_PIXELS; i++)
			ts->perm[i] = (uint16_t)i;
		rng_seed(&r, ts->seed, RNG_STREAM_PERM, (uint64_t)t);
		rng_shuffle_u16(&r, ts->perm, IDX_PIXELS);
		task->perm = ts->perm;
	}
	task->digit_a = a;
	task->digit_b = b;
	task->ntrain = select_labels(&ts->ds->train, a, b, ts->train);
	task->ntrain = subset(ts, t, task->ntrain);
	task->ntest = select_labels(&ts->ds->test, a, b, ts->test);
	task->train = ts->train;
	task->test = ts->test;
	return task;
}

/*
 * One image's pixels in the order perm gives, scaled to [0, 1] as
 * (float)v * (1/255). The image is copied into a padded buffer first, so
 * that each pixel can be read as the low byte of a 4-byte load: the AVX2
 * clone vectorizes that into gathers (1.7x a byte-table lookup per pixel,
 * measured), which it cannot do with byte loads.
 */
PL_HOT static void gather_row(float *restrict row, const uint8_t *restrict img,
                              const uint16_t *restrict perm)
{
	uint8_t buf[IDX_PIXELS + 4];

	memcpy(buf, img, IDX_PIXELS);
	memset(buf + IDX_PIXELS, 0, 4);
	for (int j = 0; j < IDX_PIXELS; j++) {
		uint32_t v;

		memcpy(&v, buf + perm[j], sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		v >>= 24;
#endif
		row[j] = (float)(v & 0xffu) * (1.0f / 255.0f);
	}
}

PL_HOT static void scale_row(float *restrict row, const uint8_t *restrict img)
{
	for (int j = 0; j < IDX_PIXELS; j++)
		row[j] = (float)img[j] * (1.0f / 255.0f);
}

void task_gather(const struct task *task, const struct idx_split *split,
                 const uint32_t *idx, int B, float *x, uint8_t *y)
{
	for (int i = 0; i < B; i++) {
		const uint8_t *img = split->pixels + (size_t)idx[i] * IDX_PIXELS;
		float *row = x + (size_t)i * IDX_PIXELS;

		if (task->perm != NULL)
			gather_row(row, img, task->perm);
		else
			scale_row(row, img);
		y[i] = task->label_map[split->labels[idx[i]]];
	}
}

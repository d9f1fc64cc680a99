/*
 * merge.c - several run directories read as one grid to compare (rundir.h):
 * `plasticity compare A B ...` and `plasticity ui --open A B ...`.
 *
 * The methods are concatenated in the order the directories are given,
 * each labelled by its directory's letter (A:, B:, ...), and every finished
 * cell is copied over. Paired statistics need run i of every method to
 * share its seed, its task stream and its data: that holds only when the
 * directories agree on every key that shapes a run's numbers apart from the
 * methods, and on the data's checksum. The first key that differs is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/identity.h"
#include "plasticity/preset_io.h"
#include "plasticity/rundir.h"
#include "plasticity/util.h"

/* The first key shaping a run that a and b set differently, into buf, or NULL. */
static const char *differs(const struct preset *a, const struct preset *b, char *buf,
                           size_t len)
{
#define SAME(field, fmt)                                                                 \
	if (a->field != b->field) {                                                      \
		snprintf(buf, len, #field " (" fmt " vs " fmt ")", a->field, b->field);  \
		return buf;                                                              \
	}
	SAME(setting, "%d");
	if (strcmp(a->dataset, b->dataset) != 0) {
		snprintf(buf, len, "dataset (%s vs %s)", a->dataset, b->dataset);
		return buf;
	}
	SAME(train_examples, "%d");
	SAME(first_unpermuted, "%d");
	SAME(shuffle_pairs, "%d");
	SAME(nhidden, "%d");
	for (int i = 0; i < a->nhidden; i++)
		SAME(hidden[i], "%d");
	SAME(batch_size, "%d");
	SAME(epochs, "%d");
	SAME(runs, "%d");
	if (a->seed != b->seed) {
		snprintf(buf, len, "seed (%llu vs %llu)", (unsigned long long)a->seed,
		         (unsigned long long)b->seed);
		return buf;
	}
	SAME(probe_examples, "%d");
#undef SAME
	return NULL;
}

/* Copy every finished cell of src's methods into dst's methods from base. */
static void copy_cells(struct results *dst, const struct results *src, int base)
{
	size_t n = dst->cell_size < src->cell_size ? dst->cell_size : src->cell_size;
	struct task_result *c = xcalloc(1, dst->cell_size);

	for (int m = 0; m < src->nmethods; m++)
		for (int r = 0; r < src->runs; r++)
			for (int t = 0; t < src->tasks; t++) {
				const struct task_result *s = results_get(src, m, r, t);

				if (s == NULL)
					continue;
				memset(c, 0, dst->cell_size);
				memcpy(c, s, n);
				if (!dst->p->accuracy_matrix)
					c->nseen = 0;
				results_put(dst, base + m, r, c);
			}
	free(c);
}

struct loaded {
	struct preset p;
	struct results res;
	uint32_t crc;
	int has_crc;
};

static enum pl_status load_all(char *const *dirs, int n, struct loaded *l, char **cause)
{
	for (int i = 0; i < n; i++) {
		struct run_identity id = {0};
		enum pl_status st = rundir_load(dirs[i], &l[i].p, &l[i].res, cause);

		if (st != PL_OK) {
			preset_free(&l[i].p);
			for (int k = 0; k < i; k++) {
				results_free(&l[k].res);
				preset_free(&l[k].p);
			}
			return st;
		}
		/* A copy exported from the UI may name no data: then it is not checked.
		 */
		if (identity_read(dirs[i], &id, NULL) == PL_OK) {
			l[i].crc = id.data_crc32;
			l[i].has_crc = 1;
		}
		identity_free(&id);
	}
	return PL_OK;
}

enum pl_status rundir_merge(char *const *dirs, int n, struct preset *p,
                            struct results *res, char **mismatch, char **cause)
{
	struct loaded *l = xcalloc((size_t)n, sizeof(*l));
	enum pl_status st = load_all(dirs, n, l, cause);
	char why[160];
	int total = 0, base = 0;

	if (mismatch != NULL)
		*mismatch = NULL;
	if (st != PL_OK) {
		free(l);
		return st;
	}
	for (int i = 0; i < n; i++)
		total += l[i].p.nmethods;
	preset_copy(p, &l[0].p);
	snprintf(p->name, sizeof(p->name), "compare");
	p->nmethods = 0;
	for (int i = 0; i < n && st == PL_OK; i++) {
		const char *key = differs(&l[0].p, &l[i].p, why, sizeof(why));

		if (l[i].p.tasks != l[0].p.tasks)
			st = pl_fail(
			        cause, PL_ERR_DATA,
			        "%s: %d tasks, but %s has %d: a grid compares equal task "
			        "counts",
			        dirs[i], l[i].p.tasks, dirs[0], l[0].p.tasks);
		else if (total > PRESET_MAX_METHODS)
			st = pl_fail(cause, PL_ERR_DATA,
			             "%d methods in all, more than %d", total,
			             PRESET_MAX_METHODS);
		if (st != PL_OK)
			break;
		if (key == NULL && l[i].has_crc && l[0].has_crc && l[i].crc != l[0].crc)
			key = "the data (identity.yaml's data_crc32)";
		if (key != NULL && mismatch != NULL && *mismatch == NULL)
			*mismatch = xasprintf("%s differs from %s in %s", dirs[i],
			                      dirs[0], key);
		p->runs = l[i].p.runs > p->runs ? l[i].p.runs : p->runs;
		p->accuracy_matrix &= l[i].p.accuracy_matrix;
		for (int m = 0; m < l[i].p.nmethods; m++) {
			p->methods[p->nmethods] = l[i].p.methods[m];
			snprintf(p->methods[p->nmethods].origin,
			         sizeof(p->methods[p->nmethods].origin), "%c",
			         'A' + i % 26);
			p->nmethods++;
		}
	}
	if (st == PL_OK) {
		results_init(res, p);
		for (int i = 0; i < n; i++) {
			copy_cells(res, &l[i].res, base);
			base += l[i].p.nmethods;
		}
	} else if (mismatch != NULL) {
		free(*mismatch);
		*mismatch = NULL;
	}
	for (int i = 0; i < n; i++) {
		results_free(&l[i].res);
		preset_free(&l[i].p);
	}
	free(l);
	return st;
}

int results_reuse(struct results *dst, const struct results *src, unsigned char *src_used)
{
	int n = 0, runs = dst->runs < src->runs ? dst->runs : src->runs;

	for (int k = 0; src_used != NULL && k < src->nmethods; k++)
		src_used[k] = 0;
	/* A reused run would have no weight files: with save_weights, train all. */
	if (!preset_same_grid(dst->p, src->p) ||
	    dst->p->save_weights != SAVE_WEIGHTS_NONE)
		return 0;
	for (int m = 0; m < dst->nmethods; m++) {
		int from = -1, copied = 0;

		for (int k = 0; k < src->nmethods && from < 0; k++)
			if (method_equal(&dst->p->methods[m], &src->p->methods[k]))
				from = k;
		for (int r = 0; from >= 0 && r < runs; r++) {
			if (!results_run_over(src, from, r))
				continue;
			for (int t = 0; t < src->tasks; t++)
				if (results_get(src, from, r, t) != NULL)
					results_put(dst, m, r,
					            results_get(src, from, r, t));
			copied++;
		}
		if (src_used != NULL && from >= 0 && copied == dst->runs)
			src_used[from] = 1;
		n += copied;
	}
	return n;
}

/*
 * fuzz_preset.c - libFuzzer target for the preset loader, KEY=VALUE overrides
 * and the writer.
 *
 * Input format: a YAML preset, then optionally a NUL byte and overrides, one
 * KEY=VALUE per line:
 *
 *     name: x\nmethods:\n  - optimizer: sgd\n<NUL>tasks=5\nmethods.0.lr=0.1\n
 *
 * preset_load_string takes a C string, so bytes after a NUL would mean nothing
 * to it; they are the overrides instead (up to a second NUL, if any). Every
 * override is applied (to the defaults if the YAML failed to load), a failed
 * one must leave the preset as it was, and a valid result is written with
 * preset_write and must load back to the same text. A broken contract calls
 * abort(): that is a bug in the loader, the overrides or the writer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/preset_io.h"
#include "plasticity/util.h"

#define ORIGIN "fuzz.yaml"

static void fail(const char *what, const char *text, const char *cause)
{
	fprintf(stderr, "fuzz_preset: %s\n", what);
	if (cause != NULL)
		fprintf(stderr, "cause: %s\n", cause);
	if (text != NULL)
		fprintf(stderr, "--- written preset ---\n%s--- end ---\n", text);
	abort();
}

/* p as preset_write writes it, newly allocated. */
static char *preset_text(const struct preset *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL)
		abort();
	preset_write(p, fp);
	if (fclose(fp) != 0)
		abort();
	return text;
}

/* Each line of overrides in turn; a failed one must change nothing. */
static void overrides_apply(struct preset *p, const char *overrides)
{
	char *copy = xstrdup(overrides), *line = copy, *nl;

	for (; line != NULL; line = nl) {
		char *before, *after, *cause = NULL;

		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		before = preset_text(p);
		if (preset_override(p, line, &cause) != PL_OK) {
			if (cause == NULL)
				fail("failed override without a cause", NULL, NULL);
			after = preset_text(p);
			if (strcmp(before, after) != 0)
				fail("failed override changed the preset", after, cause);
			free(after);
		} else if (cause != NULL) {
			fail("cause set on success", NULL, cause);
		}
		free(before);
		free(cause);
	}
	free(copy);
}

/* What preset_write wrote must load, and load to the same preset. */
static void round_trip(const struct preset *p)
{
	char *text = preset_text(p), *again, *cause = NULL;
	struct preset q;

	if (preset_load_string(&q, text, ORIGIN, &cause) != PL_OK)
		fail("the written preset does not load back", text, cause);
	again = preset_text(&q);
	if (strcmp(text, again) != 0)
		fail("the written preset loads back different", again, NULL);
	free(again);
	free(text);
	preset_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = xmalloc(size + 1), *cause = NULL;
	size_t yaml_len;
	struct preset p;
	int loaded;

	memcpy(buf, data, size);
	buf[size] = '\0';
	yaml_len = strlen(buf);
	loaded = preset_load_string(&p, buf, ORIGIN, &cause) == PL_OK;
	if (loaded != (cause == NULL))
		fail("status and cause disagree", NULL, cause);
	free(cause);
	if (yaml_len < size)
		overrides_apply(&p, buf + yaml_len + 1);
	if (preset_validate(&p, NULL, NULL) == PL_OK)
		round_trip(&p);
	preset_free(&p);
	free(buf);
	return 0;
}

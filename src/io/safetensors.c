/*
 * safetensors.c - write a network as a safetensors file (see safetensors.h).
 *
 * The JSON header is written by hand: its keys are fixed names and numbers
 * (metadata values are the program's own, checked to need no escaping).
 * Little-endian output is checked at compile time rather than converted:
 * every machine this runs on is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/idx.h"
#include "plasticity/safetensors.h"
#include "plasticity/util.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c writes native floats: a big-endian port must swap them"
#endif

/* Append to a growing string. */
__attribute__((format(printf, 2, 3))) static void cat(char **s, const char *fmt, ...)
{
	va_list ap;
	char *more, *all;

	va_start(ap, fmt);
	more = xvasprintf(fmt, ap);
	va_end(ap);
	all = xasprintf("%s%s", *s ? *s : "", more);
	free(*s);
	free(more);
	*s = all;
}

static int json_plain(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* The JSON header; *data gets the byte count of the tensors. */
static char *header(const struct mlp *m, const uint16_t *perm, const char *const *meta,
                    int nmeta, uint64_t *data)
{
	char *h = NULL;
	uint64_t at = 0;

	cat(&h, "{\"__metadata__\":{\"format\":\"pt\"");
	for (int i = 0; i + 1 < 2 * nmeta; i += 2)
		if (json_plain(meta[i]) && json_plain(meta[i + 1]))
			cat(&h, ",\"%s\":\"%s\"", meta[i], meta[i + 1]);
	cat(&h, "}");
	for (int l = 0; l < mlp_nlayers(m); l++) {
		uint64_t nw = (uint64_t)mlp_size(m, l) * mlp_size(m, l + 1) * 4,
		         nb = (uint64_t)mlp_size(m, l + 1) * 4;

		cat(&h,
		    ",\"fc%d.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
		    "\"data_offsets\":[%llu,%llu]}",
		    l + 1, mlp_size(m, l + 1), mlp_size(m, l), (unsigned long long)at,
		    (unsigned long long)(at + nw));
		at += nw;
		cat(&h,
		    ",\"fc%d.bias\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%"
		    "llu,%llu]}",
		    l + 1, mlp_size(m, l + 1), (unsigned long long)at,
		    (unsigned long long)(at + nb));
		at += nb;
	}
	/* Layer norm after hidden layer l (fcl): lnl.weight, lnl.bias. */
	for (int l = 1; mlp_norm(m) && l < mlp_nlayers(m); l++)
		for (int k = 0; k < 2; k++) {
			uint64_t n = (uint64_t)mlp_size(m, l) * 4;

			cat(&h,
			    ",\"ln%d.%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_"
			    "offsets\":"
			    "[%llu,%llu]}",
			    l, k ? "bias" : "weight", mlp_size(m, l),
			    (unsigned long long)at, (unsigned long long)(at + n));
			at += n;
		}
	if (perm != NULL) {
		cat(&h,
		    ",\"permutation\":{\"dtype\":\"I32\",\"shape\":[%d],\"data_offsets\":"
		    "[%llu,%llu]}",
		    IDX_PIXELS, (unsigned long long)at,
		    (unsigned long long)(at + 4 * IDX_PIXELS));
		at += 4 * IDX_PIXELS;
	}
	cat(&h, "}");
	*data = at;
	return h;
}

/* The file's bytes to fp. */
static void emit(FILE *fp, const struct mlp *m, const uint16_t *perm,
                 const char *const *meta, int nmeta)
{
	uint64_t data, len;
	char *h = header(m, perm, meta, nmeta, &data);
	const float *w = mlp_params((struct mlp *)m);
	float *row;
	int widest = 0;

	for (int l = 0; l < mlp_nlayers(m); l++)
		widest = mlp_size(m, l) > widest ? mlp_size(m, l) : widest;
	row = xalloc_floats((size_t)widest);
	/* Pad the header with spaces so the data starts 8-byte aligned. */
	len = (strlen(h) + 7) & ~(uint64_t)7;
	fwrite(&len, 8, 1, fp);
	fputs(h, fp);
	for (uint64_t i = strlen(h); i < len; i++)
		fputc(' ', fp);
	for (int l = 0; l < mlp_nlayers(m); l++) {
		int nin = mlp_size(m, l), nout = mlp_size(m, l + 1);

		/* Stored (in, out); nn.Linear wants (out, in): one row of it per
		 * output, gathered from its column. */
		for (int o = 0; o < nout; o++) {
			for (int i = 0; i < nin; i++)
				row[i] = w[mlp_weight_index(m, l, o, i)];
			fwrite(row, 4, (size_t)nin, fp);
		}
		fwrite(w + mlp_bias_offset(m, l), 4, (size_t)nout, fp);
	}
	/* Gains then biases, as the header lists them. */
	for (int l = 1; mlp_norm(m) && l < mlp_nlayers(m); l++)
		fwrite(w + mlp_norm_offset(m, l), 4, (size_t)2 * mlp_size(m, l), fp);
	for (int i = 0; perm != NULL && i < IDX_PIXELS; i++) {
		int32_t v = perm[i];

		fwrite(&v, 4, 1, fp);
	}
	free(h);
	free(row);
}

enum pl_status safetensors_write(const char *path, const struct mlp *m,
                                 const uint16_t *perm, const char *const *meta, int nmeta,
                                 char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	emit(af.fp, m, perm, meta, nmeta);
	return atomic_commit(&af, cause);
}

void *safetensors_mem(const struct mlp *m, const uint16_t *perm, const char *const *meta,
                      int nmeta, size_t *n)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, n);

	if (fp == NULL)
		abort();
	emit(fp, m, perm, meta, nmeta);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

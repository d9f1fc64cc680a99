/*
 * identity.c - DIR/identity.yaml: the run's program version, data and
 * resolved preset, written when a run starts and checked by --resume.
 *
 * Strings go through libyaml's emitter, so a path holding a newline, '#' or
 * quotes is a quoted YAML value and can never become a key. YAML text must
 * be UTF-8; a path that is not (Linux allows any bytes but '/' and NUL) is
 * written as a !!binary value (base64, YAML 1.1's binary type), so every
 * byte comes back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>

#include "config.h"
#include "plasticity/preset_io.h"
#include "plasticity/identity.h"
#include "plasticity/util.h"

#define BINARY_TAG "tag:yaml.org,2002:binary"

static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint32_t dataset_crc32(const struct dataset *ds)
{
	const struct idx_split *sp[2] = {&ds->train, &ds->test};
	uLong crc = crc32(0L, Z_NULL, 0);

	for (int i = 0; i < 2; i++) {
		/* zlib takes uInt lengths: feed the pixels in pieces. */
		size_t n = (size_t)sp[i]->n * IDX_PIXELS;

		for (size_t at = 0; at < n; at += 1u << 30)
			crc = crc32(crc, sp[i]->pixels + at,
			            (uInt)(n - at < (1u << 30) ? n - at : (1u << 30)));
		crc = crc32(crc, sp[i]->labels, sp[i]->n);
	}
	return (uint32_t)crc;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, cp, n, min;

		if (c < 0x80) {
			s++;
			continue;
		}
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		min = n == 3 ? 0x10000 : n == 2 ? 0x800 : 0x80;
		if (n == 0 || c >= 0xf5)
			return 0;
		cp = c & (0x3f >> n);
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

static char *base64_encode(const unsigned char *s, size_t n)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 |
		             (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? s[i + 2] : 0);

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Decoded bytes as a NUL-terminated string, or NULL if s is not base64. */
static char *base64_decode(const char *s)
{
	char *out = xmalloc(strlen(s) / 4 * 3 + 1);
	size_t n = 0, bits = 0;
	unsigned v = 0;

	for (; *s; s++) {
		const char *p = strchr(b64, *s);

		if (*s == '=' || *s == '\n' || *s == ' ')
			continue;
		if (p == NULL) {
			free(out);
			return NULL;
		}
		v = v << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)(v >> bits & 0xff);
		}
	}
	out[n] = '\0';
	return out;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	char *enc = NULL;
	int ok;

	if (utf8_valid((const unsigned char *)s)) {
		ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
		                                  (int)strlen(s), 1, 1, style);
	} else {
		enc = base64_encode((const unsigned char *)s, strlen(s));
		ok = yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)BINARY_TAG,
		                                  (yaml_char_t *)enc, (int)strlen(enc), 0,
		                                  0, YAML_ANY_SCALAR_STYLE);
	}
	ok = ok && yaml_emitter_emit(em, &ev);
	free(enc);
	return ok;
}

static int emit_pair(yaml_emitter_t *em, const char *key, const char *value,
                     yaml_scalar_style_t style)
{
	return emit_scalar(em, key, YAML_PLAIN_SCALAR_STYLE) &&
	       emit_scalar(em, value, style);
}

static int emit_identity(yaml_emitter_t *em, const struct run_identity *id)
{
	yaml_event_t ev;
	char crc[16];

	snprintf(crc, sizeof(crc), "%08x", (unsigned)id->data_crc32);
	return yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	       yaml_emitter_emit(em, &ev) &&
	       yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	       yaml_emitter_emit(em, &ev) &&
	       yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	                                           YAML_BLOCK_MAPPING_STYLE) &&
	       yaml_emitter_emit(em, &ev) &&
	       emit_pair(em, "plasticity", id->version,
	                 YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	       emit_pair(em, "dataset", id->dataset, YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	       emit_pair(em, "data_dir", id->data_dir, YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	       emit_pair(em, "data_crc32", crc, YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
	       emit_pair(em, "preset", id->preset, YAML_LITERAL_SCALAR_STYLE) &&
	       yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev) &&
	       yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(em, &ev) &&
	       yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev) &&
	       yaml_emitter_flush(em);
}

/* preset_write into a string. */
static char *preset_text(const struct preset *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return xstrdup("");
	preset_write(p, fp);
	fclose(fp);
	return buf;
}

enum pl_status identity_write(const char *dir, const struct preset *p,
                              const char *data_dir, const struct dataset *ds,
                              char **cause)
{
	/* An absolute folder, so a resume from another working directory finds it. */
	char *abs = data_dir != NULL ? realpath(data_dir, NULL) : NULL;
	struct run_identity id = {PACKAGE_VERSION, (char *)p->dataset,
	                          abs != NULL ? abs : (char *)data_dir, dataset_crc32(ds),
	                          preset_text(p)};
	char *path = xasprintf("%s/identity.yaml", dir);
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);
	yaml_emitter_t em;

	if (st != PL_OK)
		goto out;
	fputs("# What this run was made by and from; `plasticity run --resume` checks "
	      "it.\n",
	      af.fp);
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output_file(&em, af.fp);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	if (!emit_identity(&em, &id)) {
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot write: %s", path,
		             em.problem ? em.problem : "YAML emitter error");
		atomic_abort(&af);
	} else {
		st = atomic_commit(&af, cause);
	}
	yaml_emitter_delete(&em);
out:
	free(id.preset);
	free(abs);
	free(path);
	return st;
}

/* The scalar's text, decoded if tagged !!binary; NULL if not a scalar. */
static char *scalar_value(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE)
		return NULL;
	if (n->tag != NULL && strcmp((const char *)n->tag, BINARY_TAG) == 0)
		return base64_decode(s);
	return xstrdup(s);
}

static enum pl_status read_pairs(yaml_document_t *doc, const char *path,
                                 struct run_identity *id, char **cause)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	char **slot[] = {&id->version, &id->dataset, &id->data_dir, NULL, &id->preset};
	const char *names[] = {"plasticity", "dataset", "data_dir", "data_crc32",
	                       "preset"};
	char *crc = NULL, *end;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return pl_fail(cause, PL_ERR_DATA, "%s: not a mapping", path);
	slot[3] = &crc;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		size_t i = 0;

		while (i < 5 &&
		       (k->type != YAML_SCALAR_NODE ||
		        strcmp((const char *)k->data.scalar.value, names[i]) != 0))
			i++;
		if (i == 5 || *slot[i] != NULL || (*slot[i] = scalar_value(v)) == NULL) {
			free(crc);
			return pl_fail(cause, PL_ERR_DATA,
			               "%s:%zu:%zu: unexpected or invalid key", path,
			               k->start_mark.line + 1, k->start_mark.column + 1);
		}
	}
	for (size_t i = 0; i < 5; i++)
		if (*slot[i] == NULL) {
			free(crc);
			return pl_fail(cause, PL_ERR_DATA, "%s: %s is missing", path,
			               names[i]);
		}
	errno = 0;
	id->data_crc32 = (uint32_t)strtoul(crc, &end, 16);
	if (*crc == '\0' || *end != '\0' || errno != 0 || strlen(crc) > 8) {
		free(crc);
		return pl_fail(cause, PL_ERR_DATA, "%s: data_crc32 is not 8 hex digits",
		               path);
	}
	free(crc);
	return PL_OK;
}

enum pl_status identity_read(const char *dir, struct run_identity *id, char **cause)
{
	char *path = xasprintf("%s/identity.yaml", dir);
	FILE *fp = fopen(path, "rb");
	enum pl_status st;
	yaml_parser_t parser;
	yaml_document_t doc;

	memset(id, 0, sizeof(*id));
	if (fp == NULL) {
		st = pl_fail(
		        cause, PL_ERR_NOINPUT,
		        "%s: cannot open: %s (a run directory made before plasticity "
		        "recorded its identity cannot be resumed safely)",
		        path, strerror(errno));
		free(path);
		return st;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		st = pl_fail(cause, PL_ERR_DATA, "%s:%zu:%zu: %s", path,
		             parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		             parser.problem ? parser.problem : "YAML error");
	} else {
		st = read_pairs(&doc, path, id, cause);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	free(path);
	return st;
}

void identity_free(struct run_identity *id)
{
	free(id->version);
	free(id->dataset);
	free(id->data_dir);
	free(id->preset);
	memset(id, 0, sizeof(*id));
}

/* Length of line s (to '\n' or the end). */
static size_t line_len(const char *s)
{
	return strcspn(s, "\n");
}

/*
 * The key a line of preset_write's output sets: "tasks", or for method
 * lines ("  - optimizer: sgd", "    lr: 0.05") "methods.N.KEY", with N
 * counted as the override syntax counts it. *method tracks the index.
 */
static char *line_key(const char *s, int *method)
{
	size_t k;

	if (strncmp(s, "  - ", 4) == 0)
		(*method)++;
	if (s[0] != ' ') {
		k = strcspn(s, ":\n");
		return xasprintf("%.*s", (int)k, s);
	}
	s += 4;
	k = strcspn(s, ":\n");
	return xasprintf("methods.%d.%.*s", *method, (int)k, s);
}

/* The value part of a "key: value" line, for the message. */
static const char *line_value(const char *s, int *len)
{
	const char *c = memchr(s, ':', line_len(s));

	if (c == NULL) {
		*len = 0;
		return "";
	}
	c += c[1] == ' ' ? 2 : 1;
	*len = (int)(line_len(s) - (size_t)(c - s));
	return c;
}

enum pl_status identity_check_preset(const char *dir, const struct run_identity *id,
                                     const struct preset *p, char **cause)
{
	char *now = preset_text(p), *key;
	const char *a = id->preset, *b = now;
	int method = -1, la, lb;
	enum pl_status st = PL_OK;

	if (strcmp(id->version, PACKAGE_VERSION) != 0) {
		st = pl_fail(cause, PL_ERR_CONFIG,
		             "%s/identity.yaml: plasticity: this run was made by "
		             "plasticity %s, "
		             "this is %s; resume it with that version",
		             dir, id->version, PACKAGE_VERSION);
		goto out;
	}
	while (*a && *b && line_len(a) == line_len(b) && memcmp(a, b, line_len(a)) == 0) {
		free(line_key(a, &method));
		a += line_len(a) + (a[line_len(a)] == '\n');
		b += line_len(b) + (b[line_len(b)] == '\n');
	}
	if (*a == '\0' && *b == '\0')
		goto out;
	key = line_key(*b ? b : a, &method);
	{
		const char *va = line_value(a, &la), *vb = line_value(b, &lb);

		st = pl_fail(
		        cause, PL_ERR_CONFIG,
		        "%s/preset.yaml: %s is %.*s, but this run was started with %.*s "
		        "(identity.yaml); a run directory resumes only what was run",
		        dir, key, lb ? lb : 7, lb ? vb : "missing", la ? la : 7,
		        la ? va : "nothing");
	}
	free(key);
out:
	free(now);
	return st;
}

enum pl_status identity_check_data(const char *dir, const struct run_identity *id,
                                   const struct dataset *ds, const char *data_dir,
                                   char **cause)
{
	uint32_t crc = dataset_crc32(ds);

	if (strcmp(id->dataset, ds->name) != 0)
		return pl_fail(
		        cause, PL_ERR_DATA,
		        "%s/identity.yaml: dataset: this run was trained on %s, not %s",
		        dir, id->dataset, ds->name);
	if (crc != id->data_crc32)
		return pl_fail(
		        cause, PL_ERR_DATA,
		        "%s/identity.yaml: data_crc32: the data in %s has CRC-32 %08x, "
		        "this run was trained on %08x (from %s)",
		        dir, data_dir, (unsigned)crc, (unsigned)id->data_crc32,
		        id->data_dir);
	return PL_OK;
}

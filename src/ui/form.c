/*
 * form.c - the settings form's rows, driven by the preset schema table.
 *
 * Values are changed only through preset_override, so the form accepts
 * exactly what a preset file or a KEY=VALUE argument would, with the same
 * messages.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/optim.h"
#include "plasticity/util.h"
#include "ui/ui.h"

/* Top-level keys shown first in the form, in this order; the others follow
 * the methods. */
static const char *const top_keys[] = {
        "name",   "setting", "dataset", "tasks", "train_examples", "hidden", "batch_size",
        "epochs", "runs",    "seed",    NULL};

static const struct schema_entry *find_entry(const struct schema_entry *t, size_t n,
                                             const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

static int add_field(struct form_field *out, int n, int max, const char *key,
                     const char *label, int method, const struct schema_entry *e)
{
	if (n >= max || e == NULL)
		return n;
	snprintf(out[n].key, sizeof(out[n].key), "%s", key);
	snprintf(out[n].label, sizeof(out[n].label), "%s", label);
	out[n].method = method;
	out[n].e = e;
	return n + 1;
}

/* One method key's row, labelled as the paper writes it where it has a symbol. */
static int method_field(struct form_field *out, int n, int max, int m, const char *k,
                        int utf8)
{
	char key[48], label[32];

	snprintf(key, sizeof(key), "methods.%d.%s", m, k);
	if (strcmp(k, "rho") == 0)
		snprintf(label, sizeof(label), utf8 ? "  ρ (radius)" : "  rho (radius)");
	else if (strcmp(k, "lambda") == 0)
		snprintf(label, sizeof(label), utf8 ? "  λ" : "  lambda");
	else
		snprintf(label, sizeof(label), "  %s", k);
	return add_field(out, n, max, key, label, m,
	                 find_entry(method_schema, method_schema_len, k));
}

static int listed(const char *const *keys, const char *k)
{
	for (; keys != NULL && *keys != NULL; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

/* Whether top-level key k means anything for p (a row is shown only then). */
static int applies(const struct preset *p, const char *k)
{
	if (strcmp(k, "first_unpermuted") == 0)
		return p->setting == SETTING_DOMAIN;
	if (strcmp(k, "shuffle_pairs") == 0)
		return p->setting == SETTING_CLASS;
	if (strcmp(k, "hessian_iters") == 0)
		return p->hessian_every > 0;
	if (strcmp(k, "baseline") == 0 || strcmp(k, "compare") == 0)
		return p->nmethods > 1;
	return 1;
}

/*
 * Every preset key that applies has a row: the experiment's shape first, then each
 * method (optimizer, lr, its own keys, then the keys every optimizer takes),
 * then the rest of the top-level keys in the schema's order.
 */
int form_fields(const struct preset *p, struct form_field *out, int max, int utf8)
{
	int n = 0;
	char key[48], label[32];

	for (size_t i = 0; top_keys[i] != NULL; i++)
		n = add_field(out, n, max, top_keys[i], top_keys[i], -1,
		              find_entry(preset_schema, preset_schema_len, top_keys[i]));
	for (int m = 0; m < p->nmethods; m++) {
		const struct optim_desc *d = optim_desc(p->methods[m].optimizer);

		snprintf(key, sizeof(key), "methods.%d.optimizer", m);
		snprintf(label, sizeof(label), "method %d", m + 1);
		n = add_field(out, n, max, key, label, m,
		              find_entry(method_schema, method_schema_len, "optimizer"));
		/* The learning rate, then the keys the optimizer's table entry names. */
		n = method_field(out, n, max, m, "lr", utf8);
		for (const char *const *k = d ? d->keys : NULL; k != NULL && *k != NULL;
		     k++)
			n = method_field(out, n, max, m, *k, utf8);
		for (size_t i = 0; i < method_schema_len; i++) {
			const char *k = method_schema[i].key;

			if (strcmp(k, "optimizer") != 0 && strcmp(k, "lr") != 0 &&
			    !listed(d ? d->keys : NULL, k) &&
			    method_key_shown(&p->methods[m], &method_schema[i]))
				n = method_field(out, n, max, m, k, utf8);
		}
	}
	for (size_t i = 0; i < preset_schema_len; i++) {
		const char *k = preset_schema[i].key;

		if (preset_schema[i].type != SCHEMA_METHODS && !listed(top_keys, k) &&
		    applies(p, k))
			n = add_field(out, n, max, k, k, -1, &preset_schema[i]);
	}
	return n;
}

void form_value(const struct preset *p, const struct form_field *f, char *buf, size_t len)
{
	const char *base =
	        f->method >= 0 ? (const char *)&p->methods[f->method] : (const char *)p;
	const void *v = base + f->e->offset;

	switch (f->e->type) {
	case SCHEMA_INT:
	case SCHEMA_BOOL:
		if (f->e->type == SCHEMA_BOOL)
			snprintf(buf, len, "%s", *(const int *)v ? "true" : "false");
		else
			snprintf(buf, len, "%d", *(const int *)v);
		break;
	case SCHEMA_UINT64:
		snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)v);
		break;
	case SCHEMA_FLOAT:
		snprintf(buf, len, "%g", *(const double *)v);
		break;
	case SCHEMA_STRING:
		snprintf(buf, len, "%s",
		         f->e->size == 0 ? (*(char *const *)v ? *(char *const *)v : "")
		                         : (const char *)v);
		break;
	case SCHEMA_ENUM:
		if (f->e->size == sizeof(int)) {
			const char *c = f->e->choices;

			for (int i = *(const int *)v; i > 0 && c != NULL; i--)
				c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL;
			snprintf(buf, len, "%.*s", c ? (int)strcspn(c, "|") : 1,
			         c ? c : "?");
		} else {
			snprintf(buf, len, "%s", (const char *)v);
		}
		break;
	case SCHEMA_INT_LIST: {
		size_t used = 0;

		buf[0] = '\0';
		for (int i = 0; i < p->nhidden && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s%d",
			                         i ? "," : "", p->hidden[i]);
		break;
	}
	case SCHEMA_METHODS:
		snprintf(buf, len, "%d methods", p->nmethods);
		break;
	}
}

enum pl_status form_set(struct preset *p, const struct form_field *f, const char *text,
                        char **cause)
{
	char *arg = xasprintf("%s=%s", f->key, text), *why = NULL;
	enum pl_status st = preset_override(p, arg, &why);

	if (st != PL_OK && cause != NULL) {
		/* Drop the "override 'key=value': " and "methods[0].lr: " prefixes: the
		 * error is shown beside the field it is about. */
		const char *m = strstr(why, "': "), *k;

		m = m ? m + 3 : why;
		k = strstr(m, ": ");
		if (k != NULL && strncmp(m, f->e->key, strlen(f->e->key)) == 0)
			m = k + 2;
		else if (k != NULL && strncmp(m, "methods[", 8) == 0 &&
		         strncmp(strchr(m, ']') + 2, f->e->key, strlen(f->e->key)) == 0)
			m = k + 2;
		free(*cause);
		*cause = xstrdup(m);
	}
	free(why);
	free(arg);
	return st;
}

int form_cycle(struct preset *p, const struct form_field *f, char **cause)
{
	char cur[64], next[64];
	const char *c, *hit;

	if (f->e->type == SCHEMA_BOOL) {
		form_value(p, f, cur, sizeof(cur));
		return form_set(p, f, strcmp(cur, "true") == 0 ? "false" : "true",
		                cause) == PL_OK
		               ? 1
		               : -1;
	}
	if (f->e->type != SCHEMA_ENUM)
		return 0;
	form_value(p, f, cur, sizeof(cur));
	c = f->e->choices;
	for (hit = c; hit != NULL; hit = strchr(hit, '|') ? strchr(hit, '|') + 1 : NULL)
		if (strncmp(hit, cur, strlen(cur)) == 0 &&
		    (hit[strlen(cur)] == '|' || hit[strlen(cur)] == '\0'))
			break;
	hit = hit && strchr(hit, '|') ? strchr(hit, '|') + 1 : c;
	snprintf(next, sizeof(next), "%.*s", (int)strcspn(hit, "|"), hit);
	return form_set(p, f, next, cause) == PL_OK ? 1 : -1;
}

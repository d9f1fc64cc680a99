/*
 * hook.c - state buffers of hooks (see hook.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "plasticity/hook.h"
#include "plasticity/util.h"

float *hook_state_add(struct hook *h, const char *name, size_t n)
{
	float *buf;

	if (h->nstate >= HOOK_MAX_STATE) {
		fprintf(stderr,
		        "plasticity: hook %s declares more than %d state buffers\n",
		        h->desc->name, HOOK_MAX_STATE);
		abort();
	}
	buf = xalloc_floats(n);
	h->state[h->nstate++] = (struct state_buf){name, buf, n};
	return buf;
}

void hook_release(struct hook *h)
{
	for (int i = 0; i < h->nstate; i++)
		free(h->state[i].data);
	h->nstate = 0;
}

/*
 * safetensors.h - a network's weights as a safetensors file, for PyTorch.
 *
 * The format (huggingface/safetensors): an 8-byte little-endian length N,
 * N bytes of JSON naming each tensor's dtype, shape and [begin, end) byte
 * offsets into the data that follows (padded with spaces so the data starts
 * 8-byte aligned), then the data, little-endian. Tensors are fc1.weight,
 * fc1.bias, fc2.weight, ... in nn.Linear's layout (out_features x
 * in_features, F32), so nn.Sequential(Linear, ReLU, ..., Linear) loads them
 * with its own indices renamed; a network with layer norm also has ln1.weight,
 * ln1.bias, ... (the gain and bias after hidden layer l, nn.LayerNorm's
 * names); an optional "permutation" I32 tensor holds a
 * domain task's pixel permutation (input i of the network is pixel perm[i]).
 */
#ifndef PLASTICITY_SAFETENSORS_H
#define PLASTICITY_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "plasticity/mlp.h"
#include "plasticity/status.h"

/* Write m (and perm, IDX_PIXELS entries, when not NULL) to path, atomically,
 * with the __metadata__ strings given as key/value pairs (nmeta of them). */
enum pl_status safetensors_write(const char *path, const struct mlp *m,
                                 const uint16_t *perm, const char *const *meta, int nmeta,
                                 char **cause);
/* The same file's bytes in memory (free() them), for an MPI rank to send. */
void *safetensors_mem(const struct mlp *m, const uint16_t *perm, const char *const *meta,
                      int nmeta, size_t *n);

#endif

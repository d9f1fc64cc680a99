/*
 * mlp.h - the multilayer perceptron: ReLU hidden layers, softmax output.
 *
 * Every parameter lives in one flat float buffer, layer by layer, weights
 * (in, out) then biases (out), so optimizers are flat-vector operations.
 * Weights are input-major, the transpose of nn.Linear's (out, in): the
 * weights an input feeds are one contiguous row, so an input that is zero
 * (81% of an MNIST image's pixels, about half of a ReLU layer's outputs)
 * skips its row in the forward pass, the backward pass and the update of the
 * small-batch path (optim.h). safetensors files are written in nn.Linear's
 * layout.
 * The network owns its activation workspace for up to max_batch examples;
 * nothing is allocated after mlp_new. Not thread-safe: one network per run.
 */
#ifndef PLASTICITY_MLP_H
#define PLASTICITY_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "plasticity/rng.h"

#define MLP_MAX_LAYERS 10

struct mlp;

/* sizes[0] inputs, sizes[1..nlayers-1] hidden widths, sizes[nlayers] outputs. */
struct mlp *mlp_new(int nlayers, const int *sizes, int max_batch);
/*
 * The same with norm: layer normalization before each hidden ReLU,
 * h = relu(gain zhat + bias), zhat = (z - mean z) / sqrt(var z + 1e-5) over
 * the layer's units (Ba et al. 2016; torch.nn.LayerNorm), with a gain
 * (init 1) and a bias (init 0) per unit as parameters after every linear
 * layer's: at mlp_norm_offset(m, l), sizes[l] gains then sizes[l] biases.
 * The small-batch path and mlp_hvp do not take such a network.
 */
struct mlp *mlp_new_norm(int nlayers, const int *sizes, int max_batch, int norm);
int mlp_norm(const struct mlp *m);
size_t mlp_norm_offset(const struct mlp *m, int l);
void mlp_free(struct mlp *m);

size_t mlp_nparams(const struct mlp *m);
float *mlp_params(struct mlp *m);
int mlp_nlayers(const struct mlp *m);
/* Offsets into the flat buffer of layer l's weights (in, out) and biases. */
size_t mlp_weight_offset(const struct mlp *m, int l);
/* Index in the flat buffer of the weight from input in to output out of
 * layer l (nn.Linear's weight[out][in]). */
size_t mlp_weight_index(const struct mlp *m, int l, int out, int in);
size_t mlp_bias_offset(const struct mlp *m, int l);
int mlp_size(const struct mlp *m, int i);

/* PyTorch nn.Linear default: weights and biases U(-1/sqrt(fan_in), +1/sqrt(fan_in)). */
void mlp_init(struct mlp *m, struct rng *r);

/*
 * Mean cross-entropy of a batch x (B, sizes[0]), labels y (B), and its
 * gradient written (not added) to grad (nparams). B <= max_batch.
 */
float mlp_loss_grad(struct mlp *m, const float *x, const uint8_t *y, int B, float *grad);

/*
 * The same pass with the gradient applied to the weights instead of written:
 * w += alpha grad (each layer's input gradient taken before its weights
 * move). Returns the loss.
 */
float mlp_loss_apply(struct mlp *m, const float *x, const uint8_t *y, int B, float alpha);

/*
 * The mean cross-entropy's Hessian times v (nparams), exactly, into hv
 * (nparams), on the batch x (B, sizes[0]), labels y: Pearlmutter's
 * R-operator (1994), a forward pass of the directional derivatives of
 * every pre-activation along v and a backward pass of those of the
 * gradients, as autograd's double backward computes it (ReLU's second
 * derivative is 0). About 2.5 gradients' worth of GEMMs. Returns the loss.
 */
float mlp_hvp(struct mlp *m, const float *x, const uint8_t *y, int B, const float *v,
              float *hv);

/* Forward only: the number of examples whose argmax is the label; *loss
 * (if not NULL) gets the summed cross-entropy. B <= max_batch. */
int mlp_evaluate(struct mlp *m, const float *x, const uint8_t *y, int B, double *loss);

/* Measurement over a batch that the network can be probed with again: FLOPs
 * of one forward+backward on B examples (for GFLOP/s reports). */
double mlp_flops_per_example(const struct mlp *m);

/*
 * Online accuracy (Dohare et al.): after mlp_count_next, the next
 * mlp_loss_grad counts the examples its forward pass classifies correctly,
 * before any update uses them; mlp_counted returns that count. Free: the
 * argmax of logits the pass computes anyway.
 */
void mlp_count_next(struct mlp *m);
int mlp_counted(const struct mlp *m);

/*
 * For probes, which run their own forward pass (after a SAM or GNP step the
 * buffers hold the perturbed pass): forward x (B, sizes[0]), B <= max_batch,
 * then read the named, shaped buffers through mlp_activation:
 *   l in 1..nlayers-1: hidden layer l after ReLU, (B, sizes[l]);
 *   l = nlayers: the logits, (B, outputs).
 * Valid until the next pass.
 */
void mlp_forward_only(struct mlp *m, const float *x, int B);
const float *mlp_activation(const struct mlp *m, int l);
int mlp_max_batch(const struct mlp *m);

#endif

#!/usr/bin/env bash
# save_weights: the networks written as safetensors load in Python with
# nothing but the format's spec (an 8-byte little-endian header length, a
# JSON header, raw little-endian data), and give back the very accuracy the
# run measured: the reader rebuilds the MLP (nn.Linear layout), applies the
# task's pixel permutation and tests on the task's test set. With PyTorch
# installed, the same through torch.frombuffer and nn.Sequential. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-st.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$GEN_IDX" "$tmp/data" --train 600 --test 200 >/dev/null
export PLASTICITY_DATA="$tmp/data"
cat >"$tmp/st.yaml" <<'YAML'
name: st
tasks: 3
hidden: [16, 8]
batch_size: 16
runs: 1
save_weights: every
train_examples: 40
methods:
  - optimizer: sgd
    lr: 0.02
YAML
"$PLASTICITY" run "$tmp/st.yaml" --out "$tmp/run" --quiet >/dev/null 2>&1
is "$?" 0 "a run with save_weights: every"
is "$(ls "$tmp/run/weights" | tr '\n' ' ')" \
	"m0-r1-t1.safetensors m0-r1-t2.safetensors m0-r1-t3.safetensors " \
	"one safetensors file per task"

cat >"$tmp/check.py" <<'PY'
import json, struct, sys

def load(path):
    """safetensors by its spec: u64 LE header length, JSON, raw data."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    head = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        fmt = {"F32": "f", "I32": "i"}[t["dtype"]]
        vals = struct.unpack("<%d%s" % ((b - a) // 4, fmt), data[a:b])
        out[name] = (t["shape"], vals)
    return head.get("__metadata__", {}), out

def idx(path):
    raw = open(path, "rb").read()
    (magic, n) = struct.unpack(">II", raw[:8])
    if magic == 2051:
        return [raw[16 + i * 784:16 + (i + 1) * 784] for i in range(n)]
    return list(raw[8:8 + n])

meta, t = load(sys.argv[1])
imgs, labels = idx(sys.argv[2] + "/t10k-images-idx3-ubyte"), idx(sys.argv[2] + "/t10k-labels-idx1-ubyte")
perm = t["permutation"][1] if "permutation" in t else list(range(784))
layers = sorted({k.split(".")[0] for k in t}, key=lambda s: int(s[2:]) if s.startswith("fc") else 0)
layers = [l for l in layers if l.startswith("fc")]
correct = 0
for img, y in zip(imgs, labels):
    h = [img[perm[j]] / 255.0 for j in range(784)]
    for i, l in enumerate(layers):
        (o, k), w = t[l + ".weight"]
        _, b = t[l + ".bias"]
        z = [b[r] + sum(w[r * k + c] * h[c] for c in range(k)) for r in range(o)]
        h = [max(v, 0.0) for v in z] if i + 1 < len(layers) else z
    correct += max(range(len(h)), key=lambda c: h[c]) == y
print("%s %s %s %.6f" % (meta["method"], meta["run"], meta["task"], correct / len(imgs)))
PY
got=$(python3 "$tmp/check.py" "$tmp/run/weights/m0-r1-t3.safetensors" "$tmp/data")
want=$(awk -F, 'NR > 1 && $9 == 3 { print $11 }' "$tmp/run/results.csv")
is "$got" "sgd lr=0.02 1 3 $want" \
	"a plain-Python reader rebuilds the network of task 3 and gets its test accuracy ($want)"

# Debian's python3-torch is for Debian's python3, which may not be first on PATH.
pytorch=
for py in python3 /usr/bin/python3; do
	"$py" -c 'import torch' 2>/dev/null && pytorch=$py && break
done
if [ -n "$pytorch" ]; then
	# With "ln", nn.LayerNorm between each Linear and its ReLU, from ln1.*, ln2.*.
	cat >"$tmp/with_pytorch.py" <<'PY'
import json, struct, sys, torch
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
head, data = json.loads(raw[8:8 + n]), bytearray(raw[8 + n:])
def tensor(name):
    t = head[name]; a, b = t["data_offsets"]
    dt = {"F32": torch.float32, "I32": torch.int32}[t["dtype"]]
    return torch.frombuffer(data[a:b], dtype=dt).reshape(t["shape"])
L, N, R = torch.nn.Linear, torch.nn.LayerNorm, torch.nn.ReLU
if sys.argv[3:] == ["ln"]:
    net = torch.nn.Sequential(L(784, 16), N(16), R(), L(16, 8), N(8), R(), L(8, 10))
    where = {"fc1": 0, "ln1": 1, "fc2": 3, "ln2": 4, "fc3": 6}
else:
    net = torch.nn.Sequential(L(784, 16), R(), L(16, 8), R(), L(8, 10))
    where = {"fc1": 0, "fc2": 2, "fc3": 4}
net.load_state_dict({"%d.%s" % (where[k.split(".")[0]], k.split(".")[1]): tensor(k)
                     for k in head if k.split(".")[0] in where})
img = open(sys.argv[2] + "/t10k-images-idx3-ubyte", "rb").read()[16:]
lab = open(sys.argv[2] + "/t10k-labels-idx1-ubyte", "rb").read()[8:]
x = torch.frombuffer(bytearray(img), dtype=torch.uint8).reshape(-1, 784).float() / 255
x = x[:, tensor("permutation").long()]
y = torch.frombuffer(bytearray(lab), dtype=torch.uint8).long()
print("%.6f" % (net(x).argmax(1) == y).float().mean().item())
PY
	is "$("$pytorch" "$tmp/with_pytorch.py" "$tmp/run/weights/m0-r1-t3.safetensors" "$tmp/data")" "$want" \
		"PyTorch (nn.Sequential, load_state_dict) gets the same accuracy"
	"$PLASTICITY" run "$tmp/st.yaml" methods.0.layer_norm=true save_weights=last \
		--out "$tmp/ln" --quiet >/dev/null 2>&1
	want=$(awk -F, 'NR > 1 && $9 == 3 { print $11 }' "$tmp/ln/results.csv")
	is "$("$pytorch" "$tmp/with_pytorch.py" "$tmp/ln/weights/m0-r1-t3.safetensors" "$tmp/data" ln)" "$want" \
		"layer norm: PyTorch with nn.LayerNorm from ln1.*, ln2.* gets the run's accuracy too"
else
	echo "ok 4 # SKIP PyTorch is not installed"
	echo "ok 5 # SKIP PyTorch is not installed"
	tap_n=$((tap_n + 2))
fi
done_testing

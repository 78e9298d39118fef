"""Write tests/fixtures/codegen_torch.json: every kind of PyTorch snippet the Training vs inference page emits,
executed under torch, with what the layer did on a fixed batch.

    /work/torchenv/bin/python scripts/make_codegen_fixture.py     # any Python with torch 2.13 (no pandas needed)

For each case (features × every ε the lab offers × momentum 0.01, 0.1, 0.5, 1.0 and None) the snippet from
`lessons.codegen.constructor_snippets` is run with `exec`, then the layer (float64) takes one training step on
a fixed batch and one eval step. Stored: the snippet, the layer's repr, eps and momentum as torch holds them,
the training output, running mean and variance after the step, and the eval output. tests/lessons/test_codegen.py
checks the snippets still read the same and bn_core's BatchNorm reproduces every number.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lessons.codegen import constructor_snippets  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "codegen_torch.json"
EPS_VALUES = (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # ui.controls.EPS_OPTIONS
MOMENTA = (0.01, 0.1, 0.5, 1.0, None)
FEATURES = (1, 4)


def batch(num_features: int) -> np.ndarray:
    return np.round(np.random.default_rng(0).normal(2.0, 3.0, size=(6, num_features)), 3)


def run_case(num_features: int, eps: float, momentum: float | None) -> dict:
    snippet = constructor_snippets(num_features, eps=eps, momentum=momentum)["PyTorch"]
    scope: dict = {}
    exec(snippet, scope)  # noqa: S102 - the point: the snippet as a user would paste it
    bn = scope["bn"].double()
    x = torch.tensor(batch(num_features))
    bn.train()
    y_train = bn(x)
    bn.eval()
    y_eval = bn(x)
    return {
        "features": num_features, "eps": eps, "momentum": momentum, "snippet": snippet, "repr": repr(bn),
        "torch_eps": bn.eps, "torch_momentum": bn.momentum, "x": x.tolist(),
        "train_output": y_train.tolist(), "running_mean": bn.running_mean.tolist(),
        "running_var": bn.running_var.tolist(), "eval_output": y_eval.tolist(),
    }


def main() -> None:
    cases = [run_case(c, eps, momentum) for c in FEATURES for eps in EPS_VALUES for momentum in MOMENTA]
    lines = ",\n".join(json.dumps(case, separators=(",", ":")) for case in cases)
    OUT.write_text(f"{{\"torch\": \"{torch.__version__}\", \"cases\": [\n{lines}\n]}}\n")
    print(f"wrote {len(cases)} cases with torch {torch.__version__} to {OUT}")


if __name__ == "__main__":
    main()

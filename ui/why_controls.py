"""The "Why it works" page's lab settings: one collapsed panel per experiment, every control bound to the URL under a
key of its own experiment (lr_depth, init_depth, ...), so each experiment keeps its own defaults in a link."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from bn_core.toy_data import DATASETS
from lessons.why.lab import Lab
from ui.controls import bound, seed_control

POINT_OPTIONS = (32, 64, 100, 200, 300, 400, 800)
WIDTH_OPTIONS = (8, 16, 32, 64, 128)
LR_OPTIONS = (0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0)
BATCH_OPTIONS = (4, 8, 16, 32, 64, 128)
STEP_OPTIONS = (50, 100, 150, 200, 300, 400, 600, 800)
EPOCH_OPTIONS = (20, 40, 80, 100, 150, 200)


def setting_keys(experiment: str) -> dict[str, str]:
    """The URL key of every Lab field `experiment` lets the visitor set (the swept one is left out)."""
    k = f"{experiment}_"
    keys = {"dataset": k + "ds", "n_train": k + "n", "noise": k + "noise", "depth": k + "depth", "width": k + "width",
            "seed": k + "seed", "n_seeds": k + "seeds", "lr": k + "lr", "batch_size": k + "batch",
            "steps": k + ("epochs" if experiment == "reg" else "steps"), "momentum": k + "mom",
            "injected_noise": k + "strength"}
    left_out = {"lr": "lr", "reg": "batch_size"}.get(experiment)
    if left_out:
        del keys[left_out]
    if experiment != "smooth":
        del keys["injected_noise"]
    return keys


def chosen_lab(experiment: str, default: Lab) -> Lab:
    """The settings lab_settings shows, read from session state: the experiment's run reruns alone when one
    changes (ui.layout.rerun_only)."""
    return replace(default, **{field: st.session_state[key] for field, key in setting_keys(experiment).items()})


def lab_settings(experiment: str, default: Lab, on_change) -> None:
    """The settings of `experiment` in a collapsed expander, starting at `default`; on_change: what a change reruns."""
    keys = setting_keys(experiment)
    with st.expander("Lab settings: data, network, training, seeds", icon=":material/tune:"):
        data_col, net_col, train_col = st.columns(3)
        with data_col:
            bound(st.selectbox, "Dataset", key=keys["dataset"], options=list(DATASETS), format_func=DATASETS.get,
                  index=list(DATASETS).index(default.dataset), on_change=on_change,
                  help="Two classes of 2-D points, generated from the seed.")
            bound(st.select_slider, "Training points", key=keys["n_train"], options=POINT_OPTIONS,
                  value=default.n_train, on_change=on_change,
                  help="Points to train on; the test set is 1,000 fresh points.")
            bound(st.slider, "Noise", key=keys["noise"], min_value=0.0, max_value=0.5, value=default.noise,
                  step=0.05, on_change=on_change,
                  help="Standard deviation of the jitter added to every point (the data span about −1 to 1); more "
                       "noise blurs the classes into each other.")
        with net_col:
            bound(st.slider, "Hidden layers", key=keys["depth"], min_value=1, max_value=6, value=default.depth,
                  on_change=on_change, help="Blocks of Linear → norm → ReLU before the output layer.")
            bound(st.select_slider, "Width", key=keys["width"], options=WIDTH_OPTIONS, value=default.width,
                  on_change=on_change, help="Units per hidden layer.")
            seed_control(key=keys["seed"], on_change=on_change)
            bound(st.slider, "Seeds", key=keys["n_seeds"], min_value=1, max_value=8, value=default.n_seeds,
                  on_change=on_change,
                  help="Every configuration trains once per seed (seed, seed + 1, ...), all together; charts show "
                       "the median and the band from the lowest to the highest seed.")
        with train_col:
            if "lr" in keys:
                bound(st.select_slider, "Learning rate", key=keys["lr"], options=LR_OPTIONS, value=default.lr,
                      format_func=lambda v: f"{v:g}", on_change=on_change, help="Step size of SGD.")
            if "batch_size" in keys:
                bound(st.select_slider, "Batch size", key=keys["batch_size"], options=BATCH_OPTIONS,
                      value=default.batch_size, on_change=on_change,
                      help="Samples per step (capped at the training set); BatchNorm's statistics are taken over "
                           "them.")
            if experiment == "reg":
                bound(st.select_slider, "Epochs", key=keys["steps"], options=EPOCH_OPTIONS, value=default.steps,
                      on_change=on_change, help="Passes over the training set, the same at every batch size.")
            else:
                bound(st.select_slider, "Steps", key=keys["steps"], options=STEP_OPTIONS, value=default.steps,
                      on_change=on_change, help="SGD updates per run.")
            bound(st.slider, "SGD momentum", key=keys["momentum"], min_value=0.0, max_value=0.95,
                  value=default.momentum, step=0.05, on_change=on_change,
                  help="v ← μ·v + gradient, weights ← weights − lr·v (PyTorch's SGD); 0 is plain SGD.")
            if "injected_noise" in keys:
                bound(st.slider, "Injected noise strength a", key=keys["injected_noise"], min_value=0.25,
                      max_value=2.0, value=default.injected_noise, step=0.25, on_change=on_change,
                      help="Noisy BatchNorm: per step and unit a mean μ ~ U(−a, a) and a scale σ ~ U(1, 1 + a); per "
                           "sample y = c·x + b with c ~ N(σ, (a/2)²), b ~ N(μ, (a/2)²).")

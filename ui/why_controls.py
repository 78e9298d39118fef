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


def lab_settings(experiment: str, default: Lab) -> Lab:
    """The settings of `experiment` in a collapsed expander, starting at `default`; the swept one is left out."""
    k = f"{experiment}_"
    with st.expander("Lab settings: data, network, training, seeds", icon=":material/tune:"):
        data_col, net_col, train_col = st.columns(3)
        with data_col:
            dataset = bound(st.selectbox, "Dataset", key=k + "ds", options=list(DATASETS), format_func=DATASETS.get,
                            index=list(DATASETS).index(default.dataset),
                            help="Two classes of 2-D points, generated from the seed.")
            n_train = bound(st.select_slider, "Training points", key=k + "n", options=POINT_OPTIONS,
                            value=default.n_train, help="Points to train on; the test set is 1,000 fresh points.")
            noise = bound(st.slider, "Noise", key=k + "noise", min_value=0.0, max_value=0.5, value=default.noise,
                          step=0.05, help="Standard deviation of the jitter added to every point (the data span "
                                          "about −1 to 1); more noise blurs the classes into each other.")
        with net_col:
            depth = bound(st.slider, "Hidden layers", key=k + "depth", min_value=1, max_value=6, value=default.depth,
                          help="Blocks of Linear → norm → ReLU before the output layer.")
            width = bound(st.select_slider, "Width", key=k + "width", options=WIDTH_OPTIONS, value=default.width,
                          help="Units per hidden layer.")
            seed = seed_control(key=k + "seed")
            n_seeds = bound(st.slider, "Seeds", key=k + "seeds", min_value=1, max_value=8, value=default.n_seeds,
                            help="Every configuration trains once per seed (seed, seed + 1, ...), all together; "
                                 "charts show the median and the band from the lowest to the highest seed.")
        with train_col:
            lr = default.lr if experiment == "lr" else bound(
                st.select_slider, "Learning rate", key=k + "lr", options=LR_OPTIONS, value=default.lr,
                format_func=lambda v: f"{v:g}", help="Step size of SGD.")
            batch_size = default.batch_size if experiment == "reg" else bound(
                st.select_slider, "Batch size", key=k + "batch", options=BATCH_OPTIONS, value=default.batch_size,
                help="Samples per step (capped at the training set); BatchNorm's statistics are taken over them.")
            if experiment == "reg":
                steps = bound(st.select_slider, "Epochs", key=k + "epochs", options=EPOCH_OPTIONS,
                              value=default.steps, help="Passes over the training set, the same at every batch size.")
            else:
                steps = bound(st.select_slider, "Steps", key=k + "steps", options=STEP_OPTIONS, value=default.steps,
                              help="SGD updates per run.")
            momentum = bound(st.slider, "SGD momentum", key=k + "mom", min_value=0.0, max_value=0.95,
                             value=default.momentum, step=0.05,
                             help="v ← μ·v + gradient, weights ← weights − lr·v (PyTorch's SGD); 0 is plain SGD.")
            injected = default.injected_noise if experiment != "smooth" else bound(
                st.slider, "Injected noise strength a", key=k + "strength", min_value=0.25, max_value=2.0,
                value=default.injected_noise, step=0.25,
                help="Noisy BatchNorm: per step and unit a mean μ ~ U(−a, a) and a scale σ ~ U(1, 1 + a); per "
                     "sample y = c·x + b with c ~ N(σ, (a/2)²), b ~ N(μ, (a/2)²).")
    return replace(default, dataset=dataset, n_train=n_train, noise=noise, depth=depth, width=width, seed=seed,
                   n_seeds=n_seeds, lr=lr, batch_size=batch_size, steps=steps, momentum=momentum,
                   injected_noise=injected)

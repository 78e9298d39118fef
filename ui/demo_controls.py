"""The Demo page's controls and their callbacks.

The batch lives in one place: the bound controls (preset, seed, populations) or, for a batch of the user's own,
the bound `data` text, so a link carries it. The page shares what it shows through `ui.state.share_batch`, and
that one copy is what "Your own" starts from. Callbacks only move values between widgets (the lessons compute them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from bn_core.data import DISTRIBUTIONS, FeatureSpec, feature_names
from lessons.csv_input import batch_to_csv, quote
from lessons.demo import (
    DEFAULT_SPECS,
    MAX_BATCH_SIZE,
    MAX_FEATURES,
    MAX_STEPS,
    MODES,
    PRESETS,
    UPLOAD_LIMIT_MB,
    affine_features,
    apply_cell_edits,
    constant_first_feature,
    read_upload,
    readable_table,
)
from lessons.shapes import VIEWS
from ui.controls import bound, eps_control, gamma_beta_controls, momentum_control, seed_control, set_control
from ui.layout import redraw_page
from ui.state import shared_batch

EDITOR_VERSION = "_demo_editor_version"
UPLOAD_REPORT = "_demo_upload_report"


# ---------------------------------------------------------------- callbacks (run before the next rerun)


def _refresh_editor() -> None:
    """A new key for the table editor: its pending cell edits were absorbed into the batch."""
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1


def own_batch_values(x: np.ndarray, names) -> dict[str, str]:
    """The controls that make x (N, F) the page's batch: the bound `data` text, so a link carries it, and the
    preset. The table editor starts over."""
    _refresh_editor()
    return {"data": batch_to_csv(x, names), "preset": "custom"}


def use_own_batch(x: np.ndarray, names) -> None:
    st.session_state.update(own_batch_values(x, names))


def _preset_changed() -> None:
    shared = shared_batch()
    if st.session_state.get("preset") == "custom" and not st.session_state.get("data", "").strip() and shared:
        x = shared[0]  # the seed example or a random batch: features named F0, F1, …
        use_own_batch(np.round(x, 4), feature_names(x.shape[1]))


def _new_batch() -> None:
    st.session_state["seed"] = (st.session_state.get("seed", 0) + 1) % 2**31
    st.session_state["preset"] = "random"


def _upload_changed() -> None:
    file = st.session_state.get("upload")
    upload = None if file is None else read_upload(file.name, file.getvalue())
    st.session_state[UPLOAD_REPORT] = upload
    if upload is not None and upload.text is not None:
        st.session_state["data"] = upload.text
        st.session_state["preset"] = "custom"
        _refresh_editor()


def _text_changed() -> None:
    st.session_state["preset"] = "custom"
    _refresh_editor()


def _steps_after(delta: int) -> int:
    return int(np.clip(st.session_state.get("steps", 0) + delta, 0, MAX_STEPS))


def _change_steps(delta: int) -> None:
    st.session_state["steps"] = _steps_after(delta)


# The callbacks from here on are called by buttons and the table editor in the layer's fragment and move controls
# the page's fragment draws in the sidebar: each hands them to redraw_page.

def _cells_edited(editor_key: str, x: np.ndarray, names) -> None:
    redraw_page(own_batch_values(apply_cell_edits(x, names, st.session_state[editor_key].get("edited_rows", {})),
                                 names))


def set_affine(gamma, beta) -> None:
    redraw_page({**{f"gamma{j}": float(g) for j, g in enumerate(gamma)},
                 **{f"beta{j}": float(b) for j, b in enumerate(beta)}})


def try_odd_shapes() -> None:
    shapes = ("skewed", "bimodal", "heavy-tailed", "with outliers")
    redraw_page({"preset": "random", "n": 64, "f": 4, "mode": "training", "plot": "histogram",
                 **{f"dist{j}": shape for j, shape in enumerate(shapes)}})


def try_inference() -> None:
    redraw_page({"steps": _steps_after(5), "mode": "inference"})


def try_affine_input(x: np.ndarray, names, scale: float) -> None:
    redraw_page(own_batch_values(affine_features(x, scale, 10.0), names))


def try_constant_feature(x: np.ndarray, names) -> None:
    redraw_page({**own_batch_values(constant_first_feature(x), names), "eps": 0.0})


# ---------------------------------------------------------------- controls


def batch_controls() -> tuple[str, int, tuple[FeatureSpec, ...], int]:
    """Preset, seed, and for a random batch its populations and size: (preset, seed, specs, batch size)."""
    preset = bound(st.segmented_control, "Batch", key="preset", options=list(PRESETS), default="seed",
                   required=True, format_func=PRESETS.get, on_change=_preset_changed,
                   help="Seed example: the 8 × 4 batch of the page this lab grew from. Random: drawn from the "
                        "populations set below. Your own: uploaded, typed or edited in the table.")
    seed_col, button_col = st.columns(2, vertical_alignment="bottom")
    seed = seed_control(seed_col)
    button_col.button("New batch", key="new_batch", on_click=_new_batch, icon=":material/casino:", width="stretch",
                      help="Draw a new random batch from the same populations (the seed goes up by one).")
    if preset != "random":
        return preset, seed, (), 0
    batch_size = bound(st.slider, "Batch size (samples)", key="n", min_value=1, max_value=MAX_BATCH_SIZE, value=8,
                       persist_state="page", help="Number of samples the statistics are taken over.")
    num_features = bound(st.slider, "Features", key="f", min_value=1, max_value=MAX_FEATURES, value=4,
                         persist_state="page", help="Number of features (columns), each normalized on its own.")
    with st.expander("Feature populations"):
        specs = tuple(_population_controls(j) for j in range(num_features))
    return preset, seed, specs, batch_size


def _population_controls(j: int) -> FeatureSpec:
    default = DEFAULT_SPECS[j]
    shape = bound(st.selectbox, f"F{j} distribution", key=f"dist{j}", options=DISTRIBUTIONS,
                  index=DISTRIBUTIONS.index(default.distribution), persist_state="page",
                  help="Shape of the population this feature is drawn from; all shapes are scaled to the mean "
                       "and standard deviation below it.")
    mean_col, scale_col = st.columns(2)
    mean = bound(mean_col.number_input, f"F{j} mean", key=f"mean{j}", min_value=-1000.0, max_value=1000.0,
                 value=default.mean, step=0.5, persist_state="page",
                 help="Population mean: where this feature's values sit.")
    scale = bound(scale_col.number_input, f"F{j} scale σ", key=f"scale{j}", min_value=0.0, max_value=1000.0,
                  value=default.scale, step=0.1, persist_state="page",
                  help="Population standard deviation; 0 makes the feature constant.")
    return FeatureSpec(shape, mean, scale)


@dataclass(frozen=True)
class LayerSettings:
    mode: str
    eps: float
    momentum: float
    steps: int  # training steps taken
    gamma: np.ndarray  # (F,)
    beta: np.ndarray  # (F,)


def layer_settings(num_features: int) -> LayerSettings:
    """What layer_controls and affine_controls are set to, read from session state: the layer's fragment reruns
    alone when one of them changes, with the arguments of its last call (ui.layout.rerun_only)."""
    state = st.session_state
    return LayerSettings(state["mode"], state["eps"], state["momentum"], int(state["steps"]),
                         np.array([state[f"gamma{j}"] for j in range(num_features)], dtype=float),
                         np.array([state[f"beta{j}"] for j in range(num_features)], dtype=float))


def layer_controls(can_train: bool, on_change: Callable[[], None]) -> None:
    """Mode, ε, momentum and the training steps taken. on_change: what a change of mode, ε or steps reruns (momentum
    reruns the page's fragment: its caption in the sidebar changes with it)."""
    bound(st.segmented_control, "Mode", key="mode", options=MODES, default="training", required=True,
          format_func=str.capitalize, on_change=on_change,
          help="Training: normalize with this batch's statistics. Inference (eval): normalize with the running "
               "statistics collected during training.")
    eps_control(on_change=on_change)
    momentum_control()
    bound(st.number_input, "Training steps taken", key="steps", min_value=0, max_value=MAX_STEPS, value=0, step=1,
          on_change=on_change,
          help="How many fresh batches have gone through the layer in training mode. The running statistics are the "
               "result of exactly these batches, so a link reproduces them.")
    one_col, ten_col = st.columns([3, 2])
    one_col.button("Training step", key="step1", on_click=_change_steps, args=(1,), disabled=not can_train,
                   width="stretch",
                   help="Feed one fresh batch from the same populations through the layer in training mode: the "
                        "running statistics move towards its statistics.")
    ten_col.button("+10", key="step10", on_click=_change_steps, args=(10,), disabled=not can_train,
                   width="stretch", help="Ten training steps at once.")
    st.button("Reset", key="reset_steps", on_click=set_control, args=("steps", 0), icon=":material/restart_alt:",
              help="Forget all training steps: running mean back to 0, running variance to 1.")


def view_control() -> str:
    return bound(st.segmented_control, "Show each feature as", key="plot", options=list(VIEWS), default="samples",
                 required=True, format_func=VIEWS.get,
                 help="Samples: one stroke per sample. Histogram or density: the feature's shape (use a batch of "
                      "64 or more to tell skewed, bimodal and heavy-tailed features apart).")


def own_batch_controls() -> None:
    st.file_uploader("Upload a CSV", type=["csv", "txt", "tsv"], key="upload", on_change=_upload_changed,
                     max_upload_size=UPLOAD_LIMIT_MB,
                     help="One column per feature, one row per sample; a header row is optional. Text columns are "
                          "ignored; at most 256 rows and 8 numeric columns are used.")
    bound(st.text_area, "Or type the batch as CSV", key="data", value="", height=140, on_change=_text_changed,
          placeholder="a,b\n1.5,20\n2.0,24\n0.5,19",
          help="Rows are samples, columns are features, values separated by commas. This text is part of the page "
               "link, so a link reopens your batch.")


def affine_controls(names, on_change: Callable[[], None]) -> None:
    """γ and β per feature; on_change: what a change of one reruns."""
    gamma_col, beta_col = st.columns(2)  # one pair of columns for all features: each st.columns call costs ~2 ms
    for j, name in enumerate(names):
        gamma_beta_controls(j, gamma_col, beta_col, name=quote(name), on_change=on_change)


def upload_report():
    """The last upload's outcome (lessons.demo.Upload) while its file is still in the uploader, else None."""
    return st.session_state.get(UPLOAD_REPORT) if st.session_state.get("upload") is not None else None


# ---------------------------------------------------------------- tables


def show_table(frame: pd.DataFrame, container=st) -> None:
    """A numeric table in its per-column formats; undefined cells (0/0) read "—", never None."""
    shown, formats = readable_table(frame)
    container.dataframe(shown, column_config={name: st.column_config.NumberColumn(name, format=fmt)
                                              for name, fmt in formats.items()})


def batch_editor(frame: pd.DataFrame, x: np.ndarray, names) -> None:
    """The input table (every value finite), editable: an edit turns the batch into the user's own."""
    formats = readable_table(frame)[1]
    key = f"edit{st.session_state.get(EDITOR_VERSION, 0)}"
    config = {name: st.column_config.NumberColumn(name, format=fmt) for name, fmt in formats.items()}
    st.data_editor(frame, key=key, column_config=config, num_rows="fixed", on_change=_cells_edited,
                   args=(key, x, list(names)))

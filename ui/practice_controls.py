"""The In practice page's control panels: one function per topic (PANELS), each returning that topic's settings, the
reader that gets them back from session state when only the topic's result reruns (chosen_settings), and the gate
that keeps a link from starting a training run by itself.

Every control is URL-bound through `ui.controls.bound` with its full domain, so a link reopens the same experiment.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lessons import batches, coupling, devices, dropout, folding, recalibration, transfer
from ui.controls import bound

_SEEN = "_practice_tabs_seen"
OnChange = Callable[[], None] | None
# The settings of the topics that train networks, at their defaults (the values the widgets below start at).
TRAINING_DEFAULTS = {"recalibration": (0.01, 8), "adabn": ("translate", 1.0), "finetune": 2, "devices": (4, 2),
                     "batches": "one class per batch"}


def ready(name: str, settings) -> bool:
    """Whether topic `name` may compute now. A training topic opened (first render in this session) from a link with
    other than its default settings waits for a click: a link alone must not start an expensive run. Afterwards,
    a control change is the user's own click and runs at once."""
    seen = st.session_state.setdefault(_SEEN, set())
    first = name not in seen
    seen.add(name)
    if not first or name not in TRAINING_DEFAULTS or settings == TRAINING_DEFAULTS[name]:
        return True
    return st.button("Run this experiment", key=f"run_{name}", icon=":material/play_arrow:", type="primary",
                     help="The link sets non-default settings: the networks train (about a second) when you click.")


def folding_controls(on_change: OnChange = None) -> tuple[str, int, str]:
    columns = st.columns(3)
    layer = bound(columns[0].radio, "Layer before BN", key="fold_layer", options=folding.LAYERS, index=0,
                  horizontal=True, on_change=on_change,
                  help="Linear (4 → 3) or a 3×3 convolution (3 → 4 channels, as torch.nn.Conv2d) written as an einsum.")
    batch_size = bound(columns[1].slider, "Batch size N", key="fold_n", min_value=2, max_value=64, value=16,
                       on_change=on_change,
                       help="Samples in the batch compared; training mode takes its statistics from them.")
    dtype = bound(columns[2].radio, "Precision", key="fold_dtype", options=("float64", "float32"), index=0,
                  horizontal=True, on_change=on_change,
                  help="The folded layer's arithmetic; the reference is always float64.")
    return layer, batch_size, dtype


def recalibration_controls(on_change: OnChange = None) -> tuple[float, int]:
    columns = st.columns(2)
    momentum = bound(columns[0].select_slider, "BN momentum m (PyTorch)", key="recal_m",
                     options=recalibration.MOMENTA, value=TRAINING_DEFAULTS["recalibration"][0], on_change=on_change,
                     help="Weight of the new batch in the EMA; Keras' momentum is 1 − m (0.01 here = Keras 0.99).")
    count = bound(columns[1].select_slider, "PreciseBN batches", key="recal_k",
                  options=recalibration.RECALIBRATION_BATCHES, value=TRAINING_DEFAULTS["recalibration"][1],
                  on_change=on_change, help="Batches of 32 training samples whose statistics PreciseBN averages.")
    return momentum, count


def shift_controls(on_change: OnChange = None) -> tuple[str, float]:
    columns = st.columns(2)
    kind = bound(columns[0].radio, "Shift", key="shift_kind", options=transfer.SHIFTS,
                 index=transfer.SHIFTS.index(TRAINING_DEFAULTS["adabn"][0]), horizontal=True, on_change=on_change,
                 help="Translate by size·(0.7, 0.7), scale by 1 + size, or rotate by size·45°.")
    magnitude = bound(columns[1].select_slider, "Size of the shift", key="shift_size",
                      options=transfer.SHIFT_MAGNITUDES, value=TRAINING_DEFAULTS["adabn"][1], on_change=on_change,
                      help="How far the target inputs are from the source's.")
    return kind, magnitude


def fine_tune_controls(on_change: OnChange = None) -> int:
    return bound(st.select_slider, "Fine-tuning batch size", key="ft_b", options=transfer.FINE_TUNE_BATCHES,
                 value=TRAINING_DEFAULTS["finetune"], on_change=on_change,
                 help="Samples per SGD step while fine-tuning on 32 labelled target samples (100 steps).")


def devices_controls(on_change: OnChange = None) -> tuple[int, int]:
    columns = st.columns(2)
    count = bound(columns[0].select_slider, "Devices K", key="dev_k", options=devices.DEVICES,
                  value=TRAINING_DEFAULTS["devices"][0], on_change=on_change,
                  help="Data-parallel replicas; the global batch is K·b.")
    per_device = bound(columns[1].select_slider, "Samples per device b", key="dev_b", options=devices.PER_DEVICE,
                       value=TRAINING_DEFAULTS["devices"][1], on_change=on_change,
                       help="What each device's own BN normalizes over, unless synchronized.")
    return count, per_device


def batches_controls(on_change: OnChange = None) -> str:
    return bound(st.radio, "Batches", key="order", options=batches.ORDERS,
                 index=batches.ORDERS.index(TRAINING_DEFAULTS["batches"]), horizontal=True, on_change=on_change,
                 help="How the loader forms batches of 16: shuffled, 12 of one class and 4 of the other "
                      "(alternating), or all of one class.")


def coupling_controls(on_change: OnChange = None) -> tuple[int, float]:
    """The moved sample, numbered 1…size, and its new value."""
    size = len(coupling.example_batch())
    columns = st.columns(2)
    moved = bound(columns[0].select_slider, "Sample moved", key="move_i", options=tuple(range(1, size + 1)),
                  value=3, on_change=on_change, help=f"Which sample of the batch (1…{size}) the value control moves.")
    value = bound(columns[1].slider, "Its new value", key="move_x", min_value=coupling.VALUE_RANGE[0],
                  max_value=coupling.VALUE_RANGE[1], value=5.0, step=0.1, on_change=on_change,
                  help=f"The moved sample's input; the other {size - 1} stay where they are.")
    return moved, value


def dropout_controls(on_change: OnChange = None) -> tuple[float, float]:
    columns = st.columns(2)
    rate = bound(columns[0].select_slider, "Dropout rate p", key="drop_p", options=dropout.RATES, value=0.5,
                 on_change=on_change,
                 help="Probability of zeroing a value in training (inverted dropout, as torch.nn.Dropout).")
    mean = bound(columns[1].select_slider, "Input mean c", key="drop_c", options=dropout.MEANS, value=1.0,
                 on_change=on_change,
                 help="Mean of the inputs (variance 1); after a ReLU, activations have a positive mean.")
    return rate, mean


PANELS = {"folding": folding_controls, "recalibration": recalibration_controls, "adabn": shift_controls,
          "finetune": fine_tune_controls, "devices": devices_controls, "batches": batches_controls,
          "coupling": coupling_controls, "dropout": dropout_controls}
# The keys of each topic's controls, in the order its panel returns their values.
SETTING_KEYS = {"folding": ("fold_layer", "fold_n", "fold_dtype"), "recalibration": ("recal_m", "recal_k"),
                "adabn": ("shift_kind", "shift_size"), "finetune": ("ft_b",), "devices": ("dev_k", "dev_b"),
                "batches": ("order",), "coupling": ("move_i", "move_x"), "dropout": ("drop_p", "drop_c")}


def chosen_settings(name: str):
    """What topic `name`'s panel is set to, read from session state, as the panel returns it: its result's fragment
    reruns alone when one of them changes (ui.layout.rerun_only)."""
    values = tuple(st.session_state[key] for key in SETTING_KEYS[name])
    return values if len(values) > 1 else values[0]

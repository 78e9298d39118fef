"""Why it works: train small networks with and without batch normalization, in this session, and test the
claims made for it: speed, learning rates, initialization, regularization, internal covariate shift, and
Santurkar et al.'s smoother loss landscape."""

import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from bn_core.toy_data import DATASETS
from charts.spec import vega_lite_spec
from charts.training import SWEEPS, ExperimentView, decision_chart, experiment_view
from lessons.experiments import (
    EXPERIMENTS,
    INIT_GRID,
    LR_GRID,
    PROBE_MULTIPLIERS,
    DataSpec,
    RunSpec,
    decision_frame,
    estimated_seconds,
    plan,
    points_frame,
    run_all,
    run_label,
)
from lessons.legacy_mlp import DIVERGED_LOSS, MLP, NORMS, TrainConfig
from ui.controls import bound, seed_control
from ui.layout import page_setup

page_setup("Why it works", "🔬")

LR_OPTIONS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_OPTIONS = (4, 8, 16, 32, 64, 128, 256)
STEP_OPTIONS = (100, 200, 300, 400, 600, 800, 1000, 1500, 2000)
SIZE_OPTIONS = (100, 200, 400, 800, 1600)
WIDTH_OPTIONS = (16, 32, 64, 128)
AUTO_RUN_SECONDS = 3.0  # experiments estimated to take longer wait for a click
MAX_SECONDS = 40.0  # and those estimated above this are refused
APPROVED = "_why_approved_experiments"
PROGRESS_SECONDS = 0.25
SMOOTH_PRESET = {"depth": 4, "lr": 0.3}
IOFFE = "[Ioffe & Szegedy 2015](https://arxiv.org/abs/1502.03167)"
SANTURKAR = "[Santurkar et al. 2018](https://arxiv.org/abs/1805.11604)"
BJORCK = "[Bjorck et al. 2018](https://arxiv.org/abs/1806.02375)"
ARORA = "[Arora, Li & Lyu 2019](https://arxiv.org/abs/1812.03981)"

CLAIMS = {
    "lr": f"**Claim:** batch norm lets a network train with larger learning rates and reach a given loss in fewer "
          f"steps ({IOFFE}: BN-Inception matched Inception's accuracy in 14× fewer training steps). **Run:** the same "
          f"network at each learning rate from {LR_GRID[0]:g} to {LR_GRID[-1]:g}, with and without normalization, "
          "for the same number of steps.",
    "init": "**Claim:** batch norm makes training insensitive to the initial weight scale. **Run:** weights start "
            f"at {INIT_GRID[0]:g}× to {INIT_GRID[-1]:g}× the He scale (standard deviation √(2/fan-in)). Without "
            "normalization the scale compounds layer by layer; in training mode a BatchNorm layer's output does "
            "not change at all when the weights feeding it are multiplied by a positive constant (up to ε).",
    "batch": "**Claim:** batch norm regularizes. Each sample is normalized with its batch's statistics, so its "
             "activations carry noise that shrinks as the batch grows (about 1/√m). **Run:** train and test "
             "accuracy at batch sizes 4 to 256, the same number of steps each (small batches see fewer samples).",
    "drift": f"**Claim** ({IOFFE}): as earlier layers learn, the distribution of each later layer's inputs keeps "
             "moving (*internal covariate shift*), and batch norm helps by holding it still. **Run:** the "
             "distribution of the pre-activations (each ReLU's input) per layer over training, and "
             f"{SANTURKAR}'s gradient-based measure: how much a layer's gradient changes when the layers below "
             "it take their step first.",
    "smooth": f"**Claim** ({SANTURKAR}): batch norm works because it makes the loss landscape smoother, not because "
              "it reduces covariate shift. **Run:** (1) *noisy BatchNorm*: after every BatchNorm layer, a random "
              "shift and scale per feature, drawn anew at every step, so each layer's input distribution is made "
              "unstable on purpose; (2) probes along the gradient direction during training, with and without "
              "BatchNorm.",
}


def lab_controls(experiment: str) -> tuple[RunSpec, list[str]]:
    """The data, network and training settings (bound to the URL); the swept one is disabled."""
    with st.expander("Lab settings: data, network, training", expanded=True, icon=":material/tune:"):
        data_col, net_col, train_col = st.columns(3)
        with data_col:
            name = bound(st.selectbox, "Dataset", key="ds", options=list(DATASETS), format_func=DATASETS.get,
                         help="Two classes of 2-D points, generated from the seed.")
            noise = bound(st.slider, "Noise", key="noise", min_value=0.0, max_value=0.5, value=0.1, step=0.05,
                          help="Standard deviation of the Gaussian jitter added to every point (the data spans "
                               "about −1 to 1). More noise blurs the classes into each other.")
            size = bound(st.select_slider, "Points", key="n", options=SIZE_OPTIONS, value=400,
                         help="Points in the dataset; a quarter of them are held out as the test set.")
            seed = seed_control()
        with net_col:
            depth = bound(st.slider, "Hidden layers", key="depth", min_value=2, max_value=6, value=2,
                          help="Blocks of Linear → norm → ReLU before the output layer.")
            width = bound(st.select_slider, "Width", key="width", options=WIDTH_OPTIONS, value=32,
                          help="Units per hidden layer.")
            init_scale = bound(st.select_slider, "Initial weight scale (× He)", key="init", options=INIT_GRID,
                               value=1.0, format_func=lambda s: f"{s:g}×", disabled=experiment == "init",
                               help="Weights start as N(0, s² · 2/fan-in): s = 1 is He initialization. "
                                    "The initialization experiment sweeps this.")
            norms = bound(st.pills, "Normalizations to compare", key="norms", options=list(NORMS),
                          format_func=NORMS.get, selection_mode="multi", default=["none", "batch"],
                          disabled=experiment == "smooth",
                          help="Each is trained with the same data, initial weights and batches. The smoothness "
                               "experiment always compares no norm, BatchNorm and noisy BatchNorm.")
        with train_col:
            lr = bound(st.select_slider, "Learning rate", key="lr", options=LR_OPTIONS, value=0.1,
                       format_func=lambda v: f"{v:g}", disabled=experiment == "lr",
                       help="Step size of SGD. The learning-rate experiment sweeps it.")
            batch_size = bound(st.select_slider, "Batch size", key="batch", options=BATCH_OPTIONS, value=32,
                               disabled=experiment == "batch",
                               help="Samples per step (capped at the training set). BatchNorm takes its "
                                    "statistics over these. The batch-size experiment sweeps it.")
            steps = bound(st.select_slider, "Steps", key="steps", options=STEP_OPTIONS, value=400,
                          help="SGD updates per run.")
            momentum = bound(st.slider, "SGD momentum", key="mom", min_value=0.0, max_value=0.95, value=0.0,
                             step=0.05, help="v ← μ·v + gradient, weights ← weights − lr·v (PyTorch's SGD). "
                                             "0 is plain SGD. Not BatchNorm's running-statistics momentum.")
    config = TrainConfig(lr=lr, steps=steps, batch_size=batch_size, momentum=momentum, seed=seed)
    base = RunSpec(DataSpec(name, size, noise, seed), hidden=(width,) * depth, init_scale=init_scale, train=config)
    return base, norms


@st.cache_data(show_spinner=False, max_entries=32)
def train_experiment(key: str, name: str, _specs: tuple[RunSpec, ...]) -> ExperimentView:
    """Train every run of experiment `name` and build its tables and chart specs. The progress bar is made
    inside, so a cache hit replays it already emptied."""
    bar = st.progress(0.0, text="Starting…")
    last = [time.perf_counter()]

    def progress(label: str, step: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > PROGRESS_SECONDS:
            last[0] = now
            bar.progress(step / total, text=f"Training {label}: step {step:,} of {total:,}")

    view = experiment_view(run_all(_specs, progress), name)
    bar.empty()
    return view


@st.cache_data(show_spinner=False, max_entries=64)
def boundary_spec(key: str, index: int, title: str, _model: MLP, _data: DataSpec) -> dict:
    """The decision boundary of run `index` of the experiment `key` over its dataset, as a Vega-Lite spec."""
    data = _data.make()
    return vega_lite_spec(decision_chart(decision_frame(_model, data.x_all), points_frame(data), title))


def results_table(summary: pd.DataFrame, varied: str) -> None:
    shown = summary[["method", varied, "train_loss", "train_accuracy", "test_accuracy", "status"]].copy()
    for column, fmt in (("train_loss", "{:.3f}"), ("train_accuracy", "{:.1%}"), ("test_accuracy", "{:.1%}")):
        shown[column] = [("—" if pd.isna(v) else fmt.format(v)) for v in shown[column]]  # NaN: diverged
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={
            "method": "Normalization", "lr": st.column_config.NumberColumn("Learning rate", format="%g"),
            "init_scale": st.column_config.NumberColumn("Init scale", format="%g×"),
            "batch_size": st.column_config.NumberColumn("Batch size", format="%d"),
            "train_loss": "Final training loss", "train_accuracy": "Train accuracy",
            "test_accuracy": "Test accuracy", "status": st.column_config.TextColumn("Status", width="large"),
        },
    )
    st.download_button("Download these results (CSV)", summary.to_csv(index=False), file_name="why_it_works.csv",
                       mime="text/csv", icon=":material/download:",
                       help="One row per run: settings, final loss and accuracies, and whether it diverged.")


def method_metrics(summary: pd.DataFrame) -> None:
    groups = summary.groupby("method", sort=False)
    for column, (method, rows) in zip(st.columns(groups.ngroups), groups, strict=True):
        best = rows.test_accuracy.max()
        diverged, collapsed = int(rows.diverged_at.notna().sum()), int(rows.dead_layer.notna().sum())
        failures = [f"{diverged} diverged"] * bool(diverged) + [f"{collapsed} collapsed"] * bool(collapsed)
        column.metric(f"{method}: best test accuracy", "—" if pd.isna(best) else f"{best:.0%}",
                      delta=f"{' and '.join(failures)} of {len(rows)} runs" if failures else f"all {len(rows)} trained",
                      delta_color="red" if failures else "off", delta_arrow="off",
                      help=f"Over this experiment's {len(rows)} runs with {method}. A run diverges when its loss "
                           f"exceeds {DIVERGED_LOSS:g} or stops being a finite number; it collapses when every ReLU "
                           "of a layer is off for every training point, so the network answers the same everywhere.")


def sweep_view(view: ExperimentView, varied: str) -> None:
    method_metrics(view.summary)
    st.vega_lite_chart(view.charts[0], width="stretch")
    st.caption("Left: the training loss at the end (eval mode, whole training set; ✕ at the top: diverged). Right: "
               "accuracy on the held-out quarter. Below: the training loss of each run's mini-batches, averaged "
               "over blocks of steps; a dashed line marks where a run diverged.")
    results_table(view.summary, varied)


def batch_view(view: ExperimentView) -> None:
    method_metrics(view.summary)
    st.vega_lite_chart(view.charts[0], width="stretch")
    st.caption("Train and test accuracy in eval mode. A gap between the bars is overfitting; dashed: chance.")
    st.vega_lite_chart(view.charts[1], width="stretch")
    results_table(view.summary, "batch_size")
    st.markdown(
        "**Reading it.** In these small networks, tiny batches make BatchNorm's statistics noisy: training "
        "accuracy drops, and the train–test gap usually shrinks with it: that is the regularization, paid for in "
        "fit. With large batches BatchNorm fits faster, and can overfit more. The regularizing effect is real but "
        f"modest; {BJORCK} found that most of BatchNorm's benefit to generalization comes through the larger "
        "learning rates it allows."
    )


def drift_view(view: ExperimentView) -> None:
    st.vega_lite_chart(view.charts[0], width="stretch")
    st.caption("Mean and spread of every ReLU input of a layer over the current mini-batch (averaged over blocks "
               "of steps). With BatchNorm they are pinned, by construction, at β (starts at 0) and γ (starts at 1).")
    st.dataframe(view.tables["drift"].round(3), hide_index=True, width="stretch", column_config={
        "method": "Normalization", "layer": "Layer", "mean_start": "Mean, first 20 steps",
        "mean_end": "Mean, last 20 steps", "std_start": "Spread, first 20 steps", "std_end": "Spread, last 20 steps"})
    st.markdown(f"**Covariate shift as {SANTURKAR} define it.** For layer *i*, G is the gradient of its weights "
                "and G′ the same gradient after every layer below *i* has taken its SGD step on the same batch. "
                "If the changing input distribution mattered to layer *i*, G′ would point elsewhere than G.")
    st.latex(r"\mathrm{ICS}_i = \lVert G_i - G_i' \rVert_2, \qquad \cos(G_i, G_i') = "
             r"\frac{\langle G_i, G_i'\rangle}{\lVert G_i\rVert\,\lVert G_i'\rVert}")
    if len(view.charts) < 2:
        st.warning("Every run diverged before its first probe: lower the learning rate.")
    else:
        st.vega_lite_chart(view.charts[1], width="stretch")
        st.dataframe(view.tables["shift"].round(3), hide_index=True, width="stretch", column_config={
            "method": "Normalization", "layer": "Layer", "cosine": "Median cos(G, G′)", "l2": "Median ‖G − G′‖"})
    st.markdown(
        "**Reading it.** BatchNorm does hold the first two moments of each layer's input still; the plain network's "
        f"drift slowly. But by the gradient-based measure, {SANTURKAR} found BatchNorm networks have as much "
        "covariate shift as plain ones, often more; here too the answer depends on depth and learning rate. The "
        "ℓ2 sizes are not comparable across normalizations (the parameters are scaled differently); the cosine is."
    )


def smooth_view(view: ExperimentView) -> None:
    method_metrics(view.summary)
    st.vega_lite_chart(view.charts[0], width="stretch")
    st.caption("Training loss of the three networks: same data, initial weights and batches.")
    st.markdown(f"**The landscape along the gradient.** Every few steps, with θ the weights and g the gradient on "
                f"the current batch, the probe looks at η = {', '.join(f'{m:g}' for m in PROBE_MULTIPLIERS)} × "
                "the learning rate along −g (same batch, same noise) and records:")
    st.latex(r"\underbrace{\max_\eta L(\theta-\eta g) - \min_\eta L(\theta-\eta g)}_{\text{loss range}}\qquad"
             r"\underbrace{\max_\eta \lVert \nabla L(\theta-\eta g) - g \rVert}_{\text{gradient change}}\qquad"
             r"\underbrace{\max_\eta \frac{\lVert \nabla L(\theta-\eta g) - g \rVert}{\lVert \eta g \rVert}}"
             r"_{\beta\text{-smoothness}}")
    if len(view.charts) < 2:
        st.warning("Every run diverged before its first probe: lower the learning rate.")
        return
    st.vega_lite_chart(view.charts[1], width="stretch")
    st.dataframe(view.tables["probes"].round(4), hide_index=True, width="stretch", column_config={
        "method": "Network", "loss range": "Median loss range", "gradient change": "Median gradient change",
        "β-smoothness": "Median β-smoothness",
        "test_accuracy": st.column_config.NumberColumn("Test accuracy", format="percent")})
    st.markdown(
        "**Reading it.** Lower is smoother: the gradient stays a good guide further from where it was taken, so "
        "larger steps are safe. In deeper networks at larger learning rates (try the button above) the "
        "BatchNorm network is usually the smoother one, as Santurkar et al. report; in a shallow network at a small "
        "learning rate the plain network barely moves and can look smoother. Noisy BatchNorm's inputs shift at "
        "every step by design, yet with moderate noise it usually trains close to plain BatchNorm and its landscape "
        "stays about as smooth: the stable distribution was not what mattered. Strong noise does hurt (push the "
        "slider); so does one unlucky seed, so try a few."
    )


def boundary_view(key: str, specs: tuple[RunSpec, ...], view: ExperimentView, default_label: str) -> None:
    st.subheader("What a network learned")
    default = view.labels.index(default_label) if default_label in view.labels else 0
    chosen = bound(st.selectbox, "Run", key="run", options=view.labels, index=default,
                   help="Which run's decision boundary to draw (eval mode, BatchNorm with its running statistics).")
    index = view.labels.index(chosen)
    row = view.summary.iloc[index]
    left, right = st.columns([3, 2])
    if pd.notna(row.diverged_at):
        right.warning(f"This run diverged at step {row.diverged_at}: its weights are what they were at that step, "
                      "so the picture shows a network that had blown up.")
    left.vega_lite_chart(boundary_spec(key, index, f"{chosen}: P(class 1)", view.models[index], specs[index].data),
                         width="content")
    right.metric("Test accuracy", "—" if pd.isna(row.test_accuracy) else f"{row.test_accuracy:.1%}")
    right.metric("Train accuracy", "—" if pd.isna(row.train_accuracy) else f"{row.train_accuracy:.1%}")
    right.caption(f"Status: {row.status}. Colour: the probability the network gives class 1, on a 60 × 60 grid; "
                  "points: circles train, diamonds test.")


def run_experiment(name: str, base: RunSpec, norms: list[str], noise: float) -> None:
    try:
        specs = tuple(plan(name, base, norms, noise))
    except ValueError as error:
        st.warning(f"{error}.")
        return
    seconds = estimated_seconds(specs)
    if seconds > MAX_SECONDS:
        st.warning(f"This would train {len(specs)} networks for about {seconds:.0f} s on this server, more than the "
                   f"{MAX_SECONDS:.0f} s this page allows. Lower the steps, width, depth or batch size, or compare "
                   "fewer normalizations.")
        return
    approved = st.session_state.setdefault(APPROVED, set())
    if seconds > AUTO_RUN_SECONDS and specs not in approved:
        st.info(f"{len(specs)} networks, about {seconds:.0f} s of training. Settings that small run by themselves; "
                "this one waits for you.")
        if not st.button("Run experiment", key="go", type="primary", icon=":material/play_arrow:",
                         help="Train every network of this experiment with the settings above."):
            return
        approved.add(specs)
    # The cached functions take `key`, the repr of the specs (frozen dataclasses of numbers and strings, so it
    # names them exactly), and the specs unhashed: hashing 14 nested dataclasses every rerun costs ~1 ms each.
    key = repr(specs)
    view = train_experiment(key, name, specs)
    st.caption(f"{len(specs)} networks × {base.train.steps:,} steps, trained on this server (cached: settings "
               "that have run before come back instantly).")
    if name in SWEEPS:
        sweep_view(view, SWEEPS[name][0])
    elif name == "batch":
        batch_view(view)
    elif name == "drift":
        drift_view(view)
    else:
        smooth_view(view)
    boundary_view(key, specs, view, run_label(replace(base, norm="batch"), name))


def set_smooth_preset() -> None:
    for key, value in SMOOTH_PRESET.items():
        st.session_state[key] = value


st.title("🔬 Why batch norm works: test it yourself")
st.markdown("Batch normalization clearly helps networks train. *Why* it helps is less settled than most "
            "introductions suggest. Here small networks (a few layers of Linear → norm → ReLU, written in numpy "
            "on the same `bn_core` as the rest of this lab) train live in your session on 2-D toy data, and each "
            "claim gets its experiment. Every setting is in the URL: share the link and others see your runs.")
original, revision = st.columns(2)
with original.container(border=True, height="stretch"):
    st.markdown(f"**The original account: {IOFFE}.** Training changes the weights of early layers, so the "
                "distribution of every later layer's input keeps moving (*internal covariate shift*) and later "
                "layers chase a moving target. Normalizing each layer's input over the mini-batch removes that, "
                "they argued, and so allows higher learning rates and less careful initialization.")
with revision.container(border=True, height="stretch"):
    st.markdown(f"**A revision: {SANTURKAR}.** Injecting random, changing shifts and scales after every BatchNorm "
                "layer, putting the covariate shift back, barely hurt training, and by a gradient-based measure "
                "BatchNorm did not reduce covariate shift. What it did change: the loss and its gradient vary more "
                "gently along the gradient direction (a *smoother landscape*), so larger steps stay safe.")

selected = bound(st.segmented_control, "Experiment", key="exp", options=list(EXPERIMENTS),
                 format_func=EXPERIMENTS.get, default="lr", required=True,
                 help="Each experiment trains several networks side by side to test one claim.")
st.markdown(CLAIMS[selected])
shift_strength = 0.0
if selected == "smooth":
    noise_col, preset_col = st.columns([2, 1])
    shift_strength = bound(noise_col.slider, "Injected noise strength a", key="shift", min_value=0.25,
                           max_value=2.0, value=0.5, step=0.25,
                           help="Noisy BatchNorm: after each BatchNorm layer, every feature is shifted by "
                                "U(−a, a) and scaled by (1 + a)^U(−1, 1), drawn anew at every step. Santurkar et "
                                "al. drew their noise per sample too, from a distribution that changed every step.")
    preset_col.button("Deeper and faster: 4 layers, learning rate 0.3", key="preset", on_click=set_smooth_preset,
                      icon=":material/bolt:", help="Where the paper's effect shows in these small networks.")
lab_base, lab_norms = lab_controls(selected)
run_experiment(selected, lab_base, lab_norms, shift_strength)

with st.expander("Where the field stands", icon=":material/menu_book:"):
    st.markdown(
        f"- **Well replicated:** batch norm speeds up training of deep networks and tolerates much larger learning "
        f"rates ({IOFFE}; {BJORCK}, who find the larger learning rates drive most of the benefit, including to "
        "generalization).\n"
        f"- **Disputed:** the internal-covariate-shift explanation. {SANTURKAR} show training works with the shift "
        "put back, and that by their gradient-based measure BatchNorm does not reduce it.\n"
        "- **Proposed instead:** a smoother loss landscape (Santurkar et al.); scale invariance, which lets the "
        f"weight norm grow and so tunes the effective learning rate automatically ({ARORA}); noise from batch "
        "statistics as a regularizer. These are not exclusive, and none is the settled account.\n"
        "- **This lab's limits:** tiny networks on 2-D data, one seed at a time, a few hundred steps. Change the "
        "seed to see how much a result moves; what holds across seeds and settings is worth more than one run."
    )

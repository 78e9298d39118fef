"""Deep networks: what BatchNorm does inside a deep network — its health at initialization and in training, its
gradients as depth grows, and the scale invariance that changes what weight decay means."""

import streamlit as st

from charts.deep import band_chart, ridgeline, update_ratio_chart
from charts.spec import vega_lite_spec
from lessons import depth, health, scale_invariance
from lessons.format import format_number
from ui.controls import bound, open_section
from ui.layout import card_row, lab_page, page_setup

page_setup("Deep networks", "🧠")

# Entry sizes measured with pickle: a Health result ~0.4 MB, a depth growth table ~10 KB, a decay run ~0.9 MB,
# a chart spec with its data ~0.2 MB. 16 entries each keep the page's caches under ~25 MB per process.


@st.cache_data(max_entries=16, show_spinner="Training 2 × 5 networks…")
def health_views(spec: health.HealthSpec) -> tuple[str, dict, dict, dict]:
    result = health.check_health(spec)
    x_title = "tanh output" if spec.activation == "tanh" else "ReLU output"
    share_title = "saturated share" if spec.activation == "tanh" else "dead share"
    charts = {}
    for phase in health.PHASES:
        charts[phase] = {
            (name, kind): vega_lite_spec(ridgeline(health.histograms(result, name, phase, kind), name,
                                                   x_title if kind == "activation" else "gradient"))
            for name in health.NORM_NAMES.values() for kind in ("activation", "gradient")
        }
        charts[phase]["share"] = vega_lite_spec(band_chart(health.share_band(result, phase), x="layer",
                                                           x_title="layer", y_title=share_title, series="norm"))
    ratios = vega_lite_spec(update_ratio_chart(result.update_ratio))
    return health.verdict(result), charts["init"], charts["trained"], ratios


@st.cache_data(max_entries=16, show_spinner="Differentiating 3 × 5 networks at 6 depths…")
def depth_views(spec: depth.DepthSpec) -> tuple[str, dict, dict]:
    growth = depth.growth_table(spec)
    growth_spec = vega_lite_spec(band_chart(depth.growth_summary(growth), x="depth", x_title="depth (hidden layers)",
                                            y_title="first ÷ last layer's ‖∂L/∂W‖", series="architecture", log=True))
    profile_spec = vega_lite_spec(band_chart(depth.profile_table(spec), x="layer", x_title="hidden layer",
                                             y_title="‖∂L/∂Wₗ‖ at initialization", series="architecture", log=True))
    return depth.verdict(growth), growth_spec, profile_spec


@st.cache_data(max_entries=16, show_spinner="Training 2 × 5 networks…")
def decay_views(spec: scale_invariance.DecaySpec) -> tuple[str, list[dict]]:
    runs = scale_invariance.decay_experiment(spec)
    panels = [("weight norm", "‖W‖ of the weights before BatchNorm", False, 1),
              ("effective lr", "effective learning rate lr/‖W‖²", True, 1),
              ("accuracy", "batch accuracy (20-step mean)", False, 20)]
    specs = [vega_lite_spec(band_chart(scale_invariance.band(runs, column, smooth), x="step", x_title="training step",
                                       y_title=title, series="run", log=log)) for column, title, log, smooth in panels]
    return scale_invariance.decay_verdict(runs, spec), specs


def seeds_control(key: str) -> tuple[int, ...]:
    first = bound(st.number_input, "First seed", key=key, min_value=0, max_value=10_000, value=0, step=1,
                  help="Five networks are trained or measured, with seeds from this one up.")
    return tuple(range(first, first + 5))


@st.fragment  # its controls rerun this part only
def health_view() -> None:
    st.markdown("**Claim.** A deep network starts healthy only if every layer's activations keep a useful spread: "
                "too large a gain saturates tanh units (their gradient vanishes) or makes a ReLU network's signal "
                "grow layer after layer, too small a gain shrinks it, and a ReLU unit negative for every sample is "
                "dead. BatchNorm centres and rescales every layer to unit variance, so a bad start does not matter.")
    with st.expander("Lab settings", expanded=False):
        left, right = st.columns(2)
        activation = bound(left.segmented_control, "Activation", key="activation", options=["tanh", "relu"],
                           default="tanh", required=True, help="tanh saturates at ±1; ReLU units can die (stay 0).")
        gain = bound(right.select_slider, "Initial gain", key="gain", options=list(health.GAINS), value="3",
                     help="W ~ N(0, gain²/fan-in). 3 saturates tanh, 0.5 shrinks the signal; 5/3 is PyTorch's gain "
                          "for tanh (calculate_gain), the healthy start without BatchNorm.")
        layers = bound(left.slider, "Hidden layers", key="hidden_layers", min_value=min(health.DEPTHS),
                       max_value=max(health.DEPTHS), value=6, help="Depth of the network (32 units per layer).")
        last = bound(right.toggle, "Last layer × 0.1", key="last_layer", value=False,
                     help="Shrink the output layer's initial weights, so the first predictions are nearly uniform.")
        seeds = seeds_control("health_seed")
    spec = health.HealthSpec(activation=activation, gain=health.GAINS[gain], last_layer_scale=0.1 if last else 1.0,
                             depth=layers, seeds=seeds)
    reading, at_init, trained, ratios = health_views(spec)
    phase = bound(st.segmented_control, "Show", key="phase", options=list(health.PHASES), default="init",
                  required=True, format_func=health.PHASES.get,
                  help="The probe batch before or after 100 training steps.")
    views = at_init if phase == "init" else trained
    st.vega_lite_chart(views["share"], width="stretch")
    kind = bound(st.segmented_control, "Distribution of", key="kind", options=["activation", "gradient"],
                 default="activation", required=True, format_func=str.capitalize,
                 help="Each layer's activations, or the gradient of the loss with respect to them.")
    for column, name in zip(st.columns(2), health.NORM_NAMES.values(), strict=True):
        column.vega_lite_chart(views[(name, kind)], width="stretch")
    st.markdown("**Update : data ratio** of every Linear layer during training (one line per layer). Karpathy's "
                "rule of thumb keeps it near 10⁻³ (dashed).")
    st.vega_lite_chart(ratios, width="stretch")
    st.markdown(f"**What it shows.** {reading}")
    st.caption("Caveats: a toy task (two spirals, 32 units per layer); saturation is measured on one probe batch in "
               "training mode. With BatchNorm the network is invariant to the scale of each layer's weights, so the "
               "gain no longer matters for the forward pass, but it still sets the effective learning rate.")


@st.fragment  # its controls rerun this part only
def depth_view() -> None:
    st.markdown("**Claim.** Without skip connections, BatchNorm makes gradients at initialization grow "
                "geometrically towards the input as the network gets deeper (Yang et al. 2019). Residual blocks carry "
                "the signal past each branch and keep the growth slow (De & Smith 2020).")
    with st.expander("Lab settings", expanded=False):
        depth_value = bound(st.slider, "Depth of the per-layer profile", key="net_depth", min_value=4, max_value=50,
                            value=32, help="Hidden layers (32 units each) of the networks in the second chart.")
        seeds = seeds_control("depth_seed")
    reading, growth_spec, profile_spec = depth_views(depth.DepthSpec(depth=depth_value, seeds=seeds))
    st.vega_lite_chart(growth_spec, width="stretch")
    st.markdown(f"**What it shows.** {reading}")
    st.markdown(f"**Per layer**, at depth {depth_value} (log scale; the band spans five seeds):")
    st.vega_lite_chart(profile_spec, width="stretch")
    st.caption("Caveats: one batch of 64, width 32, ReLU, He initialisation; the explosion rate depends on batch "
               "size and nonlinearity (Yang et al., Theorem 3.10). A residual branch ending in a BatchNorm with γ = 0 "
               "(zero-γ) or a zero scalar (SkipInit) starts as the identity: its weights get no gradient at first.")


@st.fragment  # its controls rerun this part only
def scale_view() -> None:
    st.markdown("**Claim.** BatchNorm makes the weights before it scale-invariant: multiplying them by α leaves the "
                "output unchanged and divides their gradient by α. So weight decay cannot regularize the function "
                "they compute; it shrinks ‖W‖ and so raises the effective learning rate lr/‖W‖² (van Laarhoven 2017).")
    alpha = bound(st.select_slider, "Scale α of the weights", key="alpha", options=[0.1, 0.5, 2.0, 10.0], value=2.0,
                  help="Multiply the weights (and bias) of a Linear layer followed by BatchNorm by α.")
    measured = scale_invariance.invariance(alpha)
    row = card_row()
    row.metric("max |y(αW) − y(W)|", format_number(measured.output_gap, 2),
               help=f"At ε = {format_number(measured.eps, 1)}; with ε·α² for the scaled layer the gap is "
                    f"{format_number(measured.exact_gap, 2)}.")
    row.metric("‖∂L/∂(αW)‖ / ‖∂L/∂W‖", format_number(measured.gradient_ratio, 6),
               help=f"1/α = {format_number(1 / alpha, 3)}.")
    row.metric("∂L/∂b of the bias before BN", format_number(measured.bias_gradient, 2),
               help="The bias is removed with the batch mean: its gradient is 0 up to rounding. Use bias=False.")
    st.caption(f"The outputs differ only through ε: BN with ε on αz equals BN with ε/α² on z "
               f"(gap {format_number(measured.exact_gap, 2)}). The bias before BatchNorm gets a gradient of "
               f"{format_number(measured.bias_gradient, 2)}: nothing to learn, so `nn.Linear(..., bias=False)` "
               "(or `bias=False` in a convolution) is the standard choice before `nn.BatchNorm1d`/`2d`.")
    with st.expander("Lab settings", expanded=False):
        weight_decay = bound(st.select_slider, "Weight decay", key="wd", options=[1e-3, 5e-3, 1e-2, 3e-2], value=5e-3,
                             help="L2 coefficient added to the gradient (PyTorch SGD's weight_decay).")
        lr = bound(st.select_slider, "Learning rate", key="wd_lr", options=[0.1, 0.2, 0.5, 1.0], value=0.5,
                   help="SGD learning rate, the same for both runs.")
        seeds = seeds_control("wd_seed")
    reading, panels = decay_views(scale_invariance.DecaySpec(weight_decay=weight_decay, lr=lr, seeds=seeds))
    for panel in panels:
        st.vega_lite_chart(panel, width="stretch")
    st.markdown(f"**What it shows.** {reading}")
    st.caption("Caveats: the weight norm here combines every hidden layer; the output layer is not scale-invariant "
               "and is decayed too. Hoffer et al. (2018) show the same on ImageNet-scale networks and propose fixing "
               "‖W‖ instead.")


LEAD = ("Three things BatchNorm does to a deep network that no single batch shows: it keeps every layer's "
        "activations healthy from a bad start, it makes gradients explode with depth unless skip connections help, and "
        "it makes the weights before it scale-invariant, which turns weight decay into a learning-rate schedule. Each "
        "experiment runs five seeds; the band spans them and the reading below is computed.")
REFERENCES = (
    "- A. Karpathy, *Building makemore Part 3: Activations & Gradients, BatchNorm* (2022): the health diagnostics "
    "(saturation, update:data ratio ~10⁻³).\n"
    "- G. Yang et al., *A Mean Field Theory of Batch Normalization*, ICLR 2019, arXiv:1902.08129: gradient "
    "explosion at initialization in BatchNorm networks without skips.\n"
    "- S. De, S. L. Smith, *Batch Normalization Biases Residual Blocks Towards the Identity Function in Deep "
    "Networks*, NeurIPS 2020, arXiv:2002.10444 (SkipInit).\n"
    "- P. Goyal et al., *Accurate, Large Minibatch SGD*, 2017, arXiv:1706.02677 (zero-γ initialisation).\n"
    "- T. van Laarhoven, *L2 Regularization versus Batch and Weight Normalization*, 2017, arXiv:1706.05350.\n"
    "- E. Hoffer et al., *Norm matters: efficient and accurate normalization schemes in deep networks*, NeurIPS "
    "2018, arXiv:1803.01814.\n"
    "- PyTorch 2.13: `torch.nn.init.calculate_gain('tanh') = 5/3`; `torch.optim.SGD(weight_decay=...)` adds "
    "weight_decay·p to the gradient."
)


def page() -> None:
    open_section({"Network health": health_view, "Depth at initialization": depth_view,
                  "Scale invariance & weight decay": scale_view}, key="tab", alone=True)


lab_page("🧠 Batch norm inside deep networks", LEAD, page, REFERENCES)

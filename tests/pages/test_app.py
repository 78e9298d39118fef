"""The app as one product: home page, shared sidebar, help on every control, state shared across pages."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1.element_tree import Widget

from tests.pages.conftest import open_page
from ui.controls import format_eps
from ui.layout import PAGES


def test_home_page_renders_preview_and_links_every_page():
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "🧪 BatchNorm Lab"
    links = [el.proto.page for el in at.get("page_link")]
    for info in PAGES[1:]:
        assert links.count(info.url_path) == 2, f"{info.path}: one link in the sidebar, one card on the home page"
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) == 2, "before and after, as two single views that fit a phone"
    assert all("hconcat" not in spec and spec["width"] == "container" for spec in specs)


@pytest.mark.parametrize("page", [info.path for info in PAGES])
def test_sidebar_lists_pages_in_teaching_order(page):
    at = open_page(None if page == "app.py" else page)
    sidebar_links = [el.proto.page for el in at.sidebar if el.type == "page_link"]
    assert sidebar_links == [info.url_path for info in PAGES]


@pytest.mark.parametrize("page", [info.path for info in PAGES])
def test_every_control_has_help(page):
    at = open_page(None if page == "app.py" else page)
    widgets = [w for w in at.main if isinstance(w, Widget)] + [w for w in at.sidebar if isinstance(w, Widget)]
    missing = [w.label for w in widgets if not getattr(w.proto, "help", "")]
    assert not missing, f"{page}: controls without help=: {missing}"


def test_epsilon_and_momentum_follow_the_user_across_pages():
    at = open_page("pages/1_Demo.py")
    at.select_slider(key="eps").set_value(1e-3).run()
    at.slider(key="momentum").set_value(0.25).run()
    at.switch_page("pages/3_Training_vs_Inference.py").run()
    assert not at.exception
    assert at.select_slider(key="eps").value == 1e-3
    assert at.slider(key="momentum").value == 0.25
    at.switch_page("pages/2_Formula.py").run()
    assert not at.exception
    assert at.select_slider(key="eps").value == 1e-3


def test_a_link_parameter_wins_over_the_session_value():
    at = open_page("pages/1_Demo.py")
    at.select_slider(key="eps").set_value(1e-3).run()
    fresh = open_page("pages/2_Formula.py", query={"eps": format_eps(1e-2)})
    assert fresh.select_slider(key="eps").value == 1e-2


def test_gamma_and_beta_set_on_the_demo_page_reach_the_formula_page():
    at = open_page("pages/1_Demo.py")
    at.number_input(key="gamma1").set_value(2.5).run()
    at.number_input(key="beta1").set_value(-1.0).run()
    at.switch_page("pages/2_Formula.py").run()
    at.radio(key="feature").set_value(1).run()
    assert not at.exception
    assert at.number_input(key="gamma1").value == 2.5
    assert at.number_input(key="beta1").value == -1.0

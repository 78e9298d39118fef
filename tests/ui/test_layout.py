from streamlit.proto.Block_pb2 import Block
from streamlit.testing.v1 import AppTest

from ui.layout import small_print


def test_small_print_is_grey_small_markdown():
    assert small_print("Now: x̂ differs by 0.5.") == ":gray[:small[Now: x̂ differs by 0.5.]]"


def test_small_print_escapes_brackets_that_would_end_the_directive():
    assert small_print("values in [0, 1]") == ":gray[:small[values in \\[0, 1\\]]]"


def metric_cards() -> None:
    from ui.layout import card_row

    row = card_row()
    row.metric("batch size", 16)
    row.metric("momentum", 0.1)


def test_a_card_row_is_one_wrapping_horizontal_block_holding_the_cards():
    at = AppTest.from_function(metric_cards).run()
    (row,) = at.main.children.values()
    assert row.proto.flex_container.direction == Block.FlexContainer.Direction.HORIZONTAL
    assert row.proto.flex_container.wrap, "cards wrap to the next line on a phone"
    assert [metric.label for metric in row.children.values()] == ["batch size", "momentum"]

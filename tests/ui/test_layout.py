from ui.layout import small_print


def test_small_print_is_grey_small_markdown():
    assert small_print("Now: x̂ differs by 0.5.") == ":gray[:small[Now: x̂ differs by 0.5.]]"


def test_small_print_escapes_brackets_that_would_end_the_directive():
    assert small_print("values in [0, 1]") == ":gray[:small[values in \\[0, 1\\]]]"

"""The rooms of issue 11, checked: what each package may import, and how long its files may grow.

Imports are inspected in a fresh interpreter (a subprocess), so modules this test session already loaded
(pytest plugins, pandas from other tests) cannot hide or fake an import.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
PAGE_LIMIT = 200
BN_CORE_LIMIT = 1600


def modules_after(statement: str) -> set[str]:
    """Top-level names in sys.modules after running `statement` in a fresh interpreter at the repository root."""
    script = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in done.stdout.split()}


def line_count(path: pathlib.Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_bn_core_imports_only_numpy_and_the_standard_library():
    loaded = modules_after("import bn_core")
    assert "bn_core" in loaded and "numpy" in loaded
    assert not loaded & {"pandas", "altair", "streamlit"}
    others = {name for name in loaded - set(sys.stdlib_module_names) if not name.startswith("_")}
    assert others <= {"bn_core", "numpy"}, f"bn_core pulls in {sorted(others - {'bn_core', 'numpy'})}"


def test_lessons_import_neither_streamlit_nor_altair():
    names = sorted(p.stem for p in (ROOT / "lessons").glob("*.py") if p.stem != "__init__")
    assert names, "no lesson modules found"
    loaded = modules_after("\n".join(f"import lessons.{name}" for name in names))
    assert "lessons" in loaded
    assert not loaded & {"streamlit", "altair"}, f"lessons pull in {sorted(loaded & {'streamlit', 'altair'})}"


def test_library_lesson_and_chart_tests_do_not_import_streamlit():
    modules = [f"tests.{folder}.{p.stem}" for folder in ("bn_core", "lessons", "charts")
               for p in sorted((ROOT / "tests" / folder).glob("test_*.py"))]
    assert len(modules) > 10
    loaded = modules_after("\n".join(f"import {module}" for module in modules))  # one interpreter: one import cost
    assert "streamlit" not in loaded, "a module in tests/bn_core, tests/lessons or tests/charts imports streamlit"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_file_is_short_enough_to_be_composition(path):
    lines = line_count(path)
    print(f"{path.relative_to(ROOT)}: {lines} lines")
    assert lines < PAGE_LIMIT, f"{path.relative_to(ROOT)} has {lines} lines; a page must stay under {PAGE_LIMIT}"


def test_bn_core_stays_under_its_line_budget():
    counts = {p.name: line_count(p) for p in sorted((ROOT / "bn_core").glob("*.py"))}
    total = sum(counts.values())
    print("\n".join(f"bn_core/{name}: {lines}" for name, lines in counts.items()), f"\nbn_core total: {total}")
    assert total < BN_CORE_LIMIT, f"bn_core has {total} lines, limit {BN_CORE_LIMIT}: {counts}"

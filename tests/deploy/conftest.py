"""Fixtures for the deployment tests: replicas behind Debian's nginx, driven by Debian's Chromium.

Without nginx (or Chromium) these tests skip locally; under CI (CI=true) they fail, so CI cannot pass without
having exercised the load balancer.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from deploy.local import NGINX, cluster
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401 (same Chromium)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/deploy" in str(item.fspath):
            item.add_marker(pytest.mark.deploy)


@pytest.fixture(scope="module")
def nginx_cluster():
    """Two `streamlit run` replicas behind nginx on 127.0.0.1; stopped after the module."""
    if not pathlib.Path(NGINX).exists():
        message = f"{NGINX} is missing: apt-get install -y nginx"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with cluster(replicas=2) as running:
        yield running

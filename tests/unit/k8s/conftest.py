"""The k8s tests' checkout in tmp (tests/unit/k8s/checkout.py) and its images (no engine)."""
from __future__ import annotations

import pytest

from tests.unit.k8s.checkout import checkout_settings, registry_images


@pytest.fixture
def settings(tmp_path):
    return checkout_settings(tmp_path / "checkout")


@pytest.fixture
def images(settings):
    return registry_images(settings)

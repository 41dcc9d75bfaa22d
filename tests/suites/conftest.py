"""Fixture ``built``: the test module's SUITE built at mini scale into two folders (see suite_helpers)."""
from __future__ import annotations

import pytest
from suite_helpers import build_twice


@pytest.fixture(scope="module")
def built(request, tmp_path_factory):
    suite = request.module.SUITE
    return build_twice(suite, tmp_path_factory.mktemp(suite))

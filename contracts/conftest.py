"""Loads :mod:`contracts.plugin` for ``pytest contracts``, unless ``-p contracts.plugin`` already did.

Tools that run the installed suite (``pytest -p contracts.plugin --pyargs contracts``)
load the plugin up front, so its options are known when the command line is read;
running from a checkout, this conftest loads it.
"""

from __future__ import annotations

import pytest

from contracts import plugin


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    if not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "contracts.plugin")

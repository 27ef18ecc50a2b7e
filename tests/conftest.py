"""Suite-wide collection rules.

The end-to-end suites below start whole programs, third-party clients or a docs build;
each test there takes seconds. They are marked ``slow`` so that the default ``pytest``
(the edit-test loop, ≤ 2 minutes) leaves them out, while CI's second step
(``pytest -m slow``, see .ci/run) runs every one of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

END_TO_END = (
    HERE / "peers",  # ccxt, python-kraken-sdk, KuCoin's SDKs, cryptofeed (issue 13)
    HERE / "test_docs.py",  # mkdocs build --strict
    HERE / "test_docs_snippets.py",  # every README/docs snippet against the emulators
    HERE / "test_demo.py",  # the demo program, end to end
    HERE / "test_example_failures.py",  # the examples as subprocesses
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of the end-to-end suites ``slow`` (before ``-m`` deselects)."""
    for item in items:
        if any(item.path == path or path in item.path.parents for path in END_TO_END):
            item.add_marker(pytest.mark.slow)

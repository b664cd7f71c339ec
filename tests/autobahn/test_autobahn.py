"""A quick slice of the Autobahn client suite in the ordinary test run; the
whole suite runs in CI via ``python -m tests.autobahn.run``."""

from __future__ import annotations

import time

import pytest

from . import run

# kosoku's copy of the Autobahn case 12.x files opens its test data without closing it.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <_io.FileIO name='[^']*kosoku[^']*testdata:pytest.PytestUnraisableExceptionWarning"
)

QUICK = ["1.1.*", "2.*", "3.*", "5.15", "6.4.*", "7.5.1", "7.9.*", "9.1.1", "12.1.1", "13.1.1", "13.3.1", "13.7.5"]


async def test_quick_slice_of_autobahn_cases_passes() -> None:
    start = time.monotonic()
    results = await run.run(QUICK, None)
    table = run.summary(results, time.monotonic() - start)
    assert len(results) >= 40, table
    failed = [r.case_id for r in results if not run.passed(r)]
    assert not failed, table
    assert {r.case_id for r in results} >= {"5.15", "6.4.3", "13.3.1"}


@pytest.mark.parametrize("case", ["3.2", "6.4.3"])
async def test_former_non_strict_cases_are_ok(case: str) -> None:
    (result,) = await run.run([case], None)
    assert (result.behavior.value, result.behavior_close.value) == ("OK", "OK")

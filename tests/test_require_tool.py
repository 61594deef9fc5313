"""A missing tool skips its tests on a developer's machine and fails them under CI."""

import pytest

from tests.conftest import require_tool

pytest_plugins = ["pytester"]

INNER_CONFTEST = """
from tests.conftest import pytest_configure, pytest_runtest_makereport, pytest_runtest_setup
"""
INNER_TESTS = """
import pytest
from tests.conftest import require_tool

def test_uses_a_missing_tool():
    require_tool("no-such-tool-sas2")

@pytest.mark.requires_tool("no-such-tool-sas2")
def test_marked_with_a_missing_tool():
    pass

@pytest.mark.skipif(True, reason="keytool (Java) is not installed")
def test_skipped_the_old_way():
    pass

def test_uses_a_present_tool():
    assert require_tool("sh").endswith("/sh")
"""


def test_a_present_tool_is_its_path(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_tool("openssl").endswith("openssl")


def test_a_missing_tool_skips_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-sas2 is not installed"):
        require_tool("no-such-tool-sas2")


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_a_missing_tool_fails_under_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI must run every test that drives it"):
        require_tool("no-such-tool-sas2")


def run_inner(pytester, monkeypatch, ci: str | None):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(INNER_TESTS)
    return pytester.runpytest_inprocess("-p", "no:django", "-p", "no:cacheprovider", "-rA")


def test_a_session_skips_tests_of_missing_tools_locally(pytester, monkeypatch):
    result = run_inner(pytester, monkeypatch, ci=None)
    result.assert_outcomes(passed=1, skipped=3)


def test_a_session_under_ci_fails_every_skipped_test(pytester, monkeypatch):
    result = run_inner(pytester, monkeypatch, ci="true")
    result.assert_outcomes(passed=1, errors=2, failed=1)
    result.stdout.fnmatch_lines(["*Skipped under CI, where every test must run: keytool*"])
    result.stdout.fnmatch_lines(["*no-such-tool-sas2 is not installed*CI must run every test*"])

"""zappa_settings.json, read by Zappa's own CLI as `zappa package` reads it."""

import json
import re

import pytest
from zappa.cli import ZappaCLI

from tests.serverless_as2.test_settings import ROOT

STAGES = json.loads((ROOT / "zappa_settings.json").read_text())


def load(stage: str) -> ZappaCLI:
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_credentials = False
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    return cli


def test_there_are_a_dev_and_a_production_stage():
    assert set(STAGES) == {"dev", "production"}


@pytest.mark.parametrize("stage", ["dev", "production"])
def test_each_stage_runs_django_on_python_3_12_with_binary_bodies_and_no_secrets(stage):
    cli = load(stage)
    config = cli.stage_config
    assert config["runtime"] == "python3.12"
    assert config["binary_support"] is True  # AS2 bodies are binary
    assert config["django_settings"] == "serverless_as2.settings"
    assert config["use_precompiled_packages"] is False  # `zappa package` stays offline
    generated = cli.get_zappa_settings_string()
    assert "DEBUG=False" in generated  # Zappa's default puts tracebacks in 500 responses
    environment = config["environment_variables"]
    assert environment["SAS2_PRODUCTION"] == "1"
    # Background tasks start at once as asynchronous invocations of the function itself.
    assert environment["SAS2_TASKS_BACKEND"] == "serverless_as2.lambda_tasks.LambdaBackend"
    assert not [name for name in environment if re.search("SECRET|PASSWORD|KEY|DATABASE", name)]
    functions = {event["function"]: event["expression"] for event in config["events"]}
    assert functions == {
        "serverless_as2.lambda_events.run_due_work": "rate(1 minute)",
        "serverless_as2.lambda_events.check_certificates": "rate(1 day)",
    }
    for name in ("boto3", "botocore", "tests", "bench"):
        assert name in config["exclude"]

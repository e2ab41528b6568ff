"""Fixtures for the console tools' tests (`sluice topic|produce|consume`).

One `sluice broker` per test module, with topic auto-creation off so that every test makes
its topics with `sluice topic create` (and unknown topics stay unknown). Set
SLUICE_TOOLS_BOOTSTRAP=host:port to run the same tests against another Kafka cluster
(auto-creation must be off there too for the unknown-topic tests)."""
import os

import pytest

from tool_harness import BrokerProcess, Sluice, free_port

EXTERNAL = os.environ.get("SLUICE_TOOLS_BOOTSTRAP")


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory):
    """host:port of a running cluster for the whole module."""
    if EXTERNAL:
        yield EXTERNAL
        return
    b = BrokerProcess(tmp_path_factory.mktemp("tools") / "data",
                      extra_args=["--auto-create-topics", "false"]).start()
    yield b.bootstrap
    code = b.stop()
    assert code in (0, None), f"broker exited with {code}:\n{b.log()[-4000:]}"


@pytest.fixture(scope="module")
def sluice(bootstrap):
    return Sluice(bootstrap)


@pytest.fixture
def unused_port():
    """A loopback port that nothing listens on."""
    return free_port()

"""Helpers for the console tools' tests: the shared integration fixtures' module, the
sluice binary, and Sluice, which runs `sluice` subcommands against one cluster."""
import base64
import importlib.util
import json
import itertools
import subprocess
import uuid
from pathlib import Path


def _load_shared_conftest():
    # tests/integration/conftest.py: both files are named conftest, so import it by path.
    path = Path(__file__).resolve().parent.parent / "conftest.py"
    spec = importlib.util.spec_from_file_location("sluice_integration_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _load_shared_conftest()
SLUICE_BIN = _shared.SLUICE_BIN
BrokerProcess = _shared.BrokerProcess
run = _shared.run
free_port = _shared.free_port


def decode_field(obj, field):
    """The exact bytes of a key/value field of `sluice consume --format json` output (None
    for null): a JSON string is UTF-8, and `<field>_encoding: base64` marks other bytes."""
    v = obj[field]
    if v is None:
        return None
    if obj.get(field + "_encoding") == "base64":
        return base64.b64decode(v)
    return v.encode("utf-8")


def parse_json_lines(stdout):
    """Records of `sluice consume --format json` as dicts with key/value/headers as bytes."""
    records = []
    for line in stdout.decode("utf-8").splitlines():  # strict: the output must be UTF-8
        obj = json.loads(line)
        obj["key"] = decode_field(obj, "key")
        obj["value"] = decode_field(obj, "value")
        obj["headers"] = [(decode_field(h, "key"), decode_field(h, "value"))
                          for h in obj["headers"]]
        records.append(obj)
    return records


class Sluice:
    """Runs `sluice` subcommands against one cluster; every call gets -b and a timeout."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self._n = itertools.count()

    def __call__(self, *args, input=None, check=True, timeout=120):
        cmd = [SLUICE_BIN, *args, "-b", self.bootstrap]
        return run(cmd, input=input, check=check, timeout=timeout)

    def popen(self, *args, **kw):
        return subprocess.Popen([SLUICE_BIN, *args, "-b", self.bootstrap],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)

    def new_topic(self, partitions=1, *configs):
        """Creates a fresh topic with `sluice topic create` and returns its name."""
        name = f"tools-{next(self._n)}-{uuid.uuid4().hex[:8]}"
        extra = [a for c in configs for a in ("--config", c)]
        self("topic", "create", name, "--partitions", str(partitions), *extra)
        return name

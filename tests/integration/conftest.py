"""Shared fixtures for integration tests: a real `sluice broker` process on a free
loopback port with a fresh data dir, and the paths of the programs under test.

SLUICE_BIN names the sluice binary (ctest sets it; default: build/sluice)."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLUICE_BIN = os.environ.get("SLUICE_BIN", str(ROOT / "build" / "sluice"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"broker exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"broker did not listen on {port} within {timeout}s")


class BrokerProcess:
    """A `sluice broker` child process. start() waits until it accepts connections."""

    def __init__(self, data_dir, port=None, extra_args=()):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = self.data_dir.parent / f"broker-{self.port}.log"

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [SLUICE_BIN, "broker", "--listen", self.bootstrap, "--data-dir", str(self.data_dir),
             *self.extra_args],
            stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        if self.proc:
            self.log_file.close()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def broker(tmp_path):
    """A running broker with default settings; stopped (SIGTERM) after the test."""
    b = BrokerProcess(tmp_path / "data").start()
    yield b
    code = b.stop()
    assert code in (0, None), f"broker exited with {code}:\n{b.log()[-4000:]}"


@pytest.fixture
def broker_factory(tmp_path):
    """Start brokers with custom flags: broker_factory(extra_args=[...], data_dir=...)."""
    started = []

    def make(extra_args=(), data_dir=None, port=None):
        b = BrokerProcess(data_dir or tmp_path / f"data{len(started)}", port, extra_args).start()
        started.append(b)
        return b

    yield make
    # Like `broker`: each broker must still run at the end (a test that kill -9s one starts
    # it again or leaves it stopped) and exit 0 on SIGTERM.
    problems = []
    for b in started:
        died = b.proc is not None and b.proc.poll() is not None
        code = b.stop()
        if died or code not in (0, None):
            problems.append(f"broker {b.bootstrap} {'died' if died else 'exited'} with {code}:\n"
                            f"{b.log()[-3000:]}")
    assert not problems, "\n".join(problems)


def run(cmd, input=None, timeout=120, check=True):
    """Runs a command, returns CompletedProcess with bytes stdout/stderr."""
    p = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstderr: {p.stderr.decode(errors='replace')[-3000:]}")
    return p


# --- helpers for the client-interop tests (test_kcat.py, test_durability.py, ...) ---

KCAT = os.environ.get("KCAT", "kcat")


def kcat(bootstrap, *args, input=None, timeout=180, check=True):
    """Runs `kcat -b bootstrap args...`; returns CompletedProcess (bytes)."""
    return run([KCAT, "-b", bootstrap, *args], input=input, timeout=timeout, check=check)


# Output format for kcat -C that can be parsed back to exact bytes whatever the key and value
# hold: "<partition> <offset> <keylen> <valuelen> <timestamp>|<key><value>|<headers>\n".
KCAT_EXACT_FORMAT = "%p %o %K %S %T|%k%s|%h\\n"


def parse_kcat_exact(out):
    """Records printed with KCAT_EXACT_FORMAT, as dicts: partition, offset, key, value
    (bytes or None for null), timestamp, headers (the raw `n=v,n=v` bytes)."""
    records = []
    pos = 0
    while pos < len(out):
        bar = out.index(b"|", pos)
        p, o, klen, vlen, ts = (int(x) for x in out[pos:bar].split(b" "))
        pos = bar + 1
        key = None if klen < 0 else out[pos:pos + klen]
        pos += max(klen, 0)
        value = None if vlen < 0 else out[pos:pos + vlen]
        pos += max(vlen, 0)
        assert out[pos:pos + 1] == b"|", f"kcat output out of step at byte {pos}"
        end = out.index(b"\n", pos + 1)
        headers = out[pos + 1:end]
        pos = end + 1
        records.append(dict(partition=p, offset=o, key=key, value=value, timestamp=ts,
                            headers=headers))
    return records


def read_to_end(bootstrap, topic, partitions, timeout=60, **consumer_conf):
    """Every record of `partitions` from the beginning up to their current end, read with a
    confluent-kafka consumer (assign(), no commits, CRCs checked):
    {partition: [Message, ...]}. Fails if an end is not reached within `timeout` s."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
    from confluent_kafka import OFFSET_BEGINNING
    partitions = list(partitions)
    conf = {"bootstrap.servers": bootstrap, "group.id": "sluice-test-reader",
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "enable.partition.eof": True, "check.crcs": True}
    conf.update(consumer_conf)
    c = Consumer(conf)
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        got = {p: [] for p in partitions}
        eof = set()
        deadline = time.time() + timeout
        while eof != set(partitions) and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise KafkaException(m.error())
            eof.discard(m.partition())
            got[m.partition()].append(m)
        assert eof == set(partitions), f"end of partitions not reached within {timeout}s"
        return got
    finally:
        c.close()

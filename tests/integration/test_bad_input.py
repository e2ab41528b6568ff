"""Malformed and hostile input against a real `sluice broker`: bad length prefixes, garbage,
unknown APIs and versions, truncated and abandoned requests each close that one connection
with a log line saying why, and the broker keeps serving (kcat -L right after). Oversized
records and produce to a missing topic fail with Kafka's error codes."""
import random
import socket
import struct
import time

import json

import pytest
from confluent_kafka import KafkaError, Producer
from kafka.protocol.produce import ProduceRequest
from kafka.record.default_records import DefaultRecordBatchBuilder

from conftest import kcat


def header(api_key, version, correlation_id=7, client_id=b"bad-input-test"):
    return struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id


def frame(body):
    return struct.pack(">i", len(body)) + body


class Raw:
    """One raw TCP connection to the broker."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.peer = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def send(self, data):
        self.sock.sendall(data)

    def closed_by_broker(self, timeout=10):
        """True when the broker closes the connection (EOF or reset) within timeout and sends
        nothing before that."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        assert data == b"", f"the broker answered {data[:64]!r} instead of closing"
        return True

    def response(self, timeout=10):
        self.sock.settimeout(timeout)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack_from(">i", buf)[0]:
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed after {len(buf)} bytes of a response"
            buf += chunk
        return buf[4:]

    def close(self):
        self.sock.close()


def wait_for_log_line(broker, needle, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = [ln for ln in broker.log().splitlines() if needle in ln]
        if lines:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no broker log line with {needle!r}:\n{broker.log()[-3000:]}")


def assert_broker_serves(broker):
    md = json.loads(kcat(broker.bootstrap, "-L", "-J", timeout=30).stdout)
    assert [b["name"] for b in md["brokers"]] == [broker.bootstrap]
    assert broker.proc.poll() is None


# name -> (bytes to send, words that the log line about this connection must contain)
CLOSING_INPUTS = {
    "negative-length": (struct.pack(">i", -16) + b"x" * 16, ["-16"]),
    "zero-length": (struct.pack(">i", 0), ["size 0"]),
    "oversized-length": (struct.pack(">i", 0x7fffffff) + b"x" * 100, ["2147483647"]),
    "length-beyond-max-request": (struct.pack(">i", 200 * 1024 * 1024) + b"x" * 100,
                                  [str(200 * 1024 * 1024)]),
    "garbage-bytes": (random.Random(1).randbytes(3000), []),
    "unknown-api-key": (frame(header(999, 0) + b"\x00" * 8), ["999"]),
    "negative-api-key": (frame(header(-5, 0) + b"\x00" * 8), ["-5"]),
    "unsupported-version": (frame(header(3, 99)), ["Metadata", "99"]),
    # The client id claims 200 bytes; the frame ends after 4.
    "truncated-header": (frame(struct.pack(">hhih", 3, 1, 1, 200) + b"abcd"), []),
    # Metadata v1 whose topic array claims 2^31-1 entries.
    "truncated-body": (frame(header(3, 1) + struct.pack(">i", 0x7fffffff) + b"\x00\x01t"),
                       ["Metadata"]),
    # Produce v3 whose record set length points past the end of the frame.
    "produce-length-past-end": (frame(header(0, 3) + struct.pack(">hhii", -1, -1, 5000, 1)
                                      + struct.pack(">h", 1) + b"t" + struct.pack(">i", 1)
                                      + struct.pack(">ii", 0, 10_000) + b"\x00" * 20),
                                ["Produce"]),
}


@pytest.mark.parametrize("name", sorted(CLOSING_INPUTS))
def test_bad_input_closes_the_connection(broker, name):
    data, words = CLOSING_INPUTS[name]
    # A healthy client stays connected meanwhile.
    healthy = Raw(broker.port)
    raw = Raw(broker.port)
    try:
        try:
            raw.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: fine
        assert raw.closed_by_broker(), f"{name}: the broker kept the connection open"
        lines = wait_for_log_line(broker, raw.peer)
        for w in words:
            assert any(w in ln for ln in lines), f"{name}: {w!r} not in {lines}"
    finally:
        raw.close()
    # The other connection still works: ApiVersions v0 gets an answer.
    healthy.send(frame(header(18, 0, correlation_id=42)))
    resp = healthy.response()
    assert struct.unpack_from(">ih", resp) == (42, 0)
    healthy.close()
    assert_broker_serves(broker)


def test_disconnect_mid_request(broker):
    raw = Raw(broker.port)
    body = header(3, 1) + struct.pack(">i", -1)
    raw.send(struct.pack(">i", len(body) + 100) + body)  # 100 bytes short
    time.sleep(0.2)
    raw.close()
    # The broker notes the abandoned request (it cannot answer anyone).
    wait_for_log_line(broker, raw.peer)
    assert_broker_serves(broker)


def test_many_bad_connections_then_good_clients(broker):
    rng = random.Random(5)
    for i in range(50):
        raw = Raw(broker.port)
        try:
            raw.send(rng.randbytes(rng.randrange(1, 500)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        raw.close()
    assert_broker_serves(broker)
    p = kcat(broker.bootstrap, "-P", "-t", "after-garbage", input=b"a\nb\nc\n")
    out = kcat(broker.bootstrap, "-C", "-t", "after-garbage", "-e", "-q").stdout
    assert out == b"a\nb\nc\n", p.stderr


def test_api_versions_of_an_unknown_version_answers_unsupported(broker):
    """KIP-511: ApiVersions of a version we do not serve gets a v0 answer with
    UNSUPPORTED_VERSION and our ranges, so that the client can retry."""
    raw = Raw(broker.port)
    raw.send(frame(header(18, 99, correlation_id=5) + b"\x00" * 8))
    resp = raw.response()
    correlation_id, error_code, n = struct.unpack_from(">ihi", resp)
    assert (correlation_id, error_code) == (5, 35)
    ranges = {}
    for k in range(n):
        key, lo, hi = struct.unpack_from(">hhh", resp, 10 + 6 * k)
        ranges[key] = (lo, hi)
    assert ranges[18][0] == 0 and ranges[18][1] >= 0
    assert 0 in ranges and 1 in ranges and 3 in ranges  # Produce, Fetch, Metadata
    # The connection stays usable.
    raw.send(frame(header(18, 0, correlation_id=6)))
    assert struct.unpack_from(">ih", raw.response()) == (6, 0)
    raw.close()


def test_record_larger_than_max_message_bytes(broker_factory):
    b = broker_factory(extra_args=["--max-message-bytes", "100000"])
    reports = []
    # The client's own limit is 1,000,000: the 150 kB record reaches the broker.
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "retries": 0,
                  "compression.codec": "none"})
    cb = lambda err, msg: reports.append((err.code(), None) if err else (None, msg.offset()))
    p.produce("big", value=random.Random(3).randbytes(150_000), on_delivery=cb)
    p.flush(30)
    p.produce("big", value=b"small", on_delivery=cb)
    p.produce("big", value=b"y" * 90_000, on_delivery=cb)
    assert p.flush(30) == 0
    assert reports == [(KafkaError.MSG_SIZE_TOO_LARGE, None), (None, 0), (None, 1)], reports
    wait_for_log_line(b, "refused")
    out = kcat(b.bootstrap, "-C", "-t", "big", "-e", "-q", "-f", "%S\\n").stdout
    assert out == b"5\n90000\n"


def test_produce_to_missing_topic_without_auto_create(broker_factory):
    b = broker_factory(extra_args=["--auto-create-topics", "false"])
    reports = []
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all",
                  "topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 10000})
    p.produce("missing-topic", value=b"x",
              on_delivery=lambda err, msg: reports.append(err.code() if err else None))
    p.flush(30)
    # librdkafka learns from Metadata that the broker does not know the topic
    # (UNKNOWN_TOPIC_OR_PART) and fails the record with it.
    assert reports == [KafkaError.UNKNOWN_TOPIC_OR_PART], reports
    md = json.loads(kcat(b.bootstrap, "-L", "-J").stdout)
    assert "missing-topic" not in [t["topic"] for t in md["topics"]]


def test_raw_produce_to_missing_topic_gets_unknown_topic_or_partition(broker_factory):
    """The same through a Produce v3 request sent by hand: the partition's error code is
    UNKNOWN_TOPIC_OR_PARTITION (3) and nothing is created."""
    b = broker_factory(extra_args=["--auto-create-topics", "false"])
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 20)
    builder.append(0, timestamp=int(time.time() * 1000), key=b"k", value=b"v", headers=[])
    batch = bytes(builder.build())
    req = ProduceRequest[3](transactional_id=None, required_acks=-1, timeout=5000,
                            topics=[("missing-raw", [(0, batch)])])
    raw = Raw(b.port)
    raw.send(frame(header(0, 3, correlation_id=11) + req.encode()))
    resp = raw.response()
    assert struct.unpack_from(">i", resp)[0] == 11
    decoded = ProduceRequest[3].RESPONSE_TYPE.decode(resp[4:])
    [(topic, [partition])] = decoded.topics
    assert topic == "missing-raw"
    assert partition[0] == 0 and partition[1] == 3, partition
    raw.close()
    md = json.loads(kcat(b.bootstrap, "-L", "-J").stdout)
    assert "missing-raw" not in [t["topic"] for t in md["topics"]]

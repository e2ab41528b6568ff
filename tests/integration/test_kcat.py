"""kcat (librdkafka 2.0) against a real `sluice broker`: metadata, produce and consume of
100,000 keyed records with headers per compression codec across a multi-partition topic,
consuming from an offset and from a timestamp."""
import json
import random
import struct
import time
from collections import defaultdict

import pytest

from conftest import KCAT_EXACT_FORMAT, kcat, parse_kcat_exact

PARTITIONS = 4
N_RECORDS = 100_000
KEY_DELIM = b"\x1f"
# kcat splits its input on these bytes, so the generated keys and values avoid them.
FORBIDDEN = b"\n" + KEY_DELIM


@pytest.fixture
def broker4(broker_factory):
    return broker_factory(extra_args=["--partitions", str(PARTITIONS)])


def make_records(n, seed):
    """n (key, value) pairs of binary bytes (high bytes and NUL included, kcat's delimiters
    excluded). Each value starts with its sequence number; a part of each value repeats so that
    compression has something to gain."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        key = b"key-%d-" % (i % 331) + bytes([0, 0xff, 0x80 + i % 100])
        noise = rng.randbytes(24).translate(None, FORBIDDEN)
        value = b"%08d|" % i + noise + b"|" + b"sluice-payload-" * (1 + i % 4) + "✓é".encode()
        records.append((key, value))
    return records


def kcat_input(records):
    return b"".join(k + KEY_DELIM + v + b"\n" for k, v in records)


def seq_of(value):
    return int(value[:8])


def produce(bootstrap, topic, records, *extra):
    p = kcat(bootstrap, "-P", "-t", topic, "-K", "\\x1f", *extra, input=kcat_input(records),
             timeout=300)
    # kcat reports failed deliveries on stderr and still may exit 0.
    assert b"Delivery failed" not in p.stderr and b"ERROR" not in p.stderr, p.stderr[-3000:]
    return p


def consume_all(bootstrap, topic, *extra):
    p = kcat(bootstrap, "-C", "-t", topic, "-e", "-q", "-f", KCAT_EXACT_FORMAT, *extra,
             timeout=300)
    return parse_kcat_exact(p.stdout)


CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def batch_codecs(data_dir, topic):
    """The set of compression codec ids (attributes & 7) of every batch in the topic's
    segment files."""
    codecs = set()
    for seg in data_dir.glob(f"{topic}-*/*.log"):
        data = seg.read_bytes()
        pos = 0
        while pos < len(data):
            _, length = struct.unpack_from(">qi", data, pos)
            (attributes,) = struct.unpack_from(">h", data, pos + 21)
            codecs.add(attributes & 7)
            pos += 12 + length
    return codecs


def test_metadata_lists_broker_and_topics(broker4):
    for topic in ("alpha", "beta.with-dots_and_underscores"):
        produce(broker4.bootstrap, topic, [(b"k", b"v")])
    md = json.loads(kcat(broker4.bootstrap, "-L", "-J").stdout)
    assert [b["name"] for b in md["brokers"]] == [f"127.0.0.1:{broker4.port}"]
    broker_id = md["brokers"][0]["id"]
    assert md["controllerid"] == broker_id
    topics = {t["topic"]: t for t in md["topics"]}
    assert {"alpha", "beta.with-dots_and_underscores"} <= set(topics)
    for name in ("alpha", "beta.with-dots_and_underscores"):
        t = topics[name]
        assert "error" not in t, t
        parts = sorted(t["partitions"], key=lambda p: p["partition"])
        assert [p["partition"] for p in parts] == list(range(PARTITIONS))
        for p in parts:
            assert p["leader"] == broker_id
            assert [r["id"] for r in p["replicas"]] == [broker_id]
            assert [r["id"] for r in p["isrs"]] == [broker_id]
            assert "error" not in p, p

    # The plain-text listing names the broker and one topic asked for by name.
    text = kcat(broker4.bootstrap, "-L", "-t", "alpha").stdout.decode()
    assert f"broker {broker_id} at 127.0.0.1:{broker4.port}" in text
    assert f'topic "alpha" with {PARTITIONS} partitions' in text


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_roundtrip_100k_records_per_codec(broker4, codec):
    topic = f"codec-{codec}"
    records = make_records(N_RECORDS, seed=sum(codec.encode()))
    produce(broker4.bootstrap, topic, records, "-z", codec,
            "-H", "source=kcat", "-H", f"codec={codec}", "-X", "linger.ms=20")

    got = consume_all(broker4.bootstrap, topic)
    assert len(got) == N_RECORDS

    by_partition = defaultdict(list)
    for r in got:
        by_partition[r["partition"]].append(r)
    assert len(by_partition) > 1, "keys should spread over several partitions"
    assert set(by_partition) <= set(range(PARTITIONS))
    key_partition = {}
    for p, recs in by_partition.items():
        # Offsets of a partition are dense from 0 and records come in produce order.
        assert [r["offset"] for r in recs] == list(range(len(recs))), f"partition {p}"
        seqs = [seq_of(r["value"]) for r in recs]
        assert seqs == sorted(seqs), f"partition {p} out of order"
        for r in recs:
            assert key_partition.setdefault(r["key"], p) == p, "one key, one partition"
            assert r["headers"] == f"source=kcat,codec={codec}".encode()
    # Every record back, byte-identical.
    by_seq = {seq_of(r["value"]): (r["key"], r["value"]) for r in got}
    assert len(by_seq) == N_RECORDS
    for i, rec in enumerate(records):
        assert by_seq[i] == rec, f"record {i} differs"

    # Batches are stored as received, compressed with the codec the client was asked for
    # (librdkafka silently sends uncompressed batches when it believes the broker lacks the
    # codec, which it infers from ApiVersions). librdkafka also sends a batch uncompressed
    # when compressing it did not make it smaller (a small tail batch), so 0 may appear too.
    codecs_on_disk = batch_codecs(broker4.data_dir, topic)
    assert CODEC_IDS[codec] in codecs_on_disk and codecs_on_disk <= {0, CODEC_IDS[codec]}, \
        f"{codec}: batches on disk have codec ids {codecs_on_disk}"


def test_consume_from_offset(broker4):
    topic = "from-offset"
    records = [(b"k%d" % i, b"value-%d" % i) for i in range(1000)]
    produce(broker4.bootstrap, topic, records, "-p", "0")

    got = consume_all(broker4.bootstrap, topic, "-p", "0", "-o", "500")
    assert [r["offset"] for r in got] == list(range(500, 1000))
    assert [(r["key"], r["value"]) for r in got] == records[500:]

    # Relative to the end, and a count limit.
    got = consume_all(broker4.bootstrap, topic, "-p", "0", "-o", "-10")
    assert [r["offset"] for r in got] == list(range(990, 1000))
    got = consume_all(broker4.bootstrap, topic, "-p", "0", "-o", "123", "-c", "7")
    assert [(r["key"], r["value"]) for r in got] == records[123:130]

    # The other partitions of the topic are empty.
    for p in range(1, PARTITIONS):
        assert consume_all(broker4.bootstrap, topic, "-p", str(p)) == []


def test_consume_from_timestamp(broker4):
    topic = "from-timestamp"
    early = [(b"e%d" % i, b"early-%d" % i) for i in range(300)]
    late = [(b"l%d" % i, b"late-%d" % i) for i in range(300)]
    produce(broker4.bootstrap, topic, early)
    time.sleep(1.2)
    ts = int(time.time() * 1000)
    time.sleep(0.2)
    produce(broker4.bootstrap, topic, late)

    everything = consume_all(broker4.bootstrap, topic)
    assert len(everything) == 600
    assert max(r["timestamp"] for r in everything if r["value"].startswith(b"early")) < ts
    assert min(r["timestamp"] for r in everything if r["value"].startswith(b"late")) > ts

    got = consume_all(broker4.bootstrap, topic, "-o", f"s@{ts}")
    assert sorted(r["value"] for r in got) == sorted(v for _, v in late)
    for r in got:
        assert r["timestamp"] >= ts
    # Per partition the first record served is the first late one.
    late_offsets = defaultdict(list)
    for r in everything:
        if r["value"].startswith(b"late"):
            late_offsets[r["partition"]].append(r["offset"])
    for p, offs in late_offsets.items():
        assert min(r["offset"] for r in got if r["partition"] == p) == min(offs)

    # A timestamp before everything gives everything.
    got = consume_all(broker4.bootstrap, topic, "-o", f"s@{ts - 3_600_000}")
    assert len(got) == 600

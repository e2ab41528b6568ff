"""Durability of the broker's log, seen by real clients: kill -9 mid-stream and restart on
the same data dir (with fsync per batch every acknowledged record is there; with a 50ms flush
the log is a clean prefix of whole, CRC-valid batches), and startup recovery of a torn or
garbage tail of the active segment."""
import os
import random
import struct
import time
from pathlib import Path

import pytest
from conftest import read_to_end
from confluent_kafka import Producer
from kafka.record.util import calc_crc32c  # kafka-python's own CRC32C, independent of ours

PARTITIONS = 2


# --- reading segment files independently of the broker ---

def segment_batches(path, verify_crc=True):
    """The record batches of a segment file as (position, base_offset, last_offset, size).
    Asserts that batches tile the file exactly, that they are magic v2 and (optionally) that
    every CRC32C is right."""
    data = Path(path).read_bytes()
    batches = []
    pos = 0
    while pos < len(data):
        assert len(data) - pos >= 61, f"{path}: {len(data) - pos} stray bytes at {pos}"
        base_offset, length = struct.unpack_from(">qi", data, pos)
        size = 12 + length
        assert length >= 49 and pos + size <= len(data), f"{path}: torn batch at {pos}"
        magic = data[pos + 16]
        assert magic == 2, f"{path}: magic {magic} at {pos}"
        (crc,) = struct.unpack_from(">I", data, pos + 17)
        if verify_crc:
            assert calc_crc32c(data[pos + 21:pos + size]) == crc, f"{path}: bad CRC at {pos}"
        (last_delta,) = struct.unpack_from(">i", data, pos + 23)
        batches.append((pos, base_offset, base_offset + last_delta, size))
        pos += size
    return batches


def active_segment(data_dir, topic, partition):
    logs = sorted((Path(data_dir) / f"{topic}-{partition}").glob("*.log"))
    assert logs, f"no segment for {topic}-{partition} in {data_dir}"
    return logs[-1]


# --- clients ---

def consume_all(bootstrap, topic, partitions, timeout=60):
    """{partition: [(offset, value), ...]} from the beginning to the end."""
    got = read_to_end(bootstrap, topic, partitions, timeout, **{"fetch.error.backoff.ms": 50})
    return {p: [(m.offset(), m.value()) for m in msgs] for p, msgs in got.items()}


def value_of(i):
    return b"rec-%09d-" % i + bytes(random.Random(i).randbytes(40 + i % 60))


def seq_of(value):
    return int(value[4:13])


def produce_until_killed(b, topic, kill_after, after_kill=2000, message_timeout_ms=4000):
    """Produces records (record i to partition i % PARTITIONS) with acks=all and at most
    2,000 unacknowledged, kill -9s the broker once `kill_after` are acknowledged (so requests
    are in flight), and produces `after_kill` more into the dead broker. Returns
    {partition: {offset: seq}} of every acknowledged record."""
    acked = {p: {} for p in range(PARTITIONS)}
    failed = []

    def on_delivery(err, msg):
        if err is None:
            acked[msg.partition()][msg.offset()] = seq_of(msg.value())
        else:
            failed.append(err)

    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 2,
                  "batch.num.messages": 200, "message.timeout.ms": message_timeout_ms,
                  "retries": 1_000_000, "enable.idempotence": False,
                  "socket.timeout.ms": 2000, "reconnect.backoff.max.ms": 200})
    i = 0
    deadline = time.time() + 120
    # Kill once enough are acknowledged and some are still in flight.
    while sum(len(a) for a in acked.values()) < kill_after or len(p) == 0:
        assert time.time() < deadline, f"only {sum(len(a) for a in acked.values())} acked"
        assert not failed, f"delivery failed before the kill: {failed[0]}"
        if len(p) >= 2000:
            p.poll(0.005)
            continue
        p.produce(topic, value=value_of(i), partition=i % PARTITIONS, on_delivery=on_delivery)
        i += 1
        p.poll(0)
    assert b.kill9() == -9
    for _ in range(after_kill):
        p.produce(topic, value=value_of(i), partition=i % PARTITIONS, on_delivery=on_delivery)
        i += 1
        p.poll(0)
    p.flush(message_timeout_ms / 1000 + 10)
    assert len(p) == 0
    assert failed, "records produced into a dead broker should have failed"
    return acked


def check_clean_prefix(got):
    """Each partition holds, from offset 0 on, exactly the first records produced to it, in
    order, whole (no gap, no duplicate, no torn record). Returns {partition: count}."""
    counts = {}
    for p, recs in got.items():
        assert [o for o, _ in recs] == list(range(len(recs))), f"partition {p}: offsets"
        expected_seqs = [p + PARTITIONS * k for k in range(len(recs))]
        assert [seq_of(v) for _, v in recs] == expected_seqs, f"partition {p}: not a clean prefix"
        for _, v in recs:
            assert v == value_of(seq_of(v)), f"partition {p}: record {seq_of(v)} altered"
        counts[p] = len(recs)
    return counts


def restart_and_check_appends(b, topic, counts):
    """New records after recovery go right after the recovered end of each partition."""
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
    offsets = {}
    for part in range(PARTITIONS):
        p.produce(topic, value=b"after-restart", partition=part,
                  on_delivery=lambda err, msg: offsets.__setitem__(
                      msg.partition(), (err, msg.offset())))
    left = p.flush(30)
    assert b.proc.poll() is None, f"broker died ({b.proc.returncode}):\n{b.log()[-3000:]}"
    assert left == 0
    assert offsets == {part: (None, counts[part]) for part in range(PARTITIONS)}


@pytest.mark.parametrize("flush", ["every-batch", "50ms"])
def test_kill9_mid_stream_then_restart(broker_factory, tmp_path, flush):
    b = broker_factory(extra_args=["--flush", flush, "--partitions", str(PARTITIONS)],
                       data_dir=tmp_path / "kill9")
    topic = "durable"
    acked = produce_until_killed(b, topic, kill_after=15_000)

    b.start()  # same data dir, same port
    got = consume_all(b.bootstrap, topic, range(PARTITIONS))
    counts = check_clean_prefix(got)

    # Every segment on disk is whole batches with valid CRCs.
    for part in range(PARTITIONS):
        for seg in sorted((b.data_dir / f"{topic}-{part}").glob("*.log")):
            segment_batches(seg)

    if flush == "every-batch":
        # fsync before acknowledging: every acknowledged record is there, at its offset.
        for part, by_offset in acked.items():
            for offset, seq in by_offset.items():
                assert offset < counts[part], f"acked {part}@{offset} lost ({counts[part]} left)"
                assert seq_of(got[part][offset][1]) == seq
    assert sum(counts.values()) >= 1
    restart_and_check_appends(b, topic, counts)


def fill_single_partition(b, topic, n=3000):
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 5,
                  "batch.num.messages": 100})
    for i in range(n):
        p.produce(topic, value=value_of(i * PARTITIONS), partition=0)
        if i % 500 == 499:
            p.flush(30)  # several batches
    assert p.flush(30) == 0


TAILS = {
    "random-garbage": lambda last: random.Random(7).randbytes(1000),
    "zeros": lambda last: bytes(4096),
    # A whole batch whose CRC does not match its bytes.
    "bad-crc-batch": lambda last: last[:-1] + bytes([last[-1] ^ 0x55]),
    # A batch header that promises more bytes than there are.
    "truncated-batch": lambda last: last[:len(last) // 2],
    # A header claiming a huge batch.
    "huge-length": lambda last: last[:8] + struct.pack(">i", 0x7ffffff0) + last[12:70],
}


@pytest.mark.parametrize("tail", sorted(TAILS))
def test_recovery_truncates_a_bad_tail(broker_factory, tmp_path, tail):
    b = broker_factory(extra_args=["--partitions", "1"], data_dir=tmp_path / "tail")
    topic = "tail"
    fill_single_partition(b, topic)
    assert b.stop() == 0

    seg = active_segment(b.data_dir, topic, 0)
    assert seg.name == "00000000000000000000.log"
    batches = segment_batches(seg)
    assert len(batches) >= 6
    good_size = seg.stat().st_size
    pos, _, _, size = batches[-1]
    last = seg.read_bytes()[pos:pos + size]
    garbage = TAILS[tail](last)
    with open(seg, "ab") as f:
        f.write(garbage)

    b.start()
    assert b.proc.poll() is None
    log = b.log()
    assert f"dropped {len(garbage)} bytes" in log and str(seg) in log, log[-3000:]
    got = consume_all(b.bootstrap, topic, [0])
    assert [o for o, _ in got[0]] == list(range(3000))
    assert [v for _, v in got[0]] == [value_of(i * PARTITIONS) for i in range(3000)]
    assert seg.stat().st_size == good_size
    segment_batches(seg)

    # The log goes on after the truncation point.
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all"})
    res = []
    p.produce(topic, value=b"next", partition=0,
              on_delivery=lambda err, msg: res.append((err, msg.offset())))
    left = p.flush(30)
    assert b.proc.poll() is None, f"broker died ({b.proc.returncode}):\n{b.log()[-3000:]}"
    assert left == 0
    assert res == [(None, 3000)]


def test_recovery_of_a_torn_last_batch(broker_factory, tmp_path):
    """A crash in the middle of writing a batch leaves part of it; recovery drops that part
    and keeps every whole batch before it."""
    b = broker_factory(extra_args=["--partitions", "1"], data_dir=tmp_path / "torn")
    topic = "torn"
    fill_single_partition(b, topic)
    assert b.stop() == 0

    seg = active_segment(b.data_dir, topic, 0)
    pos, base, last_offset, size = segment_batches(seg)[-1]
    os.truncate(seg, pos + size // 2)

    b.start()
    assert f"dropped {size // 2} bytes" in b.log()
    got = consume_all(b.bootstrap, topic, [0])
    assert [o for o, _ in got[0]] == list(range(base))
    assert [v for _, v in got[0]] == [value_of(i * PARTITIONS) for i in range(base)]
    assert seg.stat().st_size == pos


def test_many_concurrent_producers_at_every_batch_are_all_acknowledged_and_durable(
        broker_factory, tmp_path):
    """Group commit: eight producers (eight connections, acks=all, several requests in
    flight each) share the broker's fsyncs; every record is acknowledged once, read back
    once, the high watermark counts them all, and they survive a kill -9."""
    import threading
    from confluent_kafka import Consumer, TopicPartition
    b = broker_factory(extra_args=["--flush", "every-batch", "--partitions", str(PARTITIONS)],
                       data_dir=tmp_path / "many")
    topic = "many-producers"
    producers, per_producer = 8, 1500
    acked, errors = [], []
    lock = threading.Lock()

    def produce(n):
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 1,
                      "batch.num.messages": 50, "enable.idempotence": n % 2 == 0})

        def on_delivery(err, msg):
            with lock:
                (errors if err else acked).append(err or (msg.partition(), msg.offset()))
        for i in range(per_producer):
            seq = n * per_producer + i
            p.produce(topic, value=value_of(seq), partition=seq % PARTITIONS,
                      on_delivery=on_delivery)
            p.poll(0)
        assert p.flush(60) == 0

    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, f"delivery failed: {errors[:3]}"
    total = producers * per_producer
    assert len(acked) == total and len(set(acked)) == total  # every offset acked once

    def check(b):
        got = consume_all(b.bootstrap, topic, range(PARTITIONS))
        seqs = sorted(seq_of(v) for recs in got.values() for _, v in recs)
        assert seqs == list(range(total))
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "hw-check"})
        try:
            highs = [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                     for p in range(PARTITIONS)]
        finally:
            c.close()
        assert sum(highs) == total

    check(b)
    assert b.kill9() == -9
    b.start()
    check(b)

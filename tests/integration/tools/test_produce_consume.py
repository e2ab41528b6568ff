"""`sluice produce` and `sluice consume` round trips against a real broker."""
import re
import signal
import subprocess
import time

import pytest

from tool_harness import SLUICE_BIN, parse_json_lines, run

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
HEADERS = [(b"trace", b"abc-123"), (b"unicode", "grüß €".encode()), (b"empty", b"")]


def make_lines(n):
    """(key, value) pairs with awkward bytes: quotes, backslashes, tabs and separators in
    values, control characters, non-UTF-8 bytes, empty keys and values."""
    out = []
    for i in range(n):
        key = f"user-{i % 97}".encode() if i % 50 else b""
        value = f'{i:05d} "quoted" back\\slash tab\there ünï €'.encode()
        if i % 7 == 0:
            value += b" \x01\x02\x1f ctrl"
        if i % 11 == 0:
            value += b" \xff\xfe\xc3\x28 not-utf8"
        if i % 1000 == 999:
            value = b""
        out.append((key, value))
    return out


def produce_input(pairs):
    return b"".join(k + b"\t" + v + b"\n" for k, v in pairs)


def header_args():
    return [a for k, v in HEADERS for a in ("--header", (k + b"=" + v).decode())]


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_10k_records_per_codec(sluice, codec):
    topic = sluice.new_topic(3)
    pairs = make_lines(10_000)
    start_ms = int(time.time() * 1000)
    p = sluice("produce", topic, "--key-separator", "\t", "--compression", codec,
               *header_args(), input=produce_input(pairs))
    assert "produced 10000 records" in p.stderr.decode(), p.stderr

    c = sluice("consume", topic, "--from-beginning", "--exit-at-end", "--format", "json",
               timeout=60)
    records = parse_json_lines(c.stdout)
    assert "consumed 10000 records" in c.stderr.decode(), c.stderr
    assert len(records) == len(pairs)

    by_partition = {}
    partition_of_key = {}
    for r in records:
        assert r["topic"] == topic
        assert r["headers"] == HEADERS
        assert r["timestamp_type"] == "create"
        assert start_ms - 1000 <= r["timestamp"] <= time.time() * 1000 + 1000
        by_partition.setdefault(r["partition"], []).append(r)
        if r["key"]:
            assert partition_of_key.setdefault(r["key"], r["partition"]) == r["partition"]
    got = sorted((r["key"], r["value"]) for r in records)
    assert got == sorted(pairs), "records must come back byte-identical"
    index = {v: i for i, (_, v) in enumerate(pairs) if v}
    for part, rs in by_partition.items():
        assert [r["offset"] for r in rs] == list(range(len(rs))), f"offsets of {part}"
        order = [index[r["value"]] for r in rs if r["value"]]
        assert order == sorted(order), f"partition {part} out of order"


def test_value_and_kv_formats(sluice):
    topic = sluice.new_topic(1)
    sluice("produce", topic, "-K", ":", "-q", input=b"a:1\nb:2:x\nno-separator\n")
    out = sluice("consume", topic, "--from-beginning", "-e", "-q").stdout
    assert out == b"1\n2:x\nno-separator\n"
    out = sluice("consume", topic, "--from-beginning", "-e", "-q", "-F", "kv", "-K", "=").stdout
    assert out == b"a=1\nb=2:x\nnull=no-separator\n"
    records = parse_json_lines(sluice("consume", topic, "--from-beginning", "-e", "-q",
                                      "-F", "json").stdout)
    assert [r["key"] for r in records] == [b"a", b"b", None]
    assert all(r["headers"] == [] for r in records)


def test_non_utf8_is_escaped_and_recoverable(sluice):
    topic = sluice.new_topic(1)
    raw_key, raw_value = b"\xc3\x28k", b"\x00\xff\xfe\x80 v \xed\xa0\x80"
    sluice("produce", topic, "-K", "|", "-q", "-H", "h=ok",
           input=raw_key + b"|" + raw_value + b"\n")
    c = sluice("consume", topic, "--from-beginning", "-e", "-q", "-F", "json")
    [r] = parse_json_lines(c.stdout)  # parse_json_lines decodes the output strictly
    assert (r["key"], r["value"]) == (raw_key, raw_value)
    assert b'"value_encoding":"base64"' in c.stdout


def test_file_input_and_partition(sluice, tmp_path):
    topic = sluice.new_topic(3)
    f = tmp_path / "in.txt"
    f.write_bytes(b"".join(b"line-%d\n" % i for i in range(100)) + b"last-without-newline")
    sluice("produce", topic, "--file", str(f), "--partition", "2", "-q")
    records = parse_json_lines(sluice("consume", topic, "--from-beginning", "-e", "-q",
                                      "-F", "json").stdout)
    assert {r["partition"] for r in records} == {2}
    assert [r["value"] for r in records][-2:] == [b"line-99", b"last-without-newline"]
    only = sluice("consume", topic, "--partition", "2", "--offset", "98", "-e", "-q").stdout
    assert only == b"line-98\nline-99\nlast-without-newline\n"
    assert sluice("consume", topic, "--partition", "0", "--from-beginning", "-e", "-q").stdout == b""


def test_offsets_max_and_tail(sluice):
    topic = sluice.new_topic(1)
    sluice("produce", topic, "-q", input=b"".join(b"%d\n" % i for i in range(100)))
    assert sluice("consume", topic, "--offset", "90", "-e", "-q").stdout == \
        b"".join(b"%d\n" % i for i in range(90, 100))
    assert sluice("consume", topic, "--offset=-3", "-e", "-q").stdout == b"97\n98\n99\n"
    assert sluice("consume", topic, "--from-beginning", "--max", "5", "-q").stdout == \
        b"0\n1\n2\n3\n4\n"
    # The default start is the end: nothing to print before new records arrive.
    assert sluice("consume", topic, "-e", "-q").stdout == b""


def test_timestamp_start(sluice):
    topic = sluice.new_topic(2)
    sluice("produce", topic, "-q", input=b"".join(b"old-%d\n" % i for i in range(50)))
    time.sleep(0.3)
    middle_ms = int(time.time() * 1000)
    time.sleep(0.3)
    sluice("produce", topic, "-q", input=b"".join(b"new-%d\n" % i for i in range(50)))
    out = sluice("consume", topic, "--timestamp", str(middle_ms), "-e", "-q").stdout
    assert sorted(out.split()) == sorted(b"new-%d" % i for i in range(50))
    future = str(int(time.time() * 1000) + 60_000)
    assert sluice("consume", topic, "--timestamp", future, "-e", "-q").stdout == b""


def test_consume_latest_sees_new_records_and_max_exits(sluice):
    topic = sluice.new_topic(1)
    sluice("produce", topic, "-q", input=b"before\n")
    consumer = sluice.popen("consume", topic, "--max", "3")
    time.sleep(1.5)  # let it assign at the end offset
    sluice("produce", topic, "-q", input=b"x\ny\nz\nextra\n")
    out, err = consumer.communicate(timeout=20)
    assert consumer.returncode == 0, err
    assert out == b"x\ny\nz\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_consume_stops_cleanly_on_signal(sluice, sig):
    topic = sluice.new_topic(1)
    sluice("produce", topic, "-q", input=b"one\ntwo\n")
    consumer = sluice.popen("consume", topic, "--from-beginning")
    time.sleep(1.5)
    consumer.send_signal(sig)
    out, err = consumer.communicate(timeout=10)
    assert consumer.returncode == 0, err
    assert out == b"one\ntwo\n"
    assert b"consumed 2 records" in err


def test_rate_limit_and_progress_summary(sluice):
    topic = sluice.new_topic(1)
    start = time.time()
    p = sluice("produce", topic, "--rate", "100", input=b"".join(b"%d\n" % i for i in range(50)))
    assert time.time() - start >= 0.45
    assert "produced 50 records" in p.stderr.decode()
    assert "\r" not in p.stderr.decode(), "no live line when stderr is not a terminal"


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_acks(sluice, acks):
    topic = sluice.new_topic(1)
    sluice("produce", topic, "--acks", acks, "-q", input=b"a\nb\n")
    assert sluice("consume", topic, "--from-beginning", "-e", "-q").stdout == b"a\nb\n"


def test_failed_deliveries_exit_1_and_are_counted(sluice):
    topic = sluice.new_topic(1)
    big = b"x" * 5000
    p = sluice("produce", topic, "-X", "message.max.bytes=2000", input=b"ok\n" + big + b"\n" + big
               + b"\n", check=False)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert "2 of 3 records were not delivered" in err, err
    assert "MSG_SIZE_TOO_LARGE" in err, err


def test_unknown_topic_is_an_error(sluice):
    p = sluice("produce", "no-such-topic-abc", input=b"x\n", check=False)
    assert p.returncode == 1
    assert "topic 'no-such-topic-abc' does not exist" in p.stderr.decode()
    p = sluice("consume", "no-such-topic-abc", "-e", check=False)
    assert p.returncode == 1
    assert "topic 'no-such-topic-abc' does not exist" in p.stderr.decode()


def test_unknown_partition_is_an_error(sluice):
    topic = sluice.new_topic(2)
    p = sluice("produce", topic, "--partition", "5", input=b"x\n", check=False)
    assert p.returncode == 1 and "has 2 partitions" in p.stderr.decode()
    p = sluice("consume", topic, "--partition", "5", "-e", check=False)
    assert p.returncode == 1 and "has 2 partitions" in p.stderr.decode()


@pytest.mark.parametrize("command", [["produce", "t"], ["consume", "t", "-e"]])
def test_unreachable_broker_fails_within_timeout(unused_port, command):
    start = time.time()
    p = run([SLUICE_BIN, *command, "-b", f"127.0.0.1:{unused_port}", "--timeout", "2"],
            input=b"x\n", check=False, timeout=30)
    assert p.returncode == 1
    assert time.time() - start < 10
    err = p.stderr.decode()
    assert "no answer from Kafka" in err and "Connection refused" in err, err


def test_lines_arriving_one_read_at_a_time(sluice):
    """Like typing at a terminal: every read ends exactly at a newline."""
    topic = sluice.new_topic(1)
    producer = sluice.popen("produce", topic, "-q", stdin=subprocess.PIPE)
    lines = [b"short", b"a much longer line than the first one", b"x", b"", b"last"]
    for line in lines:
        producer.stdin.write(line + b"\n")
        producer.stdin.flush()
        time.sleep(0.1)
    producer.stdin.close()
    assert producer.wait(timeout=20) == 0, producer.stderr.read()
    out = sluice("consume", topic, "--from-beginning", "-e", "-q").stdout
    assert out == b"".join(line + b"\n" for line in lines)


def test_produce_stops_on_sigint_after_delivering_what_it_read(sluice):
    topic = sluice.new_topic(1)
    producer = sluice.popen("produce", topic, "--rate", "100", stdin=subprocess.PIPE)
    producer.stdin.write(b"".join(b"%d\n" % i for i in range(10_000)))
    producer.stdin.flush()
    time.sleep(1.0)
    producer.send_signal(signal.SIGINT)
    _, err = producer.communicate(timeout=20)
    assert producer.returncode == 0, err
    sent = int(re.search(rb"produced (\d+) records", err).group(1))
    assert 50 <= sent < 10_000
    out = sluice("consume", topic, "--from-beginning", "-e", "-q").stdout
    assert out == b"".join(b"%d\n" % i for i in range(sent))

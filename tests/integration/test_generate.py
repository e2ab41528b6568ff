"""`sluice generate KIND` against a real `sluice broker`: exact counts, the same records for
the same seed, the seed's default topics created with their partitions, pacing by --rate,
Ctrl-C, and a clear, bounded failure when no broker is there."""
import base64
import json
import signal
import subprocess
import time

from conftest import SLUICE_BIN, free_port, read_to_end, run


def generate(broker, kind, *args, timeout=120, check=True):
    return run([SLUICE_BIN, "generate", kind, "-b", broker.bootstrap, "--timeout", "10", *args],
               timeout=timeout, check=check)


def values(broker, topic, partitions=(0,)):
    got = read_to_end(broker.bootstrap, topic, partitions)
    return [m.value() for p in sorted(got) for m in got[p]]


def test_clicks_exact_count_and_same_records_for_the_same_seed(broker):
    p = generate(broker, "clicks", "--count", "1000", "--seed", "7", "--topic", "run1")
    assert b"created topic run1" in p.stderr
    assert b"produced 1000 records" in p.stderr
    first = values(broker, "run1")
    assert len(first) == 1000
    got = read_to_end(broker.bootstrap, "run1", [0])[0]
    for m in got:
        event = json.loads(m.value())
        assert set(event) == {"userId", "action"}
        assert event["userId"] == m.key().decode()
        assert event["action"] in ("CLICK", "VIEW", "ADD_TO_CART")
    assert {json.loads(v)["userId"] for v in first} == {"u1", "u2", "u3"}

    generate(broker, "clicks", "--count", "1000", "--seed", "7", "--topic", "run2")
    assert values(broker, "run2") == first
    # --print gives the very same values without Kafka.
    printed = run([SLUICE_BIN, "generate", "clicks", "--count", "1000", "--seed", "7",
                   "--print"]).stdout.splitlines()
    assert printed == first
    generate(broker, "clicks", "--count", "1000", "--seed", "8", "--topic", "run3")
    assert values(broker, "run3") != first


def test_default_topics_partitions_keys_and_job_names(broker):
    # click-windows' generator: topic `clicks`, 3 partitions, keyed by user.
    generate(broker, "click-windows", "--count", "600", "--seed", "3")
    got = read_to_end(broker.bootstrap, "clicks", [0, 1, 2])
    assert sum(len(ms) for ms in got.values()) == 600
    partition_of = {}
    for partition, ms in got.items():
        assert ms, f"partition {partition} got nothing"
        last_ts = 0
        for m in ms:
            event = json.loads(m.value())
            assert event["userId"] == m.key().decode()
            assert event["url"].startswith("/")
            assert event["ts"] > last_ts, "in event-time order within a partition"
            last_ts = event["ts"]
            assert partition_of.setdefault(event["userId"], partition) == partition

    # pair-sum's generator: raw-topic, integers 0..pair-sum, and the bad ones asked for.
    generate(broker, "pair-sum", "--count", "4000", "--pair-sum", "20", "--bad-fraction", "0.05")
    numbers = values(broker, "raw-topic")
    assert len(numbers) == 4000
    bad = [v for v in numbers if not (v.isdigit() and 0 <= int(v) <= 20)]
    assert 100 <= len(bad) <= 320, len(bad)  # 200 expected

    generate(broker, "orders", "--count", "50", "--customers", "5")
    for v in values(broker, "partitioned-topic", [0, 1, 2]):
        fields = dict(kv.split("=", 1) for kv in v.decode().split(","))
        assert set(fields) == {"customer", "status", "region", "amount", "ts"}

    generate(broker, "transactions", "--count", "50")
    for v in values(broker, "transactions", [0, 1, 2]):
        assert "transaction_id" in json.loads(v)


def test_frames_carry_a_decodable_jpeg(broker):
    generate(broker, "frames", "--count", "6", "--resolutions", "64x48,128x96")
    frames = [json.loads(v) for v in values(broker, "video_frames")]
    assert len(frames) == 6
    for f in frames:
        jpeg = base64.b64decode(f["frame_data"], validate=True)
        assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
        assert f["frame_size_bytes"] == len(jpeg)
        assert (f["frame_width"], f["frame_height"]) in ((64, 48), (128, 96))


def test_event_record_time_sets_the_kafka_timestamp(broker):
    generate(broker, "url-clicks", "--count", "20", "--topic", "timed", "--partitions", "1",
             "--record-time", "event", "--start-time", "now")
    for m in read_to_end(broker.bootstrap, "timed", [0])[0]:
        assert m.timestamp()[1] == json.loads(m.value())["ts"]


def test_rate_paces_and_ctrl_c_stops_cleanly(broker):
    # Bounded: 40 records at 20/s cannot take less than ~2 s (a token bucket may start
    # with one token, so 1.5 s is the floor checked; no upper timing bound).
    start = time.monotonic()
    generate(broker, "clicks", "--count", "40", "--rate", "20", "--topic", "paced")
    assert time.monotonic() - start >= 1.5
    assert len(values(broker, "paced")) == 40

    # Unbounded until Ctrl-C: what arrived is what the rate allows, and all of it delivered.
    proc = subprocess.Popen([SLUICE_BIN, "generate", "clicks", "-b", broker.bootstrap,
                             "--rate", "50", "--topic", "forever"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start = time.monotonic()
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    elapsed = time.monotonic() - start
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    n = len(values(broker, "forever"))
    assert 1 <= n <= 50 * elapsed + 10, (n, elapsed)
    assert f"produced {n} records".encode() in err, err.decode()


def test_unreachable_broker_is_a_clear_bounded_failure(tmp_path):
    port = free_port()  # nothing listens there
    start = time.monotonic()
    p = run([SLUICE_BIN, "generate", "clicks", "-b", f"127.0.0.1:{port}", "--timeout", "2",
             "--count", "10"], check=False, timeout=60)
    assert p.returncode == 1
    assert time.monotonic() - start < 30
    err = p.stderr.decode()
    assert f"127.0.0.1:{port}" in err and "broker" in err, err


def test_bad_flags_are_usage_errors():
    p = run([SLUICE_BIN, "generate", "nope"], check=False)
    assert p.returncode != 0
    p = run([SLUICE_BIN, "generate", "numbers", "--bad-fraction", "2", "--print"], check=False)
    assert p.returncode != 0 and b"bad-fraction" in p.stderr
    p = run([SLUICE_BIN, "generate", "frames", "--resolutions", "big", "--print", "-n", "1"],
            check=False)
    assert p.returncode == 1 and b"WIDTHxHEIGHT" in p.stderr

"""video-frames (JOBS.md, seed 004) end to end through the embedded broker: this test makes
its own JPEG frames (jpeg_blocks.py: images whose decoded mean luma is known exactly,
written without libjpeg), produces them as the seed's frame records into `video_frames`
with some bad records, runs `sluice run video-frames --bounded`, and checks
processed_video_frames (only frames above 480p; brightness within 1% of the known mean
luma; aspect and compression ratios), video_source_aggregations and the dead-letter topic
against a reference computed here."""
import base64
import calendar
import json
import random
import time
from collections import defaultdict
from datetime import datetime, timezone

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

import jpeg_blocks
from conftest import SLUICE_BIN, broker, read_to_end, run  # noqa: F401

RESOLUTIONS = [(320, 240), (640, 480), (854, 480), (1024, 576), (1280, 720), (1920, 1080)]
SOURCES = ["webcam", "video_file", "sample"]
WINDOW_MS = 10_000
START = calendar.timegm((2024, 5, 23, 12, 0, 0)) * 1000


def category(height):
    return ("4k" if height >= 2160 else "1440p" if height >= 1440 else "1080p" if height >= 1080
            else "720p" if height >= 720 else "hd_ready")


def iso_ms(ms):
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}"


def iso_z(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_images(rnd):
    """(width, height, jpeg bytes, exact mean luma) per resolution and pattern: a uniform grey
    frame and a block pattern."""
    images = []
    for w, h in RESOLUTIONS:
        grey = rnd.randint(16, 240)
        uniform = lambda bx, by, g=grey: g
        images.append((w, h, jpeg_blocks.encode(w, h, uniform), float(grey)))
        a, b = rnd.randint(0, 255), rnd.randint(0, 255)
        pattern = lambda bx, by, a=a, b=b: a if (bx // 3 + by // 2) % 2 else b
        images.append((w, h, jpeg_blocks.encode(w, h, pattern), jpeg_blocks.mean_level(w, h, pattern)))
    return images


def frame_record(i, ts, source, w, h, jpeg, frame_data=None):
    return json.dumps({
        "frame_id": f"frame_{i}_{ts}", "timestamp": iso_ms(ts), "source": source,
        "frame_data": frame_data if frame_data is not None else base64.b64encode(jpeg).decode(),
        "frame_width": w, "frame_height": h, "frame_channels": 3,
        "frame_size_bytes": len(jpeg), "metadata": {"test": True}})


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(30)


def test_frames_above_480p_analysed_and_aggregated(broker):
    rnd = random.Random(7)
    images = make_images(rnd)
    create_topic(broker.bootstrap, "video_frames", 2)
    p = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True})
    expected, bad = {}, []
    aggs = defaultdict(lambda: [0, 0.0, 0])
    clock = START
    sent = 0
    for i in range(400):
        clock += rnd.randint(0, 300)
        ts = clock - rnd.randint(0, 1500)
        source = rnd.choice(SOURCES)
        w, h, jpeg, mean = rnd.choice(images)
        if i % 50 == 7:  # bad records: truncated JPEG above 480p, not base64, not JSON
            bw, bh, bj, _ = rnd.choice([img for img in images if img[1] > 480])
            kind = (i // 50) % 3
            if kind == 0:
                value = frame_record(i, ts, source, bw, bh, bj,
                                     frame_data=base64.b64encode(bj[: len(bj) // 2]).decode())
            elif kind == 1:
                value = frame_record(i, ts, source, w, h, jpeg, frame_data="!!not base64!!")
            else:
                value = frame_record(i, ts, source, w, h, jpeg)[:60]
            bad.append(value)
        else:
            value = frame_record(i, ts, source, w, h, jpeg)
            if h > 480:
                fid = f"frame_{i}_{ts}"
                expected[fid] = dict(source=source, w=w, h=h, mean=mean, size=len(jpeg),
                                     category=category(h),
                                     compression=round(w * h * 3 / len(jpeg), 2))
                start = ts - ts % WINDOW_MS
                a = aggs[(source, category(h), iso_z(start), iso_z(start + WINDOW_MS))]
                a[0] += 1
                a[1] += mean
                a[2] += len(jpeg)
        p.produce("video_frames", key=source, value=value)
        sent += 1
    assert p.flush(30) == 0

    started = time.time()
    run([SLUICE_BIN, "run", "video-frames", "--bootstrap-servers", broker.bootstrap, "--bounded",
         "--starting-offsets", "earliest", "-p", "2", "--window", "10s",
         "--dlq", "frames-dlq"], timeout=300)
    print(f"video-frames: {time.time() - started:.1f}s for {sent} frames")

    got = {}
    for m in read_to_end(broker.bootstrap, "processed_video_frames", [0])[0]:
        v = json.loads(m.value())
        assert v["frame_id"] not in got
        got[v["frame_id"]] = v
    assert set(got) == set(expected), "exactly the frames above 480p, each once"
    for fid, e in expected.items():
        v = got[fid]
        assert v["source"] == e["source"] and v["frame_width"] == e["w"] and v["frame_height"] == e["h"]
        assert abs(v["brightness"] - e["mean"]) <= 0.01 * e["mean"], (fid, v["brightness"], e["mean"])
        assert abs(v["aspect_ratio"] - e["w"] / e["h"]) <= 0.0001
        assert abs(v["compression_ratio"] - e["compression"]) <= 0.01
        assert v["frame_size_bytes"] == e["size"]
        assert v["resolution_category"] == e["category"]
    # A uniform grey frame: brightness within 1% (here exactly, as the blocks are flat).
    uniform = [(fid, e) for fid, e in expected.items() if e["mean"] == int(e["mean"])]
    assert uniform
    for fid, e in uniform:
        assert abs(got[fid]["brightness"] - e["mean"]) <= 0.01 * e["mean"]

    got_aggs = {}
    for m in read_to_end(broker.bootstrap, "video_source_aggregations", [0])[0]:
        v = json.loads(m.value())
        key = (v["source"], v["resolution_category"], v["window_start"], v["window_end"])
        assert key not in got_aggs, f"window {key} fired twice"
        got_aggs[key] = v
    assert set(got_aggs) == set(aggs)
    for key, (n, brightness, size) in aggs.items():
        v = got_aggs[key]
        assert v["frame_count"] == n, key
        assert abs(v["avg_brightness"] - brightness / n) <= 0.01 * brightness / n + 0.01, key
        assert abs(v["avg_size_bytes"] - size / n) <= 0.01, key

    dlq = read_to_end(broker.bootstrap, "frames-dlq", [0])[0]
    assert sorted(m.value().decode() for m in dlq) == sorted(bad)
    for m in dlq:
        assert dict(m.headers() or []).get("error"), m.value()[:100]


def test_help_names_the_flags():
    out = run([SLUICE_BIN, "run", "video-frames", "--help"]).stdout.decode()
    for flag in ("--window", "--processed-topic", "--aggregations-topic", "--dlq", "--bounded"):
        assert flag in out, flag

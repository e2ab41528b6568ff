"""file-uploads (JOBS.md, seed 004) end to end: files from 1 byte to 50 MB go into
uploaded_documents / uploaded_videos / uploaded_images over HTTP (the dashboard's
/api/upload on a `sluice broker --ui` process) and straight from a confluent-kafka producer
(topics created with max.message.bytes raised); `sluice consume --save-files DIR` writes
them back byte-identical, and a file named ../../etc/passwd lands inside DIR; a record
whose MD5 does not match is refused (not saved, exit 1) and goes to the job's dead-letter
topic; `sluice run file-uploads --bounded` writes processed_files and file_type_aggregations
equal to a reference computed here from the records in the topics."""
import base64
import hashlib
import json
import os
import random
import socket
import struct
import time
import uuid
import urllib.request
from collections import defaultdict
from datetime import datetime, timezone

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import SLUICE_BIN, broker_factory, free_port, read_to_end, run  # noqa: F401

MiB = 1024 * 1024
KiB = 1024
LIMIT = 50 * MiB
TOPICS = ["uploaded_documents", "uploaded_videos", "uploaded_images"]
TEXT_EXT = {"txt", "md", "csv", "json", "log", "xml", "html", "htm", "yaml", "yml"}
WINDOW_MS = 60_000


def wait_http(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"dashboard did not listen on {port}")


def png(width, height):
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" +
            struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0) + b"\0\0\0\0" + os.urandom(200))


def jpeg(width, height):
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + os.urandom(300) + b"\xff\xd9"


def upload_http(port, files):
    boundary = "----sluice" + uuid.uuid4().hex
    parts = []
    for name, ctype, content in files:
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                     f"filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n".encode())
        parts.append(content)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/upload", data=b"".join(parts),
                                 method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=300) as r:
        assert r.status == 201
        return json.loads(r.read())["uploaded"]


def record(file_id, name, ftype, content, mime, ts, md5=None):
    return json.dumps({
        "file_id": file_id, "filename": name, "file_type": ftype, "file_size": len(content),
        "file_hash": md5 or hashlib.md5(content).hexdigest(), "upload_timestamp": ts,
        "metadata": {"mime_type": mime}, "file_content": base64.b64encode(content).decode()})


def is_text(name, mime, content):
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not (mime.lower().startswith("text/") or ext in TEXT_EXT):
        return False
    try:
        content.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def size_category(n):
    return "small" if n < 100 * KiB else "medium" if n < MiB else "large" if n < 10 * MiB else "huge"


def parse_ts(text):
    text = text.rstrip("Z")
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def iso_z(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference(records):
    """processed_files and file_type_aggregations from the records as read from the topics."""
    processed, aggs = {}, defaultdict(lambda: [0, 0, 0])
    for topic, v in records:
        content = base64.b64decode(v["file_content"])
        mime = v["metadata"].get("mime_type", "")
        out = {k: v[k] for k in ("file_id", "filename", "file_type", "file_size", "file_hash",
                                 "upload_timestamp")}
        out.update(mime_type=mime, size_category=size_category(len(content)),
                   large_file=len(content) > MiB, topic=topic)
        if is_text(v["filename"], mime, content):
            text = content.decode()
            out.update(text_content=text[:1000], char_count=len(text),
                       line_count=text.count("\n") + (1 if text and not text.endswith("\n") else 0))
        if content[:8] == b"\x89PNG\r\n\x1a\n":
            w, h = struct.unpack(">II", content[16:24])
            out.update(image_format="png", image_width=w, image_height=h)
        elif content[:2] == b"\xff\xd8":
            i = content.index(b"\xff\xc0")
            h, w = struct.unpack(">HH", content[i + 5:i + 9])
            out.update(image_format="jpeg", image_width=w, image_height=h)
        processed[v["file_id"]] = out
        ts = parse_ts(v["upload_timestamp"])
        start = ts - ts % WINDOW_MS
        a = aggs[(v["file_type"], size_category(len(content)), iso_z(start), iso_z(start + WINDOW_MS))]
        a[0] += 1
        a[1] += len(content)
        a[2] += len(content) > MiB
    return processed, {k: {"file_count": n, "total_bytes": b, "avg_bytes": round(b / n, 2),
                           "large_files": large} for k, (n, b, large) in aggs.items()}


def test_files_round_trip_and_job_outputs_equal_the_reference(broker_factory, tmp_path):
    port = free_port()
    b = broker_factory(extra_args=["--ui", f"127.0.0.1:{port}", "--ui-upload-limit", str(LIMIT)])
    wait_http(port)
    rnd = random.Random(9)
    big = rnd.randbytes(LIMIT)  # 50 MiB
    text = "".join(rnd.choice("abc défg\n") for _ in range(3000)).encode()
    files = {  # name -> (mime, content, way in)
        "one.bin": ("application/octet-stream", b"\x00", "http"),
        "notes.txt": ("text/plain", text, "http"),
        "photo.png": ("image/png", png(640, 480), "http"),
        "clip.mp4": ("video/mp4", rnd.randbytes(3 * MiB + 5), "http"),
        "../../etc/passwd": ("text/plain", b"root:x:0:0:root:/root:/bin/bash\n", "http"),
        "big.bin": ("application/octet-stream", big, "http"),
        "medium.csv": ("text/csv", b"a,b\n1,2\n" * 20000, "kafka"),
        "camera.jpg": ("image/jpeg", jpeg(1920, 1080), "kafka"),
        "movie.mov": ("video/quicktime", rnd.randbytes(12 * MiB), "kafka"),
        "..\\..\\windows\\evil.txt": ("text/plain", b"evil\r\n", "kafka"),
        "../../etc/hosts": ("text/plain", b"127.0.0.1 localhost\n", "kafka"),
    }
    started = time.time()
    for name, (mime, content, way) in files.items():
        if way == "http":
            up = upload_http(port, [(name, mime, content)])
            assert up[0]["file_hash"] == hashlib.md5(content).hexdigest()
    print(f"HTTP uploads: {time.time() - started:.1f}s")

    # Straight into the topics (created here if the uploads did not), as another producer would.
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    existing = admin.list_topics(timeout=30).topics
    new = [NewTopic(t, 1, 1, config={"max.message.bytes": str(80 * MiB)})
           for t in TOPICS if t not in existing]
    for f in (admin.create_topics(new).values() if new else []):
        f.result(30)
    p = Producer({"bootstrap.servers": b.bootstrap, "message.max.bytes": 100 * MiB,
                  "enable.idempotence": True})
    now = datetime.now(timezone.utc)
    ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    types = {"image": "uploaded_images", "video": "uploaded_videos", "document": "uploaded_documents"}
    for i, (name, (mime, content, way)) in enumerate(files.items()):
        if way == "kafka":
            ftype = "image" if mime.startswith("image/") else "video" if mime.startswith("video/") else "document"
            p.produce(types[ftype], key=f"k{i}", value=record(f"{ftype}_test_{i}", name, ftype, content, mime, ts))
    # A record whose MD5 does not match its content: never saved, and a dead letter for the job.
    bad = record("document_bad_md5", "tampered.txt", "document", b"tampered", "text/plain", ts,
                 md5=hashlib.md5(b"original").hexdigest())
    p.produce("uploaded_documents", key="bad", value=bad)
    assert p.flush(60) == 0

    # --- sluice consume --save-files: byte-identical, inside DIR whatever the name says ---
    saved = tmp_path / "out" / "deep" / "saved"
    started = time.time()
    for topic in TOPICS:
        c = run([SLUICE_BIN, "consume", topic, "-b", b.bootstrap, "--from-beginning",
                 "--exit-at-end", "-q", "--save-files", str(saved)], timeout=300, check=False)
        if topic == "uploaded_documents":
            assert c.returncode != 0 and b"md5" in c.stderr, c.stderr[-2000:]
        else:
            assert c.returncode == 0, c.stderr[-2000:]
    print(f"consume --save-files: {time.time() - started:.1f}s")
    expected_names = {"one.bin", "notes.txt", "photo.png", "clip.mp4", "passwd", "big.bin",
                      "medium.csv", "camera.jpg", "movie.mov", "evil.txt", "hosts"}
    assert {f.name for f in saved.iterdir()} == expected_names
    for name, (mime, content, way) in files.items():
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        assert (saved / base).read_bytes() == content, name
    assert not (tmp_path / "out" / "etc").exists() and not (tmp_path / "etc").exists()
    # Nothing anywhere under tmp_path but DIR's files and the broker's own directories.
    for root, _, names in os.walk(tmp_path):
        for n in names:
            assert n not in ("passwd", "evil.txt", "hosts") or root == str(saved), os.path.join(root, n)
    # A second run writes nothing new (same bytes under the same names).
    c = run([SLUICE_BIN, "consume", "uploaded_images", "-b", b.bootstrap, "--from-beginning",
             "--exit-at-end", "-q", "--save-files", str(saved)], timeout=120)
    assert {f.name for f in saved.iterdir()} == expected_names

    # --- the job ---
    records = []
    for topic in TOPICS:
        for m in read_to_end(b.bootstrap, topic, [0], **{"receive.message.max.bytes": 200 * MiB,
                                                         "fetch.max.bytes": 100 * MiB})[0]:
            v = json.loads(m.value())
            if v["file_id"] != "document_bad_md5":
                records.append((topic, v))
    processed, aggs = reference(records)
    assert len(processed) == len(files)

    started = time.time()
    run([SLUICE_BIN, "run", "file-uploads", "--bootstrap-servers", b.bootstrap, "--bounded",
         "--starting-offsets", "earliest", "-p", "2", "--dlq", "uploads-dlq"], timeout=300)
    print(f"file-uploads job: {time.time() - started:.1f}s")
    got = {}
    for m in read_to_end(b.bootstrap, "processed_files", [0])[0]:
        v = json.loads(m.value())
        assert m.key().decode() == v["file_id"]
        assert v["file_id"] not in got
        got[v["file_id"]] = v
    assert got == processed
    got_aggs = {}
    for m in read_to_end(b.bootstrap, "file_type_aggregations", [0])[0]:
        v = json.loads(m.value())
        key = (v.pop("file_type"), v.pop("size_category"), v.pop("window_start"), v.pop("window_end"))
        assert key not in got_aggs
        got_aggs[key] = v
    assert set(got_aggs) == set(aggs)
    for key, e in aggs.items():
        v = got_aggs[key]
        assert abs(v.pop("avg_bytes") - e["avg_bytes"]) <= 0.01, key
        assert v == {k: x for k, x in e.items() if k != "avg_bytes"}, key
    dlq = read_to_end(b.bootstrap, "uploads-dlq", [0])[0]
    assert [m.value().decode() for m in dlq] == [bad]
    assert b"md5" in dict(dlq[0].headers())["error"]


def test_help_names_the_flags():
    out = run([SLUICE_BIN, "run", "file-uploads", "--help"]).stdout.decode()
    for flag in ("--window", "--processed-topic", "--aggregations-topic", "--dlq", "--input-topics"):
        assert flag in out, flag
    out = run([SLUICE_BIN, "consume", "--help"]).stdout.decode()
    assert "--save-files" in out

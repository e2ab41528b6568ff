"""The dashboard's HTTP API (src/web) against a real `sluice broker --ui` process, with
kcat and confluent-kafka as the clients that write and read what the API shows."""
import base64
import hashlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import SLUICE_BIN, free_port, kcat, read_to_end


class Dashboard:
    def __init__(self, broker, port, token=None):
        self.broker = broker
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def request(self, method, path, body=None, headers=None, token=None, raw=False):
        headers = dict(headers or {})
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            else:
                data = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, hdrs, content = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, content = e.code, e.headers, e.read()
        if raw:
            return status, hdrs, content
        return status, (json.loads(content) if content else None)

    def get(self, path):
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def upload(self, files, token=None):
        """files: [(filename, content_type, bytes)] as one multipart/form-data POST."""
        boundary = "----sluice" + uuid.uuid4().hex
        parts = []
        for name, ctype, content in files:
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                         f"filename=\"{name}\"\r\n".encode())
            if ctype:
                parts.append(f"Content-Type: {ctype}\r\n".encode())
            parts.append(b"\r\n" + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", "/api/upload", b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                            token=token)


def wait_http(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"dashboard did not listen on {port}")


@pytest.fixture
def dashboard_factory(broker_factory):
    def make(*extra, token=None):
        port = free_port()
        args = ["--ui", f"127.0.0.1:{port}", *extra]
        if token:
            args += ["--ui-token", token]
        b = broker_factory(extra_args=args)
        wait_http(port)
        return Dashboard(b, port, token)
    return make


@pytest.fixture
def dash(dashboard_factory):
    return dashboard_factory()


def produce(bootstrap, topic, lines, *args):
    kcat(bootstrap, "-P", "-t", topic, *args, input="".join(l + "\n" for l in lines).encode())


def test_serves_the_embedded_ui_and_nothing_from_disk(dash):
    status, headers, body = dash.request("GET", "/", raw=True)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b'src="/js/app.js"' in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for path in ("/js/app.js", "/js/topics.js", "/js/dag.js", "/style.css"):
        status, _, body = dash.request("GET", path, raw=True)
        assert status == 200 and body, path
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "/CMakeLists.txt",
                 "/js/../../../etc/hostname", "/api/nope"):
        status, _, body = dash.request("GET", path, raw=True)
        assert status == 404, path
        assert b"root:" not in body


def test_topics_create_list_describe_and_delete(dash):
    status, body = dash.request("POST", "/api/topics",
                                {"name": "orders", "partitions": 3,
                                 "configs": {"retention.ms": "3600000"}})
    assert status == 201, body
    status, body = dash.request("POST", "/api/topics", {"name": "orders", "partitions": 1})
    assert status == 409 and "orders" in body["error"]
    status, body = dash.request("POST", "/api/topics", {"name": "bad/name"})
    assert status == 400 and "invalid topic name" in body["error"]
    status, body = dash.request("POST", "/api/topics", b"not json",
                                {"Content-Type": "application/json"})
    assert status == 400

    produce(dash.broker.bootstrap, "orders", ["a", "b"], "-p", "1")
    produce(dash.broker.bootstrap, "orders", ["c"], "-p", "2")
    topics = {t["name"]: t for t in dash.get("/api/topics")["topics"]}
    assert topics["orders"]["partition_count"] == 3
    assert [(p["id"], p["low"], p["high"]) for p in topics["orders"]["partitions"]] == \
        [(0, 0, 0), (1, 0, 2), (2, 0, 1)]
    assert topics["orders"]["records"] == 3

    detail = dash.get("/api/topics/orders")
    assert [p["high"] for p in detail["partitions"]] == [0, 2, 1]
    configs = {c["name"]: c for c in detail["configs"]}
    assert configs["retention.ms"]["value"] == "3600000"
    assert configs["retention.ms"]["default"] is False

    status, body = dash.request("DELETE", "/api/topics/orders")
    assert status == 200 and body["deleted"] is True
    status, body = dash.request("GET", "/api/topics/orders")
    assert status == 404
    status, body = dash.request("DELETE", "/api/topics/orders")
    assert status == 404


def segment_bytes(data_dir, topic, partition):
    """The size of a partition's segment files on disk: what Kafka's DescribeLogDirs tells."""
    return sum(f.stat().st_size for f in (data_dir / f"{topic}-{partition}").glob("*.log"))


def test_topic_size_on_disk_is_the_partitions_log_size(dash):
    status, body = dash.request("POST", "/api/topics", {"name": "sized", "partitions": 2})
    assert status == 201, body
    produce(dash.broker.bootstrap, "sized", [f"record {i} " + "x" * 100 for i in range(50)], "-p", "1")
    expected = [segment_bytes(dash.broker.data_dir, "sized", p) for p in (0, 1)]
    assert expected[0] == 0 and expected[1] > 50 * 100

    detail = dash.get("/api/topics/sized")
    assert [p["size_bytes"] for p in detail["partitions"]] == expected
    assert detail["size_bytes"] == sum(expected)
    listed = {t["name"]: t for t in dash.get("/api/topics")["topics"]}["sized"]
    assert [p["size_bytes"] for p in listed["partitions"]] == expected
    assert listed["size_bytes"] == sum(expected)


def test_message_browser_pages_offsets_time_keys_headers_and_binary(dash):
    b = dash.broker.bootstrap
    dash.request("POST", "/api/topics", {"name": "clicks", "partitions": 2})
    produce(b, "clicks", [f"u{i}\t{{\"n\": {i}}}" for i in range(30)], "-p", "0", "-K", "\t")
    before_last = int(time.time() * 1000)
    time.sleep(0.05)
    produce(b, "clicks", ["evil\t<script>alert('x')</script>"], "-p", "0", "-K", "\t",
            "-H", "trace=abc", "-H", "source=<b>web</b>")
    kcat(b, "-P", "-t", "clicks", "-p", "1", input=b"\xff\x00\xfe\x01")

    newest = dash.get("/api/topics/clicks/messages?partition=0&limit=20")
    assert (newest["low"], newest["high"]) == (0, 31)
    assert [m["offset"] for m in newest["messages"]] == list(range(11, 31))
    assert newest["next_offset"] == 31 and newest["prev_offset"] == 0

    page = dash.get("/api/topics/clicks/messages?partition=0&offset=5&limit=3")
    assert [(m["offset"], m["key"], json.loads(m["value"])["n"]) for m in page["messages"]] == \
        [(5, "u5", 5), (6, "u6", 6), (7, "u7", 7)]
    assert page["next_offset"] == 8 and page["prev_offset"] == 2

    oldest = dash.get("/api/topics/clicks/messages?partition=0&from=beginning&limit=2")
    assert [m["offset"] for m in oldest["messages"]] == [0, 1]

    by_time = dash.get(f"/api/topics/clicks/messages?partition=0&timestamp={before_last}")
    assert [m["offset"] for m in by_time["messages"]] == [30]
    evil = by_time["messages"][0]
    # The API returns the bytes as they are, in JSON (never as HTML); the UI escapes them.
    assert evil["value"] == "<script>alert('x')</script>"
    assert evil["key"] == "evil"
    assert {h["key"]: h["value"] for h in evil["headers"]} == {"trace": "abc", "source": "<b>web</b>"}
    status, headers, raw = dash.request("GET", "/api/topics/clicks/messages?partition=0&offset=30",
                                        raw=True)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"

    binary = dash.get("/api/topics/clicks/messages?partition=1")["messages"][0]
    assert binary["value_encoding"] == "base64"
    assert base64.b64decode(binary["value"]) == b"\xff\x00\xfe\x01"
    assert binary["value_size"] == 4

    past_end = dash.get("/api/topics/clicks/messages?partition=0&offset=1000")
    assert past_end["messages"] == [] and past_end["start"] == 31
    status, body = dash.request("GET", "/api/topics/clicks/messages?partition=7")
    assert status == 400 and "partitions 0..1" in body["error"]
    status, body = dash.request("GET", "/api/topics/clicks/messages?offset=abc")
    assert status == 400 and "offset" in body["error"]
    status, body = dash.request("GET", "/api/topics/nosuch/messages")
    assert status in (404, 400, 503)


def test_groups_show_state_members_committed_offsets_and_lag(dash):
    b = dash.broker.bootstrap
    dash.request("POST", "/api/topics", {"name": "events", "partitions": 2})
    produce(b, "events", [f"{i}" for i in range(10)], "-p", "0")
    produce(b, "events", [f"{i}" for i in range(4)], "-p", "1")
    # A group member reads everything and commits, then leaves; then 5 more arrive.
    kcat(b, "-G", "readers", "-X", "auto.offset.reset=earliest", "-e", "-q", "-o", "beginning",
         "events", timeout=120)
    produce(b, "events", [f"late{i}" for i in range(5)], "-p", "0")

    deadline = time.time() + 30
    while True:
        groups = {g["group_id"]: g for g in dash.get("/api/groups")["groups"]}
        if "readers" in groups and groups["readers"]["lag"] == 5 or time.time() > deadline:
            break
        time.sleep(0.5)
    g = groups["readers"]
    assert g["lag"] == 5, g
    assert g["state"] == "Empty" and g["members"] == 0 and g["partitions"] == 2

    detail = dash.get("/api/groups/readers")
    offsets = {(o["topic"], o["partition"]): o for o in detail["offsets"]}
    assert (offsets[("events", 0)]["committed"], offsets[("events", 0)]["high"],
            offsets[("events", 0)]["lag"]) == (10, 15, 5)
    assert offsets[("events", 1)]["lag"] == 0
    assert detail["lag"] == 5

    status, body = dash.request("GET", "/api/groups/no-such-group")
    assert status == 404

    metrics = dash.request("GET", "/metrics", raw=True)[2].decode()
    assert 'sluice_consumer_group_lag{group="readers",topic="events",partition="0"} 5' in metrics


def test_group_with_a_live_member_shows_its_assignment(dash):
    from confluent_kafka import Consumer
    b = dash.broker.bootstrap
    dash.request("POST", "/api/topics", {"name": "live", "partitions": 2})
    produce(b, "live", ["a", "b", "c"], "-p", "0")
    c = Consumer({"bootstrap.servers": b, "group.id": "watchers", "client.id": "watcher-1",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        c.subscribe(["live"])
        deadline = time.time() + 30
        m = None
        while m is None and time.time() < deadline:
            m = c.poll(0.2)
        c.commit(message=m, asynchronous=False)  # committed 1 of 3 on partition 0
        detail = dash.get("/api/groups/watchers")
        assert detail["state"] == "Stable"
        assert len(detail["members"]) == 1
        member = detail["members"][0]
        assert member["client_id"] == "watcher-1"
        assert sorted((a["topic"], a["partition"]) for a in member["assignment"]) == \
            [("live", 0), ("live", 1)]
        p0 = [o for o in detail["offsets"] if o["partition"] == 0][0]
        assert (p0["committed"], p0["lag"], p0["member_id"]) == (1, 2, member["member_id"])
    finally:
        c.close()


def test_upload_writes_the_seeds_record_into_the_topic_of_its_type(dash):
    doc = b"quarterly report\n" * 10
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    video = bytes((i * 7) % 256 for i in range(2_500_000))  # larger than Kafka's 1 MB default
    status, body = dash.upload([("report.txt", "text/plain", doc), ("pic.png", "image/png", png),
                                ("clip.mp4", "", video)])
    assert status == 201, body
    by_name = {u["filename"]: u for u in body["uploaded"]}
    assert by_name["report.txt"]["topic"] == "uploaded_documents"
    assert by_name["pic.png"]["topic"] == "uploaded_images"
    assert by_name["clip.mp4"]["topic"] == "uploaded_videos"
    assert by_name["clip.mp4"]["file_hash"] == hashlib.md5(video).hexdigest()

    for name, content, topic, mime in (("report.txt", doc, "uploaded_documents", "text/plain"),
                                       ("pic.png", png, "uploaded_images", "image/png"),
                                       ("clip.mp4", video, "uploaded_videos", "application/octet-stream")):
        got = read_to_end(dash.broker.bootstrap, topic, [0])[0]
        assert len(got) == 1, topic
        record = json.loads(got[0].value())
        assert got[0].key().decode() == record["file_id"]
        assert record["filename"] == name
        assert record["file_size"] == len(content)
        assert record["file_hash"] == hashlib.md5(content).hexdigest()
        assert base64.b64decode(record["file_content"]) == content
        assert record["metadata"]["mime_type"] == mime
        assert record["file_type"] == topic[len("uploaded_"):-1]
        assert record["upload_timestamp"].endswith("Z")
    assert json.loads(read_to_end(dash.broker.bootstrap, "uploaded_documents", [0])[0][0].value()) \
        ["metadata"]["text_content"].startswith("quarterly report")

    configs = {c["name"]: c["value"] for c in dash.get("/api/topics/uploaded_videos")["configs"]}
    assert int(configs["max.message.bytes"]) > 16 * 1024 * 1024 * 4 // 3

    status, body = dash.request("POST", "/api/upload", b"plain", {"Content-Type": "text/plain"})
    assert status == 400


def test_upload_over_the_limit_is_a_clear_413(dashboard_factory):
    dash = dashboard_factory("--ui-upload-limit", "1000")
    status, body = dash.upload([("small.txt", "text/plain", b"x" * 1000)])
    assert status == 201, body
    status, body = dash.upload([("big.txt", "text/plain", b"x" * 1001)])
    assert status == 413
    assert "big.txt" in body["error"] and "1000" in body["error"]
    # Far past the limit: refused before the body is parsed, still with a message.
    status, body = dash.upload([("huge.bin", "", b"y" * (3 * 1024 * 1024))])
    assert status == 413
    assert "1000" in body["error"]
    got = read_to_end(dash.broker.bootstrap, "uploaded_documents", [0])[0]
    assert [json.loads(m.value())["filename"] for m in got] == ["small.txt"]


def test_mutating_calls_need_the_token(dashboard_factory):
    dash = dashboard_factory(token="t0ken")
    assert dash.get("/api/ui")["token_required"] is True
    calls = [("POST", "/api/topics", {"name": "x1"}), ("DELETE", "/api/topics/x1", None),
             ("POST", "/api/jobs/j/cancel", None), ("POST", "/api/jobs/j/savepoint", None)]
    for method, path, body in calls:
        assert dash.request(method, path, body)[0] == 401, path
        assert dash.request(method, path, body, token="wrong")[0] == 401, path
    status, _ = dash.upload([("a.txt", "text/plain", b"a")])
    assert status == 401
    # Nothing happened; reading needs no token.
    assert "x1" not in {t["name"] for t in dash.get("/api/topics")["topics"]}
    assert "uploaded_documents" not in {t["name"] for t in dash.get("/api/topics")["topics"]}
    assert dash.request("POST", "/api/topics", {"name": "x1"}, token="t0ken")[0] == 201
    assert dash.upload([("a.txt", "text/plain", b"a")], token="t0ken")[0] == 201
    assert dash.request("DELETE", "/api/topics/x1", token="t0ken")[0] == 200
    assert dash.request("POST", "/api/jobs/j/cancel", token="t0ken")[0] == 404  # no engine here


def test_metrics_show_broker_requests_bytes_and_latency(dash):
    produce(dash.broker.bootstrap, "m", ["1", "2", "3"])
    status, headers, body = dash.request("GET", "/metrics", raw=True)
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values["sluice_broker_bytes_in_total"] > 0
    assert values["sluice_broker_bytes_out_total"] > 0
    assert values['sluice_broker_requests_total{api="Produce"}'] >= 1
    assert values['sluice_broker_requests_total{api="Metadata"}'] >= 1
    assert values['sluice_broker_request_duration_seconds_count{api="Produce"}'] == \
        values['sluice_broker_requests_total{api="Produce"}']
    assert '# TYPE sluice_broker_request_duration_seconds histogram' in text


def test_jobs_api_without_an_engine(dash):
    assert dash.get("/api/jobs") == {"jobs": [], "available": False}
    assert dash.request("GET", "/api/jobs/x")[0] == 404


def test_cluster_and_ui_info(dash):
    cluster = dash.get("/api/cluster")
    assert cluster["bootstrap_servers"] == dash.broker.bootstrap
    assert len(cluster["brokers"]) == 1
    # The broker runs in this process: its traffic so far (the charts' bytes in/out).
    assert cluster["broker_bytes_in_total"] > 0 and cluster["broker_bytes_out_total"] > 0
    ui = dash.get("/api/ui")
    assert ui["token_required"] is False and ui["jobs_available"] is False


def test_ui_off_serves_nothing(broker_factory):
    b = broker_factory(extra_args=["--ui", "off"])
    time.sleep(0.3)
    assert "dashboard at" not in b.log()
    d = broker_factory(extra_args=["--ui", f"127.0.0.1:{free_port()}"])
    time.sleep(0.3)
    assert "dashboard at http://127.0.0.1:" in d.log()


def test_explicit_ui_address_in_use_is_an_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = subprocess.run([SLUICE_BIN, "broker", "--listen", "127.0.0.1:0", "--data-dir",
                            str(tmp_path / "d"), "--ui", f"127.0.0.1:{port}"],
                           capture_output=True, timeout=30)
        assert p.returncode == 1
        assert b"--ui" in p.stderr


def test_demo_prints_the_dashboard_url_and_serves_it(tmp_path):
    port = free_port()
    proc = subprocess.Popen([SLUICE_BIN, "demo", "--listen", "127.0.0.1:0", "--seconds", "20",
                             "--data-dir", str(tmp_path / "d"), "--ui", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        line = b""
        deadline = time.time() + 20
        while b"dashboard at" not in line and time.time() < deadline:
            line = proc.stderr.readline()
        assert f"dashboard at http://127.0.0.1:{port}/".encode() in line
        d = Dashboard(None, port)
        deadline = time.time() + 20
        while time.time() < deadline:
            topics = {t["name"]: t for t in d.get("/api/topics")["topics"]}
            if topics.get("input-topic", {}).get("records", 0) > 0:
                break
            time.sleep(0.3)
        assert topics["input-topic"]["records"] > 0
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=30)
    assert proc.returncode == 0

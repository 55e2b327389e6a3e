"""The recorders: moto's WSGI wrapper (recorder.py) and fault_proxy.py --record, without peers."""

from __future__ import annotations

import http.client
import http.server
import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import recorder  # noqa: E402

PROXY = HERE.parent / "faults" / "fault_proxy.py"
DEPLOYER_UA = "deployer/0.1.0 cmd/apply"
AUTH = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"


class Unreadable(io.RawIOBase):
    """A socket whose client keeps the connection open: reading it would hang."""

    def read(self, *args):
        raise AssertionError("read a body that has no Content-Length and no chunking")


def environ(body: bytes | None, ua: str = DEPLOYER_UA, **extra) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/a b",
        "RAW_URI": "/a%20b?x=1",
        "QUERY_STRING": "x=1",
        "HTTP_USER_AGENT": ua,
        "HTTP_AUTHORIZATION": AUTH.replace("/s3/", "/glue/"),
        "HTTP_X_AMZ_SECURITY_TOKEN": "tok",
        "CONTENT_TYPE": "application/x-amz-json-1.1",
        "wsgi.input": io.BytesIO(body or b""),
    }
    if body is not None:
        env["CONTENT_LENGTH"] = str(len(body))
    env.update(extra)
    return env


def test_take_body_reinjects_and_never_waits():
    env = environ(b'{"a":1}')
    assert recorder.take_body(env) == b'{"a":1}'
    assert env["wsgi.input"].read() == b'{"a":1}' and env["CONTENT_LENGTH"] == "7"
    chunked = environ(None, **{"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"dechunked")})
    assert recorder.take_body(chunked) == b"dechunked" and chunked["wsgi.input"].read() == b"dechunked"
    bare = environ(None, **{"wsgi.input": Unreadable()})
    assert recorder.take_body(bare) == b""


def run_wrapped(env: dict, tmp_path: Path) -> tuple[list[dict], bytes]:
    writer = recorder.Writer(tmp_path / "moto-1.jsonl")
    seen = {}

    def app(self, environ, start_response):
        seen["body"] = environ["wsgi.input"].read()
        start_response("201 Created", [])
        return [b"ok"]

    wrapped = recorder.record_wsgi(writer, app)
    assert wrapped(None, env, lambda status, headers, exc_info=None: None) == [b"ok"]
    writer.close()
    text = (tmp_path / "moto-1.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()], seen["body"]


def test_wsgi_recorder_keeps_deployer_requests_without_secrets(tmp_path):
    records, body_seen = run_wrapped(environ(b'{"JobName":"j"}'), tmp_path)
    assert body_seen == b'{"JobName":"j"}'
    (rec,) = records
    assert (rec["method"], rec["path"], rec["query"], rec["status"]) == ("POST", "/a%20b", "x=1", 201)
    assert rec["signing_service"] == "glue" and rec["body"] == '{"JobName":"j"}' and rec["body_length"] == 15
    assert "authorization" not in rec["headers"] and "x-amz-security-token" not in rec["headers"]
    assert "Signature" not in json.dumps(rec) and "tok" not in json.dumps(rec["headers"])


def test_wsgi_recorder_skips_others_and_limits_bodies(tmp_path):
    records, _ = run_wrapped(environ(b"{}", ua="Boto3/1.43 md/Botocore#1.43"), tmp_path)
    assert records == []
    big = b"x" * (recorder.MAX_BODY + 1)
    records, body_seen = run_wrapped(environ(big), tmp_path)
    assert body_seen == big
    assert records[0]["body"] is None and records[0]["body_length"] == len(big) and records[0]["body_omitted"].startswith("over")
    records, _ = run_wrapped(environ(b"\xff\xfe"), tmp_path)
    assert records[-1]["body_base64"] is True and records[-1]["body"] == "//4="
    cut = environ(b"", CONTENT_LENGTH="39")  # the client died before its body arrived
    records, _ = run_wrapped(cut, tmp_path)
    assert records[-1]["body_truncated"] is True and records[-1]["body_length"] == 0


def test_install_is_off_without_the_variable(monkeypatch):
    monkeypatch.delenv(recorder.ENV, raising=False)
    recorder.install()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert not getattr(DomainDispatcherApplication.__call__, "_contract_recorder", False)


class Upstream(http.server.BaseHTTPRequestHandler):
    """Answers every request with what it received: the Host header and the body length."""

    protocol_version = "HTTP/1.1"

    def do_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        answer = json.dumps({"host": self.headers["Host"], "length": len(data)}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_PUT = do_POST = do_GET = do_any

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(tmp_path):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port_file, record = tmp_path / "port", tmp_path / "s3.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            str(PROXY),
            "--upstream",
            f"http://127.0.0.1:{upstream.server_address[1]}",
            "--port-file",
            str(port_file),
            "--rate",
            "0",
            "--protocol",
            "s3",
            "--record",
            str(record),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not port_file.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    yield int(port_file.read_text()), record
    process.terminate()
    process.wait(timeout=10)
    upstream.shutdown()


def send(port: int, method: str, target: str, body: bytes | None, headers: dict, chunked: bool = False) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, target, body=iter([body]) if chunked else body, headers=headers, encode_chunked=chunked)
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def test_proxy_records_without_upload_bodies_and_keeps_host(proxy):
    port, record = proxy
    common = {"User-Agent": DEPLOYER_UA, "Authorization": AUTH, "X-Amz-Security-Token": "secret-token"}
    answer = send(port, "PUT", "/b/deploy/code.zip?partNumber=1&uploadId=u", b"x" * 1000, common)
    assert answer == {"host": f"127.0.0.1:{port}", "length": 1000}  # Host as the client signed it
    xml = b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"
    send(port, "POST", "/b/deploy/code.zip?uploadId=u", xml, common)
    send(port, "POST", "/b?delete=", b"<Delete><Object><Key>k</Key></Object></Delete>", common, chunked=True)
    send(port, "GET", "/b?list-type=2", None, {"User-Agent": "Boto3/1.43"})
    send(port, "PUT", "/b/lock.json", b'{"id":"1"}', {**common, "If-None-Match": "*"})
    time.sleep(0.2)
    records = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(r["method"], r["path"], r["query"]) for r in records] == [
        ("PUT", "/b/deploy/code.zip", "partNumber=1&uploadId=u"),
        ("POST", "/b/deploy/code.zip", "uploadId=u"),
        ("POST", "/b", "delete="),
        ("PUT", "/b/lock.json", ""),
    ]
    upload, complete, delete, lock = records
    assert upload["body"] is None and upload["body_length"] == 1000 and upload["body_omitted"] == "object upload"
    assert complete["body"] == xml.decode() and delete["body"] == "<Delete><Object><Key>k</Key></Object></Delete>"
    assert lock["body"] is None and lock["headers"]["if-none-match"] == "*"
    assert all(r["signing_service"] == "s3" and r["status"] == 200 and r["source"] == "s3-proxy" for r in records)
    assert "secret-token" not in record.read_text() and "0123456789abcdef" not in record.read_text()

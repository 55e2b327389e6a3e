"""Records the requests deployer sends, one JSON line each, for the contract test (validate.py).

Two writers share the line format built by make_record():
- moto: install() wraps moto's WSGI dispatcher (moto_launcher.py calls it in the moto process);
- S3 on SeaweedFS: Tests/faults/fault_proxy.py --record FILE (a pass-through proxy in front of it).

Only requests whose User-Agent starts with `deployer/` are kept: terraform, boto3 bootstrap and
test-harness calls are not deployer's contract. Secrets never reach the file: Authorization is
reduced to its credential scope's service name (`signing_service`, which validate.py needs to know
the service), x-amz-security-token is dropped, presigned signatures and tokens are masked.

Line fields: source, method, path (raw, percent-encoded as received), query (raw), headers
(lower-case names), signing_service, body (utf-8 text, or base64 when body_base64), body_length,
body_omitted (why the body is not stored: over 1 MiB, or an S3 object upload), body_truncated
(fewer bytes arrived than Content-Length said: the client died mid-request), status.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
import time
from pathlib import Path

ENV = "DEPLOYER_CONTRACT_DIR"
MAX_BODY = 1024 * 1024
DROPPED_HEADERS = ("authorization", "x-amz-security-token")
MASKED_QUERY = re.compile(r"(?i)\b(X-Amz-Signature|X-Amz-Security-Token)=[^&]*")
SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")
QUERY_SCOPE = re.compile(r"(?i)(?:^|&)X-Amz-Credential=[^&/]+(?:/|%2F)\d{8}(?:/|%2F)[^&/%]+(?:/|%2F)([^&/%]+)(?:/|%2F)aws4_request")


def in_scope(user_agent: str | None) -> bool:
    """Only deployer's own requests are its contract."""
    return bool(user_agent) and user_agent.startswith("deployer/")


def signing_service(headers: dict[str, str], query: str) -> str | None:
    """The service name of the SigV4 credential scope (header or presigned query), else None."""
    found = SCOPE.search(headers.get("authorization", "")) or QUERY_SCOPE.search(query)
    return found.group(1) if found else None


def body_fields(body: bytes | None, length: int, omitted: str | None) -> dict:
    """The body as text when it is UTF-8, base64 otherwise; only its length when too big or omitted."""
    if omitted is None and length > MAX_BODY:
        omitted = f"over {MAX_BODY} bytes"
    if omitted is not None or body is None:
        return {"body": None, "body_base64": False, "body_length": length, "body_omitted": omitted or "not read"}
    try:
        return {"body": body.decode("utf-8"), "body_base64": False, "body_length": length, "body_omitted": None}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_base64": True, "body_length": length, "body_omitted": None}


def make_record(
    source: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes | None,
    length: int,
    omitted: str | None = None,
    status: int | None = None,
    truncated: bool = False,
) -> dict:
    """One line of the contract file (headers are taken lower-cased; secrets are left out)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    record = {
        "source": source,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": method,
        "path": path,
        "query": MASKED_QUERY.sub(lambda m: f"{m.group(1)}=REDACTED", query),
        "headers": {name: value for name, value in sorted(lowered.items()) if name not in DROPPED_HEADERS},
        "signing_service": signing_service(lowered, query),
    }
    record.update(body_fields(body, length, omitted))
    record["body_truncated"] = truncated
    record["status"] = status
    return record


class Writer:
    """Appends JSON lines from many threads; each line is flushed at once (a killed peer loses none)."""

    def __init__(self, path: str | Path):
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the process's life)

    def write(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        with self.lock:
            self.file.write(line)
            self.file.flush()

    def close(self) -> None:
        with self.lock:
            self.file.close()


# ---------------------------------------------------------------- S3 proxy (fault_proxy.py --record)

UPLOAD_QUERY = {"partNumber", "uploadId", "x-id"}


def object_upload(method: str, path: str, query: str) -> bool:
    """A PUT of an object's bytes (PutObject, UploadPart): its body is data, not the contract."""
    if method != "PUT" or len([part for part in path.split("/") if part]) < 2:
        return False
    keys = {pair.split("=", 1)[0] for pair in query.split("&") if pair}
    return keys <= UPLOAD_QUERY


def dechunk(raw: bytes) -> bytes:
    """The data of a chunked body relayed raw (sizes, data, trailers)."""
    data, at = bytearray(), 0
    while True:
        end = raw.find(b"\r\n", at)
        if end < 0:
            return bytes(data)
        size = int(raw[at:end].split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            return bytes(data)
        data += raw[end + 2 : end + 2 + size]
        at = end + 2 + size + 2


class BodyCapture:
    """A request body as the proxy relays it, in pieces: kept unless it is an object upload or
    over MAX_BODY (then only its length), de-chunked at the end if it came chunked."""

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str]):
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self.data = bytearray()
        self.length = 0
        self.omitted = "object upload" if object_upload(method, path, query) else None

    def add(self, piece: bytes) -> None:
        self.length += len(piece)
        if self.omitted is None:
            self.data += piece
            if len(self.data) > MAX_BODY + (64 * 1024 if self.chunked else 0):
                self.data, self.omitted = bytearray(), f"over {MAX_BODY} bytes"

    def result(self) -> tuple[bytes | None, int, str | None]:
        """(body, length, why omitted) for make_record."""
        if self.omitted is not None:
            return None, self.length, self.omitted
        data = dechunk(bytes(self.data)) if self.chunked else bytes(self.data)
        return data, len(data), None


# ---------------------------------------------------------------- moto (WSGI)


def _wsgi_text(value: str) -> str:
    """WSGI hands over bytes as latin-1 text; give them back as the UTF-8 the client sent."""
    return value.encode("latin-1", "replace").decode("utf-8", "backslashreplace")


def take_body(environ: dict) -> bytes:
    """Reads the request body and puts it back (BytesIO), so moto reads the same bytes.

    With Content-Length: exactly that many bytes (CONTENT_LENGTH is left as it is). Chunked
    (the server set wsgi.input_terminated): up to the end of the stream. Neither: there is no body,
    and reading would wait for a client that keeps its connection open, so nothing is read."""
    stream = environ.get("wsgi.input")
    raw_length = (environ.get("CONTENT_LENGTH") or "").strip()
    if stream is None:
        return b""
    if raw_length:
        try:
            wanted = max(0, int(raw_length))
        except ValueError:
            return b""
        parts, left = [], wanted
        while left > 0:
            piece = stream.read(min(left, 1 << 20))
            if not piece:
                break
            parts.append(piece)
            left -= len(piece)
        data = b"".join(parts)
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def environ_headers(environ: dict) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): _wsgi_text(value) for key, value in environ.items() if key.startswith("HTTP_") and isinstance(value, str)}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def environ_target(environ: dict) -> tuple[str, str]:
    """The raw path and query as received (RAW_URI from werkzeug), not the decoded PATH_INFO."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        from urllib.parse import quote

        return quote(_wsgi_text(environ.get("PATH_INFO", "/")), safe="/~!$&'()*+,;=:@%"), environ.get("QUERY_STRING", "")
    raw = _wsgi_text(raw)
    if "://" in raw.split("?", 1)[0]:
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    path, _, query = raw.partition("?")
    return path, query


def record_wsgi(writer: Writer, original):
    """A DomainDispatcherApplication.__call__ that records deployer's requests, then calls moto."""

    def __call__(self, environ, start_response):
        if not in_scope(environ.get("HTTP_USER_AGENT")):
            return original(self, environ, start_response)
        body = take_body(environ)
        status: list[int] = []

        def recording_start_response(status_line, response_headers, exc_info=None):
            status.append(int(str(status_line).split(" ", 1)[0]))
            return start_response(status_line, response_headers, exc_info)

        path, query = environ_target(environ)
        try:
            return original(self, environ, recording_start_response)
        finally:
            declared = (environ.get("CONTENT_LENGTH") or "").strip()
            truncated = declared.isdigit() and len(body) < int(declared)
            writer.write(
                make_record(
                    "moto",
                    environ.get("REQUEST_METHOD", "?"),
                    path,
                    query,
                    environ_headers(environ),
                    body,
                    len(body),
                    status=status[-1] if status else None,
                    truncated=truncated,
                )
            )

    __call__._contract_recorder = True
    return __call__


def install() -> None:
    """Does nothing unless DEPLOYER_CONTRACT_DIR is set; then records to DIR/moto-<pid>.jsonl."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(DomainDispatcherApplication.__call__, "_contract_recorder", False):
        return  # installed already (moto_iam.py and moto_launcher.py may both call this)
    Path(directory).mkdir(parents=True, exist_ok=True)
    writer = Writer(Path(directory) / f"moto-{os.getpid()}.jsonl")
    DomainDispatcherApplication.__call__ = record_wsgi(writer, DomainDispatcherApplication.__call__)

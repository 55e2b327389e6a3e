#!/usr/bin/env python3
"""A seeded fault-injecting HTTP/1.1 reverse proxy for deployer's fault tests (stdlib only).

    fault_proxy.py --upstream http://127.0.0.1:N [--port 0] [--port-file F]
                   [--seed S] [--rate R] [--kinds error,throttle,drop,lose,cut]
                   [--log FILE] [--record FILE] [--counter-file F]
                   [--kill-at N --kill-pid-file F --kill-when before|after]

Listens on 127.0.0.1 only and forwards every request to one upstream on 127.0.0.1, bytes
untouched: the request line and head (Host included: SigV4 signs it) are sent verbatim, bodies
are streamed (Content-Length of any size, `aws-chunked` content is just bytes; chunked
transfer-encoding is relayed raw too). Client connections are kept alive; each request goes to
the upstream on a fresh connection, so an idle upstream connection can never cause a fault
that was not injected.

Per request one number pair is drawn from random.Random(seed) (always two draws, so the
sequence does not depend on the rate); with probability --rate one fault of --kinds applies:

  error     500 without forwarding, in the upstream's protocol (S3 XML, JSON, STS query XML;
            --protocol auto guesses it per request, --protocol s3 forces S3 for an S3 upstream)
  throttle  S3: 503 SlowDown; JSON: 400 ThrottlingException; STS: 400 Throttling
  drop      lost request: the client connection is closed, nothing forwarded
  lose      lost answer: forwarded and fully answered upstream, then the client connection is closed
  cut       forwarded, then status line, headers and half the body (at least 1 byte short) are
            sent and the connection is closed (an empty body: half of the head is sent)

--kill-at N: the N-th request (numbered across every proxy sharing --counter-file, else this
proxy's own count) SIGKILLs the pid in --kill-pid-file, `before` forwarding it or `after` the
upstream answered, then closes the client connection without an answer.

--log FILE: one JSON line per request: n (this proxy), g (shared count), method, path, query,
fault (or null), status (upstream status, null when not forwarded), answered (status sent to
the client, null when none), bytes_in, ms. SIGTERM/SIGINT stop it cleanly (exit 0).

--record FILE: the contract test's recorder (Tests/contract/recorder.py, same line format as the
moto recorder): one JSON line per request whose User-Agent starts with `deployer/` and whose body
was read (method, raw path and query, headers without Authorization but with its signing service,
body, upstream status). Bodies of S3 object uploads (PUT of a key: PutObject, UploadPart) are
recorded as their length only; other bodies (CompleteMultipartUpload, DeleteObjects XML) whole up
to 1 MiB. Tests/peers/start.sh runs a `--rate 0 --record` proxy in front of SeaweedFS when
DEPLOYER_CONTRACT_DIR is set.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import json
import os
import random
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

KINDS = ("error", "throttle", "drop", "lose", "cut")
HOST = "127.0.0.1"
MAX_HEAD = 256 * 1024
COPY = 256 * 1024
CLIENT_IDLE_TIMEOUT = 120.0
UPSTREAM_TIMEOUT = 120.0
CONTRACT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contract")


class Closed(Exception):
    """The peer closed the connection (or sent something unusable)."""


class Reader:
    """Buffered reads from a socket with explicit framing helpers."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(COPY)
        if not data:
            return False
        self.buf += data
        return True

    def head(self, allow_eof: bool = False) -> bytes | None:
        """Bytes up to and including the blank line; None on a clean EOF before any byte."""
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buf[: end + 4])
                del self.buf[: end + 4]
                return head
            if len(self.buf) > MAX_HEAD:
                raise Closed("head too large")
            if not self._fill():
                if allow_eof and not self.buf:
                    return None
                raise Closed("eof in head")

    def line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[: end + 2])
                del self.buf[: end + 2]
                return line
            if len(self.buf) > MAX_HEAD:
                raise Closed("line too long")
            if not self._fill():
                raise Closed("eof in line")

    def exactly(self, n: int, sink) -> None:
        """Passes n bytes to sink(bytes) in pieces."""
        while n > 0:
            if not self.buf and not self._fill():
                raise Closed("eof in body")
            take = bytes(self.buf[: min(n, len(self.buf))])
            del self.buf[: len(take)]
            n -= len(take)
            sink(take)

    def chunked(self, sink) -> None:
        """Relays a chunked body raw (sizes, data, trailers) to sink."""
        while True:
            line = self.line()
            sink(line)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:
                    trailer = self.line()
                    sink(trailer)
                    if trailer == b"\r\n":
                        return
            self.exactly(size + 2, sink)

    def until_close(self, sink) -> None:
        if self.buf:
            sink(bytes(self.buf))
            self.buf.clear()
        while self._fill():
            sink(bytes(self.buf))
            self.buf.clear()


def parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            name = name.strip().lower()
            headers[name] = (headers[name] + "," if name in headers else "") + value.strip()
    return lines[0], headers


def body_framing(headers: dict[str, str]) -> tuple[str, int]:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return "chunked", 0
    if "content-length" in headers:
        return "length", int(headers["content-length"].split(",")[0].strip())
    return "none", 0


def keep_alive(version: str, headers: dict[str, str]) -> bool:
    connection = headers.get("connection", "").lower()
    if "close" in connection:
        return False
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return True


def protocol(headers: dict[str, str], forced: str = "auto") -> str:
    """Which error dialect the upstream would answer in: s3, json or query (STS). In front of
    S3 pass --protocol s3: objects are often PUT with a JSON content type."""
    if forced != "auto":
        return forced
    content_type = headers.get("content-type", "").lower()
    if "x-amz-target" in headers or "json" in content_type:
        return "json"
    if "x-www-form-urlencoded" in content_type:
        return "query"
    return "s3"


def fault_response(kind: str, dialect: str, request_id: str) -> bytes:
    if dialect == "json":
        status, reason, ctype = (
            (500, "Internal Server Error", "application/x-amz-json-1.1") if kind == "error" else (400, "Bad Request", "application/x-amz-json-1.1")
        )
        body = json.dumps({"__type": "InternalFailure" if kind == "error" else "ThrottlingException", "message": "injected"}).encode()
        extra = f"x-amzn-RequestId: {request_id}\r\n"
    elif dialect == "query":
        status, reason = (500, "Internal Server Error") if kind == "error" else (400, "Bad Request")
        code, kind_type = ("InternalFailure", "Receiver") if kind == "error" else ("Throttling", "Sender")
        body = (
            f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>{kind_type}</Type><Code>{code}</Code>'
            f"<Message>injected</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        ctype = "text/xml"
        extra = f"x-amzn-RequestId: {request_id}\r\n"
    else:
        status, reason, code = (500, "Internal Server Error", "InternalError") if kind == "error" else (503, "Slow Down", "SlowDown")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>injected</Message><RequestId>{request_id}</RequestId></Error>'
        ).encode()
        ctype = "application/xml"
        extra = f"x-amz-request-id: {request_id}\r\n"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}"
        f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}\r\n\r\n"
    )
    return head.encode() + body


class Proxy:
    def __init__(self, args: argparse.Namespace):
        url = urllib.parse.urlsplit(args.upstream)
        if url.scheme != "http" or url.hostname != HOST or not url.port:
            raise SystemExit(f"fault_proxy: --upstream must be http://{HOST}:PORT, not {args.upstream}")
        self.upstream = (HOST, url.port)
        self.rng = random.Random(args.seed)
        self.rate = args.rate
        self.kinds = [k for k in (args.kinds or ",".join(KINDS)).split(",") if k]
        for kind in self.kinds:
            if kind not in KINDS:
                raise SystemExit(f"fault_proxy: unknown fault kind {kind!r} (known: {', '.join(KINDS)})")
        self.kill_at = args.kill_at
        self.kill_pid_file = args.kill_pid_file
        self.kill_when = args.kill_when
        self.kill_signal = getattr(signal, "SIG" + args.kill_signal)
        self.counter_file = args.counter_file
        self.protocol = args.protocol
        self.lock = threading.Lock()
        self.n = 0
        self.log = open(args.log, "a", buffering=1) if args.log else None  # noqa: SIM115 (open while serving)
        self.recorder = None  # Tests/contract/recorder.py, with --record
        self.record_file = None
        if args.record:
            sys.path.insert(0, CONTRACT)
            self.recorder = importlib.import_module("recorder")
            self.record_file = self.recorder.Writer(args.record)
        self.t0 = time.monotonic()

    def next_request(self) -> tuple[int, int, str | None]:
        """(n, g, fault) for the next request: both draws are always made."""
        with self.lock:
            self.n += 1
            n = self.n
            draw, pick = self.rng.random(), self.rng.random()
            g = self.shared_count() if self.counter_file else n
        fault = self.kinds[int(pick * len(self.kinds))] if self.kinds and draw < self.rate else None
        return n, g, fault

    def shared_count(self) -> int:
        fd = os.open(self.counter_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64).strip()
            value = int(raw or b"0") + 1
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, str(value).encode())
            return value
        finally:
            os.close(fd)  # releases the flock

    def kill(self) -> str:
        """Signals (SIGKILL by default) the pid in the pid file (waits up to 10 s for the file to be written)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with open(self.kill_pid_file) as f:
                    text = f.read().strip()
                if text:
                    pid = int(text)
                    os.kill(pid, self.kill_signal)
                    return f"killed {pid}"
            except FileNotFoundError:
                pass
            except ProcessLookupError:
                return "already gone"
            except ValueError:
                pass
            time.sleep(0.02)
        return "no pid file"

    def capture(self, method: str, target, headers: dict[str, str]):
        """A body capture for --record when the request is deployer's, else None."""
        if self.recorder is None or not self.recorder.in_scope(headers.get("user-agent")):
            return None
        return self.recorder.BodyCapture(method, target.path, target.query, headers)

    def write_record(self, method: str, target, headers: dict[str, str], capture, status: int | None) -> None:
        """One contract line (Tests/contract/recorder.py's format) for a request whose body was read."""
        data, length, omitted = capture.result()
        self.record_file.write(self.recorder.make_record("s3-proxy", method, target.path, target.query, headers, data, length, omitted, status))

    def write_log(self, entry: dict) -> None:
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry, sort_keys=True) + "\n")


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        proxy = self.server.proxy
        client = self.request
        client.settimeout(CLIENT_IDLE_TIMEOUT)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(client)
        try:
            for _ in range(1_000_000):  # bounded: one iteration per request on this connection
                if not self.one(proxy, client, reader):
                    return
        except (Closed, OSError, ValueError):
            return
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def one(self, proxy: Proxy, client: socket.socket, reader: Reader) -> bool:
        """Serves one request; False when the client connection must be closed."""
        head = reader.head(allow_eof=True)
        if head is None:
            return False
        started = time.monotonic()
        request_line, headers = parse_head(head)
        parts = request_line.split(" ")
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("?", "/")
        version = parts[2] if len(parts) >= 3 else "HTTP/1.0"
        split = urllib.parse.urlsplit(target)
        n, g, fault = proxy.next_request()
        entry = {"n": n, "g": g, "method": method, "path": split.path, "query": split.query, "fault": fault, "status": None, "answered": None, "bytes_in": 0}
        framing, length = body_framing(headers)
        request_id = f"fault-{n}"
        capture = proxy.capture(method, split, headers)
        read = [False]

        def finish(keep: bool) -> bool:
            entry["ms"] = round((time.monotonic() - started) * 1000, 1)
            proxy.write_log(entry)
            if capture is not None and read[0]:
                proxy.write_record(method, split, headers, capture, entry["status"])
            return keep

        kill = proxy.kill_at is not None and g == proxy.kill_at
        if kill:
            entry["fault"] = f"kill-{proxy.kill_when}"
            if proxy.kill_when == "before":
                entry["kill"] = proxy.kill()
                return finish(False)
        elif fault == "drop":
            return finish(False)
        elif fault in ("error", "throttle"):
            # A real server reads the request before it answers: keeps the connection in step.
            counted = [0]

            def discard(data: bytes) -> None:
                counted[0] += len(data)
                if capture is not None:
                    capture.add(data)

            if framing == "length":
                reader.exactly(length, discard)
            elif framing == "chunked":
                reader.chunked(discard)
            entry["bytes_in"] = counted[0]
            read[0] = True
            answer = fault_response(fault, protocol(headers, proxy.protocol), request_id)
            entry["answered"] = int(answer.split(b" ", 2)[1])
            client.sendall(answer)
            return finish(keep_alive(version, headers))

        expect = "100-continue" in headers.get("expect", "").lower()
        if expect:  # the proxy invites the body itself; the upstream's own 100 is not relayed
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        upstream = socket.create_connection(self.server.proxy.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.sendall(head)
            sent = [0]

            def forward(data: bytes) -> None:
                sent[0] += len(data)
                upstream.sendall(data)
                if capture is not None:
                    capture.add(data)

            if framing == "length":
                reader.exactly(length, forward)
            elif framing == "chunked":
                reader.chunked(forward)
            entry["bytes_in"] = sent[0]
            read[0] = True
            up = Reader(upstream)
            buffered = kill or fault in ("lose", "cut")
            for _ in range(100):  # interim 1xx answers, bounded
                rhead = up.head()
                status_line, rheaders = parse_head(rhead)
                status = int(status_line.split(" ")[1])
                if status >= 200 or status == 101:
                    break
                if not buffered and not (expect and status == 100):
                    client.sendall(rhead)
            entry["status"] = status
            rversion = status_line.split(" ")[0]
            if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                rframing, rlength = "length", 0
            else:
                rframing, rlength = body_framing(rheaders)
                if rframing == "none":
                    rframing = "close"
            body = bytearray()
            if buffered:
                sink = body.extend
            else:
                client.sendall(rhead)
                entry["answered"] = status
                sink = client.sendall
            if rframing == "length":
                up.exactly(rlength, sink)
            elif rframing == "chunked":
                up.chunked(sink)
            else:
                up.until_close(sink)
        finally:
            upstream.close()

        if kill:  # after: the upstream has answered; the client never hears it
            entry["kill"] = proxy.kill()
            return finish(False)
        if fault == "lose":
            return finish(False)
        if fault == "cut":
            if body:
                client.sendall(rhead + bytes(body[: len(body) // 2]))
                entry["cut"] = f"body {len(body) // 2}/{len(body)}"
            else:
                client.sendall(rhead[: len(rhead) // 2])
                entry["cut"] = f"head {len(rhead) // 2}/{len(rhead)}"
            entry["answered"] = status
            return finish(False)
        keep = keep_alive(version, headers) and keep_alive(rversion, rheaders) and rframing != "close"
        return finish(keep)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, proxy: Proxy):
        self.proxy = proxy
        super().__init__((HOST, port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--port", type=int, default=0, help="listen port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--port-file", help="write the chosen port here (atomically)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0, help="probability of a fault per request")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument(
        "--protocol",
        choices=("auto", "s3", "json", "query"),
        default="auto",
        help="error dialect: auto (X-Amz-Target/JSON content type: json; form post: query (STS); else s3), or forced",
    )
    parser.add_argument("--log", help="append one JSON line per request")
    parser.add_argument("--record", help="append deployer's requests for the contract test (Tests/contract/recorder.py format)")
    parser.add_argument("--counter-file", help="number requests across every proxy sharing this file (for --kill-at)")
    parser.add_argument("--kill-at", type=int, help="SIGKILL the pid in --kill-pid-file at this request")
    parser.add_argument("--kill-pid-file")
    parser.add_argument("--kill-when", choices=("before", "after"), default="before")
    parser.add_argument(
        "--kill-signal", choices=("KILL", "TERM", "INT"), default="KILL", help="the signal sent at --kill-at (TERM: a cancelled CI job; INT: Ctrl-C)"
    )
    args = parser.parse_args(argv)
    if args.kill_at is not None and not args.kill_pid_file:
        parser.error("--kill-at needs --kill-pid-file")
    proxy = Proxy(args)
    server = Server(args.port, proxy)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(
        f"fault_proxy: 127.0.0.1:{port} -> {args.upstream} seed={args.seed} rate={args.rate} kinds={','.join(proxy.kinds)}"
        + (f" kill-at={args.kill_at} ({args.kill_when})" if args.kill_at is not None else ""),
        flush=True,
    )

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if proxy.log:
            proxy.log.close()
        if proxy.record_file:
            proxy.record_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

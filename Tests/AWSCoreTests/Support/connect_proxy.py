#!/usr/bin/env python3
"""A small HTTP CONNECT proxy on 127.0.0.1 for the transport's proxy tests.

    connect_proxy.py LOG_FILE [USER:PASSWORD]

Prints "port N" once listening; exits when its stdin closes (the test ended or died). Every CONNECT target is appended to LOG_FILE ("host:port auth=yes|no").
Whatever host is asked for, the tunnel goes to 127.0.0.1 on the requested port, so a test can use a
name that only the proxy "resolves" and so prove the request went through it.
"""

import base64
import os
import signal
import socket
import sys
import threading


def relay(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, log_path, credentials):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(4096)
        if not chunk:
            client.close()
            return
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    authorized = credentials is None or headers.get("proxy-authorization") == "Basic " + base64.b64encode(credentials.encode()).decode()
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"{method} {target} auth={'yes' if 'proxy-authorization' in headers else 'no'}\n")
    if method != "CONNECT" or not authorized:
        client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        client.close()
        return
    port = int(target.rsplit(":", 1)[1])
    upstream = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if rest:
        upstream.sendall(rest)
    threading.Thread(target=relay, args=(client, upstream), daemon=True).start()
    relay(upstream, client)


def exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # The launcher may hand down SIGTERM ignored or blocked; the test's terminate() must work.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    log_path = sys.argv[1]
    credentials = sys.argv[2] if len(sys.argv) > 2 else None
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    print(f"port {server.getsockname()[1]}", flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, log_path, credentials), daemon=True).start()


if __name__ == "__main__":
    main()

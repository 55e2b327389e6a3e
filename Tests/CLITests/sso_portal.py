#!/usr/bin/env python3
"""A stand-in for IAM Identity Center's portal (GetRoleCredentials only) on 127.0.0.1.

    sso_portal.py BEARER_TOKEN ACCESS_KEY SECRET_KEY LOG_FILE

Answers GET /federation/credentials?account_id=..&role_name=.. with the given keys when the
x-amz-sso_bearer_token header equals BEARER_TOKEN (401 UnauthorizedException otherwise), in the
response shape of botocore's sso model. Appends "account role" per good request to LOG_FILE.
Prints "port N"; exits when its stdin closes.
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN, ACCESS_KEY, SECRET_KEY, LOG = sys.argv[1:5]


class Portal(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path != "/federation/credentials" or self.headers.get("x-amz-sso_bearer_token") != TOKEN:
            body = json.dumps({"message": "Session token not found or invalid"}).encode()
            self.send_response(401)
            self.send_header("x-amzn-ErrorType", "UnauthorizedException")
        else:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(f"{query['account_id'][0]} {query['role_name'][0]}\n")
            expiration = int((time.time() + 3600) * 1000)
            body = json.dumps(
                {"roleCredentials": {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY, "sessionToken": None, "expiration": expiration}}
            ).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

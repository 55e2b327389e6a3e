#!/usr/bin/env python3
"""Signatures per second of botocore's SigV4Auth / S3SigV4Auth over the given vector requests."""

import base64
import datetime
import json
import sys
import time
import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main() -> None:
    path, seconds = sys.argv[1], float(sys.argv[2])
    cases = json.load(open(path, encoding="utf-8"))["cases"]
    prepared = []
    for case in cases:
        auth_class = S3SigV4Auth if case["service"] == "s3" else SigV4Auth
        auth = auth_class(Credentials(case["access_key_id"], case["secret_access_key"], case["session_token"]), case["service"], case["region"])
        url = f"http://{case['headers'][0][1]}{case['path']}" + (f"?{case['query']}" if case["query"] else "")
        when = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
        prepared.append((auth, case, url, base64.b64decode(case["body_base64"]), when))
    # botocore reads the time through botocore.auth.get_current_datetime; pointing that at a
    # variable costs one function call. (unittest.mock.patch per request cost ~70 us here,
    # more than botocore's signing itself, and flattered every ratio against it.)
    now = [None]
    botocore.auth.get_current_datetime = lambda: now[0]

    def sign(auth, case, url, body, when):
        request = AWSRequest(method=case["method"], url=url, data=body)
        for name, value in case["headers"][1:]:
            request.headers[name] = value
        now[0] = when
        auth.add_auth(request)
        return request

    for auth, case, url, body, when in prepared:
        if sign(auth, case, url, body, when).headers["Authorization"] != case["authorization"]:
            sys.exit(f"botocore's signature differs from the vector for a {case['service']} request: not timing it")
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for auth, case, url, body, when in prepared:
            sign(auth, case, url, body, when)
        count += len(prepared)
    elapsed = time.perf_counter() - start
    print(f"signatures={count} seconds={elapsed:.3f} per_second={int(count / elapsed)}")


if __name__ == "__main__":
    main()

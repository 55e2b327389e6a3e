#!/usr/bin/env python3
"""Signatures per second of botocore's SigV4Auth / S3SigV4Auth over the given vector requests."""
import base64
import datetime
import json
import sys
import time
from unittest import mock

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
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for auth, case, url, body, when in prepared:
            request = AWSRequest(method=case["method"], url=url, data=body)
            for name, value in case["headers"][1:]:
                request.headers[name] = value
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                auth.add_auth(request)
        count += len(prepared)
    elapsed = time.perf_counter() - start
    print(f"signatures={count} seconds={elapsed:.3f} per_second={int(count / elapsed)}")


if __name__ == "__main__":
    main()

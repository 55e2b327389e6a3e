#!/usr/bin/env python3
"""Random SigV4 requests signed by botocore, an independent implementation.

Writes JSON cases the Swift tests replay: the same request must give the same canonical
request, string to sign and Authorization header. Usage:
    make_botocore_vectors.py --count 300 --seed 7 --out botocore-random.json
"""

import argparse
import base64
import datetime
import json
import random
from unittest import mock

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
AWKWARD = " +=:@()*,;$&'%!/?#[]\"<>^`{|}\\"
NON_ASCII = ["é", "ü", "ሴ", "中文", "😀", "ß"]
SIGNABLE_HEADERS = ["X-Amz-Meta-Note", "Content-Type", "X-Amz-Target", "My-Header", "x-amz-meta-Other", "Content-MD5", "X-Custom"]


def rfc3986(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if ch in UNRESERVED else "%%%02X" % byte)
    return "".join(out)


def random_text(rng: random.Random, low=0, high=10) -> str:
    parts = []
    for _ in range(rng.randint(low, high)):
        pick = rng.random()
        if pick < 0.6:
            parts.append(rng.choice(UNRESERVED))
        elif pick < 0.9:
            parts.append(rng.choice(AWKWARD))
        else:
            parts.append(rng.choice(NON_ASCII))
    return "".join(parts)


def random_path(rng: random.Random, s3: bool) -> str:
    segments = []
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if not s3 and roll < 0.1:
            segments.append(rng.choice([".", "..", ""]))
        else:
            segments.append("/".join(rfc3986(piece) for piece in random_text(rng, 1, 8).split("/")))
    path = "/" + "/".join(segments)
    if rng.random() < 0.3:
        path += "/"
    if not s3:
        # botocore and the suite disagree on a leading '//' (POSIX keeps it); AWS services collapse it.
        while path.startswith("//"):
            path = path[1:]
    return path


def random_query(rng: random.Random) -> str:
    pairs = []
    keys = [random_text(rng, 1, 6) for _ in range(rng.randint(0, 3))]
    for _ in range(rng.randint(0, 5)):
        key = rng.choice(keys) if keys and rng.random() < 0.4 else random_text(rng, 1, 6)
        value = "" if rng.random() < 0.2 else random_text(rng, 0, 10)
        pairs.append(rfc3986(key) + "=" + rfc3986(value))
    return "&".join(pairs)


def random_header_value(rng: random.Random) -> str:
    chars = UNRESERVED + " \t" + "+=:@()*,;$&'!/?"
    value = "".join(rng.choice(chars) for _ in range(rng.randint(1, 20)))
    return value


def make_case(rng: random.Random, index: int) -> dict:
    s3 = rng.random() < 0.4
    service = "s3" if s3 else rng.choice(["glue", "sts", "emr-serverless", "logs"])
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
    host = f"{'bucket.' if s3 and rng.random() < 0.5 else ''}{service}.{region}.amazonaws.com"
    method = rng.choice(["GET", "PUT", "POST", "HEAD", "DELETE"])
    path = random_path(rng, s3)
    query = random_query(rng)
    headers = [["Host", host]]
    for _ in range(rng.randint(0, 4)):
        headers.append([rng.choice(SIGNABLE_HEADERS), random_header_value(rng)])
    if rng.random() < 0.3:
        headers.append(["User-Agent", "deployer-test/1.0"])
    body = random_text(rng, 0, 40).encode("utf-8") if method in ("PUT", "POST") else b""
    token = "FQoGZXIvYXdzE" + "".join(rng.choice(UNRESERVED) for _ in range(40)) if rng.random() < 0.3 else None
    access_key = "AKIDEXAMPLE%d" % index
    secret = "".join(rng.choice(UNRESERVED + "/+") for _ in range(40))
    when = datetime.datetime(2015 + rng.randint(0, 10), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))

    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        if name.lower() != "host":
            request.headers[name] = value
    auth_class = S3SigV4Auth if s3 else SigV4Auth
    auth = auth_class(Credentials(access_key, secret, token), service, region)
    captured = {}
    original_cr = auth.canonical_request
    original_sts = auth.string_to_sign

    def canonical_request(req):
        captured["canonical_request"] = original_cr(req)
        return captured["canonical_request"]

    def string_to_sign(req, cr):
        captured["string_to_sign"] = original_sts(req, cr)
        return captured["string_to_sign"]

    auth.canonical_request = canonical_request
    auth.string_to_sign = string_to_sign
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        auth.add_auth(request)
    return {
        "service": service,
        "region": region,
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body_base64": base64.b64encode(body).decode(),
        "access_key_id": access_key,
        "secret_access_key": secret,
        "session_token": token,
        "timestamp": when.strftime("%Y%m%dT%H%M%SZ"),
        "canonical_request": captured["canonical_request"],
        "string_to_sign": captured["string_to_sign"],
        "authorization": request.headers["Authorization"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng, index) for index in range(args.count)]
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"generator": "botocore", "seed": args.seed, "cases": cases}, handle, ensure_ascii=False)
        handle.write("\n")


if __name__ == "__main__":
    main()

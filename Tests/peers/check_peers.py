#!/usr/bin/env python3
"""Self-check of the peers started by Tests/peers/start.sh.

Usage: Tests/peers/check_peers.py STATE_DIR [--quirks]

Proves, with boto3/botocore as an independent SigV4 implementation, that the
peers really verify signatures and policies.  Prints every expectation as
PASS/FAIL (never a secret); exits 1 if any expectation failed.  `KNOWN GAP`
lines are documented peer limitations (see README.md) and never fail the run;
`INFO` lines are observations.  --quirks additionally probes moto's S3
signature handling (informational only).
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import json
import os
import sys
import time
import unittest.mock
import urllib.parse
import uuid

for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

FAILED: list[str] = []
XML_ERRORS_SEEN: set[str] = set()


def result(ok: bool, what: str, detail: str = "") -> None:
    line = f"{'PASS' if ok else 'FAIL'}  {what}" + (f"  [{detail}]" if detail else "")
    print(line, flush=True)
    if not ok:
        FAILED.append(what)


def info(what: str) -> None:
    print(f"INFO  {what}", flush=True)


def gap(what: str) -> None:
    print(f"KNOWN GAP  {what}", flush=True)


def err_code(fn):
    """Run fn; return ('OK', value) or (error code, http status)."""
    try:
        return "OK", fn()
    except ClientError as e:
        er = e.response.get("Error", {})
        code = er.get("Code", "?")
        msg = er.get("Message", "") or ""
        if code.isdigit() and "<Code>" in msg:
            # moto answers auth failures of JSON/rest-json services (glue,
            # emr-serverless, logs) with a query-protocol XML body and
            # Content-Type text/html, so botocore only sees the HTTP status.
            XML_ERRORS_SEEN.add(e.operation_name)
            code = xml_code(msg)
        return code, e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def expect_error(what, fn, codes, status=None):
    code, st = err_code(fn)
    ok = code in codes and (status is None or st == status)
    result(ok, what, f"got {code}" + (f" HTTP {st}" if code != "OK" else ""))


CFG = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
S3CFG = CFG.merge(Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def client(service, endpoint, ak, sk, token=None, region="us-east-1", content_sha=False):
    c = boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        aws_session_token=token,
        config=S3CFG if service == "s3" else CFG,
    )
    if content_sha:
        # also send (and therefore sign) x-amz-content-sha256, as S3 clients do;
        # moto needs it to verify empty-body GETs of rest-json services.
        def add_sha(request, **_kw):
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode()
            request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()

        c.meta.events.register("before-sign", add_sha)
    return c


def raw_signed(endpoint, method, path_and_query, ak, sk, service, *, when=None, body=b"", headers=None, s3_signer=True, region="us-east-1"):
    """Sign with botocore (optionally at a fake time), send byte-exact with http.client."""
    url = endpoint + path_and_query
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer_cls = botocore.auth.S3SigV4Auth if s3_signer else botocore.auth.SigV4Auth
    signer = signer_cls(Credentials(ak, sk), service, region)
    if when is None:
        signer.add_auth(req)
    else:
        with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(req)
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        hdrs = {k: v for k, v in req.headers.items()}
        conn.request(method, path_and_query, body=body or None, headers=hdrs)
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace"), req.headers.get("X-Amz-Date")
    finally:
        conn.close()


def xml_code(body: str) -> str:
    if "<Code>" in body:
        return body.split("<Code>", 1)[1].split("</Code>", 1)[0]
    try:
        return json.loads(body).get("__type", "?")
    except Exception:  # noqa: BLE001
        return "?"


SPECIAL_KEYS = [
    "plus+sign",
    "eq=sign",
    "colon:key",
    "at@key",
    "paren(x)",
    "star*key",
    "comma,key",
    "semi;colon",
    "dollar$key",
    "amp&key",
    "quote'key",
    "percent%key",
    "percent%2Fencoded-looking",
    "space key",
    "two  spaces",
    "non-ascii-\u00fc\u00e9-\u65e5\u672c-\U0001f600",
    "double//slash",
    "dir/sub dir/f+i=l:e",
    "all + = : @ ( ) * , ; $ & ' % \u00fc //end",
    "tilde~and-under_score.dot",
]


# ------------------------------------------------------------------ SeaweedFS


def check_seaweed(env):
    ep = env["DEPLOYER_IT_S3_ENDPOINT"]
    ak, sk = env["DEPLOYER_IT_S3_ACCESS_KEY"], env["DEPLOYER_IT_S3_SECRET_KEY"]
    rak, rsk = env["DEPLOYER_IT_S3_RO_ACCESS_KEY"], env["DEPLOYER_IT_S3_RO_SECRET_KEY"]
    print(f"== SeaweedFS S3 at {ep}")
    s3 = client("s3", ep, ak, sk)
    bucket = "peers-check-" + uuid.uuid4().hex[:10]
    code, _ = err_code(lambda: s3.create_bucket(Bucket=bucket))
    result(code == "OK", f"admin CreateBucket {bucket}", code)
    code, _ = err_code(lambda: s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello"))
    result(code == "OK", "admin PutObject hello.txt", code)

    expect_error(
        "wrong secret -> 403 SignatureDoesNotMatch",
        lambda: client("s3", ep, ak, sk[:-1] + ("A" if sk[-1] != "A" else "B")).get_object(Bucket=bucket, Key="hello.txt"),
        {"SignatureDoesNotMatch"},
        403,
    )
    expect_error(
        "unknown access key -> 403 InvalidAccessKeyId",
        lambda: client("s3", ep, "AKUNKNOWN0000000000X", sk).get_object(Bucket=bucket, Key="hello.txt"),
        {"InvalidAccessKeyId"},
        403,
    )
    # anonymous
    u = urllib.parse.urlsplit(ep)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", f"/{bucket}/hello.txt")
    r = c.getresponse()
    b = r.read().decode()
    c.close()
    result(r.status == 403, "unsigned GET -> 403", f"got HTTP {r.status} {xml_code(b)}")

    now = datetime.datetime.now(datetime.timezone.utc)
    for mins in (20, -20):
        st, body, amzdate = raw_signed(ep, "GET", f"/{bucket}/hello.txt", ak, sk, "s3", when=now - datetime.timedelta(minutes=mins))
        result(
            st == 403 and xml_code(body) == "RequestTimeTooSkewed",
            f"X-Amz-Date {'-' if mins > 0 else '+'}20min -> 403 RequestTimeTooSkewed",
            f"got HTTP {st} {xml_code(body)}",
        )
    st, body, _ = raw_signed(ep, "GET", f"/{bucket}/hello.txt", ak, sk, "s3", when=now - datetime.timedelta(minutes=4))
    result(st == 200 and body == "hello", "X-Amz-Date -4min (within 15min) -> 200", f"got HTTP {st}")

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=300)
    pu = urllib.parse.urlsplit(url)

    def get(pathq):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        c.request("GET", pathq)
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, body

    st, body = get(pu.path + "?" + pu.query)
    result(st == 200 and body == "hello", "presigned GET (300s) -> 200 + body", f"got HTTP {st}")
    q = pu.query
    sig = q.split("X-Amz-Signature=")[1][:64]
    bad = q.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
    st, body = get(pu.path + "?" + bad)
    result(st == 403, "presigned GET with altered signature -> 403", f"got HTTP {st} {xml_code(body)}")
    st, body = get(f"/{bucket}/other.txt?" + q)
    result(st == 403, "presigned URL replayed on another key -> 403", f"got HTTP {st} {xml_code(body)}")
    url1 = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "hello.txt"}, ExpiresIn=1)
    time.sleep(2.2)
    p1 = urllib.parse.urlsplit(url1)
    st, body = get(p1.path + "?" + p1.query)
    result(st == 403, "expired presigned GET (ExpiresIn=1, +2s) -> 403", f"got HTTP {st} {xml_code(body)}")

    ro = client("s3", ep, rak, rsk)
    code, v = err_code(lambda: ro.get_object(Bucket=bucket, Key="hello.txt")["Body"].read())
    result(code == "OK" and v == b"hello", "read-only identity GetObject -> 200", code)
    expect_error("read-only identity PutObject -> 403 AccessDenied", lambda: ro.put_object(Bucket=bucket, Key="ro.txt", Body=b"x"), {"AccessDenied"}, 403)
    expect_error("read-only identity DeleteObject -> 403 AccessDenied", lambda: ro.delete_object(Bucket=bucket, Key="hello.txt"), {"AccessDenied"}, 403)

    # special-character keys
    listed = set()
    for i, key in enumerate(SPECIAL_KEYS):
        data = f"body-{i}-{key}".encode()
        problems = []
        code, _ = err_code(lambda: s3.put_object(Bucket=bucket, Key=key, Body=data))  # noqa: B023
        if code != "OK":
            problems.append(f"PUT {code}")
        else:
            code, v = err_code(lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read())  # noqa: B023
            if code != "OK" or v != data:
                problems.append(f"GET {code}{' body mismatch' if code == 'OK' else ''}")
            code, v = err_code(lambda: s3.head_object(Bucket=bucket, Key=key))  # noqa: B023
            if code != "OK" or v["ContentLength"] != len(data):
                problems.append(f"HEAD {code}")
        result(not problems, f"key round-trip PUT/GET/HEAD {key!r}", ", ".join(problems))
    code, v = err_code(lambda: s3.list_objects_v2(Bucket=bucket, MaxKeys=1000))
    if code == "OK":
        listed = {o["Key"] for o in v.get("Contents", [])}
    missing = [k for k in SPECIAL_KEYS if k not in listed]
    if "double//slash" in SPECIAL_KEYS:
        code, v = err_code(lambda: s3.get_object(Bucket=bucket, Key="double/slash")["Body"].read())
        if code == "OK":
            gap(f"'double//slash' and 'double/slash' are the same object (GET of the single-slash key returns the '//' object's body: {v[:20]!r})")
        else:
            info(f"GET 'double/slash' (never written) -> {code}")
    if missing:
        gap(f"ListObjectsV2 does not return these keys verbatim: {missing!r}; extra keys listed: {sorted(listed - set(SPECIAL_KEYS) - {'hello.txt'})!r}")
    else:
        result(True, "ListObjectsV2 returns every special key verbatim")

    # clean up
    for key in list(listed) + ["hello.txt"]:
        err_code(lambda: s3.delete_object(Bucket=bucket, Key=key))  # noqa: B023
    err_code(lambda: s3.delete_bucket(Bucket=bucket))


# ------------------------------------------------------------------ moto


def check_moto(env, quirks):
    ep = env["DEPLOYER_IT_MOTO_ENDPOINT"]
    ak, sk = env["DEPLOYER_IT_MOTO_ACCESS_KEY"], env["DEPLOYER_IT_MOTO_SECRET_KEY"]
    dak, dsk = env["DEPLOYER_IT_MOTO_DENIED_ACCESS_KEY"], env["DEPLOYER_IT_MOTO_DENIED_SECRET_KEY"]
    role = env["DEPLOYER_IT_MOTO_ROLE_ARN"]
    account = env["DEPLOYER_IT_MOTO_ACCOUNT_ID"]
    print(f"== moto at {ep} (account {account})")
    sts = client("sts", ep, ak, sk)
    code, v = err_code(sts.get_caller_identity)
    result(
        code == "OK" and v["Arn"].endswith(":user/deployer-ci") and v["Account"] == account, "deployer-ci GetCallerIdentity", v["Arn"] if code == "OK" else code
    )
    expect_error(
        "wrong secret -> SignatureDoesNotMatch",
        client("sts", ep, ak, sk[:-1] + ("A" if sk[-1] != "A" else "B")).get_caller_identity,
        {"SignatureDoesNotMatch"},
        403,
    )
    expect_error("unknown access key -> InvalidClientTokenId", client("sts", ep, "AKIAUNKNOWN000000000", sk).get_caller_identity, {"InvalidClientTokenId"}, 403)
    expect_error("wrong secret on glue -> SignatureDoesNotMatch", lambda: client("glue", ep, ak, "x" * 40).get_job(JobName="nope"), {"SignatureDoesNotMatch"})

    glue = client("glue", ep, ak, sk)
    expect_error(
        "deployer-ci glue:GetJob on missing job -> EntityNotFoundException (authorized)",
        lambda: glue.get_job(JobName="does-not-exist"),
        {"EntityNotFoundException"},
    )
    dglue = client("glue", ep, dak, dsk)
    expect_error("deployer-denied glue:GetJob -> AccessDenied", lambda: dglue.get_job(JobName="does-not-exist"), {"AccessDenied", "AccessDeniedException"})
    expect_error(
        "deployer-denied emr-serverless:ListApplications (x-amz-content-sha256 signed) -> AccessDenied",
        lambda: client("emr-serverless", ep, dak, dsk, content_sha=True).list_applications(),
        {"AccessDenied", "AccessDeniedException"},
    )
    expect_error(
        "deployer-denied sts:AssumeRole deployer-deploy -> AccessDenied",
        lambda: client("sts", ep, dak, dsk).assume_role(RoleArn=role, RoleSessionName="peers-x"),
        {"AccessDenied"},
    )
    code, v = err_code(client("sts", ep, dak, dsk).get_caller_identity)
    info(f"deployer-denied sts:GetCallerIdentity -> {code} (moto always allows it)")
    code, _ = err_code(lambda: client("emr-serverless", ep, ak, sk, content_sha=True).list_applications())
    result(code == "OK", "deployer-ci emr-serverless:ListApplications (x-amz-content-sha256 signed)", code)
    code, _ = err_code(lambda: client("emr-serverless", ep, ak, sk).list_applications())
    if code == "SignatureDoesNotMatch":
        gap(
            "moto rejects a correctly signed empty-body GET (emr-serverless ListApplications, "
            "botocore default signing, no x-amz-content-sha256) with SignatureDoesNotMatch"
        )
    else:
        info(f"emr-serverless ListApplications without x-amz-content-sha256 -> {code}")
    code, _ = err_code(lambda: client("emr-serverless", ep, ak, sk, content_sha=True).get_application(applicationId="00doesnotexist"))
    info(f"deployer-ci emr-serverless GetApplication (missing id, sha signed) -> {code}")
    code, _ = err_code(lambda: client("logs", ep, ak, sk).describe_log_groups())
    result(code == "OK", "deployer-ci logs:DescribeLogGroups", code)

    code, v = err_code(lambda: sts.assume_role(RoleArn=role, RoleSessionName="peers-check"))
    result(code == "OK", "deployer-ci sts:AssumeRole deployer-deploy", code)
    if code == "OK":
        c = v["Credentials"]
        asts = client("sts", ep, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        code, w = err_code(asts.get_caller_identity)
        result(
            code == "OK" and ":assumed-role/deployer-deploy/peers-check" in w.get("Arn", ""),
            "assumed-role GetCallerIdentity",
            w["Arn"] if code == "OK" else code,
        )
        expect_error(
            "assumed-role glue:GetJob -> EntityNotFoundException (authorized)",
            lambda: client("glue", ep, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_job(JobName="does-not-exist"),
            {"EntityNotFoundException"},
        )
        expect_error(
            "assumed-role creds without session token -> rejected",
            client("sts", ep, c["AccessKeyId"], c["SecretAccessKey"]).get_caller_identity,
            {"InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied"},
        )
        expect_error(
            "assumed-role creds with wrong session token -> rejected",
            client("sts", ep, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"][:-2] + "xx").get_caller_identity,
            {"InvalidClientTokenId", "InvalidToken", "SignatureDoesNotMatch"},
        )

    oidc = env.get("DEPLOYER_IT_MOTO_OIDC_ROLE_ARN")
    if oidc:
        expect_error(
            "deployer-ci sts:AssumeRole on OIDC-only role -> AccessDenied (trust policy enforced)",
            lambda: sts.assume_role(RoleArn=oidc, RoleSessionName="peers-x"),
            {"AccessDenied"},
        )
        # AssumeRoleWithWebIdentity is an unsigned call in real AWS.
        anon = boto3.client("sts", endpoint_url=ep, region_name="us-east-1", config=CFG, aws_access_key_id="unused", aws_secret_access_key="unused")
        anon.meta.events.register("choose-signer.sts.AssumeRoleWithWebIdentity", lambda **_kw: botocore.UNSIGNED)
        try:
            code, v = err_code(lambda: anon.assume_role_with_web_identity(RoleArn=oidc, RoleSessionName="gha", WebIdentityToken="not.a.jwt"))
        except Exception as e:  # noqa: BLE001
            code, v = type(e).__name__, str(e).splitlines()[0][:80]
        detail = v["AssumedRoleUser"]["Arn"] if code == "OK" else v
        if code == "OK":
            info(f"AssumeRoleWithWebIdentity unsigned, bogus token -> OK {detail}")
        else:
            gap(f"moto cannot serve unsigned AssumeRoleWithWebIdentity once auth is on: {code} {detail}")
        # the same call SigV4-signed (which real STS does not require)
        form = urllib.parse.urlencode(
            {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": oidc, "RoleSessionName": "gha", "WebIdentityToken": "not.a.jwt"}
        ).encode()
        st, rb, _ = raw_signed(
            ep, "POST", "/", ak, sk, "sts", body=form, s3_signer=False, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        arn = rb.split("<Arn>", 1)[1].split("</Arn>", 1)[0] if "<Arn>" in rb else ""
        info(f"AssumeRoleWithWebIdentity SigV4-signed by deployer-ci, bogus token -> HTTP {st} {xml_code(rb) if st != 200 else arn}")

    # time skew: moto only recomputes the signature, it never compares X-Amz-Date with its clock
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    hdr = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    st, rb, _ = raw_signed(ep, "POST", "/", ak, sk, "sts", when=when, body=body, headers=hdr, s3_signer=False)
    if st == 200:
        gap("moto accepts a correctly signed request whose X-Amz-Date is 20 min old (no skew check)")
    else:
        info(f"moto rejected a 20-min-skewed request: HTTP {st} {xml_code(rb)}")
    st, rb, _ = raw_signed(ep, "POST", "/", ak, sk, "sts", body=body, headers=hdr, s3_signer=False)
    result(st == 200, "raw botocore-signed STS POST (no x-amz-content-sha256) -> 200", f"HTTP {st} {xml_code(rb)}")

    if XML_ERRORS_SEEN:
        gap(
            "moto returns auth errors (AccessDenied/SignatureDoesNotMatch) for JSON-protocol "
            "services as query-style XML <ErrorResponse> with Content-Type text/html; "
            f"botocore then reports only the HTTP status (seen for: {sorted(XML_ERRORS_SEEN)})"
        )
    if quirks:
        moto_s3_quirks(ep, ak, sk)


def moto_s3_quirks(ep, ak, sk):
    print("== moto S3 quirks (informational)")
    s3 = client("s3", ep, ak, sk)
    bucket = "quirks-" + uuid.uuid4().hex[:8]
    code, _ = err_code(lambda: s3.create_bucket(Bucket=bucket))
    info(f"boto3 CreateBucket -> {code}")
    code, _ = err_code(lambda: s3.put_object(Bucket=bucket, Key="plain.txt", Body=b"x"))
    info(f"boto3 PutObject plain.txt -> {code}")
    code, _ = err_code(lambda: s3.get_object(Bucket=bucket, Key="plain.txt"))
    info(f"boto3 GetObject plain.txt -> {code}")
    bad = []
    for key in SPECIAL_KEYS:
        res = []
        for op, fn in (
            ("PUT", lambda: s3.put_object(Bucket=bucket, Key=key, Body=b"y")),  # noqa: B023
            ("GET", lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read()),  # noqa: B023
            ("HEAD", lambda: s3.head_object(Bucket=bucket, Key=key)),  # noqa: B023
        ):
            code, _ = err_code(fn)
            if code != "OK":
                res.append(f"{op}={code}")
        if res:
            bad.append(f"{key!r}: {' '.join(res)}")
    info("moto S3 keys that fail with boto3 signing: " + ("; ".join(bad) if bad else "none"))
    # GET signed with plain SigV4Auth (x-amz-content-sha256 neither sent nor signed)
    st, rb, _ = raw_signed(ep, "GET", f"/{bucket}/plain.txt", ak, sk, "s3", s3_signer=False)
    info(f"moto S3 GET signed WITHOUT x-amz-content-sha256 -> HTTP {st} {xml_code(rb) if st != 200 else ''}")
    st, rb, _ = raw_signed(ep, "GET", f"/{bucket}/plain.txt", ak, sk, "s3", s3_signer=True)
    info(f"moto S3 GET signed WITH x-amz-content-sha256 (S3SigV4Auth) -> HTTP {st} {xml_code(rb) if st != 200 else ''}")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "plain.txt"}, ExpiresIn=60)
    pu = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(pu.hostname, pu.port, timeout=10)
    c.request("GET", pu.path + "?" + pu.query)
    r = c.getresponse()
    b = r.read().decode("utf-8", "replace")
    c.close()
    info(f"moto S3 presigned GET -> HTTP {r.status} {xml_code(b) if r.status != 200 else ''}")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quirks = "--quirks" in sys.argv[1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = os.path.join(args[0], "peers.json")
    try:
        with open(path) as f:
            env = json.load(f)
    except OSError as e:
        print(f"check_peers: cannot read {path}: {e} (did Tests/peers/start.sh run?)", file=sys.stderr)
        return 2
    for name, fn in (("seaweedfs", lambda: check_seaweed(env)), ("moto", lambda: check_moto(env, quirks))):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a crash is a failed expectation
            result(False, f"{name} checks crashed: {type(e).__name__}: {e}")
    print(f"== {'FAILED: ' + str(len(FAILED)) + ' expectation(s)' if FAILED else 'all expectations passed'}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())

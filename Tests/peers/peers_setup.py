#!/usr/bin/env python3
"""Helpers for Tests/peers/start.sh (not meant to be run by hand).

Subcommands (all write only under STATE_DIR, never print secrets):
  ports                      print free 127.0.0.1 ports for the peers (shell assignments)
  weed-config STATE_DIR      generate S3 identities -> STATE_DIR/s3.json (mode 0600)
  moto-n                     print N = number of unauthenticated bootstrap calls
  moto-bootstrap STATE_DIR ENDPOINT
                             make exactly N calls (the unauthenticated window),
                             then prove the window is closed; writes STATE_DIR/moto.json
  write-env STATE_DIR        assemble STATE_DIR/peers.env and STATE_DIR/peers.json
  wait-http URL TIMEOUT      wait until URL answers any HTTP status (no auth needed)
  weed-probe STATE_DIR ENDPOINT TIMEOUT
                             wait until a signed ListBuckets (admin identity) succeeds
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import string
import sys
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"
REGION = "us-east-1"

# ---------------------------------------------------------------- ports


def _free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _port0() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cmd_ports() -> None:
    names = [
        "WEED_MASTER_PORT",
        "WEED_MASTER_GRPC_PORT",
        "WEED_VOLUME_PORT",
        "WEED_VOLUME_GRPC_PORT",
        "WEED_FILER_PORT",
        "WEED_FILER_GRPC_PORT",
        "WEED_S3_PORT",
        "WEED_S3_GRPC_PORT",
        "MOTO_PORT",
    ]
    chosen: set[int] = set()
    out = {}
    for n in names:
        while True:
            p = _port0()
            if p not in chosen:
                break
        chosen.add(p)
        out[n] = p
    # weed mini's built-in worker dials the admin gRPC port as admin.port+10000
    # regardless of -admin.port.grpc (observed in weed 4.48: "dial tcp: address
    # 69485: invalid port"), so pick a pair (p, p+10000) that are both free.
    rng = random.SystemRandom()
    for _ in range(200):
        p = rng.randint(20000, 55000)
        if p in chosen or p + 10000 in chosen:
            continue
        if _free(p) and _free(p + 10000):
            out["WEED_ADMIN_PORT"] = p
            out["WEED_ADMIN_GRPC_PORT"] = p + 10000
            break
    else:
        sys.exit("peers_setup: could not find a free admin port pair on 127.0.0.1")
    for k, v in out.items():
        print(f"{k}={v}")


# ---------------------------------------------------------------- keys


def _access_key(prefix: str) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(20 - len(prefix)))


def _secret_key() -> str:
    # 40 chars like AWS, url-safe alphabet plus '/' and '+' as real AWS secrets have
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def _write_private(path: str, data: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)


def _moto_identity(state: str) -> list:
    """moto's deployer-ci key as a SeaweedFS admin too, when moto was bootstrapped first."""
    path = os.path.join(state, "moto-keys.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        keys = json.load(f)
    return [
        {
            "name": "deployer-ci",
            "credentials": [{"accessKey": keys["DEPLOYER_IT_MOTO_ACCESS_KEY"], "secretKey": keys["DEPLOYER_IT_MOTO_SECRET_KEY"]}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }
    ]


def cmd_weed_config(state: str) -> None:
    admin_ak, admin_sk = _access_key("AKSW"), _secret_key()
    ro_ak, ro_sk = _access_key("AKSR"), _secret_key()
    cfg = {
        "identities": [
            {
                "name": "deployer-admin",
                "credentials": [{"accessKey": admin_ak, "secretKey": admin_sk}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
            *_moto_identity(state),
            {
                "name": "deployer-readonly",
                "credentials": [{"accessKey": ro_ak, "secretKey": ro_sk}],
                "actions": ["Read", "List"],
            },
        ]
    }
    _write_private(os.path.join(state, "s3.json"), json.dumps(cfg, indent=2) + "\n")
    _write_private(
        os.path.join(state, "weed-keys.json"),
        json.dumps(
            {
                "DEPLOYER_IT_S3_ACCESS_KEY": admin_ak,
                "DEPLOYER_IT_S3_SECRET_KEY": admin_sk,
                "DEPLOYER_IT_S3_RO_ACCESS_KEY": ro_ak,
                "DEPLOYER_IT_S3_RO_SECRET_KEY": ro_sk,
            }
        ),
    )


# ---------------------------------------------------------------- moto

CI_USER = "deployer-ci"
DENIED_USER = "deployer-denied"
DEPLOY_ROLE = "deployer-deploy"
OIDC_ROLE = "deployer-oidc"
PIPELINE_ROLE = "deployer-pipeline"
OIDC_URL = "https://token.actions.githubusercontent.com"
OIDC_SUB = "repo:example/deployer:ref:refs/heads/main"

DEPLOYER_ACTIONS = [
    "sts:GetCallerIdentity",
    "sts:AssumeRole",
    "glue:*",
    "emr-serverless:*",
    "elasticmapreduce:*",
    "logs:*",
    "iam:PassRole",
    "s3:*",
    # schedules and failure alerts (deployer) and the test's own alert subscriber
    "scheduler:*",
    "events:*",
    "sns:*",
    "sqs:*",
    "ecr:*",
    # pipelines: their Step Functions state machines
    "states:*",
]

# What a pipeline's state machine does as its role: start, read and stop the jobs' runs.
PIPELINE_ACTIONS = ["glue:*", "emr-serverless:*", "elasticmapreduce:*", "iam:PassRole"]


def _policy(actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})


def _bootstrap_steps():
    """The unauthenticated window, one entry per HTTP request moto counts.

    moto 5.2.1 (moto/core/authorization.py, ActionAuthenticatorMixin):
    every request that reaches BaseResponse.call_action (and every S3 handler)
    calls _authenticate_and_authorize_*_action once; while the class-wide
    request_count < INITIAL_NO_AUTH_ACTION_COUNT it just increments the
    counter and skips signature+policy checks, afterwards it checks both.
    /moto-api/* requests never reach that code, so they do not count.
    The count is per moto process and is never reset (except POST
    /moto-api/reset-auth).  So N must equal this list's length exactly, with
    botocore retries disabled so a 5xx cannot consume an extra slot.
    """
    st: dict = {}

    def create_ci(iam, _sts):
        r = iam.create_user(UserName=CI_USER)
        st["ci_arn"] = r["User"]["Arn"]
        st["account"] = st["ci_arn"].split(":")[4]

    def ci_policy(iam, _sts):
        iam.put_user_policy(UserName=CI_USER, PolicyName="deployer-ci", PolicyDocument=_policy(DEPLOYER_ACTIONS))

    def ci_key(iam, _sts):
        k = iam.create_access_key(UserName=CI_USER)["AccessKey"]
        st["ci_key"] = (k["AccessKeyId"], k["SecretAccessKey"])

    def deploy_role(iam, _sts):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": st["ci_arn"]}, "Action": "sts:AssumeRole"}]}
        r = iam.create_role(RoleName=DEPLOY_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        st["role_arn"] = r["Role"]["Arn"]

    def deploy_role_policy(iam, _sts):
        iam.put_role_policy(RoleName=DEPLOY_ROLE, PolicyName="deployer-deploy", PolicyDocument=_policy(DEPLOYER_ACTIONS))

    def denied_user(iam, _sts):
        iam.create_user(UserName=DENIED_USER)

    def denied_key(iam, _sts):
        k = iam.create_access_key(UserName=DENIED_USER)["AccessKey"]
        st["denied_key"] = (k["AccessKeyId"], k["SecretAccessKey"])

    def oidc_provider(iam, _sts):
        r = iam.create_open_id_connect_provider(Url=OIDC_URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
        st["oidc_provider_arn"] = r["OpenIDConnectProviderArn"]

    def oidc_role(iam, _sts):
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": st["oidc_provider_arn"]},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                        "StringLike": {"token.actions.githubusercontent.com:sub": OIDC_SUB},
                    },
                }
            ],
        }
        r = iam.create_role(RoleName=OIDC_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        st["oidc_role_arn"] = r["Role"]["Arn"]

    def oidc_role_policy(iam, _sts):
        iam.put_role_policy(RoleName=OIDC_ROLE, PolicyName="deployer-oidc", PolicyDocument=_policy(DEPLOYER_ACTIONS))

    def pipeline_role(iam, _sts):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        r = iam.create_role(RoleName=PIPELINE_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        st["pipeline_role_arn"] = r["Role"]["Arn"]

    def pipeline_role_policy(iam, _sts):
        iam.put_role_policy(RoleName=PIPELINE_ROLE, PolicyName="deployer-pipeline", PolicyDocument=_policy(PIPELINE_ACTIONS))

    steps = [
        create_ci,
        ci_policy,
        ci_key,
        deploy_role,
        deploy_role_policy,
        denied_user,
        denied_key,
        oidc_provider,
        oidc_role,
        oidc_role_policy,
        pipeline_role,
        pipeline_role_policy,
    ]
    return steps, st


def cmd_moto_n() -> None:
    print(len(_bootstrap_steps()[0]))


def _clients(endpoint, ak, sk, token=None):
    import boto3
    from botocore.config import Config

    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
    sess = boto3.session.Session(aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token, region_name=REGION)
    return (sess.client("iam", endpoint_url=endpoint, config=cfg), sess.client("sts", endpoint_url=endpoint, config=cfg))


def cmd_moto_bootstrap(state: str, endpoint: str) -> None:
    from botocore.exceptions import ClientError

    steps, st = _bootstrap_steps()
    # Inside the window credentials are not looked at; use obviously fake ones.
    iam, sts = _clients(endpoint, "AKIABOOTSTRAPNOAUTH0", "bootstrap-not-checked")
    for i, step in enumerate(steps, 1):
        try:
            step(iam, sts)
        except Exception as e:  # noqa: BLE001
            sys.exit(f"moto bootstrap step {i}/{len(steps)} ({step.__name__}) failed: {e}")
    # The window must now be closed: the same fake credentials must be refused.
    try:
        sts.get_caller_identity()
        sys.exit("moto bootstrap: request after the window was NOT auth-checked (INITIAL_NO_AUTH_ACTION_COUNT too high?)")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code not in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
            sys.exit(f"moto bootstrap: unexpected error after window: {code}")
    # And the real key must work (signature + IAM checked).
    _, sts_ci = _clients(endpoint, *st["ci_key"])
    ident = sts_ci.get_caller_identity()
    if ident["Arn"] != st["ci_arn"]:
        sys.exit(f"moto bootstrap: caller identity mismatch: {ident['Arn']}")
    _write_private(
        os.path.join(state, "moto-keys.json"),
        json.dumps(
            {
                "DEPLOYER_IT_MOTO_ACCESS_KEY": st["ci_key"][0],
                "DEPLOYER_IT_MOTO_SECRET_KEY": st["ci_key"][1],
                "DEPLOYER_IT_MOTO_DENIED_ACCESS_KEY": st["denied_key"][0],
                "DEPLOYER_IT_MOTO_DENIED_SECRET_KEY": st["denied_key"][1],
                "DEPLOYER_IT_MOTO_ROLE_ARN": st["role_arn"],
                "DEPLOYER_IT_MOTO_ACCOUNT_ID": st["account"],
                "DEPLOYER_IT_MOTO_USER_ARN": st["ci_arn"],
                "DEPLOYER_IT_MOTO_OIDC_PROVIDER_ARN": st["oidc_provider_arn"],
                "DEPLOYER_IT_MOTO_OIDC_ROLE_ARN": st["oidc_role_arn"],
                "DEPLOYER_IT_MOTO_OIDC_SUBJECT": OIDC_SUB,
                "DEPLOYER_IT_MOTO_PIPELINE_ROLE_ARN": st["pipeline_role_arn"],
            }
        ),
    )


# ---------------------------------------------------------------- env


def cmd_write_env(state: str) -> None:
    env: dict[str, str] = {}
    # non-secret values handed over by start.sh via environment
    for k in sorted(os.environ):
        if k.startswith("DEPLOYER_IT_"):
            env[k] = os.environ[k]
    for name in ("weed-keys.json", "moto-keys.json"):
        with open(os.path.join(state, name)) as f:
            env.update(json.load(f))
    env["DEPLOYER_IT_REGION"] = REGION
    env["DEPLOYER_IT_STATE_DIR"] = os.path.abspath(state)

    def q(v: str) -> str:
        return "'" + v.replace("'", "'\\''") + "'"

    lines = ["# generated by Tests/peers/start.sh - contains test-only secrets"]
    lines += [f"export {k}={q(v)}" for k, v in sorted(env.items())]
    _write_private(os.path.join(state, "peers.env"), "\n".join(lines) + "\n")
    _write_private(os.path.join(state, "peers.json"), json.dumps(dict(sorted(env.items())), indent=2) + "\n")


def cmd_wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read(1)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is listening and serving
        except Exception as e:  # noqa: BLE001
            last = str(e)
        time.sleep(0.3)
    sys.exit(f"timed out after {timeout:.0f}s waiting for {url}: {last}")


def cmd_weed_probe(state: str, endpoint: str, timeout: float) -> None:
    """Wait until a SigV4-signed ListBuckets with the admin identity succeeds."""
    import boto3
    from botocore.config import Config

    with open(os.path.join(state, "weed-keys.json")) as f:
        k = json.load(f)
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=k["DEPLOYER_IT_S3_ACCESS_KEY"],
        aws_secret_access_key=k["DEPLOYER_IT_S3_SECRET_KEY"],
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            s3.list_buckets()
            return
        except Exception as e:  # noqa: BLE001
            last = str(e)
        time.sleep(0.5)
    sys.exit(f"timed out after {timeout:.0f}s waiting for signed ListBuckets on {endpoint}: {last}")


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "ports":
        cmd_ports()
    elif cmd == "weed-config":
        cmd_weed_config(args[0])
    elif cmd == "moto-n":
        cmd_moto_n()
    elif cmd == "moto-bootstrap":
        cmd_moto_bootstrap(args[0], args[1])
    elif cmd == "write-env":
        cmd_write_env(args[0])
    elif cmd == "weed-probe":
        cmd_weed_probe(args[0], args[1], float(args[2]))
    elif cmd == "wait-http":
        cmd_wait_http(args[0], float(args[1]))
    else:
        sys.exit(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])

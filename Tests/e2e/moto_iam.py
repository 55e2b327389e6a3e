#!/usr/bin/env python3
"""moto_server with IAM evaluated the way AWS evaluates it for the calls deployer makes.

Usage: E2E_IAM_LOG=FILE INITIAL_NO_AUTH_ACTION_COUNT=N python3 moto_iam.py -H 127.0.0.1 -p PORT

moto 5.2.1 checks signatures and identity policies once INITIAL_NO_AUTH_ACTION_COUNT requests
have passed, but for every service except S3, IAM, STS and SQS it evaluates the policy against
Resource "*" (moto/core/responses.py: call_action without _determine_resource). A policy scoped
the way ours are (Glue jobs by prefix, one EMR Serverless application, the Glue log groups) then
denies everything, and a policy with Resource "*" allows everything: neither says whether the
deploy role lets deployer do its job and nothing more. It also never checks iam:PassRole, and
AssumeRoleWithWebIdentity (unsigned, as every SDK sends it) fails with HTTP 500 once auth is on.

This launcher patches moto in this process only (nothing on disk), then runs moto's own server:

0. signatures: a request without a body is checked as SigV4 signs it (moto hashed its parsed
   parameters instead, which fails every correct signature of an EMR Serverless GET that does
   not sign x-amz-content-sha256, e.g. the Terraform provider's);

1. resource: Glue (job ARN from JobName/Name), EMR Serverless (application or job-run ARN from
   the path), CloudWatch Logs (log-group[:log-stream] ARN), EventBridge Scheduler (schedule ARN),
   EventBridge (rule ARN), EMR (cluster ARN) requests are evaluated against the resource they
   name, as AWS does;
2. iam:PassRole: glue:CreateJob/UpdateJob (Role), emr-serverless:StartJobRun (executionRoleArn)
   and scheduler:CreateSchedule/UpdateSchedule (Target.RoleArn) also need iam:PassRole on that
   role with iam:PassedToService, as AWS does;
3. messages: a refusal says "User: ARN is not authorized to perform: ACTION on resource: RESOURCE
   because no identity-based policy allows the ACTION action", AWS's wording (S3 keeps moto's
   "Access Denied");
4. web identity: an unsigned AssumeRoleWithWebIdentity is checked against the role's trust
   policy: Principal.Federated must be an OIDC provider that exists, whose URL is the token's iss
   and whose client ids hold its aud; StringEquals/StringLike conditions on ISSUER_HOST:aud and
   ISSUER_HOST:sub must hold; the token must not be expired. The JWT signature is NOT verified
   (there is no issuer to fetch keys from here): what is tested is the trust policy;
6. EMR Serverless applications are created in CREATED, as on AWS (moto: STARTED at once, which
   the AWS provider's create waiter rejects);
7. conditions: moto already evaluates bucket policies on object calls, but ignored the Bool
   operator and answered DENIED for any statement whose condition did not hold, so our
   DenyInsecureTransport (aws:SecureTransport = false) denied everything; now Bool is evaluated
   (item 9), a statement whose condition does not hold does not apply, and bucket policies see
   aws:SecureTransport = true (the server only speaks TLS: system.py gives it a certificate);
   the query of a request is canonicalised before the signature is checked (moto compared the
   signature of prefix=a%2Fb with prefix=a/b);
8. S3 write conditions: an object write (IAM action s3:PutObject) is evaluated with the
   request's context as AWS gives it: s3:if-none-match and s3:if-match are the request's
   If-None-Match / If-Match headers (absent when the request has none), and
   s3:ObjectCreationOperation is true for PutObject, CopyObject and CompleteMultipartUpload and
   false for CreateMultipartUpload and UploadPart (which take no conditional headers); moto
   evaluated identity policies without any request context;
9. condition operators: StringEquals, StringLike, Bool and Null are evaluated against the
   request context (a key the context holds as absent fails StringEquals/StringLike/Bool and
   satisfies Null "true"); moto knew only StringEquals (matched to its keys by position) and had
   no notion of an absent key, so a Null condition always held; a key the launcher does not
   supply for the request (s3:prefix, kms:ViaService, ...) is still treated as met;
10. principals: a trust statement whose Principal names only a service (or a federated provider)
   does not match an IAM caller; moto raised TypeError (HTTP 500) for any AssumeRole of a role
   whose trust has a service statement (the job roles), so no caller could assume them;
5. a log: one JSON line per authorised request (principal, action, resource, allowed; for S3
   writes also the condition context) to $E2E_IAM_LOG, which the test reads to count calls per
   role and denied calls.

Identity policies are evaluated on every S3 object and bucket call (against the object or bucket
ARN), bucket policies on object calls (moto's own check, with the context above).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import sys
import threading
import time
from urllib.parse import parse_qs, quote, unquote, urlparse

from moto.core import authorization
from moto.core.exceptions import _RESTError as RESTError  # what moto's own AccessDeniedError is
from werkzeug.exceptions import HTTPException
from moto.iam import access_control

_LOG_PATH = os.environ.get("E2E_IAM_LOG")
_LOG_LOCK = threading.Lock()

PASSROLE = {  # IAM action -> (where the role is in the JSON body, the service it is passed to)
    "glue:CreateJob": (("Role",), "glue.amazonaws.com"),
    "glue:UpdateJob": (("JobUpdate", "Role"), "glue.amazonaws.com"),
    "emr-serverless:StartJobRun": (("executionRoleArn",), "emr-serverless.amazonaws.com"),
    "scheduler:CreateSchedule": (("Target", "RoleArn"), "scheduler.amazonaws.com"),
    "scheduler:UpdateSchedule": (("Target", "RoleArn"), "scheduler.amazonaws.com"),
    "states:CreateStateMachine": (("roleArn",), "states.amazonaws.com"),
    "states:UpdateStateMachine": (("roleArn",), "states.amazonaws.com"),
}


def _log(entry: dict) -> None:
    if not _LOG_PATH:
        return
    line = json.dumps(entry, sort_keys=True)
    with _LOG_LOCK, open(_LOG_PATH, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class AccessDenied(RESTError):
    code = 403

    def __init__(self, message: str):
        super().__init__("AccessDenied", message)


def _denied_message(principal: str, action: str, resource: str) -> str:
    where = f" on resource: {resource}" if resource and resource != "*" else ""
    return f"User: {principal} is not authorized to perform: {action}{where} because no identity-based policy allows the {action} action"


def _json_body(response) -> dict:
    raw = getattr(response, "raw_body", None) or getattr(response, "body", None) or b""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _resource_of(response) -> str:
    """The ARN an AWS request names, for the services deployer calls (else "*")."""
    service = getattr(response, "service_name", None) or ""
    region = getattr(response, "region", "us-east-1")
    account = getattr(response, "current_account", "123456789012")
    if service == "glue":
        body = _json_body(response)
        name = body.get("JobName") or body.get("Name")
        return f"arn:aws:glue:{region}:{account}:job/{name}" if isinstance(name, str) else "*"
    if service == "emr-serverless":
        parts = [unquote(p) for p in urlparse(response.uri).path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "applications":
            app = f"arn:aws:emr-serverless:{region}:{account}:/applications/{parts[1]}"
            if len(parts) >= 4 and parts[2] == "jobruns":
                return f"{app}/jobruns/{parts[3]}"
            return app
        return "*"
    if service == "logs":
        body = _json_body(response)
        group = body.get("logGroupName")
        if not isinstance(group, str):
            return "*"
        arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
        stream = body.get("logStreamName")
        return f"{arn}:log-stream:{stream}" if isinstance(stream, str) else arn
    if service == "scheduler":
        parts = [unquote(p) for p in urlparse(response.uri).path.split("/") if p]
        if len(parts) == 2 and parts[0] == "schedules":
            query = getattr(response, "querystring", {}) or {}
            group = (query.get("groupName") or [None])[0] or _json_body(response).get("GroupName") or "default"
            return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{parts[1]}"
        return "*"
    if service == "events":
        body = _json_body(response)
        rule = body.get("Name") or body.get("Rule")
        return f"arn:aws:events:{region}:{account}:rule/{rule}" if isinstance(rule, str) else "*"
    if service == "stepfunctions":
        # An execution's ARN, else the state machine's (StartExecution names the machine and the
        # execution's name: the resource is the machine), else the one CreateStateMachine names.
        body = _json_body(response)
        for key in ("executionArn", "stateMachineArn", "resourceArn"):
            if isinstance(body.get(key), str):
                return body[key]
        name = body.get("name")
        return f"arn:aws:states:{region}:{account}:stateMachine:{name}" if isinstance(name, str) else "*"
    if service == "emr":
        body = _json_body(response)
        cluster = body.get("ClusterId") or body.get("JobFlowId")
        return f"arn:aws:elasticmapreduce:{region}:{account}:cluster/{cluster}" if isinstance(cluster, str) else "*"
    return "*"


def _passrole_target(action: str, body: dict) -> tuple[str, str] | None:
    spec = PASSROLE.get(action)
    if not spec:
        return None
    path, service = spec
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return (value, service) if isinstance(value, str) and value else None


# ---------------------------------------------------------------- 1. + 2. + 3. + 5.

_original_normal = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
_original_check = access_control.IAMRequestBase.check_action_permitted


def _normal_action(self, resource: str = "*") -> None:
    if resource == "*":
        resource = _resource_of(self)
    # Handed to check_action_permitted through the thread (one request per thread in werkzeug).
    _REQUEST.body = _json_body(self) if (getattr(self, "service_name", "") in ("glue", "emr-serverless", "scheduler", "stepfunctions")) else {}
    if _is_unsigned_web_identity(self):
        return _web_identity(self)
    return _original_normal(self, resource)


_REQUEST = threading.local()


def _check_action_permitted(self, resource: str) -> None:
    principal = self._access_key.arn
    action = self._action
    context = _s3_write_context(self) if isinstance(self, access_control.S3IAMRequest) else None
    extra = {"context": context} if context else {}
    try:
        try:
            if context:
                _identity_check_with_context(self, resource, context)
            else:
                _original_check(self, resource)
        except HTTPException as e:
            if e.code == 403 and not isinstance(self, access_control.S3IAMRequest):
                raise AccessDenied(_denied_message(principal, action, resource)) from None
            raise
    except Exception:
        _log({"principal": principal, "action": action, "resource": resource, "allowed": False, **extra})
        raise
    _log({"principal": principal, "action": action, "resource": resource, "allowed": True, **extra})
    target = _passrole_target(action, getattr(_REQUEST, "body", {}) or {})
    if target:
        role, service = target
        permitted = False
        for policy in self._access_key.collect_policies():
            result = access_control.IAMPolicy(policy).is_action_permitted("iam:PassRole", role, incoming_condition_values={"iam:PassedToService": service})
            if result == access_control.PermissionResult.DENIED:
                permitted = False
                break
            if result == access_control.PermissionResult.PERMITTED:
                permitted = True
        _log({"principal": principal, "action": "iam:PassRole", "resource": role, "allowed": permitted, "via": action})
        if not permitted:
            raise AccessDenied(_denied_message(principal, "iam:PassRole", role))


# ---------------------------------------------------------------- 8. S3 write conditions


def _header(headers, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _s3_write_context(request) -> dict | None:
    """The condition keys AWS gives an object write (IAM action s3:PutObject), else None.
    A key whose header the request lacks is present as None: absent, for Null."""
    if request._action != "s3:PutObject":
        return None
    query = parse_qs(urlparse(request._path).query, keep_blank_values=True)
    method = request._method.upper()
    if method == "POST" and "uploads" in query:  # CreateMultipartUpload
        creates = False
    elif method == "PUT" and "uploadId" in query and "partNumber" in query:  # UploadPart(Copy)
        creates = False
    else:  # PutObject, CopyObject, CompleteMultipartUpload (POST ?uploadId)
        creates = True
    return {
        "s3:ObjectCreationOperation": "true" if creates else "false",
        "s3:if-none-match": _header(request._headers, "if-none-match") if creates else None,
        "s3:if-match": _header(request._headers, "if-match") if creates else None,
    }


def _identity_check_with_context(self, resource: str, context: dict) -> None:
    """moto's check_action_permitted for S3, with the request's condition context."""
    permitted = False
    for policy in self._access_key.collect_policies():
        result = access_control.IAMPolicy(policy).is_action_permitted(self._action, resource, incoming_condition_values=context)
        if result == access_control.PermissionResult.DENIED:
            self._raise_access_denied()
        if result == access_control.PermissionResult.PERMITTED:
            permitted = True
    if not permitted:
        self._raise_access_denied()


# ---------------------------------------------------------------- 9. condition operators


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _condition_met(operator: str, key: str, expected, context: dict) -> bool:
    if key not in context:
        return True  # a key this launcher does not supply for the request: not evaluated
    actual = context[key]
    if operator == "Null":
        wants_absent = any(str(e).lower() == "true" for e in _listed(expected))
        return (actual is None) == wants_absent
    if actual is None:
        return False  # an absent key matches no value (no ...IfExists operator is used here)
    if operator == "StringEquals":
        return any(a in _listed(expected) for a in _listed(actual))
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(str(a), str(e)) for a in _listed(actual) for e in _listed(expected))
    if operator == "Bool":
        return any(str(a).lower() in [str(e).lower() for e in _listed(expected)] for a in _listed(actual))
    return True  # an operator this launcher does not evaluate (as moto: treated as met)


def _check_conditions(self, incoming_condition_values) -> bool:
    context = incoming_condition_values or {}
    for operator, pairs in (self._statement.get("Condition") or {}).items():
        for key, expected in (pairs or {}).items():
            if not _condition_met(operator, key, expected, context):
                return False
    return True


# ---------------------------------------------------------------- 10. principals


def _check_principal(self, principal: str) -> bool:
    """A statement's Principal against an IAM caller: only its AWS entries can match (moto ran
    `principal in None` for a service-only statement)."""
    expected = self._statement.get("Principal")
    if not expected:
        return True
    if expected == "*":
        return True
    aws = expected.get("AWS") if isinstance(expected, dict) else None
    if aws is None:
        return False
    return aws == "*" or principal in _listed(aws)


# ---------------------------------------------------------------- 4. web identity


def _is_unsigned_web_identity(response) -> bool:
    if authorization.ActionAuthenticatorMixin.request_count < _no_auth_count():
        return False
    if response.headers.get("Authorization"):
        return False
    try:
        return response._get_action() == "AssumeRoleWithWebIdentity"
    except Exception:  # noqa: BLE001
        return False


def _no_auth_count() -> float:
    from moto import settings

    return settings.INITIAL_NO_AUTH_ACTION_COUNT


def _claims(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def _condition_holds(operator: str, expected, actual) -> bool:
    expected = expected if isinstance(expected, list) else [expected]
    actual = actual if isinstance(actual, list) else [actual]
    if operator == "StringEquals":
        return any(a in expected for a in actual if isinstance(a, str))
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(a, e) for a in actual if isinstance(a, str) for e in expected)
    return False  # an operator this shim does not know never grants


def _web_identity(response) -> None:
    from moto.iam.models import iam_backends

    params = response.querystring
    role_arn = (params.get("RoleArn") or [""])[0]
    token = (params.get("WebIdentityToken") or [""])[0]
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else response.current_account
    backend = iam_backends[account]["aws"]
    verdict, why = False, "no trust statement allows this token"
    try:
        claims = _claims(token)
        issuer = str(claims.get("iss", ""))
        host = issuer.removeprefix("https://")
        if float(claims.get("exp", 0)) < time.time():
            raise ValueError("token expired")
        role = backend.get_role_by_arn(role_arn)
        trust = json.loads(role.assume_role_policy_document)
        statements = trust["Statement"] if isinstance(trust["Statement"], list) else [trust["Statement"]]
        providers = dict(backend.open_id_providers)
        for st in statements:
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            federated = (st.get("Principal") or {}).get("Federated")
            if st.get("Effect") != "Allow" or "sts:AssumeRoleWithWebIdentity" not in actions:
                continue
            provider = providers.get(federated)
            if provider is None or provider.url.removeprefix("https://") != host:
                continue
            aud = claims.get("aud")
            if not any(a in provider.client_id_list for a in (aud if isinstance(aud, list) else [aud])):
                continue
            ok = True
            for operator, pairs in (st.get("Condition") or {}).items():
                for key, expected in pairs.items():
                    claim = key.split(":", 1)[1] if key.startswith(host + ":") else None
                    if claim is None or not _condition_holds(operator, expected, claims.get(claim)):
                        ok = False
            if ok:
                verdict, why = True, ""
                break
    except Exception as e:  # noqa: BLE001
        verdict, why = False, f"{type(e).__name__}: {e}"
    _log(
        {
            "principal": f"web-identity:{role_arn}",
            "action": "sts:AssumeRoleWithWebIdentity",
            "resource": role_arn,
            "allowed": verdict,
            **({"why": why} if why else {}),
        }
    )
    if not verdict:
        raise AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")


# ---------------------------------------------------------------- 0. signatures of empty-body requests

_original_create_request = access_control.IAMRequestBase._create_aws_request


def _create_aws_request(self):
    """moto re-signs a request with body `self._body or self._data`: a GET without a body is then
    hashed as its form-encoded parameters, so a correct signature that does not sign
    x-amz-content-sha256 (the Go SDK's, botocore's) fails for EMR Serverless GETs. SigV4 hashes
    the empty body: do that."""
    request = _original_create_request(self)
    if not self._body and self._method in ("GET", "HEAD", "DELETE"):
        request.data = b""
    # moto hands over the query as werkzeug decoded it (prefix=a/b), but the client signed the
    # canonical form (prefix=a%2Fb): canonicalise it again (decode, then encode as SigV4 does).
    path, sep, query = request.url.partition("?")
    if sep:
        pairs = []
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            pairs.append(f"{quote(unquote(key), safe='-_.~')}={quote(unquote(value), safe='-_.~')}")
        request.url = path + "?" + "&".join(pairs)
    return request


# ---------------------------------------------------------------- 7. conditions and bucket policies


_original_statement_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _statement_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    """A statement whose condition does not hold does not apply (NEUTRAL); moto answered DENIED,
    which turns every conditional Deny into a deny-all and every unmet Allow into a Deny."""
    result = _original_statement_permitted(self, action, resource, principal, incoming_condition_values)
    if result == access_control.PermissionResult.DENIED and self._statement.get("Effect") == "Allow":
        return access_control.PermissionResult.NEUTRAL
    if result == access_control.PermissionResult.DENIED and self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
        return access_control.PermissionResult.NEUTRAL
    return result


def _bucket_permission(self, action: str, resource: str):
    """Bucket policies with the request context moto leaves out: this server speaks only TLS, so
    aws:SecureTransport is true for every request it gets (and the bucket policies' deny of
    plain HTTP does not apply)."""
    if self.policy is None:
        return access_control.PermissionResult.NEUTRAL
    policy = access_control.IAMPolicy(self.policy.decode())
    return policy.is_action_permitted(action, resource, incoming_condition_values={"aws:SecureTransport": "true"})


def install() -> None:
    # 6. AWS answers CreateApplication with an application in CREATING, then CREATED (started on
    #    the first job run, auto_start); moto starts it at once, which the provider's waiter for
    #    CREATED rejects ("unexpected state 'STARTED'").
    from moto.emrserverless import models as emr_serverless_models

    emr_serverless_models.APPLICATION_STATUS = "CREATED"
    access_control.IAMRequestBase._create_aws_request = _create_aws_request
    # 7. conditions: unmet conditions, bucket policies with context (Bool is item 9).
    from moto.s3.models import FakeBucket

    access_control.IAMPolicyStatement.is_action_permitted = _statement_permitted
    # 9. + 10. condition operators (Bool, Null, absent keys) and service principals in trust policies.
    access_control.IAMPolicyStatement._check_conditions = _check_conditions
    access_control.IAMPolicyStatement._check_principal = _check_principal
    FakeBucket.get_permission = _bucket_permission
    authorization.ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _normal_action
    access_control.IAMRequestBase.check_action_permitted = _check_action_permitted


if __name__ == "__main__":
    install()
    # The patches for moto's missing operations and the contract recorder (Tests/peers).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
    import moto_launcher

    moto_launcher.install()
    from moto.server import main

    main(sys.argv[1:])

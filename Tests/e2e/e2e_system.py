"""The whole system on 127.0.0.1 for the end-to-end test (test_e2e.py); moto_iam.py is the moto launcher.

moto (with the IAM launcher moto_iam.py) <- terraform apply of the one root terraform/env with
dev.tfvars and with prod.tfvars (a copy, plus the override files below; each environment its own
local state through -backend-config) <- terraform output -json <- deployer, signed as the roles that
Terraform created. Only the standard library, boto3 and the terraform and deployer binaries.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import ssl
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"  # moto's default account
REPOSITORY = "acme/deployer"
OIDC_HOST = "token.actions.githubusercontent.com"
TERRAFORM_TIMEOUT = 420
# terraform -no-color's diagnostic for a CreateRole answered 409, and the resource it was for.
ROLE_EXISTS = re.compile(r"Error: creating IAM Role \(([^)\s]+)\):[^\n]*EntityAlreadyExists[^\n]*\n(?:[│ ]*\n)*[│ ]*with ([^,\s]+),")
DEPLOYER_TIMEOUT = 180

# What moto cannot hold as the modules declare it, and what the test does instead. Printed by the
# test; each entry is an override file written into the copied tree (the real tree is untouched).
LEFT_OUT = [
    (
        "module.{artifact,data}_bucket.aws_s3_bucket_logging.this",
        "left out: moto's PutBucketLogging accepts a target only if the target bucket policy's "
        "Resource is exactly BUCKET/<target_prefix>*; ours grants BUCKET/s3-access/* (which covers "
        "the prefix on AWS), so moto refuses and the provider retries until it times out",
        "modules/s3_bucket",
        'resource "aws_s3_bucket_logging" "this" {\n  count = 0\n}\n',
    ),
    (
        "module.emr_serverless.aws_emrserverless_application.this",
        'kept, with type "SPARK" instead of "spark": moto 5.2 accepts only the upper-case engine names ("Unsupported engine spark"); AWS accepts both',
        "modules/emr_serverless",
        'resource "aws_emrserverless_application" "this" {\n  type = "SPARK"\n}\n',
    ),
]
NOT_APPLIED = (
    "Aurora, DMS, the EC2 runner and the EMR Serverless security group are off in "
    "dev.tfvars and prod.tfvars (they need a VPC), as in terraform/README.md; nothing else is left out"
)


class Unavailable(Exception):
    """A prerequisite (terraform, the provider mirror, moto) is missing; the message says which."""


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def find_mirror() -> Path | None:
    """The hashicorp/aws filesystem mirror, found the way terraform/check.sh finds it."""
    explicit = os.environ.get("TF_PLUGIN_MIRROR")
    if explicit:
        p = Path(explicit)
        return p if (p / "registry.terraform.io/hashicorp/aws").is_dir() else None
    home = Path.home()
    for base in (
        "/opt/tf-plugins",
        "/usr/share/terraform/plugins",
        str(home / ".terraform.d/plugins"),
        str(home / ".local/share/terraform/plugins"),
        "/usr/local/share/terraform/plugins",
    ):
        if (Path(base) / "registry.terraform.io/hashicorp/aws").is_dir():
            return Path(base)
    return None


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it: moto speaks TLS, so the
    bucket policies' aws:SecureTransport is true, as on AWS; clients trust ca.pem only."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deployer e2e test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(key_pem, 0o600)
    return ca_pem, cert_pem, key_pem


def github_token(sub: str, aud: str = "sts.amazonaws.com", lifetime: int = 600) -> str:
    """A token shaped like GitHub Actions' OIDC token (claims only; the signature is a placeholder
    that moto_iam.py does not verify)."""
    now = int(time.time())
    parts = [
        {"alg": "RS256", "typ": "JWT", "kid": "e2e"},
        {
            "iss": f"https://{OIDC_HOST}",
            "aud": aud,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "repository": REPOSITORY,
            "job_workflow_ref": f"{REPOSITORY}/.github/workflows/deploy.yml@refs/heads/main",
        },
    ]
    enc = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts]
    return ".".join(enc + ["e2e-unsigned"])


@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def all(self) -> str:
        return f"$ deployer {' '.join(self.args)}\n(exit {self.code})\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@dataclass
class System:
    root: Path
    endpoint: str = ""
    moto: subprocess.Popen | None = None
    iam_log: Path = field(init=False)
    outputs: dict[str, dict] = field(default_factory=dict)
    binary: Path | None = None
    work: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    adopted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.iam_log = self.root / "iam-decisions.jsonl"
        self.closed_port = free_port()  # nothing listens there: the proxy that refuses

    # ------------------------------------------------------------ moto

    BOOTSTRAP = 6  # the IAM calls in bootstrap(), made before auth switches on

    def start_moto(self) -> None:
        port = free_port()
        self.endpoint = f"https://127.0.0.1:{port}"
        self.ca, cert, key = make_tls(self.root)
        env = clean_env(self.root)
        env.update(INITIAL_NO_AUTH_ACTION_COUNT=str(self.BOOTSTRAP), E2E_IAM_LOG=str(self.iam_log))
        if os.environ.get("DEPLOYER_CONTRACT_DIR"):  # moto records deployer's requests for Tests/contract
            env["DEPLOYER_CONTRACT_DIR"] = os.environ["DEPLOYER_CONTRACT_DIR"]
        log = open(self.root / "moto.log", "wb")
        self.moto = subprocess.Popen(
            [sys.executable, str(HERE / "moto_iam.py"), "-H", "127.0.0.1", "-p", str(port), "--ssl-cert", str(cert), "--ssl-key", str(key)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.root,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.moto.poll() is not None:
                raise RuntimeError(f"moto exited at start:\n{(self.root / 'moto.log').read_text()[-3000:]}")
            try:
                context = ssl.create_default_context(cafile=str(self.ca))
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2, context=context).read(1)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("moto did not answer within 60 s")

    def stop_moto(self) -> None:
        if self.moto and self.moto.poll() is None:
            os.killpg(self.moto.pid, signal.SIGTERM)
            try:
                self.moto.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.moto.pid, signal.SIGKILL)
                self.moto.wait(5)

    def boto(self, service: str, key: tuple[str, str, str | None] | None = None, region: str = "us-east-1"):
        import boto3
        from botocore.config import Config

        ak, sk, tok = key or self.admin_key
        return boto3.session.Session(aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=tok, region_name=region).client(
            service,
            endpoint_url=self.endpoint,
            verify=str(self.ca),
            config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=30),
        )

    def bootstrap(self) -> None:
        """Exactly BOOTSTRAP IAM calls while moto does not check yet: the Terraform user (an admin,
        as the TERRAFORM_ROLE_ARN of the deploy workflow is) and the operator user (may only
        sts:AssumeRole; trusted by the deploy roles through the e2e override and by the on-call
        roles through oncall_principal_arns). Then proves auth is on."""
        from botocore.exceptions import ClientError

        iam = self.boto("iam", ("AKIAE2EBOOTSTRAP0000", "not-checked", None))
        admin = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        assume = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
        iam.create_user(UserName="e2e-terraform")
        iam.put_user_policy(UserName="e2e-terraform", PolicyName="admin", PolicyDocument=admin)
        k = iam.create_access_key(UserName="e2e-terraform")["AccessKey"]
        self.admin_key = (k["AccessKeyId"], k["SecretAccessKey"], None)
        self.operator_arn = iam.create_user(UserName="e2e-operator")["User"]["Arn"]
        iam.put_user_policy(UserName="e2e-operator", PolicyName="assume-only", PolicyDocument=assume)
        k = iam.create_access_key(UserName="e2e-operator")["AccessKey"]
        self.operator_key = (k["AccessKeyId"], k["SecretAccessKey"], None)
        try:
            self.boto("sts", ("AKIAE2EBOOTSTRAP0000", "not-checked", None)).get_caller_identity()
            raise RuntimeError("moto still answers unsigned-for-real requests: auth is not on")
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("InvalidClientTokenId", "SignatureDoesNotMatch"):
                raise
        assert self.boto("sts").get_caller_identity()["Arn"].endswith(":user/e2e-terraform")

    # ------------------------------------------------------------ terraform

    def terraform_tree(self) -> Path:
        """A copy of terraform/ (modules + the env root) with the override files: a local backend
        (each environment's path comes with init -backend-config), moto's endpoints, the operator in
        the deploy and job roles' trust, and the LEFT_OUT changes."""
        tree = self.root / "terraform"
        shutil.copytree(REPO / "terraform", tree, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "tests"))
        for _, _, module, text in LEFT_OUT:
            (tree / module / "e2e_override.tf").write_text(text)
        # The deploy role keeps its GitHub OIDC statement unchanged; the operator is added so the
        # role can also be reached with AssumeRole through a shared-config profile.
        (tree / "modules/github_oidc/e2e_override.tf").write_text(f"""resource "aws_iam_role" "deploy" {{
  assume_role_policy = jsonencode(merge(local.trust_policy, {{
    Statement = concat(local.trust_policy.Statement, [{{
      Sid = "E2EOperator", Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ AWS = "{self.operator_arn}" }}
    }}])
  }}))
}}
""")
        # Likewise the job roles keep their service trust (glue / emr-serverless) and get the operator,
        # so the test can act as them (their reads) with AssumeRole: no service runs jobs here.
        operator = f'{{ Sid = "E2EOperator", Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ AWS = "{self.operator_arn}" }} }}'
        (tree / "modules/job_roles/e2e_override.tf").write_text(f"""resource "aws_iam_role" "glue" {{
  assume_role_policy = jsonencode(merge(local.glue_trust, {{ Statement = concat(local.glue_trust.Statement, [{operator}]) }}))
}}

resource "aws_iam_role" "emr_serverless" {{
  assume_role_policy = jsonencode(merge(local.emr_serverless_trust, {{ Statement = concat(local.emr_serverless_trust.Statement, [{operator}]) }}))
}}
""")
        # Every service the modules use points at moto; any other would go through the proxy
        # below, which refuses, so nothing leaves 127.0.0.1.
        services = ["iam", "sts", "s3", "kms", "glue", "emrserverless", "emr", "ecr", "sns", "sqs", "scheduler", "events", "logs", "cloudwatch"]
        endpoints = "\n".join(f'    {s} = "{self.endpoint}"' for s in services)
        (tree / "env/e2e_override.tf").write_text(f"""terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  custom_ca_bundle            = "{self.ca}"

  endpoints {{
{endpoints}
  }}
}}
""")
        return tree

    def terraform_env(self, mirror: Path, env_name: str) -> dict[str, str]:
        rc = self.root / "terraform.rc"
        if not rc.exists():
            rc.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/*/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/*/*"]
  }}
}}
""")
        env = clean_env(self.root)
        env.update(
            TF_CLI_CONFIG_FILE=str(rc),
            TF_DATA_DIR=str(self.root / f"tfdata-{env_name}"),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            HTTPS_PROXY=f"http://127.0.0.1:{self.closed_port}",
            HTTP_PROXY=f"http://127.0.0.1:{self.closed_port}",
            NO_PROXY="127.0.0.1",
            AWS_ACCESS_KEY_ID=self.admin_key[0],
            AWS_SECRET_ACCESS_KEY=self.admin_key[1],
        )
        return env

    def terraform_apply(self, mirror: Path) -> None:
        """The one root (terraform/env) applied twice, as the deploy workflow does: with ENV.tfvars and
        its own state (-backend-config); each environment its own TF_DATA_DIR, so the two applies run
        in parallel from the same directory. The inits run one after the other: both write the
        directory's .terraform.lock.hcl."""
        tree = self.terraform_tree()
        root = tree / "env"
        provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC_HOST}"
        common = ["-var", f'oncall_principal_arns=["{self.operator_arn}"]']
        variables = {
            "dev": common,
            # dev and prod share this account: dev owns the GitHub OIDC provider.
            "prod": common + ["-var", "create_oidc_provider=false", "-var", f"oidc_provider_arn={provider}"],
        }
        t0 = time.monotonic()
        for env_name in ("dev", "prod"):
            backend = f"-backend-config=path={self.root / (env_name + '.tfstate')}"
            init = self._terraform(root, mirror, env_name, ["init", "-input=false", "-no-color", "-reconfigure", backend], mode="w")
            if init != 0:
                raise RuntimeError(f"{env_name}: terraform init exit {init}:\n{(self.root / f'terraform-{env_name}.log').read_text()[-4000:]}")
        procs, offsets = {}, {}
        for env_name in ("dev", "prod"):
            offsets[env_name] = (self.root / f"terraform-{env_name}.log").stat().st_size
            procs[env_name] = self._start_apply(root, mirror, env_name, variables[env_name])
        deadline = time.monotonic() + TERRAFORM_TIMEOUT
        failures = []
        for env_name, proc in procs.items():
            code = _finish(proc, max(1.0, deadline - time.monotonic()))
            if code and self._adopt_created_roles(root, mirror, env_name, variables[env_name], offsets[env_name]):
                code = _finish(self._start_apply(root, mirror, env_name, variables[env_name]), TERRAFORM_TIMEOUT)
            if code is None:
                failures.append(f"{env_name}: terraform did not finish within {TERRAFORM_TIMEOUT} s")
            elif code != 0:
                failures.append(f"{env_name}: terraform exit {code}:\n{(self.root / f'terraform-{env_name}.log').read_text()[-4000:]}")
        self.timings["terraform init (dev, prod) + apply (dev and prod in parallel)"] = time.monotonic() - t0
        if failures:
            raise RuntimeError("\n".join(failures))
        for env_name in ("dev", "prod"):
            self.outputs[env_name] = json.loads((self.root / f"{env_name}.json").read_text())

    def _start(self, root: Path, mirror: Path, env_name: str, argv: list[str], mode: str = "a") -> subprocess.Popen:
        """A process in the env root with the environment's terraform settings, in its own session,
        its output added to the environment's log."""
        with open(self.root / f"terraform-{env_name}.log", mode) as log:
            return subprocess.Popen(
                argv,
                cwd=root,
                env=self.terraform_env(mirror, env_name),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _terraform(self, root: Path, mirror: Path, env_name: str, args: list[str], mode: str = "a") -> int:
        """One terraform command, to its end; its exit status."""
        code = _finish(self._start(root, mirror, env_name, ["terraform", *args], mode), TERRAFORM_TIMEOUT)
        if code is None:
            raise RuntimeError(f"{env_name}: terraform {args[0]} did not finish within {TERRAFORM_TIMEOUT} s")
        return code

    def _start_apply(self, root: Path, mirror: Path, env_name: str, variables: list[str]) -> subprocess.Popen:
        script = (
            f"terraform apply -input=false -no-color -auto-approve -var-file={env_name}.tfvars "
            f"{' '.join(_q(v) for v in variables)} && "
            f"terraform output -json > {_q(str(self.root / (env_name + '.json')))}"
        )
        return self._start(root, mirror, env_name, ["bash", "-c", script])

    def _adopt_created_roles(self, root: Path, mirror: Path, env_name: str, variables: list[str], offset: int) -> bool:
        """After a failed apply: the roles of this environment whose CreateRole was answered 409
        EntityAlreadyExists (a name only this environment uses, so most likely the provider's own
        CreateRole landed and was sent again while moto was slow under two applies) are imported
        into the state, as deployer reads back its own writes that may have landed. True if any was, so the apply can
        run again; each adoption is kept in self.adopted and shown in the report."""
        log_path = self.root / f"terraform-{env_name}.log"
        with open(log_path, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            text = log.read()
        adopted = False
        for name, address in ROLE_EXISTS.findall(text):
            if not name.startswith(f"deployer-{env_name}-"):
                continue  # another environment's role: a real conflict, left to fail
            done = self._terraform(root, mirror, env_name, ["import", "-input=false", "-no-color", f"-var-file={env_name}.tfvars", *variables, address, name])
            if done == 0:
                self.adopted.append(f"{env_name}: {address} ({name})")
                adopted = True
        return adopted

    def resources(self, env_name: str) -> list[str]:
        state = json.loads((self.root / f"{env_name}.tfstate").read_text())
        out = []
        for r in state["resources"]:
            if r["mode"] != "managed":
                continue
            for inst in r["instances"]:
                idx = inst.get("index_key")
                suffix = f"[{json.dumps(idx)}]" if idx is not None else ""
                out.append(f"{r.get('module', '') + '.' if r.get('module') else ''}{r['type']}.{r['name']}{suffix}")
        return out

    def tf(self, env_name: str, name: str):
        return self.outputs[env_name][name]["value"]

    # ------------------------------------------------------------ deployer

    def prepare_deployer(self, wait_seconds: float = 600) -> None:
        """A snapshot of the binary (a rebuild during the test cannot change it) and a work copy of
        deployer.yml (unedited) and the jobs it ships."""
        source = Path(os.environ.get("DEPLOYER_BIN", REPO / ".build/debug/deployer"))
        deadline = time.monotonic() + wait_seconds
        while not (source.is_file() and os.access(source, os.X_OK)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no deployer binary at {source} after {wait_seconds:.0f} s (swift build --product deployer)")
            time.sleep(5)
        self.binary = self.root / "deployer"
        shutil.copy2(source, self.binary)
        self.work = self.root / "work"
        self.work.mkdir()
        shutil.copy2(REPO / "deployer.yml", self.work / "deployer.yml")
        for job in ("sales_etl", "cdc_merge", "common"):
            shutil.copytree(
                REPO / "jobs" / job, self.work / "jobs" / job, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "spark-warehouse")
            )
        self.write_aws_config()

    def write_aws_config(self) -> None:
        aws = self.root / "aws"
        aws.mkdir(exist_ok=True)
        (aws / "credentials").write_text(f"[operator]\naws_access_key_id = {self.operator_key[0]}\naws_secret_access_key = {self.operator_key[1]}\n")
        lines = []
        for env_name in ("dev", "prod"):
            region = self.tf(env_name, "region")
            for role, output in (
                ("deploy", "deploy_role_arn"),
                ("oncall", "oncall_role_arn"),
                ("glue-job", "glue_job_role_arn"),
                ("emr-serverless-job", "emr_serverless_job_role_arn"),
                ("scheduler", "scheduler_role_arn"),
                ("pipeline", "pipeline_role_arn"),
            ):
                lines += [
                    f"[profile {env_name}-{role}]",
                    f"role_arn = {self.tf(env_name, output)}",
                    "source_profile = operator",
                    f"role_session_name = e2e-{env_name}-{role}",
                    f"region = {region}",
                    "",
                ]
        (aws / "config").write_text("\n".join(lines))
        os.chmod(aws / "credentials", 0o600)

    def deployer(
        self,
        args: list[str],
        profile: str | None = None,
        web_identity: tuple[str, str] | None = None,
        manifest: str | None = None,
        env_extra: dict | None = None,
        debug: bool = True,
    ) -> Result:
        """Runs deployer as a role: a shared-config profile (role_arn + source_profile) or web
        identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, as GitHub OIDC sets it up)."""
        env = clean_env(self.root)
        env.update(
            AWS_CONFIG_FILE=str(self.root / "aws/config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.root / "aws/credentials"),
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_CA_BUNDLE=str(self.ca),
            DEPLOYER_VAR_dev_account_id=ACCOUNT,
            DEPLOYER_VAR_prod_account_id=ACCOUNT,
        )
        if profile:
            env["AWS_PROFILE"] = profile
        if web_identity:
            role_arn, sub = web_identity
            token = self.root / f"token-{abs(hash((role_arn, sub)))}"
            token.write_text(github_token(sub))
            env.update(AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_ROLE_ARN=role_arn, AWS_ROLE_SESSION_NAME="github-actions", AWS_REGION="eu-west-1")
        env.update(env_extra or {})
        argv = list(args)
        if manifest:
            argv += ["-f", manifest]
        if debug and argv[0] not in ("validate", "package"):  # the two that never call AWS
            argv.append("--debug")
        proc = subprocess.run(
            [str(self.binary), *argv], cwd=self.work, env=env, capture_output=True, text=True, timeout=DEPLOYER_TIMEOUT, stdin=subprocess.DEVNULL
        )
        stderr = proc.stderr
        calls = sum(1 for line in stderr.splitlines() if line.startswith("> [attempt "))
        self.calls.append((profile or (f"web identity {web_identity[0].split('/')[-1]}" if web_identity else "?"), argv[0], calls))
        # Keep the output readable in assertion messages: drop the per-request debug lines.
        self.last_stderr = stderr
        readable = "\n".join(line for line in stderr.splitlines() if not line.startswith(("> ", "< ", "* ")))
        return Result(argv, proc.returncode, proc.stdout, readable)

    calls: list = field(default_factory=list)

    def role_key(self, profile: str) -> tuple[str, str, str]:
        """Credentials of a profile's role (sts:AssumeRole as the operator), for direct S3 checks."""
        import configparser

        config = configparser.ConfigParser()
        config.read(self.root / "aws/config")
        section = config[f"profile {profile}"]
        c = self.boto("sts", self.operator_key).assume_role(RoleArn=section["role_arn"], RoleSessionName=f"e2e-{profile}-boto3")["Credentials"]
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

    def decisions(self) -> list[dict]:
        if not self.iam_log.exists():
            return []
        return [json.loads(line) for line in self.iam_log.read_text().splitlines() if line.strip()]


def _finish(proc: subprocess.Popen, timeout: float) -> int | None:
    """The process's exit status; None if it ran past `timeout` (its session is then stopped)."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        return None


def _q(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def clean_env(root: Path) -> dict[str, str]:
    """No ambient AWS/Terraform settings, no ~/.aws: HOME is the test's own folder."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "PYENV_ROOT", "PYENV_VERSION")}
    home = root / "home"
    home.mkdir(exist_ok=True)
    keep.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true")
    return keep

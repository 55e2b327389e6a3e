"""End to end: Terraform -> roles -> deployer -> engine, with IAM enforced (issue #15).

One moto_server on 127.0.0.1 (through moto_iam.py: IAM evaluated per resource, PassRole, web
identity), `terraform apply` of terraform/env with dev.tfvars and with prod.tfvars against it with
the provider's per-service endpoints, `terraform output -json` fed to `deployer --tf-outputs` with the repository's
deployer.yml, and deployer signed as the roles Terraform created:

  dev   Glue            deploy role via a shared-config profile (role_arn + source_profile)
  prod  EMR Serverless  deploy role via web identity (a GitHub-shaped token file + AWS_ROLE_ARN)
  both                  on-call role (read-only) via a profile

Negatives must fail with AccessDenied, and deployer's message must name the action and the
resource. At the end the test prints the AWS calls per role and the denied calls it expected,
and checks that moto refused exactly those.

Runs in about two minutes (most of it terraform). Without terraform or the hashicorp/aws
provider mirror it is SKIPPED with the reason (REQUIRE_TF_MIRROR=1 makes that a failure).
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import e2e_system as e2e

ACCOUNT = e2e.ACCOUNT
DEV_SUB = f"repo:{e2e.REPOSITORY}:ref:refs/heads/main"
PROD_SUB = f"repo:{e2e.REPOSITORY}:environment:production"

# Every refusal the test provokes, as (role, action, resource regex). The final test checks that
# moto refused these and nothing else.
EXPECTED_DENIED: list[tuple[str, str, str]] = []


def expect_denied(role: str, action: str, resource: str) -> None:
    EXPECTED_DENIED.append((role, action, resource))


# Refusals that may or may not be reached: plan reads in parallel, and the first refusal
# cancels the reads still in flight, so which of them reach moto depends on timing.
MAY_BE_DENIED: list[tuple[str, str, str]] = []


def may_be_denied(role: str, action: str, resource: str) -> None:
    MAY_BE_DENIED.append((role, action, resource))


# What deployer printed for each refusal (shown at the end).
MESSAGES: list[tuple[str, str]] = []


@pytest.fixture(scope="module")
def sys_():
    why = None
    if shutil.which("terraform") is None:
        why = "terraform is not on PATH"
    mirror = e2e.find_mirror()
    if why is None and mirror is None:
        why = "no hashicorp/aws provider mirror (/opt/tf-plugins, ...; set TF_PLUGIN_MIRROR)"
    if why:
        banner = f"\n{'!' * 72}\n!! e2e SKIPPED - NOT PASSED: {why}\n{'!' * 72}\n"
        os.write(2, banner.encode())
        if os.environ.get("REQUIRE_TF_MIRROR") == "1":
            pytest.fail(why)
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="deployer-e2e."))
    system = e2e.System(root)
    try:
        system.start_moto()
        system.bootstrap()
        system.terraform_apply(mirror)
        system.prepare_deployer()
        yield system
    finally:
        system.stop_moto()
        if os.environ.get("E2E_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)


def role_name(principal: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> NAME; users -> user/NAME."""
    m = re.match(r"arn:aws:sts::\d+:assumed-role/([^/]+)/", principal)
    if m:
        return m.group(1)
    m = re.match(r"arn:aws:iam::\d+:(user/.+)$", principal)
    return m.group(1) if m else principal


def assert_denied(result: e2e.Result, action: str, resource: str) -> None:
    """deployer exits 1 and its message names the principal, the action and the resource."""
    assert result.code == 1, result.all
    text = result.stderr
    MESSAGES.append((" ".join(result.args), text.strip()))
    assert "access denied" in text.lower(), result.all
    assert action in text, f"the message must name the action {action}\n{result.all}"
    assert resource in text, f"the message must name the resource {resource}\n{result.all}"


# ---------------------------------------------------------------- terraform


def test_terraform_applied_the_real_modules(sys_, capsys):
    dev = sys_.resources("dev")
    prod = sys_.resources("prod")
    with capsys.disabled():
        print(
            f"\n[e2e] terraform applied terraform/env with dev.tfvars ({len(dev)} resources) and prod.tfvars "
            f"({len(prod)}) on moto in {sys_.timings['terraform init (dev, prod) + apply (dev and prod in parallel)']:.0f} s"
        )
        for address, why, _, _ in e2e.LEFT_OUT:
            print(f"[e2e] moto gap: {address}: {why}")
        print(f"[e2e] not applied: {e2e.NOT_APPLIED}")
        for role in sys_.adopted:
            print(f"[e2e] CreateRole got 409 for a role of this environment that already existed; imported and applied again: {role}")
    for env_name, resources in (("dev", dev), ("prod", prod)):
        for address in (
            "module.github_oidc.aws_iam_role.deploy",
            "module.github_oidc.aws_iam_role_policy.deploy",
            "module.oncall_role.aws_iam_role.oncall",
            "module.oncall_role.aws_iam_role_policy.oncall",
            "module.job_roles.aws_iam_role.glue[0]",
            "module.emr_serverless.aws_emrserverless_application.this",
            "module.artifact_bucket.aws_s3_bucket_policy.this",
            "aws_kms_key.platform",
        ):
            assert address in resources, f"{env_name}: {address} not in state: {resources}"
    assert "module.github_oidc.aws_iam_openid_connect_provider.github[0]" in dev
    # The roles' permissions in moto are the module's policy documents, byte for byte.
    iam = sys_.boto("iam")
    for env_name in ("dev", "prod"):
        name = sys_.tf(env_name, "deploy_role_arn").split("/")[-1]
        live = iam.get_role_policy(RoleName=name, PolicyName="deployer")["PolicyDocument"]
        passes = {st["Resource"]: st["Condition"]["StringEquals"]["iam:PassedToService"] for st in live["Statement"] if st["Action"] == "iam:PassRole"}
        assert passes == {
            sys_.tf(env_name, "glue_job_role_arn"): "glue.amazonaws.com",
            sys_.tf(env_name, "emr_serverless_job_role_arn"): "emr-serverless.amazonaws.com",
            sys_.tf(env_name, "scheduler_role_arn"): "scheduler.amazonaws.com",
            sys_.tf(env_name, "pipeline_role_arn"): "states.amazonaws.com",
        }, live
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        subs = [s["Condition"]["StringEquals"][f"{e2e.OIDC_HOST}:sub"] for s in trust["Statement"] if "Condition" in s]
        assert subs == [[DEV_SUB] if env_name == "dev" else [PROD_SUB]], trust


def test_the_roles_table_in_the_docs_is_what_terraform_applied(sys_):
    """docs/architecture.md's table comes from the HCL (docs/check_roles.py); here the statements
    it read are compared with the policies Terraform put into IAM, Sid by Sid."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_roles", e2e.REPO / "docs" / "check_roles.py")
    check_roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_roles)
    documented = {p: {st["sid"]: sorted(st["actions"]) for st in v["statements"]} for p, v in check_roles.as_json().items()}
    # only with emr_cluster_arn, not set here; the job image ones only with enable_job_image_repository (prod)
    optional = {
        "EmrClusterSteps",
        "ReadEmrClusterSteps",
        "RunEmrClusterSteps",
        "EmrClusterSyncRule",
        "JobImageRegistryLogin",
        "JobImagePush",
        "EmrServerlessJobImage",
    }
    iam = sys_.boto("iam")

    def inline(role: str, name: str) -> list:
        return iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]["Statement"]

    def attached(role: str) -> list:
        out = []
        for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
            doc = iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
            out += json.loads(doc)["Statement"] if isinstance(doc, str) else doc["Statement"]
        return out

    for env_name in ("dev", "prod"):
        p = f"deployer-{env_name}"
        live = {
            "deploy role (`deploy_role_arn`)": inline(f"{p}-deploy", "deployer"),
            "on-call role (`oncall_role_arn`)": inline(f"{p}-oncall", "deployer-read-only"),
            "Glue job role (`glue_job_role_arn`)": attached(f"{p}-glue-job") + inline(f"{p}-glue-job", "glue-logs"),
            "EMR Serverless job role (`emr_serverless_job_role_arn`)": attached(f"{p}-emr-serverless-job"),
            "scheduler role (`scheduler_role_arn`)": inline(f"{p}-scheduler", "start-scheduled-runs"),
            "pipeline role (`pipeline_role_arn`)": inline(f"{p}-pipeline", "run-pipeline-steps"),
        }
        assert set(live) == set(documented), sorted(documented)
        for principal, statements in live.items():
            got = {st["Sid"]: sorted(st["Action"] if isinstance(st["Action"], list) else [st["Action"]]) for st in statements}
            want = documented[principal]
            assert {k: v for k, v in want.items() if k in got} == got, f"{env_name} {principal}: IAM has {got}, the docs say {want}"
            assert set(want) - set(got) <= optional, f"{env_name} {principal}: documented but not applied: {set(want) - set(got)}"


# ---------------------------------------------------------------- dev: Glue, deploy role through a profile


def test_dev_glue_flow_as_the_deploy_role(sys_):
    d = lambda *a, **k: sys_.deployer([*a, "-t", "dev", "--tf-outputs", str(sys_.root / "dev.json")], profile="dev-deploy", **k)  # noqa: E731
    who = sys_.deployer(["whoami"], profile="dev-deploy")
    assert who.code == 0, who.all
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer-dev-deploy/" in who.stdout, who.all

    assert (r := d("validate")).code == 0, r.all
    doctor = d("doctor")
    print(doctor.all)
    plan = d("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.all
    assert "+ create job deployer-dev-sales_etl" in plan.stdout, plan.all
    apply = d("apply", "--auto-approve")
    assert apply.code == 0, apply.all
    assert "Applied: deployment" in apply.stdout, apply.all
    assert "+ dependencies sales_etl " in apply.stdout, apply.all
    # The job carries its own PyYAML: the wheel beside the artifact, installed by Glue's pip
    # without an index (Glue job parameters as AWS documents them).
    glue = sys_.boto("glue", region=sys_.tf("dev", "region"))
    arguments = glue.get_job(JobName="deployer-dev-sales_etl")["Job"]["DefaultArguments"]
    wheel = arguments["--additional-python-modules"]
    assert wheel.startswith("s3://") and "/dependencies/" in wheel and wheel.endswith(".whl") and "PyYAML-6.0.2-cp311-cp311-manylinux" in wheel, arguments
    assert arguments["--python-modules-installer-option"] == "--no-index --no-deps", arguments
    assert arguments["--extra-py-files"].endswith("/code.zip"), arguments  # PyYAML is its only package: no deps.zip
    bucket, key = wheel[len("s3://") :].split("/", 1)
    assert sys_.boto("s3", region=sys_.tf("dev", "region")).head_object(Bucket=bucket, Key=key)["ContentLength"] > 100_000
    again = d("plan", "--detailed-exitcode")
    assert again.code == 0, again.all
    assert "= dependencies sales_etl " in again.stdout, again.all
    run = d("run", "sales_etl", "--wait", "--timeout", "2m", "--json")
    assert run.code == 0, run.all
    assert json.loads(run.stdout)["state"] == "succeeded", run.all
    status = d("status", "--json")
    assert status.code == 0, status.all
    jobs = {j["job"]: j for j in json.loads(status.stdout)["jobs"]}
    assert jobs["sales_etl"]["deployment"]["by"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer-dev-deploy/"), status.all
    assert jobs["sales_etl"]["runs"][0]["state"] == "succeeded", status.all


# ---------------------------------------------------------------- prod: EMR Serverless, deploy role through web identity


def prod(sys_, *args, sub: str = PROD_SUB, role_output: str = "deploy_role_arn"):
    """deployer as GitHub's deploy job would run it: a token file and AWS_ROLE_ARN."""
    return sys_.deployer([*args, "-t", "prod", "--tf-outputs", str(sys_.root / "prod.json")], web_identity=(sys_.tf("prod", role_output), sub))


def test_prod_emr_serverless_flow_with_rollback_through_web_identity(sys_):
    who = sys_.deployer(["whoami"], web_identity=(sys_.tf("prod", "deploy_role_arn"), PROD_SUB))
    assert who.code == 0, who.all
    assert "assumed-role/deployer-prod-deploy/" in who.stdout and "web identity" in who.stdout, who.all
    assert (r := prod(sys_, "validate")).code == 0, r.all
    doctor = prod(sys_, "doctor")
    assert doctor.code == 0, doctor.all
    assert "✓ engine" in doctor.stdout and "✓ lock" in doctor.stdout, doctor.all
    first = prod(sys_, "apply", "--auto-approve")
    assert first.code == 0, first.all
    plan = prod(sys_, "plan", "--json")
    definition = json.loads(plan.stdout)["plan"]["jobs"][1]["desired"]
    parameters = definition["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"]
    # EMR 7 runs CPython 3.9: PyYAML's cp39 build, unpacked as ./deps beside driver and executors.
    assert "--conf spark.archives=s3://" in parameters and "/site-packages.zip#deps" in parameters, parameters
    assert "spark.emr-serverless.driverEnv.PYTHONPATH=./deps" in parameters and "spark.executorEnv.PYTHONPATH=./deps" in parameters, parameters
    assert len(definition["dependencies"]) == 64, definition
    run = prod(sys_, "run", "sales_etl", "--wait", "--timeout", "2m", "--json")
    assert run.code == 0, run.all
    assert json.loads(run.stdout)["handle"].startswith("emr-serverless:prod:sales_etl:"), run.all

    (sys_.work / "jobs/sales_etl/main.py").open("a").write("\n# version two (e2e)\n")
    second = prod(sys_, "apply", "--auto-approve")
    assert second.code == 0, second.all
    assert "~ update job deployer-prod-sales_etl" in second.stdout, second.all
    history = prod(sys_, "deployments", "--json")
    assert history.code == 0, history.all
    listed = json.loads(history.stdout)
    assert listed["version"] == 1, history.all
    records = listed["deployments"]
    assert len(records) == 2, history.all
    oldest = records[-1]
    assert oldest["by"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer-prod-deploy/"), oldest
    back = prod(sys_, "rollback", "--to", oldest["id"], "--auto-approve")
    assert back.code == 0, back.all
    assert "Rolled back" in back.stdout, back.all
    status = prod(sys_, "status", "sales_etl", "--json")
    assert status.code == 0, status.all
    deployment = json.loads(status.stdout)["jobs"][0]["deployment"]
    assert deployment["artifact"] == oldest["artifacts"]["sales_etl"], status.all
    after = prod(sys_, "plan", "--detailed-exitcode")
    assert after.code == 2, after.all  # the manifest (version two) differs from what is deployed


def test_web_identity_trust_is_exact(sys_):
    """The deploy roles trust exactly one GitHub subject each: a pull request, or dev's main branch
    asking for the prod role, is refused by STS (the trust policy), before any AWS call."""
    for role_env, sub in (("dev", f"repo:{e2e.REPOSITORY}:pull_request"), ("prod", DEV_SUB), ("dev", "repo:someone-else/deployer:ref:refs/heads/main")):
        r = sys_.deployer(["whoami"], web_identity=(sys_.tf(role_env, "deploy_role_arn"), sub))
        assert r.code == 1, r.all
        assert "AssumeRoleWithWebIdentity" in r.stdout + r.stderr, r.all
        expect_denied(f"web-identity:deployer-{role_env}-deploy", "sts:AssumeRoleWithWebIdentity", re.escape(sys_.tf(role_env, "deploy_role_arn")))
    ok = sys_.deployer(["whoami"], web_identity=(sys_.tf("dev", "deploy_role_arn"), DEV_SUB))
    assert ok.code == 0 and "assumed-role/deployer-dev-deploy/" in ok.stdout, ok.all


# ---------------------------------------------------------------- on-call: read-only


def test_oncall_reads_status_runs_and_logs(sys_):
    for env_name in ("dev", "prod"):

        def o(*a, env_name=env_name):
            return sys_.deployer([*a, "-t", env_name, "--tf-outputs", str(sys_.root / f"{env_name}.json")], profile=f"{env_name}-oncall")

        who = sys_.deployer(["whoami"], profile=f"{env_name}-oncall")
        assert f"assumed-role/deployer-{env_name}-oncall/" in who.stdout, who.all
        status = o("status", "--json")
        assert status.code == 0, status.all
        jobs = {j["job"]: j for j in json.loads(status.stdout)["jobs"]}
        assert jobs["sales_etl"]["deployment"] and jobs["sales_etl"]["runs"], status.all
        assert (r := o("runs")).code == 0, r.all
        assert (r := o("deployments")).code == 0, r.all
        run_id = jobs["sales_etl"]["runs"][0]["id"]
        assert (r := o("status", "sales_etl", "--run", run_id)).code == 0, r.all
        logs = o("logs", "sales_etl", "--run", run_id)
        assert "access denied" not in (logs.stdout + logs.stderr).lower(), logs.all

    # The data: sales_etl's run records in each environment's lake (as the job writes them), read
    # by its on-call role with its read-only grant, on Glue (dev) and EMR Serverless (prod). Dev's
    # last run has 60% fewer rows; prod's last run also wrote an empty table: anomalies (exit 2).
    s3 = sys_.boto("s3")
    now = time.time()
    planted = {
        "dev": ([1000, 1010, 400], [None, None, None], ["rows_changed"]),
        "prod": ([1000, 1010, 400], [5, 6, 0], ["empty_table", "rows_changed"]),
    }
    for env_name, (fact_rows, summary_rows, kinds) in planted.items():
        lake = sys_.tf(env_name, "data_bucket")
        for index, run in enumerate(("e2e-1", "e2e-2", "e2e-3")):
            published = datetime.datetime.fromtimestamp(now - (3 - index) * 3600, datetime.timezone.utc).isoformat()
            tables = {"fact_sales": {"rows": fact_rows[index]}}
            if summary_rows[index] is not None:
                tables["monthly_sales_summary"] = {"rows": summary_rows[index]}
            record = {"job": "sales_etl", "run_id": run, "status": "succeeded", "published_at": published, "tables": tables}
            s3.put_object(Bucket=lake, Key=f"curated/sales_etl/_runs/{run}.json", Body=json.dumps(record).encode())

        def o(*a, env_name=env_name):
            return sys_.deployer([*a, "-t", env_name, "--tf-outputs", str(sys_.root / f"{env_name}.json")], profile=f"{env_name}-oncall")

        status = o("status", "sales_etl", "--json")
        assert status.code == 0, status.all
        data = json.loads(status.stdout)["jobs"][0]["data"]
        assert data["error"] is None and [r["run_id"] for r in data["runs"]] == ["e2e-3", "e2e-2", "e2e-1"], status.all
        assert data["runs"][0]["tables"]["fact_sales"] == 400, status.all
        assert sorted(a["kind"] for a in data["anomalies"]) == kinds, status.all
        if env_name == "prod":
            assert [a["table"] for a in data["anomalies"] if a["kind"] == "empty_table"] == ["monthly_sales_summary"], status.all
        text = o("status", "sales_etl")
        assert "fact_sales 400" in text.stdout and "  ! " in text.stdout, text.all
        assert (r := o("status", "sales_etl", "--detailed-exitcode")).code == 2, r.all
        # ... and nothing of the tables themselves.
        s3.put_object(Bucket=lake, Key="curated/sales_etl/fact_sales/e2e-3/part-0.parquet", Body=b"PAR1")
        oncall_s3 = sys_.boto("s3", sys_.role_key(f"{env_name}-oncall"))
        with pytest.raises(Exception, match="AccessDenied"):
            oncall_s3.get_object(Bucket=lake, Key="curated/sales_etl/fact_sales/e2e-3/part-0.parquet")
        expect_denied(f"deployer-{env_name}-oncall", "s3:GetObject", re.escape(f"arn:aws:s3:::{lake}/curated/sales_etl/fact_sales/e2e-3/part-0.parquet"))


def test_oncall_may_not_apply_or_run(sys_):
    o = lambda *a: sys_.deployer([*a, "-t", "dev", "--tf-outputs", str(sys_.root / "dev.json")], profile="dev-oncall")  # noqa: E731
    apply = o("apply", "--auto-approve")
    assert apply.code == 1, apply.all
    MESSAGES.append((" ".join(apply.args) + "  [on-call]", apply.stderr.strip()))
    assert "access denied" in apply.stderr and "assumed-role/deployer-dev-oncall/" in apply.stderr, apply.all
    m = re.search(r"may not (\S+) on (\S+)", apply.stderr)
    assert m, f"the message must name the action and the resource\n{apply.all}"
    expect_denied("deployer-dev-oncall", m.group(1), re.escape(m.group(2)))
    # What plan reads on the way that the on-call role may not (artifact and dependency bundle
    # objects, schedules): read in parallel, so which are reached before the first refusal
    # cancels the rest depends on timing.
    may_be_denied("deployer-dev-oncall", "s3:GetObject", r"arn:aws:s3:::deployer-dev-\d+-artifacts/deployer/artifacts/.*")
    may_be_denied("deployer-dev-oncall", "s3:GetObject", r"arn:aws:s3:::deployer-dev-\d+-artifacts/deployer/dependencies/.*")
    may_be_denied("deployer-dev-oncall", "scheduler:GetSchedule", r"arn:aws:scheduler:.*:schedule/default/deployer-.*")
    run = o("run", "sales_etl")
    job = f"arn:aws:glue:{sys_.tf('dev', 'region')}:{ACCOUNT}:job/deployer-dev-sales_etl"
    assert_denied(run, "glue:StartJobRun", job)
    expect_denied("deployer-dev-oncall", "glue:StartJobRun", re.escape(job))


# ---------------------------------------------------------------- the deploy role may do nothing more

NEGATIVE_MANIFEST = """# e2e negatives: targets that ask the dev deploy role for more than Terraform gave it.
project: deployer
targets:
  # dev's deploy role, dev's jobs, but prod's artifact bucket.
  dev-into-prod:
    engine: glue
    region: ${tf.region}
    account_ids: ["%(account)s"]
    artifacts: {bucket: "${var.prod_artifact_bucket}", prefix: "${tf.artifact_prefix}"}
    role_arn: ${tf.glue_job_role_arn}
  # a job role other than the one Terraform made for jobs: the deploy role itself.
  dev-other-role:
    engine: glue
    region: ${tf.region}
    account_ids: ["%(account)s"]
    artifacts: {bucket: "${tf.artifact_bucket}", prefix: "${tf.artifact_prefix}"}
    role_arn: ${tf.deploy_role_arn}
  # the EMR Serverless job role handed to Glue (iam:PassedToService glue.amazonaws.com).
  dev-emr-role-to-glue:
    engine: glue
    region: ${tf.region}
    account_ids: ["%(account)s"]
    artifacts: {bucket: "${tf.artifact_bucket}", prefix: "${tf.artifact_prefix}"}
    role_arn: ${tf.emr_serverless_job_role_arn}
  # deployer's prefix moved into the artifacts: releasing the lock means deleting an object there.
  dev-artifacts:
    engine: glue
    region: ${tf.region}
    account_ids: ["%(account)s"]
    artifacts: {bucket: "${tf.artifact_bucket}", prefix: "${tf.artifact_prefix}/artifacts/sales_etl"}
    role_arn: ${tf.glue_job_role_arn}
jobs:
  sales_etl:
    source: jobs/sales_etl
    arguments: {--as_of: "2021-06-30"}
"""


def negative(sys_, target: str, *args):
    manifest = sys_.work / "e2e-negatives.yml"
    if not manifest.exists():
        manifest.write_text(NEGATIVE_MANIFEST % {"account": ACCOUNT})
    return sys_.deployer(
        [*args, "-t", target, "--tf-outputs", str(sys_.root / "dev.json"), "--var", f"prod_artifact_bucket={sys_.tf('prod', 'artifact_bucket')}"],
        profile="dev-deploy",
        manifest=str(manifest),
    )


def test_dev_deploy_role_may_not_write_to_the_prod_artifact_bucket(sys_):
    bucket = sys_.tf("prod", "artifact_bucket")
    r = negative(sys_, "dev-into-prod", "apply", "--auto-approve")
    assert_denied(r, "s3:", f"arn:aws:s3:::{bucket}/")
    m = re.search(r"may not (\S+) on (\S+)", r.stderr)
    expect_denied("deployer-dev-deploy", m.group(1), re.escape(m.group(2)))
    # And the write itself, straight at S3 with the same role's credentials:
    key = f"{sys_.tf('prod', 'artifact_prefix')}/artifacts/sales_etl/e2e/main.py"
    with pytest.raises(Exception) as denied:
        sys_.boto("s3", sys_.role_key("dev-deploy"), region=sys_.tf("prod", "region")).put_object(Bucket=bucket, Key=key, Body=b"print('x')")
    assert "AccessDenied" in str(denied.value)
    expect_denied("deployer-dev-deploy", "s3:PutObject", re.escape(f"arn:aws:s3:::{bucket}/{key}"))


def test_dev_deploy_role_may_pass_only_the_job_roles(sys_):
    deploy_role = sys_.tf("dev", "deploy_role_arn")
    r = negative(sys_, "dev-other-role", "apply", "--auto-approve")
    assert_denied(r, "iam:PassRole", deploy_role)
    expect_denied("deployer-dev-deploy", "iam:PassRole", re.escape(deploy_role))


def test_dev_deploy_role_may_not_delete_artifacts(sys_):
    bucket = sys_.tf("dev", "artifact_bucket")
    lock = f"arn:aws:s3:::{bucket}/deployer/artifacts/sales_etl/locks/dev-artifacts.json"
    latest = f"arn:aws:s3:::{bucket}/deployer/artifacts/sales_etl/deployments/dev-artifacts/latest.json"
    r = negative(sys_, "dev-artifacts", "apply", "--auto-approve")
    # Under artifacts/ every write must be a new object (If-None-Match): the lock is taken and the
    # artifacts and the record are written, but latest.json, rewritten by every apply, is refused...
    assert_denied(r, "s3:PutObject", latest)
    expect_denied("deployer-dev-deploy", "s3:PutObject", re.escape(latest))
    # ...and so is releasing the lock on the way out, a DeleteObject there.
    expect_denied("deployer-dev-deploy", "s3:DeleteObject", re.escape(lock))
    # A real artifact, straight at S3: the deploy role can write artifacts but never delete one.
    s3 = sys_.boto("s3", sys_.role_key("dev-deploy"), region=sys_.tf("dev", "region"))
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="deployer/artifacts/sales_etl/")["Contents"] if o["Key"].endswith("/main.py"))
    with pytest.raises(Exception) as denied:
        s3.delete_object(Bucket=bucket, Key=key)
    assert "AccessDenied" in str(denied.value)
    expect_denied("deployer-dev-deploy", "s3:DeleteObject", re.escape(f"arn:aws:s3:::{bucket}/{key}"))


def outcome(call, **kwargs) -> str:
    """ "allowed", "AccessDenied", or the error code the call met instead (moto answers the JSON
    services' refusals as XML, which botocore reports with the HTTP status as the code)."""
    from botocore.exceptions import ClientError

    try:
        call(**kwargs)
        return "allowed"
    except ClientError as e:
        error = e.response.get("Error", {})
        return "AccessDenied" if "AccessDenied" in f"{error.get('Code')} {error.get('Message')}" else str(error.get("Code"))


def stored_artifact(s3, bucket: str, prefix: str, job: str = "sales_etl") -> str:
    """The key of a file of one of the target's artifacts: PREFIX/artifacts/JOB/DIGEST/main.py."""
    pattern = re.compile(re.escape(f"{prefix}/artifacts/{job}/") + r"[0-9a-f]{64}/main\.py")
    return next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/artifacts/{job}/")["Contents"] if pattern.fullmatch(o["Key"]))


def stored_bundle(s3, bucket: str, prefix: str) -> str:
    """The key of a dependency bundle's SHA256SUMS: PREFIX/dependencies/DIGEST/SHA256SUMS."""
    pattern = re.compile(re.escape(f"{prefix}/dependencies/") + r"[0-9a-f]{64}/SHA256SUMS")
    return next(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/dependencies/")["Contents"] if pattern.fullmatch(o["Key"]))


def schedule_name(engine_job_name: str) -> str:
    """Automation.resourceName: deployer names a job's schedule deployer-ENGINE_JOB_NAME and its
    alert rule deployer-ENGINE_JOB_NAME-alerts (ENGINE_JOB_NAME is PROJECT-TARGET-JOB)."""
    assert len("deployer-" + engine_job_name) <= 64
    return "deployer-" + engine_job_name


def test_dev_deploy_role_may_not_touch_prod_or_other_projects_schedules(sys_):
    """Issue 22: the deploy role's schedules are this environment's (deployer-deployer-dev-*), not
    every deployer-* schedule of the account: prod's (same account) and another project's are refused."""
    region = sys_.tf("dev", "region")
    admin = sys_.boto("scheduler", region=region)
    scheduler = sys_.boto("scheduler", sys_.role_key("dev-deploy"), region=region)
    prod_schedule = schedule_name("deployer-prod-nightly")
    before = admin.get_schedule(Name=prod_schedule)  # made by prod's apply (pipeline nightly is scheduled)
    # dev's own schedule stays readable (apply and plan manage it: the dev flow).
    assert outcome(scheduler.get_schedule, Name=schedule_name("deployer-dev-nightly")) == "allowed"
    dev_target = {"Arn": f"arn:aws:glue:{region}:{ACCOUNT}:job/deployer-dev-sales_etl", "RoleArn": sys_.tf("dev", "scheduler_role_arn")}
    other = schedule_name("acme-dev-nightly")  # another project's job in the same account
    calls = {
        f"GetSchedule {prod_schedule}": (scheduler.get_schedule, {"Name": prod_schedule}),
        f"UpdateSchedule {prod_schedule}": (
            scheduler.update_schedule,
            {"Name": prod_schedule, "ScheduleExpression": "rate(1 minute)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": dev_target},
        ),
        f"DeleteSchedule {prod_schedule}": (scheduler.delete_schedule, {"Name": prod_schedule}),
        f"CreateSchedule {other}": (
            scheduler.create_schedule,
            {"Name": other, "ScheduleExpression": "rate(1 day)", "FlexibleTimeWindow": {"Mode": "OFF"}, "Target": dev_target},
        ),
        f"DeleteSchedule {other}": (scheduler.delete_schedule, {"Name": other}),
    }
    got = {what: outcome(call, **kwargs) for what, (call, kwargs) in calls.items()}
    assert set(got.values()) == {"AccessDenied"}, f"the dev deploy role reached schedules that are not dev's: {got}"
    after = admin.get_schedule(Name=prod_schedule)
    assert (after["ScheduleExpression"], after["Target"]["Arn"]) == (before["ScheduleExpression"], before["Target"]["Arn"]), after
    assert before["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:sfn:startExecution", before
    for what in got:
        action, name = what.split(" ")
        expect_denied("deployer-dev-deploy", f"scheduler:{action}", re.escape(f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/default/{name}"))


def test_dev_deploy_role_may_not_touch_prod_or_other_projects_alert_rules(sys_):
    """Issue 22: the alert rules likewise (deployer-deployer-dev-*): dev's role can neither read,
    redirect nor delete prod's failure alerts."""
    region = sys_.tf("dev", "region")
    admin = sys_.boto("events", region=region)
    events = sys_.boto("events", sys_.role_key("dev-deploy"), region=region)
    prod_rule = schedule_name("deployer-prod-sales_etl") + "-alerts"
    prod_topic = f"arn:aws:sns:{region}:{ACCOUNT}:deployer-prod-job-alerts"
    dev_topic = f"arn:aws:sns:{region}:{ACCOUNT}:deployer-dev-job-alerts"
    pattern = json.dumps({"source": ["aws.emr-serverless"], "detail-type": ["EMR Serverless Job Run State Change"]})
    # prod's alert rule, as a prod apply with `notify:` makes it.
    admin.put_rule(Name=prod_rule, EventPattern=pattern, Description="Managed by deployer: failed runs of deployer-prod-sales_etl to SNS")
    admin.put_targets(Rule=prod_rule, Targets=[{"Id": "sns", "Arn": prod_topic}])
    # dev's own names stay dev's to manage (none exists: no job of deployer.yml has notify:).
    assert outcome(events.describe_rule, Name=schedule_name("deployer-dev-sales_etl") + "-alerts") == "ResourceNotFoundException"
    other = schedule_name("acme-dev-nightly") + "-alerts"
    calls = {
        f"DescribeRule {prod_rule}": (events.describe_rule, {"Name": prod_rule}),
        f"PutRule {prod_rule}": (events.put_rule, {"Name": prod_rule, "EventPattern": pattern}),
        f"PutTargets {prod_rule}": (events.put_targets, {"Rule": prod_rule, "Targets": [{"Id": "sns", "Arn": dev_topic}]}),
        f"RemoveTargets {prod_rule}": (events.remove_targets, {"Rule": prod_rule, "Ids": ["sns"]}),
        f"DeleteRule {prod_rule}": (events.delete_rule, {"Name": prod_rule}),
        f"PutRule {other}": (events.put_rule, {"Name": other, "EventPattern": pattern}),
    }
    got = {what: outcome(call, **kwargs) for what, (call, kwargs) in calls.items()}
    assert set(got.values()) == {"AccessDenied"}, f"the dev deploy role reached alert rules that are not dev's: {got}"
    assert [t["Arn"] for t in admin.list_targets_by_rule(Rule=prod_rule)["Targets"]] == [prod_topic]
    for what in got:
        action, name = what.split(" ")
        expect_denied("deployer-dev-deploy", f"events:{action}", re.escape(f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"))


def test_pipelines_deployed_started_and_read_each_by_its_own_role(sys_):
    """Issue 23: each environment's apply (the flows above, as its deploy role) made pipeline
    nightly a state machine running as that environment's pipeline role. The scheduler role
    starts its own environment's with the schedule's own input and not the other's; the on-call
    role reads executions and their history but starts none; dev's deploy role cannot read,
    change or delete prod's state machine."""
    machines = {}
    for env_name in ("dev", "prod"):
        region = sys_.tf(env_name, "region")
        arn = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:deployer-{env_name}-nightly"
        described = sys_.boto("stepfunctions", region=region).describe_state_machine(stateMachineArn=arn)
        assert described["roleArn"] == sys_.tf(env_name, "pipeline_role_arn"), described
        assert "cdc_merge" in described["definition"] and "sales_etl" in described["definition"], described["definition"]
        machines[env_name] = arn
    region = sys_.tf("dev", "region")
    schedule = sys_.boto("scheduler", region=region).get_schedule(Name=schedule_name("deployer-dev-nightly"))
    fired = json.loads(schedule["Target"]["Input"])
    assert fired["StateMachineArn"] == machines["dev"], fired
    scheduler = sys_.boto("stepfunctions", sys_.role_key("dev-scheduler"), region=region)
    started = scheduler.start_execution(stateMachineArn=fired["StateMachineArn"], name="e2e-firing-1", input=fired["Input"])
    assert started["executionArn"].endswith(":deployer-dev-nightly:e2e-firing-1"), started
    oncall = sys_.boto("stepfunctions", sys_.role_key("dev-oncall"), region=region)
    reads = {
        "DescribeExecution": outcome(oncall.describe_execution, executionArn=started["executionArn"]),
        "GetExecutionHistory": outcome(oncall.get_execution_history, executionArn=started["executionArn"]),
        "ListExecutions": outcome(oncall.list_executions, stateMachineArn=machines["dev"]),
    }
    assert set(reads.values()) == {"allowed"}, f"on call cannot read the pipeline's executions: {reads}"
    deploy = sys_.boto("stepfunctions", sys_.role_key("dev-deploy"), region=region)
    refused = {
        "dev scheduler StartExecution prod": outcome(scheduler.start_execution, stateMachineArn=machines["prod"], name="e2e-cross", input="{}"),
        "dev oncall StartExecution dev": outcome(oncall.start_execution, stateMachineArn=machines["dev"], name="e2e-oncall", input="{}"),
        "dev deploy DescribeStateMachine prod": outcome(deploy.describe_state_machine, stateMachineArn=machines["prod"]),
        "dev deploy UpdateStateMachine prod": outcome(deploy.update_state_machine, stateMachineArn=machines["prod"], definition=described["definition"]),
        "dev deploy DeleteStateMachine prod": outcome(deploy.delete_state_machine, stateMachineArn=machines["prod"]),
    }
    assert set(refused.values()) == {"AccessDenied"}, f"a role reached a state machine that is not its own: {refused}"
    assert sys_.boto("stepfunctions", region=sys_.tf("prod", "region")).describe_state_machine(stateMachineArn=machines["prod"])["status"] == "ACTIVE"
    expect_denied("deployer-dev-scheduler", "states:StartExecution", re.escape(machines["prod"]))
    expect_denied("deployer-dev-oncall", "states:StartExecution", re.escape(machines["dev"]))
    for action in ("DescribeStateMachine", "UpdateStateMachine", "DeleteStateMachine"):
        expect_denied("deployer-dev-deploy", f"states:{action}", re.escape(machines["prod"]))


def test_dev_deploy_role_deploys_personal_development_copies(sys_):
    """Issue 26: `mode: development` as dev's deploy role with IAM enforced. Alice's and Bob's
    copies of the whole manifest (jobs, schedules, alerts, the nightly state machine, records,
    locks) fit the role's existing deployer-dev-* grants; schedules stay paused; outputs are
    their own; `deployments --stale` lists both; each destroy removes only its own copy."""
    text = (sys_.work / "deployer.yml").read_text()
    changed = text.replace("  dev:\n    engine: glue\n", "  dev:\n    engine: glue\n    mode: development\n", 1)
    assert changed != text, "deployer.yml's dev target moved: update this test"
    (sys_.work / "deployer-devmode.yml").write_text(changed)

    def d(*a):
        return sys_.deployer([*a, "-t", "dev", "--tf-outputs", str(sys_.root / "dev.json")], profile="dev-deploy", manifest="deployer-devmode.yml")

    region = sys_.tf("dev", "region")
    glue = sys_.boto("glue", region=region)
    scheduler = sys_.boto("scheduler", region=region)
    sfn = sys_.boto("stepfunctions", region=region)
    for who in ("alice", "bob"):
        applied = d("apply", "--as", who, "--auto-approve")
        assert applied.code == 0, applied.all
        job = glue.get_job(JobName=f"deployer-dev-{who}-sales_etl")["Job"]
        assert job["DefaultArguments"]["--output_path"].endswith(f"/_dev/{who}"), job["DefaultArguments"]
        # The nightly pipeline's schedule: paused whatever the manifest says.
        assert scheduler.get_schedule(Name=schedule_name(f"deployer-dev-{who}-nightly"))["State"] == "DISABLED"
        machine = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:deployer-dev-{who}-nightly"
        assert f"deployer-dev-{who}-cdc_merge" in sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    time.sleep(2)
    stale = d("deployments", "--stale", "1s", "--json")
    assert stale.code == 0, stale.all
    assert sorted(r["developer"] for r in json.loads(stale.stdout)["stale"]) == ["alice", "bob"], stale.all
    gone = d("destroy", "--as", "bob", "--auto-approve")
    assert gone.code == 0, gone.all
    assert outcome(glue.get_job, JobName="deployer-dev-bob-sales_etl") == "EntityNotFoundException"
    assert glue.get_job(JobName="deployer-dev-alice-sales_etl")["Job"]["Name"] == "deployer-dev-alice-sales_etl"
    assert glue.get_job(JobName="deployer-dev-sales_etl")["Job"]["Name"] == "deployer-dev-sales_etl", "the shared dev deployment stays"
    cleaned = d("deployments", "--stale", "1s", "--clean", "--auto-approve")
    assert cleaned.code == 0 and "destroyed alice's deployment" in cleaned.stdout, cleaned.all
    assert outcome(glue.get_job, JobName="deployer-dev-alice-sales_etl") == "EntityNotFoundException"


def test_dev_deploy_role_passes_each_job_role_only_to_its_own_service(sys_):
    """Issue 22: iam:PassRole per job role and service: the EMR Serverless job role cannot be
    given to a Glue job, nor the Glue job role to an EMR Serverless run."""
    emr_role, glue_role = sys_.tf("dev", "emr_serverless_job_role_arn"), sys_.tf("dev", "glue_job_role_arn")
    # deployer creating a Glue job that runs as the EMR Serverless job role...
    r = negative(sys_, "dev-emr-role-to-glue", "apply", "--auto-approve")
    # ...and an EMR Serverless run as the Glue job role, straight at the API.
    bucket, prefix = sys_.tf("dev", "artifact_bucket"), sys_.tf("dev", "artifact_prefix")
    emr = sys_.boto("emr-serverless", sys_.role_key("dev-deploy"), region=sys_.tf("dev", "region"))
    got = outcome(
        emr.start_job_run,
        applicationId=sys_.tf("dev", "emr_serverless_application_id"),
        executionRoleArn=glue_role,
        clientToken="e2e-glue-role-to-emr-serverless",
        name="e2e-glue-role-to-emr-serverless",
        jobDriver={"sparkSubmit": {"entryPoint": f"s3://{bucket}/{prefix}/artifacts/sales_etl/main.py"}},
    )
    assert (r.code, got) == (1, "AccessDenied"), (
        f"glue:CreateJob with the EMR Serverless job role: exit {r.code}; emr-serverless:StartJobRun with the Glue job role: {got}\n{r.all}"
    )
    assert_denied(r, "iam:PassRole", emr_role)
    expect_denied("deployer-dev-deploy", "iam:PassRole", re.escape(emr_role))
    expect_denied("deployer-dev-deploy", "iam:PassRole", re.escape(glue_role))


def test_dev_deploy_role_writes_artifacts_only_if_absent(sys_):
    """Issue 22: artifacts and dependency bundles are immutable: the deploy role may create them
    (If-None-Match: *, on PutObject and on CompleteMultipartUpload) but not overwrite one.
    Records, locks and latest.json stay writable as before (the flows above write them)."""
    from botocore.exceptions import ClientError

    bucket, prefix = sys_.tf("dev", "artifact_bucket"), sys_.tf("dev", "artifact_prefix")
    admin = sys_.boto("s3", region=sys_.tf("dev", "region"))
    s3 = sys_.boto("s3", sys_.role_key("dev-deploy"), region=sys_.tf("dev", "region"))
    artifact, bundle = stored_artifact(admin, bucket, prefix), stored_bundle(admin, bucket, prefix)
    original = {k: admin.get_object(Bucket=bucket, Key=k)["Body"].read() for k in (artifact, bundle)}
    # The same bytes again, so that a policy that lets it through changes nothing but this test's verdict.
    got = {f"PutObject {k}": outcome(s3.put_object, Bucket=bucket, Key=k, Body=original[k]) for k in (artifact, bundle)}
    upload = s3.create_multipart_upload(Bucket=bucket, Key=artifact)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=artifact, UploadId=upload, PartNumber=1, Body=original[artifact])["ETag"]
    got[f"CompleteMultipartUpload {artifact}"] = outcome(
        s3.complete_multipart_upload, Bucket=bucket, Key=artifact, UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    outcome(s3.abort_multipart_upload, Bucket=bucket, Key=artifact, UploadId=upload)  # gone if it completed
    assert set(got.values()) == {"AccessDenied"}, f"the deploy role overwrote an immutable object: {got}"
    for what in got:
        expect_denied("deployer-dev-deploy", "s3:PutObject", re.escape(f"arn:aws:s3:::{bucket}/{what.split(' ')[1]}"))
    # With If-None-Match the write is the deploy role's to make: S3, not IAM, refuses an existing key...
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key=artifact, Body=b"print('x')", IfNoneMatch="*")
    assert exists.value.response["Error"]["Code"] == "PreconditionFailed", exists.value.response
    assert {k: admin.get_object(Bucket=bucket, Key=k)["Body"].read() for k in original} == original
    # ...and a new key is created, in one PUT or as a multipart upload completed with If-None-Match.
    fresh = f"{prefix}/artifacts/e2e_immutable/{os.getpid()}"
    s3.put_object(Bucket=bucket, Key=fresh + "/main.py", Body=b"print('x')", IfNoneMatch="*")
    upload = s3.create_multipart_upload(Bucket=bucket, Key=fresh + "/code.zip")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key=fresh + "/code.zip", UploadId=upload, PartNumber=1, Body=b"zip")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key=fresh + "/code.zip", UploadId=upload, IfNoneMatch="*", MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert admin.get_object(Bucket=bucket, Key=fresh + "/code.zip")["Body"].read() == b"zip"


# ---------------------------------------------------------------- the job roles read what a job needs


def test_job_roles_read_artifacts_and_bundles_but_not_records_or_locks(sys_):
    """Issue 22: a job reads its artifact and its dependency bundle, not the deployment records
    or the locks beside them under the artifact prefix."""
    needs, state = {}, {}
    for env_name, profile, output in (("dev", "dev-glue-job", "glue_job_role_arn"), ("prod", "prod-emr-serverless-job", "emr_serverless_job_role_arn")):
        bucket, prefix = sys_.tf(env_name, "artifact_bucket"), sys_.tf(env_name, "artifact_prefix")
        region = sys_.tf(env_name, "region")
        admin = sys_.boto("s3", region=region)
        s3 = sys_.boto("s3", sys_.role_key(profile), region=region)
        for key in (stored_artifact(admin, bucket, prefix), stored_bundle(admin, bucket, prefix)):
            needs[f"{profile} {key}"] = outcome(s3.get_object, Bucket=bucket, Key=key)
        record = next(
            o["Key"]
            for o in admin.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/deployments/{env_name}/")["Contents"]
            if not o["Key"].endswith("/latest.json")
        )
        keys = [f"{prefix}/deployments/{env_name}/latest.json", record, f"{prefix}/locks/{env_name}.json"]
        for key in keys:
            state[f"{profile} {key}"] = outcome(s3.get_object, Bucket=bucket, Key=key)
            expect_denied(sys_.tf(env_name, output).split("/")[-1], "s3:GetObject", re.escape(f"arn:aws:s3:::{bucket}/{key}"))
    assert set(needs.values()) == {"allowed"}, f"a job role cannot read its artifact or bundle: {needs}"
    assert set(state.values()) == {"AccessDenied"}, f"a job role read deployer's records or locks: {state}"


# ---------------------------------------------------------------- the account of it all

# Refusals that are part of the flows above rather than negatives: doctor asks the IAM policy
# simulator whether the deploy role may pass the job role; the deploy roles may not call it, so
# doctor says "?" (PassRole is then checked by apply, as the PassRole negative shows).
EXPECTED_DENIED_IN_FLOWS = [
    (r"deployer-(dev|prod)-deploy", "iam:SimulatePrincipalPolicy", r".*"),
]


def test_calls_per_role_and_exactly_the_expected_refusals(sys_, capsys):
    decisions = sys_.decisions()
    per_role = collections.Counter()
    denied = collections.Counter()
    unexpected = []
    matched = set()
    expected = [(re.escape(r), a, res) for r, a, res in EXPECTED_DENIED] + EXPECTED_DENIED_IN_FLOWS
    required = len(expected)
    expected += [(re.escape(r), a, res) for r, a, res in MAY_BE_DENIED]
    for d in decisions:
        role = role_name(d["principal"]) if not d["principal"].startswith("web-identity:") else "web-identity:" + d["principal"].split("/")[-1]
        per_role[role] += 1
        if d["allowed"]:
            continue
        denied[(role, d["action"], d["resource"])] += 1
        hits = [i for i, (r, a, res) in enumerate(expected) if re.fullmatch(r, role) and a == d["action"] and re.fullmatch(res, d["resource"])]
        if hits:
            matched.update(hits)
        else:
            unexpected.append(d)
    by_profile = collections.Counter()
    for who, _, calls in sys_.calls:
        by_profile[who] += calls
    with capsys.disabled():
        print("\n[e2e] AWS calls that reached moto, per principal (allowed + denied; moto's IAM log):")
        for role, n in sorted(per_role.items()):
            print(f"[e2e]   {n:5d}  {role}")
        print("[e2e] HTTP requests deployer sent (its --debug log, retries included), per credential source:")
        for who, n in sorted(by_profile.items()):
            print(f"[e2e]   {n:5d}  {who}")
        print("[e2e] what deployer said when refused:")
        for command, text in MESSAGES:
            print(f"[e2e]   $ deployer {command}\n[e2e]     {text}")
        print("[e2e] denied calls (all expected):" if not unexpected else "[e2e] denied calls:")
        for (role, action, resource), n in sorted(denied.items()):
            print(f"[e2e]   {n:3d} x {role}: {action} on {resource}")
    assert not unexpected, f"refusals nobody expected: {json.dumps(unexpected, indent=1)}"
    missing = [expected[i] for i in range(required) if i not in matched]
    assert not missing, f"expected refusals that did not happen: {missing}"

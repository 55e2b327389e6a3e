# The composition with fixed inputs (dev-like defaults, then variations). What ENV.tfvars give is
# tested by tests/tfvars.tftest.hcl, once per environment.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

# Bucket names are computed by the provider; pin them so outputs are known at plan.
override_resource {
  target          = module.artifact_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-dev-123456789012-artifacts"
    arn = "arn:aws:s3:::deployer-dev-123456789012-artifacts"
  }
}

override_resource {
  target          = module.data_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-dev-123456789012-lake"
    arn = "arn:aws:s3:::deployer-dev-123456789012-lake"
  }
}

override_resource {
  target          = module.logs_bucket.aws_s3_bucket.this
  override_during = plan
  values = {
    id  = "deployer-dev-123456789012-logs"
    arn = "arn:aws:s3:::deployer-dev-123456789012-logs"
  }
}

# The key and application ARNs end up in the role policies; pin them so the policies are known at plan.
override_resource {
  target          = aws_kms_key.platform
  override_during = plan
  values = {
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

override_resource {
  target          = module.emr_serverless.aws_emrserverless_application.this
  override_during = plan
  values = {
    arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    id  = "00abc"
  }
}

override_resource {
  target          = module.github_oidc.aws_iam_openid_connect_provider.github
  override_during = plan
  values = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}

variables {
  region            = "eu-west-1"
  environment       = "dev"
  github_repository = "acme/deployer"
}

run "minimal_platform" {
  command = plan

  assert {
    condition     = output.region == "eu-west-1" && output.data_bucket == "deployer-dev-123456789012-lake" && output.logs_bucket == "deployer-dev-123456789012-logs"
    error_message = "Region and bucket outputs must be named for deployer.yml."
  }

  assert {
    condition     = output.temp_dir == "s3://deployer-dev-123456789012-lake/tmp/" && output.job_logs_uri == "s3://deployer-dev-123456789012-logs/job-logs/" && output.glue_job_name_prefix == "deployer-dev-"
    error_message = "Temp, job log and Glue job prefixes follow the PROJECT-ENV naming."
  }

  assert {
    condition     = output.artifact_bucket == "deployer-dev-123456789012-artifacts" && output.artifact_prefix == "deployer"
    error_message = "Artifact bucket/prefix outputs must be named for deployer.yml."
  }

  assert {
    condition     = output.raw_prefix == "s3://deployer-dev-123456789012-lake/raw/" && output.curated_prefix == "s3://deployer-dev-123456789012-lake/curated/"
    error_message = "Raw/curated prefixes must point into the lake bucket."
  }

  assert {
    condition     = module.github_oidc.trusted_subjects == ["repo:acme/deployer:ref:refs/heads/main"]
    error_message = "By default the deploy role trusts pushes to main only."
  }

  assert {
    condition     = length(module.aurora) == 0 && length(module.dms) == 0 && length(module.ec2_runner) == 0
    error_message = "Aurora, DMS and the EC2 runner are opt-in."
  }

  assert {
    condition     = output.aurora_endpoint == null && output.cdc_s3_uri == null && output.ec2_runner_instance_id == null
    error_message = "Outputs of the opt-in parts are null when they are off."
  }

  assert {
    condition     = length(module.job_image_repository) == 0 && output.job_image_repository_url == null
    error_message = "The job image repository is opt-in (enable_job_image_repository); its output is null when it is off."
  }

  assert {
    condition     = length(aws_security_group.emr_serverless) == 0
    error_message = "EMR Serverless workers get no security group outside the VPC."
  }

  assert {
    condition     = aws_kms_key.platform.enable_key_rotation
    error_message = "Platform key must rotate."
  }

  assert {
    condition     = module.oncall_role.role_name == "deployer-dev-oncall" && module.oncall_role.trusted_subjects == ["repo:acme/deployer:ref:refs/heads/main"]
    error_message = "The read-only on-call role is named PROJECT-ENV-oncall and trusts the main branch (the scheduled status workflow)."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(module.oncall_role.policy_json).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "s3:GetObject")
      ])) == toset([
      "arn:aws:s3:::deployer-dev-123456789012-artifacts/deployer/deployments/*", "arn:aws:s3:::deployer-dev-123456789012-logs/job-logs/*",
      "arn:aws:s3:::deployer-dev-123456789012-lake/curated/*/_runs/*", "arn:aws:s3:::deployer-dev-123456789012-lake/curated/*/_manifest.json",
    ])
    error_message = "On-call reads the deployment records of this environment's artifact bucket, its job logs and its jobs' run records, nothing else."
  }

  assert {
    condition     = length([for s in jsondecode(module.oncall_role.trust_policy_json).Statement : s if s.Sid == "OnCallPrincipals"]) == 0
    error_message = "No person is trusted by default."
  }
}

run "grants_are_this_environments" {
  command = plan

  # The role ARNs end up in the deploy role's PassRole statements; pin them so its policy is known at plan.
  override_resource {
    target          = module.job_roles.aws_iam_role.glue
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-glue-job", name = "deployer-dev-glue-job" }
  }

  override_resource {
    target          = module.job_roles.aws_iam_role.emr_serverless
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-emr-serverless-job", name = "deployer-dev-emr-serverless-job" }
  }

  override_resource {
    target          = module.job_schedules.aws_iam_role.scheduler
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-scheduler", name = "deployer-dev-scheduler" }
  }

  override_resource {
    target          = module.pipeline_role.aws_iam_role.pipeline
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-pipeline", name = "deployer-dev-pipeline" }
  }

  assert {
    condition = {
      for s in jsondecode(module.github_oidc.policy_json).Statement :
      s.Resource => s.Condition.StringEquals["iam:PassedToService"]
      if contains(flatten([s.Action]), "iam:PassRole")
      } == {
      "arn:aws:iam::123456789012:role/deployer-dev-glue-job"           = "glue.amazonaws.com"
      "arn:aws:iam::123456789012:role/deployer-dev-emr-serverless-job" = "emr-serverless.amazonaws.com"
      "arn:aws:iam::123456789012:role/deployer-dev-scheduler"          = "scheduler.amazonaws.com"
      "arn:aws:iam::123456789012:role/deployer-dev-pipeline"           = "states.amazonaws.com"
    }
    error_message = "The deploy role passes each job role only to its own service (and the scheduler role to Scheduler, the pipeline role to Step Functions)."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(module.github_oidc.policy_json).Statement : flatten([s.Resource])
      if anytrue([for a in flatten([s.Action]) : startswith(a, "states:")])
      ])) == toset([
      "arn:aws:states:eu-west-1:123456789012:stateMachine:deployer-dev-*",
      "arn:aws:states:eu-west-1:123456789012:execution:deployer-dev-*:*",
    ])
    error_message = "The deploy role reaches this environment's state machines and their executions only."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(module.github_oidc.policy_json).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "scheduler:DeleteSchedule") || contains(flatten([s.Action]), "events:DeleteRule")
      ])) == toset([
      "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/deployer-deployer-dev-*",
      "arn:aws:events:eu-west-1:123456789012:rule/deployer-deployer-dev-*",
    ])
    error_message = "The deploy role reaches this environment's schedules and alert rules (deployer-PROJECT-ENV-*), not another environment's."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(module.job_roles.data_access_policy_json).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "s3:GetObject") && anytrue([for r in flatten([s.Resource]) : startswith(r, "arn:aws:s3:::deployer-dev-123456789012-artifacts/")])
      ])) == toset([
      "arn:aws:s3:::deployer-dev-123456789012-artifacts/deployer/artifacts/*",
      "arn:aws:s3:::deployer-dev-123456789012-artifacts/deployer/dependencies/*",
    ])
    error_message = "The job roles read the artifacts and dependency bundles, not the deployment records or locks."
  }

  assert {
    condition = length([
      for s in jsondecode(module.github_oidc.policy_json).Statement : s
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ecr:") || contains(["emr-serverless:UpdateApplication", "emr-serverless:StopApplication"], a)])
    ]) == 0
    error_message = "Without the job image repository the deploy role has no ECR access and may not update the application."
  }
}

run "with_job_image_repository" {
  command = plan

  variables {
    enable_job_image_repository = true
  }

  # As in grants_are_this_environments: the deploy role's policy must be known at plan.
  override_resource {
    target          = module.job_roles.aws_iam_role.glue
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-glue-job", name = "deployer-dev-glue-job" }
  }

  override_resource {
    target          = module.job_roles.aws_iam_role.emr_serverless
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-emr-serverless-job", name = "deployer-dev-emr-serverless-job" }
  }

  override_resource {
    target          = module.job_schedules.aws_iam_role.scheduler
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-scheduler", name = "deployer-dev-scheduler" }
  }

  override_resource {
    target          = module.pipeline_role.aws_iam_role.pipeline
    override_during = plan
    values          = { arn = "arn:aws:iam::123456789012:role/deployer-dev-pipeline", name = "deployer-dev-pipeline" }
  }

  # The repository's ARN and URL are computed; pin them so the deploy role's policy and the output are known at plan.
  override_resource {
    target          = module.job_image_repository[0].aws_ecr_repository.this
    override_during = plan
    values = {
      arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"
      repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/deployer-dev-jobs"
    }
  }

  assert {
    condition     = module.job_image_repository[0].repository_name == "deployer-dev-jobs" && output.job_image_repository_url == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/deployer-dev-jobs"
    error_message = "The repository is PROJECT-ENV-jobs and job_image_repository_url is its URL."
  }

  assert {
    condition     = module.job_image_repository[0].repository_arn == "arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"
    error_message = "The module passes the repository through."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(module.github_oidc.policy_json).Statement : flatten([s.Resource])
      if anytrue([for a in flatten([s.Action]) : startswith(a, "ecr:") && a != "ecr:GetAuthorizationToken"])
    ])) == toset(["arn:aws:ecr:eu-west-1:123456789012:repository/deployer-dev-jobs"])
    error_message = "The deploy role pushes to this environment's job image repository only."
  }

  assert {
    condition = one([
      for s in jsondecode(module.github_oidc.policy_json).Statement : s.Resource
      if contains(flatten([s.Action]), "emr-serverless:UpdateApplication")
    ]) == "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    error_message = "The deploy role may update (and stop) this environment's EMR Serverless application only."
  }
}

run "with_database_and_cdc" {
  command = plan

  variables {
    vpc_id                = "vpc-0123"
    private_subnet_ids    = ["subnet-0a", "subnet-0b"]
    emr_serverless_in_vpc = true
    enable_aurora         = true
    dms_source_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repl-AbCdEf"
  }

  assert {
    condition     = length(module.aurora) == 1 && length(module.dms) == 1
    error_message = "Aurora and DMS are created when enabled with networking."
  }

  assert {
    condition     = output.cdc_s3_uri == "s3://deployer-dev-123456789012-lake/raw/cdc/"
    error_message = "CDC lands under the raw prefix."
  }

  assert {
    condition     = length(aws_security_group.emr_serverless) == 1 && length(aws_vpc_security_group_egress_rule.emr_aurora) == 1
    error_message = "EMR Serverless workers in the VPC get their security group and a MySQL rule to Aurora."
  }
}

run "production_environment_trust" {
  command = plan

  variables {
    github_branches     = []
    github_environments = ["production"]
  }

  assert {
    condition     = module.github_oidc.trusted_subjects == ["repo:acme/deployer:environment:production"] && output.github_trusted_subjects == module.github_oidc.trusted_subjects
    error_message = "With no branches and the production environment, only that environment may deploy."
  }

  assert {
    condition     = module.oncall_role.trusted_subjects == ["repo:acme/deployer:ref:refs/heads/main"]
    error_message = "The on-call role still trusts main: the scheduled status workflow runs there, outside the production environment."
  }
}

run "oncall_people" {
  command = plan

  variables {
    oncall_principal_arns = ["arn:aws:iam::123456789012:role/oncall-sso"]
  }

  assert {
    condition = one([
      for s in jsondecode(module.oncall_role.trust_policy_json).Statement : s if s.Sid == "OnCallPrincipals"
    ]).Principal.AWS == ["arn:aws:iam::123456789012:role/oncall-sso"]
    error_message = "oncall_principal_arns are trusted by exact ARN."
  }
}

run "ec2_runner_requires_networking" {
  command = plan

  variables {
    enable_ec2_runner = true
  }

  expect_failures = [var.enable_ec2_runner]
}

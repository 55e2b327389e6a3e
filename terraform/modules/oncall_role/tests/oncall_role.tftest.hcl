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

variables {
  name                           = "deployer-prod-oncall"
  oidc_provider_arn              = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  github_repository              = "acme/deployer"
  trusted_principal_arns         = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_0123456789abcdef"]
  artifact_bucket_arn            = "arn:aws:s3:::acme-artifacts"
  artifact_prefix                = "deployer"
  artifact_kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  glue_job_name_prefix           = "deployer-prod-"
  emr_serverless_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
  job_logs_bucket_arn            = "arn:aws:s3:::acme-logs"
  data_bucket_arn                = "arn:aws:s3:::acme-lake"
}

run "trust_is_exact" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role.oncall.assume_role_policy).Statement : s if s.Sid == "GitHubActionsOIDC"
    ]).Condition.StringEquals["token.actions.githubusercontent.com:sub"] == ["repo:acme/deployer:ref:refs/heads/main"]
    error_message = "GitHub trust must be exactly the main branch of acme/deployer (the scheduled status workflow)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role.oncall.assume_role_policy).Statement : s if s.Sid == "GitHubActionsOIDC"
    ]).Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "GitHub trust must require audience sts.amazonaws.com."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role.oncall.assume_role_policy).Statement : !can(s.Condition.StringLike)
    ])
    error_message = "Trust must not use StringLike (wildcard) conditions."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role.oncall.assume_role_policy).Statement : s if s.Sid == "OnCallPrincipals"
    ]).Principal.AWS == ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_0123456789abcdef"]
    error_message = "People on call are trusted by exact role ARN."
  }
}

run "read_only" {
  command = plan

  # Every action is a read (Get/List/Describe/Filter) or sts:GetCallerIdentity; kms:Decrypt
  # through S3 only, to read SSE-KMS deployment records.
  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : [
        for a in flatten([s.Action]) :
        can(regex("^[a-z0-9-]+:(Get|List|Describe|Filter)[A-Za-z]*$", a)) || a == "kms:Decrypt"
      ]
    ]))
    error_message = "The on-call role may only read."
  }

  assert {
    condition = length(setintersection(
      toset(flatten([for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : flatten([s.Action])])),
      toset(["s3:PutObject", "s3:DeleteObject", "iam:PassRole", "glue:CreateJob", "glue:UpdateJob", "glue:DeleteJob",
        "glue:StartJobRun", "glue:BatchStopJobRun", "emr-serverless:StartJobRun", "emr-serverless:CancelJobRun",
      "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:CancelSteps", "kms:GenerateDataKey"])
    )) == 0
    error_message = "No upload, delete, job change, run start/stop or PassRole."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement :
      s.Resource == "*" ? s.Action == "sts:GetCallerIdentity" : true
    ])
    error_message = "Only sts:GetCallerIdentity may use Resource \"*\"."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "s3:GetObject")
    ])) == toset(["arn:aws:s3:::acme-artifacts/deployer/deployments/*", "arn:aws:s3:::acme-logs/job-logs/*", "arn:aws:s3:::acme-lake/curated/*/_runs/*", "arn:aws:s3:::acme-lake/curated/*/_manifest.json"])
    error_message = "Objects readable: deployment records, job logs and the jobs run records only (not artifacts, not the lake tables)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s if contains(flatten([s.Action]), "glue:GetJobRuns")
    ]).Resource == "arn:aws:glue:eu-west-1:123456789012:job/deployer-prod-*"
    error_message = "Glue reads are limited to the environment's job prefix."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s if s.Sid == "DecryptRecordsViaS3"
    ]).Condition.StringEquals["kms:ViaService"] == "s3.eu-west-1.amazonaws.com"
    error_message = "kms:Decrypt only through S3."
  }
}

run "without_optional_engines" {
  command = plan

  variables {
    emr_serverless_application_arn = null
    job_logs_bucket_arn            = null
    artifact_kms_key_arn           = null
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s
      if contains(["ReadEmrServerlessRuns", "ReadEmrClusterSteps", "ReadJobLogObjects", "DecryptRecordsViaS3"], s.Sid)
    ]) == 0
    error_message = "No EMR, log-object or KMS access unless their ARNs are given."
  }
}

run "people_only" {
  command = plan

  variables {
    oidc_provider_arn = null
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role.oncall.assume_role_policy).Statement : s.Sid] == ["OnCallPrincipals"]
    error_message = "Without an OIDC provider only the named people are trusted."
  }
}

run "rejects_account_root" {
  command = plan

  variables {
    trusted_principal_arns = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.trusted_principal_arns]
}

run "rejects_wildcard_branch" {
  command = plan

  variables {
    github_branches = ["*"]
  }

  expect_failures = [var.github_branches]
}

run "must_trust_someone" {
  command = plan

  variables {
    oidc_provider_arn      = null
    trusted_principal_arns = []
  }

  expect_failures = [aws_iam_role.oncall]
}

run "data_records_only" {
  command = plan

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s if s.Sid == "ReadJobRunRecords"
    ]).Resource == ["arn:aws:s3:::acme-lake/curated/*/_runs/*", "arn:aws:s3:::acme-lake/curated/*/_manifest.json"]
    error_message = "Of the data bucket on call reads only the jobs' run records and published manifests, never the tables."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s if s.Sid == "ListJobRunRecords"
    ]).Condition.StringLike["s3:prefix"] == ["curated/*/_runs/*"]
    error_message = "Listing the data bucket is limited to the run record folders."
  }
}

run "no_data_bucket_no_data_grant" {
  command = plan

  variables {
    data_bucket_arn = null
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.oncall.policy).Statement : s if startswith(s.Sid, "ReadJobRunRecords") || s.Sid == "ListJobRunRecords"]) == 0
    error_message = "Without a data bucket no data grant is made."
  }
}


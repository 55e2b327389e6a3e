# Read-only role for on-call: what `deployer status`, `deployer runs` and `deployer logs` read,
# and nothing else. It can't upload, take the deploy lock, change a job, start, stop or
# retry a run, or pass a role.

# The GitHub trust: as for the deploy role, exact subjects only; the scheduled status workflow runs
# on the default branch, so "main" is the usual (and default) entry.
module "trust" {
  source              = "../role_trust"
  oidc_provider_arn   = var.oidc_provider_arn
  github_repository   = local.github_trust ? var.github_repository : null
  github_branches     = var.github_branches
  github_environments = var.github_environments
}

locals {
  account   = module.trust.account_id
  partition = module.trust.partition
  region    = module.trust.region

  # GitHub is trusted with the provider, the repository and at least one branch or environment.
  github_trust = var.oidc_provider_arn != null && var.github_repository != null && length(var.github_branches) + length(var.github_environments) > 0

  trust_policy = {
    Version = "2012-10-17"
    Statement = concat(
      module.trust.statements,
      length(var.trusted_principal_arns) == 0 ? [] : [{
        # People on call: their SSO / IAM role ARNs, named one by one (never an account root).
        Sid       = "OnCallPrincipals"
        Effect    = "Allow"
        Principal = { AWS = var.trusted_principal_arns }
        Action    = "sts:AssumeRole"
      }],
    )
  }

  records        = "${var.artifact_bucket_arn}/${var.artifact_prefix}/deployments/*"
  glue_jobs      = "arn:${local.partition}:glue:${local.region}:${local.account}:job/${var.glue_job_name_prefix}*"
  state_machines = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${var.glue_job_name_prefix}*"
  executions     = "arn:${local.partition}:states:${local.region}:${local.account}:execution:${var.glue_job_name_prefix}*:*"
  glue_log_group = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/jobs/*"
  # Python shell jobs (job_runtime: duckdb on Glue) log under /aws-glue/python-jobs/.
  glue_shell_log_group = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/python-jobs/*"

  statements = concat(
    [
      {
        # deployments/TARGET/latest.json and the records (status, runs, deployments).
        Sid      = "ReadDeploymentRecords"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = local.records
      },
      {
        Sid       = "ListDeploymentRecords"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.artifact_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${var.artifact_prefix}/deployments/*"] } }
      },
    ],
    var.artifact_kms_key_arn == null ? [] : [{
      Sid       = "DecryptRecordsViaS3"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = var.artifact_kms_key_arn
      Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
    }],
    [{
      Sid      = "ReadGlueJobsAndRuns"
      Effect   = "Allow"
      Action   = ["glue:GetJob", "glue:GetJobRun", "glue:GetJobRuns"]
      Resource = local.glue_jobs
    }],
    var.emr_serverless_application_arn == null ? [] : [{
      Sid    = "ReadEmrServerlessRuns"
      Effect = "Allow"
      Action = [
        "emr-serverless:GetApplication", "emr-serverless:GetJobRun", "emr-serverless:ListJobRuns",
        "emr-serverless:GetDashboardForJobRun",
      ]
      Resource = [var.emr_serverless_application_arn, "${var.emr_serverless_application_arn}/jobruns/*"]
    }],
    var.emr_cluster_arn == null ? [] : [{
      Sid      = "ReadEmrClusterSteps"
      Effect   = "Allow"
      Action   = ["elasticmapreduce:DescribeCluster", "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps"]
      Resource = var.emr_cluster_arn
    }],
    [{
      Sid      = "ReadPipelineExecutions"
      Effect   = "Allow"
      Action   = ["states:DescribeStateMachine", "states:ListExecutions", "states:DescribeExecution", "states:GetExecutionHistory"]
      Resource = [local.state_machines, local.executions]
    }],
    [{
      Sid      = "ReadGlueJobLogs"
      Effect   = "Allow"
      Action   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"]
      Resource = [local.glue_log_group, "${local.glue_log_group}:*", local.glue_shell_log_group, "${local.glue_shell_log_group}:*"]
    }],
    var.job_logs_bucket_arn == null ? [] : [{
      # EMR Serverless / EMR driver logs (deployer logs reads them from the log URI).
      Sid      = "ReadJobLogObjects"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "${var.job_logs_bucket_arn}/${var.job_logs_prefix}/*"
    }],
    # The jobs' own run records: rows per table, quarantine ratio, the published run.
    var.data_bucket_arn == null ? [] : [{
      Sid      = "ReadJobRunRecords"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = ["${var.data_bucket_arn}/${var.data_prefix}/*/_runs/*", "${var.data_bucket_arn}/${var.data_prefix}/*/_manifest.json"]
    }],
    var.data_bucket_arn == null ? [] : [{
      Sid       = "ListJobRunRecords"
      Effect    = "Allow"
      Action    = "s3:ListBucket"
      Resource  = var.data_bucket_arn
      Condition = { StringLike = { "s3:prefix" = ["${var.data_prefix}/*/_runs/*"] } }
    }],
    [{
      Sid      = "WhoAmI"
      Effect   = "Allow"
      Action   = "sts:GetCallerIdentity"
      Resource = "*"
    }],
  )

  policy = { Version = "2012-10-17", Statement = local.statements }
}

resource "aws_iam_role" "oncall" {
  name                 = var.name
  description          = "Read-only on-call role: deployer status, runs and logs (no deploy, run or delete)"
  assume_role_policy   = jsonencode(local.trust_policy)
  max_session_duration = var.max_session_duration
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = length(local.trust_policy.Statement) > 0
      error_message = "Trust someone: oidc_provider_arn + github_repository + a branch or environment, and/or trusted_principal_arns."
    }
  }
}

resource "aws_iam_role_policy" "oncall" {
  name   = "deployer-read-only"
  role   = aws_iam_role.oncall.id
  policy = jsonencode(local.policy)
}

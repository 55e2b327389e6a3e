# The trust: workflows of exactly these branches and environments of the repository (StringEquals
# on the token's sub; no wildcards).
module "trust" {
  source              = "../role_trust"
  oidc_provider_arn   = local.oidc_provider_arn
  github_repository   = var.repository
  github_branches     = var.branches
  github_environments = var.environments
}

locals {
  account   = module.trust.account_id
  partition = module.trust.partition
  region    = module.trust.region

  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  artifact_objects = "${var.artifact_bucket_arn}/${var.artifact_prefix}/*"
  # Content-addressed, immutable: artifacts/JOB/DIGEST/* and dependencies/DIGEST/*.
  immutable_objects = [
    "${var.artifact_bucket_arn}/${var.artifact_prefix}/artifacts/*",
    "${var.artifact_bucket_arn}/${var.artifact_prefix}/dependencies/*",
  ]
  # Rewritten in place: deployments/TARGET/ID.json (If-None-Match), deployments/TARGET/latest.json
  # (unconditional) and the deploy lease locks/TARGET.json (If-None-Match, then If-Match).
  mutable_objects = [
    "${var.artifact_bucket_arn}/${var.artifact_prefix}/deployments/*",
    "${var.artifact_bucket_arn}/${var.artifact_prefix}/locks/*",
  ]
  glue_jobs       = "arn:${local.partition}:glue:${local.region}:${local.account}:job/${var.glue_job_name_prefix}*"
  glue_log_groups = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/jobs/*"
  # Python shell jobs (job_runtime: duckdb on Glue) log under /aws-glue/python-jobs/.
  glue_shell_log_groups = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/python-jobs/*"

  # deployer names a job's schedule (EventBridge Scheduler) deployer-ENGINE_NAME and its failure
  # alert rule (EventBridge) deployer-ENGINE_NAME-alerts, where ENGINE_NAME is the job's engine name
  # (PROJECT-TARGET-JOB, so it starts with glue_job_name_prefix): this prefix is this environment's
  # schedules and rules, not another environment's or project's in the same account.
  automation_name_prefix = "deployer-${var.glue_job_name_prefix}"

  # The role's trust policy (Tests/e2e extends it with its operator through this name).
  trust_policy = module.trust.policy

  s3_statements = [
    {
      Sid      = "ArtifactObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      Resource = local.artifact_objects
    },
    {
      # Artifacts and dependency bundles are written only if absent (If-None-Match: *, which
      # deployer sends on PutObject and CompleteMultipartUpload): never overwritten.
      Sid       = "CreateArtifactsOnly"
      Effect    = "Allow"
      Action    = "s3:PutObject"
      Resource  = local.immutable_objects
      Condition = { Null = { "s3:if-none-match" = "false" } }
    },
    {
      # The steps of a multipart upload that create no object (CreateMultipartUpload, UploadPart)
      # take no conditional header; completing it needs CreateArtifactsOnly.
      Sid       = "ArtifactUploadParts"
      Effect    = "Allow"
      Action    = "s3:PutObject"
      Resource  = local.immutable_objects
      Condition = { Bool = { "s3:ObjectCreationOperation" = "false" } }
    },
    {
      Sid      = "RecordsAndLocks"
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = local.mutable_objects
    },
    {
      Sid       = "ArtifactList"
      Effect    = "Allow"
      Action    = "s3:ListBucket"
      Resource  = var.artifact_bucket_arn
      Condition = { StringLike = { "s3:prefix" = [var.artifact_prefix, "${var.artifact_prefix}/*"] } }
    },
    {
      # deployer aborts incomplete multipart uploads an interrupted apply left under
      # the prefix (AbortMultipartUpload above); finding them needs this listing.
      Sid      = "ArtifactUploadsList"
      Effect   = "Allow"
      Action   = "s3:ListBucketMultipartUploads"
      Resource = var.artifact_bucket_arn
    },
    {
      # Deleting is only needed to release the deploy lease; artifacts are
      # immutable and old versions expire through the bucket lifecycle.
      Sid      = "DeployLockRelease"
      Effect   = "Allow"
      Action   = "s3:DeleteObject"
      Resource = "${var.artifact_bucket_arn}/${var.artifact_prefix}/locks/*"
    },
  ]

  kms_statements = var.artifact_kms_key_arn == null ? [] : [{
    Sid       = "ArtifactKmsViaS3"
    Effect    = "Allow"
    Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
    Resource  = var.artifact_kms_key_arn
    Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
  }]

  glue_statements = [{
    Sid    = "GlueJobsUnderPrefix"
    Effect = "Allow"
    Action = [
      "glue:GetJob", "glue:GetJobs", "glue:CreateJob", "glue:UpdateJob", "glue:DeleteJob",
      "glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun", "glue:TagResource",
    ]
    Resource = local.glue_jobs
  }]

  emr_serverless_statements = var.emr_serverless_application_arn == null ? [] : [{
    Sid    = "EmrServerlessRuns"
    Effect = "Allow"
    Action = [
      "emr-serverless:GetApplication", "emr-serverless:StartJobRun", "emr-serverless:GetJobRun",
      "emr-serverless:ListJobRuns", "emr-serverless:CancelJobRun",
    ]
    Resource = [var.emr_serverless_application_arn, "${var.emr_serverless_application_arn}/jobruns/*"]
  }]

  # The jobs' container image: deployer logs in to ECR, pushes the image to this repository only and
  # points the EMR Serverless application at it (REPO@sha256:DIGEST).
  job_image_statements = concat(
    var.job_image_repository_arn == null ? [] : [{
      # ecr:GetAuthorizationToken (the registry login) supports no resource-level permissions:
      # AWS only accepts Resource "*" for it. It grants nothing on any repository by itself.
      Sid      = "JobImageRegistryLogin"
      Effect   = "Allow"
      Action   = "ecr:GetAuthorizationToken"
      Resource = "*"
    }],
    var.job_image_repository_arn == null ? [] : [{
      Sid    = "JobImagePush"
      Effect = "Allow"
      Action = [
        "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
        "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
      ]
      Resource = var.job_image_repository_arn
    }],
    # UpdateApplication sets imageConfiguration; EMR Serverless only updates a CREATED or STOPPED
    # application, hence StopApplication. The application itself, not its job runs.
    var.job_image_repository_arn == null || var.emr_serverless_application_arn == null ? [] : [{
      Sid      = "EmrServerlessJobImage"
      Effect   = "Allow"
      Action   = ["emr-serverless:UpdateApplication", "emr-serverless:StopApplication"]
      Resource = var.emr_serverless_application_arn
    }],
  )

  emr_cluster_statements = var.emr_cluster_arn == null ? [] : [{
    Sid    = "EmrClusterSteps"
    Effect = "Allow"
    Action = [
      "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps",
      "elasticmapreduce:CancelSteps", "elasticmapreduce:DescribeCluster",
    ]
    Resource = var.emr_cluster_arn
  }]

  logs_statements = [{
    Sid      = "ReadGlueJobLogs"
    Effect   = "Allow"
    Action   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"]
    Resource = [local.glue_log_groups, "${local.glue_log_groups}:*", local.glue_shell_log_groups, "${local.glue_shell_log_groups}:*"]
  }]

  # deployer's schedules (EventBridge Scheduler) and failure alerts (EventBridge rules to SNS) of
  # this environment's jobs (automation_name_prefix), and the scheduler role they run as.
  schedule_statements = var.scheduler_role_arn == null ? [] : [{
    Sid      = "DeployerSchedules"
    Effect   = "Allow"
    Action   = ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:GetSchedule", "scheduler:DeleteSchedule"]
    Resource = "arn:${local.partition}:scheduler:${local.region}:${local.account}:schedule/default/${local.automation_name_prefix}*"
  }]

  schedule_passrole_statements = var.scheduler_role_arn == null ? [] : [{
    Sid       = "PassSchedulerRole"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = var.scheduler_role_arn
    Condition = { StringEquals = { "iam:PassedToService" = "scheduler.amazonaws.com" } }
  }]

  alert_statements = [{
    Sid      = "DeployerAlertRules"
    Effect   = "Allow"
    Action   = ["events:PutRule", "events:PutTargets", "events:DescribeRule", "events:ListTargetsByRule", "events:RemoveTargets", "events:DeleteRule"]
    Resource = "arn:${local.partition}:events:${local.region}:${local.account}:rule/${local.automation_name_prefix}*"
  }]

  # deployer's pipelines: this environment's state machines (PROJECT-ENV-PIPELINE, the job name
  # prefix), their executions (`deployer run PIPELINE` in CI), and the role they run as.
  state_machines = "arn:${local.partition}:states:${local.region}:${local.account}:stateMachine:${var.glue_job_name_prefix}*"
  executions     = "arn:${local.partition}:states:${local.region}:${local.account}:execution:${var.glue_job_name_prefix}*:*"
  pipeline_statements = concat(
    var.pipeline_role_arn == null ? [] : [{
      Sid    = "DeployerStateMachines"
      Effect = "Allow"
      Action = [
        "states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine", "states:DescribeStateMachine",
        "states:TagResource", "states:ListExecutions", "states:StartExecution",
      ]
      Resource = local.state_machines
    }],
    var.pipeline_role_arn == null ? [] : [{
      Sid      = "DeployerPipelineExecutions"
      Effect   = "Allow"
      Action   = ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution", "states:RedriveExecution"]
      Resource = local.executions
    }],
    var.pipeline_role_arn == null ? [] : [{
      Sid       = "PassPipelineRole"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = var.pipeline_role_arn
      Condition = { StringEquals = { "iam:PassedToService" = "states.amazonaws.com" } }
    }],
  )

  # Each job role to its own service only: the Glue job role to Glue jobs, the EMR Serverless job
  # role to EMR Serverless runs.
  passrole_statements = concat(
    var.glue_job_role_arn == null ? [] : [{
      Sid       = "PassGlueJobRole"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = var.glue_job_role_arn
      Condition = { StringEquals = { "iam:PassedToService" = "glue.amazonaws.com" } }
    }],
    var.emr_serverless_job_role_arn == null || var.emr_serverless_application_arn == null ? [] : [{
      Sid       = "PassEmrServerlessJobRole"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = var.emr_serverless_job_role_arn
      Condition = { StringEquals = { "iam:PassedToService" = "emr-serverless.amazonaws.com" } }
    }],
  )

  misc_statements = concat(
    [{
      # GetCallerIdentity needs no permission; it is listed so the intent is visible.
      Sid      = "WhoAmI"
      Effect   = "Allow"
      Action   = "sts:GetCallerIdentity"
      Resource = "*"
    }],
    # `deployer status` in the deploy workflow: the jobs' own run records, never the tables.
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
  )

  deploy_policy = {
    Version = "2012-10-17"
    Statement = concat(
      local.s3_statements, local.kms_statements, local.glue_statements, local.emr_serverless_statements,
      local.job_image_statements, local.emr_cluster_statements, local.logs_statements, local.misc_statements, local.passrole_statements,
      local.schedule_statements, local.schedule_passrole_statements, local.alert_statements, local.pipeline_statements,
    )
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.thumbprint_list
  tags            = var.tags
}

resource "aws_iam_role" "deploy" {
  name                 = var.name
  description          = "GitHub Actions deploy role for ${var.repository} (deployer CLI)"
  assume_role_policy   = jsonencode(local.trust_policy)
  max_session_duration = var.max_session_duration
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.oidc_provider_arn != null
      error_message = "Pass oidc_provider_arn when create_oidc_provider is false."
    }
    precondition {
      condition     = length(module.trust.github_subjects) > 0
      error_message = "At least one branch or environment must be trusted."
    }
    precondition {
      condition     = length(local.passrole_statements) > 0
      error_message = "Pass glue_job_role_arn and/or emr_serverless_job_role_arn (with emr_serverless_application_arn): deployer passes a job role to every job it creates or runs."
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deployer"
  role   = aws_iam_role.deploy.id
  policy = jsonencode(local.deploy_policy)
}

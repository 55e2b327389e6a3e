# Step Functions of this account only.
module "trust" {
  source   = "../role_trust"
  services = "states.amazonaws.com"
}

locals {
  account   = module.trust.account_id
  partition = module.trust.partition
  region    = module.trust.region
  # The managed rules through which Step Functions learns that a .sync task's run ended.
  sync_rule = "arn:${local.partition}:events:${local.region}:${local.account}:rule/StepFunctionsGetEventsFor"

  # glue:startJobRun.sync: start, poll and (when the execution is stopped) stop the project's jobs.
  glue_statements = length(var.glue_job_arns) == 0 ? [] : [{
    Sid      = "RunGlueSteps"
    Effect   = "Allow"
    Action   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    Resource = var.glue_job_arns
  }]

  emr_serverless_statements = concat(
    var.emr_serverless_application_arn == null ? [] : [{
      Sid      = "RunEmrServerlessSteps"
      Effect   = "Allow"
      Action   = ["emr-serverless:StartJobRun", "emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"]
      Resource = [var.emr_serverless_application_arn, "${var.emr_serverless_application_arn}/jobruns/*"]
    }],
    var.emr_serverless_application_arn == null ? [] : [{
      Sid       = "PassEmrServerlessJobRole"
      Effect    = "Allow"
      Action    = "iam:PassRole"
      Resource  = var.emr_serverless_job_role_arn
      Condition = { StringEquals = { "iam:PassedToService" = "emr-serverless.amazonaws.com" } }
    }],
    var.emr_serverless_application_arn == null ? [] : [{
      Sid      = "EmrServerlessSyncRule"
      Effect   = "Allow"
      Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
      Resource = "${local.sync_rule}EMRServerlessJobRule"
    }],
  )

  emr_cluster_statements = concat(
    var.emr_cluster_arn == null ? [] : [{
      Sid      = "RunEmrClusterSteps"
      Effect   = "Allow"
      Action   = ["elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps"]
      Resource = var.emr_cluster_arn
    }],
    var.emr_cluster_arn == null ? [] : [{
      Sid      = "EmrClusterSyncRule"
      Effect   = "Allow"
      Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
      Resource = "${local.sync_rule}EMRAddJobFlowStepsRule"
    }],
  )
}

# The role deployer's pipeline state machines (Step Functions, Standard) run as: it may start,
# follow and stop this environment's jobs and nothing else (deployer's `pipeline_role_arn`).
resource "aws_iam_role" "pipeline" {
  name               = "${var.name_prefix}-pipeline"
  assume_role_policy = jsonencode(module.trust.policy)
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = var.emr_serverless_application_arn == null || var.emr_serverless_job_role_arn != null
      error_message = "Pass emr_serverless_job_role_arn with emr_serverless_application_arn: the state machine passes it to every run."
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name = "run-pipeline-steps"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.glue_statements, local.emr_serverless_statements, local.emr_cluster_statements)
  })
}

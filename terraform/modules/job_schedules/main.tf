data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id

  glue_statements = length(var.glue_job_arns) == 0 ? [] : [{
    Sid      = "StartGlueRuns"
    Effect   = "Allow"
    Action   = "glue:StartJobRun"
    Resource = var.glue_job_arns
  }]

  emr_statements = var.emr_serverless_application_arn == null ? [] : [{
    Sid      = "StartEmrServerlessRuns"
    Effect   = "Allow"
    Action   = "emr-serverless:StartJobRun"
    Resource = [var.emr_serverless_application_arn, "${var.emr_serverless_application_arn}/jobruns/*"]
  }]

  pipeline_statements = length(var.state_machine_arns) == 0 ? [] : [{
    Sid      = "StartPipelines"
    Effect   = "Allow"
    Action   = "states:StartExecution"
    Resource = var.state_machine_arns
  }]

  passrole_statements = var.emr_serverless_application_arn == null ? [] : [{
    Sid       = "PassEmrServerlessJobRole"
    Effect    = "Allow"
    Action    = "iam:PassRole"
    Resource  = var.emr_serverless_job_role_arn
    Condition = { StringEquals = { "iam:PassedToService" = "emr-serverless.amazonaws.com" } }
  }]
}

# The role EventBridge Scheduler assumes to start scheduled runs: it can start this
# project's jobs and nothing else (deployer's `schedule_role_arn`).
resource "aws_iam_role" "scheduler" {
  name = "${var.name_prefix}-scheduler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name = "start-scheduled-runs"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.glue_statements, local.emr_statements, local.passrole_statements, local.pipeline_statements)
  })
}

# Failed, timed-out and stopped runs are published here by deployer's EventBridge rules.
resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-job-alerts"
  kms_master_key_id = coalesce(var.kms_key_arn, "alias/aws/sns")
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([{
      Sid       = "EventBridgeRulesOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alerts.arn
      Condition = { ArnLike = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${local.account}:rule/${var.alert_rule_name_prefix}*" } }
      }], var.alarm_name_prefix == null ? [] : [{
      # The data alarms (module data_alarms) on the jobs' EMF metrics.
      Sid       = "CloudWatchAlarmsOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alerts.arn
      Condition = { ArnLike = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${local.account}:alarm:${var.alarm_name_prefix}*" } }
    }])
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_subscriber_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

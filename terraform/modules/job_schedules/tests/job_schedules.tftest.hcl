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

run "glue_only" {
  command = plan

  variables {
    name_prefix   = "carsales-dev"
    glue_job_arns = ["arn:aws:glue:eu-west-1:123456789012:job/carsales-dev-*"]
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.scheduler.policy).Statement[0].Action == "glue:StartJobRun" && length(jsondecode(aws_iam_role_policy.scheduler.policy).Statement) == 1
    error_message = "The scheduler role may only start the project's Glue jobs."
  }

  assert {
    condition     = jsondecode(aws_iam_role.scheduler.assume_role_policy).Statement[0].Principal.Service == "scheduler.amazonaws.com"
    error_message = "Only EventBridge Scheduler may assume the role."
  }

  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == "alias/aws/sns"
    error_message = "The alerts topic is encrypted."
  }
}

run "emr_serverless" {
  command = plan

  variables {
    name_prefix                    = "carsales-prod"
    emr_serverless_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    emr_serverless_job_role_arn    = "arn:aws:iam::123456789012:role/carsales-prod-emr-job"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.scheduler.policy).Statement) == 2
    error_message = "EMR Serverless: start runs and pass the job role, nothing else."
  }
}

run "alerts_only_from_this_environments_rules" {
  command = plan

  variables {
    name_prefix            = "carsales-dev"
    glue_job_arns          = ["arn:aws:glue:eu-west-1:123456789012:job/carsales-dev-*"]
    alert_rule_name_prefix = "deployer-carsales-dev-"
  }

  # The topic policy names the topic, whose ARN is known only after apply.
  override_resource {
    target          = aws_sns_topic.alerts
    override_during = plan
    values          = { arn = "arn:aws:sns:eu-west-1:123456789012:carsales-dev-job-alerts" }
  }

  assert {
    condition     = jsondecode(aws_sns_topic_policy.alerts.policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:events:eu-west-1:123456789012:rule/deployer-carsales-dev-*"
    error_message = "Only this environment's alert rules (deployer-PROJECT-ENV-*) may publish to its topic."
  }
}

run "rejects_wildcard_rule_prefix" {
  command = plan

  variables {
    name_prefix            = "carsales-dev"
    alert_rule_name_prefix = "deployer-*"
  }

  expect_failures = [var.alert_rule_name_prefix]
}

run "rejects_bad_prefix" {
  command = plan

  variables {
    name_prefix = "Carsales Dev"
  }

  expect_failures = [var.name_prefix]
}

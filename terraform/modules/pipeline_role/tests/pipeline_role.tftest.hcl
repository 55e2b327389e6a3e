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
    condition     = length(jsondecode(aws_iam_role_policy.pipeline.policy).Statement) == 1 && jsondecode(aws_iam_role_policy.pipeline.policy).Statement[0].Resource == ["arn:aws:glue:eu-west-1:123456789012:job/carsales-dev-*"]
    error_message = "Glue only: run this environment's jobs and nothing else."
  }

  assert {
    condition     = jsondecode(aws_iam_role.pipeline.assume_role_policy).Statement[0].Principal.Service == "states.amazonaws.com" && jsondecode(aws_iam_role.pipeline.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Only Step Functions of this account may assume the role."
  }
}

run "emr_serverless_passes_only_its_job_role" {
  command = plan

  variables {
    name_prefix                    = "carsales-prod"
    emr_serverless_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    emr_serverless_job_role_arn    = "arn:aws:iam::123456789012:role/carsales-prod-emr-job"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role_policy.pipeline.policy).Statement) == 3
    error_message = "EMR Serverless: run steps, pass the job role, the .sync rule; nothing else."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.pipeline.policy).Statement[1].Condition.StringEquals["iam:PassedToService"] == "emr-serverless.amazonaws.com"
    error_message = "The job role is passed to EMR Serverless only."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.pipeline.policy).Statement[2].Resource == "arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForEMRServerlessJobRule"
    error_message = "Only Step Functions' own .sync rule for EMR Serverless."
  }
}

run "emr_serverless_without_its_job_role_is_refused" {
  command = plan

  variables {
    name_prefix                    = "carsales-prod"
    emr_serverless_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
  }

  expect_failures = [aws_iam_role.pipeline]
}

mock_provider "aws" {}

variables {
  name_prefix          = "deployer-prod"
  job_names            = ["sales_etl", "cdc_merge"]
  quarantine_job_names = ["sales_etl"]
  alarm_topic_arn      = "arn:aws:sns:eu-west-1:123456789012:deployer-prod-job-alerts"
}

run "rows_and_quarantine" {
  command = plan

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.job)) == toset(["sales_etl-no-rows", "cdc_merge-no-rows", "sales_etl-quarantine"])
    error_message = "One no-rows alarm per job, a quarantine alarm per job that reports one."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.job["sales_etl-no-rows"].metric_name == "RowsWritten" &&
      aws_cloudwatch_metric_alarm.job["sales_etl-no-rows"].namespace == "Deployer/Jobs" &&
      aws_cloudwatch_metric_alarm.job["sales_etl-no-rows"].dimensions.Job == "sales_etl" &&
      aws_cloudwatch_metric_alarm.job["sales_etl-no-rows"].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.job["sales_etl-no-rows"].threshold == 1
    )
    error_message = "The no-rows alarm watches the job's RowsWritten EMF metric below 1."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.job["sales_etl-quarantine"].metric_name == "QuarantineRatio" && aws_cloudwatch_metric_alarm.job["sales_etl-quarantine"].threshold == 0.01
    error_message = "The quarantine alarm watches QuarantineRatio above max_quarantine_ratio."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.job : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:deployer-prod-job-alerts"]) && a.treat_missing_data == "notBreaching" && startswith(a.alarm_name, "deployer-prod-")])
    error_message = "Every alarm pages the alerts topic, is named with the prefix, and treats no run as no alarm."
  }
}

run "rejects_bad_ratio" {
  command = plan

  variables {
    max_quarantine_ratio = 2
  }

  expect_failures = [var.max_quarantine_ratio]
}

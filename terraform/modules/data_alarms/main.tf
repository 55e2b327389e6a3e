# Alarms on the figures each job writes to its log as CloudWatch Embedded Metric Format lines
# (namespace Deployer/Jobs, jobs_common.metrics): a run that wrote no rows, and a quarantine ratio
# above the limit. They page through the alerts topic, like deployer's failed-run rules.
locals {
  alarms = merge(
    { for job in var.job_names : "${job}-no-rows" => { job = job, metric = "RowsWritten", statistic = "Minimum", comparison = "LessThanThreshold", threshold = var.min_rows_written, what = "wrote fewer than ${var.min_rows_written} rows" } },
    { for job in var.quarantine_job_names : "${job}-quarantine" => { job = job, metric = "QuarantineRatio", statistic = "Maximum", comparison = "GreaterThanThreshold", threshold = var.max_quarantine_ratio, what = "quarantined more than ${var.max_quarantine_ratio} of its input rows" } },
  )
}

resource "aws_cloudwatch_metric_alarm" "job" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "deployer: a run of job ${each.value.job} ${each.value.what} (its EMF log line, metric Deployer/Jobs ${each.value.metric})."
  namespace           = "Deployer/Jobs"
  metric_name         = each.value.metric
  dimensions          = { Job = each.value.job }
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  # No run in a period is no data, not an alarm: deployer status flags stale data.
  treat_missing_data = "notBreaching"
  alarm_actions      = [var.alarm_topic_arn]
  ok_actions         = [var.alarm_topic_arn]
  tags               = var.tags
}

output "alarm_arns" {
  description = "ARNs of the alarms, by name."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.job : alarm.alarm_name => alarm.arn }
}

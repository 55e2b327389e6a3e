output "scheduler_role_arn" {
  description = "The role EventBridge Scheduler assumes (deployer's targets.NAME.schedule_role_arn)."
  value       = aws_iam_role.scheduler.arn
}

output "alerts_topic_arn" {
  description = "The SNS topic for failed runs (deployer's jobs.NAME.notify.sns_topic)."
  value       = aws_sns_topic.alerts.arn
}

output "pipeline_role_arn" {
  description = "The role the pipelines' state machines run as (deployer's targets.NAME.pipeline_role_arn)."
  value       = aws_iam_role.pipeline.arn
}

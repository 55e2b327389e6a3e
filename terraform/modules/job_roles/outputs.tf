output "glue_job_role_arn" {
  description = "ARN of the Glue job role (null when not created)."
  value       = one(aws_iam_role.glue[*].arn)
}

output "glue_job_role_name" {
  description = "Name of the Glue job role (null when not created)."
  value       = one(aws_iam_role.glue[*].name)
}

output "emr_serverless_job_role_arn" {
  description = "ARN of the EMR Serverless job runtime role (null when not created)."
  value       = one(aws_iam_role.emr_serverless[*].arn)
}

output "emr_serverless_job_role_name" {
  description = "Name of the EMR Serverless job runtime role (null when not created)."
  value       = one(aws_iam_role.emr_serverless[*].name)
}

output "role_arns" {
  description = "All job role ARNs created here (the deploy role passes each only to its own service: github_oidc's glue_job_role_arn, emr_serverless_job_role_arn)."
  value       = compact(concat(aws_iam_role.glue[*].arn, aws_iam_role.emr_serverless[*].arn))
}

output "data_access_policy_arn" {
  description = "Managed policy with the jobs' data access; attach it to other job runtimes (e.g. the EC2 runner)."
  value       = aws_iam_policy.data_access.arn
}

output "data_access_policy_json" {
  description = "The data access policy document."
  value       = aws_iam_policy.data_access.policy
}

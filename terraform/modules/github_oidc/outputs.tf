output "role_arn" {
  description = "ARN of the deploy role (put it in the workflow's role-to-assume)."
  value       = aws_iam_role.deploy.arn
}

output "role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the role trusts."
  value       = local.oidc_provider_arn
}

output "trusted_subjects" {
  description = "Exact token sub values allowed to assume the role."
  value       = module.trust.github_subjects
}

output "trust_policy_json" {
  description = "Trust policy of the deploy role."
  value       = aws_iam_role.deploy.assume_role_policy
}

output "policy_json" {
  description = "Inline permissions policy of the deploy role."
  value       = aws_iam_role_policy.deploy.policy
}

output "role_arn" {
  description = "ARN of the on-call role (the status workflow's role-to-assume)."
  value       = aws_iam_role.oncall.arn
}

output "role_name" {
  description = "Name of the on-call role."
  value       = aws_iam_role.oncall.name
}

output "trusted_subjects" {
  description = "Exact GitHub token sub values allowed to assume the role (empty without GitHub trust)."
  value       = module.trust.github_subjects
}

output "trust_policy_json" {
  description = "Trust policy of the on-call role."
  value       = aws_iam_role.oncall.assume_role_policy
}

output "policy_json" {
  description = "Inline permissions policy of the on-call role."
  value       = aws_iam_role_policy.oncall.policy
}

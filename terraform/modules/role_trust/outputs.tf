output "statements" {
  description = "The trust statements: the service's (if services), then GitHub's (if github_repository)."
  value       = local.statements
}

output "policy" {
  description = "The trust policy (Version and statements), for jsonencode into assume_role_policy."
  value       = { Version = "2012-10-17", Statement = local.statements }
}

output "github_subjects" {
  description = "Exact GitHub token sub values the GitHub statement allows (empty without github_repository)."
  value       = local.github_subjects
}

output "account_id" {
  description = "The account the provider is configured for (the trusted service's aws:SourceAccount)."
  value       = local.account
}

output "partition" {
  description = "The partition of the provider's region (aws, aws-cn, aws-us-gov)."
  value       = data.aws_partition.current.partition
}

output "region" {
  description = "The provider's region."
  value       = data.aws_region.current.name
}

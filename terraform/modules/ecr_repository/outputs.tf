output "repository_url" {
  description = "Repository URL (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME): deployer pushes here and sets REPOSITORY_URL@sha256:DIGEST as the application's image."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "Repository ARN (for the deploy role's push permissions)."
  value       = aws_ecr_repository.this.arn
}

output "repository_name" {
  description = "Repository name."
  value       = aws_ecr_repository.this.name
}

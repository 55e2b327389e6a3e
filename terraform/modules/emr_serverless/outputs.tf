output "application_id" {
  description = "EMR Serverless application id (deployer's emr_serverless.application_id)."
  value       = aws_emrserverless_application.this.id
}

output "application_arn" {
  description = "EMR Serverless application ARN."
  value       = aws_emrserverless_application.this.arn
}

output "release_label" {
  description = "EMR release label of the application."
  value       = aws_emrserverless_application.this.release_label
}

output "replication_config_arn" {
  description = "ARN of the serverless replication config."
  value       = aws_dms_replication_config.this.arn
}

output "security_group_id" {
  description = "Security group of the replication; admit it on the Aurora cluster (allowed_security_groups)."
  value       = aws_security_group.this.id
}

output "target_s3_uri" {
  description = "Where change files land (s3://bucket/prefix/SCHEMA/TABLE/)."
  value       = "s3://${var.target_bucket_name}/${var.target_prefix}/"
}

output "source_endpoint_arn" {
  description = "ARN of the Aurora source endpoint."
  value       = aws_dms_endpoint.source.endpoint_arn
}

output "target_endpoint_arn" {
  description = "ARN of the S3 target endpoint."
  value       = aws_dms_s3_endpoint.target.endpoint_arn
}

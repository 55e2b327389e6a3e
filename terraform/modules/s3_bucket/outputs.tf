output "bucket_id" {
  description = "Bucket name."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "Bucket ARN."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "sse_algorithm" {
  description = "Default server-side encryption algorithm (AES256 or aws:kms)."
  value       = local.sse_algorithm
}

output "policy_json" {
  description = "The bucket policy document as applied."
  value       = aws_s3_bucket_policy.this.policy
}

output "logging_target_bucket" {
  description = "Bucket name to use as another bucket's access-log target. Unlike bucket_id it is only known once the delivery policy is in place, so PutBucketLogging is not refused for missing permissions."
  value       = aws_s3_bucket.this.id
  depends_on  = [aws_s3_bucket_policy.this]
}

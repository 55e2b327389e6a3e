mock_provider "aws" {}

variables {
  bucket_name = "acme-deployer-artifacts-dev"
}

run "secure_defaults" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "All four public access block flags must be on."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Default encryption must be SSE-S3 when no KMS key is given."
  }

  assert {
    condition     = aws_s3_bucket.this.force_destroy == false
    error_message = "force_destroy must default to false."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0
    error_message = "No access logging without a target bucket."
  }
}

run "bucket_policy_denies_non_tls" {
  command = plan

  # The bucket ARN is computed; pin it so the policy JSON is known at plan time.
  override_resource {
    target          = aws_s3_bucket.this
    override_during = plan
    values = {
      arn = "arn:aws:s3:::acme-deployer-artifacts-dev"
      id  = "acme-deployer-artifacts-dev"
    }
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
      s.Condition.Bool["aws:SecureTransport"] == "false" &&
      contains(s.Resource, "arn:aws:s3:::acme-deployer-artifacts-dev") &&
      contains(s.Resource, "arn:aws:s3:::acme-deployer-artifacts-dev/*")
    ])
    error_message = "Bucket policy must deny all s3 actions when aws:SecureTransport is false, on the bucket and its objects."
  }
}

run "lifecycle_rules" {
  command = plan

  variables {
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 3
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30
    error_message = "Noncurrent versions must expire after the configured days."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 3
    error_message = "Incomplete multipart uploads must be aborted after the configured days."
  }
}

run "kms_and_logging" {
  command = plan

  variables {
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    access_logging = { target_bucket = "acme-deployer-logs-dev" }
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "A KMS key switches encryption to SSE-KMS."
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "acme-deployer-logs-dev" && aws_s3_bucket_logging.this[0].target_prefix == "s3-access/acme-deployer-artifacts-dev/"
    error_message = "Access logs must go to the logs bucket under s3-access/<bucket>/."
  }
}

run "rejects_bad_bucket_name" {
  command = plan

  variables {
    bucket_name = "Not_A_Bucket"
  }

  expect_failures = [var.bucket_name]
}

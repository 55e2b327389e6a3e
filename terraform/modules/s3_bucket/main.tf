locals {
  sse_algorithm  = var.kms_key_arn == null ? "AES256" : "aws:kms"
  logging_prefix = try(coalesce(var.access_logging.target_prefix, "s3-access/${var.bucket_name}/"), "s3-access/${var.bucket_name}/")

  deny_insecure_transport = {
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = "*"
    Action    = "s3:*"
    Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }

  # S3 server access logging delivers as the logging service principal; with
  # BucketOwnerEnforced, ACL-based delivery is gone and a policy grant is the only way.
  allow_access_log_delivery = length(var.access_log_source_bucket_arns) == 0 ? [] : [{
    Sid       = "AllowS3AccessLogDelivery"
    Effect    = "Allow"
    Principal = { Service = "logging.s3.amazonaws.com" }
    Action    = "s3:PutObject"
    Resource  = "${aws_s3_bucket.this.arn}/s3-access/*"
    Condition = {
      ArnLike      = { "aws:SourceArn" = var.access_log_source_bucket_arns }
      StringEquals = { "aws:SourceAccount" = var.access_log_source_account_ids }
    }
  }]

  policy = {
    Version   = "2012-10-17"
    Statement = concat([local.deny_insecure_transport], local.allow_access_log_delivery, var.additional_policy_statements)
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a per-environment DR decision, not a module default; versioning keeps it possible.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; deployer polls job runs instead of reacting to S3 notifications.
  #checkov:skip=CKV_AWS_145:SSE-KMS is opt-in via kms_key_arn; S3 access-log target buckets only support SSE-S3, so AES256 is the default.
  #checkov:skip=CKV_AWS_18:Access logging is wired per bucket through access_logging; the logs bucket itself cannot log into itself.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags

  lifecycle {
    precondition {
      condition     = length(var.access_log_source_bucket_arns) == 0 || length(var.access_log_source_account_ids) > 0
      error_message = "access_log_source_account_ids is required when access_log_source_bucket_arns is set (confused-deputy protection)."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.sse_algorithm
      kms_master_key_id = var.kms_key_arn
    }
    # Bucket keys cut KMS request costs for Spark's many small writes.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "noncurrent-and-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  dynamic "rule" {
    for_each = var.expiration_rules
    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      expiration {
        days = rule.value.days
      }

      # Repeated so every rule is self-contained (CKV_AWS_300 checks rules one by one).
      abort_incomplete_multipart_upload {
        days_after_initiation = var.abort_incomplete_multipart_upload_days
      }
    }
  }

  # Lifecycle rules on an unversioned bucket behave differently; order the writes.
  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_logging == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_logging.target_bucket
  target_prefix = local.logging_prefix
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode(local.policy)

  # A policy put before the public access block exists can be rejected as public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

variable "bucket_name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Allow destroying a non-empty bucket. Leave false outside throwaway environments."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS. Null uses SSE-S3 (AES256), which is required for buckets that receive S3 server access logs."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are expired."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "expiration_rules" {
  description = "Extra lifecycle rules expiring current objects under a prefix after N days (e.g. Glue temp files, old logs)."
  type = list(object({
    id     = string
    prefix = string
    days   = number
  }))
  default = []
}

variable "access_logging" {
  description = "S3 server access logging for this bucket: target_bucket (the logs bucket) and optional target_prefix (default \"s3-access/<bucket_name>/\"). Null disables it, which only makes sense for the logs bucket itself. An object rather than a bare name so the bucket name may be unknown until apply."
  type = object({
    target_bucket = string
    target_prefix = optional(string)
  })
  default = null
}

variable "access_log_source_bucket_arns" {
  description = "When this bucket is a log target: ARNs of the buckets allowed to deliver S3 server access logs into it."
  type        = list(string)
  default     = []
}

variable "access_log_source_account_ids" {
  description = "Account ids allowed as aws:SourceAccount for access log delivery; required when access_log_source_bucket_arns is set."
  type        = list(string)
  default     = []
}

variable "additional_policy_statements" {
  description = "Extra IAM policy statements (already in IAM JSON shape) merged into the bucket policy."
  type        = list(any)
  default     = []
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}

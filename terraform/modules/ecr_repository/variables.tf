variable "repository_name" {
  description = "Name of the ECR repository, e.g. deployer-prod-jobs."
  type        = string

  validation {
    condition     = length(var.repository_name) >= 2 && length(var.repository_name) <= 256 && can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be 2-256 characters of lowercase letters and digits, separated by single '.', '_', '-' or '/'."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN encrypting the images (encryption type KMS). Null uses AES256 (S3-managed keys)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "force_delete" {
  description = "Allow destroying the repository while it still holds images. Leave false outside throwaway environments."
  type        = bool
  default     = false
}

variable "keep_last" {
  description = "How many images the lifecycle policy keeps (the newest by push time); older ones expire. The image the application runs and every rollback target must be among them."
  type        = number
  default     = 20

  validation {
    condition     = var.keep_last >= 1 && floor(var.keep_last) == var.keep_last
    error_message = "keep_last must be a whole number, at least 1."
  }
}

variable "expire_untagged_images" {
  description = "Also expire untagged images one day after their push. Only for repositories whose images are all pushed with a tag: an image pushed by digest alone is untagged and would be deleted while an application still runs it."
  type        = bool
  default     = false
}

variable "emr_serverless_application_arns" {
  description = "EMR Serverless applications that may pull the images (repository policy for emr-serverless.amazonaws.com with aws:SourceArn). Empty: no repository policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.emr_serverless_application_arns : can(regex("^arn:aws[a-z-]*:emr-serverless:[a-z0-9-]+:[0-9]{12}:/applications/[0-9a-z]+$", a))])
    error_message = "emr_serverless_application_arns must hold EMR Serverless application ARNs (arn:aws:emr-serverless:REGION:ACCOUNT:/applications/ID), no wildcards."
  }
}

variable "tags" {
  description = "Tags applied to the repository."
  type        = map(string)
  default     = {}
}

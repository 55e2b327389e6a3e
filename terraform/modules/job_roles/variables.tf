variable "name_prefix" {
  description = "Prefix for role and policy names, e.g. \"deployer-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 IAM-safe characters."
  }
}

variable "create_glue_role" {
  description = "Create the Glue job role."
  type        = bool
  default     = true
}

variable "create_emr_serverless_role" {
  description = "Create the EMR Serverless job runtime role."
  type        = bool
  default     = true
}

variable "artifact_bucket_arn" {
  description = "ARN of the artifact bucket holding the job code deployer uploads."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN."
  }
}

variable "artifact_prefix" {
  description = "deployer's key prefix in the artifact bucket; jobs read only its artifacts/ and dependencies/ (not the deployment records or locks)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.artifact_prefix))
    error_message = "artifact_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "data_bucket_arn" {
  description = "ARN of the data lake bucket holding the raw and curated prefixes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.data_bucket_arn))
    error_message = "data_bucket_arn must be an S3 bucket ARN."
  }
}

variable "raw_prefix" {
  description = "Key prefix of raw input data (read only for jobs)."
  type        = string
  default     = "raw"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.raw_prefix))
    error_message = "raw_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "curated_prefix" {
  description = "Key prefix of curated output (the only data prefix jobs can write)."
  type        = string
  default     = "curated"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.curated_prefix))
    error_message = "curated_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "temp_prefix" {
  description = "Key prefix in the data bucket for Spark/Glue scratch files (Glue --TempDir); expire it with a lifecycle rule."
  type        = string
  default     = "tmp"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.temp_prefix))
    error_message = "temp_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "job_logs_bucket_arn" {
  description = "ARN of the bucket receiving Spark event logs and EMR Serverless driver/executor logs."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.job_logs_bucket_arn))
    error_message = "job_logs_bucket_arn must be an S3 bucket ARN."
  }
}

variable "job_logs_prefix" {
  description = "Key prefix for job logs in job_logs_bucket_arn."
  type        = string
  default     = "job-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.job_logs_prefix))
    error_message = "job_logs_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "glue_database_names" {
  description = "Glue Data Catalog databases the jobs may read and write tables in."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "KMS keys encrypting the buckets above (if SSE-KMS); use is restricted to calls made through S3."
  type        = list(string)
  default     = []
}

variable "emr_serverless_application_arns" {
  description = "EMR Serverless application ARNs allowed to assume the EMR role (aws:SourceArn). Empty allows any application in this account."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags applied to created resources."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the on-call role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 characters)."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider (token.actions.githubusercontent.com); null trusts no workflow."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "GitHub repository whose workflows may assume the role, as ORG/REPO. No wildcards."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be ORG/REPO with no wildcards."
  }
}

variable "github_branches" {
  description = "Branches whose workflows may assume the role (the scheduled status workflow runs on the default branch)."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.github_branches : !strcontains(b, "*") && !strcontains(b, "?") && length(b) > 0])
    error_message = "github_branches must be exact names; wildcards would widen the trust."
  }
}

variable "github_environments" {
  description = "GitHub environments whose jobs may assume the role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.github_environments : !strcontains(e, "*") && !strcontains(e, "?") && length(e) > 0])
    error_message = "github_environments must be exact names; wildcards would widen the trust."
  }
}

variable "trusted_principal_arns" {
  description = "IAM role or user ARNs of the people on call (e.g. their SSO permission-set role), allowed sts:AssumeRole. Exact ARNs only: no account roots, no wildcards."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([for a in var.trusted_principal_arns :
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a)) && !strcontains(a, "*")
    ])
    error_message = "trusted_principal_arns must be IAM role or user ARNs (no :root, no wildcards)."
  }
}

variable "max_session_duration" {
  description = "Maximum session length in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 900 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 900 and 43200 seconds."
  }
}

variable "artifact_bucket_arn" {
  description = "ARN of the artifact bucket holding deployer's deployment records."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN."
  }
}

variable "artifact_prefix" {
  description = "deployer's key prefix in the artifact bucket; the role reads only PREFIX/deployments/*."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.artifact_prefix))
    error_message = "artifact_prefix must be a non-empty key prefix without leading/trailing slashes or wildcards."
  }
}

variable "artifact_kms_key_arn" {
  description = "KMS key encrypting the artifact bucket, if SSE-KMS; the role may decrypt through S3 only."
  type        = string
  default     = null
}

variable "glue_job_name_prefix" {
  description = "Prefix of the Glue job names deployer manages; the role reads only those jobs and their runs."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{3,}$", var.glue_job_name_prefix))
    error_message = "glue_job_name_prefix must be at least 3 characters of letters, digits, '_' or '-'."
  }
}

variable "emr_serverless_application_arn" {
  description = "ARN of the EMR Serverless application whose runs the role may read; null grants no EMR Serverless access."
  type        = string
  default     = null
}

variable "emr_cluster_arn" {
  description = "ARN of an EMR on EC2 cluster whose steps the role may read; null grants none."
  type        = string
  default     = null
}

variable "job_logs_bucket_arn" {
  description = "Bucket holding EMR Serverless / EMR driver logs; null grants no log-object reads."
  type        = string
  default     = null
}

variable "job_logs_prefix" {
  description = "Key prefix of the job logs in job_logs_bucket_arn (no leading or trailing slash)."
  type        = string
  default     = "job-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.job_logs_prefix))
    error_message = "job_logs_prefix must be a non-empty key prefix without leading/trailing slashes or wildcards."
  }
}

variable "tags" {
  description = "Tags applied to the role."
  type        = map(string)
  default     = {}
}

variable "data_bucket_arn" {
  description = "The data bucket whose jobs' run records (DATA_PREFIX/JOB/_runs/*.json, DATA_PREFIX/JOB/_manifest.json) on call may read: rows per table and quarantine ratio in deployer status. null: none."
  type        = string
  default     = null
}

variable "data_prefix" {
  description = "The prefix in data_bucket_arn under which each job writes its output folder (curated)."
  type        = string
  default     = "curated"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.data_prefix))
    error_message = "data_prefix must be a non-empty key prefix without leading/trailing slashes or wildcards."
  }
}

variable "name" {
  description = "Name of the deploy role assumed by GitHub Actions."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be a valid IAM role name (1-64 characters)."
  }
}

variable "create_oidc_provider" {
  description = "Create the account-wide GitHub OIDC provider. Set false when another stack (e.g. the other environment in the same account) already owns it, and pass oidc_provider_arn."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "ARN of an existing token.actions.githubusercontent.com OIDC provider; used when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "thumbprint_list" {
  description = "Server certificate thumbprints for token.actions.githubusercontent.com. AWS no longer uses them for GitHub (it trusts its own CA store) but the API still requires one; these are the values GitHub documented."
  type        = list(string)
  default = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]

  validation {
    condition     = length(var.thumbprint_list) > 0 && alltrue([for t in var.thumbprint_list : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "thumbprint_list must hold one or more 40-character lowercase hex SHA-1 thumbprints."
  }
}

variable "repository" {
  description = "GitHub repository allowed to assume the role, as ORG/REPO. No wildcards."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.repository))
    error_message = "repository must be ORG/REPO with no wildcards."
  }
}

variable "branches" {
  description = "Branches whose workflows may assume the role (sub = repo:ORG/REPO:ref:refs/heads/BRANCH)."
  type        = list(string)
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.branches : !strcontains(b, "*") && !strcontains(b, "?") && length(b) > 0])
    error_message = "branches must be exact names; wildcards would widen the trust."
  }
}

variable "environments" {
  description = "GitHub environments whose jobs may assume the role (sub = repo:ORG/REPO:environment:NAME). Prefer this for prod: environments can require reviewers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.environments : !strcontains(e, "*") && !strcontains(e, "?") && length(e) > 0])
    error_message = "environments must be exact names; wildcards would widen the trust."
  }
}

variable "max_session_duration" {
  description = "Maximum session length in seconds for the deploy role."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 900 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 900 and 43200 seconds."
  }
}

variable "artifact_bucket_arn" {
  description = "ARN of the artifact bucket deployer uploads to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.artifact_bucket_arn))
    error_message = "artifact_bucket_arn must be an S3 bucket ARN."
  }
}

variable "artifact_prefix" {
  description = "Key prefix inside the artifact bucket owned by deployer (no leading or trailing slash)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.artifact_prefix))
    error_message = "artifact_prefix must be a non-empty key prefix without leading/trailing slashes or wildcards."
  }
}

variable "artifact_kms_key_arn" {
  description = "KMS key encrypting the artifact bucket, if SSE-KMS; the role gets encrypt/decrypt through S3 only."
  type        = string
  default     = null
}

variable "glue_job_name_prefix" {
  description = "Prefix of the job names deployer manages (PROJECT-ENV-); the role can only touch Glue jobs starting with it, and schedules and alert rules named deployer-PREFIX*."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{3,46}$", var.glue_job_name_prefix))
    error_message = "glue_job_name_prefix must be 3-46 characters of letters, digits, '_' or '-' (deployer shortens schedule and rule names longer than 64 characters to their first 55, which must keep deployer-PREFIX)."
  }
}

variable "emr_serverless_application_arn" {
  description = "ARN of the EMR Serverless application deployer submits to; null grants no EMR Serverless access."
  type        = string
  default     = null
}

variable "job_image_repository_arn" {
  description = "The ECR repository of the jobs' container image (module ecr_repository): deployer may push to it and, with emr_serverless_application_arn, set the image on the application (UpdateApplication, StopApplication). Null grants no ECR access."
  type        = string
  default     = null

  validation {
    condition     = var.job_image_repository_arn == null || can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.job_image_repository_arn))
    error_message = "job_image_repository_arn must be an ECR repository ARN (arn:aws:ecr:REGION:ACCOUNT:repository/NAME, no wildcards) or null."
  }
}

variable "emr_cluster_arn" {
  description = "ARN of an EMR on EC2 cluster deployer adds steps to; null grants no EMR cluster access."
  type        = string
  default     = null
}

variable "scheduler_role_arn" {
  description = "The role EventBridge Scheduler assumes for deployer's schedules (module job_schedules); null grants no schedule management."
  type        = string
  default     = null
}

variable "pipeline_role_arn" {
  description = "The role deployer's pipeline state machines run as (module pipeline_role); null grants no state machine management."
  type        = string
  default     = null
}

variable "glue_job_role_arn" {
  description = "The Glue job role (module job_roles): deployer may pass it to Glue only (iam:PassedToService glue.amazonaws.com). Null when the environment has no Glue job role."
  type        = string
  default     = null

  validation {
    condition     = var.glue_job_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.glue_job_role_arn))
    error_message = "glue_job_role_arn must be an IAM role ARN (no wildcards) or null."
  }
}

variable "emr_serverless_job_role_arn" {
  description = "The EMR Serverless job runtime role (module job_roles): deployer may pass it to EMR Serverless only (iam:PassedToService emr-serverless.amazonaws.com), with emr_serverless_application_arn. Null when there is none."
  type        = string
  default     = null

  validation {
    condition     = var.emr_serverless_job_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.emr_serverless_job_role_arn))
    error_message = "emr_serverless_job_role_arn must be an IAM role ARN (no wildcards) or null."
  }
}

variable "data_bucket_arn" {
  description = "The data bucket whose jobs' run records (DATA_PREFIX/JOB/_runs/*.json, DATA_PREFIX/JOB/_manifest.json) deployer status may read after a deploy or run. null: none."
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

variable "tags" {
  description = "Tags applied to created resources."
  type        = map(string)
  default     = {}
}

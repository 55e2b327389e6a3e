# ---------------------------------------------------------------- identity

variable "region" {
  description = "AWS region of the platform (the provider's region; also used in the KMS key policy and the region output)."
  type        = string
}

variable "project" {
  description = "Project name; prefixes every resource name (PROJECT-ENVIRONMENT-...)."
  type        = string
  default     = "deployer"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.project))
    error_message = "project must be 3-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, prod, ...); second part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "artifact_prefix" {
  description = "Key prefix in the artifact bucket owned by deployer."
  type        = string
  default     = "deployer"
}

# ---------------------------------------------------------------- per-environment settings

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire in the artifact, data and logs buckets."
  type        = number
  default     = 30
}

variable "emr_maximum_capacity" {
  description = "Cap on the resources all concurrent EMR Serverless runs may use together (the cost ceiling)."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string)
  })
  default = { cpu = "16 vCPU", memory = "64 GB", disk = "200 GB" }
}

variable "emr_idle_timeout_minutes" {
  description = "Minutes of idleness after which the EMR Serverless application stops."
  type        = number
  default     = 10
}

variable "aurora_instance_class" {
  description = "Instance class of the Aurora instances."
  type        = string
  default     = "db.t4g.medium"
}

variable "aurora_instance_count" {
  description = "Number of Aurora instances (1 writer + readers); 2+ gives a failover target in another AZ."
  type        = number
  default     = 1
}

variable "aurora_backup_days" {
  description = "Days Aurora automated backups are kept (7-35)."
  type        = number
  default     = 7
}

variable "dms_max_capacity_units" {
  description = "Maximum DMS Serverless capacity units of the CDC replication."
  type        = number
  default     = 2
}

# ---------------------------------------------------------------- GitHub deploy role

variable "github_repository" {
  description = "GitHub ORG/REPO whose workflows deploy this environment."
  type        = string
}

variable "github_branches" {
  description = "Branches whose workflows may assume the deploy role (sub = repo:ORG/REPO:ref:refs/heads/BRANCH)."
  type        = list(string)
  default     = ["main"]
}

variable "github_environments" {
  description = "GitHub environments whose jobs may assume the deploy role (sub = repo:ORG/REPO:environment:NAME)."
  type        = list(string)
  default     = []
}

variable "create_oidc_provider" {
  description = "Create the account-wide GitHub OIDC provider here (false if another environment in the same account owns it)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN when create_oidc_provider is false."
  type        = string
  default     = null
}

variable "emr_cluster_arn" {
  description = "EMR on EC2 cluster deployer may add steps to; null for none."
  type        = string
  default     = null
}

# ---------------------------------------------------------------- on-call role (read-only)

variable "oncall_github_branches" {
  description = "Branches whose workflows may assume the read-only on-call role (the scheduled status workflow runs on the default branch)."
  type        = list(string)
  default     = ["main"]
}

variable "oncall_principal_arns" {
  description = "IAM role/user ARNs of the people on call (e.g. their SSO permission-set role) who may assume the read-only on-call role."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------- networking hooks and opt-in parts

variable "vpc_id" {
  description = "VPC for the database, DMS, EMR Serverless workers and the EC2 runner (networking is owned elsewhere; these are the hooks)."
  type        = string
  default     = null
}

variable "private_subnet_ids" {
  description = "Private subnets (two AZs or more) in vpc_id."
  type        = list(string)
  default     = []
}

variable "emr_serverless_in_vpc" {
  description = "Run EMR Serverless workers in the private subnets (needed to read Aurora directly)."
  type        = bool
  default     = false
}

variable "enable_aurora" {
  description = "Create the Aurora MySQL cluster (needs vpc_id and private_subnet_ids)."
  type        = bool
  default     = false
}

variable "enable_job_image_repository" {
  description = "Create the ECR repository of the jobs' container image (PROJECT-ENV-jobs), which deployer pushes to and sets on the EMR Serverless application; the deploy role gets push and UpdateApplication."
  type        = bool
  default     = false
}

variable "aurora_allowed_security_groups" {
  description = "Extra named security groups admitted to Aurora (description => sg id), e.g. an application tier."
  type        = map(string)
  default     = {}
}

variable "aurora_database_name" {
  description = "Initial database (and CDC source schema) of the Aurora cluster."
  type        = string
  default     = "billing"
}

variable "dms_source_secret_arn" {
  description = "Secret of the DMS replication user (host, port, username, password); null disables CDC."
  type        = string
  default     = null
}

variable "dms_source_secret_kms_key_arn" {
  description = "KMS key encrypting dms_source_secret_arn; null means the platform key."
  type        = string
  default     = null
}

variable "enable_ec2_runner" {
  description = "Create the EC2 runner for teams not using Glue/EMR."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_ec2_runner || (var.vpc_id != null && length(var.private_subnet_ids) > 0 && var.ec2_runner_job_s3_uri != null)
    error_message = "The EC2 runner needs vpc_id, private_subnet_ids and ec2_runner_job_s3_uri."
  }
}

variable "ec2_runner_job_s3_uri" {
  description = "Artifact directory the EC2 runner syncs and runs: PREFIX/artifacts/JOB/DIGEST/ in the artifact bucket (the job policy reads only artifacts/ and dependencies/ there)."
  type        = string
  default     = null
}

variable "data_alarm_jobs" {
  description = "The manifest's jobs whose runs must write rows (module data_alarms, on their EMF metrics)."
  type        = list(string)
  default     = ["sales_etl", "cdc_merge"]
}

variable "data_alarm_quarantine_jobs" {
  description = "The jobs whose quarantine ratio is alarmed on (module data_alarms)."
  type        = list(string)
  default     = ["sales_etl"]
}

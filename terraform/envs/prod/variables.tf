# Root inputs (terraform.tfvars); passed to modules/platform, which validates them.

variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Project name; prefixes every resource name."
  type        = string
  default     = "deployer"
}

variable "artifact_prefix" {
  description = "Key prefix in the artifact bucket owned by deployer."
  type        = string
  default     = "deployer"
}

variable "github_repository" {
  description = "GitHub ORG/REPO whose workflows deploy this environment."
  type        = string
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

variable "oncall_principal_arns" {
  description = "IAM role/user ARNs of the people on call (e.g. their SSO permission-set role) who may assume the read-only on-call role."
  type        = list(string)
  default     = []
}

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

variable "emr_cluster_arn" {
  description = "EMR on EC2 cluster deployer may add steps to; null for none."
  type        = string
  default     = null
}

variable "enable_aurora" {
  description = "Create the Aurora MySQL cluster (needs vpc_id and private_subnet_ids)."
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
}

variable "ec2_runner_job_s3_uri" {
  description = "Artifact directory the EC2 runner syncs and runs (under the artifact prefix)."
  type        = string
  default     = null
}

variable "name" {
  description = "Name of the runner (instance, role, security group)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,48}$", var.name))
    error_message = "name must be 1-48 letters, digits or hyphens."
  }
}

variable "vpc_id" {
  description = "VPC of the runner."
  type        = string
}

variable "subnet_id" {
  description = "Private subnet with a route to SSM and S3 (NAT or VPC endpoints). No public IP is ever assigned."
  type        = string
}

variable "ami_id" {
  description = "AMI id; null uses the latest Amazon Linux 2023 from the public SSM parameter."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "Instance type; Spark local mode wants memory."
  type        = string
  default     = "m7i.large"
}

variable "root_volume_size" {
  description = "Root volume size in GiB."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size >= 8
    error_message = "root_volume_size must be at least 8 GiB."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the root volume; null uses the account's default EBS key (still encrypted)."
  type        = string
  default     = null
}

variable "policy_arns" {
  description = "Managed policies attached to the instance role, e.g. job_roles' data_access_policy_arn."
  type        = list(string)
  default     = []
}

variable "job_artifact_s3_uri" {
  description = "S3 URI of the job artifact directory deployer uploaded (holds main.py and deps); synced before each run."
  type        = string

  validation {
    condition     = startswith(var.job_artifact_s3_uri, "s3://")
    error_message = "job_artifact_s3_uri must be an s3:// URI."
  }
}

variable "job_entrypoint" {
  description = "Entry script inside the artifact directory."
  type        = string
  default     = "main.py"
}

variable "job_args" {
  description = "Arguments passed to the job."
  type        = list(string)
  default     = []
}

variable "pyspark_version" {
  description = "PySpark version installed from PyPI; match the Glue/EMR Spark line."
  type        = string
  default     = "3.5.3"
}

variable "schedule" {
  description = "systemd OnCalendar expression for scheduled runs; null installs the job without a timer (run it via SSM)."
  type        = string
  default     = "*-*-* 02:00:00"
}

variable "tags" {
  description = "Tags applied to created resources."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Prefix for the replication config, endpoints, roles and security group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name must start with a letter and hold at most 41 lowercase letters, digits and hyphens."
  }
}

variable "vpc_id" {
  description = "VPC of the replication."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (two AZs or more) for the serverless replication."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "At least two subnets are required."
  }
}

variable "source_security_group_id" {
  description = "Security group of the Aurora cluster; the replication may only reach it on source_port."
  type        = string
}

variable "source_port" {
  description = "MySQL port of the source."
  type        = number
  default     = 3306
}

variable "source_secret_arn" {
  description = "Secrets Manager secret of the replication user, with host, port, username and password keys. Use a dedicated user with REPLICATION CLIENT/SLAVE and SELECT on the schema, not the master user."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.source_secret_arn))
    error_message = "source_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "source_secret_kms_key_arn" {
  description = "KMS key encrypting source_secret_arn (DMS needs kms:Decrypt on it)."
  type        = string
}

variable "source_schema" {
  description = "MySQL database (schema) holding the replicated tables."
  type        = string
}

variable "tables" {
  description = "Tables replicated with full load and ongoing changes."
  type        = list(string)
  default     = ["accounts", "invoices", "invoice_line_items", "skus"]

  validation {
    condition     = length(var.tables) > 0 && alltrue([for t in var.tables : can(regex("^[A-Za-z0-9_]+$", t))])
    error_message = "tables must be a non-empty list of plain table names (no wildcards)."
  }
}

variable "target_bucket_name" {
  description = "Data lake bucket receiving the Parquet change files."
  type        = string
}

variable "target_prefix" {
  description = "Key prefix for the change files (files land under PREFIX/SCHEMA/TABLE/)."
  type        = string
  default     = "raw/cdc"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*$", var.target_prefix))
    error_message = "target_prefix must be a key prefix without leading/trailing slashes or wildcards."
  }
}

variable "commit_timestamp_column" {
  description = "Column DMS adds with the source commit time of each change (load time for full-load rows)."
  type        = string
  default     = "_commit_ts"
}

variable "kms_key_arn" {
  description = "Customer managed key for the replication's storage, endpoint settings and the S3 change files (SSE-KMS)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "min_capacity_units" {
  description = "Minimum DMS capacity units of the serverless replication."
  type        = number
  default     = 1
}

variable "max_capacity_units" {
  description = "Maximum DMS capacity units (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384)."
  type        = number
  default     = 4

  validation {
    condition     = contains([1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384], var.max_capacity_units)
    error_message = "max_capacity_units must be one of 1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384."
  }
}

variable "multi_az" {
  description = "Run the replication Multi-AZ."
  type        = bool
  default     = false
}

variable "start_replication" {
  description = "Let Terraform start the replication. Off by default: starting a full load is an operational decision."
  type        = bool
  default     = false
}

variable "create_dms_vpc_role" {
  description = "Create the account-wide dms-vpc-role DMS needs for subnet groups. Only one stack per account may own it."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to created resources."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Cluster identifier; also prefixes the parameter group, subnet group, security group and log groups."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}$", var.name))
    error_message = "name must start with a letter and hold at most 51 lowercase letters, digits and hyphens."
  }
}

variable "engine_version" {
  description = "Aurora MySQL engine version (3.x = MySQL 8.0)."
  type        = string
  default     = "8.0.mysql_aurora.3.08.0"

  validation {
    condition     = startswith(var.engine_version, "8.0.mysql_aurora.3.")
    error_message = "engine_version must be an Aurora MySQL 3.x (MySQL 8.0) version."
  }
}

variable "database_name" {
  description = "Name of the initial database."
  type        = string
  default     = "app"
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager, never seen by Terraform."
  type        = string
  default     = "dbadmin"
}

variable "instance_class" {
  description = "Instance class of the cluster instances."
  type        = string
  default     = "db.r6g.large"
}

variable "instance_count" {
  description = "Number of instances (1 writer + readers). Use 2+ in prod for a failover target in another AZ."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 16
    error_message = "instance_count must be between 1 and 16."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two AZs) for the DB subnet group. Never pass public subnets: the instances are not publicly accessible anyway, but this keeps them unroutable."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "At least two subnets in different AZs are required."
  }
}

variable "allowed_security_groups" {
  description = "Named sources admitted on the MySQL port: map of a short description (e.g. \"dms\", \"emr-serverless\") to a security group id."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in values(var.allowed_security_groups) : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "allowed_security_groups values must be security group ids."
  }
}

variable "allowed_cidr_blocks" {
  description = "Named CIDR sources admitted on the MySQL port (description => CIDR). Private ranges only."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for c in values(var.allowed_cidr_blocks) :
      can(cidrhost(c, 0)) && c != "0.0.0.0/0" && (
        cidrsubnet(c, 0, 0) == c && (
          can(regex("^10\\.", c)) || can(regex("^192\\.168\\.", c)) || can(regex("^172\\.(1[6-9]|2[0-9]|3[01])\\.", c))
        )
      )
    ])
    error_message = "allowed_cidr_blocks must be RFC 1918 CIDR blocks (no 0.0.0.0/0)."
  }
}

variable "port" {
  description = "MySQL port."
  type        = number
  default     = 3306
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for storage, the master secret, Performance Insights and log groups. Its policy must allow CloudWatch Logs in this region."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "backup_retention_period" {
  description = "Days automated backups are kept."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_period >= 7 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be between 7 and 35 days."
  }
}

variable "preferred_backup_window" {
  description = "Daily UTC backup window."
  type        = string
  default     = "02:00-03:00"
}

variable "preferred_maintenance_window" {
  description = "Weekly UTC maintenance window (must not overlap the backup window)."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "deletion_protection" {
  description = "Block deletion of the cluster. Only turn off deliberately, right before a planned destroy."
  type        = bool
  default     = true
}

variable "enabled_cloudwatch_logs_exports" {
  description = "Log types exported to CloudWatch Logs."
  type        = list(string)
  default     = ["audit", "error", "slowquery"]

  validation {
    condition     = alltrue([for l in var.enabled_cloudwatch_logs_exports : contains(["audit", "error", "general", "slowquery", "iam-db-auth-error", "instance"], l)])
    error_message = "Unknown log type."
  }
}

variable "log_retention_days" {
  description = "Retention of the exported log groups."
  type        = number
  default     = 365
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds (0 disables)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}


variable "extra_cluster_parameters" {
  description = "Additional cluster parameters (name => value, applied pending-reboot). Cannot override the CDC binlog settings."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.extra_cluster_parameters), ["binlog_format", "binlog_row_image", "require_secure_transport"])) == 0
    error_message = "binlog_format, binlog_row_image and require_secure_transport are fixed by this module."
  }
}

variable "tags" {
  description = "Tags applied to created resources."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the EMR Serverless application."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, . _ / # -."
  }
}

variable "release_label" {
  description = "EMR release label. EMR 7.x ships Spark 3.5, which the jobs are built and tested against."
  type        = string
  default     = "emr-7.5.0"

  validation {
    condition     = can(regex("^emr-7\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "release_label must be an emr-7.x.y label (Spark 3.5)."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.architecture)
    error_message = "architecture must be X86_64 or ARM64."
  }
}

variable "auto_stop_idle_timeout_minutes" {
  description = "Minutes of idleness after which the application stops, so nothing is billed between runs."
  type        = number
  default     = 15

  validation {
    condition     = var.auto_stop_idle_timeout_minutes >= 1 && var.auto_stop_idle_timeout_minutes <= 10080
    error_message = "auto_stop_idle_timeout_minutes must be between 1 and 10080."
  }
}

variable "maximum_capacity" {
  description = "Cap on the resources all concurrent runs may use together; the cost ceiling."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string)
  })
  default = {
    cpu    = "16 vCPU"
    memory = "64 GB"
    disk   = "200 GB"
  }

  validation {
    condition     = can(regex("^[0-9]+ vCPU$", var.maximum_capacity.cpu)) && can(regex("^[0-9]+ GB$", var.maximum_capacity.memory))
    error_message = "maximum_capacity.cpu must look like \"16 vCPU\" and memory like \"64 GB\"."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the workers when jobs must reach VPC resources (e.g. Aurora). Empty runs outside any VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the workers; required with subnet_ids."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags applied to the application."
  type        = map(string)
  default     = {}
}

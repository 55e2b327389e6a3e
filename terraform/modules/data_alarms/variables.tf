variable "name_prefix" {
  description = "Prefix of the alarm names (PROJECT-ENV); the alerts topic accepts alarms named with it only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,100}$", var.name_prefix))
    error_message = "name_prefix must be 1-100 characters of letters, digits, '-', '_' or '.'."
  }
}

variable "job_names" {
  description = "The manifest's job names (the EMF dimension Job) whose runs must write rows."
  type        = list(string)
  default     = []
}

variable "quarantine_job_names" {
  description = "The jobs that report a quarantine ratio (QuarantineRatio)."
  type        = list(string)
  default     = []
}

variable "alarm_topic_arn" {
  description = "The SNS topic the alarms publish to (module job_schedules, output alerts_topic_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "min_rows_written" {
  description = "A run writing fewer rows than this (all tables together) alarms."
  type        = number
  default     = 1
}

variable "max_quarantine_ratio" {
  description = "A run quarantining a larger share of its input rows alarms (the job's own gate fails the run above its dq_max_quarantine_ratio)."
  type        = number
  default     = 0.01

  validation {
    condition     = var.max_quarantine_ratio >= 0 && var.max_quarantine_ratio <= 1
    error_message = "max_quarantine_ratio must be between 0 and 1."
  }
}

variable "period_seconds" {
  description = "The alarm period: one nightly run falls in one period."
  type        = number
  default     = 86400
}

variable "tags" {
  description = "Tags applied to the alarms."
  type        = map(string)
  default     = {}
}

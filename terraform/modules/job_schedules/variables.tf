variable "name_prefix" {
  description = "Prefix of the role and topic names, e.g. carsales-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix: lower-case letters, digits and '-', starting with a letter, at most 41."
  }
}

variable "glue_job_arns" {
  description = "Glue jobs the schedules may start (arn:aws:glue:REGION:ACCOUNT:job/PROJECT-TARGET-*)."
  type        = list(string)
  default     = []
}

variable "emr_serverless_application_arn" {
  description = "EMR Serverless application whose runs schedules may start; null for none."
  type        = string
  default     = null
}

variable "emr_serverless_job_role_arn" {
  description = "The EMR Serverless job role the scheduled runs pass (iam:PassRole); needed with emr_serverless_application_arn."
  type        = string
  default     = null
}

variable "state_machine_arns" {
  description = "deployer's pipeline state machines the schedules may start (arn:aws:states:REGION:ACCOUNT:stateMachine:PROJECT-TARGET-*)."
  type        = list(string)
  default     = []
}

variable "alert_rule_name_prefix" {
  description = "Name prefix of the EventBridge rules that may publish to the alerts topic: deployer names a job's rule deployer-ENGINE_NAME-alerts, so deployer-PROJECT-ENV- keeps other environments' and projects' rules out."
  type        = string
  default     = "deployer-"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,55}$", var.alert_rule_name_prefix))
    error_message = "alert_rule_name_prefix must be 1-55 characters of letters, digits, '-', '_' or '.' (no wildcards)."
  }
}

variable "alarm_name_prefix" {
  description = "Name prefix of this account's CloudWatch alarms that may publish to the alerts topic (module data_alarms); null: none may."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_name_prefix == null || can(regex("^[A-Za-z0-9_.-]{1,100}$", var.alarm_name_prefix))
    error_message = "alarm_name_prefix must be 1-100 characters of letters, digits, '-', '_' or '.' (no wildcards), or null."
  }
}

variable "alert_subscriber_emails" {
  description = "Addresses subscribed to the alerts topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for the alerts topic; null uses the AWS-managed SNS key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}

variable "name_prefix" {
  description = "Prefix of the role's name, e.g. carsales-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix: lower-case letters, digits and '-', starting with a letter, at most 41."
  }
}

variable "glue_job_arns" {
  description = "Glue jobs the pipelines may run (arn:aws:glue:REGION:ACCOUNT:job/PROJECT-TARGET-*)."
  type        = list(string)
  default     = []
}

variable "emr_serverless_application_arn" {
  description = "EMR Serverless application whose runs the pipelines may start; null for none."
  type        = string
  default     = null
}

variable "emr_serverless_job_role_arn" {
  description = "The EMR Serverless job role the pipelines' runs pass (iam:PassRole); needed with emr_serverless_application_arn."
  type        = string
  default     = null
}

variable "emr_cluster_arn" {
  description = "EMR cluster whose steps the pipelines may add and cancel; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on the role."
  type        = map(string)
  default     = {}
}

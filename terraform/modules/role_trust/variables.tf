variable "services" {
  description = "Service principal trusted with sts:AssumeRole on behalf of this account only (aws:SourceAccount): a string (\"glue.amazonaws.com\") or a list of them, written to Principal.Service as given. null: no service."
  type        = any
  default     = null

  validation {
    condition     = var.services == null || alltrue([for s in flatten([var.services]) : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", s))])
    error_message = "services must be one service principal (SERVICE.amazonaws.com) or a list of them."
  }
}

variable "source_arns" {
  description = "With services: the resources the service may act for (ArnLike aws:SourceArn). null: any resource of this account."
  type        = list(string)
  default     = null
}

variable "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider (token.actions.githubusercontent.com); the principal of the GitHub statement."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "GitHub repository whose workflows may assume the role (sts:AssumeRoleWithWebIdentity), as ORG/REPO. null: no GitHub statement."
  type        = string
  default     = null
}

variable "github_branches" {
  description = "Branches of github_repository whose workflows may assume the role (sub = repo:ORG/REPO:ref:refs/heads/BRANCH)."
  type        = list(string)
  default     = []
}

variable "github_environments" {
  description = "GitHub environments of github_repository whose jobs may assume the role (sub = repo:ORG/REPO:environment:NAME)."
  type        = list(string)
  default     = []
}

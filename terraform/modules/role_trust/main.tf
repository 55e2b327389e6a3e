# Who may assume a role: an AWS service of this account and/or GitHub Actions workflows through the
# OIDC provider, as the trust (assume-role) policy the deployer roles share. It creates nothing; it
# reads the account, partition and region the policy needs and hands them on to the caller.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id

  # Exact subjects only (StringEquals): a StringLike with "repo:ORG/*" would let any repo or
  # branch in the org assume the role.
  github_subjects = concat(
    [for b in var.github_branches : "repo:${var.github_repository}:ref:refs/heads/${b}" if var.github_repository != null],
    [for e in var.github_environments : "repo:${var.github_repository}:environment:${e}" if var.github_repository != null],
  )

  statements = concat(
    var.services == null ? [] : [{
      Effect    = "Allow"
      Principal = { Service = var.services }
      Action    = "sts:AssumeRole"
      # The service acting for this account only (confused deputy), and, with source_arns, for
      # those resources only.
      Condition = merge(
        { StringEquals = { "aws:SourceAccount" = local.account } },
        var.source_arns == null ? {} : { ArnLike = { "aws:SourceArn" = var.source_arns } },
      )
    }],
    var.github_repository == null ? [] : [{
      Sid       = "GitHubActionsOIDC"
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = local.github_subjects
        }
      }
    }],
  )
}

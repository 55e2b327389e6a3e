mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

run "service_of_this_account" {
  command = plan

  variables {
    services = "states.amazonaws.com"
  }

  assert {
    condition = jsonencode(output.policy) == jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "states.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = "123456789012" } }
      }]
    })
    error_message = "A service is trusted with sts:AssumeRole for this account only, its principal written as given."
  }

  assert {
    condition     = output.account_id == "123456789012" && output.partition == "aws" && output.region == "eu-west-1"
    error_message = "The account, partition and region are handed on."
  }

  assert {
    condition     = length(output.github_subjects) == 0
    error_message = "No GitHub subjects without github_repository."
  }
}

run "services_list_and_source_arns" {
  command = plan

  variables {
    services    = ["dms.amazonaws.com", "dms.eu-west-1.amazonaws.com"]
    source_arns = ["arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"]
  }

  assert {
    condition     = output.statements[0].Principal.Service == ["dms.amazonaws.com", "dms.eu-west-1.amazonaws.com"]
    error_message = "A list of service principals stays a list."
  }

  assert {
    condition = output.statements[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012" && output.statements[0].Condition.ArnLike["aws:SourceArn"] == tolist([
      "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00abc"
    ])
    error_message = "source_arns narrows the service to those resources (ArnLike aws:SourceArn), on top of aws:SourceAccount."
  }
}

run "github_exact_subjects" {
  command = plan

  variables {
    oidc_provider_arn   = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    github_repository   = "acme/deployer"
    github_branches     = ["main"]
    github_environments = ["production"]
  }

  assert {
    condition     = output.github_subjects == ["repo:acme/deployer:ref:refs/heads/main", "repo:acme/deployer:environment:production"]
    error_message = "Subjects are exact: one per branch and environment."
  }

  assert {
    condition = jsonencode(output.statements) == jsonencode([{
      Sid       = "GitHubActionsOIDC"
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
          "token.actions.githubusercontent.com:sub" = ["repo:acme/deployer:ref:refs/heads/main", "repo:acme/deployer:environment:production"]
        }
      }
    }])
    error_message = "Only the GitHub statement, with StringEquals on aud and the exact subs (no StringLike)."
  }
}

run "nobody" {
  command = plan

  assert {
    condition     = output.statements == [] && output.policy.Statement == []
    error_message = "Without services or github_repository the policy trusts nobody (the caller's precondition decides)."
  }
}

run "rejects_bad_service" {
  command = plan

  variables {
    services = "*"
  }

  expect_failures = [var.services]
}

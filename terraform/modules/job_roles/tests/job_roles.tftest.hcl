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

variables {
  name_prefix         = "deployer-dev"
  artifact_bucket_arn = "arn:aws:s3:::acme-artifacts"
  artifact_prefix     = "deployer/dev"
  data_bucket_arn     = "arn:aws:s3:::acme-lake"
  job_logs_bucket_arn = "arn:aws:s3:::acme-logs"
  glue_database_names = ["curated"]
}

run "write_access_only_to_curated_temp_and_logs" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : [
        for a in flatten([s.Action]) : !strcontains(a, "*")
      ]
    ]))
    error_message = "No wildcard actions."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : !contains(flatten([s.Resource]), "*")
    ])
    error_message = "No Resource \"*\"."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : flatten([s.Resource])
      if length(setintersection(toset(flatten([s.Action])), toset(["s3:PutObject", "s3:DeleteObject"]))) > 0
    ])) == toset(["arn:aws:s3:::acme-lake/curated/*", "arn:aws:s3:::acme-lake/tmp/*", "arn:aws:s3:::acme-logs/job-logs/*"])
    error_message = "S3 writes must be limited to curated/, tmp/ and the job logs prefix."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "s3:GetObject")
    ])) == toset(["arn:aws:s3:::acme-artifacts/deployer/dev/artifacts/*", "arn:aws:s3:::acme-artifacts/deployer/dev/dependencies/*", "arn:aws:s3:::acme-lake/raw/*", "arn:aws:s3:::acme-lake/curated/*", "arn:aws:s3:::acme-lake/tmp/*", "arn:aws:s3:::acme-logs/job-logs/*"])
    error_message = "S3 reads must be limited to artifacts, dependency bundles, raw, curated, tmp and job logs."
  }

  assert {
    condition = alltrue([
      for r in flatten([for s in jsondecode(aws_iam_policy.data_access.policy).Statement : flatten([s.Resource])]) :
      !startswith(r, "arn:aws:s3:::acme-artifacts/deployer/dev/deployments") && !startswith(r, "arn:aws:s3:::acme-artifacts/deployer/dev/locks") && r != "arn:aws:s3:::acme-artifacts/deployer/dev/*"
    ])
    error_message = "Jobs must not read deployer's deployment records or locks (nor the whole artifact prefix)."
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : s if s.Sid == "ListArtifacts"
    ]).Condition.StringLike["s3:prefix"] == ["deployer/dev/artifacts/*", "deployer/dev/dependencies/*"]
    error_message = "Jobs list only the artifacts and dependency bundles."
  }
}

run "trusts_are_service_and_account_scoped" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.glue[0].assume_role_policy).Statement[0].Principal.Service == "glue.amazonaws.com"
    error_message = "Glue role must trust glue.amazonaws.com only."
  }

  assert {
    condition     = jsondecode(aws_iam_role.glue[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "Glue role trust must be limited to this account (confused deputy)."
  }

  assert {
    condition     = jsondecode(aws_iam_role.emr_serverless[0].assume_role_policy).Statement[0].Principal.Service == "emr-serverless.amazonaws.com"
    error_message = "EMR Serverless role must trust emr-serverless.amazonaws.com only."
  }

  assert {
    condition     = jsondecode(aws_iam_role.emr_serverless[0].assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == ["arn:aws:emr-serverless:eu-west-1:123456789012:/applications/*"]
    error_message = "EMR Serverless role trust must be limited to this account's applications."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.glue_logs[0].policy).Statement[0].Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/*"]
    error_message = "Glue log writes must be limited to /aws-glue/* log groups."
  }
}

run "glue_only" {
  command = plan

  variables {
    create_emr_serverless_role = false
  }

  assert {
    condition     = length(aws_iam_role.emr_serverless) == 0 && length(aws_iam_role.glue) == 1
    error_message = "Only the Glue role is created."
  }
}

run "catalog_access_is_what_publishing_tables_needs" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : flatten([s.Action])
      if s.Sid == "GlueCatalogTables"
      ])) == toset([
      "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables",
      "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
      "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable",
      "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:DeletePartition",
    ])
    error_message = "The job role may read, create, update and delete tables and partitions, and nothing else in Glue (no database changes)."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.data_access.policy).Statement : flatten([s.Resource])
      if s.Sid == "GlueCatalogTables"
      ])) == toset([
      "arn:aws:glue:eu-west-1:123456789012:catalog",
      "arn:aws:glue:eu-west-1:123456789012:database/default",
      "arn:aws:glue:eu-west-1:123456789012:database/curated",
      "arn:aws:glue:eu-west-1:123456789012:table/curated/*",
    ])
    error_message = "Catalog access is limited to the curated database and its tables."
  }
}

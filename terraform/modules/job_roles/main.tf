# Glue of this account only.
module "glue_trust" {
  source   = "../role_trust"
  services = "glue.amazonaws.com"
}

# EMR Serverless of this account only, for the applications given (any of this account's if none).
module "emr_serverless_trust" {
  source   = "../role_trust"
  services = "emr-serverless.amazonaws.com"
  source_arns = length(var.emr_serverless_application_arns) > 0 ? var.emr_serverless_application_arns : [
    "arn:${local.partition}:emr-serverless:${local.region}:${local.account}:/applications/*"
  ]
}

locals {
  account   = module.glue_trust.account_id
  partition = module.glue_trust.partition
  region    = module.glue_trust.region

  glue_catalog_resources = length(var.glue_database_names) == 0 ? [] : concat(
    ["arn:${local.partition}:glue:${local.region}:${local.account}:catalog"],
    # Spark's Hive client looks up "default" on start-up even when it never uses it.
    ["arn:${local.partition}:glue:${local.region}:${local.account}:database/default"],
    [for d in var.glue_database_names : "arn:${local.partition}:glue:${local.region}:${local.account}:database/${d}"],
    [for d in var.glue_database_names : "arn:${local.partition}:glue:${local.region}:${local.account}:table/${d}/*"],
  )

  data_access_statements = concat(
    [
      {
        # What a job reads of deployer's prefix: its artifact (artifacts/JOB/DIGEST/) and its
        # dependency bundle (dependencies/DIGEST/); not the deployment records or the locks.
        Sid      = "ReadArtifacts"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = ["${var.artifact_bucket_arn}/${var.artifact_prefix}/artifacts/*", "${var.artifact_bucket_arn}/${var.artifact_prefix}/dependencies/*"]
      },
      {
        Sid       = "ListArtifacts"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.artifact_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${var.artifact_prefix}/artifacts/*", "${var.artifact_prefix}/dependencies/*"] } }
      },
      {
        Sid      = "ReadRaw"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${var.data_bucket_arn}/${var.raw_prefix}/*"
      },
      {
        # Spark overwrites partitions (delete + put) and commits via multipart uploads.
        Sid      = "WriteCuratedAndTemp"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = ["${var.data_bucket_arn}/${var.curated_prefix}/*", "${var.data_bucket_arn}/${var.temp_prefix}/*"]
      },
      {
        Sid      = "ListDataPrefixes"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = var.data_bucket_arn
        Condition = { StringLike = { "s3:prefix" = flatten([
          for p in [var.raw_prefix, var.curated_prefix, var.temp_prefix] : [p, "${p}/*"]
        ]) } }
      },
      {
        Sid      = "WriteJobLogs"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject"]
        Resource = "${var.job_logs_bucket_arn}/${var.job_logs_prefix}/*"
      },
    ],
    # sales_etl publishes each run by pointing its tables (and their partitions) at the run's
    # files through Spark's Hive client for the Glue Data Catalog: it reads tables and
    # partitions, creates a table the first time, updates the table and partition locations,
    # adds new partitions, deletes partitions a run no longer has, and drops + recreates a
    # table whose columns changed. It never creates or deletes databases.
    length(local.glue_catalog_resources) == 0 ? [] : [{
      Sid    = "GlueCatalogTables"
      Effect = "Allow"
      Action = [
        "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables",
        "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
        "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable",
        "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:DeletePartition",
      ]
      Resource = local.glue_catalog_resources
    }],
    length(var.kms_key_arns) == 0 ? [] : [{
      Sid       = "KmsViaS3"
      Effect    = "Allow"
      Action    = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      Resource  = var.kms_key_arns
      Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
    }],
  )

  # The roles' trust policies (Tests/e2e extends them with its operator through these names).
  glue_trust           = module.glue_trust.policy
  emr_serverless_trust = module.emr_serverless_trust.policy

  # Glue writes driver/executor output to these fixed log groups.
  glue_logs_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "GlueJobLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/*"]
    }]
  }
}

resource "aws_iam_policy" "data_access" {
  name        = "${var.name_prefix}-job-data-access"
  description = "Read artifacts and raw data, write curated data and job logs (${var.name_prefix})."
  policy      = jsonencode({ Version = "2012-10-17", Statement = local.data_access_statements })
  tags        = var.tags
}

resource "aws_iam_role" "glue" {
  count = var.create_glue_role ? 1 : 0

  name               = "${var.name_prefix}-glue-job"
  description        = "Runtime role for ${var.name_prefix} Glue jobs"
  assume_role_policy = jsonencode(local.glue_trust)
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "glue_data" {
  count = var.create_glue_role ? 1 : 0

  role       = aws_iam_role.glue[0].name
  policy_arn = aws_iam_policy.data_access.arn
}

resource "aws_iam_role_policy" "glue_logs" {
  count = var.create_glue_role ? 1 : 0

  name   = "glue-logs"
  role   = aws_iam_role.glue[0].id
  policy = jsonencode(local.glue_logs_policy)
}

resource "aws_iam_role" "emr_serverless" {
  count = var.create_emr_serverless_role ? 1 : 0

  name               = "${var.name_prefix}-emr-serverless-job"
  description        = "Runtime role for ${var.name_prefix} EMR Serverless job runs"
  assume_role_policy = jsonencode(local.emr_serverless_trust)
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "emr_serverless_data" {
  count = var.create_emr_serverless_role ? 1 : 0

  role       = aws_iam_role.emr_serverless[0].name
  policy_arn = aws_iam_policy.data_access.arn
}

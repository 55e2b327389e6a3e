# The data platform of one environment: buckets, KMS key, Glue catalog, job roles,
# EMR Serverless, optional Aurora/DMS/EC2 runner and the GitHub deploy role.
# One root for every environment: ENV.tfvars holds what differs, ENV.s3.tfbackend the state key
# (see README.md: terraform init -backend-config=ENV.s3.tfbackend, terraform apply -var-file=ENV.tfvars).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name      = "${var.project}-${var.environment}"
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition

  # Account id in the name keeps bucket names globally unique without a random provider.
  artifact_bucket_name = "${local.name}-${local.account}-artifacts"
  data_bucket_name     = "${local.name}-${local.account}-lake"
  logs_bucket_name     = "${local.name}-${local.account}-logs"

  raw_prefix      = "raw"
  curated_prefix  = "curated"
  temp_prefix     = "tmp"
  job_logs_prefix = "job-logs"
  glue_job_prefix = "${local.name}-"

  aurora_enabled = var.enable_aurora && var.vpc_id != null && length(var.private_subnet_ids) >= 2
  dms_enabled    = local.aurora_enabled && var.dms_source_secret_arn != null
  emr_in_vpc     = var.emr_serverless_in_vpc && var.vpc_id != null && length(var.private_subnet_ids) > 0
}

# One customer managed key for the platform's data at rest; CloudWatch Logs is
# allowed to use it for this account's log groups only.
resource "aws_kms_key" "platform" {
  description             = "${local.name} platform data (S3, Aurora, DMS, logs)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account}:log-group:*" }
        }
      },
      {
        # The alerts topic is encrypted with this key: EventBridge (failed-run rules) and
        # CloudWatch (data alarms) of this account must use it to publish there.
        Sid       = "AlertPublishers"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
    ]
  })
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${local.name}-platform"
  target_key_id = aws_kms_key.platform.key_id
}

module "logs_bucket" {
  source = "../modules/s3_bucket"

  bucket_name                        = local.logs_bucket_name
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  # S3 server access log delivery only supports SSE-S3 targets.
  kms_key_arn                   = null
  access_log_source_bucket_arns = ["arn:${local.partition}:s3:::${local.artifact_bucket_name}", "arn:${local.partition}:s3:::${local.data_bucket_name}"]
  access_log_source_account_ids = [local.account]
  expiration_rules = [
    { id = "job-logs", prefix = "${local.job_logs_prefix}/", days = 90 },
    { id = "s3-access", prefix = "s3-access/", days = 365 },
  ]
}

module "artifact_bucket" {
  source = "../modules/s3_bucket"

  bucket_name                        = local.artifact_bucket_name
  kms_key_arn                        = aws_kms_key.platform.arn
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  access_logging                     = { target_bucket = module.logs_bucket.logging_target_bucket }
}

module "data_bucket" {
  source = "../modules/s3_bucket"

  bucket_name                        = local.data_bucket_name
  kms_key_arn                        = aws_kms_key.platform.arn
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  access_logging                     = { target_bucket = module.logs_bucket.logging_target_bucket }
  expiration_rules                   = [{ id = "spark-temp", prefix = "${local.temp_prefix}/", days = 7 }]
}

module "glue_catalog" {
  source = "../modules/glue_catalog"

  database_name = replace("${local.name}_curated", "-", "_")
  location_uri  = "s3://${local.data_bucket_name}/${local.curated_prefix}/"
}

module "job_roles" {
  source = "../modules/job_roles"

  name_prefix         = local.name
  artifact_bucket_arn = module.artifact_bucket.bucket_arn
  artifact_prefix     = var.artifact_prefix
  data_bucket_arn     = module.data_bucket.bucket_arn
  raw_prefix          = local.raw_prefix
  curated_prefix      = local.curated_prefix
  temp_prefix         = local.temp_prefix
  job_logs_bucket_arn = module.logs_bucket.bucket_arn
  job_logs_prefix     = local.job_logs_prefix
  glue_database_names = [module.glue_catalog.database_name]
  kms_key_arns        = [aws_kms_key.platform.arn]
}

# Networking hook: EMR Serverless workers only get a security group when they
# run in the VPC; they only talk HTTPS out, and MySQL to Aurora when it exists.
resource "aws_security_group" "emr_serverless" {
  #checkov:skip=CKV2_AWS_5:Attached to the EMR Serverless application's network_configuration through module.emr_serverless, which checkov does not follow.
  count = local.emr_in_vpc ? 1 : 0

  name        = "${local.name}-emr-serverless"
  description = "EMR Serverless workers of ${local.name}: HTTPS and Aurora out, nothing in"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "emr_https" {
  count = local.emr_in_vpc ? 1 : 0

  security_group_id = aws_security_group.emr_serverless[0].id
  description       = "HTTPS to S3, Glue, CloudWatch (via VPC endpoints or NAT)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "emr_aurora" {
  count = local.emr_in_vpc && local.aurora_enabled ? 1 : 0

  security_group_id            = aws_security_group.emr_serverless[0].id
  description                  = "MySQL to Aurora"
  referenced_security_group_id = module.aurora[0].security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
}

module "emr_serverless" {
  source = "../modules/emr_serverless"

  name                           = local.name
  maximum_capacity               = var.emr_maximum_capacity
  auto_stop_idle_timeout_minutes = var.emr_idle_timeout_minutes
  subnet_ids                     = local.emr_in_vpc ? var.private_subnet_ids : []
  security_group_ids             = aws_security_group.emr_serverless[*].id
}

# The jobs' container image (opt-in): deployer builds and pushes it here and sets it on the EMR
# Serverless application (REPO@sha256:DIGEST), which alone may pull it.
module "job_image_repository" {
  source = "../modules/ecr_repository"
  count  = var.enable_job_image_repository ? 1 : 0

  repository_name                 = "${local.name}-jobs"
  kms_key_arn                     = aws_kms_key.platform.arn
  emr_serverless_application_arns = [module.emr_serverless.application_arn]
}

module "aurora" {
  source = "../modules/aurora_mysql"
  count  = local.aurora_enabled ? 1 : 0

  name                    = local.name
  vpc_id                  = var.vpc_id
  subnet_ids              = var.private_subnet_ids
  kms_key_arn             = aws_kms_key.platform.arn
  database_name           = var.aurora_database_name
  instance_class          = var.aurora_instance_class
  instance_count          = var.aurora_instance_count
  backup_retention_period = var.aurora_backup_days
  allowed_security_groups = merge(
    var.aurora_allowed_security_groups,
    local.emr_in_vpc ? { "emr-serverless" = aws_security_group.emr_serverless[0].id } : {},
    local.dms_enabled ? { "dms" = module.dms[0].security_group_id } : {},
    var.enable_ec2_runner ? { "ec2-runner" = module.ec2_runner[0].security_group_id } : {},
  )
}

module "dms" {
  source = "../modules/dms_cdc"
  count  = local.dms_enabled ? 1 : 0

  name                      = "${local.name}-cdc"
  vpc_id                    = var.vpc_id
  subnet_ids                = var.private_subnet_ids
  source_security_group_id  = module.aurora[0].security_group_id
  source_secret_arn         = var.dms_source_secret_arn
  source_secret_kms_key_arn = coalesce(var.dms_source_secret_kms_key_arn, aws_kms_key.platform.arn)
  source_schema             = var.aurora_database_name
  target_bucket_name        = module.data_bucket.bucket_id
  target_prefix             = "${local.raw_prefix}/cdc"
  kms_key_arn               = aws_kms_key.platform.arn
  max_capacity_units        = var.dms_max_capacity_units
}

module "ec2_runner" {
  source = "../modules/ec2_runner"
  count  = var.enable_ec2_runner ? 1 : 0

  name                = local.name
  vpc_id              = var.vpc_id
  subnet_id           = var.private_subnet_ids[0]
  kms_key_arn         = aws_kms_key.platform.arn
  policy_arns         = [module.job_roles.data_access_policy_arn]
  job_artifact_s3_uri = var.ec2_runner_job_s3_uri
}

module "github_oidc" {
  source = "../modules/github_oidc"

  name                           = "${local.name}-deploy"
  repository                     = var.github_repository
  branches                       = var.github_branches
  environments                   = var.github_environments
  create_oidc_provider           = var.create_oidc_provider
  oidc_provider_arn              = var.oidc_provider_arn
  artifact_bucket_arn            = module.artifact_bucket.bucket_arn
  artifact_prefix                = var.artifact_prefix
  artifact_kms_key_arn           = aws_kms_key.platform.arn
  glue_job_name_prefix           = local.glue_job_prefix
  emr_serverless_application_arn = module.emr_serverless.application_arn
  job_image_repository_arn       = one(module.job_image_repository[*].repository_arn)
  emr_cluster_arn                = var.emr_cluster_arn
  glue_job_role_arn              = module.job_roles.glue_job_role_arn
  emr_serverless_job_role_arn    = module.job_roles.emr_serverless_job_role_arn
  scheduler_role_arn             = module.job_schedules.scheduler_role_arn
  pipeline_role_arn              = module.pipeline_role.pipeline_role_arn
  data_bucket_arn                = module.data_bucket.bucket_arn
  data_prefix                    = local.curated_prefix
}

# deployer's pipelines (Step Functions state machines) run as this role.
module "pipeline_role" {
  source = "../modules/pipeline_role"

  name_prefix                    = local.name
  glue_job_arns                  = ["arn:${local.partition}:glue:${var.region}:${local.account}:job/${local.glue_job_prefix}*"]
  emr_serverless_application_arn = module.emr_serverless.application_arn
  emr_serverless_job_role_arn    = module.job_roles.emr_serverless_job_role_arn
  emr_cluster_arn                = var.emr_cluster_arn
}

# deployer's schedules run as this role; failed runs are published to its topic.
module "job_schedules" {
  source = "../modules/job_schedules"

  name_prefix                    = local.name
  glue_job_arns                  = ["arn:${local.partition}:glue:${var.region}:${local.account}:job/${local.glue_job_prefix}*"]
  emr_serverless_application_arn = module.emr_serverless.application_arn
  emr_serverless_job_role_arn    = module.job_roles.emr_serverless_job_role_arn
  state_machine_arns             = ["arn:${local.partition}:states:${var.region}:${local.account}:stateMachine:${local.glue_job_prefix}*"]
  kms_key_arn                    = aws_kms_key.platform.arn
  # deployer's rules of this environment's jobs: deployer-ENGINE_NAME-alerts (ENGINE_NAME: PROJECT-ENV-JOB).
  alert_rule_name_prefix = "deployer-${local.glue_job_prefix}"
  alarm_name_prefix      = "${local.name}-data"
}

# Alarms on the jobs' own figures (their EMF log lines): a run that wrote no rows, a quarantine
# ratio above the limit; to the alerts topic.
module "data_alarms" {
  source = "../modules/data_alarms"

  name_prefix          = "${local.name}-data"
  job_names            = var.data_alarm_jobs
  quarantine_job_names = var.data_alarm_quarantine_jobs
  alarm_topic_arn      = module.job_schedules.alerts_topic_arn
}

# Read-only on-call role: deployer status, runs and logs (the status workflow and people on call).
module "oncall_role" {
  source = "../modules/oncall_role"

  name                           = "${local.name}-oncall"
  oidc_provider_arn              = module.github_oidc.oidc_provider_arn
  github_repository              = var.github_repository
  github_branches                = var.oncall_github_branches
  trusted_principal_arns         = var.oncall_principal_arns
  artifact_bucket_arn            = module.artifact_bucket.bucket_arn
  artifact_prefix                = var.artifact_prefix
  artifact_kms_key_arn           = aws_kms_key.platform.arn
  glue_job_name_prefix           = local.glue_job_prefix
  emr_serverless_application_arn = module.emr_serverless.application_arn
  emr_cluster_arn                = var.emr_cluster_arn
  job_logs_bucket_arn            = module.logs_bucket.bucket_arn
  job_logs_prefix                = local.job_logs_prefix
  data_bucket_arn                = module.data_bucket.bucket_arn
  data_prefix                    = local.curated_prefix
}

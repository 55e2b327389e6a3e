# The prod environment: modules/platform with prod's settings. Everything that
# differs between envs is in this call (and the state key in versions.tf);
# the shared composition lives in ../../modules/platform.
locals {
  environment = "prod"
}

module "platform" {
  source = "../../modules/platform"

  environment = local.environment

  # Prod deploys only from the GitHub "production" environment, which can
  # require reviewers; a push to main alone cannot assume the role.
  github_branches     = []
  github_environments = ["production"]

  emr_maximum_capacity               = { cpu = "64 vCPU", memory = "256 GB", disk = "1000 GB" }
  emr_idle_timeout_minutes           = 15
  aurora_instance_class              = "db.r6g.large"
  aurora_instance_count              = 2
  aurora_backup_days                 = 35
  dms_max_capacity_units             = 8
  noncurrent_version_expiration_days = 90

  # Root inputs (terraform.tfvars), passed through unchanged.
  region                         = var.region
  project                        = var.project
  artifact_prefix                = var.artifact_prefix
  github_repository              = var.github_repository
  create_oidc_provider           = var.create_oidc_provider
  oidc_provider_arn              = var.oidc_provider_arn
  emr_cluster_arn                = var.emr_cluster_arn
  oncall_principal_arns          = var.oncall_principal_arns
  vpc_id                         = var.vpc_id
  private_subnet_ids             = var.private_subnet_ids
  emr_serverless_in_vpc          = var.emr_serverless_in_vpc
  enable_aurora                  = var.enable_aurora
  aurora_allowed_security_groups = var.aurora_allowed_security_groups
  aurora_database_name           = var.aurora_database_name
  dms_source_secret_arn          = var.dms_source_secret_arn
  dms_source_secret_kms_key_arn  = var.dms_source_secret_kms_key_arn
  enable_ec2_runner              = var.enable_ec2_runner
  ec2_runner_job_s3_uri          = var.ec2_runner_job_s3_uri
}

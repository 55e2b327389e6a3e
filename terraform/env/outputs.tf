# Names are the ${tf.NAME} references in deployer.yml and the workflows: do not rename.

output "region" {
  description = "AWS region."
  value       = var.region
}

output "artifact_bucket" {
  description = "Bucket deployer uploads artifacts to."
  value       = module.artifact_bucket.bucket_id
}

output "artifact_prefix" {
  description = "Key prefix owned by deployer inside the artifact bucket."
  value       = var.artifact_prefix
}

output "data_bucket" {
  description = "Data lake bucket (raw and curated prefixes)."
  value       = module.data_bucket.bucket_id
}

output "raw_prefix" {
  description = "S3 URI of the raw input prefix."
  value       = "s3://${module.data_bucket.bucket_id}/${local.raw_prefix}/"
}

output "curated_prefix" {
  description = "S3 URI of the curated output prefix."
  value       = "s3://${module.data_bucket.bucket_id}/${local.curated_prefix}/"
}

output "temp_dir" {
  description = "S3 URI for Glue --TempDir / Spark scratch (expires after 7 days)."
  value       = "s3://${module.data_bucket.bucket_id}/${local.temp_prefix}/"
}

output "logs_bucket" {
  description = "Bucket for access logs and job logs."
  value       = module.logs_bucket.bucket_id
}

output "job_logs_uri" {
  description = "S3 URI jobs write Spark event logs / EMR Serverless logs to."
  value       = "s3://${module.logs_bucket.bucket_id}/${local.job_logs_prefix}/"
}

output "glue_database" {
  description = "Glue database of the curated tables."
  value       = module.glue_catalog.database_name
}

output "glue_job_name_prefix" {
  description = "Prefix every deployer-managed Glue job name must start with."
  value       = local.glue_job_prefix
}

output "glue_job_role_arn" {
  description = "Role Glue jobs run as."
  value       = module.job_roles.glue_job_role_arn
}

output "emr_serverless_job_role_arn" {
  description = "Runtime role of EMR Serverless job runs."
  value       = module.job_roles.emr_serverless_job_role_arn
}

output "emr_serverless_application_id" {
  description = "EMR Serverless application id."
  value       = module.emr_serverless.application_id
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to run deployer."
  value       = module.github_oidc.role_arn
}

output "oncall_role_arn" {
  description = "Read-only on-call role: deployer status, runs and logs (the status workflow assumes it)."
  value       = module.oncall_role.role_arn
}

output "kms_key_arn" {
  description = "Platform KMS key."
  value       = aws_kms_key.platform.arn
}

output "job_image_repository_url" {
  description = "ECR repository deployer pushes the jobs' container image to (null when enable_job_image_repository is off)."
  value       = one(module.job_image_repository[*].repository_url)
}

output "aurora_endpoint" {
  description = "Aurora writer endpoint (null when Aurora is disabled)."
  value       = one(module.aurora[*].endpoint)
}

output "aurora_secret_arn" {
  description = "Secrets Manager ARN of the Aurora master credentials (null when Aurora is disabled)."
  value       = one(module.aurora[*].master_user_secret_arn)
}

output "cdc_s3_uri" {
  description = "Where DMS writes the Parquet change files (null when CDC is disabled)."
  value       = one(module.dms[*].target_s3_uri)
}

output "ec2_runner_instance_id" {
  description = "EC2 runner instance id (null when disabled)."
  value       = one(module.ec2_runner[*].instance_id)
}

output "github_trusted_subjects" {
  description = "Exact GitHub token sub values allowed to assume the deploy role."
  value       = module.github_oidc.trusted_subjects
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes for deployer's schedules (manifest schedule_role_arn)."
  value       = module.job_schedules.scheduler_role_arn
}

output "alerts_topic_arn" {
  description = "SNS topic for failed runs (manifest notify.sns_topic)."
  value       = module.job_schedules.alerts_topic_arn
}

output "pipeline_role_arn" {
  description = "The role deployer's pipeline state machines run as (targets.NAME.pipeline_role_arn)."
  value       = module.pipeline_role.pipeline_role_arn
}

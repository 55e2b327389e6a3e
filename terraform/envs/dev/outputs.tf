# Names match the ${tf.NAME} references in deployer.yml and the workflows;
# values come from modules/platform unchanged.

output "region" {
  description = "AWS region."
  value       = module.platform.region
}

output "artifact_bucket" {
  description = "Bucket deployer uploads artifacts to."
  value       = module.platform.artifact_bucket
}

output "artifact_prefix" {
  description = "Key prefix owned by deployer inside the artifact bucket."
  value       = module.platform.artifact_prefix
}

output "data_bucket" {
  description = "Data lake bucket (raw and curated prefixes)."
  value       = module.platform.data_bucket
}

output "raw_prefix" {
  description = "S3 URI of the raw input prefix."
  value       = module.platform.raw_prefix
}

output "curated_prefix" {
  description = "S3 URI of the curated output prefix."
  value       = module.platform.curated_prefix
}

output "temp_dir" {
  description = "S3 URI for Glue --TempDir / Spark scratch (expires after 7 days)."
  value       = module.platform.temp_dir
}

output "logs_bucket" {
  description = "Bucket for access logs and job logs."
  value       = module.platform.logs_bucket
}

output "job_logs_uri" {
  description = "S3 URI jobs write Spark event logs / EMR Serverless logs to."
  value       = module.platform.job_logs_uri
}

output "glue_database" {
  description = "Glue database of the curated tables."
  value       = module.platform.glue_database
}

output "glue_job_name_prefix" {
  description = "Prefix every deployer-managed Glue job name must start with."
  value       = module.platform.glue_job_name_prefix
}

output "glue_job_role_arn" {
  description = "Role Glue jobs run as."
  value       = module.platform.glue_job_role_arn
}

output "emr_serverless_job_role_arn" {
  description = "Runtime role of EMR Serverless job runs."
  value       = module.platform.emr_serverless_job_role_arn
}

output "emr_serverless_application_id" {
  description = "EMR Serverless application id."
  value       = module.platform.emr_serverless_application_id
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to run deployer."
  value       = module.platform.deploy_role_arn
}

output "oncall_role_arn" {
  description = "Read-only on-call role: deployer status, runs and logs (the status workflow assumes it)."
  value       = module.platform.oncall_role_arn
}

output "kms_key_arn" {
  description = "Platform KMS key."
  value       = module.platform.kms_key_arn
}

output "aurora_endpoint" {
  description = "Aurora writer endpoint (null when Aurora is disabled)."
  value       = module.platform.aurora_endpoint
}

output "aurora_secret_arn" {
  description = "Secrets Manager ARN of the Aurora master credentials (null when Aurora is disabled)."
  value       = module.platform.aurora_secret_arn
}

output "cdc_s3_uri" {
  description = "Where DMS writes the Parquet change files (null when CDC is disabled)."
  value       = module.platform.cdc_s3_uri
}

output "ec2_runner_instance_id" {
  description = "EC2 runner instance id (null when disabled)."
  value       = module.platform.ec2_runner_instance_id
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes for deployer's schedules (manifest schedule_role_arn)."
  value       = module.platform.scheduler_role_arn
}

output "alerts_topic_arn" {
  description = "SNS topic for failed runs (manifest notify.sns_topic)."
  value       = module.platform.alerts_topic_arn
}

# What each environment's tfvars give; run once per environment with its var-file
# (terraform/check.sh does, for every ENV.s3.tfbackend + ENV.tfvars pair):
#   terraform test -filter=tests/tfvars.tftest.hcl -var-file=dev.tfvars
# The composition itself is tested in tests/platform.tftest.hcl.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

run "environment_settings" {
  command = plan

  assert {
    condition     = output.region == "eu-west-1" && output.artifact_prefix == "deployer" && output.glue_job_name_prefix == "deployer-${var.environment}-"
    error_message = "Region, artifact prefix and the Glue job prefix (PROJECT-ENV-) are what deployer.yml expects."
  }

  assert {
    condition = output.github_trusted_subjects == (var.environment == "prod"
      ? ["repo:acme/deployer:environment:production"]
    : ["repo:acme/deployer:ref:refs/heads/main"])
    error_message = "dev deploys from main only; prod only from the GitHub \"production\" environment (its reviewers)."
  }

  assert {
    condition     = module.oncall_role.role_name == "deployer-${var.environment}-oncall"
    error_message = "The on-call role is PROJECT-ENV-oncall."
  }

  assert {
    condition     = output.aurora_endpoint == null && output.cdc_s3_uri == null && output.ec2_runner_instance_id == null
    error_message = "Aurora, DMS and the EC2 runner stay opt-in: a site var-file turns them on, not ENV.tfvars."
  }

  assert {
    condition = (var.environment == "prod"
      ? length(module.job_image_repository) == 1
    : length(module.job_image_repository) == 0 && output.job_image_repository_url == null)
    error_message = "Only prod has the job image repository (enable_job_image_repository in prod.tfvars)."
  }
}

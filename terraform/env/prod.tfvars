# prod: terraform apply -var-file=prod.tfvars (state: prod.s3.tfbackend). Everything that differs
# between environments is in ENV.tfvars; compare with `diff dev.tfvars prod.tfvars`.
environment       = "prod"
region            = "eu-west-1"
github_repository = "acme/deployer"

# Prod deploys only from the GitHub "production" environment, which can require reviewers;
# a push to main alone cannot assume the role.
github_branches     = []
github_environments = ["production"]

# In its own account prod creates the GitHub OIDC provider; sharing an account with dev, set
# create_oidc_provider = false and oidc_provider_arn (dev's provider) in the site var-file.
create_oidc_provider = true

emr_maximum_capacity               = { cpu = "64 vCPU", memory = "256 GB", disk = "1000 GB" }
emr_idle_timeout_minutes           = 15
aurora_instance_class              = "db.r6g.large"
aurora_instance_count              = 2
aurora_backup_days                 = 35
dms_max_capacity_units             = 8
noncurrent_version_expiration_days = 90

# The jobs run from deployer's container image on EMR Serverless: the ECR repository PROJECT-ENV-jobs.
enable_job_image_repository = true

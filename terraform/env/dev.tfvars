# dev: terraform apply -var-file=dev.tfvars (state: dev.s3.tfbackend). Everything that differs
# between environments is in ENV.tfvars; compare with `diff dev.tfvars prod.tfvars`.
environment       = "dev"
region            = "eu-west-1"
github_repository = "acme/deployer"

# dev deploys on every push to main.
github_branches     = ["main"]
github_environments = []

# dev owns the account-wide GitHub OIDC provider.
create_oidc_provider = true

emr_maximum_capacity               = { cpu = "16 vCPU", memory = "64 GB", disk = "200 GB" }
emr_idle_timeout_minutes           = 10
aurora_instance_class              = "db.t4g.medium"
aurora_instance_count              = 1
aurora_backup_days                 = 7
dms_max_capacity_units             = 2
noncurrent_version_expiration_days = 30

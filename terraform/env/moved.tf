# Where the resources stood when each environment had its own root (terraform/envs/ENV calling
# modules/platform): the same state keys now hold them at the top of this root. Terraform
# moves them on the next plan/apply with no change to the resources; remove these blocks once
# every environment has been applied from here.

moved {
  from = module.platform.module.logs_bucket
  to   = module.logs_bucket
}

moved {
  from = module.platform.module.artifact_bucket
  to   = module.artifact_bucket
}

moved {
  from = module.platform.module.data_bucket
  to   = module.data_bucket
}

moved {
  from = module.platform.module.glue_catalog
  to   = module.glue_catalog
}

moved {
  from = module.platform.module.job_roles
  to   = module.job_roles
}

moved {
  from = module.platform.module.emr_serverless
  to   = module.emr_serverless
}

moved {
  from = module.platform.module.aurora
  to   = module.aurora
}

moved {
  from = module.platform.module.dms
  to   = module.dms
}

moved {
  from = module.platform.module.github_oidc
  to   = module.github_oidc
}

moved {
  from = module.platform.module.job_schedules
  to   = module.job_schedules
}

moved {
  from = module.platform.module.oncall_role
  to   = module.oncall_role
}

moved {
  from = module.platform.aws_kms_key.platform
  to   = aws_kms_key.platform
}

moved {
  from = module.platform.aws_kms_alias.platform
  to   = aws_kms_alias.platform
}

moved {
  from = module.platform.aws_security_group.emr_serverless
  to   = aws_security_group.emr_serverless
}

moved {
  from = module.platform.aws_vpc_security_group_egress_rule.emr_https
  to   = aws_vpc_security_group_egress_rule.emr_https
}

moved {
  from = module.platform.aws_vpc_security_group_egress_rule.emr_aurora
  to   = aws_vpc_security_group_egress_rule.emr_aurora
}

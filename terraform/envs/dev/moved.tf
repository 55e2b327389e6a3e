# State moves for the extraction of the shared composition into modules/platform
# (everything used to sit directly in this root). They let an existing state
# plan without replacements; drop them once every env has applied past them.

moved {
  from = aws_kms_key.platform
  to   = module.platform.aws_kms_key.platform
}

moved {
  from = aws_kms_alias.platform
  to   = module.platform.aws_kms_alias.platform
}

moved {
  from = aws_security_group.emr_serverless
  to   = module.platform.aws_security_group.emr_serverless
}

moved {
  from = aws_vpc_security_group_egress_rule.emr_https
  to   = module.platform.aws_vpc_security_group_egress_rule.emr_https
}

moved {
  from = aws_vpc_security_group_egress_rule.emr_aurora
  to   = module.platform.aws_vpc_security_group_egress_rule.emr_aurora
}

moved {
  from = module.logs_bucket
  to   = module.platform.module.logs_bucket
}

moved {
  from = module.artifact_bucket
  to   = module.platform.module.artifact_bucket
}

moved {
  from = module.data_bucket
  to   = module.platform.module.data_bucket
}

moved {
  from = module.glue_catalog
  to   = module.platform.module.glue_catalog
}

moved {
  from = module.job_roles
  to   = module.platform.module.job_roles
}

moved {
  from = module.emr_serverless
  to   = module.platform.module.emr_serverless
}

moved {
  from = module.aurora
  to   = module.platform.module.aurora
}

moved {
  from = module.dms
  to   = module.platform.module.dms
}

moved {
  from = module.ec2_runner
  to   = module.platform.module.ec2_runner
}

moved {
  from = module.github_oidc
  to   = module.platform.module.github_oidc
}

resource "aws_emrserverless_application" "this" {
  name          = var.name
  release_label = var.release_label
  type          = "spark"
  architecture  = var.architecture
  tags          = var.tags

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.auto_stop_idle_timeout_minutes
  }

  maximum_capacity {
    cpu    = var.maximum_capacity.cpu
    memory = var.maximum_capacity.memory
    disk   = var.maximum_capacity.disk
  }

  dynamic "network_configuration" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  lifecycle {
    # deployer owns the application's custom image: `deployer apply` pushes the jobs' image to ECR
    # and sets imageConfiguration.imageUri (REPO@sha256:DIGEST) with UpdateApplication. Terraform
    # declares no image, so without this every plan would remove deployer's image again.
    ignore_changes = [image_configuration]

    precondition {
      condition     = length(var.subnet_ids) == 0 || length(var.security_group_ids) > 0
      error_message = "security_group_ids is required when subnet_ids is set."
    }
  }
}

output "instance_id" {
  description = "Instance id (connect with: aws ssm start-session --target ID)."
  value       = aws_instance.this.id
}

output "role_arn" {
  description = "ARN of the instance role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the instance role."
  value       = aws_iam_role.this.name
}

output "security_group_id" {
  description = "Security group of the runner (admit it on Aurora if the job reads the database)."
  value       = aws_security_group.this.id
}

output "private_ip" {
  description = "Private IP of the runner."
  value       = aws_instance.this.private_ip
}

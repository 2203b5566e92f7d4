output "service_url" {
  description = "URL Cloud Run serves the app and relay at."
  value       = google_cloud_run_v2_service.relay.uri
}

output "public_origin" {
  description = "PUBLIC_ORIGIN the relay was given: the origin clients sign. Browsers must use exactly this origin."
  value       = local.public_origin
}

output "redis_host" {
  description = "Private IP address of the Memorystore instance (reachable only from the VPC)."
  value       = google_redis_instance.mailboxes.host
}

output "redis_port" {
  description = "Port of the Memorystore instance."
  value       = google_redis_instance.mailboxes.port
}

output "service_account_email" {
  description = "Identity the relay runs as."
  value       = google_service_account.relay.email
}

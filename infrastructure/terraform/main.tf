# Parley's relay on Cloud Run in scaled mode: instances share Memorystore for Redis (the Socket.io adapter and the
# mailboxes as Redis Streams), reached over Direct VPC egress. No session affinity: clients use the WebSocket
# transport only, so any instance can take any client.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Cloud Run's deterministic URL, known before the service exists (the service cannot refer to its own uri).
  public_origin = coalesce(var.public_origin, "https://${var.service_name}-${data.google_project.this.number}.${var.region}.run.app")
  redis_url     = "redis://${google_redis_instance.mailboxes.host}:${google_redis_instance.mailboxes.port}"
  labels        = merge({ app = "parley" }, var.labels)
}

resource "google_project_service" "apis" {
  for_each = toset(["compute.googleapis.com", "iam.googleapis.com", "redis.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com"])

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# --- network: a VPC that Memorystore peers with and Cloud Run sends private traffic into --------------------------

resource "google_compute_network" "relay" {
  name                    = "${var.service_name}-vpc"
  auto_create_subnetworks = false

  depends_on = [google_project_service.apis]
}

resource "google_compute_subnetwork" "relay" {
  name          = "${var.service_name}-run"
  region        = var.region
  network       = google_compute_network.relay.id
  ip_cidr_range = var.subnet_cidr
}

# --- Redis ---------------------------------------------------------------------------------------------------------

resource "google_redis_instance" "mailboxes" {
  name           = "${var.service_name}-redis"
  region         = var.region
  tier           = var.redis_tier
  memory_size_gb = var.redis_memory_size_gb
  redis_version  = var.redis_version

  # Private IP only, reachable from this VPC.
  authorized_network = google_compute_network.relay.id
  connect_mode       = "DIRECT_PEERING"

  # Memorystore for Redis persists by RDB snapshots only (no append-only file).
  persistence_config {
    persistence_mode    = "RDB"
    rdb_snapshot_period = var.redis_snapshot_period
  }

  redis_configs = {
    # Memorystore defaults to volatile-lru, which would evict mailboxes (they carry a TTL) under memory pressure.
    # A full Redis must refuse new envelopes (the sender keeps and retries them) instead of dropping stored ones.
    "maxmemory-policy" = "noeviction"
  }

  labels = local.labels

  depends_on = [google_project_service.apis]
}

# --- the relay -----------------------------------------------------------------------------------------------------

resource "google_service_account" "relay" {
  account_id   = "${var.service_name}-relay"
  display_name = "Parley relay (Cloud Run)"
}

resource "google_secret_manager_secret_iam_member" "metrics_token" {
  count = var.metrics_token_secret_id == null ? 0 : 1

  project   = var.project_id
  secret_id = var.metrics_token_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.relay.email}"
}

resource "google_cloud_run_v2_service" "relay" {
  name                = var.service_name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection
  labels              = local.labels

  template {
    service_account                  = google_service_account.relay.email
    timeout                          = "${var.request_timeout_seconds}s"
    max_instance_request_concurrency = var.max_concurrency
    # Not needed: WebSocket transport only, and every instance reaches every mailbox through Redis.
    session_affinity = false

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    vpc_access {
      network_interfaces {
        network    = google_compute_network.relay.name
        subnetwork = google_compute_subnetwork.relay.name
      }
      # Only Redis's private address goes through the VPC.
      egress = "PRIVATE_RANGES_ONLY"
    }

    containers {
      image = var.image

      # Cloud Run sets PORT from this (PORT itself is reserved); HOST and STATIC_DIR come from the image.
      ports {
        container_port = 3000
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = !var.cpu_always_allocated
        startup_cpu_boost = true
      }

      env {
        name  = "REDIS_URL"
        value = local.redis_url
      }
      env {
        name  = "PUBLIC_ORIGIN"
        value = local.public_origin
      }
      env {
        name  = "LOG_LEVEL"
        value = var.log_level
      }
      env {
        name  = "TRUST_PROXY_HOPS"
        value = tostring(var.trust_proxy_hops)
      }
      env {
        name  = "MAX_CONNECTIONS_PER_IP"
        value = tostring(var.max_connections_per_ip)
      }
      env {
        name  = "SHUTDOWN_GRACE_MS"
        value = tostring(var.shutdown_grace_ms)
      }
      env {
        name  = "RELAY_MAX_TOTAL_ENVELOPES"
        value = tostring(var.relay_max_total_envelopes)
      }
      env {
        name  = "RELAY_MAX_TOTAL_CHARS"
        value = tostring(var.relay_max_total_chars)
      }

      dynamic "env" {
        for_each = var.allowed_origins == null ? [] : [join(",", var.allowed_origins)]
        content {
          name  = "ALLOWED_ORIGINS"
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.metrics_token_secret_id == null ? [] : [var.metrics_token_secret_id]
        content {
          name = "METRICS_TOKEN"
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }

      # No traffic until the relay answers ready (Redis reachable): up to 2 minutes.
      startup_probe {
        http_get {
          path = "/readyz"
        }
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 60
      }

      # Restarted only if the process stops answering at all; a Redis outage is not fixed by a restart.
      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 15
        timeout_seconds   = 3
        failure_threshold = 3
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_secret_manager_secret_iam_member.metrics_token,
  ]
}

# The app is a public web page: anyone may open it; clients still authenticate to the relay by signature.
resource "google_cloud_run_v2_service_iam_member" "public" {
  project  = var.project_id
  location = google_cloud_run_v2_service.relay.location
  name     = google_cloud_run_v2_service.relay.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

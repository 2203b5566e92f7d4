variable "project_id" {
  description = "Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, the VPC subnet and Memorystore, e.g. europe-west1."
  type        = string
  default     = "europe-west1"
}

variable "service_name" {
  description = "Name of the Cloud Run service; also the prefix of the other resources' names."
  type        = string
  default     = "parley"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.service_name))
    error_message = "service_name must be 3 to 24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "image" {
  description = "The relay image built from infrastructure/Dockerfile, e.g. europe-west1-docker.pkg.dev/PROJECT/parley/relay:TAG (prefer a digest)."
  type        = string
}

variable "public_origin" {
  description = "The https origin browsers use for the app, which clients sign during authentication (PUBLIC_ORIGIN), e.g. https://parley.example. Null uses the service's deterministic run.app URL; set it when you map a custom domain."
  type        = string
  default     = null
}

variable "allowed_origins" {
  description = "Browser origins allowed to open a socket (ALLOWED_ORIGINS), each exactly scheme://host[:port]; must include the app's own origin. Null leaves it unset (any origin, each client still signs as its address); an empty list refuses every browser."
  type        = list(string)
  default     = null
}

variable "min_instances" {
  description = "Minimum number of relay instances kept running. 1 or more avoids cold starts for the first socket."
  type        = number
  default     = 1
}

variable "max_instances" {
  description = "Maximum number of relay instances."
  type        = number
  default     = 4
}

variable "max_concurrency" {
  description = "Requests one instance may hold at once; every open WebSocket counts as one for as long as it is open. Cloud Run allows up to 1000."
  type        = number
  default     = 1000
}

variable "cpu" {
  description = "CPU limit of one instance, e.g. 1 or 2."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit of one instance, e.g. 512Mi."
  type        = string
  default     = "512Mi"
}

variable "cpu_always_allocated" {
  description = "Keep CPU allocated between requests (instance-based billing). The relay keeps Redis connections and timers alive between requests, so true is recommended."
  type        = bool
  default     = true
}

variable "request_timeout_seconds" {
  description = "Cloud Run's request timeout, which also ends a WebSocket after this long (the client reconnects). At most 3600."
  type        = number
  default     = 3600
}

variable "log_level" {
  description = "LOG_LEVEL of the relay's pino logger: fatal, error, warn, info, debug or trace."
  type        = string
  default     = "info"
}

variable "trust_proxy_hops" {
  description = "TRUST_PROXY_HOPS: how many proxies in front of the relay append to X-Forwarded-For. Cloud Run's front end is one; add one for each load balancer in front of Cloud Run."
  type        = number
  default     = 1
}

variable "max_connections_per_ip" {
  description = "MAX_CONNECTIONS_PER_IP: open sockets allowed per client address."
  type        = number
  default     = 20
}

variable "shutdown_grace_ms" {
  description = "SHUTDOWN_GRACE_MS: how long a draining instance lets in-flight sends and acks finish. Cloud Run kills an instance 10 s after SIGTERM, so keep it below 10000."
  type        = number
  default     = 8000

  validation {
    condition     = var.shutdown_grace_ms > 0 && var.shutdown_grace_ms < 10000
    error_message = "shutdown_grace_ms must be between 1 and 9999: Cloud Run sends SIGKILL 10 s after SIGTERM."
  }
}

variable "relay_max_total_envelopes" {
  description = "RELAY_MAX_TOTAL_ENVELOPES: envelopes all mailboxes together may hold."
  type        = number
  default     = 100000
}

variable "relay_max_total_chars" {
  description = "RELAY_MAX_TOTAL_CHARS: ciphertext characters (bytes) all mailboxes together may hold. Keep well below the Redis memory size."
  type        = number
  default     = 268435456
}

variable "metrics_token_secret_id" {
  description = "ID of an existing Secret Manager secret (in this project) whose latest version is the METRICS_TOKEN. Null leaves /metrics open to the internet, since nothing sits in front of Cloud Run to restrict it."
  type        = string
  default     = null
}

variable "subnet_cidr" {
  description = "IPv4 range of the subnet Cloud Run's Direct VPC egress takes addresses from (/26 or larger; each instance uses addresses while it runs)."
  type        = string
  default     = "10.8.0.0/24"
}

variable "redis_tier" {
  description = "Memorystore tier: STANDARD_HA (a replica in another zone with automatic failover) or BASIC (one node; its loss loses what is not in the last snapshot)."
  type        = string
  default     = "STANDARD_HA"

  validation {
    condition     = contains(["BASIC", "STANDARD_HA"], var.redis_tier)
    error_message = "redis_tier must be BASIC or STANDARD_HA."
  }
}

variable "redis_memory_size_gb" {
  description = "Memorystore capacity in GiB. It must hold relay_max_total_chars of ciphertext plus per-entry overhead."
  type        = number
  default     = 1
}

variable "redis_version" {
  description = "Memorystore Redis version (the relay needs Streams, so 5.0 or later)."
  type        = string
  default     = "REDIS_7_2"
}

variable "redis_snapshot_period" {
  description = "How often Memorystore writes an RDB snapshot: ONE_HOUR, SIX_HOURS, TWELVE_HOURS or TWENTY_FOUR_HOURS. Memorystore for Redis has no append-only file; see infrastructure/README.md."
  type        = string
  default     = "ONE_HOUR"

  validation {
    condition     = contains(["ONE_HOUR", "SIX_HOURS", "TWELVE_HOURS", "TWENTY_FOUR_HOURS"], var.redis_snapshot_period)
    error_message = "redis_snapshot_period must be ONE_HOUR, SIX_HOURS, TWELVE_HOURS or TWENTY_FOUR_HOURS."
  }
}

variable "deletion_protection" {
  description = "Refuse to destroy the Cloud Run service until this is set to false and applied."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to the service and the Redis instance."
  type        = map(string)
  default     = {}
}

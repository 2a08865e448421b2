/** Types of the create-db library API (create-db 1.2.x `index.d.mts`), exported from the package root. */

export type RegionId = 'ap-southeast-1' | 'ap-northeast-1' | 'eu-central-1' | 'eu-west-3' | 'us-east-1' | 'us-west-1';

/** The region ids create-db accepts, in create-db's order (its "Allowed choices" message uses this order). */
export const REGION_IDS: readonly RegionId[] = ['ap-southeast-1', 'ap-northeast-1', 'eu-central-1', 'eu-west-3', 'us-east-1', 'us-west-1'];

export interface Region {
  id: string;
  name?: string;
  status: string;
}

export interface DatabaseResult {
  success: true;
  /** Direct URL, else pooled; null when the service returned neither (e.g. still provisioning). */
  connectionString: string | null;
  claimUrl: string;
  /** ISO time: now + TTL (default 24 h), computed client-side as create-db does. */
  deletionDate: string;
  region: string;
  name: string;
  projectId: string;
  userAgent?: string;
}

export interface RateLimitInfo {
  retryAfterMs: number;
  currentCount: number;
  maxRequests: number;
}

export interface DatabaseError {
  success: false;
  /** `rate_limit_exceeded`, `RATE_LIMIT_EXCEEDED`, `invalid_json`, `api_error`, `invalid_ttl` (and, from the CLI, `invalid_region`, `network_error`). */
  error: string;
  message: string;
  raw?: string;
  details?: unknown;
  status?: number;
  rateLimitInfo?: RateLimitInfo;
}

export type CreateDatabaseResult = DatabaseResult | DatabaseError;

export interface ProgrammaticCreateOptions {
  /** Default `us-east-1`. Not validated here (as in create-db): the service rejects unknown regions. */
  region?: RegionId;
  userAgent?: string;
  /** `30m` or `1h`…`24h`; default 24 h. */
  ttl?: string;
}

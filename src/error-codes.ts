/**
 * Every PpgError code, in one list, UPPER_SNAKE like every other constant, with what it means. Tests and
 * callers of the package API match on these, so a code is never renamed lightly. PpgError accepts only
 * these (a typo or a second spelling of the same failure does not compile).
 *
 * Two things are not codes of ours and are not listed: the cloud service's own error code (kept as
 * `apiCode` on ManagementApiError, e.g. `not_found`) and the create-db library's result names
 * (`DatabaseError.error`: `rate_limit_exceeded`, `invalid_ttl` …, create-db's contract, unchanged).
 * `ppg create-db --json` prints our code lower-cased, which is create-db's name for the same failure.
 */
export const ERROR_CODES = {
  // The command line
  USAGE: 'flags that do not go together (exit 2)',
  CONFIRMATION_REQUIRED: 'a destructive command in a script without --yes (exit 2)',
  ABORTED: 'the user answered no, or input ended before an answer',
  NO_TARGET: 'a multi-instance command got no name or glob',
  UNKNOWN_INSTANCE: 'no instance matches the name or glob',
  STOP_FAILED: 'one or more instances could not be stopped',
  START_FAILED: 'one or more instances could not be started',
  RM_FAILED: 'one or more instances could not be removed',

  // The state directory and instance records
  STATE_ROOT_UNREADABLE: 'PPG_DEV_HOME cannot be listed',
  STATE_ROOT_UNWRITABLE: 'PPG_DEV_HOME cannot be written',
  STATE_BUSY: "another ppg command holds the instance's state mutex",
  RECORD_UNREADABLE: 'instance.json cannot be read',
  RECORD_CORRUPT: 'instance.json is not a valid record',
  RECORD_TOO_NEW: 'instance.json was written by a newer ppg-dev',
  INVALID_NAME: 'an instance or snapshot name outside [A-Za-z0-9_-]',
  INSTANCE_LOCKED: "another process holds the instance's lock",
  DATA_DIR_LOCKED: 'a data directory is held by a process that is not serving it',

  // Instances, snapshots, branches
  INSTANCE_EXISTS: 'the new instance name is taken',
  INSTANCE_NOT_FOUND: 'no instance with that exact name',
  INSTANCE_RUNNING: 'the operation needs a stopped instance, or it runs elsewhere',
  INSTANCE_OUTDATED: 'a running instance was started by an older ppg-dev and lacks what is asked for',
  NAME_TAKEN: 'the instance name belongs to another project folder',
  DATABASE_NOT_FOUND: 'the instance has no database of that name',
  SNAPSHOT_EXISTS: 'a snapshot of that name exists',
  SNAPSHOT_NOT_FOUND: 'no snapshot of that name',
  INSTANCE_BUSY: 'a running instance could not be quiesced for a copy: a transaction stayed open',
  NO_DATA: 'the instance has never been started, so there is nothing to copy',
  NO_SERVER_URL: 'createTestDatabase got no server URL',

  // The daemon and its ports
  DAEMON_FAILED: 'the daemon reported a failure to start',
  DAEMON_EXITED: 'the daemon exited without saying why',
  DAEMON_TIMEOUT: 'the daemon was not ready in time',
  PORT_IN_USE: 'the requested port is taken',
  NO_FREE_PORT: 'no candidate port was free',

  // The wire server and its engines
  SOCKET_IN_USE: 'a live server owns the Unix-domain socket',
  SOCKET_FAILED: 'the Unix-domain socket cannot be created',
  TEMPLATE_FAILED: 'initdb of the template data directory failed',
  DATA_DIR_INCOMPATIBLE: 'a data directory of another PostgreSQL major version',
  ENGINE_DEAD: "a database's engine stopped; the server must restart",
  ENGINE_OPEN_FAILED: "a database's engine thread could not open its data directory",
  ENGINE_REQUEST_FAILED: "a database's engine thread could not do a non-SQL request (unpacking extension files)",

  // .env files
  ENV_READ_FAILED: 'the .env file cannot be read',
  ENV_WRITE_FAILED: 'the .env file cannot be written (it is unchanged)',
  ENV_NOT_WRITABLE: 'the .env file would not be writable: checked before creating anything',
  ENV_UNREPRESENTABLE: 'a value no .env quoting can hold',

  // Talking to the cloud
  NETWORK_ERROR: 'the service cannot be reached',
  TIMEOUT: 'the service did not answer in time',
  SERVICE_UNAVAILABLE: 'the service answered with a 5xx',
  API_ERROR: "the service refused the request (4xx); ManagementApiError keeps the service's own code",
  INVALID_RESPONSE: 'the service answered something we cannot read',
  TOKEN_REJECTED: 'a service token set by hand (env or --token) was refused',
  MISSING_TOKEN: 'no token and no stored login',
  SESSION_EXPIRED: 'the stored login cannot be refreshed',
  CREDENTIALS_INVALID: 'the stored login file cannot be read',
  CREDENTIALS_LOCKED: 'another ppg process is renewing the stored login',
  OAUTH_ERROR: 'the login server refused a token request',
  LOGIN_DENIED: 'the browser login was refused or incomplete',
  LOGIN_STATE_MISMATCH: 'the login callback carried the wrong state',
  LOGIN_TIMEOUT: 'the browser login was not finished in time',

  // ppg init --db / --local, ppg cloud
  PROJECT_NOT_FOUND: 'no cloud project with that id or name',
  PROJECT_AMBIGUOUS: 'several cloud projects share the name',
  NO_READY_DATABASE: 'the linked project has no ready database',
  MISSING_DATABASE: 'a project was created without a database',
  MISSING_CONNECTION_STRING: 'a database was created but its connection string was not returned',
  CREATE_OUTCOME_UNKNOWN: 'the create call timed out or was unreadable: the project may exist',
  NO_LOCAL_URL: '.env keeps no local DATABASE_URL to switch back to',

  // ppg create-db (create-db's own names, lower-cased, in --json)
  INVALID_REGION: 'a region id that is not known or not available',
  REGION_UNAVAILABLE: 'the region exists but is unavailable now',
  NO_REGIONS: 'the service lists no available region',
  INVALID_TTL: 'a --ttl outside 30m and 1h–24h',
  CREATE_DB_FAILED: 'the create-db service refused or failed the create (create-db names the reason in --json)',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** For codes that cross a process boundary (the daemon's IPC message): a known code, else `fallback`. */
export function errorCodeOr(value: unknown, fallback: ErrorCode): ErrorCode {
  return isErrorCode(value) ? value : fallback;
}

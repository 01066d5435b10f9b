/**
 * The help text of every command and subcommand, in one module that loads nothing else, so
 * `modelgate CMD --help` answers at once and never starts, connects or reads configuration.
 */

export const GENERAL_HELP = `modelgate: a self-hosted, RunComfy-compatible model API

  modelgate serve                      API on HOST:PORT plus MODELGATE_WORKERS in-process workers
  modelgate worker                     workers only (MODELGATE_WORKERS slots, at least 1)
  modelgate models [MODEL_ID]          list the models, or show one model's input fields
  modelgate run MODEL_ID [--FIELD VALUE ...] [--out DIR]
                                       submit a job (uploading local files), wait, download its outputs
  modelgate keys create --name NAME    create an API key; prints only the key
  modelgate keys set ID --max-running N|default
                                       a key's own limit on jobs running at once
  modelgate keys list                  list keys (prefixes only)
  modelgate keys revoke ID             revoke a key; effective on its next request
  modelgate webhooks secret            print the key webhook deliveries are signed with (whsec_...)
  modelgate migrate                    create or upgrade the database, then exit

Every command takes --help (or -h). Configuration comes from the environment (HOST, PORT,
MODELGATE_DATA_DIR, MODELGATE_PUBLIC_URL, MODELGATE_WORKERS, MODELGATE_CONFIG, ...); see README.md.
`;

const CLIENT_OPTIONS = `  --url URL      the server (default: MODELGATE_URL, else MODELGATE_PUBLIC_URL, else http://HOST:PORT)
  --key KEY      the API key (default: MODELGATE_API_KEY)`;

const HELP: Record<string, string> = {
  serve: `usage: modelgate serve

Serves the API on HOST:PORT (default 127.0.0.1:8080) with MODELGATE_WORKERS in-process workers
(default 2), and runs the housekeeping (lease sweeper, upload janitor, orphan reaper). The first
start creates the database and prints an API key once, on stderr, with a request to paste.
SIGINT/SIGTERM stop gracefully (running jobs get MODELGATE_SHUTDOWN_GRACE_MS); a second signal
exits at once. JSON log lines go to stdout, messages for people to stderr.

Settings are environment variables (README.md, "Configuration"), e.g.
  HOST, PORT, MODELGATE_DATA_DIR (./data), MODELGATE_PUBLIC_URL, MODELGATE_WORKERS,
  MODELGATE_CONFIG (engines, model routes, prices), MODELGATE_DATABASE_URL (PostgreSQL),
  MODELGATE_S3_URL, MODELGATE_TLS_CERT / MODELGATE_TLS_KEY, MODELGATE_LOG_LEVEL
`,
  worker: `usage: modelgate worker

Runs MODELGATE_WORKERS (at least 1) workers against the shared database, without the API: more
capacity beside a \`modelgate serve\` (with PostgreSQL, MODELGATE_DATABASE_URL, on other machines too).
MODELGATE_METRICS_PORT with MODELGATE_METRICS_TOKEN serves /metrics. Stops like serve.
`,
  migrate: `usage: modelgate migrate

Creates or upgrades the database (SQLite under MODELGATE_DATA_DIR, or MODELGATE_DATABASE_URL),
then exits. serve and worker do this themselves at start.
`,
  models: `usage: modelgate models [MODEL_ID] [--json] [--url URL] [--key KEY]

Without MODEL_ID: one line per model: its id, name, categories and the engine it runs on.
With MODEL_ID: the model's input fields from its schema (name, type, required, allowed values,
default, limits, description) and, for file fields, the rules the file must pass.

  --json         print the server's JSON answer instead of the table
${CLIENT_OPTIONS}
`,
  run: `usage: modelgate run MODEL_ID [--FIELD VALUE ...] [--input JSON] [--out DIR] [--url URL] [--key KEY]

Submits a job, shows its queue position and progress on stderr, downloads its outputs and prints
their paths on stdout (nothing else goes to stdout). \`modelgate models MODEL_ID\` lists the fields.

  --FIELD VALUE  an input field; the value is typed by the model's schema (--duration 10 is a number)
  --input JSON   fields as one JSON object (--FIELD flags override its entries)
  --out DIR      where outputs are saved (default: outputs/REQUEST_ID)
${CLIENT_OPTIONS}

File fields (e.g. --image, --promptImage) take:
  a local path (photo.jpg, ./in/photo.png) or @path   uploaded first (POST /v1/files); its URL is sent
  https://..., http://... or data:...                sent as given; the server fetches or decodes it
A path that does not exist is an error before anything is sent. In other fields only @path naming
an existing file is uploaded (for servers that do not say which fields take files); any other value,
a path included, is text.

Ctrl-C cancels the job while it is still queued. Exit status: 0 succeeded, 1 failed or cancelled,
2 rejected (the reason and each bad field on stderr), 130 interrupted.
`,
  keys: `usage: modelgate keys create --name NAME [--max-running N] | set ID --max-running N|default | list | revoke ID

Manages API keys straight on the database (run it where serve runs, with the same settings).
modelgate keys SUBCOMMAND --help shows each one.
`,
  'keys create': `usage: modelgate keys create --name NAME [--max-running N]

Creates an API key and prints only the key on stdout (capture it: KEY=$(modelgate keys create --name ci)).
The key is shown only this once; the database keeps its SHA-256 digest.

  --name NAME        a name for people (keys list shows it)
  --max-running N    at most N of this key's jobs run at once (0: no limit for this key);
                     without it the key follows MODELGATE_MAX_RUNNING_PER_KEY
`,
  'keys set': `usage: modelgate keys set ID --max-running N|default

Changes a key's limit on jobs running at once: N (0: no limit for this key), or default to follow
MODELGATE_MAX_RUNNING_PER_KEY again. Jobs already running are not stopped.
`,
  'keys list': `usage: modelgate keys list

Lists the keys: id, name, prefix (never the key), created, max running, status.
`,
  webhooks: `usage: modelgate webhooks secret

Prints the secret webhook deliveries are signed with (Standard Webhooks, whsec_<base64>) on stdout,
for receivers to verify webhook-signature with: MODELGATE_WEBHOOK_SECRET when set, else the one
stored in the database (made on first use, shared by every process on that database).
`,
  'keys revoke': `usage: modelgate keys revoke ID

Revokes the key with that id (from modelgate keys list); its next request gets 401001.
`,
};

/**
 * The help for `command` and its arguments: a subcommand's own help when it has one
 * (`keys create --help`), else the command's; undefined for a command this CLI does not have.
 */
export function helpFor(command: string, args: readonly string[]): string | undefined {
  const sub = args.find((arg) => !arg.startsWith('-'));
  return (sub !== undefined ? HELP[`${command} ${sub}`] : undefined) ?? HELP[command];
}

/** A configuration problem; the message names the setting, so the operator knows what to fix. */
export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`invalid configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * The settings are valid but the machine refuses them at start (a busy port, a data folder that
 * cannot be written): the message names the address or path, the setting to change and the
 * operating system's reason, on one line.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message.replace(/\s+/g, ' '));
    this.name = 'StartupError';
  }
}

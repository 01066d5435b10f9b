/** A configuration problem; the message names the setting, so the operator knows what to fix. */
export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`invalid configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * A `module` engine in plain JavaScript for the memory benchmark: each run returns one 1×1 PNG
 * at once. The other bench engines are TypeScript, which a server running from dist/ can load
 * only by registering tsx, and that loader alone would be a large part of the RSS measured.
 */
const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export function createEngine({ name }) {
  return {
    name,
    type: 'bench-plain',
    async run() {
      return [{ kind: 'image', contentType: 'image/png', extension: 'png', data: ONE_PIXEL_PNG }];
    },
  };
}

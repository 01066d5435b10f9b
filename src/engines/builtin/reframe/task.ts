/**
 * The builtin task for ideogram/ideogram-v3/reframe: the resolved `image` file reframed to the
 * requested `resolution` by classical image completion (reframe.ts), one PNG out. Classical
 * image processing, not a generative model: it continues what the photograph already shows.
 */
import { EngineError, type EngineJob, type EngineOutput, type EngineRunContext } from '../../engine.ts';
import { parseReframeInput } from './options.ts';
import { reframeImage } from './reframe.ts';

export async function reframe(job: EngineJob, context: EngineRunContext): Promise<EngineOutput[]> {
  const image = job.files.image;
  if (!image) throw new EngineError('invalid_input', 'image: a source image is required');
  const options = parseReframeInput(job.input, job.modelId);
  const started = Date.now();
  const result = await reframeImage(image.path, options, { signal: context.signal, progress: context.progress });
  context.log.info(
    { width: options.width, height: options.height, placed: result.placement.rect, speed: options.speed, seed: options.seed, palette: options.palette.length, ms: Date.now() - started },
    'reframe done',
  );
  return [{ kind: 'image', contentType: 'image/png', extension: 'png', data: result.png }];
}

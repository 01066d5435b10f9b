/**
 * Turns a job's file inputs into local, measured, rule-checked files before its engine runs:
 * fetched once per attempt into the attempt's work dir (removed with it), under every SSRF and
 * size rule of src/inputs. Uploads of the job's own key are read from the blob store.
 */
import type { Context } from '../context.ts';
import type { ResolvedFile } from '../engines/engine.ts';
import { EngineError } from '../engines/engine.ts';
import { InputError } from '../inputs/errors.ts';
import { resolveFileInput } from '../inputs/resolve-file.ts';
import type { ClaimedJob } from '../store/store.ts';

export async function resolveJobFiles(ctx: Pick<Context, 'catalog' | 'config' | 'uploads' | 'resolver'>, job: ClaimedJob, workDirOf: () => string, signal: AbortSignal): Promise<Record<string, ResolvedFile>> {
  const model = ctx.catalog.get(job.modelId);
  const files: Record<string, ResolvedFile> = {};
  const { inputs } = ctx.config;
  for (const spec of model?.fileInputs ?? []) {
    if (!Object.hasOwn(job.input, spec.field)) continue;
    // Asked for only here, so a job without file inputs never creates its work dir.
    const workDir = workDirOf();
    try {
      files[spec.field] = await resolveFileInput(job.input[spec.field], spec, {
        workDir,
        name: spec.field,
        limits: inputs.limits,
        allowHttp: inputs.allowHttp,
        allowHosts: inputs.allowHosts,
        uploads: ctx.uploads.lookupFor(job.ownerKeyId, workDir),
        ...(ctx.resolver ? { resolver: ctx.resolver } : {}),
        signal,
      });
    } catch (error) {
      if (!(error instanceof InputError) || error.reason === 'aborted') throw error;
      // A broken schema rule reaches the client as the rule's own words; anything else names
      // the field, since the client may have sent several files.
      throw new EngineError('invalid_input', error.reason === 'rule' ? error.message : `${spec.field}: ${error.message}`);
    }
  }
  return files;
}

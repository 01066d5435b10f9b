/**
 * Submit-time checks of file inputs, which never wait on a remote download:
 * - an upload URL of ours must belong to the submitting key, be unexpired, be the right kind and
 *   pass the field's rules, checked against the measures taken at upload;
 * - a data: URI is decoded, sniffed, probed and rule-checked now, then stored as an upload, and
 *   the job's input records the upload's URL instead of megabytes of base64;
 * - any other value gets the static URL policy (scheme, userinfo, port, literal addresses); the
 *   worker fetches it later under the full SSRF rules.
 * A failure is a 422 whose detail names the field and says why (a rule's own message).
 */
import { rm } from 'node:fs/promises';
import { checkFileRules } from '../catalog/file-rules.ts';
import type { CatalogModel, FileInputSpec } from '../catalog/types.ts';
import type { Context } from '../context.ts';
import { ApiError, type ErrorDetail } from '../errors.ts';
import { InputError } from '../inputs/errors.ts';
import { isDataUri } from '../inputs/data-uri.ts';
import { precheckFileInput } from '../inputs/resolve-file.ts';

type FileInputContext = Pick<Context, 'config' | 'uploads'>;

async function checkUpload(ctx: FileInputContext, ownerKeyId: string, spec: FileInputSpec, id: string): Promise<void> {
  const record = await ctx.uploads.find(ownerKeyId, id);
  if (!record) throw new InputError('upload_not_found', 'the uploaded file was not found, has expired, or belongs to another API key');
  if (record.kind !== spec.kind) throw new InputError('bad_type', `expected ${spec.kind === 'image' ? 'an image' : 'a video'}, the upload is ${record.kind === 'image' ? 'an image' : 'a video'}`);
  const violation = checkFileRules(spec.rules, {
    sizeBytes: record.sizeBytes,
    ...(record.width === null ? {} : { width: record.width }),
    ...(record.height === null ? {} : { height: record.height }),
    ...(record.durationSeconds === null ? {} : { durationSeconds: record.durationSeconds }),
  });
  if (violation) throw new InputError('rule', violation.message, { rule: violation.rule });
}

/** Returns the value the job should record for this field (a data: URI becomes an upload URL). */
async function checkOne(ctx: FileInputContext, ownerKeyId: string, spec: FileInputSpec, value: unknown): Promise<unknown> {
  const { inputs } = ctx.config;
  const uploadId = typeof value === 'string' ? ctx.uploads.idOf(value) : undefined;
  if (uploadId !== undefined) {
    await checkUpload(ctx, ownerKeyId, spec, uploadId);
    return value;
  }
  if (typeof value === 'string' && isDataUri(value)) {
    const scratch = await ctx.uploads.scratchDir();
    try {
      const checked = await precheckFileInput(value, spec, { workDir: scratch, name: spec.field, limits: inputs.limits });
      if (!checked.file) throw new Error('a data: URI was not resolved locally');
      const record = await ctx.uploads.saveResolved(ownerKeyId, checked.file);
      return ctx.uploads.urlFor(record.id);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  // A plain URL: only the static policy here, so workDir is never written to.
  await precheckFileInput(value, spec, { workDir: ctx.config.dataDir, allowHttp: inputs.allowHttp, allowHosts: inputs.allowHosts, limits: inputs.limits });
  return value;
}

/** Checks every file input of a validated input; returns the input the job should record. */
export async function checkFileInputs(ctx: FileInputContext, ownerKeyId: string, model: CatalogModel, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const detail: ErrorDetail[] = [];
  const recorded = { ...input };
  for (const spec of model.fileInputs) {
    if (!Object.hasOwn(input, spec.field)) continue;
    try {
      recorded[spec.field] = await checkOne(ctx, ownerKeyId, spec, input[spec.field]);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      detail.push({ loc: ['body', spec.field], msg: error.message, type: `file_${error.reason}` });
    }
  }
  if (detail.length > 0) {
    const summary = detail.map((d) => `${String(d.loc[1])}: ${d.msg}`).join('; ');
    throw new ApiError('invalid_input', `Invalid input for ${model.id}: ${summary}`, { detail });
  }
  return recorded;
}

/**
 * Turns a finished prompt's history entry into our outputs: every file the workflow's output
 * nodes saved (`images`, VHS's `gifs`, …; previews of type `temp` skipped, §3.2), streamed from
 * /view into the attempt's work dir. The worker then copies them into our blob store, so output
 * URLs are ours and outlive the ComfyUI box. Images are re-encoded only when the job asked for
 * a format the workflow does not save in (SaveImage always writes PNG).
 */
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { EngineError, type EngineJob, type EngineOutput } from '../engine.ts';
import type { HistoryEntry, OutputFile } from './http.ts';
import type { ComfyServer } from './server.ts';
import type { Workflow } from './workflow.ts';

const TYPES: Record<string, { kind: 'image' | 'video'; contentType: string }> = {
  png: { kind: 'image', contentType: 'image/png' },
  jpg: { kind: 'image', contentType: 'image/jpeg' },
  jpeg: { kind: 'image', contentType: 'image/jpeg' },
  webp: { kind: 'image', contentType: 'image/webp' },
  gif: { kind: 'image', contentType: 'image/gif' },
  mp4: { kind: 'video', contentType: 'video/mp4' },
  webm: { kind: 'video', contentType: 'video/webm' },
  mov: { kind: 'video', contentType: 'video/quicktime' },
};

function isOutputFile(value: unknown): value is OutputFile {
  const file = value as Partial<OutputFile> | null;
  return !!file && typeof file.filename === 'string' && typeof (file.subfolder ?? '') === 'string';
}

/** The files the workflow's output nodes saved, in node order then list order. */
export function outputFiles(entry: HistoryEntry, workflow: Workflow): OutputFile[] {
  const files: OutputFile[] = [];
  for (const nodeId of workflow.outputNodes) {
    const node = entry.outputs?.[nodeId] ?? {};
    for (const list of Object.values(node)) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (isOutputFile(item) && (item.type ?? 'output') !== 'temp') files.push({ filename: item.filename, subfolder: item.subfolder ?? '', type: item.type ?? 'output' });
      }
    }
  }
  return files;
}

export async function collectOutputs(server: ComfyServer, entry: HistoryEntry, workflow: Workflow, job: EngineJob, workDir: string, signal: AbortSignal): Promise<EngineOutput[]> {
  const files = outputFiles(entry, workflow);
  if (files.length === 0) {
    throw new EngineError('comfyui_no_output', `The ComfyUI prompt finished without saving a file in output node(s) ${workflow.outputNodes.join(', ')} of ${workflow.file}`);
  }
  const wanted = workflow.outputFormat && job.input[workflow.outputFormat.input];
  const format = typeof wanted === 'string' ? (workflow.outputFormat?.map?.[wanted] ?? wanted) : undefined;
  const outputs: EngineOutput[] = [];
  for (const [index, file] of files.entries()) {
    const extension = extname(file.filename).slice(1).toLowerCase();
    const type = TYPES[extension];
    if (!type) throw new EngineError('comfyui_no_output', `The ComfyUI prompt saved ${file.filename}, a file type ModelGate does not serve`);
    const path = join(workDir, `comfyui-output-${index}.${extension}`);
    await server.http.download(file, path, signal);
    if (type.kind === 'image' && (format === 'jpeg' || format === 'jpg') && type.contentType !== 'image/jpeg') {
      outputs.push({ kind: 'image', contentType: 'image/jpeg', extension: 'jpg', data: await sharp(path).jpeg({ quality: 92 }).toBuffer() });
    } else if (type.kind === 'image' && format === 'png' && type.contentType !== 'image/png') {
      outputs.push({ kind: 'image', contentType: 'image/png', extension: 'png', data: await sharp(path).png().toBuffer() });
    } else {
      outputs.push({ ...type, extension: extension === 'jpeg' ? 'jpg' : extension, data: { path } });
    }
  }
  return outputs;
}

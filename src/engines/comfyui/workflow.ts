/**
 * A workflow: a ComfyUI graph in API format (as ComfyUI's "Export (API)" writes it) plus a small
 * JSON file of bindings that says which job input goes into which node input, through which
 * transform (transforms.ts). Both are data: adding a model to a ComfyUI engine is adding these
 * two files and a line under the engine's `workflows` option. Files are checked when the engine
 * starts, so a typo in a node id or an input name stops the engine with the file's name.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { TRANSFORMS, type TransformContext } from './transforms.ts';

export type NodeInput = [nodeId: string, inputName: string];

export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

export type ComfyGraph = Record<string, ComfyNode>;

export interface Binding {
  /** Transform role → job input field; `input` in the file is shorthand for `{value: input}`. */
  inputs: Record<string, string>;
  transform: string;
  options: Record<string, unknown>;
  /** Replaces the `value` input before the transform (e.g. rendering speed → steps). */
  map?: Record<string, unknown>;
  /** Applies only when every named input equals the given value. */
  when?: Record<string, unknown>;
  to: Record<string, NodeInput[]>;
}

export interface Workflow {
  file: string;
  description: string;
  graph: ComfyGraph;
  bindings: Binding[];
  /** The output nodes whose files become the job's outputs, in order. */
  outputNodes: string[];
  /** Re-encode image outputs to the format a job input names (`png` | `jpeg`). */
  outputFormat?: { input: string; map?: Record<string, string> };
}

const NODE_INPUT = { type: 'array', items: [{ type: 'string' }, { type: 'string' }], minItems: 2, maxItems: 2 } as const;

const SPEC_SCHEMA = {
  type: 'object',
  required: ['graph', 'bindings', 'outputs'],
  additionalProperties: false,
  properties: {
    description: { type: 'string' },
    graph: { type: 'string', minLength: 1 },
    model_files: { type: 'array', items: { type: 'object', required: ['folder', 'file'], properties: { folder: { type: 'string' }, file: { type: 'string' } } } },
    bindings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['to'],
        additionalProperties: false,
        properties: {
          input: { type: 'string' },
          inputs: { type: 'object', additionalProperties: { type: 'string' } },
          transform: { type: 'string' },
          options: { type: 'object' },
          map: { type: 'object' },
          when: { type: 'object' },
          to: { type: 'object', additionalProperties: { anyOf: [NODE_INPUT, { type: 'array', items: NODE_INPUT, minItems: 1 }] } },
        },
      },
    },
    outputs: {
      type: 'object',
      required: ['nodes'],
      additionalProperties: false,
      properties: {
        nodes: { type: 'array', items: { type: 'string' }, minItems: 1 },
        format: { type: 'object', required: ['input'], properties: { input: { type: 'string' }, map: { type: 'object', additionalProperties: { type: 'string' } } } },
      },
    },
  },
} as const;

interface SpecFile {
  description?: string;
  graph: string;
  bindings: Array<{ input?: string; inputs?: Record<string, string>; transform?: string; options?: Record<string, unknown>; map?: Record<string, unknown>; when?: Record<string, unknown>; to: Record<string, NodeInput | NodeInput[]> }>;
  outputs: { nodes: string[]; format?: { input: string; map?: Record<string, string> } };
}

const validateSpec = new Ajv({ allErrors: true }).compile<SpecFile>(SPEC_SCHEMA);

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function checkGraph(graph: unknown, file: string): ComfyGraph {
  if (!graph || typeof graph !== 'object' || Array.isArray(graph)) throw new Error(`${file} is not a ComfyUI API-format graph (an object of nodes)`);
  for (const [id, node] of Object.entries(graph)) {
    const n = node as Partial<ComfyNode> | null;
    if (!n || typeof n.class_type !== 'string' || !n.inputs || typeof n.inputs !== 'object') {
      throw new Error(`${file}: node ${id} has no class_type/inputs; export the workflow with "Export (API)", not "Save"`);
    }
  }
  return graph as ComfyGraph;
}

export function loadWorkflow(file: string): Workflow {
  const spec = readJson(file);
  if (!validateSpec(spec)) {
    const problems = (validateSpec.errors ?? []).map((e) => `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`);
    throw new Error(`${file}: ${problems.join('; ')}`);
  }
  const graphFile = resolve(dirname(file), spec.graph);
  const graph = checkGraph(readJson(graphFile), graphFile);
  const bindings = spec.bindings.map((raw, index): Binding => {
    const where = `${file}: bindings[${index}]`;
    const transform = raw.transform ?? 'value';
    const definition = TRANSFORMS[transform];
    if (!definition) throw new Error(`${where}: unknown transform "${transform}" (known: ${Object.keys(TRANSFORMS).join(', ')})`);
    const inputs: Record<string, string> = { ...(raw.input !== undefined ? { value: raw.input } : {}), ...raw.inputs };
    const missing = definition.roles.filter((role) => !inputs[role]);
    if (missing.length > 0) throw new Error(`${where}: transform "${transform}" needs ${missing.map((r) => (r === 'value' ? '"input"' : `inputs.${r}`)).join(', ')}`);
    const to: Record<string, NodeInput[]> = {};
    for (const [name, target] of Object.entries(raw.to)) {
      if (!definition.produces.includes(name)) throw new Error(`${where}: transform "${transform}" has no value "${name}" (it gives ${definition.produces.join(', ')})`);
      const targets = typeof target[0] === 'string' ? [target as NodeInput] : (target as NodeInput[]);
      for (const [nodeId, inputName] of targets) {
        const node = graph[nodeId];
        if (!node) throw new Error(`${where}: node ${nodeId} is not in ${spec.graph}`);
        if (!(inputName in node.inputs)) throw new Error(`${where}: node ${nodeId} (${node.class_type}) has no input "${inputName}" in ${spec.graph}`);
      }
      to[name] = targets;
    }
    return { inputs, transform, options: raw.options ?? {}, ...(raw.map ? { map: raw.map } : {}), ...(raw.when ? { when: raw.when } : {}), to };
  });
  for (const nodeId of spec.outputs.nodes) {
    if (!graph[nodeId]) throw new Error(`${file}: output node ${nodeId} is not in ${spec.graph}`);
  }
  return {
    file,
    description: spec.description ?? '',
    graph,
    bindings,
    outputNodes: spec.outputs.nodes,
    ...(spec.outputs.format ? { outputFormat: spec.outputs.format } : {}),
  };
}

/** The graph to queue for one job: a copy of the template with every applicable binding written in. */
export async function buildPrompt(workflow: Workflow, context: TransformContext): Promise<ComfyGraph> {
  const graph = structuredClone(workflow.graph);
  for (const binding of workflow.bindings) {
    if (binding.when && !Object.entries(binding.when).every(([field, expected]) => context.input[field] === expected)) continue;
    const args: Record<string, unknown> = {};
    for (const [role, field] of Object.entries(binding.inputs)) args[role] = context.input[field];
    if (binding.map && typeof args.value !== 'object' && Object.hasOwn(binding.map, String(args.value))) args.value = binding.map[String(args.value)];
    // An absent optional input leaves the template's value (seeds are derived instead).
    if (binding.transform !== 'seed' && binding.transform !== 'upload' && Object.values(args).some((v) => v === undefined)) continue;
    if (binding.transform === 'upload' && !context.files[binding.inputs.value!]) continue;
    const values = await TRANSFORMS[binding.transform]!.apply(args, binding.options, context, binding.inputs);
    for (const [name, targets] of Object.entries(binding.to)) {
      for (const [nodeId, inputName] of targets) graph[nodeId]!.inputs[inputName] = values[name];
    }
  }
  return graph;
}

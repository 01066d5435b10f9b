/** The four catalog model ids, for tests that must not load the server in-process. */
export const MODEL_IDS = {
  reframe: 'ideogram/ideogram-v3/reframe',
  dreamina: 'bytedance/dreamina-4-0/text-to-image',
  seedream: 'bytedance/seedream-5/lite/text-to-image',
  runway: 'runwayml/runway-gen-3-alpha/turbo/image-to-video',
} as const;

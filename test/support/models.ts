/** The four catalog model ids, for tests that must not load the server in-process. */
export const MODEL_IDS = {
  reframe: 'ideogram/ideogram-v3/reframe',
  dreamina: 'bytedance/dreamina-4-0/text-to-image',
  seedream: 'bytedance/seedream-5/lite/text-to-image',
  runway: 'runwayml/runway-gen-3-alpha/turbo/image-to-video',
} as const;

/**
 * A small valid PNG (16×16, one colour) as a data: URI: a file input the server accepts without
 * any network access, for tests whose point is not the file itself.
 */
export const SMALL_PNG_DATA_URI =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAGUlEQVQokWMwTjtDEmIY1ZA2GkrGwzVpAAAyDmUQJRIa4QAAAABJRU5ErkJggg==';

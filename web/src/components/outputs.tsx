/** A finished run's outputs: images (full size on click), videos in a player, each with a download link. */
import { useEffect, useState } from 'preact/hooks';
import type { ResultView } from '../api.ts';

type Output = NonNullable<ResultView['output']>;

export function outputFiles(output: Output | undefined): { url: string; video: boolean }[] {
  if (!output) return [];
  const images = [...(output.image ? [output.image] : []), ...(output.images ?? [])];
  const videos = [...(output.video ? [output.video] : []), ...(output.videos ?? [])];
  return [...images.map((url) => ({ url, video: false })), ...videos.map((url) => ({ url, video: true }))];
}

const fileName = (url: string) => decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? 'output');

export function Outputs({ output }: { output: Output | undefined }) {
  const [enlarged, setEnlarged] = useState<string>();
  useEffect(() => {
    if (!enlarged) return undefined;
    const close = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setEnlarged(undefined);
    };
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [enlarged]);
  const files = outputFiles(output);
  if (files.length === 0) return <p class="muted">The run produced no files.</p>;
  return (
    <>
      <ul class="outputs">
        {files.map((file, index) => (
          <li key={file.url} class="output">
            {file.video ? (
              <video src={file.url} controls playsInline preload="metadata" />
            ) : (
              <button type="button" class="image-button" title="Show full size" onClick={() => setEnlarged(file.url)}>
                <img src={file.url} alt={`output ${index + 1}`} />
              </button>
            )}
            <a href={file.url} download={fileName(file.url)}>Download {file.video ? 'video' : 'image'} {files.length > 1 ? index + 1 : ''}</a>
          </li>
        ))}
      </ul>
      {enlarged && (
        <div class="lightbox" role="dialog" aria-label="Full-size image" onClick={() => setEnlarged(undefined)}>
          <img src={enlarged} alt="output at full size" />
          <button type="button" class="close" onClick={() => setEnlarged(undefined)}>Close</button>
        </div>
      )}
    </>
  );
}

// Where an item sits inside the dataset (ManifestItem.path): `<label>/<source>/<name>` for images,
// `<source>/<name>` for table files. Labels, ids and object names are user data: each segment is
// percent-encoded so none can add a level, be empty, or read as "." or "..".
import type { ImageFormat } from '../../../lib/image/format.ts';

/** ManifestItem.path's limit (lib/store/manifest.ts). */
const MAX_PATH = 1024;

const IMAGE_EXTENSIONS: Record<ImageFormat, string> = { jpeg: '.jpg', png: '.png', webp: '.webp' };
const KNOWN_IMAGE_NAME = /\.(jpe?g|png|webp)$/i;

export function pathSegment(value: string): string {
  if (value === '') return '%00';
  const encoded = encodeURIComponent(value);
  // encodeURIComponent keeps "." as it is; a leading one would make "." and ".." (or a hidden name).
  return encoded.startsWith('.') ? `%2E${encoded.slice(1)}` : encoded;
}

function encodeName(name: string): string {
  return name.split('/').map(pathSegment).join('/');
}

export function itemPath(options: {
  kind: 'image' | 'table';
  label: string | null;
  source: string;
  name: string;
  sha256: string;
  format?: ImageFormat;
}): string {
  const extension =
    options.kind === 'image' && options.format && !KNOWN_IMAGE_NAME.test(options.name)
      ? IMAGE_EXTENSIONS[options.format]
      : '';
  const folder =
    options.kind === 'image'
      ? `${pathSegment(options.label ?? '')}/${pathSegment(options.source)}`
      : pathSegment(options.source);
  const path = `${folder}/${encodeName(options.name)}${extension}`;
  if (path.length <= MAX_PATH && options.name.split('/').length <= 12) return path;
  // A name too long to be a path: the content's digest names it instead.
  const ext =
    options.kind === 'image' && options.format
      ? IMAGE_EXTENSIONS[options.format]
      : (/\.[a-z]+$/i.exec(options.name)?.[0] ?? '');
  return `${folder.slice(0, MAX_PATH - 80)}/${options.sha256}${ext}`;
}

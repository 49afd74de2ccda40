/**
 * Which files may be attached, judged by their bytes, not by what the client declared: images, PDF, plain text
 * and DICOM. The declared type only has to agree with what the bytes are (its family), so a PDF or a DICOM study
 * named "scan.png" and declared image/png is refused.
 */
export type AttachmentFamily = 'image' | 'pdf' | 'text' | 'dicom';

/** Types file-type recognises from magic bytes, and the family each belongs to. */
const SNIFFED_FAMILIES: ReadonlyMap<string, AttachmentFamily> = new Map([
  ['image/png', 'image'],
  ['image/apng', 'image'],
  ['image/jpeg', 'image'],
  ['image/gif', 'image'],
  ['image/webp', 'image'],
  ['image/heic', 'image'],
  ['image/heic-sequence', 'image'],
  ['image/heif', 'image'],
  ['image/heif-sequence', 'image'],
  ['image/avif', 'image'],
  ['image/tiff', 'image'],
  ['image/bmp', 'image'],
  ['application/pdf', 'pdf'],
  ['application/dicom', 'dicom'],
]);

/** Declared types outside these families are refused at creation: nothing of theirs could pass the sniffing. */
const DECLARED_FAMILIES: ReadonlyMap<string, AttachmentFamily> = new Map([
  ['application/pdf', 'pdf'],
  ['application/x-pdf', 'pdf'],
  ['application/dicom', 'dicom'],
  ['text/plain', 'text'],
]);

export const TEXT_TYPE = 'text/plain';

/** How much of the object is read to sniff its type (file-type needs about 4 KiB; some containers more). */
export const SNIFF_BYTES = 64 * 1024;
/** Text is checked whole, this much at a time, so a large text file is never held in memory at once. */
const TEXT_CHUNK_BYTES = 4 * 1024 * 1024;

/** "Image/PNG; charset=x" → "image/png". */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(';', 1)[0].trim().toLowerCase();
}

/** The family a declared type claims, or null for a type that is never accepted (SVG included: it is a script). */
export function declaredFamily(contentType: string): AttachmentFamily | null {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType.startsWith('image/')) return mediaType === 'image/svg+xml' ? null : 'image';
  return DECLARED_FAMILIES.get(mediaType) ?? null;
}

export const ACCEPTED_TYPES = 'image/* (PNG, JPEG, GIF, WebP, HEIC/HEIF, AVIF, TIFF, BMP), application/pdf, text/plain, application/dicom';

/** An object whose bytes can be read in ranges (the local store opens it whole; S3 serves ranges). */
export interface StoredObject {
  size: number;
  /** Bytes [start, end), fewer at the end of the object. */
  read(start: number, end: number): Promise<Buffer>;
}

export type TypeVerdict =
  | { accepted: true; detectedType: string }
  /** detectedType: what the bytes are, or null when file-type recognised nothing. */
  | { accepted: false; detectedType: string | null };

type FileTypeModule = typeof import('file-type');
let fileTypeModule: Promise<FileTypeModule> | undefined;

/**
 * file-type is ESM-only. The dynamic import becomes a require() in the CommonJS build and under jest's transform;
 * Node 20.19 and later load an ES module through require() (package.json engines asks for >= 20.19).
 */
function fileType(): Promise<FileTypeModule> {
  fileTypeModule ??= import('file-type');
  return fileTypeModule;
}

/** Sniffs the stored bytes and checks them against the allow list and the declared type's family. */
export async function verifyType(declaredType: string, object: StoredObject): Promise<TypeVerdict> {
  const family = declaredFamily(declaredType);
  const head = await object.read(0, Math.min(object.size, SNIFF_BYTES));
  const sniffed = (await (await fileType()).fileTypeFromBuffer(head))?.mime;
  if (sniffed !== undefined) {
    const sniffedFamily = SNIFFED_FAMILIES.get(sniffed);
    return sniffedFamily !== undefined && sniffedFamily === family ? { accepted: true, detectedType: sniffed } : { accepted: false, detectedType: sniffed };
  }
  // file-type recognises no text format: text is whatever is valid UTF-8 without NUL bytes, and only if declared so.
  if (family === 'text' && await isPlainText(object)) return { accepted: true, detectedType: TEXT_TYPE };
  return { accepted: false, detectedType: null };
}

async function isPlainText(object: StoredObject): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    for (let start = 0; start < object.size; start += TEXT_CHUNK_BYTES) {
      const chunk = await object.read(start, Math.min(object.size, start + TEXT_CHUNK_BYTES));
      if (chunk.includes(0)) return false;
      decoder.decode(chunk, { stream: true });
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/** What a download is served as: the sniffed type (text always as UTF-8). */
export function servedContentType(detectedType: string | null): string {
  if (detectedType === null) return 'application/octet-stream';
  return detectedType === TEXT_TYPE ? 'text/plain; charset=utf-8' : detectedType;
}

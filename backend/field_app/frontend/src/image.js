// Photos made document-grade on the device before they are queued, with the figures the
// server's media.normalise uses (bootstrap.normalise): orientation applied (the browser decodes
// with the photo's EXIF orientation), grayscale, the long side scaled to about 200 dpi, then
// WebP for a mode that has a WebP quality (a page), JPEG otherwise (an ID card). A browser whose
// canvas cannot encode WebP (Safari hands back a PNG) sends the mode's JPEG instead.
import jsQR from "jsqr";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

async function decode(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

function drawn(img, longSide) {
  const scale = Math.min(1, longSide / Math.max(img.naturalWidth, img.naturalHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(img.naturalWidth * scale);
  canvas.height = Math.round(img.naturalHeight * scale);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return { canvas, ctx };
}

function toGray(ctx, width, height) {
  const frame = ctx.getImageData(0, 0, width, height);
  const px = frame.data;
  for (let i = 0; i < px.length; i += 4) {
    const y = (px[i] * 299 + px[i + 1] * 587 + px[i + 2] * 114) / 1000; // ITU-R 601, as Pillow's "L"
    px[i] = px[i + 1] = px[i + 2] = y;
  }
  ctx.putImageData(frame, 0, 0);
  return frame;
}

/** The hex sha256 of some bytes (works without a secure context, unlike crypto.subtle). */
export function hashBytes(bytes) {
  return bytesToHex(sha256(bytes));
}

/**
 * A normalised scan: { sha256, size, media_type, blob }. `mode` is "document" or "id_card";
 * `rules` is bootstrap.normalise. `webp: false` takes the JPEG a browser without a WebP encoder
 * sends (the bench measures it).
 */
export async function normalise(file, mode, rules, { webp = true } = {}) {
  const img = await decode(file);
  const { canvas, ctx } = drawn(img, rules.long_side[mode]);
  toGray(ctx, canvas.width, canvas.height);
  const webpQuality = webp ? rules.webp_quality?.[mode] : undefined;
  let blob = webpQuality ? await encoded(canvas, "image/webp", webpQuality) : null;
  if (!blob || blob.type !== "image/webp") blob = await encoded(canvas, "image/jpeg", rules.jpeg_quality[mode]);
  const data = new Uint8Array(await blob.arrayBuffer());
  return { sha256: hashBytes(data), size: data.length, media_type: blob.type, blob };
}

function encoded(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality / 100));
}

/** The texts of the QR codes in a photo, read on the full-resolution image first, then smaller. */
export async function readQr(file) {
  if ("BarcodeDetector" in window) {
    try {
      const found = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(await createImageBitmap(file));
      if (found.length) return found.map((code) => code.rawValue);
    } catch {
      // fall through to jsQR
    }
  }
  const img = await decode(file);
  for (const side of [2400, 1600, 1000]) {
    const { canvas, ctx } = drawn(img, side);
    const frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const code = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
    if (code) return [utf8(code)];
  }
  return [];
}

function utf8(code) {
  // CCCD QR codes carry UTF-8 bytes; jsQR's own guess garbles Vietnamese, as zbar's does.
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(code.binaryData));
  } catch {
    return code.data;
  }
}

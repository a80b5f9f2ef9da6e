/**
 * Reads a QR code from an image file in the browser: decode the image, draw it on a canvas
 * no larger than MAX_QR_IMAGE_SIDE_PX on its long side, and hand the pixels to jsQR.
 */
import jsQRModule from 'jsqr'
import { fitWithin, MAX_QR_IMAGE_FILE_BYTES } from './logic/qr-image.ts'

/** jsqr is CommonJS: under NodeNext typing its default import is the module object, at run time
 * (esbuild) it is the function, which also carries itself as `.default`; `.default` is both. */
const jsQR = jsQRModule.default

export class QrImageError extends Error {
  override name = 'QrImageError'
}

/** The text of the QR code in `file`, or null when the image holds none; QrImageError when
 * the file is not an image the browser can read or is too large. */
export async function decodeQrImage(file: Blob): Promise<string | null> {
  if (file.size > MAX_QR_IMAGE_FILE_BYTES)
    throw new QrImageError(`This image is too large (over ${MAX_QR_IMAGE_FILE_BYTES / (1024 * 1024)} MB)`)
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    throw new QrImageError('This file is not an image that can be read')
  }
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height)
    const canvas = document.createElement('canvas')
    canvas.width = width
    canvas.height = height
    const ctx = canvas.getContext('2d', { willReadFrequently: true })
    if (ctx === null) throw new QrImageError('This browser cannot read images')
    // a transparent PNG's background reads as black: paint white under it so dark modules show
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, width, height)
    ctx.drawImage(bitmap, 0, 0, width, height)
    const pixels = ctx.getImageData(0, 0, width, height)
    return jsQR(pixels.data, width, height)?.data ?? null
  } finally {
    bitmap.close()
  }
}

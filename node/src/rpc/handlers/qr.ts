/**
 * QR codes as SVG for the API (the identity card, a safety number): one rendering for all.
 * qrcode (with pngjs under it) is loaded on the first QR asked for, not with the daemon: an idle
 * daemon never draws one (part of keeping idle RSS within issue 14's 120 MB).
 */

/** Error correction M (15 %) and a two-module margin: scannable from a screen. */
export async function qrSvg(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode')
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}

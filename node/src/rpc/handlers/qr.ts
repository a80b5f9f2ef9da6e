/** QR codes as SVG for the API (the identity card, a safety number): one rendering for all. */
import QRCode from 'qrcode'

/** Error correction M (15 %) and a two-module margin: scannable from a screen. */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
}

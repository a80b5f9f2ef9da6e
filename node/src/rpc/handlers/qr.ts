/**
 * QR codes as SVG for the API (the identity card, a safety number): one rendering for all.
 *
 * Only qrcode's encoder and its SVG renderer are loaded (qrcode/lib/core/qrcode.js and
 * lib/renderer/svg-tag.js, the two modules its toString({ type: 'svg' }) runs): the package's
 * main entry also loads the PNG, terminal and UTF-8 renderers and pngjs under them, ~2 MB of an
 * idle daemon's RSS that no API answer uses (issue 14's 120 MB idle goal; unlock answers with
 * the card's QR, so the encoder itself is loaded by every unlocked daemon).
 */
import { createRequire } from 'node:module'

interface QrSymbol {
  readonly modules: { readonly size: number; readonly data: Uint8Array }
}
interface QrEncoder {
  create(text: string, options: { errorCorrectionLevel: 'M' }): QrSymbol
}
interface QrSvgRenderer {
  render(symbol: QrSymbol, options: { margin: number }): string
}

const require = createRequire(import.meta.url)
let modules: { encoder: QrEncoder; svg: QrSvgRenderer } | undefined

/** Error correction M (15 %) and a two-module margin: scannable from a screen. */
export async function qrSvg(text: string): Promise<string> {
  modules ??= {
    encoder: require('qrcode/lib/core/qrcode.js') as QrEncoder,
    svg: require('qrcode/lib/renderer/svg-tag.js') as QrSvgRenderer,
  }
  return modules.svg.render(modules.encoder.create(text, { errorCorrectionLevel: 'M' }), { margin: 2 })
}

/**
 * The part of pngjs (5.x, pure JS, MIT; no types published with it) that Wren uses: the
 * synchronous decoder (files/images/thumbnail.ts, avatar/decode-png.ts), which hands back 8-bit
 * RGBA whatever the source's colour type and depth, and the encoder (tests).
 */
declare module 'pngjs' {
  export interface DecodedPng {
    readonly width: number
    readonly height: number
    /** RGBA, 4 bytes a pixel, row by row. */
    readonly data: Buffer
  }
  export const PNG: {
    readonly sync: {
      read(buffer: Buffer, options?: { readonly checkCRC?: boolean }): DecodedPng
      /** The encoder (tests make PNGs with it); colorType 6 is RGBA. */
      write(png: DecodedPng, options?: { readonly colorType?: number }): Buffer
    }
  }
}

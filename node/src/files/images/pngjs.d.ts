/**
 * The part of pngjs (5.x, pure JS, MIT; no types published with it) that thumbnail.ts uses: the
 * synchronous decoder, which hands back 8-bit RGBA whatever the source's colour type and depth.
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
    }
  }
}

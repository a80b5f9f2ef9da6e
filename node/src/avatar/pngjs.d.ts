/** The part of pngjs (5.x, no bundled types) that decode-png.ts uses: the synchronous reader. */
declare module 'pngjs' {
  /** A decoded PNG: 8-bit RGBA rows, top to bottom (pngjs normalises every colour type and depth). */
  interface DecodedPng {
    width: number
    height: number
    data: Buffer
  }
  export const PNG: {
    sync: { read(buffer: Buffer, options?: { checkCRC?: boolean }): DecodedPng }
  }
}

declare module 'unbzip2-stream' {
  /** A through-stream: bzip2 bytes in, the uncompressed bytes out. */
  const unbzip2Stream: () => NodeJS.ReadWriteStream & { pause(): void; resume(): void };
  export default unbzip2Stream;
}
